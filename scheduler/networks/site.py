"""The built-in site channel: the status site as static files, with its posts and their feeds.

Needs no credentials: it writes the status site's pages (``index.html``, incident,
maintenance and history pages, the Statuspage API: the one renderer of ``herald serve``,
:mod:`scheduler.web.render`, with this channel's posts under "Latest updates") and
``feed.atom`` and ``feed.json`` of its posts into a folder (``public/`` next to the calendar
unless the account sets ``path``), rewritten atomically on each publication, so any web
server can serve them.  Its own store,
``site.json`` in the same folder, keeps every published item by publication key: a
re-publication of the same key replaces its entry, so the site is idempotent by
construction and ``find_recent`` is a lookup.  All user text is escaped (Jinja2
autoescaping; feedgen for Atom; JSON for JSON Feed).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from feedgen.feed import FeedGenerator

from ..clock import Clock
from ..files import write_atomic
from ..web.render import shorten
from .base import OutgoingPost, Publisher, RemoteRef

if TYPE_CHECKING:
    from campaigns.model import Account, Calendar

MAX_ITEMS = 500  # shown on the page and in the feeds; the store keeps the same


class SitePublisher(Publisher):
    def __init__(self, name: str, options: Mapping[str, Any], clock: Clock, *, base_dir: str, title: str,
                 language: str = "en", tz: Any = UTC):
        super().__init__(name, "site")
        self.directory = os.path.join(base_dir, options.get("path", "public"))
        self.title = options.get("title") or title
        self.base_url = (options.get("base_url") or "").rstrip("/")
        self.language = language
        self.clock = clock
        self.lock = threading.Lock()
        self.status: Any = None
        self.calendar: Calendar | None = None
        self.tz: Any = tz

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
                   language=calendar.brand.language, tz=calendar.brand.tz)
        site.calendar = calendar
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
            self.render(items)
            write_atomic(self.store_path, json.dumps({"version": 1, "items": items}, ensure_ascii=False, indent=1))
        return RemoteRef(post.key, f"{self.base_url}/#{post.key}" if self.base_url else f"#{post.key}")

    def on_status(self, status: Any, calendar: Any, now: datetime) -> None:
        with self.lock:
            self.status = status.public() if status is not None else None  # the intake's drafts are not public
            self.calendar, self.tz = calendar, calendar.brand.tz
            self.render(self.items())

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        with self.lock:
            found = any(i["key"] == post.key for i in self.items())
        return RemoteRef(post.key, f"#{post.key}") if found else None

    def render(self, items: list[dict[str, Any]]) -> None:
        """The status site's pages by the one renderer (:mod:`scheduler.web.render`), with this
        channel's posts on the front page, and this channel's feeds of its posts."""
        from campaigns.model import Brand
        from campaigns.model import Calendar as CalendarModel
        from status.model import Status

        from ..web.render import Renderer, SiteData
        from ..web.site import brand_css, logo_path, write_site

        now = self.clock.now()
        zone = getattr(self.tz, "key", "UTC")
        brand = self.calendar.brand if self.calendar else Brand(self.title, zone, language=self.language)
        calendar = self.calendar or CalendarModel("", brand, {}, {}, ())
        if brand.name != self.title:
            from dataclasses import replace

            calendar = replace(calendar, brand=replace(brand, name=self.title))
        posts = [{"key": i["key"], "kind": i["kind"], "text": i["text"], "at": datetime.fromisoformat(i["at"])}
                 for i in items]
        data = SiteData(calendar, self.status or Status("", zone), now, posts=posts, base_url=self.base_url)
        logo = logo_path(calendar.path, brand.logo) if calendar.path else None
        write_site(self.directory, _ChannelFeeds(Renderer(data), self, items, now), brand_css(brand.color), logo)

    def _link(self, key: str = "") -> str:
        return f"{self.base_url}/#{key}" if key else f"{self.base_url}/"

    def atom(self, items: list[dict[str, Any]], now: datetime) -> bytes:
        feed = FeedGenerator()
        feed.id(self.base_url + "/" if self.base_url else f"urn:herald:site:{self.name}")
        feed.title(self.title)
        feed.link(href=self._link(), rel="alternate")
        feed.language(self.language)
        feed.updated(now)
        for item in reversed(items):  # feedgen prepends entries
            entry = feed.add_entry()
            entry.id(f"urn:herald:publication:{item['key']}")
            entry.title(shorten(item.get("title") or item["text"]))
            entry.content(item["text"], type="text")
            entry.published(datetime.fromisoformat(item["published"]))
            entry.updated(datetime.fromisoformat(item["published"]))
            entry.link(href=self._link(item["key"]), rel="alternate")
            entry.category(term=item["kind"])
        return bytes(feed.atom_str(pretty=True))

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


class _ChannelFeeds:
    """The renderer's files, with the channel's own feeds (its posts) in place of the status feeds."""

    def __init__(self, renderer: Any, site: SitePublisher, items: list[dict[str, Any]], now: datetime):
        self.renderer, self.site, self.items, self.now = renderer, site, items, now

    def site_files(self) -> dict[str, str | bytes]:
        files: dict[str, str | bytes] = self.renderer.site_files()
        files["feed.atom"] = self.site.atom(self.items, self.now)
        files["feed.json"] = self.site.json_feed(self.items)
        return files
