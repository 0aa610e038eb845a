"""The one renderer of the status site: pages, feeds and the API, from the status file, the
calendar and ledger rows.  ``herald serve``, ``herald export-site`` and the built-in ``site``
channel all call it, so every engine and every copy shows the same site.  Also here: the
brand's stylesheet, its favicon and where its logo is (:func:`brand_css`, :func:`favicon`,
:func:`logo_path`).

Public pages carry only public words: where an update was announced, what an incident held
and why, the alert that opened it are in the ops views (:meth:`Renderer.ops_incident`,
:meth:`Renderer.ops_maintenance`), which only the review room renders.

It renders; it writes nothing.  Links are relative to ``root`` (``/`` when served, ``../../``
from an exported ``incidents/ID/index.html``), so an export works on any web host.  Times
are rendered in the brand's zone (correct without JavaScript) and ``static/site.js`` turns
them into the reader's zone.  Every user text goes through Jinja2's autoescaping.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from status.model import ComponentState
from status.statuspage import API_FILES as API_FILES  # re-exported: the routes name the v2 files here

from . import STATIC, environment, static_file

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.components import Span
    from status.model import Incident, Maintenance, Status

    from ..ledger.publications import Record

HISTORY_DAYS = 90  # the bar per component, as on Statuspage
RECENT = timedelta(days=7)  # resolved incidents and completed maintenance on the front page
ICS_REFRESH = timedelta(minutes=5)  # status.ics: how often a subscribed calendar reads it again
TITLE_LIMIT = 90  # feed titles, cut at a word with an ellipsis

# state -> (label, icon, css class); the icon and the words carry the state, never the colour alone
COMPONENT_STATES: dict[str, tuple[str, str, str]] = {
    ComponentState.OPERATIONAL: ("Operational", "✓", "ok"),
    ComponentState.UNDER_MAINTENANCE: ("Under maintenance", "⚒", "maint"),
    ComponentState.DEGRADED_PERFORMANCE: ("Degraded performance", "!", "minor"),
    ComponentState.PARTIAL_OUTAGE: ("Partial outage", "!", "major"),
    ComponentState.MAJOR_OUTAGE: ("Major outage", "✕", "critical"),
}
INDICATOR_CLASS = {"none": "ok", "minor": "minor", "major": "major", "critical": "critical", "maintenance": "maint"}
IMPACT_ORDER = ["none", "minor", "major", "critical"]
DEFAULT_ACCENT = "#0b5fff"  # when the brand's colour is not one
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".webp": "image/webp", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg", ".gif": "image/gif"}


def shorten(text: str, limit: int = TITLE_LIMIT) -> str:
    """``text`` on one line, at most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit - 1]
    if " " in cut and not flat[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


@dataclass
class SiteData:
    """Everything the pages read, taken once per render."""

    calendar: Calendar
    status: Status
    now: datetime
    records: list[Record] = field(default_factory=list)  # announcements of incidents and maintenance
    held: dict[str, list[Record]] = field(default_factory=dict)  # incident id -> posts held during it
    posts: list[dict[str, Any]] = field(default_factory=list)  # the site channel's own posts: key, kind, at, text
    live: bool = False  # served: the script polls for changes
    base_url: str = ""  # absolute links in feeds, when known


# The names at the top of a site folder: every file and folder :meth:`Renderer.site_files` may
# write there.  `herald export-site` tells a previous export's folder by them (a folder holding
# other names is the user's): a new top-level file is named here too, or tests/test_site_names.py fails.
SITE_TOP = frozenset({"index.html", "history", "feed.atom", "feed.json", "status.ics", "favicon.svg", "incidents",
                      "maintenance", "api", "static", "brand.css", "brand"})


class Renderer:
    def __init__(self, data: SiteData):
        self.data = data
        self.status = data.status
        self.brand = data.calendar.brand
        self.tz = self.brand.tz
        self.now = data.now
        self.names = {cid: c.name for cid, c in self.status.components.items()}
        self._by_source: dict[str, list[Record]] | None = None
        self._found: list[Span] | None = None

    # -- small helpers ---------------------------------------------------------------------
    def when(self, at: datetime) -> dict[str, str]:
        local = at.astimezone(self.tz)
        return {"iso": at.isoformat(timespec="seconds"), "shown": local.strftime("%a %d %b %Y, %H:%M %Z")}

    def _announced(self, source: str, prefix: bool = False) -> list[Record]:
        if prefix:
            return [r for r in self.data.records if r.source.startswith(source)]
        if self._by_source is None:  # one pass over the records, not one per incident
            self._by_source = {}
            for r in self.data.records:
                self._by_source.setdefault(r.source, []).append(r)
        return self._by_source.get(source, [])

    def _links(self, records: Iterable[Record]) -> list[dict[str, Any]]:
        return [{"network": r.network, "state": str(r.state), "url": r.remote_url if _safe_url(r.remote_url) else "",
                 "error": r.last_error or ""} for r in records]

    # -- views -----------------------------------------------------------------------------
    def components(self) -> list[dict[str, Any]]:
        from status.components import component_states

        states = component_states(self.status, self.now)
        days = self._history_days()
        start = self.now - timedelta(days=HISTORY_DAYS)
        found = self._spans()
        out = []
        for cid, component in self.status.components.items():
            mine = [span for span in found if span.component == cid]
            out.append({"id": cid, "name": component.name, "group": component.group, **_state(states[cid]),
                        "uptime": _percent(_uptime(mine, cid, start, self.now)),
                        "days": _spans([self._day(day, cid, events) for day, events in days])})
        return out

    def _spans(self) -> list[Span]:
        """What the incidents and windows did to each component over the history's days (once per render)."""
        if self._found is None:
            from status.components import spans

            first = datetime.combine(self.now.astimezone(self.tz).date() - timedelta(days=HISTORY_DAYS - 1),
                                     time(0), self.tz)
            self._found = spans(self.status, min(first, self.now - timedelta(days=HISTORY_DAYS)), self.now, self.now)
        return self._found

    def groups(self, components: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The components as the page lists them: each group (``group:`` in the file) where its
        first member stands, with its members and their worst state; a component of no group alone."""
        out: list[dict[str, Any]] = []
        named: dict[str, dict[str, Any]] = {}
        for c in components:
            if not c["group"]:
                out.append({"name": "", "components": [c]})
            elif c["group"] in named:
                named[c["group"]]["components"].append(c)
            else:
                named[c["group"]] = {"name": c["group"], "components": [c]}
                out.append(named[c["group"]])
        for group in named.values():
            from status.components import SEVERITY

            worst = max((c["state"] for c in group["components"]), key=SEVERITY.index)
            group.update({f"group_{k}": v for k, v in _state(worst).items()})
        return out

    def _history_days(self) -> list[tuple[date, list[Span]]]:
        """The last 90 days in the brand's zone, each with the spans of components' states on it."""
        today = self.now.astimezone(self.tz).date()
        first = today - timedelta(days=HISTORY_DAYS - 1)
        events: dict[date, list[Span]] = {first + timedelta(days=n): [] for n in range(HISTORY_DAYS)}
        for span in self._spans():
            day = max(span.start.astimezone(self.tz).date(), first)
            last = min(span.end.astimezone(self.tz).date(), today)
            while day <= last:
                events[day].append(span)
                day += timedelta(days=1)
        return list(events.items())

    def _day(self, day: date, cid: str, events: list[Span]) -> dict[str, Any]:
        """One day of a component's bar: its worst state that day, and the incidents and windows behind it."""
        from status.components import SEVERITY

        mine = [e for e in events if e.component == cid]
        worst = max((e.state for e in mine), key=SEVERITY.index, default="operational")
        css = COMPONENT_STATES[worst][2]
        words = {"ok": "No outage" if mine else "No incidents", "maint": "Maintenance", "minor": "Minor incident",
                 "major": "Major incident", "critical": "Critical incident"}[css]
        items = list(dict.fromkeys((e.kind, e.id, e.title) for e in mine))
        page = {"incident": "incidents", "maintenance": "maintenance"}
        # a day opens its incident's page; a day of several, the history of its month (which lists them)
        href = f"{page[items[0][0]]}/{items[0][1]}/" if len(items) == 1 else f"history/#m-{day:%Y-%m}"
        return {"date": day.isoformat(), "shown": day.strftime("%d %b %Y"), "css": css, "words": words,
                "href": href, "events": [{"kind": k, "id": i, "title": t} for k, i, t in items]}

    def _updates(self, incident: Incident) -> list[dict[str, Any]]:
        """Each update, oldest first, as customers read it."""
        return [{"state": str(u.state), "label": str(u.state).capitalize(), "message": u.message, **self.when(u.at)}
                for u in incident.updates]

    def _deliveries(self, incident: Incident) -> list[list[dict[str, Any]]]:
        """For each update, oldest first, the announcements it made (for ops only): those scheduled
        at it, and the follow-ups (not status posts) scheduled before the next update."""
        announced = self._announced(incident.source)
        out = []
        for n, update in enumerate(incident.updates):
            nxt = incident.updates[n + 1].at if n + 1 < len(incident.updates) else None
            mine = [r for r in announced if r.scheduled_at == update.at or
                    (r.scheduled_at > update.at and (nxt is None or r.scheduled_at < nxt) and r.kind != "status")]
            out.append([{**link, "post": r.post, "kind": r.kind, **self.when(r.scheduled_at)}
                        for r, link in zip(mine, self._links(mine), strict=True)])
        return out

    def incident(self, incident: Incident) -> dict[str, Any]:
        """What customers read of ``incident``: never where it was announced, what it held or
        which alert opened it (those are for ops: :meth:`ops_incident`)."""
        updates = self._updates(incident)
        last = incident.updates[-1]
        next_by = self.when(last.at + last.next_update) if last.next_update and not incident.resolved else None
        end = last.at if incident.resolved else self.now
        return {
            "id": incident.id, "title": incident.title, "impact": str(incident.impact),
            "css": INDICATOR_CLASS.get(str(incident.impact), "minor"), "state": str(incident.state),
            "label": str(incident.state).capitalize(), "resolved": incident.resolved,
            "components": [self.names.get(c, c) for c in incident.affected],
            "started": self.when(incident.started), "ended": self.when(end),
            "duration": _duration(end - incident.started), "updates": list(reversed(updates)), "next_by": next_by,
        }

    def ops_incident(self, incident: Incident) -> dict[str, Any]:
        """``incident`` as on-call sees it: each update with the posts it made on each network
        (with links, and why one failed), what was held or skipped during it, the alert that opened it."""
        view = self.incident(incident)
        for update, sent in zip(view["updates"], reversed(self._deliveries(incident)), strict=True):
            update["links"] = sent
        view.update(alert=incident.alert or "", draft=incident.draft,
                    held=[{"post": r.post, "network": r.network, "kind": r.kind, "state": str(r.state),
                           **self.when(r.scheduled_at), "why": r.last_error or ""}
                          for r in self.data.held.get(incident.id, [])])
        return view

    def maintenance(self, m: Maintenance) -> dict[str, Any]:
        """What customers read of a window: its state, times (the end it expects now) and timeline."""
        from status.maintenance import maintenance_state, timeline, window_end

        state = "cancelled" if m.cancelled else str(maintenance_state(m, self.now))
        updates = [{"state": str(e.state), "label": _MAINTENANCE_LABELS.get(e.kind, _label(e.state)),
                    "message": e.message, **self.when(e.at), "until": self.when(e.ends) if e.ends else None}
                   for e in reversed(timeline(m, self.now))]
        last = m.updates[-1] if m.updates else None  # the home page shows ops' latest word beside the window
        latest = {"message": last.message, **self.when(last.at)} if last else None
        return {"id": m.id, "title": m.title, "message": m.message, "state": state, "label": _label(state),
                "starts": self.when(m.starts), "ends": self.when(window_end(m)),
                "components": [self.names.get(c, c) for c in m.components], "updates": updates, "latest": latest}

    def ops_maintenance(self, m: Maintenance) -> dict[str, Any]:
        """A window as on-call sees it: with its announcements on each network (for ops only)."""
        announced = self._announced(f"maintenance:{m.id}@", prefix=True)
        return {**self.maintenance(m), "announcements": [{**link, **self.when(r.scheduled_at), "kind": r.kind,
                                                          "post": r.post}
                                                         for r, link in zip(announced, self._links(announced),
                                                                            strict=True)]}

    def overall(self) -> dict[str, str]:
        from status.components import indicator
        from status.statuspage import DESCRIPTIONS

        level = indicator(self.status, self.now)
        return {"level": level, "css": INDICATOR_CLASS[level], "description": DESCRIPTIONS[level]}

    def common(self, root: str, path: str = "", summary: str = "") -> dict[str, Any]:
        """What every page shows; ``path`` (from the site's root) and ``summary`` for its ``og:`` tags."""
        overall = self.overall()
        absolute = bool(self.data.base_url)
        return {"brand": self.brand, "root": root, "overall": overall, "live": self.data.live,
                "zone": self.brand.timezone, "updated": self.when(self.now), "lang": self.brand.language,
                "og": {"url": self._abs(path) if absolute else "", "description": summary or overall["description"],
                       "image": self._abs("brand/logo") if absolute and self.brand.logo else ""},
                "subscribe": self.data.calendar.engine.subscribers is not None}

    # -- pages -----------------------------------------------------------------------------
    def index(self, root: str = "/") -> str:
        status = self.status
        maintenance = [self.maintenance(m) for m in sorted(status.maintenance, key=lambda m: m.starts)]
        recent = [self.incident(i) for i in sorted(status.incidents, key=lambda i: i.started, reverse=True)
                  if i.resolved and self.now - i.updates[-1].at <= RECENT]
        return environment().get_template("index.html").render(
            **self.common(root), title=self.brand.name + " status",
            open=[self.incident(i) for i in sorted(status.open_incidents(), key=lambda i: i.started, reverse=True)],
            groups=self.groups(self.components()), recent=recent,
            active=[m for m in maintenance if m["state"] in ("in_progress", "verifying")],
            upcoming=[m for m in maintenance if m["state"] == "scheduled"],
            completed=[m for m in reversed(maintenance) if m["state"] == "completed"
                       and self.now - datetime.fromisoformat(m["ends"]["iso"]) <= RECENT],
            posts=[{**p, **self.when(p["at"])} for p in self.data.posts])

    def incident_page(self, incident_id: str, root: str = "/") -> str | None:
        incident = self.status.incident(incident_id)
        if incident is None:
            return None
        view = self.incident(incident)
        return environment().get_template("incident.html").render(
            **self.common(root, f"incidents/{incident.id}/", shorten(incident.updates[-1].message, 200)),
            title=f"{incident.title} · {self.brand.name} status", incident=view)

    def maintenance_page(self, maintenance_id: str, root: str = "/") -> str | None:
        found = [m for m in self.status.maintenance if m.id == maintenance_id]
        if not found:
            return None
        view = self.maintenance(found[-1])
        return environment().get_template("maintenance.html").render(
            **self.common(root, f"maintenance/{maintenance_id}/", shorten(view["message"] or view["title"], 200)),
            title=f"{view['title']} · {self.brand.name} status", m=view)

    def months(self) -> list[dict[str, Any]]:
        items: list[tuple[datetime, str, dict[str, Any]]] = []
        for i in self.status.incidents:
            items.append((i.started, "incident", self.incident(i)))
        for m in self.status.maintenance:
            items.append((m.starts, "maintenance", self.maintenance(m)))
        items.sort(key=lambda x: x[0], reverse=True)
        months: dict[str, dict[str, Any]] = {}
        for at, kind, view in items:
            local = at.astimezone(self.tz)
            month = months.setdefault(local.strftime("%Y-%m"), {"id": local.strftime("%Y-%m"),
                                                                 "name": local.strftime("%B %Y"), "items": []})
            month["items"].append({"kind": kind, **view})
        return list(months.values())

    def history_page(self, root: str = "/") -> str:
        return environment().get_template("history.html").render(
            **self.common(root, "history/"), title=f"History · {self.brand.name} status", months=self.months())

    # -- feeds -----------------------------------------------------------------------------
    def entries(self) -> list[dict[str, Any]]:
        """Every incident update and every maintenance window as a feed item, newest first."""
        out = []
        for i in self.status.incidents:
            for n, u in enumerate(i.updates, 1):
                out.append({"id": f"incident:{i.id}:{n}", "path": f"incidents/{i.id}/", "at": u.at,
                            "title": shorten(f"{str(u.state).capitalize()}: {i.title}"), "text": u.message})
        for m in self.status.maintenance:
            out.extend(self._maintenance_entries(m))
        out.sort(key=lambda e: (e["at"], e["id"]), reverse=True)
        return out

    def _maintenance_entries(self, m: Maintenance) -> list[dict[str, Any]]:
        """A window's feed items: the window, dated when it was first announced and updated at its
        last update (never when the feed is read), and each of its updates."""
        from status.maintenance import announced, role, timeline, window_end

        state = "Cancelled" if m.cancelled else "Maintenance"
        start, end = m.starts.astimezone(self.tz), window_end(m).astimezone(self.tz)
        zone = f" {start:%Z}" if start.tzname() != end.tzname() else ""  # across a DST change: both
        window = f"{start:%d %b %H:%M}{zone}–{end:%H:%M %Z}"
        first = announced(m)
        out = [{"id": f"maintenance:{m.id}@{m.signature}", "path": f"maintenance/{m.id}/", "at": first,
                "updated": max(first, *(e.at for e in timeline(m, self.now))),
                "title": shorten(f"{state}: {m.title} ({window})"), "text": m.message or m.title}]
        for n, u in enumerate(m.updates, 1):
            out.append({"id": f"maintenance:{m.id}:update:{n}", "path": f"maintenance/{m.id}/", "at": u.at,
                        "title": shorten(f"{_MAINTENANCE_LABELS.get(role(m, u), _label(u.state))}: {m.title}"),
                        "text": u.message})
        return out

    def _abs(self, path: str) -> str:
        return f"{self.data.base_url.rstrip('/')}/{path}" if self.data.base_url else f"/{path}"

    def atom(self) -> bytes:
        from .atom import atom

        return atom({"id": self._abs("") if self.data.base_url else f"urn:herald:status:{self.brand.name}",
                     "title": f"{self.brand.name} status", "link": self._abs(""), "self": self._abs("feed.atom"),
                     "language": self.brand.language},
                    ({"id": f"urn:herald:{e['id']}", "title": e["title"], "text": e["text"], "published": e["at"],
                      "updated": e.get("updated", e["at"]), "link": self._abs(e["path"])} for e in self.entries()),
                    self.now)

    def json_feed(self) -> str:
        return json.dumps({
            "version": "https://jsonfeed.org/version/1.1", "title": f"{self.brand.name} status",
            "language": self.brand.language, "home_page_url": self._abs(""), "feed_url": self._abs("feed.json"),
            "items": [{"id": e["id"], "url": self._abs(e["path"]), "title": e["title"], "content_text": e["text"],
                       "date_published": e["at"].isoformat(timespec="seconds"),
                       "date_modified": e.get("updated", e["at"]).isoformat(timespec="seconds")}
                      for e in self.entries()],
        }, ensure_ascii=False, indent=1)

    def status_ics(self) -> bytes:
        """Maintenance windows and incidents (no plan): the public subscription, which calendar
        apps re-read every :data:`ICS_REFRESH` (RFC 7986, and Outlook's own name for it)."""
        from icalendar import Calendar as VCalendar
        from icalendar import vDuration

        from status.ical import add_status

        cal = VCalendar()
        cal.add("prodid", "-//Herald//status//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"{self.brand.name} status")
        cal.add("refresh-interval", ICS_REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", vDuration(ICS_REFRESH))
        start, end = self.now - timedelta(days=HISTORY_DAYS), self.now + timedelta(days=366)
        if add_status(cal, self.status, self.brand.name, start, end, self.now, self.data.base_url):
            cal.add_missing_timezones()
        return bytes(cal.to_ical())

    def api(self) -> dict[str, dict[str, Any]]:
        from status.statuspage import api_files

        return {name: self._api_links(data)
                for name, data in api_files(self.status, self.brand.name, self.brand.timezone, self.now).items()}

    def api_file(self, name: str) -> dict[str, Any] | None:
        """One file of the v2 API (the same as ``api()[name]``), computing only what that file shows."""
        from status.statuspage import api_file

        data = api_file(name, self.status, self.brand.name, self.brand.timezone, self.now)
        return None if data is None else self._api_links(data)

    def _api_links(self, data: dict[str, Any]) -> dict[str, Any]:
        """What this site adds to the v2 API: each incident's and window's ``shortlink`` to its own
        page (not the site's root), and the components' groups as Statuspage lists them (a group
        is a component with ``group: true`` naming its members, each member its ``group_id``)."""
        for kind, page in (("incidents", "incidents"), ("scheduled_maintenances", "maintenance")):
            for item in data.get(kind, ()):
                item["shortlink"] = self._abs(f"{page}/{item['id']}/")
        if "components" in data:
            data["components"] = self._api_groups(data["components"])
        for kind in ("incidents", "scheduled_maintenances"):
            for item in data.get(kind, ()):
                item["components"] = self._api_groups(item["components"], listed_only=True)
        return data

    def _api_groups(self, components: list[dict[str, Any]], listed_only: bool = False) -> list[dict[str, Any]]:
        from status.statuspage import SEVERITY, page_id

        groups: dict[str, dict[str, Any]] = {}
        for c in components:
            name = self.status.components[c["id"]].group if c["id"] in self.status.components else ""
            if not name:
                continue
            group = groups.setdefault(name, {**c, "id": "group-" + page_id(name), "name": name, "group": True,
                                             "components": []})
            c["group_id"] = group["id"]
            group["components"].append(c["id"])
            group["status"] = max(group["status"], c["status"], key=SEVERITY.index)
        return components if listed_only else [*groups.values(), *components]

    def site_files(self, css: str | None = None, logo: bytes | None = None) -> dict[str, str | bytes]:
        """The whole site as files, by path: what ``herald export-site`` writes; with ``css`` its
        ``brand.css``, with ``logo`` its ``brand/logo``.  The names at the folder's top are
        :data:`SITE_TOP`'s."""
        files: dict[str, str | bytes] = {"index.html": self.index("./"), "history/index.html": self.history_page("../"),
                                         "feed.atom": self.atom(), "feed.json": self.json_feed(),
                                         "status.ics": self.status_ics(), "favicon.svg": favicon(self.brand.color)}
        for i in self.status.incidents:
            files[f"incidents/{i.id}/index.html"] = self.incident_page(i.id, "../../") or ""
        for m in self.status.maintenance:
            files[f"maintenance/{m.id}/index.html"] = self.maintenance_page(m.id, "../../") or ""
        for name, data in self.api().items():
            files[f"api/v2/{name}"] = json.dumps(data, indent=1)
        for name in STATIC:
            files[f"static/{name}"] = static_file(name)
        if css is not None:
            files["brand.css"] = css
        if logo is not None:
            files["brand/logo"] = logo
        return files


def uptime(status: Status, component: str, start: datetime, end: datetime) -> float:
    """The share of [start, end) that ``component`` was up, by the states the incidents put it in
    (as the day bars show them: :func:`status.components.spans`)."""
    from status.components import spans

    return _uptime(spans(status, start, end, end), component, start, end)


def _uptime(found: list[Span], component: str, start: datetime, end: datetime) -> float:
    from status.components import uptime as share

    return share(found, component, start, end)


def _percent(share: float) -> str:
    """``share`` as a percentage with two decimals, never rounded up to 100.00."""
    hundredths = int(share * 10000)  # floor: 99.999 % is 99.99, not 100.00
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _state(state: str) -> dict[str, str]:
    label, icon, css = COMPONENT_STATES.get(state, (state.replace("_", " "), "?", "minor"))
    return {"state": state, "label": label, "icon": icon, "css": css}


def _label(state: str) -> str:
    """A state in words: ``in_progress`` is "In progress"."""
    return state.replace("_", " ").capitalize()


# how a window's timeline names what the window said on its own, and a delay
_MAINTENANCE_LABELS = {"start": "In progress", "end": "Completed", "delayed": "Delayed", "changed": "Rescheduled"}


def _spans(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of quiet days as one segment (``width`` days wide, ``shown`` as a range): the bar
    stays 90 days long at a fraction of the markup; a day with events is always its own."""
    out: list[dict[str, Any]] = []
    for day in days:
        last = out[-1] if out else None
        if last is not None and not day["events"] and not last["events"] and last["css"] == day["css"]:
            last["width"] += 1
            last["shown"] = f"{last['first']} to {day['shown']}"
        else:
            out.append({**day, "width": 1, "first": day["shown"]})
    return out


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins or not minutes else ""]
    return " ".join(p for p in parts if p)


def _safe_url(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("https://", "http://"))


def safe_colour(colour: str) -> bool:
    """A colour written ``#rrggbb``: the only kind that goes into a stylesheet."""
    from campaigns.contrast import is_hex

    return is_hex(colour)


def accent(colour: str) -> str:
    """The brand's colour as the site shows it: a shade dark enough to read as link text on the
    white page (WCAG AA; ``herald validate`` warns when it had to darken it)."""
    from campaigns.contrast import readable

    return readable(colour) if safe_colour(colour) else DEFAULT_ACCENT


def brand_css(colour: str) -> str:
    """The brand's accent as a stylesheet (a file, so the CSP needs no inline styles)."""
    return f":root {{ --accent: {accent(colour)}; }}\n"


def favicon(colour: str) -> str:
    """The site's icon: a disc in the brand's colour (so no browser asks in vain for one)."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
            f'<circle cx="8" cy="8" r="7" fill="{accent(colour)}"/></svg>\n')


def logo_path(calendar_path: str, logo: str) -> str | None:
    """The logo file, only inside the calendar's folder and only an image type."""
    if not logo:
        return None
    folder = os.path.dirname(os.path.abspath(calendar_path))
    path = os.path.realpath(os.path.join(folder, logo))
    if not path.startswith(os.path.realpath(folder) + os.sep) or os.path.splitext(path)[1].lower() not in LOGO_TYPES:
        return None
    return path if os.path.isfile(path) else None
