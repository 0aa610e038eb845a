"""Safe YAML loading that remembers where every key and value stands.

The calendar and status files are written by people, so every message must name
``file:line:column``.  ruamel.yaml composes the document into nodes (with its C
parser when available: about five times faster on large calendars); this module
turns those nodes into plain JSON-like data (``LocDict``, ``LocList``, str, int,
float, bool, None) that keeps each key's and value's position.

It is deliberately strict where YAML is dangerous or surprising:

- only the plain YAML types are accepted; any other tag (``!!python/object``,
  ``!custom``, ``!!binary``…) is an error, so loading never constructs objects;
- duplicate keys are errors (YAML says they are, many loaders silently keep the last);
- dates and times stay the text the person wrote: the schema decides how to read
  them, so ``2026-02-30`` is reported as an impossible date, not a YAML oddity;
- aliases are allowed (anchors and ``<<`` merges save typing) but the document
  they expand to is capped, so an alias bomb is refused in milliseconds;
- files over ``MAX_BYTES``, binary files, UTF-16 files and empty files get a clear message,
  at the line and column of the first byte that is not UTF-8 text where there is one;
- NEL, U+2028 and U+2029 written raw are errors where they stand: YAML reads them as line
  breaks, editors and ``git diff`` do not, so every place after one would be misreported
  (in a text, the escape ``"\\u2028"`` keeps one); so is a byte order mark anywhere but first
  in the file; every line and column is counted as an editor counts them (a line ends at LF,
  CRLF or CR);
- nesting deeper than ``MAX_DEPTH`` is refused where it starts (never a RecursionError);
- control characters (see :mod:`campaigns.textsafety`), written raw or as escapes in
  double-quoted text, are errors naming the character (``U+0007``) where it stands.
"""

from __future__ import annotations

import codecs
import operator
import os
import re
import stat
from itertools import accumulate
from typing import Any, NamedTuple

import ruamel.yaml
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from .errors import CalendarError, InvalidInput, Problem
from .textsafety import FORBIDDEN, describe

MAX_BYTES = 64 * 1024 * 1024
MAX_EXPANDED_NODES = 5_000_000
MAX_DEPTH = 64  # nested lists and mappings; a real calendar needs about 6
MAX_REPORTED = 20  # control characters reported per file
_UNREADABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
# Line breaks to YAML (ruamel reads YAML 1.1 here) that editors, git and the web review do not
# break lines at: written raw, every line and column after one would be misreported, and YAML
# folds them in a text (a written "a<U+2028>b" reads back as "a b").
_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029\ufeff]")  # (and a BOM not first)
_CONTROL_HINT = "remove it: invisible control characters break posts on some networks"
_ESCAPE_LENGTHS = {"x": 2, "u": 4, "U": 8}
# a link carrying a user name and password: a secret, which the files people edit never hold
_CREDENTIALS = re.compile(r"(?i)(?<![\w+.-])[a-z][a-z0-9+.-]*://[^/\s@:?#]+:[^/\s@?#]+@")
_CREDENTIALS_HINT = ("take the user name and password out of the link: secrets come from the environment "
                     "or the secrets file (docs/howto/connect-networks.md), never from this file")

_Y = "tag:yaml.org,2002:"
# Explicit core tags (!!int "12") are allowed and checked; any other tag is refused.
_EXPLICIT: dict[str, type | tuple[type, ...]] = {
    _Y + "int": int, _Y + "float": (float, int), _Y + "bool": bool, _Y + "null": type(None),
}


class Loc(NamedTuple):
    """Where a key or value was written (a tuple: a 10,000-post file has a quarter of a million)."""

    line: int  # 1-based
    col: int  # 1-based


class LocDict(dict[str, Any]):
    """A mapping that also knows where each of its keys and values was written."""

    __slots__ = ("loc", "key_locs", "value_locs")

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc
        self.key_locs: dict[str, Loc] = {}
        self.value_locs: dict[str, Loc] = {}

    def key_loc(self, key: str) -> Loc:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: str) -> Loc:
        return self.value_locs.get(key, self.loc)


class LocList(list[Any]):
    """A sequence that also knows where each item was written."""

    __slots__ = ("loc", "item_locs")

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc
        self.item_locs: list[Loc] = []

    def item_loc(self, index: int) -> Loc:
        return self.item_locs[index] if 0 <= index < len(self.item_locs) else self.loc


_new_loc = tuple.__new__  # Loc(line, col) without the named tuple's __new__ (a Python function): as fast as a tuple

_PLAIN = "tag:herald:plain"  # a plain (unquoted) scalar, typed by _resolve_plain below


class _PlainResolver(VersionedResolver):
    """Tells only plain from quoted: typing plain scalars here, in one regex, is what
    makes loading a 10,000-post calendar fast (ruamel's resolver runs per scalar in Python)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Tag:
        # Shared Tag objects: every node reuses one, decoded once (ruamel decodes each new Tag).
        if kind is ScalarNode:
            return _PLAIN_TAG if implicit[0] else _STR_TAG
        return _SEQ_TAG if kind is SequenceNode else _MAP_TAG

    # The composer calls these two around every node (194,000 at 10,000 posts) for ruamel's path
    # resolvers, which resolve() above never reads: C functions that do nothing with their arguments
    # instead of Python calls that find none registered (0.13 s of a 10,000-post load).
    descend_resolver = staticmethod(operator.is_)  # type: ignore[assignment]
    ascend_resolver = staticmethod(tuple)  # type: ignore[assignment]


def _shared_tag(name: str) -> Tag:
    tag = Tag(suffix=name)
    str(tag)  # decode now, once
    return tag


_PLAIN_TAG, _STR_TAG, _SEQ_TAG, _MAP_TAG = (_shared_tag(t) for t in (_PLAIN, _Y + "str", _Y + "seq", _Y + "map"))


def _tag(node: Node) -> str:
    ctag = node.ctag
    if ctag is _PLAIN_TAG:
        return _PLAIN
    if ctag is _STR_TAG:
        return _Y + "str"
    if ctag is _MAP_TAG:
        return _Y + "map"
    if ctag is _SEQ_TAG:
        return _Y + "seq"
    return str(ctag)


# The YAML 1.2 core schema: 'yes', 'no', 'on', 'off' are text; '0777' is a number.
_CORE = re.compile(
    r"(?P<null>~|null|Null|NULL|)"
    r"|(?P<bool>true|True|TRUE|false|False|FALSE)"
    r"|(?P<int>[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)


def _resolve_plain(text: str) -> Any:
    match = _CORE.fullmatch(text)
    if match is None:
        return text
    kind = match.lastgroup
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() == "true"
    if kind == "int":
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    lowered = text.lower()
    if lowered.endswith((".inf", ".nan")):
        return float(lowered.replace(".", ""))
    return float(text)


def _yaml() -> ruamel.yaml.YAML:
    yaml = ruamel.yaml.YAML(typ="safe", pure=False)
    if yaml.Parser is not None and yaml.Parser.__name__ == "CParser":
        yaml.Resolver = _PlainResolver
    return yaml


def decode(data: bytes, path: str, size: int | None = None) -> str:
    """Bytes of a hand-edited file as text, or a one-line problem saying why not, at the line
    and column (as an editor counts them) of the first byte that is not UTF-8 text.  ``size``:
    the file's size, when ``data`` is only its first ``MAX_BYTES + 1`` bytes."""
    size = max(size or 0, len(data))
    if size > MAX_BYTES:
        raise CalendarError([Problem(path, 0, 0, f"file is {size / _MIB:.1f} MiB ({size:,} bytes); the limit is "
                                                 f"{MAX_BYTES // _MIB} MiB", "split it or remove old posts")])
    utf16 = _utf16(data)
    if utf16:
        raise CalendarError([Problem(path, 1, 1, f"the file is {utf16} text, not UTF-8",
                                     "save it as UTF-8: most editors offer it under Save with Encoding")])
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CalendarError([Problem(path, *_byte_position(data, nul), "NUL byte (U+0000): not a text file",
                                     "save it as UTF-8 YAML")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CalendarError([Problem(path, *_byte_position(data, exc.start),
                                     f"not valid UTF-8 text (byte 0x{data[exc.start]:02X})",
                                     "save the file as UTF-8")]) from None


_MIB = 1024 * 1024
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
         (codecs.BOM_UTF16_BE, "UTF-16"))


def _utf16(data: bytes) -> str:
    """"UTF-16" (or "UTF-32") when the file starts with that encoding's byte order mark, or has no
    mark but reads like it: a NUL byte in every other place of its first line (YAML text starts
    with ASCII keys, comments or dashes); "" for anything else."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    head = data[:80]
    if len(head) < 4 or b"\x00" not in head:
        return ""
    even, odd = head[0::2], head[1::2]
    if (odd.count(0) == len(odd) and even.count(0) == 0) or (even.count(0) == len(even) and odd.count(0) == 0):
        return "UTF-16"
    return ""


def _byte_position(data: bytes, index: int) -> tuple[int, int]:
    """The line and column, as an editor counts them, of the byte at ``index`` (the text before
    it decoded as far as it can be)."""
    before = data[:index].decode("utf-8", "replace")
    return _position(before, len(before))


DEEPER = f"YAML nesting is deeper than {MAX_DEPTH} levels here"
DEEPER_HINT = "a calendar or status file needs only a few levels; check the brackets and the indentation"
MAX_FLOW_DEPTH = 1_000  # "[" and "{" open at once: far above MAX_DEPTH, far below what crashes the parser
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_problem(text: str, path: str) -> Problem | None:
    """A text whose brackets open deeper than MAX_FLOW_DEPTH, refused as any nesting deeper than
    MAX_DEPTH is, where it passes that: the C parser composes nested flow collections by recursing
    on the C stack, and some 30,000 of them crash the process (a segmentation fault: no error, no
    log line; found by an attack on a status file).  Brackets in quoted text count too: no
    hand-written file comes near the limit."""
    if not _may_be_deep(text):
        return None
    depth, deep_at = 0, -1
    for found in re.finditer(r"[\[\]{}]", text):
        depth = max(depth + _STEP[found.group()], 0)
        if depth == MAX_DEPTH and deep_at < 0:
            deep_at = found.start()
        if depth > MAX_FLOW_DEPTH:
            line = text.count("\n", 0, deep_at) + 1
            return Problem(path, line, deep_at - text.rfind("\n", 0, deep_at), DEEPER, DEEPER_HINT)
        if depth == 0:
            deep_at = -1
    return None


def _may_be_deep(text: str) -> bool:
    """False when the brackets of ``text`` cannot nest deeper than MAX_FLOW_DEPTH, without a step per
    bracket in Python (a big calendar's flow lists are tens of thousands): the depth after a bracket
    is the running sum of the steps (+1 an opener, -1 a closer) less its lowest value before it, so at
    most the sums' highest less their lowest.  (Brackets are ASCII: no byte of another UTF-8
    character is one.)"""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return False
    brackets = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    sums = list(accumulate(map(_BYTE_STEP.__getitem__, brackets), initial=0))
    return max(sums) - min(sums) > MAX_FLOW_DEPTH


_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_BYTE_STEP = [1 if c in b"[{" else -1 if c in b"]}" else 0 for c in range(256)]


def parses_safely(text: str | bytes) -> bool:
    """Whether a text may be given to the C parser at all (see :func:`nesting_problem`)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return nesting_problem(text, "") is None


def load_text(text: str, path: str, *, what: str = "calendar") -> Any:
    """Parse one YAML document into located plain data; raise CalendarError on any problem."""
    breaks = _yaml_only_breaks(text, path)
    if breaks:
        raise CalendarError(breaks)
    deep = nesting_problem(text, path)
    if deep is not None:
        raise CalendarError([deep])
    try:
        root = _yaml().compose(text)
    except MarkedYAMLError as exc:
        raise CalendarError([_syntax_problem(exc, text, path)]) from None
    except YAMLError as exc:  # unmarked reader errors: characters YAML does not allow in a file
        unreadable = _unreadable(text, path)
        raise CalendarError(unreadable or [Problem(path, 0, 0, f"YAML error: {str(exc).splitlines()[0]}")]) from None
    except RecursionError:
        raise CalendarError([Problem(path, 0, 0, "YAML nesting is too deep")]) from None
    if root is None:
        raise CalendarError([Problem(path, 1, 1, f"the file is empty; expected a {what}",
                                     "see docs/tutorial.md for an example")])
    problems: list[Problem] = []
    value = _Builder(path, problems, text if "\\" in text else None, text).build(root)
    if problems:
        raise CalendarError(problems)
    return value


_FRAGMENTS: list[ruamel.yaml.YAML] = []  # parsers free for load_fragment


def load_fragment(text: str, path: str, lines_before: int, depth: int) -> tuple[Any, int] | None:
    """Part of a file parsed on its own (``text``: whole lines, the file's lines from
    ``lines_before + 1`` on, standing ``depth - 1`` levels deep in the file): its located data with
    the positions it has in the file, and how many values it expands to; None if it has any
    problem, or needs the rest of the file (an alias of an anchor elsewhere, a quote or a bracket
    closed further on): only the whole file says what is wrong, and where.  A caller that puts
    fragments together checks that their sizes add up to at most ``MAX_EXPANDED_NODES``."""
    # reused (making one costs more than composing a list item), each by one caller at a time:
    # list.pop and list.append are atomic
    if nesting_problem(text, path) is not None:
        return None
    yaml = _FRAGMENTS.pop() if _FRAGMENTS else _yaml()
    try:
        root = yaml.compose(text)
    except (YAMLError, RecursionError):
        return None
    finally:
        _FRAGMENTS.append(yaml)
    if root is None:
        return None
    problems: list[Problem] = []
    builder = _Builder(path, problems, text if "\\" in text else None, text, lines_before)
    try:
        value = builder.build(root, depth)
    except CalendarError:
        return None
    return None if problems else (value, builder.size)


def _syntax_problem(exc: MarkedYAMLError, text: str, path: str) -> Problem:
    """A YAML syntax error where the person made it.  The scanner reports where it gave up, which
    for an unclosed quote or bracket is the end of the file or the next line: those (and a key
    missing its ':') are reported where they open, at the context mark."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark or exc.context_mark
    line, col = (int(mark.line) + 1, int(mark.column) + 1) if mark else (0, 0)
    runaway = _runaway_quote(text, mark.index if mark else len(text))
    if runaway is not None:
        return _runaway_problem(path, *runaway)
    opened = _where_opened(exc.context_mark, text, path, problem, context, (line, col))
    if opened is not None:
        return opened
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Problem(path, line, col, message, _syntax_hint(problem, text, mark))


def _runaway_problem(path: str, opening: tuple[int, int], closing: tuple[int, int], quote: str) -> Problem:
    """A quote the scanner closed lines later (see :func:`_runaway_quote`): where it opens, and
    where YAML took it to end."""
    return Problem(path, *opening, f"unclosed quote: the {quote} here is never closed on its line "
                   f"(YAML read on to the {quote} at {closing[0]}:{closing[1]})",
                   "end the text with the same quote; inside it write \\\" for \" or '' for '")


def _where_opened(opened: Any, text: str, path: str, problem: str, context: str,
                  at: tuple[int, int]) -> Problem | None:
    """The errors reported where they open (the context mark): a quote left open to the end of
    the file, a bracket never closed, a key missing its ':'. None for any other error."""
    start_line, start_col = (int(opened.line) + 1, int(opened.column) + 1) if opened else at
    opener = text[opened.index] if opened and opened.index < len(text) else ""
    if "quoted scalar" in context and problem.startswith("found unexpected end of stream") and opener in ('"', "'"):
        return Problem(path, start_line, start_col, f"unclosed quote: the {opener} here is never closed",
                       "end the text with the same quote; inside it write \\\" for \" or '' for '")
    if "flow" in context and problem.startswith("did not find expected ','") and opener in ('[', '{'):
        return Problem(path, start_line, start_col, f"YAML syntax error: the {opener!r} here is never closed "
                                     f"({problem.removeprefix('did not find ')} at {at[0]}:{at[1]})")
    if "simple key" in context and problem.startswith("could not find expected ':'"):
        return Problem(path, start_line, start_col, f"YAML syntax error: {problem} after this key",
                       "write 'key: value', or indent this line under the key above")
    return None


def _syntax_hint(problem: str, text: str, mark: Any) -> str:
    """What to do about the syntax errors people make most (a ':' in a flow or in plain text, a
    tab for indentation); empty for the rest."""
    if "unexpected ':'" in problem:
        return "inside [ ] or { }, quote values that contain ':', e.g. ['2026-12-25T17:00']"
    if "mapping values are not allowed" in problem:
        return "quote text that contains ': ', or indent it under the key"
    if (mark and text[mark.index:mark.index + 1] == "\t") or "found character '\\t'" in problem:
        return "indent with spaces, not tabs"
    return ""


# a line that reads like the file's own structure: "- item", "key: value"
_STRUCTURE_LINE = re.compile(r"^[ \t]*(?:-(?:[ \t\r]|$)|[^\s#:'\"][^:#\n]*:(?:[ \t\r]|$)"
                             r"|\"[^\"\n]*\"[ \t]*:(?:[ \t\r]|$)|'[^'\n]*'[ \t]*:(?:[ \t\r]|$))")
_QUOTES = ('"', "'")
_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # the line breaks YAML reads


def _runaway_quote(text: str, upto: int) -> tuple[tuple[int, int], tuple[int, int], str] | None:
    """A quote left open that the scanner closed with the next quote in the file (lines later),
    so that the parser failed further on: the last quoted text before the failure that runs over
    lines, whose closing quote is followed by more text on its line (``text: "world"`` closes the
    open quote at its first ``"``; a text closed on purpose ends its line, or is followed by a
    comment or the ``,``, ``]`` or ``}`` of its flow), and that holds a line less indented than
    the line it opens on, or one as indented that reads like the file's structure (a text folded
    on purpose continues further right). Its opening, the quote that closed it, the quote."""
    found = None
    try:
        for token in ruamel.yaml.YAML(typ="safe", pure=True).scan(text):
            start, end = token.start_mark, token.end_mark
            if start.index > upto:
                break
            style = getattr(token, "style", None)
            if style not in _QUOTES or end.line == start.line or _ends_on_purpose(text, end.index):
                continue
            if _takes_in_structure(text, start.index, end.index):
                found = (_position(text, start.index), _position(text, end.index - 1), style)
    except YAMLError:
        pass
    return found


def _ends_on_purpose(text: str, end: int) -> bool:
    """Whether a quoted text closes where a text may end: at the end of its line, before a
    comment, or before the ``,``, ``]`` or ``}`` of its flow."""
    line_end = text.find("\n", end)
    rest = text[end:line_end if line_end >= 0 else len(text)]
    after = rest.strip()
    return not after or after[0] in ",]}" or (after[0] == "#" and rest[0] in " \t")


def _takes_in_structure(text: str, start: int, end: int) -> bool:
    """Whether the quoted text from ``start`` to ``end`` holds a line less indented than the line
    it opens on, or one as indented that reads like the file's structure (a text folded on
    purpose continues further right)."""
    opening = text[text.rfind("\n", 0, start) + 1:start]
    indent = len(opening) - len(opening.lstrip(" "))
    for line in text[start:end].split("\n")[1:]:
        depth = len(line) - len(line.lstrip(" "))
        if line.strip() and (depth < indent or (depth == indent and _STRUCTURE_LINE.match(line))):
            return True
    return False


def _is_merge(key_node: Node) -> bool:
    """A merge key: ``<<`` written plain, or tagged as one."""
    ctag = key_node.ctag
    if ctag is _PLAIN_TAG:  # (nearly every key: plain, or quoted, below)
        return bool(key_node.value == "<<")
    if ctag is _STR_TAG:
        return False
    return _tag(key_node) == _Y + "merge"


def _merge_into(out: LocDict, merged: list[LocDict]) -> None:
    """The merged mappings' keys that ``out`` lacks, in order: explicit keys win over merged ones,
    and an earlier merged mapping over a later one (YAML merge semantics)."""
    for source in merged:
        for key, value in source.items():
            if key not in out:
                out[key] = value
                out.key_locs[key] = source.key_locs[key]
                out.value_locs[key] = source.value_locs[key]


def _position(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[index]`` as an editor counts them: a line ends at
    LF, CRLF or CR (the only line breaks a file may hold: see :func:`_yaml_only_breaks`)."""
    line = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index) + 1
    return line, index - (max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1) + 1


def _yaml_only_breaks(text: str, path: str) -> list[Problem]:
    """NEL (U+0085), U+2028 and U+2029 written raw, each where an editor shows it: YAML takes
    them for line breaks (so every place after one would be misreported, and a text holding one
    is changed), editors and ``git diff`` do not.  In a text, the escape keeps the character.
    A byte order mark anywhere but first, too: YAML takes one at a line's start for nothing (and
    fails further on, at the wrong place), editors do not show it."""
    if not any(char in text for char in "\x85\u2028\u2029") and text.find("\ufeff", 1) < 0:  # nearly every
        return []                                     # file: 4 scans, 15x faster than the regular expression's one
    out = []
    for match in _YAML_ONLY_BREAKS.finditer(text, 1 if text.startswith("\ufeff") else 0):
        char = match.group()
        hint = ("remove it" if char == "\x85" else
                f"remove it, or write it as the escape \\u{ord(char):04x} inside double quotes")
        why = ("a byte order mark belongs only at the very start of a file" if char == "\ufeff" else
               "YAML reads it as a line break, editors do not")
        out.append(Problem(path, *_position(text, match.start()), f"{describe(char)} is not allowed here: {why}",
                           hint))
        if len(out) == MAX_REPORTED:
            break
    return out


def _unreadable(text: str, path: str) -> list[Problem]:
    """The characters written raw in the file that YAML refuses, each at its line and column."""
    out = []
    for match in _UNREADABLE.finditer(text):
        out.append(Problem(path, *_position(text, match.start()), f"{describe(match.group())} is not allowed",
                           _CONTROL_HINT))
        if len(out) == MAX_REPORTED:
            break
    return out


def read_file(path: str, error: type[InvalidInput] = CalendarError) -> str:
    """The text of an input file (size-capped, decoded), or ``error`` saying why it cannot be read:
    the one way both loaders read their file."""
    try:  # opened without blocking (a FIFO would wait for a writer), checked, then read
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error([Problem(path, 0, 0, "file not found", _elsewhere(path))]) from None
    except IsADirectoryError:
        raise error([Problem(path, 0, 0, "is a directory, not a file")]) from None
    except OSError as exc:
        raise error([Problem(path, 0, 0, f"cannot read: {exc.strerror}")]) from None
    with open(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error([Problem(path, 0, 0, f"is {not_a_file(info.st_mode)}, not a file")])
        try:
            os.set_blocking(fd, True)
            data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise error([Problem(path, 0, 0, f"cannot read: {exc.strerror}")]) from None
    return decode(data, path, info.st_size)


_OPTIONS = {"content_calendar.yaml": "--calendar", "status.yaml": "--status"}  # the default names


def _elsewhere(path: str) -> str:
    """For a default file name not found here: the option naming the file of that name in a
    folder one level down (``run/content_calendar.yaml``), the first in name order; else ""."""
    option = _OPTIONS.get(path)
    if option is None:
        return ""
    try:
        folders = sorted(entry.name for entry in os.scandir(".") if entry.is_dir() and not entry.name.startswith("."))
    except OSError:
        return ""
    found = next((os.path.join(f, path) for f in folders[:200] if os.path.isfile(os.path.join(f, path))), "")
    return f"did you mean {option} {found}?" if found else ""


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def not_a_file(mode: int) -> str:
    """What a path that is not a regular file is, said as "is … , not a file" says it."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def load_file(path: str, *, what: str = "calendar") -> Any:
    return load_text(read_file(path), path, what=what)


class _Builder:
    """Builds located data from nodes.  An alias is the same node object as its anchor:
    it is built once and shared, and the expanded size is counted as the document
    would unfold, so an alias bomb is refused before anything walks it."""

    def __init__(self, path: str, problems: list[Problem], source: str | None = None, text: str = "",
                 lines_before: int = 0):
        self.path = path
        self.lines_before = lines_before  # a fragment of a file: the file's lines before it
        self.problems = problems
        self.text = text  # the whole file: a quoted text over several lines is checked against it
        # what holds what is being built: a block mapping's key, a block list, or None (the root or
        # a flow collection's outside); a quoted text's lines are measured from its column
        self.holder: Node | None = None
        self.checked: set[int] = set()  # quoted texts already checked (an alias is the same node)
        # Raw control characters never reach here (the reader refuses them): only escapes in
        # double-quoted text can make one, so text is checked only when the file has a backslash.
        self.source = source
        self.reported = 0
        self.shared: dict[int, tuple[Any, int, int]] = {}  # id(node) -> (value, expanded size, height)
        self.size = 0
        self.deepest = 0  # the deepest nesting reached so far

    def at(self, node: Node) -> Loc:
        mark = node.start_mark
        return _new_loc(Loc, (mark.line + 1 + self.lines_before, mark.column + 1))

    def error(self, node: Node, message: str, hint: str = "") -> None:
        loc = self.at(node)
        self.problems.append(Problem(self.path, loc.line, loc.col, message, hint))

    def build(self, node: Node, depth: int = 1) -> Any:
        if isinstance(node, ScalarNode):
            self.size += 1
            return self.scalar(node)
        known = self.shared.get(id(node))
        if known is not None:  # an alias: reuse, but count its expansion
            self.size += known[1]
            self.nested(node, depth + known[2] - 1)
            if self.size > MAX_EXPANDED_NODES:
                loc = self.at(node)
                raise CalendarError([Problem(self.path, loc.line, loc.col,
                                             f"aliases here expand to more than {MAX_EXPANDED_NODES:,} values",
                                             "write the values out instead of nesting aliases")])
            return known[0]
        self.nested(node, depth)
        before, outer = self.size, self.deepest
        self.deepest = depth
        value = self.collection(node, depth)
        self.shared[id(node)] = (value, self.size - before, self.deepest - depth + 1)
        if outer > self.deepest:
            self.deepest = outer
        return value

    def nested(self, node: Node, depth: int) -> None:
        """Refuse nesting deeper than MAX_DEPTH, where it starts (never a RecursionError)."""
        if depth > MAX_DEPTH:
            loc = self.at(node)
            raise CalendarError([Problem(self.path, loc.line, loc.col, DEEPER, DEEPER_HINT)])
        if depth > self.deepest:
            self.deepest = depth

    def collection(self, node: Node, depth: int) -> Any:
        self.size += 1
        if isinstance(node, SequenceNode):
            if _tag(node) != _Y + "seq":
                self.error(node, f"unsupported YAML tag {_tag(node)!r}", "remove the tag")
            out = LocList(self.at(node))
            outer = self.holder
            if not node.flow_style:  # a block list: its items are held by their dashes
                self.holder = node
            lines_before, locs = self.lines_before + 1, out.item_locs
            for item in node.value:
                if type(item) is ScalarNode:  # (build's first case, without the call)
                    self.size += 1
                    out.append(self.scalar(item))
                else:
                    out.append(self.build(item, depth + 1))
                mark = item.start_mark
                locs.append(_new_loc(Loc, (mark.line + lines_before, mark.column + 1)))
            self.holder = outer
            return out
        if isinstance(node, MappingNode):
            return self.mapping(node, depth)
        self.error(node, "unsupported YAML node")  # pragma: no cover
        return None

    def mapping(self, node: MappingNode, depth: int) -> LocDict:
        if _tag(node) != _Y + "map":
            self.error(node, f"unsupported YAML tag {_tag(node)!r}", "remove the tag")
        out = LocDict(self.at(node))
        merged: list[LocDict] = []
        outer, block_style = self.holder, not node.flow_style
        lines_before, key_locs, value_locs = self.lines_before + 1, out.key_locs, out.value_locs
        for key_node, value_node in node.value:
            if _is_merge(key_node):
                merged += self.merge_sources(key_node, value_node, depth, block_style)
                continue
            key = self.key(out, key_node)
            if key is None:
                continue
            if block_style:  # a block mapping: each value is held by its key
                self.holder = key_node
            if type(value_node) is ScalarNode:  # (build's first case, without the call)
                self.size += 1
                out[key] = self.scalar(value_node)
            else:
                out[key] = self.build(value_node, depth + 1)
            mark = key_node.start_mark
            key_locs[key] = _new_loc(Loc, (mark.line + lines_before, mark.column + 1))
            mark = value_node.start_mark
            value_locs[key] = _new_loc(Loc, (mark.line + lines_before, mark.column + 1))
        self.holder = outer
        _merge_into(out, merged)
        return out

    def merge_sources(self, key_node: Node, value_node: Node, depth: int, block_style: bool) -> list[LocDict]:
        """The mappings a ``<<`` key merges (one, or a list of them), built; anything else in
        its value is refused where it stands."""
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        if block_style:
            self.holder = key_node
        merged: list[LocDict] = []
        for source in sources:
            if isinstance(source, MappingNode):
                merged.append(self.build(source, depth))
            else:
                self.error(source, "'<<' merges only mappings")
        return merged

    def key(self, out: LocDict, key_node: Node) -> str | None:
        """The text of a mapping's key, or None (reported) when it is a list or a mapping, or a
        duplicate of one before it."""
        if not isinstance(key_node, ScalarNode):
            self.error(key_node, "a key must be plain text, not a list or mapping")
            return None
        key: str = key_node.value
        if self.source is not None:
            self.check_text(key_node, key)
        if key in out:
            first = out.key_locs[key]
            self.error(key_node, f"duplicate key {key!r} (first at line {first.line})", "remove one of them")
            return None
        return key

    def check_text(self, node: ScalarNode, text: str) -> None:
        match = FORBIDDEN.search(text)
        if match is not None:
            self.refuse_at(node, match.start(), f"{describe(match.group())} is not allowed", _CONTROL_HINT)

    def check_credentials(self, node: ScalarNode, text: str) -> None:
        found = _CREDENTIALS.search(text)
        if found is not None:
            self.refuse_at(node, found.start(), "a link with a user name and password", _CREDENTIALS_HINT)

    def refuse_at(self, node: ScalarNode, index: int, message: str, hint: str) -> None:
        """A problem at character ``index`` of ``node``'s text (its column when it can be told)."""
        if self.reported >= MAX_REPORTED:
            return
        self.reported += 1
        where = self.at(node)
        column = self.column_of(node, index) or self.written_column(node, index)
        if column is not None:
            where, place = Loc(where.line, column), ""
        else:
            place = f" at character {index + 1} of the text"
        self.problems.append(Problem(self.path, where.line, where.col, f"{message}{place}", hint))

    def written_column(self, node: ScalarNode, index: int) -> int | None:
        """The column of character ``index`` of a one-line text written as it reads (no escapes)."""
        start, end = node.start_mark, node.end_mark
        if start.line != end.line or not self.text:
            return None
        raw = self.text[start.index:end.index]
        quoted = bool(node.style)  # a plain scalar's style is None or ''
        inner = raw[1:-1] if quoted else raw
        return start.column + 1 + quoted + index if inner == node.value else None

    def column_of(self, node: ScalarNode, index: int) -> int | None:
        """The column of the escape that made character ``index`` of a one-line double-quoted scalar."""
        start, end = node.start_mark, node.end_mark
        if node.style != '"' or start.line != end.line or self.source is None:
            return None
        column: int = start.column
        source = self.source[start.index + 1:end.index - 1]
        position = count = 0
        while position < len(source):
            if count == index:
                return column + 2 + position
            if source[position] == "\\":
                position += 2 + _ESCAPE_LENGTHS.get(source[position + 1:position + 2], 0)
            else:
                position += 1
            count += 1
        return None

    def block_column(self) -> int:
        """The column a quoted text's lines are measured from: the dash of the block list that
        holds it, the key of the block mapping that holds it (for an explicit key, ``? key`` then
        ``: value``, its ``?``), or -1 (held by nothing: the root, or a flow at the root)."""
        holder = self.holder
        if holder is None:
            return -1
        mark = holder.start_mark
        column: int = mark.column
        if isinstance(holder, SequenceNode):
            return column
        return column - 2 if column >= 2 and self.text[mark.index - 2] == "?" else column

    def runaway(self, node: ScalarNode) -> None:
        """A quoted text that takes in what follows it: the parser closed a quote left open with
        the next quote in the file, and what came between (a key, whole posts) became text while
        the file still loaded. Refused where the quote opens, when the text takes in a line left
        of its key's column (YAML wants a text's lines further right than its key), a line at
        that column that reads like a key or a list item, or when its closing quote is followed
        at once by ``#`` (YAML wants a space before a comment; that ``#`` starts the next text)."""
        text, start, end = self.text, node.start_mark, node.end_mark
        follows = text[end.index:end.index + 1] == "#"
        if (end.line == start.line and not follows) or id(node) in self.checked:
            return  # the common case, in O(1): every quoted text of the file comes here
        self.checked.add(id(node))

        def where() -> str:
            closed = _position(text, end.index - 1)
            return f"unclosed quote: the {node.style} here is closed only at {closed[0]}:{closed[1]}"

        lines = _LINE_BREAKS.split(text[start.index:end.index]) if end.line != start.line else []
        block = self.block_column()
        for number, line in enumerate(lines[1:], start.line + 2):
            if not line.strip():
                continue
            depth = len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip(" "))
            if depth < block:
                why = "is less indented than its key"
            elif depth == block and _STRUCTURE_LINE.match(line):
                why = "reads like a key" if not line.lstrip().startswith("-") else "reads like a list item"
                why += " at its key's indentation"
            else:
                continue
            self.problems.append(Problem(
                self.path, start.line + 1, start.column + 1, f"{where()}, and line {number}, which it takes in, {why}",
                "end the text with the same quote on its line; a text over several lines continues on lines "
                "indented further than its key"))
            return
        if follows:
            self.problems.append(Problem(
                self.path, start.line + 1, start.column + 1,
                f"{where()}, right before a '#' (a comment needs a space before it; is a quote missing?)",
                "end the text with the same quote where it ends; put a space before a comment"))

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = _tag(node), node.value
        if node.style in _QUOTES and (node.end_mark.line != node.start_mark.line  # in O(1) for the rest
                                      or self.text[node.end_mark.index:node.end_mark.index + 1] == "#"):
            self.runaway(node)
        if self.source is not None and tag != _PLAIN:
            self.check_text(node, text)
        if "@" in text and "://" in text:  # in O(1) for nearly every text
            self.check_credentials(node, text)
        if tag == _PLAIN:
            return _resolve_plain(text)
        if tag in (_Y + "str", _Y + "timestamp"):
            return text
        expected = _EXPLICIT.get(tag)
        if expected is None:
            self.error(node, f"unsupported YAML tag {tag!r}", "Herald reads plain YAML only; remove the tag")
            return None
        value = _resolve_plain(text)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            self.error(node, f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return None
        return value
