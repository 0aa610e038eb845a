"""The review room's pages (served behind a token by :mod:`scheduler.web.review`): a week or a
month of every publication as it will look, what saving the calendar would change, and the
sign-in form.

Rendered on the server in the brand's time zone (correct without JavaScript) from what the
caller read: the calendar and status files' versions, the ledger's rows, the query's window
and filters.  Each publication shows its time, network, post, kind, campaign, variant *n/m*,
the rendered text (links with their UTM tags), image and alt text, thread position, its length
against the network's budget with the overflow marked, the voice guide's findings, and what
the ledger says (sent with a link to the remote post, held, skipped, dead, and why), or that
an open major incident will hold it; incidents and maintenance windows are overlaid on the
days they touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import environment

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from campaigns.plan import Publication
    from status.model import Status

    from .site import SiteData

VIEWS = {"week": 7, "month": 0}  # a month's length depends on the month
DIFF_DAYS = 28


@dataclass(frozen=True)
class Window:
    """The days a page shows: ``first`` to the day before ``following``."""

    view: str  # week or month
    first: date
    following: date

    @classmethod
    def around(cls, view: str, day: date) -> Window:
        """The week (from Monday) or the month holding ``day``."""
        if view == "week":
            first = day - timedelta(days=day.weekday())
            return cls(view, first, first + timedelta(days=7))
        first = day.replace(day=1)
        return cls(view, first, (first + timedelta(days=32)).replace(day=1))


@dataclass(frozen=True)
class Filters:
    """The query's campaign, network and kind (None: all)."""

    campaign: str | None = None
    network: str | None = None
    kind: str | None = None

    def keep(self, pub: Publication) -> bool:
        return ((self.campaign is None or pub.campaign == self.campaign)
                and (self.network is None or pub.network == self.network)
                and (self.kind is None or str(pub.kind) == self.kind))

    def chosen(self, view: str) -> dict[str, str]:
        """The query's values that narrow the page (the links keep them)."""
        pairs = (("view", view), ("campaign", self.campaign), ("network", self.network), ("kind", self.kind))
        return {k: v for k, v in pairs if v}


@dataclass
class Room:
    """What the plan page shows, as the caller read it."""

    calendar: Calendar
    status: Status
    now: datetime
    window: Window
    filters: Filters
    refused: list[str] = field(default_factory=list)  # why the engine refuses the file on disk
    problems: dict[str, str] = field(default_factory=dict)  # files broken on disk: their first problem
    subscription: str = ""  # the calendar app's link


@dataclass
class Card:
    """One publication as the review room shows it."""

    pub: Publication
    local: datetime
    origin: str  # calendar or status
    fits: str  # the text up to the budget
    overflow: str  # what goes past it (marked)
    budget: str  # "144/280 characters", or "212 characters" where there is no limit
    over: bool
    findings: list[Any] = field(default_factory=list)
    ledger: str = ""  # sent, held, skipped, dead, retrying, claimed; "" when not yet due
    why: str = ""
    remote_url: str = ""
    hold: str = ""  # an open incident that will hold it
    image: dict[str, str] | None = None
    thread: str = ""


def publications(room: Room) -> list[Publication]:
    """The plan and the status announcements of the room's window, filtered, in time order."""
    from campaigns.plan import plan
    from status.announce import announcements

    tz = room.calendar.brand.tz
    start = datetime.combine(room.window.first, time(0), tz)
    end = datetime.combine(room.window.following, time(0), tz)
    pubs = sorted([*plan(room.calendar, start, end),
                   *announcements(room.calendar, room.status, start, end, now=room.now)],
                  key=lambda p: (p.at.timestamp(), p.network, p.post))
    return [p for p in pubs if room.filters.keep(p)]


def plan_page(room: Room, pubs: list[Publication], records: dict[str, Any]) -> str:
    """The week or month: ``pubs`` (from :func:`publications`) with the ledger's ``records`` by key."""
    calendar, window = room.calendar, room.window
    cards = _cards(room, pubs, records)
    return environment().get_template("review.html").render(
        title=f"{calendar.brand.name}: review", brand=calendar.brand, view=window.view, days=_days(room, cards),
        zone=calendar.brand.tz.key, first=window.first, last=window.following - timedelta(days=1), count=len(cards),
        over=sum(1 for c in cards if c.over), flagged=sum(1 for c in cards if c.findings),
        held=sum(1 for c in cards if c.hold or c.ledger == "held"), **_pager(room),
        campaigns=sorted(calendar.campaigns), networks=list(calendar.networks),
        kinds=sorted({str(p.kind) for p in calendar.posts}), chosen=room.filters.chosen(window.view),
        refused=room.refused, problems=room.problems, subscription=room.subscription,
    )


def _pager(room: Room) -> dict[str, str]:
    """The links to the period before and after, and to the week or month from the first day."""
    window = room.window
    step = timedelta(days=7) if window.view == "week" else timedelta(days=31)
    base = room.filters.chosen(window.view)

    def link(**changes: Any) -> str:
        query = {**base, **{k: v for k, v in changes.items() if v is not None}}
        query = {k: v for k, v in query.items() if v != ""}
        return "/review" + (f"?{urlencode(query)}" if query else "")

    first = window.first.isoformat()
    return {"previous": link(**{"from": (window.first - step).isoformat()}),
            "following": link(**{"from": (window.first + step).isoformat()}),
            "week": link(view="week", **{"from": first}), "month": link(view="month", **{"from": first})}


def _cards(room: Room, pubs: list[Publication], records: dict[str, Any]) -> list[Card]:
    """A card per publication; the voice guide checks each distinct calendar text once."""
    from campaigns.lint import checker_for
    from campaigns.model import STATUS_KINDS

    checker = checker_for(room.calendar)
    checked: dict[tuple[str, str], list[Any]] = {}
    cards = []
    for pub in pubs:
        origin = "status" if pub.kind in STATUS_KINDS else "calendar"
        findings: list[Any] = []
        if origin == "calendar":
            key = (pub.text, str(pub.kind))
            if key not in checked:
                camp = room.calendar.campaigns.get(pub.campaign) if pub.campaign else None
                checked[key] = checker.check(pub.text, pub.kind,
                                             campaign_utm=(camp.utm_campaign or camp.id) if camp else None)
            findings = checked[key]
        cards.append(_card(room, pub, origin, findings, records.get(pub.key)))
    return cards


def _days(room: Room, cards: list[Card]) -> list[dict[str, Any]]:
    """Each day of the window with its cards and the incidents and maintenance that touch it."""
    tz, status, window = room.calendar.brand.tz, room.status, room.window
    days = []
    for n in range((window.following - window.first).days):
        day = window.first + timedelta(days=n)
        day_start = datetime.combine(day, time(0), tz)
        day_end = day_start + timedelta(days=1)
        days.append({
            "date": day, "label": f"{day:%a %-d %b}", "today": day == room.now.astimezone(tz).date(),
            "cards": [c for c in cards if c.local.date() == day],
            "incidents": [i for i in status.incidents if i.started < day_end and
                          (not i.resolved or i.updates[-1].at >= day_start)],
            "maintenance": [(m, f"{m.starts.astimezone(tz):%H:%M}–{m.ends.astimezone(tz):%H:%M}")
                            for m in status.maintenance if m.starts < day_end and m.ends > day_start],
        })
    return days


def _card(room: Room, pub: Publication, origin: str, findings: list[Any], record: Any) -> Card:
    calendar = room.calendar
    fits, overflow, budget, over = _budget(pub)
    card = Card(pub, pub.at.astimezone(calendar.brand.tz), origin, fits, overflow, budget, over, findings)
    if record is not None:
        card.ledger = str(record.state)
        card.why = record.last_error or ""
        card.remote_url = record.remote_url or ""
    elif origin == "calendar" and pub.at >= room.now - timedelta(hours=1):
        card.hold = _hold(room, pub)
    post = calendar.post(pub.post) if origin == "calendar" else None
    if post is not None and post.image:
        card.image = post.image
    if pub.thread_root:
        account = calendar.networks.get(pub.network)
        card.thread = ("a reply in the thread of the first post" if account is None or account.rules.threads
                       else "a separate post that links to the first post")
    elif origin == "status" and pub.incident_state:
        card.thread = "starts the thread"
    return card


def _budget(pub: Publication) -> tuple[str, str, str, bool]:
    """The text that fits, what goes past the network's limit, the length said, and whether it is over."""
    length = pub.length if pub.limit is not None else None
    text = pub.text
    if length is not None and pub.limit is not None and length > pub.limit:
        excess = length - pub.limit
        cut = max(0, len(text) - excess)  # weighted lengths differ from characters: an honest marker
        return text[:cut], text[cut:], f"{length}/{pub.limit} ({excess} over)", True
    return text, "", f"{length}/{pub.limit}" if length is not None else f"{len(text)} characters", False


def _hold(room: Room, pub: Publication) -> str:
    """Why an open incident will hold this calendar post ("" if none will)."""
    from status.announce import holding_incident

    post = room.calendar.post(pub.post)
    components = tuple(post.components) if post is not None and hasattr(post, "components") else ()
    incident = holding_incident(room.calendar, room.status, str(pub.kind), components, max(room.now, pub.at))
    if incident is not None and not incident.resolved:
        return f"held while {incident.title} ({incident.impact}) is open"
    return ""


# -- what a save would change, or a revision ------------------------------------------------------
@dataclass
class Diff:
    """The file on disk against the calendar the engine runs, or against a git revision of it
    (``base``), as the caller read them."""

    path: str
    now: datetime
    disk: Calendar | None  # the file on disk, when it loads without errors (as a draft)
    errors: list[str]  # why it does not
    running: Calendar | None  # the other side: the engine's (from the ledger), or the base revision's
    digest: str  # the running calendar's digest, or why it is unreadable
    shown: Calendar | None  # whose brand the page wears (None: nothing loads at all)
    base: str = ""  # the git revision compared with, as named (REV:PATH); "" for the running calendar
    base_errors: list[str] = field(default_factory=list)  # why the base revision does not load
    windows: list[Any] = field(default_factory=list)  # the announced maintenance windows (calendardiff.Window)


def diff_page(diff: Diff) -> str:
    """The publications of the next :data:`DIFF_DAYS` days the file on disk adds, removes, moves or
    rewords against the other side, by day, and what it makes worse: the model and the words of
    ``herald diff`` (:mod:`campaigns.calendardiff`)."""
    from campaigns.diffreport import flag_lists, visible

    brand = diff.shown.brand if diff.shown is not None else None
    tz = brand.tz if brand is not None else UTC
    model = compare_sides(diff)
    return environment().get_template("review_diff.html").render(
        title=f"{brand.name if brand else 'Herald'}: " + (f"against {diff.base}" if diff.base else
                                                          "what a save would change"),
        brand={"name": brand.name if brand else "Herald"}, zone=getattr(tz, "key", "UTC"), days=DIFF_DAYS,
        errors=diff.errors, base_errors=diff.base_errors, running=diff.running is not None, digest=diff.digest,
        path=diff.path, base=diff.base, base_rev=diff.base.partition(":")[0], model=model,
        counts=model.counts() if model is not None else {}, visible=visible,
        when=lambda at, day=True: f"{at.astimezone(tz):%a %-d %b %H:%M}" if day else f"{at.astimezone(tz):%H:%M}",
        flags=flag_lists(model) if model is not None else [],
    )


def compare_sides(diff: Diff) -> Any:
    """The diff of the two sides over the next :data:`DIFF_DAYS` days (None when the file on disk
    or a base revision does not load)."""
    from campaigns.calendardiff import Side, compare, side

    if diff.disk is None or diff.base_errors:
        return None
    start, end = diff.now, diff.now + timedelta(days=DIFF_DAYS)
    after = side(diff.disk, start, end, diff.path, check=False)
    before = (side(diff.running, start, end, diff.base or "the running calendar") if diff.running is not None
              else Side(diff.base or "nothing yet", start, end, diff.disk.brand.timezone, [], []))
    return compare(before, after, diff.disk, diff.windows)


def login_page(message: str, csrf: str, next_path: str) -> str:
    """The sign-in form: the token typed in (never taken from an address), with its CSRF token."""
    return environment().get_template("review_login.html").render(message=message, csrf=csrf, next=next_path)


def status_page(data: SiteData, pauses: list[Any]) -> str:
    """The ops side of the status site: per incident (drafts too), which network got which post of
    each update (with links, and why one failed), what was held or skipped during it and why, the
    alert that opened it; per maintenance window, its announcements; the pauses in force.  None
    of it is on a public page."""
    from .site import Renderer

    renderer = Renderer(data)
    status = data.status
    return environment().get_template("review_status.html").render(
        title=f"Status deliveries · {renderer.brand.name}", brand=renderer.brand, zone=renderer.brand.timezone,
        incidents=[renderer.ops_incident(i) for i in sorted(status.incidents, key=lambda i: i.started, reverse=True)],
        maintenance=[renderer.ops_maintenance(m) for m in sorted(status.maintenance, key=lambda m: m.starts,
                                                                  reverse=True)],
        pauses=[{"network": p.network or "every account", "reason": p.reason, **renderer.when(p.created_at),
                 "until": renderer.when(p.until) if p.until else None} for p in pauses])
