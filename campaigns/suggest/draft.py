"""Drafting the campaign: one recurring post per answered topic, as calendar YAML.

Each post is ``tracking`` when its answer is the order-tracking link (or a tracking page),
``tip`` otherwise; it goes out on the topic's busiest weekdays, half an hour before the hour
its requests start to arrive; its variants are written from the topic's own words and kept
only when the brand's voice guide finds nothing in them (the real :class:`VoiceChecker`);
its ``notes:`` hold the evidence.  The draft is merged into the calendar with ruamel.yaml's
round trip (comments, order and quoting kept), and the merged text is validated and linted
(:func:`campaigns.calendar.check`, :func:`campaigns.lint.lint`) before anyone may write it.
Pure: this module returns text; :mod:`scheduler.cli.suggest` writes it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from ..errors import InvalidInput, Problem
from ..model import Calendar
from .answers import Match
from .topics import WEEKDAY_NAMES, Topic

__all__ = ["Draft", "DraftedPost", "Suggestion", "draft", "evidence"]

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CAMPAIGN = "suggested"
LINT_DAYS = 28

TRACKING_VARIANTS = (
    "Wondering where your order is? See which step it is at, any time: {link}",
    "No need to wait for an email: the status of your order is always up to date here {link}",
    "Asked often: where is my order? You can check it yourself in one click: {link}",
    "Your delivery date, the workshop step and the courier, all in one place: {link}",
)
TIP_VARIANTS = (
    "A question we hear a lot, about {terms}. The answer is here: {link}",
    "{title}: everything in one place, step by step {link}",
    "Before you write to us about {terms}: our guide \"{title}\" has the answer {link}",
    "Quick help with {terms}. Read \"{title}\": {link}",
)


@dataclass
class Suggestion:
    """A topic with its ranked answers (best first)."""

    topic: Topic
    matches: list[Match]

    @property
    def answer(self) -> Match | None:
        return self.matches[0] if self.matches and self.matches[0].good else None


@dataclass
class DraftedPost:
    id: str
    kind: str
    rrule: str
    variants: list[str]
    notes: str
    suggestion: Suggestion
    dropped: list[str] = field(default_factory=list)  # variants the voice guide flagged, with why


@dataclass
class Draft:
    posts: list[DraftedPost]
    campaign: str
    fragment: str  # the campaign and posts alone, as calendar YAML
    merged: str  # the whole calendar with them appended (comments kept)
    calendar: Calendar  # the merged calendar, validated
    warnings: list[Problem] = field(default_factory=list)


def _hours(hours: tuple[int, ...]) -> str:
    return ", ".join(f"{h:02d}:00" for h in hours)


def evidence(s: Suggestion, first: date | None, last: date | None) -> str:
    """The evidence behind a topic, in one paragraph (the post's ``notes:``)."""
    t = s.topic
    period = f" from {first} to {last}" if first and last else ""
    parts = [f"herald suggest: {t.count} requests ({t.share:.0%}){period}"]
    if t.trend:
        parts.append(t.trend)
    if t.hours:
        parts.append(f"peak hours {_hours(t.hours)}")
    if t.weekdays:
        parts.append("busiest on " + ", ".join(WEEKDAY_NAMES[d] for d in t.weekdays))
    parts.append("e.g. " + "; ".join(f'"{e}"' for e in t.examples))
    if s.answer is not None:
        parts.append(f"answer: {s.answer.answer.title} <{s.answer.answer.url}> (BM25 {s.answer.score:.2f})")
    return ", ".join(parts)


def _slug(words: tuple[str, ...]) -> str:
    from sklearn.feature_extraction.text import strip_accents_unicode

    text = strip_accents_unicode("-".join(words[:2]).lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "topic"


def _clean(text: str, limit: int = 70) -> str:
    text = " ".join(text.replace("{", "(").replace("}", ")").replace('"', "'").split())
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + "…"


def _schedule(t: Topic, single: bool = False) -> str:
    days = (t.weekdays or (0, 3))[:1 if single else 2]
    hour = t.hours[0] if t.hours else 10
    if t.hours:  # the first hour of the busiest block: requests start to arrive then
        while hour - 1 in t.hours:
            hour -= 1
    at = datetime.combine(date(2026, 1, 5), time(hour)) - timedelta(minutes=30)
    return f"FREQ=WEEKLY;BYDAY={','.join(BYDAY[d] for d in sorted(days))};BYHOUR={at.hour};BYMINUTE={at.minute}"


def _candidates(s: Suggestion, kind: str, link: str) -> list[str]:
    t, match = s.topic, s.answer
    assert match is not None
    # never a customer's own words in a public post: requests can carry names, order numbers, addresses
    fields = {"link": link,
              "title": _clean(match.answer.title[:1].upper() + match.answer.title[1:]),
              "terms": _clean(" and ".join(t.terms[:2]) or t.label)}
    return [v.format(**fields) for v in (TRACKING_VARIANTS if kind == "tracking" else TIP_VARIANTS)]


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.representer.add_representer(  # `key: null` stays `null` (ruamel would leave it empty)
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def draft(calendar: Calendar, text: str, suggestions: list[Suggestion], starts: date,
          first: date | None = None, last: date | None = None) -> Draft:
    """The campaign for ``suggestions`` (the answered ones), merged into the calendar ``text``.

    :raises InvalidInput: the merged calendar does not validate, or the voice guide finds an
        error in a drafted post (nothing may be written then)."""
    from ..lint import checker_for

    checker = checker_for(calendar)
    taken = {p.id for p in calendar.posts}
    campaign = CAMPAIGN
    while campaign in calendar.campaigns:
        campaign = f"{campaign}-{len(campaign)}"
    accounts = [n for n, a in calendar.networks.items() if a.enabled] or list(calendar.networks)
    posts: list[DraftedPost] = []
    for s in suggestions:
        match = s.answer
        if match is None:
            continue
        answer = match.answer
        kind = "tracking" if answer.link == "order_tracking" or "track" in answer.url.lower() else "tip"
        link = f"{{links.{answer.link}}}" if answer.link else answer.url
        url = calendar.brand.links.get(answer.link, answer.url) if answer.link else answer.url
        pid = base = f"suggest-{_slug(s.topic.terms)}"
        n = 2
        while pid in taken:
            pid, n = f"{base}-{n}", n + 1
        taken.add(pid)
        kept, dropped = [], []
        for variant in _candidates(s, kind, link):
            findings = checker.check(variant.replace(link, url), kind, campaign_utm=campaign)
            if findings:
                dropped.append(f"{variant!r}: " + "; ".join(f"{f.rule}: {f.message}" for f in findings))
            else:
                kept.append(variant)
        if len(kept) < 2:  # a weekly post needs at least two wordings (repetition window)
            continue
        posts.append(DraftedPost(pid, kind, _schedule(s.topic), kept[:4], evidence(s, first, last), s, dropped))

    for _ in range(2):  # lint, and where a post repeats itself too soon, send it on its busiest day only
        fragment_text, merged, merged_calendar, problems = _merge(calendar, text, posts, campaign, accounts, starts)
        repeating = {p.id for p in posts if any(f.severity == "error" and f"'{p.id}'" in f.message
                                                and f.message.startswith(("duplicate", "near-duplicate"))
                                                for f in problems)}
        if not repeating:
            break
        for p in posts:
            if p.id in repeating:
                p.rrule = _schedule(p.suggestion.topic, single=True)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidInput([Problem(p.path, p.line, p.col, f"a drafted post breaks the voice guide: {p.message}",
                                    p.hint) for p in errors])
    return Draft(posts, campaign, fragment_text, merged, merged_calendar, problems)


def _merge(calendar: Calendar, text: str, posts: list[DraftedPost], campaign: str, accounts: list[str],
           starts: date) -> tuple[str, str, Calendar, list[Problem]]:
    """The fragment, the merged calendar's text and value, and the lint findings about the drafted posts."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Quoted

    from ..calendar import check
    from ..lint import lint

    yaml = _yaml()
    fragment = CommentedMap()
    fragment["campaigns"] = CommentedMap({campaign: CommentedMap(
        [("title", "Drafted by herald suggest: answers to what customers ask most"),
         ("starts", starts), ("networks", CommentedSeq(accounts)),
         ("utm_campaign", "herald-suggest")])})
    fragment["campaigns"][campaign]["networks"].fa.set_flow_style()
    seq = CommentedSeq()
    for p in posts:
        seq.append(CommentedMap([("id", p.id), ("kind", p.kind), ("campaign", campaign), ("rrule", Quoted(p.rrule)),
                                 ("variants", CommentedSeq(Quoted(v) for v in p.variants)), ("notes", p.notes)]))
    fragment["posts"] = seq
    out = io.StringIO()
    yaml.dump(fragment, out)
    fragment_text = out.getvalue()

    doc = yaml.load(text)
    if not isinstance(doc, dict):
        raise InvalidInput([Problem(calendar.path, 1, 1, "the calendar must be a mapping")])
    if doc.get("campaigns") is None:
        doc["campaigns"] = CommentedMap()
    doc["campaigns"][campaign] = fragment["campaigns"][campaign]
    if doc.get("posts") is None:
        doc["posts"] = CommentedSeq()
    for item in seq:
        doc["posts"].append(item)
    out = io.StringIO()
    yaml.dump(doc, out)
    merged = out.getvalue()

    result = check(calendar.path, merged)
    if result.value is None or result.errors:
        raise InvalidInput([Problem(p.path, p.line, p.col, f"the drafted calendar does not validate: {p.message}",
                                    p.hint) for p in result.errors])
    merged_calendar = result.value
    ours = {p.id for p in posts}
    lines = {tpl.line for pid in ours if (post := merged_calendar.post(pid)) is not None
             for templates in post.texts.values() for tpl in templates}
    start = datetime.combine(starts, time(), merged_calendar.brand.tz)
    report = lint(merged_calendar, start, start + timedelta(days=LINT_DAYS))
    findings = [p for p in report.problems if p.line in lines or any(f"'{pid}'" in p.message for pid in ours)]
    return fragment_text, merged, merged_calendar, findings
