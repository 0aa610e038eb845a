"""``herald lint``: every publication in a window, checked against the brand's voice guide.

What is checked, and where each finding points:

- every calendar publication the plan has in the window (each post, variant and network,
  rendered for its occurrence): the text rules of :mod:`campaigns.voice`, at the line
  and column of the template (variant) that produced it;
- repetition: the same or nearly the same text on the same account within the guide's
  window (``duplicate``, ``near-duplicate``), with both posts and their dates; the
  pairs come from :class:`campaigns.similarity.RecentIndex`, never from comparing all;
- countdowns that go out after their event (``event-past``);
- texts that name a day that is not the day they go out, in the brand's zone, or contradict
  the brand's declared opening hours and closures (``wrong-day``, ``after-midnight``,
  ``closed-day``, ``opening-hours``: :mod:`campaigns.days`), once per template and rule;
- the status templates (built-in and the brand's), rendered for a sample incident, so a
  template that drops the apology or the next update is caught before any outage.

The ops team's messages in ``status.yaml`` are checked by :mod:`status.lint`, which builds
on this module (the content model knows nothing of the status file).

Findings are :class:`~campaigns.errors.Problem` values with the rule id in front of the
message (``FILE:LINE:COL: rule: message (suggestion)``), deduplicated: a template that
goes out fifty times is reported once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from .errors import Problem
from .model import STATUS_KINDS, Calendar
from .networks import NETWORK_TYPES
from .plan import Publication, plan
from .similarity import (
    EXACT_UP_TO,
    RecentExact,
    RecentIndex,
    jaccard,
    normalize,
    rank_prefixes,
    shingles,
    shingles_of_normal,
)
from .status_templates import DEFAULT_TEMPLATES, TEMPLATE_FIELDS
from .templates import OCCURRENCE_FIELDS, Template, compile_template, event_day
from .voice import Finding, VoiceChecker

DEFAULT_DAYS = 28


@dataclass
class LintReport:
    problems: list[Problem] = field(default_factory=list)
    publications: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def zone_names(calendar: Calendar) -> tuple[str, ...]:
    tz = calendar.brand.tz
    return tuple({datetime(2026, m, 15, 12, tzinfo=tz).tzname() or "" for m in (1, 7)})


def checker_for(calendar: Calendar, urls: Iterable[str] = ()) -> VoiceChecker:
    """The brand's guide compiled, with the hosts of ``urls`` (the status page's, the feeds')
    and of the brand's links allowed in links."""
    hosts = set(calendar.brand.hosts)
    hosts.update((urlsplit(u).hostname or "").lower() for u in (*urls, *calendar.brand.links.values()) if u)
    return VoiceChecker(calendar.brand.voice, frozenset(h for h in hosts if h), calendar.brand.name,
                        zone_names(calendar), calendar.brand.hours)


class Collector:
    """Findings as problems, each reported once (a template that goes out fifty times, once)."""

    def __init__(self) -> None:
        self.problems: dict[tuple[object, ...], Problem] = {}

    def add(self, path: str, line: int, col: int, finding: Finding, key: tuple[object, ...] | None = None,
            posts: tuple[str, ...] = ()) -> None:
        problem = Problem(path, line, col, f"{finding.rule}: {finding.message}", finding.suggestion, finding.severity,
                          posts=posts)
        self.problems.setdefault(key or (path, line, col, finding.rule, finding.message), problem)

    def report(self, publications: int) -> LintReport:
        problems = sorted(self.problems.values(), key=lambda p: (p.path, p.line, p.col, p.message))
        return LintReport(problems, publications)


# The repetition check of some accounts found elsewhere (see :func:`lint`): given the work (a function
# returning that check's findings, as Collector entries), another process starts on it; what it
# returns is called for the findings once this process is done with its own share, and gives None if
# that process failed (then its share is checked here).
Found = list[tuple[tuple[object, ...], Problem]]
Elsewhere = Callable[[Callable[[], Found], list[str]], Callable[[], "Found | None"]]


def lint(calendar: Calendar, start: datetime, end: datetime, checker: VoiceChecker | None = None, *,
         out: Collector | None = None, affected: str = "Checkout", status_page: str = "",
         elsewhere: Elsewhere | None = None, planned: list[Publication] | None = None,
         repeats: bool = True) -> LintReport:
    """Every finding for the calendar's publications in [start, end) and its status templates
    (rendered for a sample incident affecting ``affected``).  :func:`status.lint.lint` adds
    the status file's messages.  ``planned``: the calendar's plan of that window, when the
    caller has it already; ``repeats=False``: without the repetition check (``herald diff``
    checks repetition only where a change is: :mod:`campaigns.diffvoice`).

    With ``elsewhere``, another process (forked once the window is planned) checks the repetition
    on the second of the accounts' :func:`shares` while this one does the rest; if it fails, its
    share is checked here.  The findings are the same either way."""
    checker = checker or checker_for(calendar)
    out = out or Collector()
    publications = planned if planned is not None else plan(calendar, start, end)
    theirs: list[str] = []
    mine: list[str] | None = None
    pending = None
    if elsewhere is not None:
        mine, theirs = shares(publications)
        if theirs and repeats:
            pending = elsewhere(lambda: repeats_found(calendar, publications, checker, theirs), theirs)
    _texts(calendar, publications, checker, out)
    if repeats:
        repetition(calendar, publications, checker, out, mine)
    if theirs and repeats:
        found = pending() if pending is not None else None
        if found is None:
            repetition(calendar, publications, checker, out, theirs)
        else:
            out.problems.update(found)  # (their keys name their accounts: none is one of this process's)
    check_status_templates(calendar, checker, out, affected, status_page)
    return out.report(len(publications))


def repeats_found(calendar: Calendar, publications: list[Publication], checker: VoiceChecker,
                  accounts: Collection[str]) -> Found:
    """The findings of the repetition check of ``accounts`` alone, as a :class:`Collector` holds them."""
    out = Collector()
    repetition(calendar, publications, checker, out, accounts)
    return list(out.problems.items())


def _template_of(calendar: Calendar, pub: Publication) -> Template | None:
    post = calendar.post(pub.post)
    if post is None or pub.network not in post.texts:
        return None
    templates = post.texts[pub.network]
    return templates[pub.variant - 1] if 0 < pub.variant <= len(templates) else None


def check_texts(calendar: Calendar, publications: list[Publication], checker: VoiceChecker, out: Collector) -> None:
    """The text rules (and countdowns) of :mod:`campaigns.voice` on ``publications``, into ``out``."""
    _texts(calendar, publications, checker, out)


def repeat_reporter(calendar: Calendar, checker: VoiceChecker,
                    out: Collector) -> Callable[[Publication, Publication, float], None]:
    """What :func:`repetition` reports a repeat with: ``report(later, earlier, score)`` (score 1.0
    for word for word) adds its ``duplicate`` or ``near-duplicate`` finding to ``out``, once per
    pair of templates on an account."""
    return _Repeats(calendar, checker, out)


def _texts(calendar: Calendar, publications: list[Publication], checker: VoiceChecker, out: Collector) -> None:
    cache: dict[tuple[str, str, str | None], list[Finding]] = {}
    events = calendar.brand.events
    for pub in publications:
        template = _template_of(calendar, pub)
        if template is None:
            continue
        campaign = calendar.campaigns.get(pub.campaign) if pub.campaign else None
        utm = (campaign.utm_campaign or campaign.id) if campaign else None
        key = (pub.text, pub.kind, utm)
        findings = cache.get(key)
        if findings is None:
            findings = cache[key] = checker.check(pub.text, pub.kind, campaign_utm=utm)
        for finding in findings:
            out.add(calendar.path, template.line, template.col, finding, posts=(pub.post,))
        _days(calendar, pub, template, checker, out)
        if events:
            _countdowns(calendar, pub, template, checker, out)


def _days(calendar: Calendar, pub: Publication, template: Template, checker: VoiceChecker, out: Collector) -> None:
    """The day rules for the publication's text at the moment it goes out, in the brand's zone;
    each rule reported once per template, at its first occurrence in the window."""
    tz = calendar.brand.tz
    for finding in checker.check_day(pub.text, pub.at.astimezone(tz)):
        own = getattr(pub.at.tzinfo, "key", tz.key)
        if finding.rule == "wrong-day" and own != tz.key and any(f in OCCURRENCE_FIELDS for f in template.fields):
            finding = replace(finding, suggestion=f"{finding.suggestion}; its {{weekday}}, {{date}}… are those of "
                                                  f"its own timezone, {own}, not the brand's")
        out.add(calendar.path, template.line, template.col, finding,
                key=(finding.rule, calendar.path, template.line, template.col), posts=(pub.post,))


def _countdowns(calendar: Calendar, pub: Publication, template: Template, checker: VoiceChecker,
                out: Collector) -> None:
    day = pub.at.astimezone(calendar.brand.tz).date()
    for name in template.fields:
        if name.startswith(("days_until.", "countdown.")):
            event = name.split(".", 1)[1]
            when = event_day(calendar.brand.events[event], day)
            if when < day:
                found = checker.finding("event-past", f"post {pub.post!r} counts down to {event} ({when}) but goes "
                                                       f"out on {day}, after it",
                                         f"end the post by then: ends: {when.isoformat()}")
                if found:
                    out.add(calendar.path, template.line, template.col, found,
                            key=("event-past", pub.post, template.line, template.col), posts=(pub.post,))


def _when(at: datetime, calendar: Calendar) -> str:
    return f"{at.astimezone(calendar.brand.tz):%Y-%m-%d %H:%M}"


def repetition(calendar: Calendar, publications: list[Publication], checker: VoiceChecker, out: Collector,
               accounts: Collection[str] | None = None, *,
               report: Callable[[Publication, Publication, float], None] | None = None) -> None:
    """The repeats (``duplicate``, ``near-duplicate``) among the publications, on each account
    (of ``accounts``, when given: the accounts' checks are independent, see :func:`shares`);
    ``report``: what each repeat is handed to instead of :func:`repeat_reporter`'s wording."""
    voice = checker.voice
    by_account: dict[str, dict[str, list[Publication]]] = defaultdict(lambda: defaultdict(list))
    normal: dict[str, str] = {}  # (accounts post the same texts)
    for pub in publications:
        if pub.kind not in STATUS_KINDS and (accounts is None or pub.network in accounts):
            text = normal.get(pub.text)
            if text is None:
                text = normal[pub.text] = normalize(pub.text)
            by_account[pub.network][text].append(pub)  # in time order: the plan is
    report = report or _Repeats(calendar, checker, out)
    for groups in by_account.values():  # the same text again within the window
        for pubs in groups.values():
            for earlier, later in zip(pubs, pubs[1:], strict=False):
                if later.at - earlier.at <= voice.window:
                    report(later, earlier, 1.0)
    if voice.severity("near-duplicate") != "off":
        _near_repeats(list(by_account.values()), voice.similarity, voice.window, report)


def _near_repeats(accounts: list[dict[str, list[Publication]]], threshold: float, window: timedelta,
                  report: Callable[[Publication, Publication, float], None]) -> None:
    """Nearly the same text within the window: each post against the recent ones like it.  Accounts
    post the same texts (link parameters aside): the texts are numbered once, and their shingles,
    index prefixes, pair scores and the pairs found alike are shared by every account."""
    ids: dict[str, int] = {}
    for groups in accounts:
        for text in groups:
            ids.setdefault(text, len(ids))
    sets = [shingles_of_normal(text) for text in ids]
    scores: dict[int, float] = {}
    alike_pairs: dict[int, list[int]] = {}
    prefixes: list[list[int]] | None = None
    for groups in accounts:
        # at one instant, the account's texts in the order they first appear (as the plan has them)
        order = {text: n for n, text in enumerate(groups)}
        timeline = sorted(((p.at, order[t], ids[t], p) for t, pubs in groups.items() for p in pubs),
                          key=lambda row: (row[0].timestamp(), row[1]))
        if len(groups) <= EXACT_UP_TO:
            recent: RecentExact[Publication] = RecentExact(threshold, window, scores)
            alike = [recent.find_and_add(at, item, sets, pub) for at, _, item, pub in timeline]
        else:
            prefixes = prefixes or rank_prefixes(sets, threshold)
            index: RecentIndex[Publication] = RecentIndex(threshold, window, sets, prefixes, scores, alike_pairs)
            alike = [index.find_and_add(at, item, pub) for at, _, item, pub in timeline]
        for row, found in zip(timeline, alike, strict=True):
            if found is not None:
                report(row[3], found[0], min(found[1], 0.999))


class _Repeats:
    """Reports a repeat (``later`` of ``earlier``, ``score`` 1.0: word for word) once per pair of
    templates on an account, as a ``duplicate`` or ``near-duplicate`` finding.  (Tens of thousands
    on a big calendar: each is made as a problem directly, at its rule's level, as
    :meth:`Collector.add` would make it from ``checker.finding``.)"""

    def __init__(self, calendar: Calendar, checker: VoiceChecker, out: Collector):
        self.calendar, self.checker, self.out = calendar, checker, out
        self.window = _span(checker.voice.window)
        self.seen: set[tuple[object, ...]] = set()
        self.times: dict[datetime, str] = {}  # (posts recur at the same few instants)
        self.templates: dict[tuple[str, str, int], Template | None] = {}
        self.levels = {rule: found.severity if (found := checker.finding(rule, "")) else None
                       for rule in ("duplicate", "near-duplicate")}
        self.refusals = {name: _refusal(account.type) for name, account in calendar.networks.items()}
        self.hints = (f"give it more variants, or draw on {{weekday}}, {{season}} or a countdown; repeats must be "
                      f"{self.window} apart", f"reword one of them; similar posts must be {self.window} apart")

    def __call__(self, later: Publication, earlier: Publication, score: float) -> None:
        template, first = self.template(later), self.template(earlier)
        if template is None or first is None:
            return
        pair = (later.network, template.line, template.col, first.line, first.col)
        if pair in self.seen:
            return
        self.seen.add(pair)
        rule = "duplicate" if score >= 1.0 else "near-duplicate"
        level = self.levels[rule]
        if level is None:
            return
        same = "itself" if earlier.post == later.post else f"post {earlier.post!r}"
        gap = later.at - earlier.at
        days = f"{gap.days} days" if gap.days != 1 else "1 day"
        where = f"post {later.post!r} on {later.network} at {self.when(later.at)}"
        if score >= 1.0:
            message = (f"duplicate: {where} repeats {same} word for word ({self.when(earlier.at)}, {days} earlier"
                       f"{self.refusals[later.network]})")
            hint = self.hints[0]
        else:
            message = (f"near-duplicate: {where} is {score:.0%} the same as {same} ({self.when(earlier.at)}, "
                       f"{days} earlier)")
            hint = self.hints[1]
        key = ("repetition", *pair)
        if key not in self.out.problems:
            self.out.problems[key] = Problem(self.calendar.path, template.line, template.col, message, hint, level,
                                             posts=(later.post,) if later.post == earlier.post else
                                             (later.post, earlier.post))

    def template(self, pub: Publication) -> Template | None:
        key = (pub.post, pub.network, pub.variant)
        found = self.templates.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self.templates[key] = _template_of(self.calendar, pub)
        return found  # type: ignore[return-value]

    def when(self, at: datetime) -> str:
        text = self.times.get(at)
        if text is None:
            text = self.times[at] = _when(at, self.calendar)
        return text


_UNKNOWN = object()  # (not looked up yet)


def shares(publications: list[Publication], helpers: int = 1) -> list[list[str]]:
    """The accounts cut into ``helpers + 1`` shares of about equal work, for :func:`repetition`
    in as many processes: the first is the caller's, who also checks every text (about a fifth of
    a repetition check per publication, measured); the rest are the helpers'.  The same
    publications always give the same shares."""
    counts: dict[str, int] = defaultdict(int)
    for pub in publications:
        if pub.kind not in STATUS_KINDS:
            counts[pub.network] += 1
    work = [len(publications) // 5] + [0] * helpers
    out: list[list[str]] = [[] for _ in work]
    for account, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        least = min(range(len(work)), key=lambda n: (work[n], -n))  # (a tie goes to a helper)
        work[least] += count
        out[least].append(account)
    return out


def _span(window: timedelta) -> str:
    days = window.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else f"{window.total_seconds() / 3600:g} hours"


SAMPLE = {"title": "Checkout errors", "message": "", "impact": "major", "next_update": "10:30 CET",
          "window": "Sat 6 Dec, 03:00-04:00 CET", "when": "in 24 hours", "end_time": "04:00 CET"}


def check_status_templates(calendar: Calendar, checker: VoiceChecker, out: Collector, affected: str = "Checkout",
                          status_page: str = "") -> None:
    """Every status template, the brand's and the built-in ones it did not replace, rendered
    for a sample incident with an empty message: the template itself must carry what the
    guide requires of its kind."""
    brand = calendar.brand
    page = status_page or brand.links.get("status", "")
    values = {f: "" for f in TEMPLATE_FIELDS}
    values.update(SAMPLE, affected=affected, status_page=page, help=brand.links.get("help", page))
    values["brand.name"] = brand.name
    values.update({f"links.{k}": v for k, v in brand.links.items()})
    for key in sorted({*DEFAULT_TEMPLATES, *brand.status_templates}):
        source = brand.status_templates.get(key, DEFAULT_TEMPLATES.get(key))
        if source is None:
            continue
        text = compile_template(source, frozenset(values)).render(values)
        role = key.split(".")[0] if not key.startswith("maintenance") else key
        for finding in checker.check(text, role, affected=(affected, SAMPLE["title"])):
            if key in brand.status_templates:
                line, col = brand.status_template_locs[key]
                out.add(calendar.path, line, col, finding)
            else:
                where = (brand.voice.line, brand.voice.col)
                out.add(calendar.path, *where, Finding(
                    finding.rule, finding.severity, f"the built-in {key} template: {finding.message}",
                    f"override it in brand.status_templates.{key}"))


def recent_repeat(text: str, kind: str, network_type: str, recent: list[tuple[datetime, str, str]],
                  checker: VoiceChecker, now: datetime) -> Finding | None:
    """Whether ``text`` repeats, within the guide's window, a text the account published
    (``recent``: (when, post, text), from the ledger); error-level findings only matter here."""
    if kind in STATUS_KINDS:
        return None
    voice = checker.voice
    norm = normalize(text)
    near = voice.severity("near-duplicate") == "error"
    mine = shingles(text) if near else frozenset()
    for at, post, earlier in recent:
        if now - at > voice.window:
            continue
        other = normalize(earlier)
        when = f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if other == norm:
            refuses = _refusal(network_type)
            return checker.finding("duplicate", f"repeats post {post!r} published {when} word for word{refuses}",
                                    "give the post more variants")
        if near:
            score = jaccard(mine, shingles(earlier))
            if score >= voice.similarity:
                return checker.finding("near-duplicate", f"{score:.0%} the same as post {post!r} published {when}",
                                        "reword it")
    return None


def _refusal(network_type: str) -> str:
    """"; X refuses identical posts" when the network refuses a post identical to a recent one
    (X: "Status is a duplicate", error 187), as its record says; else ""."""
    record = NETWORK_TYPES.get(network_type)
    return f"; {record.title} refuses identical posts" if record is not None and record.refuses_duplicates else ""
