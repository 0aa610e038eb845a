"""Finding the self-service answer for each topic: help-centre articles ranked with BM25.

Answers come from a Zendesk Help Center articles export (JSON: ``{"articles": [{"title",
"body", "html_url", "locale"}]}`` as the API answers, or a list of them), a ``sitemap.xml``
(each ``<loc>`` with a ``<title>``, ``<image:title>`` or ``<news:title>`` when there is one,
else the words of its path), a CSV or YAML of FAQ entries (``question``, ``answer``, ``url``),
and the calendar's own ``brand.links``.  The link ``order_tracking`` is the answer to
order-status questions, so it carries the words customers use for them and wins ties.
Ranking is Okapi BM25 (rank-bm25) over the same folded words the topics use; a topic whose
best score is under the threshold is a gap: an article to write.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidInput, Problem
from .words import strip_accents

__all__ = ["Answer", "Match", "brand_answers", "mask_credentials", "public_link", "rank", "read_answers", "shortened"]

GOOD = 4.0  # least BM25 score of a good answer
_TAG = re.compile(r"<[^<>]{1,400}>")
_WORD = re.compile(r"(?u)\b[^\W\d_][\w]+\b")

# What customers call the link the calendar names (order tracking first: it answers most).
LINK_WORDS = {
    "order_tracking": "track order tracking status where is my order delivery shipping shipped arrive when "
                      "parcel package bestellung lieferung sendungsverfolgung wo ist",
}


@dataclass(frozen=True)
class Answer:
    title: str
    url: str
    text: str = ""
    link: str = ""  # the calendar's link name, when the answer is one of brand.links
    source: str = ""
    key: str = ""  # what its translations share (a Help Center article's id), else its URL
    language: str = ""  # ISO 639-1, when the source says (a Help Center article's locale)
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    answer: Answer
    score: float
    threshold: float = GOOD  # the least score of a good answer on this score's scale

    @property
    def good(self) -> bool:
        return self.score >= self.threshold


_USERINFO = re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,30}://)[^/\s@:]{1,256}:[^/\s@]{1,256}@")
_SECRET_PARAM = re.compile(r"(?i)([?&](?:token|access_token|api_key|apikey|key|secret|password|sig)=)[^&\s#]+")


def mask_credentials(text: str) -> str:
    """``text`` with the credentials in its URLs masked (``user:password@``, ``?token=…``);
    paths, slugs and other query parameters are shown as they are."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1***@", text))


LINK_LENGTH = 2_000  # the longest link published (browsers and networks take about this much)
_SECRET_NAMES = frozenset({"token", "access_token", "api_key", "apikey", "key", "secret", "password", "sig",
                           "signature", "auth", "auth_token", "session", "sid"})
_UNSAFE = re.compile("[\\s\"'<>\\\\`{}|^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff\ud800-\udfff]")


def public_link(url: str) -> tuple[str | None, str]:
    """The link an answer may be published with, and what was wrong with ``url`` ("" when nothing).

    Posts go out to the public, so a help centre's link is used only when it is a web address
    (``http``/``https`` with a host) and has nothing in it that would change the text around it
    (spaces, line breaks, quotes, angle brackets, control or bidirectional characters): else
    None.  Credentials in it (``user:password@``, ``?token=…``) are taken out, never published."""
    url = url.strip()
    if len(url) > LINK_LENGTH:
        return None, f"a link of {len(url):,} characters (at most {LINK_LENGTH:,})"
    bad = _UNSAFE.search(url)
    if bad:
        return None, f"the link has {_named(bad.group())} in it"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # a port that is not a number raises
    except ValueError as exc:
        return None, f"not a web address ({exc})"
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None, f"a {parts.scheme.lower()}: link, not a web page"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None, "not a whole web address (https://…)"
    why = []
    netloc = parts.netloc
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
        why.append("its user name and password")
    query = parts.query
    if query:
        kept = [pair for pair in query.split("&") if pair.split("=", 1)[0].lower() not in _SECRET_NAMES]
        if len(kept) != len(query.split("&")):
            why.append("its secret query parameters")
            query = "&".join(kept)
    if not why:
        return url, ""
    cleaned = parts._replace(netloc=netloc, query=query).geturl()
    return cleaned, f"{' and '.join(why)} taken out of the link"


def _named(char: str) -> str:
    from ..textsafety import describe

    return "a space" if char == " " else repr(char) if char.isprintable() else describe(char)


def _words(text: str, stop: frozenset[str]) -> list[str]:
    return [w for w in _WORD.findall(strip_accents(text.lower())) if w not in stop]


def brand_answers(links: dict[str, str]) -> list[Answer]:
    """The calendar's links as answers, order tracking first."""
    names = sorted(links, key=lambda n: (n != "order_tracking", n))
    return [Answer(n.replace("_", " "), links[n], LINK_WORDS.get(n, ""), n, "brand.links", f"links.{n}", "")
            for n in names]


def _slug_title(url: str) -> str:
    path = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"^\d+[-_]?", "", path).replace("-", " ").replace("_", " ").strip() or url


def _sitemap(path: str, data: bytes) -> list[Answer]:
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(data)  # noqa: S314  # a local file the planner chose
    except ElementTree.ParseError as exc:
        line, col = exc.position
        raise InvalidInput([Problem(path, line, col + 1, f"not XML: {exc}")]) from None
    out = []
    for url in root.iter():
        if not url.tag.endswith("}url") and url.tag != "url":
            continue
        loc = title = ""
        for child in url.iter():
            name = child.tag.rsplit("}", 1)[-1]
            if name == "loc" and not loc:
                loc = (child.text or "").strip()
            elif name == "title" and not title:
                title = (child.text or "").strip()
        if loc:
            out.append(Answer(title or _slug_title(loc), loc, source=path, key=loc))
    return out


def _articles(path: str, doc: object) -> list[Answer]:
    articles = doc.get("articles") if isinstance(doc, dict) else doc
    if not isinstance(articles, list):
        keys = ", ".join(repr(k) for k in doc) if isinstance(doc, dict) else type(doc).__name__
        raise InvalidInput([Problem(path, 1, 1, f"unknown keys: {keys}",
                                    'expected a Zendesk Help Center export: {"articles": [{"title", "body", '
                                    '"html_url"}]}')])
    return [_article(path, a) for a in articles
            if isinstance(a, dict) and a.get("title") and (a.get("html_url") or a.get("url")) and not a.get("draft")]


def _article(path: str, a: dict[str, Any]) -> Answer:
    body = _TAG.sub(" ", unescape(str(a.get("body") or "")))
    url = str(a.get("html_url") or a.get("url"))
    listed = a.get("label_names")
    labels: list[Any] = listed if isinstance(listed, list) else []
    return Answer(str(a["title"]).strip(), url, body, source=path, key=str(a.get("id") or url),
                  language=str(a.get("locale") or "").split("-")[0].lower(), labels=tuple(str(x) for x in labels))


def _faq(path: str, rows: Iterable[dict[str, object]], line_of: list[int]) -> list[Answer]:
    out = []
    for i, row in enumerate(rows):
        folded = {str(k).strip().lower(): str(v or "").strip() for k, v in row.items()}
        question = folded.get("question") or folded.get("title") or ""
        url = folded.get("url") or folded.get("link") or ""
        if not question or not url:
            found = ", ".join(repr(k) for k in folded)
            raise InvalidInput([Problem(path, line_of[i] if i < len(line_of) else 0, 1,
                                        f"an FAQ entry needs question and url (found: {found})")])
        out.append(Answer(question, url, folded.get("answer", ""), source=path, key=url))
    return out


def _yaml_entries(path: str, text: str) -> list[dict[str, object]]:
    """The FAQ entries of a YAML file: a list, or one under ``faq:`` or ``entries:``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from ..yamlsource import nesting_problem

    deep = nesting_problem(text, path)
    if deep is not None:
        raise InvalidInput([deep])
    try:
        doc = YAML(typ="safe").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput([Problem(path, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                                    f"not YAML: {getattr(exc, 'problem', exc)}")]) from None
    entries = doc.get("faq", doc.get("entries")) if isinstance(doc, dict) else doc
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InvalidInput([Problem(path, 1, 1, "expected a list of FAQ entries (question, answer, url)")])
    return entries


def read_answers(path: str, warn: Callable[[str], object] | None = None) -> list[Answer]:
    """The answers in one file: a Help Center JSON export, a sitemap, or an FAQ CSV/YAML; each with
    a link fit to publish (:func:`public_link`) and a title without control or bidirectional
    characters.  An answer whose link is not fit is left out; ``warn`` hears why, and what was
    taken out of a link that was kept."""
    out = []
    for answer in _read_answers(path):
        url, why = public_link(answer.url)
        if why and warn is not None:
            shown = _escaped(mask_credentials(answer.url)) if url is None else url
            warn(f"{path}: {'left out' if url is None else 'kept'} “{shortened(_clean_title(answer.title), 80)}” "
                 f"<{shown[:200]}>: {why}")
        if url is not None:
            out.append(replace(answer, url=url, title=_clean_title(answer.title)))
    return out


def _escaped(text: str) -> str:
    """``text`` on one line: what is not printable, as its code point (``\\u2028``)."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


# A terminal's escape sequences, whole (not only their ESC, which left "[2J" in a text): CSI
# (ESC [ or U+009B, parameters, intermediates, a final byte), OSC and the other strings when
# they end (BEL or ST), and two-character escapes.
ESCAPES = re.compile("(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]?"
                     "|(?:\x1b[]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x90\x98\x9c-\x9f]{0,4096}(?:\x07|\x1b\\\\|\x9c)"
                     "|\x1b[ -~]?")

TITLE_READ = 300  # the characters of a title kept (a help centre's run to about 100): the notes and the report quote it


def shortened(text: str, limit: int) -> str:
    """``text`` whole when it is at most ``limit`` characters, else cut at a word boundary with "…"."""
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    return (head.rsplit(" ", 1)[0] if " " in head[limit // 2:] else head).rstrip() + "…"


def _clean_title(title: str) -> str:
    """A title on one line: without terminal escape sequences (whole: not "[2J"), control or
    bidirectional characters or lone surrogates, shortened to :data:`TITLE_READ`."""
    from ..textsafety import BIDI, FORBIDDEN
    from .readers import FIELD_READ

    title = " ".join(BIDI.sub("", FORBIDDEN.sub(" ", ESCAPES.sub("", title[:FIELD_READ]))).split())
    return shortened(title, TITLE_READ)


def _read_answers(path: str) -> list[Answer]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InvalidInput([Problem(path, 0, 0, f"cannot read the file: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - data.rfind(b"\n", 0, exc.start)
        raise InvalidInput([Problem(path, line, col, f"byte 0x{data[exc.start]:02x} is not UTF-8 text",
                                    "re-save it as UTF-8")]) from None
    head = text.lstrip()[:1]
    if not head:
        raise InvalidInput([Problem(path, 1, 1, "the file is empty", "expected help-centre articles or FAQ entries")])
    if head == "<":
        return _sitemap(path, data)
    if head in "{[":
        try:
            return _articles(path, json.loads(text))
        except json.JSONDecodeError as exc:
            raise InvalidInput([Problem(path, exc.lineno, exc.colno, f"not JSON: {exc.msg}")]) from None
        except RecursionError:
            raise InvalidInput([Problem(path, 1, 1, "not JSON that can be read: nested too deeply")]) from None
    if path.endswith((".yaml", ".yml")):
        return _faq(path, _yaml_entries(path, text), [])
    reader = csv.DictReader(text.splitlines())
    rows = list(reader)
    if not rows:
        raise InvalidInput([Problem(path, 1, 1, "no FAQ entries after the header")])
    return _faq(path, rows, list(range(2, len(rows) + 2)))


def rank(queries: list[str], answers: list[Answer], stop: Iterable[str] = ()) -> list[list[Match]]:
    """For each query, every answer with a positive BM25 score, best first (the calendar's
    order-tracking link first among equals)."""
    from rank_bm25 import BM25Okapi

    if not answers:
        return [[] for _ in queries]
    folded = frozenset(stop)
    corpus = [_words(f"{a.title} {a.title} {a.text} {_slug_title(a.url)}", folded) or ["_"] for a in answers]
    bm25 = BM25Okapi(corpus)
    out = []
    for query in queries:
        scores = bm25.get_scores(_words(query, folded))
        order = sorted(range(len(answers)), key=lambda i: (-scores[i], answers[i].link != "order_tracking", i))
        out.append([Match(answers[i], round(float(scores[i]), 2)) for i in order if scores[i] > 0])
    return out
