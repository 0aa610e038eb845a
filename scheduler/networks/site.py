"""The built-in site channel: the status site as static files, with its posts and their feeds.

Needs no credentials: it writes the status site's pages (``index.html``, incident,
maintenance and history pages, the Statuspage API: the one renderer of ``herald serve``,
:mod:`scheduler.render.site`, with this channel's posts under "Latest updates") and
``feed.atom`` and ``feed.json`` of its posts into a folder (``public/`` next to the calendar
unless the account sets ``path``), so any web server can serve them.  Only the files a change
touches are written (a post: the home page and the feeds; a status change: the pages of the
incidents that changed, and the shared pages), each atomically and only when its bytes differ,
by one writer thread per account that the engine's status reaction does not wait for
(:mod:`.sitewriter`).  Its own store,
``site.json`` in the same folder, keeps every published item by publication key: a
re-publication of the same key replaces its entry, so the site is idempotent by
construction and ``find_recent`` is a lookup.  All user text is escaped (Jinja2
autoescaping; feedgenerator for Atom; JSON for JSON Feed).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..files import write_atomic
from ..render.site import shorten
from .base import OutgoingPost, Publisher, RemoteRef
from .sitewriter import SiteState, SiteWriter, acquire, release

if TYPE_CHECKING:
    from campaigns.model import Account, Calendar

log = logging.getLogger("herald.site")

MAX_ITEMS = 500  # shown on the page and in the feeds; the store keeps the same


class SitePublisher(Publisher):
    """``background``: pages are written by one thread of this account's folder (:mod:`.sitewriter`;
    the publisher a reload builds shares it with the one it replaces), so a status change returns
    at once; built from a calendar (the engine's accounts) it is on. A publication returns once
    its item is durably in ``site.json`` and its pages were written."""

    def __init__(self, name: str, options: Mapping[str, Any], clock: Clock, *, base_dir: str, title: str,
                 language: str = "en", tz: Any = UTC, background: bool = False):
        super().__init__(name, BuiltinType.SITE)
        self.directory = os.path.join(base_dir, options.get("path", "public"))
        self.title = options.get("title") or title
        self.base_url = (options.get("base_url") or "").rstrip("/")
        self.language = language
        self.clock = clock
        self.lock = threading.Lock()  # site.json and the state handed to the writer, in one order
        self.status: Any = None
        # Built for an engine (from_account): no page is written before the engine showed a status; an
        # empty one would replace every incident page (and the first write deletes the pages of
        # incidents a status does not have).  A publication meanwhile is stored; on_status writes it.
        self.awaits_status = False
        self.unfinished = False  # a close that gave up on the writer's thread (see close)
        self._shown = False
        self.calendar: Calendar | None = None
        self.tz: Any = tz
        self._shared = acquire(self.directory, name) if background else None
        self.writer = self._shared.writer if self._shared else SiteWriter(self.directory)
        self.background = self._shared.background if self._shared else None

    @classmethod
    def built_from(cls, account: Account, calendar: Calendar, *, env: Mapping[str, str],
                   base_dir: str) -> dict[str, Any]:
        brand = calendar.brand
        return {**super().built_from(account, calendar, env=env, base_dir=base_dir),
                "brand": [brand.name, brand.language, brand.timezone]}

    @classmethod
    def from_account(cls, account: Account, calendar: Calendar, *, clock: Clock, env: Mapping[str, str],
                     base_dir: str) -> SitePublisher:
        site = cls(account.name, account.options, clock, base_dir=base_dir, title=calendar.brand.name,
                   language=calendar.brand.language, tz=calendar.brand.tz, background=True)
        site.calendar = calendar
        site.awaits_status = True
        return site

    @property
    def store_path(self) -> str:
        return os.path.join(self.directory, "site.json")

    def describe(self) -> str:
        return f"{self.name} (site in {self.directory})"

    def items(self) -> list[dict[str, Any]]:
        try:
            with open(self.store_path, encoding="utf-8") as fh:
                data = json.load(fh)
            return list(data.get("items", []))
        except FileNotFoundError:
            return []

    def publish(self, post: OutgoingPost) -> RemoteRef:
        with self.lock:
            items = [i for i in self.items() if i["key"] != post.key]
            items.append({
                "key": post.key, "post": post.post, "kind": post.kind, "text": post.text,
                "title": post.headline or post.title,
                "at": post.scheduled_at.astimezone(UTC).isoformat(), "published": self.clock.now().isoformat(),
                "image": post.image, "source": post.source,
                "reply_to": post.reply_to.id if post.reply_to else None,
            })
            items.sort(key=lambda i: (i["at"], i["key"]), reverse=True)
            items = items[:MAX_ITEMS]
            # the item is durable before the pages: find_recent finds it after a crash, and the
            # first write after a restart is a complete one
            write_atomic(self.store_path, json.dumps({"version": 1, "items": items}, ensure_ascii=False, indent=1))
            generation = self._submit(items)
        self._wait(generation)
        return RemoteRef(post.key, f"{self.base_url}/#{post.key}" if self.base_url else f"#{post.key}")

    def on_status(self, status: Any, calendar: Any, now: datetime) -> None:
        """Hand the new status to the writer; with ``background``, without waiting for it."""
        with self.lock:
            self.status = status.public() if status is not None else None  # the intake's drafts are not public
            self.calendar, self.tz = calendar, calendar.brand.tz
            self._shown = True
            self._submit(self.items())

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        with self.lock:
            found = any(i["key"] == post.key for i in self.items())
        return RemoteRef(post.key, f"#{post.key}") if found else None

    def render(self, items: list[dict[str, Any]]) -> None:
        """Write the site for ``items`` and the status last shown (only the files that changed), and wait for it."""
        with self.lock:
            generation = self._submit(items)
        self._wait(generation)

    def flush(self) -> None:
        """Until the writer wrote every change handed to it."""
        if self.background is not None:
            self.background.flush()

    def close(self, timeout: float | None = None) -> None:
        """Write what is pending, then stop the writer's thread; with ``timeout`` (a stop's budget),
        no longer than that: see :meth:`.sitewriter.Background.close` (``unfinished`` says it gave up)."""
        with self.lock:  # no state handed over while it stops
            shared, self._shared = self._shared, None
            if shared is not None:
                self.background = None  # from now on (if ever), written in the caller's thread
                self.writer = SiteWriter(self.directory)
                self.unfinished = not release(shared, timeout)

    def _submit(self, items: list[dict[str, Any]]) -> int:
        """Under ``self.lock``: the state of ``items``, to the writer thread (its generation) or written now (0);
        nothing (0) before the engine showed a status (see ``awaits_status``)."""
        if self.awaits_status and not self._shown:
            return 0
        state = self.state(items)
        if self.background is not None:
            return self.background.submit(state)
        try:
            self.writer.write(state)
        except Exception:  # as in the background: the item is stored; the next change writes the pages
            log.exception("%s: could not write the site", self.name)
        return 0

    def _wait(self, generation: int) -> None:
        if generation and self.background is not None:
            self.background.wait(generation)

    def state(self, items: list[dict[str, Any]]) -> SiteState:
        """What the site's files are made of now: the status last shown, the calendar's brand
        (named as this channel's title), ``items``."""
        from dataclasses import replace

        from campaigns.model import Brand
        from campaigns.model import Calendar as CalendarModel
        from status.model import Status

        from ..render.site import logo_path

        zone = getattr(self.tz, "key", "UTC")
        brand = self.calendar.brand if self.calendar else Brand(self.title, zone, language=self.language)
        calendar = self.calendar or CalendarModel("", brand, {}, {}, ())
        if brand.name != self.title:
            calendar = replace(calendar, brand=replace(brand, name=self.title))
        posts = [{"key": i["key"], "kind": i["kind"], "text": i["text"], "at": datetime.fromisoformat(i["at"])}
                 for i in items]
        logo = logo_path(calendar.path, brand.logo) if calendar.path else None
        return SiteState(calendar, self.status or Status("", zone), items, self.clock.now(), logo,
                         (self.title, self.base_url, self.language), posts, self.feeds)

    def feeds(self, items: list[dict[str, Any]], now: datetime) -> dict[str, str | bytes]:
        """The channel's own feeds: its posts."""
        return {"feed.atom": self.atom(items, now), "feed.json": self.json_feed(items)}

    def _link(self, key: str = "") -> str:
        return f"{self.base_url}/#{key}" if key else f"{self.base_url}/"

    def atom(self, items: list[dict[str, Any]], now: datetime) -> bytes:
        from ..render.atom import atom

        return atom({"id": self.base_url + "/" if self.base_url else f"urn:herald:site:{self.name}",
                     "title": self.title, "link": self._link(), "language": self.language},
                    ({"id": f"urn:herald:publication:{item['key']}", "text": item["text"],
                      "title": shorten(item.get("title") or item["text"]), "link": self._link(item["key"]),
                      "published": datetime.fromisoformat(item["published"]), "category": item["kind"]}
                     for item in items), now)

    def json_feed(self, items: list[dict[str, Any]]) -> str:
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.title,
            "language": self.language,
            **({"home_page_url": self._link(), "feed_url": f"{self.base_url}/feed.json"} if self.base_url else {}),
            "items": [{
                "id": item["key"], "url": self._link(item["key"]), "content_text": item["text"],
                "date_published": item["published"], "tags": [item["kind"]],
                "title": shorten(item.get("title") or item["text"]),
                **({"image": item["image"].get("url")} if item.get("image") and item["image"].get("url") else {}),
            } for item in items],
        }
        return json.dumps(feed, ensure_ascii=False, indent=1)

