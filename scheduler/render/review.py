"""The review room's pages (served behind a token by :mod:`scheduler.web.review`): a month, a
week or a day of every publication, what saving the calendar would change, and the sign-in form.

Rendered on the server in the brand's time zone (correct without JavaScript) from what the
caller read: the calendar and status files' versions, the ledger's rows, the query's window
and filters.  The month is a grid of seven columns (weeks from the brand's region's first day,
:mod:`.grid`), the week an hour-by-day table, each publication a chip (local time, network icon,
kind; flagged when over its budget, when the voice guide finds something, when it will be held)
that opens the day; on a phone both are a list of days.  The day shows each publication as its
network will show it (:mod:`.previews`): the rendered text (links with their UTM tags), the image
and its alt text, the thread, the length against the network's budget with the overflow marked,
what a network's version cuts of the main text, the voice guide's findings, and what the ledger
says (sent with a link to the remote post, held, skipped, dead, and why), or that an open major
incident will hold it; incidents and maintenance windows are overlaid on the days they touch.
"""

from __future__ import annotations

import heapq
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from campaigns.gcpause import paused_gc

from . import environment

if TYPE_CHECKING:
    from campaigns.model import Calendar, Post
    from campaigns.plan import Publication
    from status.model import Status

    from .site import SiteData

VIEWS = {"week": 7, "month": 0, "day": 1}  # a month's length depends on the month
FINDINGS_KEPT = 200_000  # the voice findings by text a calendar's pages remember (kept across saves)
DAY_FINDINGS_KEPT = 1_000_000  # the day rules' findings a calendar's pages remember (a few months of a big one)
DAY_PREVIEWS_PER_ACCOUNT = 50  # a day's page previews this many of each account's publications; the rest are a link
DIFF_DAYS = 28


@dataclass(frozen=True)
class Window:
    """The days a page shows: ``first`` to the day before ``following``."""

    view: str  # day, week or month
    first: date
    following: date

    @classmethod
    def around(cls, view: str, day: date) -> Window:
        """The seven days from ``day`` (the default week starts today), the month holding it, or the day."""
        if view in VIEWS and VIEWS[view]:
            return cls(view, day, day + timedelta(days=VIEWS[view]))
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
    refused: list[Any] = field(default_factory=list)  # why the engine refuses the file on disk (its problems)
    problems: dict[str, str] = field(default_factory=dict)  # files broken on disk: their first problem
    subscription: str = ""  # the calendar app's link
    folder: str = ""  # the calendar's folder: the only place a post's image file is shown from


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
    label: str = ""  # the account: its name, with its network's title when they differ
    icon: str = ""  # the network type whose icon it wears (generic for another package's)
    preview: dict[str, Any] | None = None  # how its network shows it (the day's page only)

    @property
    def held(self) -> bool:
        return bool(self.hold) or self.ledger == "held"


def publications(room: Room) -> list[Publication]:
    """The plan and the status announcements of the room's window, filtered, in time order."""
    from status.announce import announcements

    tz = room.calendar.brand.tz
    start = datetime.combine(room.window.first, time(0), tz)
    end = datetime.combine(room.window.following, time(0), tz)
    planned = _memo(room.calendar).plan(start, end)  # rows in order: (UTC instant as text, account, post, n, pub)
    announced = sorted((f"{p.at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}", p.network, p.post, -1 - n, p)
                       for n, p in enumerate(announcements(room.calendar, room.status, start, end, now=room.now)))
    keep = room.filters.keep  # (merged as the rows' text: a zone-aware timestamp per publication costs more)
    return [row[-1] for row in heapq.merge(planned, announced) if keep(row[-1])]


class _Memo:
    """What one calendar's pages share while its file does not change (the server checks a
    changed file again, which makes another calendar): the plans of the last few windows (a
    plan depends on the calendar and the window alone), the voice guide's findings by text, and
    the index of its posts by when they can occur (a month's page does not walk a year of
    one-off posts: :mod:`scheduler.engine.candidates`).  A calendar saved with a few posts
    changed (``earlier``: the last calendar's memo, when its brand, accounts and campaigns are
    the same) keeps the findings, and plans a window the last calendar planned from its rows:
    those of the unchanged posts kept, only the changed posts planned again."""

    WINDOWS = 3  # the plans kept: a planner goes back and forth between a few weeks or months

    def __init__(self, calendar: Calendar, earlier: _Memo | None = None):
        from ..engine.candidates import Candidates

        self.calendar = calendar
        self.index = Candidates(calendar)
        self.plans: dict[tuple[datetime, datetime], list[Any]] = {}
        self.findings: dict[tuple[Any, ...], list[Any]] = {}
        self.days: dict[tuple[str, datetime], list[Any]] = {}  # the day rules' findings, by text and instant
        self.lock = threading.Lock()  # the server's threads share it (two may plan one window: the same rows)
        self.earlier: _Memo | None = None
        if earlier is not None and _same_context(earlier.calendar, calendar):
            self.earlier, earlier.earlier = earlier, None  # (one calendar back, never a chain)
            self.findings, self.days = earlier.findings, earlier.days  # by text (and instant): the same checker's

    def plan(self, start: datetime, end: datetime) -> list[Any]:
        """The window's plan as :func:`campaigns.plan.plan_rows` gives it (in the plan's order)."""
        from campaigns.plan import plan_rows

        found = self.plans.get((start, end))
        if found is None:
            found = self.replanned(start, end)
            if found is None:
                found = plan_rows(self.index.within(start, end), start, end)
            with self.lock:
                while len(self.plans) >= self.WINDOWS:
                    self.plans.pop(next(iter(self.plans)))
                self.plans[start, end] = found
        return found

    def replanned(self, start: datetime, end: datetime) -> list[Any] | None:
        """The window's rows from the earlier calendar's plan of it: the rows of every post that is
        the same (or only moved to other lines of the file) kept, the changed and new posts planned
        (a post's rows depend on the post, the window, the brand, its accounts and its campaign
        alone); None when the earlier calendar did not plan this window."""
        from campaigns.plan import plan_rows

        earlier = self.earlier
        rows = earlier.plans.get((start, end)) if earlier is not None else None
        if rows is None or earlier is None:
            return None
        new = self.calendar
        changed = _changed_posts(earlier.calendar, new)
        if changed is None:
            return None
        if not changed:
            return rows
        again = plan_rows(replace(new, posts=tuple(p for p in new.posts if p.id in changed)), start, end)
        return list(heapq.merge((row for row in rows if row[2] not in changed), again))


def _changed_posts(old: Calendar, new: Calendar) -> set[str] | None:
    """The ids of the posts ``new`` changes, adds or removes (None when ids repeat: a valid calendar's do not)."""
    if len(new.posts) != len({p.id for p in new.posts}) or len(old.posts) != len({p.id for p in old.posts}):
        return None
    changed = {p.id for p in new.posts if not _same_post(old.post(p.id), p)}
    changed.update(p.id for p in old.posts if new.post(p.id) is None)
    return changed


def _same_context(old: Calendar, new: Calendar) -> bool:
    """Whether what a post's plan and findings read besides the post is the same in both calendars."""
    return old.brand == new.brand and old.networks == new.networks and old.campaigns == new.campaigns


def _same_post(old: Post | None, new: Post) -> bool:
    """Whether ``new`` plans as ``old`` does: the same post (an unchanged post's text is checked to
    the same object; a post whose text took in a comment line is built again, equal), or the same
    but for the lines it is written on."""
    from campaigns.recheck import moved

    if old is None or old is new:
        return old is new
    return old == new if old.line == new.line else moved(old, new.line - old.line) == new


_memos: list[_Memo] = []  # the last calendar's (one: drafts come and go)


def _memo(calendar: Calendar) -> _Memo:
    memo = _memos[0] if _memos and _memos[0].calendar is calendar else None
    if memo is None:
        memo = _Memo(calendar, _memos[0] if _memos else None)
        _memos[:] = [memo]
    return memo


def plan_page(room: Room, pubs: list[Publication], records: dict[str, Any]) -> str:
    """The month, week or day: ``pubs`` (from :func:`publications`) with the ledger's ``records`` by key."""
    from .grid import Links

    calendar, window = room.calendar, room.window
    cards = _cards(room, pubs, records)
    days = _days(room, cards)
    links = Links({k: v for k, v in room.filters.chosen(window.view).items() if k != "view"})
    return environment().get_template("review.html").render(
        title=f"{calendar.brand.name}: review", brand=calendar.brand, view=window.view, days=days,
        zone=calendar.brand.tz.key, first=window.first, last=window.following - timedelta(days=1), count=len(cards),
        over=sum(1 for c in cards if c.over), flagged=sum(1 for c in cards if c.findings),
        held=sum(1 for c in cards if c.held), pager=_pager(room), links=links,
        campaigns=sorted(calendar.campaigns), networks=list(calendar.networks),
        kinds=sorted({str(p.kind) for p in calendar.posts}), chosen=room.filters.chosen(window.view),
        refused=[_refused(p) for p in room.refused], problems=room.problems, subscription=room.subscription,
        icons=sorted({c.icon for c in cards} | {"generic"}), **_view(room, days, links, pubs),
    )


def _refused(problem: Any) -> str:
    """A reason the engine refuses the file, said as the error it is to the engine (the draft
    read calls it a warning only so that the room can still show the file)."""
    if isinstance(problem, str):
        return problem
    where = problem.path if not problem.line else f"{problem.path}:{problem.line}:{problem.col}"
    return f"{where}: error: {problem.message}" + (f" ({problem.hint})" if problem.hint else "")


def _view(room: Room, days: list[dict[str, Any]], links: Any, pubs: list[Publication]) -> dict[str, Any]:
    """What the month's grid, the week's table or the day's previews need."""
    from . import grid

    window = room.window
    if window.view == "month":
        week_start = grid.first_weekday(room.calendar.brand.language)
        return {"weekdays": grid.weekday_headers(week_start), "caption": f"{window.first:%B %Y}",
                "weeks": grid.month_weeks(window.first, window.following, week_start,
                                          {d["date"]: d for d in days}, links)}
    if window.view == "week":
        return {"rows": grid.week_rows(days, links), "daylist": grid.day_list(days, links)}
    shown, more = _capped(room, days[0]["cards"])
    _previews(room, shown, pubs)
    return {"hours": grid.hours_of(shown), "more": more, "more_cap": DAY_PREVIEWS_PER_ACCOUNT}


def _capped(room: Room, cards: list[Card]) -> tuple[list[Card], list[dict[str, Any]]]:
    """The day's cards the page previews (the first :data:`DAY_PREVIEWS_PER_ACCOUNT` of each account,
    in time order; all of them when the page shows one account), and for each account with more, how
    many more and the address of its day with all of them: a day of thousands of publications stays
    a page a browser opens."""
    if room.filters.network is not None:
        return cards, []
    counts: dict[str, int] = {}
    shown = []
    for card in cards:
        seen = counts[card.pub.network] = counts.get(card.pub.network, 0) + 1
        if seen <= DAY_PREVIEWS_PER_ACCOUNT:
            shown.append(card)
    labels = {card.pub.network: card.label for card in cards}
    query = room.filters.chosen("day")
    more = [{"label": labels[name], "count": count - DAY_PREVIEWS_PER_ACCOUNT,
             "link": "/review?" + urlencode({**query, "from": room.window.first.isoformat(), "network": name})}
            for name, count in counts.items() if count > DAY_PREVIEWS_PER_ACCOUNT]
    return shown, more


def _pager(room: Room) -> dict[str, str]:
    """The links to the period before and after, to today's, and to the day, week or month from the first day."""
    window = room.window
    step = {"week": timedelta(days=7), "day": timedelta(days=1)}.get(window.view, timedelta(days=31))
    base = room.filters.chosen(window.view)

    def link(**changes: Any) -> str:
        query = {**base, **{k: v for k, v in changes.items() if v is not None}}
        query = {k: v for k, v in query.items() if v != ""}
        return "/review" + (f"?{urlencode(query)}" if query else "")

    first = window.first.isoformat()
    return {"previous": link(**{"from": (window.first - step).isoformat()}),
            "following": link(**{"from": (window.first + step).isoformat()}), "today": link(),
            "day": link(view="day", **{"from": first}), "week": link(view="week", **{"from": first}),
            "month": link(view="month", **{"from": first})}


def _cards(room: Room, pubs: list[Publication], records: dict[str, Any]) -> list[Card]:
    """A card per publication; the voice guide checks each distinct calendar text once."""
    from campaigns.lint import checker_for
    from campaigns.model import STATUS_KINDS

    checker = checker_for(room.calendar)
    checked = _memo(room.calendar).findings  # by what is checked: the same texts on every page
    if len(checked) > FINDINGS_KEPT:
        checked.clear()  # (many saves' texts, or many months browsed: start again from this page's)
    days = _day_findings(room, pubs, checker)
    holding = any(not i.resolved for i in room.status.open_incidents())  # else nothing is held: not asked per card
    accounts = _accounts(pubs)
    cards = []
    with paused_gc():  # a card per publication, hundreds of thousands in a big month, and no cycle among them
        for pub in pubs:
            origin = "status" if pub.kind in STATUS_KINDS else "calendar"
            findings: list[Any] = []
            if origin == "calendar":
                key = (pub.text, str(pub.kind), pub.campaign)  # what the check below is given
                found = checked.get(key)  # (another thread may clear ``checked``: this card's are its own)
                if found is None:
                    camp = room.calendar.campaigns.get(pub.campaign) if pub.campaign else None
                    found = checked[key] = checker.check(pub.text, pub.kind,
                                                         campaign_utm=(camp.utm_campaign or camp.id) if camp else None)
                findings = found + days[pub.text, pub.at]
            card = _card(room, pub, origin, findings, records.get(pub.key), holding)
            card.label, card.icon = accounts[pub.network, pub.network_type]
            cards.append(card)
    return cards


def _day_findings(room: Room, pubs: list[Publication], checker: Any) -> dict[tuple[str, datetime], list[Any]]:
    """The day rules' findings of each calendar publication, by its text and instant (they depend on
    the day it goes out), remembered with the calendar's other findings.  Those not known yet are
    checked text by text: the rules' parse of a text is cached for a few thousand texts, and a month
    of a big calendar has tens of thousands, whose days, checked in time order, would each parse it
    again."""
    from campaigns.model import STATUS_KINDS

    known = _memo(room.calendar).days
    page: dict[tuple[str, datetime], list[Any]] = {}  # this page's: another thread may clear ``known``
    todo: dict[str, list[datetime]] = {}
    for pub in pubs:
        if pub.kind not in STATUS_KINDS:
            found = known.get((pub.text, pub.at))
            if found is None:
                todo.setdefault(pub.text, []).append(pub.at)
            else:
                page[pub.text, pub.at] = found
    tz = room.calendar.brand.tz
    for text, instants in todo.items():
        for at in instants:
            page[text, at] = checker.check_day(text, at.astimezone(tz))
    if len(known) + len(page) > DAY_FINDINGS_KEPT:
        known.clear()  # (a planner who browsed many months: start again from this page's)
    known.update(page)
    return page


def _accounts(pubs: list[Publication]) -> dict[tuple[str, str], tuple[str, str]]:
    """Each account's label and the icon it wears (:data:`ICONS`, else the generic one), once per account."""
    from campaigns.networks import NETWORK_TYPES

    from .previews import account_label

    return {(name, kind): (account_label(name, NETWORK_TYPES.get(kind)), kind if kind in ICONS else "generic")
            for name, kind in {(p.network, p.network_type) for p in pubs}}


def _days(room: Room, cards: list[Card]) -> list[dict[str, Any]]:
    """Each day of the window with its cards and the incidents and maintenance that touch it."""
    from status.maintenance import window_end, window_start

    from .grid import by_day

    tz, status, window = room.calendar.brand.tz, room.status, room.window
    cards_by_day = by_day(cards)
    today = room.now.astimezone(tz).date()
    days = []
    for n in range((window.following - window.first).days):
        day = window.first + timedelta(days=n)
        day_start = datetime.combine(day, time(0), tz)
        day_end = day_start + timedelta(days=1)
        days.append({
            "date": day, "label": f"{day:%a %-d %b}", "today": day == today, "past": day < today,
            "cards": cards_by_day.get(day, []),
            "incidents": [i for i in status.incidents if i.started < day_end and
                          (not i.resolved or i.updates[-1].at >= day_start)],
            "maintenance": [(m, f"{window_start(m).astimezone(tz):%H:%M}–{window_end(m).astimezone(tz):%H:%M}")
                            for m in status.maintenance if window_start(m) < day_end and window_end(m) > day_start],
        })
    return days


def _card(room: Room, pub: Publication, origin: str, findings: list[Any], record: Any, holding: bool) -> Card:
    calendar = room.calendar
    card = Card(pub, pub.at.astimezone(calendar.brand.tz), origin, pub.text, "", "", _over(pub), findings)
    if record is not None:
        card.ledger = str(record.state)
        card.why = record.last_error or ""
        card.remote_url = record.remote_url or ""
    elif holding and origin == "calendar" and pub.at >= room.now - timedelta(hours=1):
        card.hold = _hold(room, pub)
    return card


ICONS = frozenset({"site", "webhook", "x", "mastodon", "bluesky", "threads", "facebook", "instagram", "linkedin",
                   "pinterest", "slack", "discord", "teams", "telegram"})  # review_icons.html draws these


def _previews(room: Room, cards: list[Card], pubs: list[Publication]) -> None:
    """Each card of the day as its network will show it (:mod:`.previews`)."""
    from campaigns.networks import NETWORK_TYPES, URL_RE

    from . import previews

    texts = {p.key: p.text for p in pubs}
    calendar = room.calendar
    for card in cards:
        pub = card.pub
        card.fits, card.overflow, card.budget, card.over = _budget(pub)
        rules = NETWORK_TYPES.get(pub.network_type)
        account = calendar.networks.get(pub.network)
        look = previews.LOOKS.get(pub.network_type, previews.PLAIN)
        post = calendar.post(pub.post) if card.origin == "calendar" else None
        card.preview = {
            "layout": previews.layout(rules) if rules is not None else "post", "look": look,
            "handle": previews.handle(account, look),
            "counter": previews.counter(pub, rules) if rules is not None else None,
            "fold": previews.fold(pub.text, look) if not card.over else (pub.text, ""),
            "image": previews.image(post.image if post else None, rules, room.folder) if rules is not None else None,
            "thread": previews.thread(pub, rules, _root_text(room, pub, texts)),
            "changed": _changed(room, card, rules),
            "links": bool(URL_RE.search(pub.text)),
            "visibility": str(account.options.get("visibility") or "public") if account else "public",
            "cw": pub.content_warning,
        }
        sent = bool(card.preview["image"] and card.preview["image"].get("sent"))
        card.preview["link_card"] = previews.link_card(pub, post, rules, sent) if rules is not None else None


def _root_text(room: Room, pub: Publication, texts: dict[str, str]) -> str:
    """The text of the first post of ``pub``'s thread ("" when it is not a reply, or not found)."""
    from . import previews

    if not pub.thread_root:
        return ""
    if pub.thread_root in texts:
        return texts[pub.thread_root]
    incident = room.status.incident(pub.post)
    if incident is None:  # (a maintenance window's first post is on its own day's page)
        return ""
    first = replace(pub, at=incident.updates[0].at)
    return previews.status_texts(room.calendar, room.status, first, room.now).get(pub.thread_root, "")


def _changed(room: Room, card: Card, rules: Any) -> dict[str, Any] | None:
    """How this network's version differs from the post's main text, and what it cuts (None: it does not)."""
    from . import previews

    pub = card.pub
    if card.origin == "calendar":
        main = previews.main_text(room.calendar, pub)
        why = f"its own wording for {card.label} (per_network)"
    else:  # a status announcement is shortened only to fit a limit
        limit = rules.limit if rules is not None else None
        if limit is None or rules is None:
            return None
        main = previews.status_texts(room.calendar, room.status, pub, room.now).get(pub.key)
        why = f"shortened to fit {rules.title}'s {limit.maximum} {limit.unit}"
    if main is None or main == pub.text:
        return None
    return {"why": why, "main": main, **previews.word_diff(main, pub.text)}


def _over(pub: Publication) -> bool:
    """Whether the text is past its network's limit: the limit's cheap bound first (a chip needs
    only this; the exact length is measured for the day's previews, :func:`_budget`)."""
    from campaigns.networks import NETWORK_TYPES

    limit = NETWORK_TYPES[pub.network_type].limit if pub.limit is not None else None
    if limit is None:
        return False
    if not pub.content_warning and limit.bound is not None and limit.bound(pub.text) <= limit.maximum:
        return False
    return limit.measure(pub.text, pub.content_warning) > limit.maximum


def _budget(pub: Publication) -> tuple[str, str, str, bool]:
    """The text that fits, what goes past the network's limit, the length said, and whether it is over."""
    length = pub.length if pub.limit is not None else None
    text = pub.text
    if length is not None and pub.limit is not None and length > pub.limit:
        excess = length - pub.limit
        cut = max(0, len(text) - excess)  # weighted lengths differ from characters: an honest marker
        return text[:cut], text[cut:], f"{length:,}/{pub.limit:,} ({excess:,} over)", True
    return text, "", f"{length:,}/{pub.limit:,}" if length is not None else f"{len(text):,} characters", False


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
