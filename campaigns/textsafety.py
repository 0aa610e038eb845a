"""Characters no post, announcement or message may carry, found before any channel sees them.

A bell (U+0007), an escape (U+001B), a vertical tab, a NUL or a lone surrogate passes
through YAML escapes, command lines and feeds unnoticed, then breaks a channel (the site
feed is XML, where they are not allowed) on every attempt.  Forbidden:

- the C0 controls U+0000-U+001F except tab (U+0009) and line feed (U+000A);
- DEL (U+007F) and the C1 controls U+0080-U+009F (NEL, U+0085, is a line break to some readers
  and nothing to others; CSI, U+009B, starts a terminal escape);
- the noncharacters U+FFFE and U+FFFF;
- lone surrogates (U+D800-U+DFFF: not characters at all, and not encodable as UTF-8).

Carriage return (U+000D) is forbidden *inside* a text: after YAML has normalised the
file's line breaks (CRLF files are fine) a CR can only come from an escape (``"\\r"``),
and networks disagree about it (shown as a line break, dropped, or counted as a
character); a text uses LF for its line breaks.  Where line breaks arrive as CRLF or CR
on their own (feed bodies, a message pasted on a command line), :func:`strip_control`
turns them into LF instead of counting them as removed.
"""

from __future__ import annotations

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n?")
_NAMES = {0x00: "NUL", 0x07: "bell", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed",
          0x0D: "carriage return", 0x1B: "escape", 0x7F: "DEL", 0x85: "next line, NEL", 0x2028: "line separator",
          0x2029: "paragraph separator", 0xFEFF: "byte order mark", 0xFFFE: "noncharacter",
          0xFFFF: "noncharacter", 0x202A: "left-to-right embedding", 0x202B: "right-to-left embedding",
          0x202C: "pop directional formatting", 0x202D: "left-to-right override", 0x202E: "right-to-left override",
          0x2066: "left-to-right isolate", 0x2067: "right-to-left isolate", 0x2068: "first strong isolate",
          0x2069: "pop directional isolate"}
# The bidirectional embeddings, overrides and isolates: they reorder what follows them, so a text
# reads differently from its source ("Trojan Source"; the voice guide's ``bidi`` rule).  The marks
# U+200E and U+200F, which right-to-left writing needs, only set the direction next to them.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def codepoint(char: str) -> str:
    """'\\x07' -> 'U+0007'."""
    return f"U+{ord(char):04X}"


def describe(char: str) -> str:
    """'\\x07' -> 'U+0007 (bell)'; what a message names."""
    number = ord(char)
    name = _NAMES.get(number) or ("lone surrogate" if 0xD800 <= number <= 0xDFFF else "control character")
    return f"{codepoint(char)} ({name})"


def forbidden(text: str) -> list[tuple[int, str]]:
    """Every forbidden character in ``text`` as (index, character), in order."""
    return [(m.start(), m.group()) for m in FORBIDDEN.finditer(text)]


def strip_control(text: str) -> tuple[str, int]:
    """``text`` without forbidden characters, and how many were removed (CRLF and CR become LF)."""
    text = _LINE_BREAKS.sub("\n", text)
    return FORBIDDEN.subn("", text)


# A title is one line: a line break in it (LF, CR, NEL, U+2028, U+2029) splits a mail's Subject,
# a log line and a terminal row; a direction override or isolate shows it reversed.
TITLE_FORBIDDEN = re.compile("[\n\r\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TITLE_PATTERN = "^[^\\n\\r\\x85\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*$"  # the same, for JSON Schema


def describe_title_problem(text: str) -> str | None:
    """Why ``text`` cannot be a title, or None."""
    found = TITLE_FORBIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    what = "a line break" if char in "\n\r\x85\u2028\u2029" else "a character that reverses the text"
    return f"a title is one line of text; it contains {what} ({codepoint(char)}) at character {found.start() + 1}"
