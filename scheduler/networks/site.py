"""The built-in site channel: a static, accessible announcements page with Atom and JSON feeds.

Needs no credentials: it writes ``index.html``, ``feed.atom`` and ``feed.json`` into a
folder (``public/`` next to the calendar unless the account sets ``path``), rewritten
atomically on each publication, so any web server can serve them.  Its own store,
``site.json`` in the same folder, keeps every published item by publication key: a
re-publication of the same key replaces its entry, so the site is idempotent by
construction and ``find_recent`` is a lookup.  All user text is escaped (Jinja2
autoescaping; feedgen for Atom; JSON for JSON Feed).
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator
from jinja2 import Environment, select_autoescape

from ..clock import Clock
from ..files import write_atomic
from .base import OutgoingPost, Publisher, RemoteRef

MAX_ITEMS = 500  # shown on the page and in the feeds; the store keeps the same

_PAGE = """<!doctype html>
<html lang="{{ language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="alternate" type="application/atom+xml" title="{{ title }} (Atom)" href="feed.atom">
<link rel="alternate" type="application/feed+json" title="{{ title }} (JSON Feed)" href="feed.json">
<style>
 body { font: 1rem/1.5 system-ui, sans-serif; max-width: 44rem; margin: 0 auto; padding: 1rem;
        color: #1a1a1a; }
 a { color: #0645ad; } article { border-top: 1px solid #ccc; padding: .75rem 0; }
 .meta { color: #555; font-size: .9rem; } .kind { text-transform: capitalize; }
 .skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; }
 @media (prefers-color-scheme: dark) {
   body { background: #111; color: #eee; } a { color: #8ab4f8; } .meta { color: #aaa; } }
</style>
</head>
<body>
<a class="skip" href="#updates">Skip to the updates</a>
<header><h1>{{ title }}</h1>
<p>Follow along: <a href="feed.atom">Atom feed</a> · <a href="feed.json">JSON Feed</a></p></header>
<main id="updates">
<h2>Latest updates</h2>
{% for item in items %}
<article id="{{ item.key }}" aria-labelledby="h-{{ item.key }}">
 <p class="meta" id="h-{{ item.key }}"><span class="kind">{{ item.kind }}</span> ·
  <time datetime="{{ item.at }}">{{ item.shown }}</time></p>
 {% for para in item.paragraphs %}<p>{{ para | linkify }}</p>{% endfor %}
 {% if item.image %}
 <img src="{{ item.image.url or item.image.path }}" alt="{{ item.image.alt }}" loading="lazy">
 {% endif %}
</article>
{% else %}
<p>No updates yet.</p>
{% endfor %}
</main>
<footer><p class="meta">Updated <time datetime="{{ updated }}">{{ updated }}</time>.</p></footer>
</body>
</html>
"""


def _linkify(text: str) -> Any:
    """Escape ``text`` and turn its http(s) links into anchors."""
    from markupsafe import Markup, escape

    from campaigns.networks import URL_RE

    out, last = [], 0
    for match in URL_RE.finditer(text):
        out.append(escape(text[last:match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


class SitePublisher(Publisher):
    def __init__(self, name: str, options: dict[str, Any], clock: Clock, *, base_dir: str, title: str,
                 language: str = "en"):
        super().__init__(name, "site")
        self.directory = os.path.join(base_dir, options.get("path", "public"))
        self.title = options.get("title") or title
        self.base_url = (options.get("base_url") or "").rstrip("/")
        self.language = language
        self.clock = clock
        self.lock = threading.Lock()
        env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
        env.filters["linkify"] = _linkify
        self.page = env.from_string(_PAGE)

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
                "key": post.key, "post": post.post, "kind": post.kind, "text": post.text, "title": post.title,
                "at": post.scheduled_at.astimezone(UTC).isoformat(), "published": self.clock.now().isoformat(),
                "image": post.image, "source": post.source,
                "reply_to": post.reply_to.id if post.reply_to else None,
            })
            items.sort(key=lambda i: (i["at"], i["key"]), reverse=True)
            items = items[:MAX_ITEMS]
            self.render(items)
            write_atomic(self.store_path, json.dumps({"version": 1, "items": items}, ensure_ascii=False, indent=1))
        return RemoteRef(post.key, f"{self.base_url}/#{post.key}" if self.base_url else f"#{post.key}")

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        with self.lock:
            found = any(i["key"] == post.key for i in self.items())
        return RemoteRef(post.key, f"#{post.key}") if found else None

    def render(self, items: list[dict[str, Any]]) -> None:
        now = self.clock.now()
        shown = []
        for item in items:
            at = datetime.fromisoformat(item["at"])
            shown.append({**item, "shown": at.strftime("%d %b %Y, %H:%M UTC"),
                          "paragraphs": [p for p in item["text"].split("\n") if p.strip()] or [""]})
        html = self.page.render(title=self.title, items=shown, updated=now.isoformat(timespec="seconds"),
                                language=self.language)
        write_atomic(os.path.join(self.directory, "index.html"), html)
        write_atomic(os.path.join(self.directory, "feed.atom"), self.atom(items, now))
        write_atomic(os.path.join(self.directory, "feed.json"), self.json_feed(items))

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
            entry.title(item.get("title") or item["text"].split("\n")[0][:80])
            entry.content(item["text"], type="text")
            entry.published(datetime.fromisoformat(item["published"]))
            entry.updated(datetime.fromisoformat(item["published"]))
            entry.link(href=self._link(item["key"]), rel="alternate")
            entry.category(term=item["kind"])
        return feed.atom_str(pretty=True)

    def json_feed(self, items: list[dict[str, Any]]) -> str:
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.title,
            "language": self.language,
            **({"home_page_url": self._link(), "feed_url": f"{self.base_url}/feed.json"} if self.base_url else {}),
            "items": [{
                "id": item["key"], "url": self._link(item["key"]), "content_text": item["text"],
                "date_published": item["published"], "tags": [item["kind"]],
                **({"title": item["title"]} if item.get("title") else {}),
                **({"image": item["image"].get("url")} if item.get("image") and item["image"].get("url") else {}),
            } for item in items],
        }
        return json.dumps(feed, ensure_ascii=False, indent=1)
