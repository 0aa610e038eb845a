"""iCalendar (RFC 5545) export of the plan, for review in any calendar app.

One VEVENT per post and network account, recurring with RRULE/EXDATE where the post
recurs, so a subscribed calendar shows a series per post and a re-export updates it
in place (stable UIDs) instead of adding copies.  The series is re-anchored to the
export window: DTSTART is the first occurrence in the window and UNTIL the last, so
a client expands it to exactly the occurrences ``herald plan`` prints for that window.
That equality is checked here, not assumed: whatever the rule would add beyond the
plan becomes an EXDATE, whatever it would miss an RDATE.

Occurrences whose wall-clock time falls in a DST gap or fold are *pinned*: excluded
from the series and written as their own event at the exact UTC instant Herald will
post at, because clients disagree about such times (RFC 5545 §3.3.5 says a gap time
takes the offset from before the gap and a fold time its first instant; Thunderbird's
ical.js, for one, does otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrulestr
from icalendar import Calendar as VCalendar
from icalendar import Component, Event, vRecur

from .gcpause import paused_gc
from .model import Calendar, Post
from .plan import Occurrence, is_southern, occurrences, publication_key
from .render import finish, render_values
from .templates import occurrence_values

EVENT_LENGTH = timedelta(minutes=15)
PRODID = "-//Herald//Content calendar//EN"


def _uid(calendar: Calendar, post: Post, account: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in calendar.brand.name.lower()).strip("-") or "brand"
    return f"{post.id}.{account}@{slug}.herald"


def export(calendar: Calendar, start: datetime, end: datetime, now: datetime) -> VCalendar:
    """The calendar's publications in [start, end) as a VCALENDAR; ``now`` stamps it (DTSTAMP)."""
    with paused_gc():
        return _export(calendar, start, end, now)


def to_ical(calendar: Calendar, start: datetime, end: datetime, now: datetime) -> bytes:
    """The export serialised, as served and written (icalendar's serialiser dominates the time)."""
    with paused_gc():
        return bytes(export(calendar, start, end, now).to_ical())


def _export(calendar: Calendar, start: datetime, end: datetime, now: datetime) -> VCalendar:
    brand = calendar.brand
    cal = VCalendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{brand.name}: planned posts")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    events = _Events(calendar, now.astimezone(UTC))
    for post in calendar.posts:
        occs = list(occurrences(post, start, end)) if post.enabled else []
        for name in post.networks if occs else ():
            if name in post.texts and calendar.networks[name].enabled:
                for event in events.of(post, name, occs):
                    cal.add_component(event)
    if any(c.name == "VEVENT" for c in cal.subcomponents):
        add_timezones(cal, start, end)
    return cal


class _Events:
    """The events of one post on one account: one series for its regular occurrences (with
    RRULE/RDATE/EXDATE), one event for each pinned one."""

    def __init__(self, calendar: Calendar, stamp: datetime):
        self.calendar = calendar
        self.stamp = stamp
        self.southern = is_southern(calendar.brand.timezone)

    def of(self, post: Post, name: str, occs: list[Occurrence]) -> Iterator[Event]:
        regular = [o for o in occs if not o.note]
        pinned = [o for o in occs if o.note]
        if regular:
            event = self._event(post, name, regular[0])
            event.add("uid", _uid(self.calendar, post, name))
            event.add("dtstamp", self.stamp)
            event.add("dtstart", regular[0].at)
            event.add("dtend", regular[0].at + EVENT_LENGTH)
            if post.recurring and (len(regular) > 1 or pinned):
                _add_recurrence(event, post, regular, [o.local for o in pinned])
            yield event
        for occ in pinned:
            event = self._event(post, name, occ)
            event.add("uid", f"{publication_key(post.source, occ.at, name)}@herald")
            event.add("dtstamp", self.stamp)
            event.add("dtstart", occ.at.astimezone(UTC))
            event.add("dtend", occ.at.astimezone(UTC) + EVENT_LENGTH)
            event["description"] = f"{event['description']}\n\nPinned: {occ.note}."
            yield event

    def _event(self, post: Post, name: str, occ: Occurrence) -> Event:
        """The event's common part, its texts rendered for ``occ`` (date fields vary)."""
        calendar = self.calendar
        brand = calendar.brand
        campaign = calendar.campaigns.get(post.campaign) if post.campaign else None
        account = calendar.networks[name]
        values = render_values(brand, occurrence_values(occ.local, self.southern))
        rendered = [finish(t.render(values), brand, campaign, account) for t in post.texts[name]]
        return _base_event(calendar, post, name, rendered, occ, campaign.title if campaign else "")


def add_timezones(cal: VCalendar, start: datetime, end: datetime) -> None:
    """A VTIMEZONE for every zone the events name, covering [start, end), in the one-transition-
    per-observance form every client reads; call again after adding events (idempotent)."""
    cal.add_missing_timezones(first_date=(start - timedelta(days=1)).date(),
                              last_date=(end + timedelta(days=1)).date())
    for vtimezone in cal.walk("VTIMEZONE"):
        _one_transition_per_observance(vtimezone)


def _one_transition_per_observance(vtimezone: Component) -> None:
    """Rewrite observances that list later transitions as RDATEs into one observance each.

    Both forms are valid RFC 5545, but Thunderbird's ical.js ignores such RDATEs and
    would show every event after the second transition an hour off (the tests expand
    exports with ical.js itself)."""
    observances: list[Component] = []
    for observance in vtimezone.subcomponents:
        rdates = observance.pop("RDATE", None)
        observances.append(observance)
        for prop in rdates if isinstance(rdates, list) else [rdates] if rdates else []:
            for period in prop.dts:
                copy = observance.copy()
                copy.pop("DTSTART")
                copy.add("dtstart", period.dt)
                observances.append(copy)
    observances.sort(key=lambda o: o.decoded("dtstart"))
    vtimezone.subcomponents = observances


def _base_event(calendar: Calendar, post: Post, account: str, rendered: list[str],
                first: Occurrence, campaign_title: str) -> Event:
    network = calendar.networks[account]
    headline = rendered[first.index % len(rendered)].splitlines()[0] if rendered else ""
    if len(headline) > 60:
        headline = headline[:59] + "…"
    lines = [f"Post: {post.id} ({post.kind})", f"Network: {account} ({network.rules.title})"]
    if post.campaign:
        lines.append(f"Campaign: {campaign_title or post.campaign}")
    if post.recurring:
        lines.append(f"Repeats: {post.series.rule_text}")
    if len(rendered) > 1:
        first_variant = first.index % len(rendered) + 1
        lines.append(f"Variants rotate in order; this occurrence uses variant {first_variant}.")
    for number, text in enumerate(rendered, 1):
        label = f"Variant {number}" if len(rendered) > 1 else "Text"
        lines += ["", f"{label}:", text]
    event = Event()
    event.add("summary", f"[{account}] {headline}")
    event.add("description", "\n".join(lines))
    event.add("categories", [post.kind, network.type] + ([post.campaign] if post.campaign else []))
    event.add("transp", "TRANSPARENT")
    event.add("x-herald-post", post.id)
    event.add("x-herald-network", account)
    return event


def _add_recurrence(event: Event, post: Post, regular: list[Occurrence], pinned: list[datetime]) -> None:
    """RRULE from the first to the last regular occurrence, with EXDATE/RDATE making its
    expansion equal to ``regular`` exactly."""
    series = post.series
    tz = series.tz
    rule = vRecur.from_ical(series.rule_text)
    for part in ("COUNT", "UNTIL"):
        rule.pop(part, None)
    last_local = max([o.local for o in regular] + pinned)
    rule["UNTIL"] = [last_local.replace(tzinfo=tz).astimezone(UTC)]
    event.add("rrule", rule)
    # What a client gets from this rule, expanded the RFC 5545 way on wall-clock times:
    anchor = regular[0].local
    body = vRecur(rule).to_ical().decode().replace(
        rule["UNTIL"][0].strftime("%Y%m%dT%H%M%SZ"), last_local.strftime("%Y%m%dT%H%M%S"))
    produced = set(rrulestr(body, dtstart=anchor, cache=False))
    wanted = {o.local for o in regular}
    extra = sorted(produced - wanted)
    missing = sorted(wanted - produced)
    if extra:
        event.add("exdate", [d.replace(tzinfo=tz) for d in extra])
    if missing:
        event.add("rdate", [d.replace(tzinfo=tz) for d in missing])
