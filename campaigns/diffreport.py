"""A :class:`~campaigns.calendardiff.CalendarDiff` written out: for a terminal (:func:`text`), for a
pull-request or merge-request comment (:func:`markdown`) and for programs (:func:`as_json`).

Calendar texts are hostile here: they may hold pipes, backticks, HTML, ``@mentions``, line
separators (U+2028) and invisible characters that turn text around (U+202E).  So:

- in every format but JSON, a format character (Unicode's Cf: bidirectional controls, zero-width
  spaces, soft hyphens; the zero-width joiner of emoji aside) is shown by its code point,
  ``⟨U+202E⟩``, and every line separator is a line break;
- in Markdown a calendar text is only ever inside a fenced code block whose fence is longer than
  any run of backticks in it (GitHub renders nothing inside: no HTML, no mention, no link); a
  name (post, account) is a code span; any other text taken from the calendar (a finding's
  message) has each ASCII punctuation character Markdown reads inline (``* _ ` [ ] ( ) ! | ~ # +
  > { }`` and the backslash, and ``$`` for GitHub's math) backslash-escaped, ``<`` and ``&`` as entities,
  line breaks as spaces, and an ``@`` or ``#`` before a name or number followed by a word joiner
  (U+2060), so that it neither mentions anyone nor links an issue.  A table cell escapes ``|``.
- a text longer than :data:`TEXT_SHOWN` characters is shown by its first ones, with a line saying
  how long it is ("text of 20,000,000 characters, first 2,000 shown");
- the Markdown stays under :data:`MARKDOWN_LIMIT` characters (GitHub takes 65,536 in a comment):
  what does not fit is counted in one closing line.

The JSON shape (``version: 1``)::

    {"version": 1, "old": "main:content_calendar.yaml", "new": "content_calendar.yaml",
     "from": ISO, "to": ISO, "zone": "Europe/Berlin",
     "counts": {"added", "removed", "moved", "reworded", "voice", "too_long", "maintenance", "night"},
     "days": [{"date": "2026-10-24", "changes": [CHANGE, …]}, …],
     "voice": [{"path", "line", "col", "rule", "severity", "message", "suggestion", "posts"}, …],
     "too_long": [FLAG + {"detail": "312/280 characters (32 over)"}, …],
     "maintenance": [FLAG + {"window": {"id", "title", "starts", "ends"}}, …],
     "night": [FLAG + {"clock": "23:30 CET"}, …]}

    CHANGE: {"change": "added|removed|moved|reworded", "post", "network", "network_type", "kind",
             "campaign", "reworded": bool, "old": PUB or null, "new": PUB or null}
    PUB:    {"at": ISO with offset, "local": ISO in the brand's zone, "text", "variant", "variants"}
    FLAG:   {"post", "network", "network_type", "at", "local", "text"}
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .calendardiff import CalendarDiff, Change, Entry, Flag
from .plan import Publication

MARKDOWN_LIMIT = 60_000  # characters of a comment (GitHub's limit is 65,536)
TEXT_SHOWN = 2_000  # characters of one text a report shows (a 20 MB post is not a comment)
DETAILS_FROM = 8  # a day with more changes than this, or a list longer, is folded in <details>
_LINE_BREAKS = re.compile("\r\n|[\r\n\u2028\u2029\u0085\x0b\x0c]")
_SIGN = {Change.ADDED: "+", Change.REMOVED: "-", Change.MOVED: ">", Change.REWORDED: "~"}


def visible(text: str) -> str:
    """``text`` with line separators as line breaks and invisible format characters named."""
    text = _LINE_BREAKS.sub("\n", text)
    if text.isascii():
        return text
    return "".join(f"⟨U+{ord(c):04X}⟩" if c != "\u200d" and unicodedata.category(c) == "Cf" else c for c in text)


def shown_lines(text: str) -> tuple[list[str], str]:
    """A text's lines as a report shows them (:func:`visible`, at most :data:`TEXT_SHOWN` of its
    characters) and, when it was cut, what says so."""
    if len(text) <= TEXT_SHOWN:
        return visible(text).split("\n"), ""
    return visible(text[:TEXT_SHOWN]).split("\n"), f"(text of {len(text):,} characters, first {TEXT_SHOWN:,} shown)"


def _summary(diff: CalendarDiff) -> tuple[str, str]:
    counts = diff.counts()
    changes = ", ".join(f"{counts[c]} {c}" for c in Change) if diff.entries else "no publication changes"
    checks = [(counts["voice"], "new voice-guide finding", "new voice-guide findings"),
              (counts["too_long"], "newly too long", "newly too long"),
              (counts["maintenance"], "now in a maintenance window", "now in a maintenance window"),
              (counts["night"], "now at night", "now at night")]
    worse = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in checks if n)
    return changes, worse


def _when(diff: CalendarDiff, at: datetime, day: bool = True) -> str:
    local = diff.local(at)
    return f"{local:%a %Y-%m-%d %H:%M %Z}" if day else f"{local:%H:%M %Z}"


def _window(diff: CalendarDiff) -> str:
    days = round((diff.end - diff.start).total_seconds() / 86400)
    return f"{days} days from {_when(diff, diff.start)} ({getattr(diff.tz, 'key', diff.tz)})"


# -- text ------------------------------------------------------------------------------------------

def text(diff: CalendarDiff) -> str:
    """For a terminal: a summary, then each day's changes with their texts, then what is worse."""
    changes, worse = _summary(diff)
    lines = [f"{diff.old} → {diff.new}: {_window(diff)}", changes + (f"; {worse}" if worse else "")]
    for day, entries in diff.days():
        lines += ["", f"{day:%a %Y-%m-%d}"]
        for entry in entries:
            lines += _text_entry(diff, entry)
    for title, flags in flag_lists(diff):
        lines += ["", f"{title} ({len(flags)}):"]
        lines += [f"  {_when(diff, f.pub.at)}  {f.pub.network}  {f.pub.post}: {visible(f.detail)}" for f in flags]
    if diff.findings:
        lines += ["", f"New voice-guide findings ({len(diff.findings)}):"]
        lines += [f"  {visible(str(p))}" for p in diff.findings]
    return "\n".join(lines) + "\n"


def _text_entry(diff: CalendarDiff, entry: Entry) -> list[str]:
    pub = entry.pub
    head = f"  {_SIGN[entry.change]} {entry.change:<9} {_when(diff, pub.at, day=False)}  {pub.network}  {pub.post} " \
           f"({pub.kind})"
    if entry.change == Change.MOVED and entry.old is not None:
        head += f", was {_when(diff, entry.old.at)}"
    lines = [head]
    texts = [("- ", entry.old.text), ("+ ", entry.new.text)] if (
        entry.reworded and entry.old is not None and entry.new is not None) else [("", pub.text)]
    for sign, said in texts:
        shown, cut = shown_lines(said)
        lines += [f"      {sign}{line}" for line in shown] + ([f"      {cut}"] if cut else [])
    return lines


def flag_lists(diff: CalendarDiff) -> list[tuple[str, list[Flag]]]:
    lists = [("Newly too long for their network", diff.too_long),
             ("Now in an announced maintenance window", diff.maintenance),
             ("Now at night (22:00-07:00 on the post's own clock)", diff.night)]
    return [(title, flags) for title, flags in lists if flags]


# -- Markdown --------------------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"([!#$()*+\[\\\]_`{|}~>])")  # what Markdown (and GitHub's math) reads inline
_MENTION = re.compile(r"([@#])(?=\w)")


def inline(value: str) -> str:
    """Text from the calendar as inert Markdown inline text (see the module's notes)."""
    value = visible(value).replace("\n", " ").replace("\t", " ")
    value = _PUNCTUATION.sub(r"\\\1", value).replace("&", "&amp;").replace("<", "&lt;")
    return _MENTION.sub("\\1\u2060", value)


def code(value: str) -> str:
    """A name as a Markdown code span (a fence longer than any backtick run in it)."""
    value = visible(value).replace("\n", " ")
    fence = "`" * (_longest_run(value) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def cell(value: str) -> str:
    """A table cell's Markdown: ``|`` escaped (GitHub splits cells on it even in a code span)."""
    return value.replace("|", "\\|")


def block(lines: list[str], language: str = "") -> str:
    """A fenced code block holding ``lines`` as they are: nothing inside is Markdown or HTML."""
    fence = "`" * max(3, max((_longest_run(line) for line in lines), default=0) + 1)
    return "\n".join([fence + language, *lines, fence])


def _longest_run(value: str) -> int:
    return max((len(run) for run in re.findall("`+", value)), default=0)


def markdown(diff: CalendarDiff, limit: int = MARKDOWN_LIMIT) -> str:
    """For a pull-request comment: a heading, a table of counts, what the change makes worse (new
    voice-guide findings, texts too long, publications now in maintenance or at night), then a
    heading per day with each change and its text (a long list or a day of many changes folded)."""
    changes, worse = _summary(diff)
    counts = diff.counts()
    head = [f"### Calendar changes: {inline(_window(diff))}", "",
            f"{code(diff.old)} → {code(diff.new)}: {inline(changes)}" + (f"; **{inline(worse)}**" if worse else ""),
            ""]
    if diff.changed:
        names = ["added", "removed", "moved", "reworded", "voice findings", "too long", "in maintenance",
                 "at night"]
        head += ["| " + " | ".join(names) + " |", "|" + "---:|" * len(names),
                 "| " + " | ".join(str(n) for n in counts.values()) + " |", ""]
    out = _Budget(limit, "\n".join(head).rstrip("\n"))
    if diff.findings:  # what the change makes worse first: a reviewer reads it before the days
        out.add(f"#### New voice-guide findings ({len(diff.findings)})", "finding",
                [f"- {code(f'{p.path}:{p.line}:{p.col}')} **{inline(p.severity)}** {inline(p.message)}"
                 + (f" ({inline(p.hint)})" if p.hint else "") for p in diff.findings], joiner="\n")
    for title, flags in flag_lists(diff):
        out.add(f"#### {inline(title)} ({len(flags)})", "publication",
                [f"| {_when(diff, f.pub.at)} | {cell(code(f.pub.network))} | {cell(code(f.pub.post))} | "
                 f"{cell(inline(f.detail))} |" for f in flags],
                joiner="\n", lead="| when | network | post | why |\n|---|---|---|---|\n")
    for day, entries in diff.days():
        out.add(f"#### {day:%a %-d %b %Y}", "change", [_markdown_entry(diff, e) for e in entries])
    return out.text()


def _markdown_entry(diff: CalendarDiff, entry: Entry) -> str:
    pub = entry.pub
    head = f"**{entry.change}** {_when(diff, pub.at, day=False)} · {code(pub.network)} · {code(pub.post)} ({pub.kind})"
    if entry.change == Change.MOVED and entry.old is not None:
        head += f", was {_when(diff, entry.old.at)}"
    if entry.reworded and entry.old is not None and entry.new is not None:
        texts = [("- ", entry.old.text), ("+ ", entry.new.text)]
    else:
        texts = [({Change.ADDED: "+ ", Change.REMOVED: "- "}.get(entry.change, "  "), pub.text)]
    lines, cuts = [], []
    for sign, said in texts:
        shown, cut = shown_lines(said)
        lines += [sign + line for line in shown]
        cuts += [{"- ": "before ", "+ ": "after "}.get(sign, "") + cut] if cut else []
    return f"{head}\n\n{block(lines, 'diff')}" + "".join(f"\n\n{inline(c)}" for c in cuts)


def _folded(body: str, count: int, noun: str) -> str:
    if count <= DETAILS_FROM:
        return body
    return f"<details><summary>{count} {noun}s</summary>\n\n{body}\n\n</details>"


class _Budget:
    """Sections added while they fit in ``limit`` characters, item by item; once one does not fit,
    a closing line counts every item left out."""

    RESERVE = 400  # for a fold's tags and the closing line

    def __init__(self, limit: int, head: str):
        self.limit, self.parts, self.size = limit, [head], len(head)
        self.left = 0

    def add(self, title: str, noun: str, items: list[str], joiner: str = "\n\n", lead: str = "") -> None:
        """A section: ``title``, then ``lead`` and as many of ``items`` as fit (folded when there are many)."""
        room = self.limit - self.size - len(title) - len(lead) - self.RESERVE
        taken, used = [], 0
        for item in items if not self.left else ():
            used += len(item) + len(joiner)
            if used > room:
                break
            taken.append(item)
        self.left += len(items) - len(taken)
        if taken:
            section = f"{title}\n\n" + _folded(lead + joiner.join(taken), len(items), noun)
            self.parts.append(section)
            self.size += len(section) + 2

    def text(self) -> str:
        if self.left:
            self.parts.append(f"*… and {self.left} more that do not fit in a comment: run `herald diff` for all of "
                              "them.*")
        return "\n\n".join(self.parts) + "\n"


# -- JSON ------------------------------------------------------------------------------------------

def as_json(diff: CalendarDiff) -> str:
    """The diff as one JSON document (the shape is in the module's notes)."""
    local: Callable[[datetime], str] = lambda at: diff.local(at).isoformat()  # noqa: E731
    document = {
        "version": 1, "old": diff.old, "new": diff.new, "from": local(diff.start), "to": local(diff.end),
        "zone": str(getattr(diff.tz, "key", diff.tz)), "counts": diff.counts(),
        "days": [{"date": day.isoformat(), "changes": [_json_entry(diff, e) for e in entries]}
                 for day, entries in diff.days()],
        "voice": [_json_finding(p) for p in diff.findings],
        "too_long": [{**_json_flag(diff, f), "detail": f.detail} for f in diff.too_long],
        "maintenance": [{**_json_flag(diff, f), "window": _json_window(diff, f)} for f in diff.maintenance],
        "night": [{**_json_flag(diff, f), "clock": f.detail} for f in diff.night],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def _json_pub(diff: CalendarDiff, pub: Publication | None) -> dict[str, Any] | None:
    if pub is None:
        return None
    return {"at": pub.at.isoformat(), "local": diff.local(pub.at).isoformat(), "text": pub.text,
            "variant": pub.variant, "variants": pub.variants}


def _json_entry(diff: CalendarDiff, entry: Entry) -> dict[str, Any]:
    pub = entry.pub
    return {"change": str(entry.change), "post": pub.post, "network": pub.network, "network_type": pub.network_type,
            "kind": str(pub.kind), "campaign": pub.campaign, "reworded": entry.reworded,
            "old": _json_pub(diff, entry.old), "new": _json_pub(diff, entry.new)}


def _json_flag(diff: CalendarDiff, flag: Flag) -> dict[str, Any]:
    pub = flag.pub
    return {"post": pub.post, "network": pub.network, "network_type": pub.network_type, "at": pub.at.isoformat(),
            "local": diff.local(pub.at).isoformat(), "text": pub.text}


def _json_window(diff: CalendarDiff, flag: Flag) -> dict[str, Any] | None:
    window = flag.window
    if window is None:
        return None
    return {"id": window.id, "title": window.title, "starts": diff.local(window.starts).isoformat(),
            "ends": diff.local(window.ends).isoformat()}


def _json_finding(problem: Any) -> dict[str, Any]:
    rule, _, message = problem.message.partition(": ")
    return {"path": problem.path, "line": problem.line, "col": problem.col, "rule": rule,
            "severity": str(problem.severity), "message": message, "suggestion": problem.hint,
            "posts": list(problem.posts)}
