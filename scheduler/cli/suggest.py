"""``herald suggest``: from what customers ask most to a drafted proactive campaign.

Reads helpdesk exports and site-search reports (:mod:`campaigns.suggest.readers`), groups
them into topics (:mod:`campaigns.suggest.topics`), finds each topic's self-service answer
(:mod:`campaigns.suggest.answers`), reports the gaps and drafts the campaign
(:mod:`campaigns.suggest.draft`).  The analysis is pure; this module prints and writes: the
draft to standard output, to ``-o FILE`` (atomically) or appended to the calendar (atomically,
and only if nobody saved the calendar meanwhile).  Nothing is written unless the merged
calendar validates and the drafted posts lint clean.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from .common import ExitStatus, calendar_option, count, positive_int, say, show

if TYPE_CHECKING:
    from ..clock import Clock


def register(sub: Any) -> None:
    p = sub.add_parser("suggest", help="topics customers ask about most, their answers, gaps, and a drafted campaign")
    p.add_argument("--requests", nargs="+", required=True, metavar="FILE",
                   help="helpdesk exports (Zendesk CSV/JSON, Freshdesk, Help Scout), a question,count CSV, "
                        "or a site-search report")
    p.add_argument("--answers", nargs="+", default=[], metavar="FILE",
                   help="a Zendesk Help Center articles export (JSON), a sitemap.xml, or an FAQ CSV/YAML")
    p.add_argument("--top", type=positive_int, default=10, help="how many topics (default 10)")
    p.add_argument("--from", dest="start", metavar="DATE", help="only requests from this day (brand's zone)")
    p.add_argument("--to", dest="end", metavar="DATE", help="only requests up to this day, inclusive")
    calendar_option(p)
    p.add_argument("--encoding", default="utf-8", help="the request files' encoding (default utf-8)")
    p.add_argument("--starts", metavar="DATE", help="first day of the drafted posts (default: tomorrow)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="FILE", help="write the drafted campaign to FILE (atomically)")
    out.add_argument("--append", action="store_true", help="append it to the calendar (comments kept)")
    p.add_argument("--dry-run", action="store_true", help="show the plan of the drafted posts; write nothing")
    p.add_argument("--explain", action="store_true", help="show the evidence behind each topic and post")
    p.set_defaults(handler=cmd_suggest)


def _day(text: str | None, option: str) -> date | None:
    from campaigns.errors import UsageError

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text}: expected a date, e.g. 2026-11-01") from None


def _explain(suggestions: list[Any]) -> None:
    from campaigns.suggest.topics import WEEKDAY_NAMES

    for i, s in enumerate(suggestions, 1):
        t = s.topic
        show(f"\n{i}. {t.label}: {t.count} requests ({t.share:.1%}){', ' + t.trend if t.trend else ''}")
        if t.weekly:
            show(f"   per week: {' '.join(map(str, t.weekly))}")
        if t.hours:
            show(f"   peak hours: {', '.join(f'{h:02d}:00' for h in t.hours)}; "
                 f"days: {', '.join(WEEKDAY_NAMES[d] for d in t.weekdays)}")
        for e in t.examples:
            show(f"   e.g. {e!r}")
        for m in s.matches[:3]:
            show(f"   answer {m.score:6.2f} {'good' if m.good else 'weak'}  {m.answer.title} <{m.answer.url}>")
        if s.answer is None:
            show("   gap: no good answer: write this article")


def cmd_suggest(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.errors import RuntimeFailure
    from campaigns.suggest.answers import brand_answers, rank, read_answers
    from campaigns.suggest.draft import Suggestion, draft
    from campaigns.suggest.readers import read_requests
    from campaigns.suggest.topics import find_topics, stop_words
    from campaigns.yamlsource import read_file

    from ..files import replace_if_unchanged
    from .common import load_calendar, output_target, write_output_file

    calendar = load_calendar(args.calendar)
    if args.output:
        output_target(args.output)
    text = read_file(args.calendar)
    tz = calendar.brand.tz
    first, last = _day(args.start, "--from"), _day(args.end, "--to")
    start = datetime.combine(first, time(), tz) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    languages = sorted({calendar.brand.language, calendar.brand.voice.language})
    requests = itertools.chain.from_iterable(read_requests(path, args.encoding) for path in args.requests)
    report = find_topics(requests, tz, languages, args.top, start, end)
    if not report.topics:
        say(f"herald suggest: no topics found in {count(report.total, 'request')}")
        return ExitStatus.INVALID
    answers = brand_answers(calendar.brand.links)
    for path in args.answers:
        answers.extend(read_answers(path))
    ranked = rank([t.query for t in report.topics], answers, stop_words(languages))
    suggestions = [Suggestion(t, m) for t, m in zip(report.topics, ranked, strict=True)]

    period = f" from {report.first} to {report.last}" if report.first else ""
    say(f"{count(report.total, 'request')}{period}: {count(len(report.topics), 'topic')}, "
        f"{report.noise} in no topic")
    for s in suggestions:
        answer = f"{s.answer.answer.title} ({s.answer.score:.2f})" if s.answer else "GAP: write this article"
        say(f"  {s.topic.count:7d} {s.topic.share:6.1%}  {s.topic.label:40.40s}  {answer}")
    if args.explain:
        _explain(suggestions)

    starts = _day(args.starts, "--starts") or clock.now().astimezone(tz).date() + timedelta(days=1)
    result = draft(calendar, text, suggestions, starts, report.first, report.last)
    for warning in result.warnings:
        say(warning)
    if not result.posts:
        say("herald suggest: no topic has a good answer, nothing to draft")
        return ExitStatus.OK
    if args.explain:
        for p in result.posts:
            show(f"\n{p.id} ({p.kind}, {p.rrule}): {p.notes}")
            for why in p.dropped:
                show(f"   variant left out: {why}")
    if args.dry_run:
        from campaigns.plan import plan

        ours = {p.id for p in result.posts}
        begin = datetime.combine(starts, time(), tz)
        pubs = [pub for pub in plan(result.calendar, begin, begin + timedelta(days=14)) if pub.post in ours]
        show(f"\n{count(len(result.posts), 'drafted post')}, {count(len(pubs), 'publication')} in the first 14 days "
             "(dry run: nothing written)")
        for pub in pubs:
            show(f"{pub.at.astimezone(tz):%a %Y-%m-%d %H:%M}  {pub.network:8s} {pub.post:28s} {pub.text}")
        return ExitStatus.OK
    if args.append:
        if not replace_if_unchanged(args.calendar, result.merged, text):
            raise RuntimeFailure(f"{args.calendar} was saved by someone else meanwhile; nothing written: run again")
        say(f"{args.calendar}: appended {count(len(result.posts), 'post')} (campaign {result.campaign})")
    elif args.output:
        write_output_file(args.output, result.fragment)
        say(f"{args.output}: {count(len(result.posts), 'drafted post')}")
    else:  # calendar text, not a message: the redactor would mask long help-centre slugs (it holds no secret:
        sys.stdout.write(result.fragment)  # the calendar never does, and the rest comes from public pages)
    return ExitStatus.OK
