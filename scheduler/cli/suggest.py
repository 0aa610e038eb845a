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

from .common import ExitStatus, calendar_option, count, positive_int, say, state_option

if TYPE_CHECKING:
    from ..clock import Clock


def register(sub: Any) -> None:
    from campaigns.extras import SUGGEST

    p = sub.add_parser("suggest", help="topics customers ask about most, their answers, gaps, and a drafted campaign")
    p.add_argument("--requests", nargs="+", required=True, metavar="FILE",
                   help="helpdesk exports (Zendesk CSV/JSON, Freshdesk, Help Scout), a question,count CSV, "
                        "or a site-search report")
    p.add_argument("--answers", nargs="+", default=[], metavar="FILE",
                   help="a Zendesk Help Center articles export (JSON), a sitemap.xml, or an FAQ CSV/YAML")
    p.add_argument("--top", type=positive_int, default=10, help="how many topics (default 10)")
    p.add_argument("--from", dest="start", metavar="ISO",
                   help="only requests from this day, e.g. 2026-12-01 (brand's zone)")
    p.add_argument("--to", dest="end", metavar="ISO", help="only requests up to this day, inclusive")
    calendar_option(p)
    state_option(p)
    p.add_argument("--encoding", default="utf-8", type=_encoding,
                   help="the request files' encoding (default utf-8)")
    p.add_argument("--starts", metavar="ISO", help="first day of the drafted posts (default: tomorrow)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="FILE", help="write the drafted campaign to FILE (atomically)")
    out.add_argument("--append", action="store_true", help="append it to the calendar (comments kept)")
    p.add_argument("--dry-run", action="store_true", help="show the plan of the drafted posts; write nothing")
    p.add_argument("--explain", action="store_true", help="show the evidence behind each topic and post")
    p.add_argument("--json", metavar="FILE", help="write the whole analysis as JSON to FILE ('-': standard output)")
    p.add_argument("--date-format", metavar="FORMAT", type=_date_format,
                   help="how the exports write dates when the file cannot tell: DMY (13/08/2026), MDY "
                        "(08/13/2026), or a strptime format such as '%%d/%%m/%%Y %%H:%%M'")
    p.add_argument("--jobs", type=positive_int, metavar="N",
                   help="processes that clean a large export's requests (default: one per processor, at most 4; "
                        "1: this one only)")
    p.add_argument("--impact", action="store_true",
                   help="with a later export: how each drafted campaign's topic changed after its first post")
    p.needs = SUGGEST  # without the extra, `herald suggest` with no options says so first
    p.set_defaults(handler=cmd_suggest)


def _day(text: str | None, option: str) -> date | None:
    """A day given on the command line, in the years a window or a zone's offset can be reckoned
    in (year 1 or 9999 would overflow one only after the whole analysis)."""
    from campaigns.errors import UsageError

    from .times import YEARS

    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text}: expected a date, e.g. 2026-11-01") from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise UsageError(f"{option} {text}: a year from {YEARS[0]} to {YEARS[1]}")
    return day


def _days(args: argparse.Namespace) -> tuple[date | None, date | None, date | None]:
    """``--from``, ``--to`` and ``--starts``, checked before anything is read."""
    from campaigns.errors import UsageError

    first, last = _day(args.start, "--from"), _day(args.end, "--to")
    if first and last and first > last:
        raise UsageError(f"--from {first} is after --to {last}: no request could be read")
    return first, last, _day(args.starts, "--starts")


def _encoding(value: str) -> str:
    """``--encoding``: a text encoding Python knows (not rot13, base64 or zlib, which turn bytes into bytes)."""
    import codecs

    try:
        info = codecs.lookup(value)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {value!r}: e.g. utf-8, cp1252, cp1250") from None
    if not getattr(info, "_is_text_encoding", True):
        raise argparse.ArgumentTypeError(f"{value!r} is not a text encoding: e.g. utf-8, cp1252, cp1250")
    return value


def _out(line: str) -> None:
    """A line of output with links shown as they are: only credentials in URLs are masked
    (``user:password@``, ``?token=``); paths and slugs are not secrets."""
    from campaigns.suggest.answers import mask_credentials

    sys.stdout.write(mask_credentials(line) + "\n")


SHOWN = 80  # the characters of an article's title the summary and --explain show


def _explain(suggestions: list[Any]) -> None:
    from campaigns.suggest.answers import shortened
    from campaigns.suggest.topics import WEEKDAY_NAMES

    for i, s in enumerate(suggestions, 1):
        t = s.topic
        _out(f"\n{i}. {t.label}: {t.count} requests ({t.share:.1%}){', ' + t.trend if t.trend else ''}")
        if len(t.languages) > 1:
            _out("   languages: " + ", ".join(f"{code} {n}" for code, n in t.languages.items()))
        if t.weekly:
            _out(f"   per week: {' '.join(map(str, t.weekly))}")
        if t.hours:
            _out(f"   peak hours: {', '.join(f'{h:02d}:00' for h in t.hours)}; "
                 f"days: {', '.join(WEEKDAY_NAMES[d] for d in t.weekdays)}")
        for e in t.examples:
            _out(f"   e.g. {e!r}")
        for m in s.matches[:3]:
            _out(f"   answer {m.score:6.2f} {'good' if m.good else 'weak'}  {shortened(m.answer.title, SHOWN)} "
                 f"<{m.answer.url}>")
        if s.answer is None:
            _out("   gap: no good answer: write this article")


def _summary(report: Any, suggestions: list[Any]) -> None:
    from campaigns.suggest.answers import shortened

    period = f" from {report.first} to {report.last}" if report.first else ""
    say(f"{count(report.total, 'request')}{period}: {count(len(report.topics), 'topic')}, "
        f"{report.noise} in no topic")
    for s in suggestions:
        t = s.topic
        answer = f"{shortened(s.answer.answer.title, SHOWN)} ({s.answer.score:.2f})" if s.answer \
            else "GAP: write this article"
        split = " (" + ", ".join(f"{c} {n}" for c, n in t.languages.items()) + ")" if len(t.languages) > 1 else ""
        sys.stderr.write(f"  {t.count:7d} {t.share:6.1%}  {t.label:40.40s}  {answer}{split}\n")
        if s.answer is None:
            for e in t.examples[:3]:
                sys.stderr.write(f"           e.g. {e!r}\n")


def _date_format(value: str) -> str:
    """``--date-format``: DMY, MDY, or a strptime format that reads a date back whole (day, month, year)."""
    text = value.strip()
    if text.upper() in ("DMY", "MDY"):
        return text.upper()
    sample = datetime(2026, 8, 13, 9, 14)
    try:
        whole = "%" in text and datetime.strptime(sample.strftime(text), text).date() == sample.date()
    except ValueError:
        whole = False
    if not whole:
        raise argparse.ArgumentTypeError(f"{value!r}: expected DMY, MDY or a strptime format with the day, month "
                                         "and year, such as '%d/%m/%Y %H:%M'")
    return text


def _read_answers(calendar: Any, paths: list[str]) -> list[Any]:
    from campaigns.suggest.answers import brand_answers, read_answers

    answers = brand_answers(calendar.brand.links)
    for path in paths:
        # links as they are (say() would mask an article's slug as if it were a secret); their credentials
        # are taken out already
        answers.extend(read_answers(path, warn=lambda message: sys.stderr.write(f"warning: {message}\n")))
    return answers


def _analyse(args: argparse.Namespace, calendar: Any) -> Any:
    from campaigns.suggest.readers import read_requests
    from campaigns.suggest.topics import find_topics

    tz = calendar.brand.tz
    first, last, _ = _days(args)
    start = datetime.combine(first, time(), tz) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), tz) if last else None
    languages = list(dict.fromkeys([calendar.brand.voice.language or calendar.brand.language, calendar.brand.language]))
    answers = _read_answers(calendar, args.answers)
    requests = itertools.chain.from_iterable(read_requests(path, args.encoding, args.date_format)
                                             for path in args.requests)
    from functools import partial

    from ..chunks import Chunks

    return find_topics(requests, tz, languages, args.top, start, end, answers, pool=partial(Chunks, args.jobs))


def cmd_suggest(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.extras import SUGGEST

    SUGGEST.require("herald suggest")  # scikit-learn and the rest come with herald[suggest], not the core
    if args.json == "-" and (args.explain or args.dry_run):
        say("herald suggest: --json - writes the analysis to standard output, where --explain and --dry-run "
            "write too: give --json a FILE")
        return ExitStatus.USAGE
    from campaigns.suggest.draft import Suggestion, draft
    from campaigns.yamlsource import read_file

    from .common import load_calendar, output_target

    _days(args)  # a bad day is refused before the analysis, not after it
    calendar = load_calendar(args.calendar)
    if args.output:
        output_target(args.output)
    text = read_file(args.calendar)
    tz = calendar.brand.tz
    report = _analyse(args, calendar)
    if args.impact:
        return _impact(args, calendar, report)
    if not report.topics:
        say(f"herald suggest: no topics found in {count(report.total, 'request')}")
        return ExitStatus.INVALID
    suggestions = [Suggestion(t, t.matches) for t in report.topics[:args.top]]
    _summary(report, suggestions)
    if args.explain:
        _explain(suggestions)
    starts = _day(args.starts, "--starts") or clock.now().astimezone(tz).date() + timedelta(days=1)
    result = draft(calendar, text, suggestions, starts, report.first, report.last)
    if args.json:
        from campaigns.suggest.report import analysis

        _write_json(args.json, analysis(report, result, len(suggestions)))
    for warning in result.warnings:  # links as they are: an article's slug is not a secret
        from campaigns.suggest.answers import mask_credentials

        sys.stderr.write(mask_credentials(str(warning)) + "\n")
    if result.already:  # by an earlier run (--append again)
        say(f"herald suggest: already drafted: {', '.join(sorted(result.already))}")
    if not result.posts:
        say("herald suggest: nothing new to draft" if result.already
            else "herald suggest: no topic has a good answer, nothing to draft")
        return ExitStatus.OK
    return _deliver(args, result, calendar, text, starts)


def _write_json(target: str, doc: Any) -> None:
    import json

    from .common import write_output_file

    data = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if target == "-":
        sys.stdout.write(data)
    else:
        write_output_file(target, data)
        say(f"{target}: the whole analysis (JSON)")


def _deliver(args: argparse.Namespace, result: Any, calendar: Any, text: str, starts: date) -> int:
    from ..errors import RuntimeFailure
    from ..files import replace_if_unchanged
    from .common import write_output_file

    tz = calendar.brand.tz
    if args.explain:
        for p in result.posts:
            _out(f"\n{p.id} ({p.kind}, {p.rrule}): {p.notes}")
            for why in p.dropped:
                _out(f"   variant left out: {why}")
    if args.dry_run:
        from campaigns.plan import plan

        ours = {p.id for p in result.posts}
        begin = datetime.combine(starts, time(), tz)
        pubs = [pub for pub in plan(result.calendar, begin, begin + timedelta(days=14)) if pub.post in ours]
        _out(f"\n{count(len(result.posts), 'drafted post')}, {count(len(pubs), 'publication')} in the first 14 days "
             "(dry run: nothing written)")
        for pub in pubs:
            _out(f"{pub.at.astimezone(tz):%a %Y-%m-%d %H:%M}  {pub.network:8s} {pub.post:28s} {pub.text}")
        return ExitStatus.OK
    if args.append:
        bom, newline = _saved_as(args.calendar, text)
        _remove_stale_twins(args.calendar)
        merged = result.merged.replace("\r\n", "\n").replace("\n", newline)
        if not replace_if_unchanged(args.calendar, bom + merged, bom + text):
            raise RuntimeFailure(f"{args.calendar} was saved by someone else meanwhile; nothing written: run again")
        say(f"{args.calendar}: appended {count(len(result.posts), 'post')} (campaign {result.campaign})")
    elif args.output:
        _remove_stale_twins(args.output)
        write_output_file(args.output, result.fragment)
        say(f"{args.output}: {count(len(result.posts), 'drafted post')}")
    elif args.json != "-":  # calendar text, not a message: it holds no secret (the calendar never does)
        sys.stdout.write(result.fragment)
    return ExitStatus.OK


def _saved_as(path: str, text: str) -> tuple[str, str]:
    """How the calendar whose text (as read: without its byte-order mark) is ``text`` is saved:
    its byte-order mark ('' or U+FEFF, kept when it is appended to) and its line ending (that
    of its first line: the appended lines take it, so a CRLF file is not left with mixed ones)."""
    from ..files import read_text

    raw = read_text(path) or ""
    bom = "\ufeff" if raw.startswith("\ufeff") and raw[1:] == text else ""
    first = text.find("\n")
    return bom, "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


STALE_TWIN = 600  # seconds after which a temporary twin of the calendar is a killed run's, never a live one's


def _remove_stale_twins(path: str) -> None:
    """Remove the temporary twins of ``path`` (the calendar, or ``-o FILE``) a killed run left
    (``.NAME.xxxxxxxx.tmp``, as :mod:`scheduler.files` names them) once they are
    :data:`STALE_TWIN` seconds old: a live writer renames its twin within a second."""
    import contextlib
    import os
    import re
    import stat
    import time as clock

    from ..files import remove, temporary_prefix

    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    ours = re.compile(re.escape(temporary_prefix(target)) + r"[a-z0-9_]{8}\.tmp")
    try:
        names = [name for name in os.listdir(folder) if ours.fullmatch(name)]
    except OSError:
        return
    for name in names:
        twin = os.path.join(folder, name)
        with contextlib.suppress(OSError):
            info = os.lstat(twin)
            if stat.S_ISREG(info.st_mode) and clock.time() - info.st_mtime > STALE_TWIN:
                remove(twin)


def _impact(args: argparse.Namespace, calendar: Any, report: Any) -> int:
    """For each drafted post that went out: its topic's requests per week before and after the
    first publication, as counts and as shares of every request (so a season shows), and
    whether the change is larger than the topic's normal week-to-week swing."""
    from .common import existing_ledger, no_ledger_yet

    ledger = existing_ledger(args)
    if ledger is None:
        say(no_ledger_yet(args))
        return ExitStatus.INVALID
    try:
        sent = [r for r in ledger.history(limit=1_000_000, states=["sent"]) if r.sent_at is not None]
    finally:
        ledger.close()
    drafted = _drafted(args.calendar)
    if not drafted or not report.first:
        say("herald suggest --impact: no drafted post in the calendar, or no dates in the export")
        return ExitStatus.INVALID
    for pid, notes in drafted.items():
        firsts = [r.sent_at for r in sent if r.post == pid and r.sent_at is not None]
        _out(_impact_lines(pid, min(firsts) if firsts else None, _topic_of(notes, report), report, calendar.brand.tz))
    return ExitStatus.OK


def _topic_of(notes: str, report: Any) -> Any:
    """The topic whose answer a drafted post links (its notes name the answer's address)."""
    import re

    url = re.search(r"answer: .*? <([^>]+)>", notes)
    if url is None:
        return None
    return next((t for t in report.topics if any(m.good and m.answer.url == url.group(1) for m in t.matches)), None)


def _drafted(path: str) -> dict[str, str]:
    """The calendar's posts drafted by herald suggest: id → their notes (the evidence)."""
    from ruamel.yaml import YAML

    from campaigns.yamlsource import read_file

    doc = YAML(typ="safe").load(read_file(path))
    posts = doc.get("posts") if isinstance(doc, dict) else None
    return {str(p["id"]): str(p["notes"]) for p in posts or [] if isinstance(p, dict) and
            str(p.get("notes") or "").startswith("herald suggest:") and p.get("id")}


def _impact_lines(pid: str, first: datetime | None, topic: Any, report: Any, tz: Any) -> str:
    import statistics

    if first is None:
        return f"{pid}: not published yet"
    if topic is None:
        return f"{pid}: first sent {first.astimezone(tz):%Y-%m-%d}; its topic is not in this export"
    week = (first.astimezone(tz).date() - report.first).days // 7
    shares = [n / total if total else 0.0 for n, total in zip(topic.weekly, report.weekly, strict=True)]
    before, after = shares[:max(week, 0)], shares[max(week + 1, 0):]  # the week of the first post is neither
    lines = [f"{pid}: first sent {first.astimezone(tz):%Y-%m-%d}, topic {topic.label!r}",
             "   week of  requests  share of all"]
    for i, (n, share) in enumerate(zip(topic.weekly, shares, strict=True)):
        mark = "  <- first post" if i == week else ""
        lines.append(f"   {report.first + timedelta(days=7 * i)}  {n:8d}  {share:11.1%}{mark}")
    if len(before) < 3 or not after:
        lines.append("   not enough weeks before and after the first post to compare")
        return "\n".join(lines)
    change = statistics.mean(after) - statistics.mean(before)
    swing = statistics.stdev(b - a for a, b in itertools.pairwise(before)) if len(before) > 2 else 0.0
    verdict = "larger than" if abs(change) > 2 * swing else "within"
    lines.append(f"   share before {statistics.mean(before):.1%}, after {statistics.mean(after):.1%} "
                 f"({change:+.1%}): {verdict} the normal week-to-week swing (±{swing:.1%})")
    return "\n".join(lines)
