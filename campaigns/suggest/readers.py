"""Reading what customers asked: helpdesk exports and site-search reports, streamed.

Every file becomes a stream of :class:`Request` values (text, weight, when it came in), so
100,000 tickets never sit in memory as rows.  The format is recognised by its columns (CSV)
or its keys (JSON), never by the file name:

* Zendesk ticket export, CSV (``Id``, ``Subject``, ``Created at``, ``Tags``, ``Via``…) and
  JSON (one ticket per line, as the incremental export writes it, or ``{"tickets": [...]}``
  as the API answers: ``subject``, ``description``, ``tags``, ``created_at``, ``via.channel``);
* Freshdesk ticket export, CSV (``Ticket ID``, ``Subject``, ``Description``, ``Created time``,
  ``Tags``, ``Source``);
* Help Scout conversation export, CSV (``Conversation ID``, ``Subject``, ``Preview``,
  ``Created At``, ``Tags``, ``Type``);
* a plain CSV: ``question``, ``count`` and optional ``hour`` / ``weekday``;
* a site-search report (Google Analytics, Matomo, Shopify…): a search term column and a
  count column.

Bad input raises :class:`~campaigns.errors.InvalidInput` with one line naming the file, line
and column: unknown columns (listing those found, and the nearest known one), an empty file,
bytes that are not in the file's encoding (with the single-byte encoding one language's
alphabet explains them in, the ones they could be in, or the encoding charset-normalizer
guesses), a single-byte encoding named for a file another reads clearly better (mojibake),
a date that cannot be read.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO, Any

from ..errors import AmbiguousDate, InvalidInput, InvalidValue, Problem

__all__ = ["FORMATS", "Request", "plain", "read_requests", "sniff_encoding"]

# the longest field a CSV export may have: a ticket's HTML description runs to hundreds of KB (the
# csv module's own limit is 128 KB); the reader's limit is process-wide, so raised, never lowered
FIELD_LIMIT = 10_000_000
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Request:
    """One thing customers asked: its words, how many times (a search report's count), and,
    when the source says so, the moment (UTC) or at least the hour and weekday (local)."""

    text: str
    weight: int = 1
    at: datetime | None = None
    hour: int | None = None
    weekday: int | None = None  # 0 = Monday
    tags: tuple[str, ...] = ()
    channel: str = ""
    title: str = ""  # the subject (or the question), shown as an example
    body: str = ""  # the description (without the subject), when the source has one
    ref: str = ""  # the request's id in its source (ticket id), or ''
    source: str = ""  # the file it comes from
    line: int = 0  # its line in that file (CSV: where its row starts; JSON: its line or index)


# Invisible characters a customer's text never needs: C0 and C1 controls but tab and line
# breaks, bidi overrides and isolates (they are left out); line and paragraph separators,
# vertical tab, form feed and NEL are line breaks.  A draft quoting them would not validate.
# A lone surrogate (``"\ud83d"`` in JSON: half an emoji) is no character: it is read as U+FFFD.
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")
_PLAIN = {**{c: None for c in (*range(0x20), *range(0x7f, 0xa0), *range(0x202a, 0x202f), *range(0x2066, 0x206a))
             if c not in (0x09, 0x0a, 0x0d)},
          **{c: "\n" for c in (0x0b, 0x0c, 0x85, 0x2028, 0x2029)},
          **{c: "\ufffd" for c in range(0xd800, 0xe000)}}


# The characters of one field of a request that are read: a question is far shorter, and what is
# read later (HTML, transcripts, quotes) is then bounded whatever a file holds (a 5 MB subject
# took a minute); the same bound as a post's text in the calendar's checks.
FIELD_READ = 100_000


def plain(text: str) -> str:
    """``text`` (its first :data:`FIELD_READ` characters) without control characters and bidi
    overrides; Unicode line separators as line breaks; a lone surrogate as U+FFFD."""
    text = text[:FIELD_READ]
    return text.translate(_PLAIN) if _HIDDEN.search(text) else text


def _fold(name: str) -> str:
    return " ".join(name.strip().lstrip("\ufeff").lower().replace("_", " ").split())


# Each CSV format: its name, the columns that identify it (all required, folded), and where
# each field comes from (first column present wins).
@dataclass(frozen=True)
class CsvFormat:
    name: str
    needs: frozenset[str]
    text: tuple[str, ...]
    count: tuple[str, ...] = ()
    at: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    hour: tuple[str, ...] = ()
    weekday: tuple[str, ...] = ()
    ref: tuple[str, ...] = ("ticket id", "conversation id", "id")


FORMATS = (
    CsvFormat("Zendesk ticket export", frozenset({"id", "subject", "created at"}), ("subject", "description"),
              at=("created at",), tags=("tags",), channel=("via",)),
    CsvFormat("Freshdesk ticket export", frozenset({"ticket id", "subject", "created time"}),
              ("subject", "description"),
              at=("created time",), tags=("tags",), channel=("source",)),
    CsvFormat("Help Scout conversation export", frozenset({"conversation id", "subject", "created at"}),
              ("subject", "preview"), at=("created at",), tags=("tags",), channel=("type",)),
    CsvFormat("plain question list", frozenset({"question"}), ("question",), count=("count",), hour=("hour",),
              weekday=("weekday",)),
    *(CsvFormat("site-search report", frozenset({term, n}), (term,), count=(n,))
      for term in ("search term", "search terms", "term", "searched keyword", "keyword", "query", "search query")
      for n in ("total unique searches", "unique searches", "searches", "event count", "count", "total searches")),
)
KNOWN_COLUMNS = sorted({c for f in FORMATS for c in f.needs})


WESTERN = "cp1252"  # what the WHATWG encoding standard reads "latin1" and "iso-8859-1" as
# the single-byte encodings exports are saved in, the most common first (a tie goes to the first)
SINGLE_BYTE = (WESTERN, "cp1250", "iso-8859-2", "iso-8859-15", "cp1257", "cp1254", "cp1251", "cp1253")
# the letters beyond ASCII each language writes: a reading in the right encoding writes one language's
_ALPHABETS = {
    "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž", "pl": "ąćęłńóśźż", "hu": "áéíóöőúüű", "sl": "čšžćđ",
    "hr": "čćđšž", "ro": "ăâîșțşţ", "de": "äöüß", "fr": "àâæçéèêëîïôœùûüÿ", "es": "áéíñóúü", "it": "àèéìíîòóù",
    "pt": "áâãàçéêíóôõú", "nl": "áàéèëïóöü", "ca": "àçèéíïòóúü", "da": "æøåé", "sv": "åäöé", "fi": "äöåšž",
    "is": "áðéíóúýþæö", "tr": "çğıöşüâî", "et": "äõöüšž", "lv": "āčēģīķļņšūž", "lt": "ąčęėįšųūž",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'",
    "bg": "абвгдежзийклмнопрстуфхцчшщъьюя", "el": "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώϊϋΐΰς",
}
_CYRILLIC_OR_GREEK = frozenset({"ru", "uk", "bg", "el"})  # written without Latin letters in their words
_IN_WORDS = "°ºª®™"  # signs written inside words ("20°C", "1ª", "Herald®")
_LETTERS = {code: frozenset(extra + _IN_WORDS)
            | (frozenset() if code in _CYRILLIC_OR_GREEK else frozenset(string.ascii_lowercase))
            for code, extra in _ALPHABETS.items()}
_WORD = re.compile(r"[^\s\d!-/:-@\[-`{-~‘’‚“”„«»¿¡…]+")  # letters (and odd signs) between spaces and punctuation
_EXPLAINED = 0.95  # least share of a reading's characters beyond ASCII one alphabet explains for it to be named
_SINGLE_BYTE_NAMES = ("cp12", "cp8", "iso8859", "latin", "mac-", "koi8")  # codecs' names of single-byte encodings
_SNIFFED = 1 << 16  # bytes of a file read to check the single-byte encoding named for it
CLEARLY = 0.2  # by how much another reading must explain more for an encoding the user named to be refused


def _explained(text: str, language: str = "") -> float:
    """The largest share of ``text``'s characters beyond ASCII that one language (``language``,
    or any) explains: those in its words (runs of letters all of that language's alphabet) and
    the quotes and signs of every language between them.  1.0 for Polish read in cp1250; less
    for it read in cp1252 ("Dziêkujê", "£ukasz") or in cp1251 (Cyrillic letters among Latin ones)."""
    odd = sum(1 for c in text if ord(c) > 127)
    if not odd:
        return 1.0
    words = [w.lower() for w in _WORD.findall(text) if max(w) > "\x7f" and any(c.isalpha() for c in w)]
    inside = sum(1 for w in words for c in w if ord(c) > 127)
    alphabets = [_LETTERS[language]] if language in _LETTERS else _LETTERS.values()
    best = max(sum(len(w) - len(w.encode("ascii", "ignore")) for w in words if letters.issuperset(w))
               for letters in alphabets)
    return (odd - inside + best) / odd


@lru_cache(maxsize=1)
def _alphabet_detector() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in _ALPHABETS]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def _settled(top: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Of readings that differ and that one alphabet each explains as well, those the language
    settles: the language of the words that are plain ASCII (the same in every reading: "Hélène"
    is French, so cp1252 and not cp1250's "Hélčne"); all of them when those words say nothing
    (Russian reads as Russian in cp1251 and as Greek in cp1253: the detector is as sure of both)."""
    detector = _alphabet_detector()
    found = detector.detect_language_of(" ".join(w for w in top[0][1].split() if w.isascii()))
    if found is not None:
        language = found.iso_code_639_1.name.lower()
        scores = [_explained(text, language) for _, text in top]
        settled = [reading for reading, score in zip(top, scores, strict=True) if score >= max(scores)]
        return settled
    return top


def _readings(sample: bytes) -> list[tuple[str, str, float]]:
    """Each single-byte encoding that reads ``sample``: its text and how well one language explains it."""
    out = []
    for encoding in SINGLE_BYTE:
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        out.append((encoding, text, _explained(text)))
    return out


def encodings_of(sample: bytes) -> list[str]:
    """The single-byte encodings ``sample`` reads well in, differently: one when it is clear, two
    or more when nothing settles which (the user must say), none when no alphabet explains it."""
    readings = _readings(sample)
    best = max((score for _, _, score in readings), default=0.0)
    if best < _EXPLAINED:
        return []
    top = [(encoding, text) for encoding, text, score in readings if score >= best]
    if len({text for _, text in top}) > 1:  # read differently as well: the language settles it, or nothing
        top = _settled(top)
    seen: dict[str, str] = {}
    for encoding, text in top:
        seen.setdefault(text, encoding)  # the most common of those that read it alike
    return list(seen.values())


def sniff_encoding(sample: bytes) -> str:
    """The encoding ``sample`` is most likely in ('' when none is clear).  A single-byte one when
    one language's letters explain its reading ("Dziękuję" in cp1250, not "Dziêkujê" in cp1252),
    the most common of those that read it alike (a Latin-1 French file is :data:`WESTERN`), and
    '' when two read it differently as well (a Polish file without "ą", "ś" or "ź" is cp1250 or
    ISO 8859-2 alike; one with them is not); otherwise the one charset-normalizer finds most
    likely (a multi-byte encoding)."""
    found = encodings_of(sample)
    if found:
        return found[0] if len(found) == 1 else ""
    return _normalizer_guess(sample)


def _normalizer_guess(sample: bytes) -> str:
    """The encoding charset-normalizer finds most likely for ``sample`` ('' when none fits).  Of
    the readings as likely as the best (as little "chaos"), the one the most encodings agree on;
    named :data:`WESTERN` when that is among them."""
    from charset_normalizer import from_bytes

    found = from_bytes(sample)
    best = found.best()
    if best is None:
        return ""
    tied = [m for m in found if m.chaos <= best.chaos]
    agreed = max(tied, key=lambda m: len(m.could_be_from_charset))  # the first of the largest
    return WESTERN if WESTERN in agreed.could_be_from_charset else agreed.encoding


def _misread(path: str, sample: bytes, encoding: str) -> InvalidInput | None:
    """When the user named a single-byte ``encoding`` another reads ``sample`` clearly better in
    (cp1252 for a Polish cp1250 file: "Dziêkujê"), the error that says so; else None."""
    if not codecs.lookup(encoding).name.startswith(_SINGLE_BYTE_NAMES) or max(sample, default=0) < 128:
        return None
    mine = _explained(sample.decode(encoding, "replace"))
    better, _, score = max(_readings(sample), key=lambda r: r[2], default=("", "", 0.0))
    if score < _EXPLAINED or score - mine < CLEARLY:
        return None
    index = next((i for i in range(len(sample))
                  if sample[i:i + 1].decode(encoding, "replace") != sample[i:i + 1].decode(better)), 0)
    line = sample.count(b"\n", 0, index) + 1
    col = index - (sample.rfind(b"\n", 0, index) + 1) + 1
    byte = sample[index:index + 1]
    return InvalidInput([Problem(path, line, col, f"this does not read as {encoding} text: byte 0x{byte.hex()} is "
                                 f"{byte.decode(encoding, 'replace')!r} in it, {byte.decode(better)!r} in {better}",
                                 f"pass --encoding {better}")])


def _utf8(sample: bytes) -> str | None:
    """``sample`` read as UTF-8 (a character cut at its end left out), or None when it is not UTF-8 text."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return None


def _place(data: bytes, index: int) -> tuple[int, int]:
    """The line and column (in characters, as an editor counts them) of byte ``index``."""
    start = data.rfind(b"\n", 0, index) + 1
    return data.count(b"\n", 0, index) + 1, len(data[start:index].decode("utf-8", "replace")) + 1


def _utf8_misread(path: str, sample: bytes, encoding: str) -> InvalidInput | None:
    """When the user named another encoding for a file that is UTF-8 text: a single-byte one
    (Latin-1 reads "endereço" as "endereÃ§o") or UTF-16/32 (which Latin text in has NUL bytes,
    and a UTF-8 file none), the error that says so; else None."""
    name = codecs.lookup(encoding).name
    wide = name.startswith(("utf-16", "utf-32"))
    if not (wide or name.startswith(_SINGLE_BYTE_NAMES)) or (wide and b"\x00" in sample):
        return None
    text = _utf8(sample)
    if text is None or (not wide and text.isascii()):
        return None
    if wide:
        return InvalidInput([Problem(path, 1, 1, f"this is UTF-8 text, not {encoding}: it has no NUL byte, which "
                                     f"{encoding} text has", "pass --encoding utf-8")])
    index = next(i for i, byte in enumerate(sample) if byte > 127)
    char = _utf8(sample[index:index + 4])[:1]  # type: ignore[index]  # UTF-8 all along
    return InvalidInput([Problem(path, *_place(sample, index), f"this is UTF-8 text, not {encoding}: "
                                 f"{char!r} would read as {char.encode().decode(encoding, 'replace')!r}",
                                 "pass --encoding utf-8")])


_SLIPS_SHOWN = 3  # the places of the bytes that are not UTF-8 named, in a file that is UTF-8 text but for them


def _utf8_slips(data: bytes, index: int) -> list[int] | None:
    """In a file that is UTF-8 text but for a few bytes (a pasted Latin-1 "ç"): where those are
    (the first :data:`_SLIPS_SHOWN` from ``index``, the first); None when the bytes around
    ``index`` are not mostly UTF-8 text (two valid characters beyond ASCII to one bad byte)."""
    around = data[max(0, index - _SNIFFED):index + _SNIFFED].decode("utf-8", "replace")
    bad = around.count("\ufffd")  # one a bad byte (and one for a character cut at either end)
    good = sum(1 for c in around if c > "\x7f") - bad
    if good < max(2 * bad, 2):
        return None
    rest, at, slips = data[index:index + _SNIFFED], 0, list[int]()
    while len(slips) < _SLIPS_SHOWN:
        try:
            rest[at:].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and at + exc.end >= len(rest):
                break  # a character cut by the window's end
            slips.append(index + at + exc.start)
            at += exc.end
            continue
        break
    return slips


def _decode_error(path: str, data: bytes, encoding: str, exc: UnicodeDecodeError, base: int) -> InvalidInput:
    index = base + exc.start
    line, col = _place(data, index)
    slips = _utf8_slips(data, index) if codecs.lookup(encoding).name.startswith("utf-8") else None
    if slips:  # the rest is UTF-8: a single-byte encoding would garble every other accent
        places = " and ".join(f"{n}:{c}" for n, c in (_place(data, i) for i in slips))
        return InvalidInput([Problem(path, line, col, f"byte 0x{data[index]:02x} is not {encoding} text, though "
                                     "the rest of the file is",
                                     f"retype the character{'s' if len(slips) > 1 else ''} at {places}")])
    sample = data[max(0, index - 4096):index + 4096]
    guess, found = sniff_encoding(sample), encodings_of(sample)
    hint = f"it looks like {guess}: re-save it as UTF-8 or pass --encoding {guess}" if guess else \
        f"it reads as {' or '.join(found)}: re-save it as UTF-8 or pass --encoding with the one it was saved in" \
        if found else "re-save it as UTF-8 or pass --encoding"
    return InvalidInput([Problem(path, line, col, f"byte 0x{data[index]:02x} is not {encoding} text", hint)])


class _Text:
    """A file's bytes decoded incrementally (one chunk at a time); a decoding error names its line and column."""

    CHUNK = 1 << 20

    def __init__(self, path: str, raw: IO[bytes], encoding: str):
        self.path, self.raw, self.encoding_name = path, raw, encoding
        self.decoder = codecs.getincrementaldecoder(encoding)()
        self.offset = 0
        self.buffer = ""
        self.lines: Iterator[str] = iter(())
        self.head = raw.read(3)
        if encoding.replace("-", "").lower() in ("utf8", "utf8sig") and self.head.startswith(codecs.BOM_UTF8):
            self.head = self.head[3:]
            self.offset = 3

    def chunks(self) -> Iterator[str]:
        data = self.head
        while True:
            more = self.raw.read(self.CHUNK)
            data += more
            try:
                yield self.decoder.decode(data, final=not more)
            except UnicodeDecodeError as exc:
                self.raw.seek(0)
                whole = self.raw.read()
                raise _decode_error(self.path, whole, self.encoding_name, exc, self.offset) from None
            except UnicodeError as exc:  # UTF-16 without its byte-order mark
                raise InvalidInput([Problem(self.path, 1, 1, f"not {self.encoding_name} text: {exc}",
                                            "pass --encoding with the one the file was saved in")]) from None
            self.offset += len(data)
            data = b""
            if not more:
                return

    def __iter__(self) -> Iterator[str]:
        rest = ""
        for text in self.chunks():
            rest += text
            *lines, rest = rest.split("\n")
            for line in lines:
                yield line + "\n"
        if rest:
            yield rest


def _suggest(found: list[str]) -> str:
    """One hint: the rename that would make the header a known format (never a name that
    would fail too), then what is expected, in a line a person reads.  The format that
    explains most of the header wins ("Conversation, Subjekt, Created" is a Help Scout export
    to rename, not a question list whose question would be the conversation's number)."""
    from difflib import get_close_matches

    unknown = [c for c in found if c not in KNOWN_COLUMNS]
    best: list[str] = []
    best_needs = 0
    for fmt in FORMATS:
        renames = []
        for name in sorted(fmt.needs - set(found)):
            match = get_close_matches(name, unknown, n=1, cutoff=0.6)
            if not match:
                break
            renames.append(f"{name!r} for {match[0]!r}")
        else:
            if renames and (len(fmt.needs), -len(renames)) > (best_needs, -len(best) if best else -99):
                best, best_needs = renames, len(fmt.needs)
    if best:
        return "did you mean " + " and ".join(best) + "?"
    return "expected a Zendesk, Freshdesk or Help Scout export, question,count, or a site-search report " \
           "(a search term column and a count column)"


def _csv_format(path: str, header: list[str]) -> CsvFormat:
    folded = {_fold(h) for h in header}
    for fmt in FORMATS:
        if fmt.needs <= folded:
            return fmt
    found = ", ".join(repr(h.strip().lstrip("\ufeff")) for h in header)
    raise InvalidInput([Problem(path, 1, 1, f"unknown columns: {found}", _suggest([_fold(h) for h in header]))])


_SLASHED = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b")


YEARS = (1970, 2999)  # a request's year: a helpdesk's; year 1 or 9999 would overflow a zone's offset


class OutOfRange(InvalidValue):
    """A request's date in a year no helpdesk wrote (:data:`YEARS`)."""


def parse_when(text: str, order: str = "") -> datetime:
    """A helpdesk timestamp as an aware UTC datetime: ISO 8601 and the exports' own forms
    (``2026-11-02 09:14:00 +0100``, ``2026-11-02 09:14``; naive times are taken as UTC,
    which is what Zendesk, Freshdesk and Help Scout export).  ``order`` settles day/month
    dates: ``DMY``, ``MDY`` or a strptime format; without it, 05/08/2026 is refused
    (:class:`AmbiguousDate`) and 13/08/2026 read as the only date it can be; a year out of
    :data:`YEARS` is refused (:class:`OutOfRange`)."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = _parse_other(text, order)
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise OutOfRange(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _parse_other(text: str, order: str) -> datetime:
    from dateutil import parser

    if "%" in order:
        try:
            return datetime.strptime(text, order)
        except ValueError:
            raise ValueError(text) from None
    slashed = _SLASHED.match(text)
    if slashed:
        a, b = int(slashed.group(1)), int(slashed.group(2))
        if not order:
            if a <= 12 and b <= 12 and a != b:
                raise AmbiguousDate(text)
            order = "DMY" if a > 12 else "MDY"
        if (b if order.upper() == "DMY" else a) > 12:  # the month where the order says it is
            raise ValueError(text)
    try:
        value: datetime = parser.parse(text, dayfirst=order.upper() == "DMY")
        return value
    except (ValueError, OverflowError):
        raise ValueError(text) from None


def date_order(path: str, encoding: str, column: int) -> str:
    """How the file writes day/month dates, from its own values: ``DMY`` when a first number
    is over 12, ``MDY`` when a second one is, '' when nothing decides.

    :raises InvalidInput: both happen in the file."""
    day_first = month_first = 0
    with open(path, "rb") as raw:
        reader = csv.reader(_Text(path, raw, encoding))
        next(reader, None)
        for row in _rows(path, reader, 0):
            found = _SLASHED.match(row[column]) if column < len(row) else None
            if found and int(found.group(1)) > 12 and int(found.group(2)) > 12:
                raise InvalidInput([Problem(path, reader.line_num, column + 1, f"cannot read the date {row[column]!r}",
                                            "expected e.g. 2026-11-02T09:14:00Z or 2026-11-02 09:14")])
            if found:
                day_first = day_first or (reader.line_num if int(found.group(1)) > 12 else 0)
                month_first = month_first or (reader.line_num if int(found.group(2)) > 12 else 0)
    if day_first and month_first:
        raise InvalidInput([Problem(path, max(day_first, month_first), column + 1,
                                    f"dates are written day first (line {day_first}) and month first "
                                    f"(line {month_first}) in the same column", "pass --date-format")])
    return "DMY" if day_first else "MDY" if month_first else ""


def _int(path: str, line: int, col: int, text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(float(text.replace(",", "")))
    except (ValueError, OverflowError):  # "inf", "1e400"
        raise InvalidInput([Problem(path, line, col, f"{what} {text!r} is not a number")]) from None
    if not low <= value <= high:
        raise InvalidInput([Problem(path, line, col, f"{what} {value} is not between {low} and {high}")])
    return value


def _weekday(path: str, line: int, col: int, text: str) -> int:
    name = text.strip().lower()
    for i, day in enumerate(WEEKDAYS):
        if name and day.startswith(name[:3]):
            return i
    return _int(path, line, col, text, "weekday", 0, 6)


def _when(path: str, line: int, at: int, text: str, order: str) -> datetime:
    try:
        return parse_when(text, order)
    except AmbiguousDate:
        raise InvalidInput([Problem(path, line, at + 1, f"cannot tell the day from the month in {text!r}: no date "
                                    "in the file has a day over 12",
                                    "pass --date-format DMY (13/08/2026) or --date-format MDY (08/13/2026)")]) from None
    except OutOfRange:
        raise InvalidInput([Problem(path, line, at + 1, f"the date {text!r} is out of range",
                                    f"a year from {YEARS[0]} to {YEARS[1]}")]) from None
    except ValueError:
        raise InvalidInput([Problem(path, line, at + 1, f"cannot read the date {text!r}",
                                    "expected e.g. 2026-11-02T09:14:00Z or 2026-11-02 09:14"
                                    + ("" if order else ", or pass --date-format"))]) from None


def _rows(path: str, reader: Any, width: int) -> Iterator[list[str]]:
    """The rows after the header; an unterminated quote or a row with too few fields names its line."""
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            why = ("a quoted field is never closed" if "end of data" in str(exc)
                   else f"a field longer than {FIELD_LIMIT // 1_000_000} MB" if "field limit" in str(exc)
                   else f"not CSV: {exc}")
            raise InvalidInput([Problem(path, start, 1, why)]) from None
        if any(row) and len(row) < width:
            raise InvalidInput([Problem(path, start, 1, f"{len(row)} fields where the header has {width}",
                                        "a field is missing or a quote is not closed")])
        yield row


def _csv(path: str, stream: _Text, encoding: str = "utf-8", order: str = "") -> Iterator[Request]:
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput([Problem(path, 1, 1, "the file is empty", "expected a header line and requests")]) from None
    fmt = _csv_format(path, header)
    columns = _Columns(path, fmt, header, encoding, order)
    rows, end = 0, 1
    for row in _rows(path, reader, len(header)):
        line, end = end + 1, reader.line_num
        if not any(row):
            continue
        rows += 1
        request = columns.request(row, line)
        if request is not None:
            yield request
    if not rows:
        raise InvalidInput([Problem(path, 2, 1, f"no requests after the header ({fmt.name})")])


class _Columns:
    """Where a CSV format's fields are in one file's header, and one row read into a Request."""

    def __init__(self, path: str, fmt: CsvFormat, header: list[str], encoding: str, order: str):
        index = {_fold(h): i for i, h in enumerate(header)}

        def first(names: tuple[str, ...]) -> int | None:
            return next((index[n] for n in names if n in index), None)

        self.path, self.encoding, self.order = path, encoding, order
        self.texts = [index[n] for n in fmt.text if n in index]
        self.count, self.at, self.tags = first(fmt.count), first(fmt.at), first(fmt.tags)
        self.channel, self.hour, self.weekday, self.ref = first(fmt.channel), first(fmt.hour), first(fmt.weekday), \
            first(fmt.ref)

    def request(self, row: list[str], line: int) -> Request | None:
        def cell(i: int | None) -> str:
            return plain(row[i]).strip() if i is not None and i < len(row) else ""

        text = " ".join(t for t in (cell(i) for i in self.texts) if t)
        if not text:
            return None
        weekday = cell(self.weekday)
        count = self._number(cell(self.count), self.count, line, "count", 10**12)
        return Request(
            text, 1 if count is None else count,
            self._when(cell(self.at), line), self._number(cell(self.hour), self.hour, line, "hour", 23),
            _weekday(self.path, line, (self.weekday or 0) + 1, weekday) if weekday else None,
            tuple(t for t in cell(self.tags).replace(";", ",").replace(",", " ").split() if t), cell(self.channel),
            cell(self.texts[0]) or text, " ".join(t for t in (cell(i) for i in self.texts[1:]) if t),
            cell(self.ref), self.path, line)

    def _number(self, written: str, column: int | None, line: int, name: str, high: int) -> int | None:
        return _int(self.path, line, (column or 0) + 1, written, name, 0, high) if written else None

    def _when(self, written: str, line: int) -> datetime | None:
        """The row's date; a slashed date's day/month order is read off the file once."""
        if not written:
            return None
        assert self.at is not None
        if not self.order and _SLASHED.match(written):
            self.order = date_order(self.path, self.encoding, self.at) or "?"
        return _when(self.path, line, self.at, written, "" if self.order == "?" else self.order)


def _ticket(path: str, line: int, obj: Any, order: str = "") -> Request | None:
    if not isinstance(obj, dict):
        raise InvalidInput([Problem(path, line, 1, "expected a ticket object")])
    if "subject" not in obj and "description" not in obj:
        found = ", ".join(repr(k) for k in list(obj)[:12])
        raise InvalidInput([Problem(path, line, 1, f"unknown keys: {found}",
                                    "expected Zendesk tickets with subject, description, created_at, tags, via")])
    subject, description = (plain(str(obj.get(key) or "")).strip() for key in ("subject", "description"))
    text = f"{subject} {description}".strip()
    if not text:
        return None
    when = _created(path, line, obj.get("created_at"), order)
    tags = obj.get("tags")
    ref = "" if obj.get("id") is None else str(obj["id"])  # ticket 0 is a ticket
    return Request(text, 1, when, None, None, tuple(plain(str(t)) for t in tags) if isinstance(tags, list) else (),
                   plain(_channel(obj.get("via"))), subject or text, description, plain(ref), path, line)


def _channel(via: Any) -> str:
    """Zendesk's ``via``: an object with its channel, or (in some exports) the channel itself."""
    return str(via.get("channel", "")) if isinstance(via, dict) else str(via or "")


def _created(path: str, line: int, written: Any, order: str = "") -> datetime | None:
    if not written:
        return None
    try:
        return parse_when(str(written), order)
    except AmbiguousDate:
        raise InvalidInput([Problem(path, line, 1, f"cannot tell the day from the month in {written!r} (created_at)",
                                    "pass --date-format DMY (13/08/2026) or --date-format MDY (08/13/2026)")]) from None
    except OutOfRange:
        raise InvalidInput([Problem(path, line, 1, f"the date {written!r} (created_at) is out of range",
                                    f"a year from {YEARS[0]} to {YEARS[1]}")]) from None
    except ValueError:
        raise InvalidInput([Problem(path, line, 1, f"cannot read the date {written!r} (created_at)",
                                    "expected e.g. 2026-11-02T09:14:00Z" + ("" if order else ", or pass --date-format"))
                            ]) from None


def _json_lines(path: str, first: str, lines: Iterator[str], start: int = 1, order: str = "") -> Iterator[Request]:
    """One ticket per line (the incremental export), streamed (orjson: parsing is most of the
    time a large export takes to read); ``first`` is on line ``start``."""
    import orjson

    for n, text in enumerate((first, *(lo.strip() for lo in lines)), start=start):
        if not text:
            continue
        try:
            obj = orjson.loads(text)
        except json.JSONDecodeError as exc:
            obj = _lenient(path, n, text, exc)
        request = _ticket(path, n, obj, order)
        if request is not None:
            yield request


def _lenient(path: str, line: int, text: str, exc: json.JSONDecodeError) -> Any:
    """A line orjson refuses, read by the standard library's JSON, which takes a lone surrogate
    (``"\ud83d"``) as it is written (:func:`plain` makes it U+FFFD); else orjson's error, located."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidInput([Problem(path, line, exc.colno, f"not JSON: {exc.msg}")]) from None


def _one_per_line(first: str) -> bool:
    """Whether the first line is a whole ticket (newline-delimited JSON) rather than the start of one document."""
    try:
        obj, end = json.JSONDecoder().raw_decode(first)
    except (json.JSONDecodeError, RecursionError):
        return False
    return end == len(first) and isinstance(obj, dict) and "tickets" not in obj


_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's white space


class _Document:
    """One JSON document of tickets (``{"tickets": [...]}`` or a list) read in one pass: each
    ticket decoded once, with the line it starts on (counted from the offsets the decoder
    reports, not found by a second parse); a syntax error names its line and column."""

    def __init__(self, path: str, whole: str, blank: int):
        self.path, self.whole, self.blank = path, whole, blank
        self.decoder = json.JSONDecoder()
        self.at = self.line = 0
        self.counted = 0  # the offset up to which newlines were counted into ``line``

    def fail(self, message: str, at: int) -> InvalidInput:
        exc = json.JSONDecodeError(message, self.whole, min(at, len(self.whole)))
        return InvalidInput([Problem(self.path, exc.lineno + self.blank, exc.colno, f"not JSON: {exc.msg}")])

    def skip(self) -> str:
        """Past the white space at ``at``: the character there ('' at the end)."""
        found = _SPACE.match(self.whole, self.at)
        self.at = found.end() if found else self.at
        return self.whole[self.at:self.at + 1]

    def value(self) -> Any:
        try:
            found, self.at = self.decoder.raw_decode(self.whole, self.at)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.msg, exc.pos) from None
        except RecursionError:
            raise self.fail("nested too deeply", self.at) from None
        return found

    def expect(self, what: str, message: str) -> None:
        if self.skip() != what:
            raise self.fail(message, self.at)
        self.at += 1

    def tickets(self) -> Iterator[tuple[int, Any]]:
        """Each ticket and the line it starts on."""
        first = self.skip()
        if first == "[":
            yield from self.items()
        elif first == "{":
            yield from self.members()
        else:
            doc = self.value()
            raise InvalidInput([Problem(self.path, 1 + self.blank, 1, f"unknown keys: {type(doc).__name__}",
                                        'expected {"tickets": [...]} or a list')])
        if self.skip():
            raise self.fail("Extra data", self.at)

    def members(self) -> Iterator[tuple[int, Any]]:
        """The members of the object at ``at``: the tickets of its ``tickets`` list."""
        self.at += 1
        keys: list[Any] = []
        found = False
        while self.skip() != "}":
            if keys:
                self.expect(",", "Expecting ',' delimiter")
                self.skip()
            if self.whole[self.at:self.at + 1] != '"':
                raise self.fail("Expecting property name enclosed in double quotes", self.at)
            keys.append(self.value())
            self.expect(":", "Expecting ':' delimiter")
            if keys[-1] == "tickets" and self.skip() == "[":
                found = True
                yield from self.items()
            else:
                self.skip()
                self.value()
        self.at += 1
        if not found:
            listed = ", ".join(repr(k) for k in keys)
            raise InvalidInput([Problem(self.path, 1 + self.blank, 1, f"unknown keys: {listed}",
                                        'expected {"tickets": [...]} or a list')])

    def items(self) -> Iterator[tuple[int, Any]]:
        """The items of the list at ``at``, each with its line."""
        self.at += 1
        count = 0
        while self.skip() != "]":
            if count:
                self.expect(",", "Expecting ',' delimiter")
                self.skip()
            if not self.whole[self.at:self.at + 1]:
                raise self.fail("Expecting value", self.at)
            self.line += self.whole.count("\n", self.counted, self.at)
            self.counted = self.at
            start = self.line + 1 + self.blank
            count += 1
            yield start, self.value()
        self.at += 1
        if not count:
            raise InvalidInput([Problem(self.path, 1 + self.blank, 1, "no tickets in the file")])


def _json(path: str, stream: _Text, order: str = "") -> Iterator[Request]:
    """Newline-delimited tickets, streamed; or one document (``{"tickets": [...]}`` or a list)."""
    lines = iter(stream)
    first, blank = "", 0  # the blank lines before the first
    for first in lines:
        if first.strip():
            break
        blank += 1
    first = first.strip()
    if not first:
        raise InvalidInput([Problem(path, 1, 1, "the file is empty", "expected Zendesk tickets as JSON")])
    if _one_per_line(first):
        yield from _json_lines(path, first, lines, blank + 1, order)
        return
    whole = first + "\n" + "".join(lines)
    for n, ticket in _Document(path, whole, blank).tickets():
        request = _ticket(path, n, ticket, order)
        if request is not None:
            yield request


def read_requests(path: str, encoding: str = "utf-8", date_format: str | None = None) -> Iterator[Request]:
    """Every request in the file at ``path``, streamed; the format is found from its content.
    ``date_format`` (``DMY``, ``MDY`` or a strptime format) reads day/month dates the file
    itself cannot settle."""
    try:
        raw = open(path, "rb")  # noqa: SIM115  # closed by the generator's finally
    except OSError as exc:
        raise InvalidInput([Problem(path, 0, 0, f"cannot read the file: {exc.strerror}")]) from None
    try:
        try:
            text_encoding = getattr(codecs.lookup(encoding), "_is_text_encoding", True)
        except LookupError:
            raise InvalidInput([Problem(path, 0, 0, f"unknown encoding {encoding!r}")]) from None
        if not text_encoding:  # rot13, base64, zlib: bytes to bytes
            raise InvalidInput([Problem(path, 0, 0, f"{encoding!r} is not a text encoding")])
        start = raw.read(64).lstrip(codecs.BOM_UTF8).lstrip()
        raw.seek(0)
        if not start:
            raise InvalidInput([Problem(path, 1, 1, "the file is empty", "expected a helpdesk export or a report")])
        sample = raw.read(_SNIFFED)
        misread = _utf8_misread(path, sample, encoding) or _misread(path, sample, encoding)
        if misread is not None:
            raise misread
        raw.seek(0)
        stream = _Text(path, raw, encoding)
        if start[:1] in (b"{", b"["):
            yield from _json(path, stream, (date_format or "").strip())
        else:
            yield from _csv(path, stream, encoding, (date_format or "").strip())
    finally:
        raw.close()
