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
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from feedgen.feed import FeedGenerator
from jinja2 import Environment, select_autoescape

from ..clock import Clock
from ..files import write_atomic
from .base import OutgoingPost, Publisher, RemoteRef

if TYPE_CHECKING:
    from campaigns.model import Account, Calendar

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
 .banner { padding: .5rem .75rem; border-radius: .25rem; background: #1b7f3b; color: #fff; }
 .banner.minor, .banner.maintenance { background: #9a6700; } .banner.major, .banner.critical { background: #b42318; }
 table { border-collapse: collapse; } th, td { text-align: left; padding: .2rem .75rem .2rem 0; }
 .timeline li { margin-bottom: .5rem; }
 @media (prefers-color-scheme: dark) {
   body { background: #111; color: #eee; } a { color: #8ab4f8; } .meta { color: #aaa; } }
</style>
</head>
<body>
<a class="skip" href="#updates">Skip to the updates</a>
<header><h1>{{ title }}</h1>
<p>Follow along: <a href="feed.atom">Atom feed</a> · <a href="feed.json">JSON Feed</a></p></header>
<main id="updates">
{% if status %}
<section aria-labelledby="now"><h2 id="now" class="banner {{ status.indicator }}">{{ status.description }}</h2>
{% if status.components %}<table><caption>Components</caption>
{% for c in status.components %}<tr><th scope="row">{{ c.name }}</th><td class="{{ c.status }}">{{ c.label }}</td></tr>
{% endfor %}</table>{% endif %}
</section>
{% for incident in status.open %}
<section class="incident" aria-labelledby="i-{{ incident.id }}"><h2 id="i-{{ incident.id }}">{{ incident.title }}</h2>
<p class="meta">{{ incident.impact }} impact{% if incident.components %} · {{ incident.components }}{% endif %}</p>
<ol class="timeline" reversed>{% for u in incident.updates %}
<li><strong>{{ u.state }}</strong> · <time datetime="{{ u.at }}">{{ u.shown }}</time><br>{{ u.message | linkify }}</li>
{% endfor %}</ol></section>
{% endfor %}
{% if status.maintenance %}<section aria-labelledby="planned"><h2 id="planned">Planned maintenance</h2><ul>
{% for m in status.maintenance %}<li><strong>{{ m.title }}</strong>: {{ m.window }} ({{ m.state }}){% if m.message %}.
{{ m.message }}{% endif %}</li>{% endfor %}</ul></section>{% endif %}
{% if status.history %}<section aria-labelledby="past"><h2 id="past">Past incidents</h2><ul>
{% for incident in status.history %}<li><strong>{{ incident.title }}</strong>, resolved
<time datetime="{{ incident.resolved_at }}">{{ incident.resolved_shown }}</time></li>{% endfor %}
</ul></section>{% endif %}
{% endif %}
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
        self.tz: Any = tz
        env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
        env.filters["linkify"] = _linkify
        self.page = env.from_string(_PAGE)

    @classmethod
    def built_from(cls, account: Account, calendar: Calendar, *, env: Mapping[str, str],
                   base_dir: str) -> dict[str, Any]:
        brand = calendar.brand
        return {**super().built_from(account, calendar, env=env, base_dir=base_dir),
                "brand": [brand.name, brand.language, brand.timezone]}

    @classmethod
    def from_account(cls, account: Account, calendar: Calendar, *, clock: Clock, env: Mapping[str, str],
                     base_dir: str) -> SitePublisher:
        return cls(account.name, account.options, clock, base_dir=base_dir, title=calendar.brand.name,
                   language=calendar.brand.language, tz=calendar.brand.tz)

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

    def on_status(self, status: Any, calendar: Any, now: datetime) -> None:
        with self.lock:
            self.status, self.tz = status, calendar.brand.tz
            self.render(self.items())

    def status_view(self, now: datetime) -> dict[str, Any] | None:
        """What the page shows of the current status, in the brand's time zone."""
        from status.statuspage import DESCRIPTIONS, component_states, indicator, maintenance_state

        status = self.status
        if status is None or not (status.components or status.incidents or status.maintenance):
            return None
        tz = self.tz

        def shown(when: datetime) -> str:
            return when.astimezone(tz).strftime("%a %d %b %Y, %H:%M %Z")

        states = component_states(status, now)
        level = indicator(status, now)
        names = {cid: c.name for cid, c in status.components.items()}
        return {
            "indicator": level, "description": DESCRIPTIONS[level],
            "components": [{"name": c.name, "status": states[cid], "label": states[cid].replace("_", " ")}
                           for cid, c in status.components.items()],
            "open": [{"id": i.id, "title": i.title, "impact": i.impact,
                      "components": ", ".join(names.get(c, c) for c in i.components),
                      "updates": [{"state": u.state, "at": u.at.isoformat(), "shown": shown(u.at),
                                   "message": u.message} for u in reversed(i.updates)]}
                     for i in status.open_incidents()],
            "maintenance": [{"title": m.title, "message": m.message,
                             "state": maintenance_state(m, now).replace("_", " "),
                             "window": f"{shown(m.starts)} to {m.ends.astimezone(tz):%H:%M %Z}"}
                            for m in sorted(status.maintenance, key=lambda m: m.starts)
                            if not m.cancelled and m.ends > now],
            "history": [{"title": i.title, "resolved_at": i.updates[-1].at.isoformat(),
                         "resolved_shown": shown(i.updates[-1].at)}
                        for i in sorted(status.incidents, key=lambda i: i.started, reverse=True)
                        if i.resolved and now - i.updates[-1].at <= timedelta(days=14)],
        }

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        with self.lock:
            found = any(i["key"] == post.key for i in self.items())
        return RemoteRef(post.key, f"#{post.key}") if found else None

    def render(self, items: list[dict[str, Any]]) -> None:
        now = self.clock.now()
        shown = []
        for item in items:
            at = datetime.fromisoformat(item["at"])
            shown.append({**item, "shown": at.astimezone(self.tz).strftime("%a %d %b %Y, %H:%M %Z"),
                          "paragraphs": [p for p in item["text"].split("\n") if p.strip()] or [""]})
        html = self.page.render(title=self.title, items=shown, updated=now.isoformat(timespec="seconds"),
                                language=self.language, status=self.status_view(now))
        if self.status is not None:
            from status.statuspage import api_files

            for name, data in api_files(self.status, self.title, str(self.tz), now).items():
                write_atomic(os.path.join(self.directory, "api", "v2", name), json.dumps(data, indent=1))
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
                **({"title": item["title"]} if item.get("title") else {}),
                **({"image": item["image"].get("url")} if item.get("image") and item["image"].get("url") else {}),
            } for item in items],
        }
        return json.dumps(feed, ensure_ascii=False, indent=1)
