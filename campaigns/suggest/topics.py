"""Grouping requests into topics: answer first, then what no answer covers.

Each request is cleaned (:mod:`.clean`: transcripts, quotes, signatures, greetings,
identifiers, and the lines the file repeats whatever it is about), its language detected and
its words stemmed in that language, with the support vocabulary shared across languages
(:mod:`.words`).  Identical cleaned requests are counted once, so the work grows with the
number of *different* requests.

Then, answer first: every request is compared (TF-IDF cosine) with every answer (a help
centre's articles, their translations together, and the calendar's ``brand.links``).
Requests whose best answer is clear (:data:`SEED`, ahead of the next by :data:`MARGIN`) seed
that answer's topic; every other request joins the topic whose seeds it resembles most
(:data:`JOIN`), so "hold my coffee" joins "pause my subscription" although no answer says
"hold".  Two answers that are translations of one another, or the same link, are one topic.
What matches nothing is clustered (average linkage on a fixed-seed sample, as before) for
the gap report; a cluster is a gap only when it is large enough (:data:`GAP_SHARE`) and asked
in several phrasings, so one-off questions, thanks, spam and auto-replies never are.
Tags count only when they are specific: on fewer than :data:`TAG_SHARE` of the requests, and
not spread across :data:`TAG_SPREAD` answers or more (``TopicReport.ignored_tags`` says why).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .clean import Boilerplate, clean_lines, noise_kind, redact_ids
from .readers import Request
from .words import strip_accents

if TYPE_CHECKING:
    from .answers import Answer, Match

__all__ = ["Row", "Topic", "TopicReport", "find_topics", "stop_words"]

SAMPLE = 3000  # different requests used to discover the clusters of what no answer covers
CUT = 0.8  # cosine distance at which those clusters stop merging
SEED = 0.38  # least cosine similarity of a request to an answer to seed its topic
MARGIN = 0.06  # by how much the best answer must lead the next to seed
JOIN = 0.3  # least similarity to a topic's seeds (or a cluster's centre) to join it
COVERAGE = 0.6  # least share of an answer's title words its topic's requests use
SEEDED = 0.08  # least share of a topic's requests that match its answer directly
TOPIC_NEAR = 0.5  # least similarity of two topics' centres for them to be one
CONCEPT_NEAR = 0.7  # ... or of the shared vocabulary in them
GAP_NEAR = 0.9  # once every topic is whole, a cluster this near (as a share of the above) joins an answered one
UNSAID = 0.1  # a cluster whose shared-vocabulary words a topic hardly says (under this much of its weight) make
# this share of that vocabulary's weight in it does not ask what that topic does
GAP_SHARE = 0.015  # least share of every request for an unanswered cluster to be reported as a gap
GAP_PHRASINGS = 3  # ... and that many different phrasings (an answered topic too)
MESSAGES = 0.5  # least share of messages in a topic, against their share of everything read, with search terms
TRANSLATION = 0.2  # least similarity of a topic's requests in a language to the article they take in it
OTHER_LANGUAGE = 0.2  # least share of a topic's requests in a language for it to link an article in it
WORKERS_AFTER = 10_000  # requests cleaned in this process before the rest go to worker processes (when given)
TAG_SHARE = 0.08  # a tag on more requests than this is a catch-all: ignored
TAG_SPREAD = 3  # ... and one whose requests' clear answers are this many (each a tenth of them or more)
NOISE_TAGS = frozenset({"spam", "junk", "auto_reply", "autoreply", "auto-reply", "out_of_office", "ooo"})
TOKEN = re.compile(r"(?u)\b[^\W\d_][\w]+\b")  # words of two letters or more, not numbers
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_QUESTION = re.compile(r"[^.!?…？؟]*[?？؟]")  # a sentence that asks (Spanish "¿…?" included)
_DIGITS = re.compile("[1-9]")  # requests that differ only in their numbers are cleaned once (0 for each digit)
_TITLE_HEAD = re.compile(r": |\? | - | – ")  # what ends a title's first clause
_META_SUBJECT = re.compile(r"(?i)^\s*(chat with|conversation with|\(no subject\)|\(kein betreff\)|\(sin asunto\)|"
                           r"no subject|re|aw|fw|fwd|wg)\b[:\s]*")


@dataclass
class Topic:
    """A group of requests that ask the same thing, with the evidence a planner needs."""

    terms: tuple[str, ...]  # the words that weigh most in it
    count: int
    share: float  # of every request read
    examples: tuple[str, ...]
    hours: tuple[int, ...]  # peak local hours, busiest first
    weekdays: tuple[int, ...]  # peak weekdays (0 = Monday), busiest first
    trend: str  # "rising 40%", "falling 25%", "steady", or "" without dates
    weekly: tuple[int, ...] = ()  # requests per week over the period, oldest first
    query: str = ""  # the words an answer should match
    languages: dict[str, int] = field(default_factory=dict)  # requests per language, most first
    matches: list[Match] = field(default_factory=list)  # answers, best first (answer-first topics)
    key: str = ""  # the answer's key (its translations share it), '' for a gap

    @property
    def label(self) -> str:
        return " / ".join(self.terms)


@dataclass(frozen=True)
class Row:
    """One request as the analysis saw it."""

    ref: str
    source: str
    line: int
    topic: int  # index in TopicReport.topics, or -1
    language: str
    score: float  # similarity to its topic's answer (0 for a gap or none)
    noise: str = ""  # why it is in no topic: auto-reply, thanks, empty, spam, or ''


@dataclass
class TopicReport:
    topics: list[Topic]
    total: int  # requests read (weighted)
    noise: int  # requests in no topic
    first: date | None = None
    last: date | None = None
    labels: list[int] = field(default_factory=list)  # per request read: its topic's index, or -1
    made_rows: Any = None  # builds ``rows`` when they are first asked for (100,000 of them cost time)
    weekly: tuple[int, ...] = ()  # every request per week over the period, oldest first
    ignored_tags: dict[str, str] = field(default_factory=dict)  # tag: why it says nothing of what is asked
    _rows: list[Row] | None = None

    @property
    def rows(self) -> list[Row]:
        """Every request as the analysis saw it, in the order read."""
        if self._rows is None:
            self._rows = self.made_rows() if self.made_rows is not None else []
        return self._rows


def stop_words(languages: Iterable[str]) -> list[str]:
    """The stop words of each language (``en``, ``de``…): scikit-learn's English list, the
    stop-words package's for the others (used to rank answers)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    words: set[str] = set()
    for language in languages:
        code = language.split("-")[0].split("_")[0].lower()
        if code == "en":
            listed: Iterable[str] = ENGLISH_STOP_WORDS
        elif code in LANGUAGE_MAPPING or code in LANGUAGE_MAPPING.values():
            listed = get_stop_words(code)
        else:
            continue
        for word in listed:
            words.update(TOKEN.findall(strip_accents(word).lower()))
    return sorted(words)


def _trend(weekly: Sequence[int]) -> str:
    if len(weekly) < 2 or not sum(weekly):
        return ""
    half = len(weekly) // 2
    before, after = sum(weekly[:half]) / half, sum(weekly[half:]) / (len(weekly) - half)
    if not before:
        return "new"
    change = (after - before) / before
    if abs(change) < 0.15:
        return "steady"
    return f"{'rising' if change > 0 else 'falling'} {abs(change):.0%}"


@dataclass
class _Read:
    """Every request read, in order, as parallel lists (100,000 requests stay small)."""

    lines: list[list[str]] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    tags: list[tuple[str, ...]] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    hours: list[int] = field(default_factory=list)
    weekdays: list[int] = field(default_factory=list)
    days: list[int] = field(default_factory=list)
    refs: list[tuple[str, str, int]] = field(default_factory=list)
    counted: list[bool] = field(default_factory=list)  # a report's line (a search term and its count), not a message
    seen: dict[tuple[str, tuple[str, ...]], tuple[list[str], str]] = field(default_factory=dict)
    quarters: dict[int, tuple[int, int, int]] = field(default_factory=dict)

    def _local(self, at: datetime, tz: ZoneInfo) -> tuple[int, int, int]:
        """Local hour, weekday and day of ``at``: the same for a whole UTC quarter hour (zone
        offsets and their changes fall on quarter hours), so computed once for each."""
        quarter = int(at.timestamp()) // 900
        found = self.quarters.get(quarter)
        if found is None:
            local = at.astimezone(tz)
            found = self.quarters[quarter] = (local.hour, local.weekday(), local.date().toordinal())
        return found

    def add(self, r: Request, tz: ZoneInfo) -> None:
        key = _key(r)
        done = self.seen.get(key)
        if done is None:
            done = self.seen[key] = _clean(*_cleaning(r))
        self.record(r, tz, done)

    def record(self, r: Request, tz: ZoneInfo, done: tuple[list[str], str]) -> None:
        """``r`` read, cleaned as ``done`` says (its lines, its noise)."""
        lines, kind = done
        self.lines.append(lines)
        self.noise.append(kind)
        self.tags.append(r.tags)
        self.weights.append(r.weight)
        if r.at is not None:
            hour, weekday, day = self._local(r.at, tz)
        else:
            hour = r.hour if r.hour is not None else -1
            weekday, day = (r.weekday if r.weekday is not None else -1), -1
        self.hours.append(hour)
        self.weekdays.append(weekday)
        self.days.append(day)
        self.refs.append((r.ref, r.source, r.line))
        self.counted.append(not r.body and r.at is None)


@dataclass
class _Docs:
    """The different cleaned requests: text, tokens, language, weight, noise."""

    texts: list[str] = field(default_factory=list)
    tags: list[tuple[str, ...]] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    of: list[int] = field(default_factory=list)  # per request: its document
    weight: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)  # of its weight, what came in messages (not a search report)
    languages: list[str] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    lines: list[tuple[str, ...]] = field(default_factory=list)  # its lines (folded), to follow shared ones
    ignored_tags: dict[str, str] = field(default_factory=dict)  # tag: why it is ignored
    tag_of: dict[str, str] = field(default_factory=dict)  # a tag's token ("#vip"): the tag

    def add(self, text: str, tags: tuple[str, ...], noise: str, lines: tuple[str, ...]) -> int:
        """A new document, of weight 0 so far; its index."""
        self.texts.append(text)
        self.tags.append(tags)
        self.noise.append(noise)
        self.weight.append(0)
        self.messages.append(0)
        self.lines.append(lines)
        return len(self.texts) - 1


_Key = tuple[str, tuple[str, ...]]  # what a request is cleaned from (see _key)
_Args = tuple[str, str, str, tuple[str, ...]]  # _clean's arguments
_Done = tuple[list[str], str]  # a request cleaned: its lines, its noise


def _key(r: Request) -> _Key:
    """What ``r`` is cleaned from, its digits zeros: requests that differ only in their numbers
    (order, tracking, phone) are cleaned once (``re.sub``: three times a ``str.translate``'s speed)."""
    return _DIGITS.sub("0", f"{r.title}\x00{r.body}\x00{'' if r.body else r.text}"), r.tags


def _cleaning(r: Request) -> _Args:
    """:func:`_clean`'s arguments for ``r``."""
    return r.title, r.body, (r.text or r.title) if not r.body else r.title, r.tags


def _clean_all(items: list[_Args]) -> list[_Done]:
    """:func:`_clean` of each of ``items`` (a worker process's task)."""
    return [_clean(*item) for item in items]


def _clean(title: str, body: str, text: str, tags: tuple[str, ...]) -> tuple[list[str], str]:
    subject = title if body else text
    subject = "" if _META_SUBJECT.match(subject) and len(subject.split()) <= 6 else subject
    lines = _unechoed(clean_lines(subject), clean_lines(body)) if body else clean_lines(subject or text)
    lines = [x for x in map(redact_ids, lines) if x]  # once, here: the boilerplate and the documents read them so
    kind = "spam" if NOISE_TAGS & {t.lower() for t in tags} else noise_kind(title, body or text)
    return lines, kind


def _unechoed(subject: list[str], body: list[str]) -> list[str]:
    """A subject the helpdesk filled from the message's first words (often cut mid-word:
    "Abat-jour cabossé à la livraison, que fa") is said once, by the message."""
    head = " ".join(subject).rstrip(" .?!…").lower()
    if head and body and " ".join(body).lower().startswith(head):
        return body
    return subject + body


def _read(requests: Iterable[Request], tz: ZoneInfo, start: datetime | None, end: datetime | None,
          pool: Callable[[Callable[[list[_Args]], list[_Done]]], Any] | None = None) -> _Read:
    """The requests in [start, end), cleaned: in this process, then, past :data:`WORKERS_AFTER` of
    them, in chunks by ``pool(fn)`` (worker processes: ``scheduler.chunks.Chunks``) when given."""
    read = _Read()
    wanted = (r for r in requests
              if r.at is None or not ((start is not None and r.at < start) or (end is not None and r.at >= end)))
    for r in wanted:
        read.add(r, tz)
        if pool is not None and len(read.lines) >= WORKERS_AFTER:
            _read_in_workers(read, wanted, tz, pool)
            break
    read.seen.clear()  # its keys are the raw texts: 40% of what reading 100,000 different requests holds
    read.quarters.clear()
    return read


def _read_in_workers(read: _Read, requests: Iterator[Request], tz: ZoneInfo,
                     pool: Callable[[Callable[[list[_Args]], list[_Done]]], Any]) -> None:
    """The rest of ``requests`` read into ``read``, cleaned by worker processes in chunks, in order
    (the same result as :meth:`_Read.add` of each: each request is recorded in turn, its cleaning
    shared with those of the same key)."""
    with pool(_clean_all) as chunks:
        if not chunks.workers:
            for r in requests:
                read.add(r, tz)
            return
        queued: set[_Key] = set()  # keys sent to a worker, not yet back
        for n, batch in enumerate(chunks.batches(requests)):
            if n == chunks.workers:  # each worker has a chunk: what the next stages load, loaded meanwhile
                _warm_up()
            keys = [_key(r) for r in batch]
            todo: dict[_Key, _Args] = {}  # the keys this batch sends: the first of each not cleaned nor queued yet
            for r, k in zip(batch, keys, strict=True):
                if k not in read.seen and k not in queued and k not in todo:
                    todo[k] = _cleaning(r)
            queued.update(todo)
            for (done_batch, done_keys, sent), results in chunks.send((batch, keys, list(todo)), list(todo.values())):
                _record(read, tz, done_batch, done_keys, sent, results, queued)
        for (done_batch, done_keys, sent), results in chunks.rest():
            _record(read, tz, done_batch, done_keys, sent, results, queued)


def _warm_up() -> None:
    """What the stages after reading load (scikit-learn, lingua's models of every language: 2 s of
    this process's time), loaded while the workers clean (this process mostly waits for them)."""
    import sklearn.feature_extraction.text  # noqa: F401

    from .words import LANGUAGES, _detect

    _detect(["Where is my order? I have been waiting for a week"], LANGUAGES)  # its models load on first use


def _record(read: _Read, tz: ZoneInfo, batch: list[Request], keys: list[_Key], sent: list[_Key],
            results: list[_Done], queued: set[_Key]) -> None:
    """A batch back from a worker: what it cleaned remembered, each of its requests recorded."""
    for k, done in zip(sent, results, strict=True):
        read.seen[k] = done
        queued.discard(k)
    for r, k in zip(batch, keys, strict=True):
        read.record(r, tz, read.seen[k])


def _documents(read: _Read) -> _Docs:
    boiler = Boilerplate(redacted=True).learn(read.lines)
    docs = _Docs()
    specific = _specific_tags(read, docs.ignored_tags)
    index: dict[tuple[str, tuple[str, ...], str], int] = {}
    stripped: dict[int, tuple[tuple[str, ...], str]] = {}  # requests cleaned once share their list of lines
    known: dict[tuple[int, tuple[str, ...], str], int] = {}  # (those lines, tags, noise): its document
    for lines, kind, tags, weight, counted in zip(read.lines, read.noise, read.tags, read.weights, read.counted,
                                                  strict=True):
        i = known.get((id(lines), tags, kind), -1)
        if i < 0:
            i = known[id(lines), tags, kind] = _document(docs, index, boiler, stripped, lines, kind,
                                                         tuple(sorted({t.lower() for t in tags} & specific)))
        docs.weight[i] += weight
        docs.messages[i] += 0 if counted else weight
        docs.of.append(i)
    return docs


def _document(docs: _Docs, index: dict[tuple[str, tuple[str, ...], str], int], boiler: Boilerplate,
              stripped: dict[int, tuple[tuple[str, ...], str]], lines: list[str], kind: str,
              kept: tuple[str, ...]) -> int:
    """The document of a request: its lines without the file's boilerplate, its specific tags."""
    done = stripped.get(id(lines))
    if done is None:
        keyed = boiler.strip_keyed(lines)
        folded = tuple(k for _, k in keyed if " " in k)
        done = stripped[id(lines)] = (folded, _sentences([line for line, _ in keyed]))
    folded, text = done
    kind = kind or ("" if TOKEN.search(text) else "empty")
    key = (text.lower(), kept, kind)
    i = index.get(key)
    if i is None:
        i = index[key] = docs.add(text, kept, kind, folded)
    return i


def _specific_tags(read: _Read, ignored: dict[str, str]) -> set[str]:
    """The tags that say something about a request: not on most of them, not the noise ones
    (those on too many are added to ``ignored``, with why)."""
    tag_count: Counter[str] = Counter(t.lower() for tags in read.tags for t in set(tags))
    floor = max(3, int(TAG_SHARE * len(read.lines)))
    ignored.update((t, f"on {n / len(read.lines):.0%} of the requests") for t, n in tag_count.items() if n > floor)
    return {t for t, n in tag_count.items() if n <= floor and t not in NOISE_TAGS}


def _sentences(lines: list[str]) -> str:
    """Lines as one text that reads: a subject without a full stop gets one before the body."""
    last = len(lines) - 1
    return " ".join(line if line[-1:] in ".?!:;…" or i == last else f"{line}." for i, line in enumerate(lines))


def _tokenize(docs: _Docs, words: Any, fallback: str) -> None:
    from .words import detect

    docs.languages = detect(docs.texts, fallback)
    tagged: dict[tuple[str, str], list[str]] = {}  # (language, tag): its tokens (a file has few tags)
    for text, language, tags in zip(docs.texts, docs.languages, docs.tags, strict=True):
        tokens = words.tokens(language, text, seen=True)
        for tag in tags:
            found = tagged.get((language, tag))
            if found is None:
                found = tagged[language, tag] = [
                    f"#{t}" for t in words.tokens(language, tag.replace("_", " ").replace("-", " "))]
            for t in found:
                tokens.append(t)
                docs.tag_of.setdefault(t, tag)
        docs.tokens.append(tokens)


def _answer_tokens(answer: Answer, words: Any, fallback: str) -> list[str]:
    from .answers import _slug_title

    language = answer.language or fallback
    title = words.tokens(language, answer.title)
    labels = [t for label in answer.labels for t in words.tokens(language, label)]
    slug = words.tokens(language, _slug_title(answer.url)) if not answer.link else []
    body = words.tokens(language, answer.text)[:40]
    out: list[str] = title * 3 + labels * 2 + slug + body + [f"#{t}" for t in labels]
    return out


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def find_topics(requests: Iterable[Request], tz: ZoneInfo, languages: Iterable[str] = ("en",), top: int = 10,
                start: datetime | None = None, end: datetime | None = None,
                answers: Sequence[Answer] = (),
                pool: Callable[[Callable[[list[_Args]], list[_Done]]], Any] | None = None) -> TopicReport:
    """Every topic in ``requests`` (those in [start, end) when given), most asked first, with
    its answer among ``answers`` when one covers it; hours and weekdays in ``tz``.  ``top`` is
    kept for callers that show only the first ones: every topic is returned.  ``pool``: how a
    large file's requests are cleaned in worker processes (``scheduler.chunks.Chunks``, given
    the function to run on each chunk); None: in this process."""
    from .words import Words

    fallback = next(iter(languages), "en")
    read = _read(requests, tz, start, end, pool)
    total = sum(read.weights)
    if not read.lines:
        return TopicReport([], 0, 0)
    docs = _documents(read)
    read.lines.clear()  # the documents hold what is read of them: 100,000 requests' lines are 60 MB
    words = Words()
    _tokenize(docs, words, fallback)
    told = _with_languages(answers, fallback, docs)
    grouping = _Grouping(docs, told + _slug_names(told, docs, words), words, fallback, len(told))
    docs.tokens.clear()  # in the grouping's matrix now
    grouping.run()
    return grouping.report(read, total)


def _with_languages(answers: Sequence[Answer], fallback: str, docs: _Docs) -> list[Answer]:
    """The answers, each article with its language: an FAQ or a sitemap does not say it, and
    an English FAQ's title read as French keeps "which", "do" and "my" as words of its own.
    Detected among the languages the requests are written in (a title is short: "descale
    your espresso machine" is not Italian)."""
    from dataclasses import replace

    from .words import REPRESENTED, detect

    counts = Counter(docs.languages)
    among = [c for c, n in counts.items() if n >= REPRESENTED * len(docs.languages)] or [fallback]
    unsaid = [i for i, a in enumerate(answers) if not a.language and not a.link]
    found = detect([f"{answers[i].title}. {answers[i].text}" for i in unsaid], fallback, among)
    out = list(answers)
    for i, language in zip(unsaid, found, strict=True):
        out[i] = replace(answers[i], language=language)
    return out


def _slug_names(answers: Sequence[Answer], docs: _Docs, words: Any) -> list[Answer]:
    """Each article's name in the other languages its requests are written in, as its address
    says it: the words of its address the article does not say in its own language, which
    requests in another language do ("/ampoules" for "Which bulb does my lamp need?", an English
    FAQ of a French shop).  Each is an answer of its own, with the article's key (one topic),
    used to match requests and never shown or linked."""
    from dataclasses import replace

    from .answers import _slug_title
    from .words import REPRESENTED

    said: dict[str, set[str]] = {}
    for tokens, language in zip(docs.tokens, docs.languages, strict=True):
        said.setdefault(language, set()).update(tokens)
    among = [c for c, words_in in said.items() if docs.languages.count(c) >= REPRESENTED * len(docs.languages)]
    out = []
    for a in answers:
        if a.link or not a.language or len(among) < 2:
            continue
        foreign = _foreign_words(a, words, _slug_title(a.url))
        for language in among:
            named = [w for w in foreign if language != a.language and _unshared(words.word(language, w))
                     and words.word(language, w) in said[language]]
            if named:
                out.append(replace(a, title=" ".join(named), text="", language=language))
    return out


def _foreign_words(answer: Answer, words: Any, slug: str) -> list[str]:
    """The words of an article's address (``slug``) that the article does not say in its own
    language, in any spelling an address may give them (accents dropped, umlauts written out)."""
    own = set(words.tokens(answer.language, f"{answer.title} {answer.text}"))
    written = {form for w in TOKEN.findall(f"{answer.title} {answer.text}") for form in _ascii(w)}
    return [w for w in TOKEN.findall(slug) if w.lower() not in written
            and _unshared(words.word(answer.language, w)) and words.word(answer.language, w) not in own]


def _ascii(word: str) -> tuple[str, str]:
    """A word as an address may write it ("Größe": "grosse" or "groesse")."""
    lower = word.lower().replace("ß", "ss")
    return strip_accents(lower), strip_accents(lower.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue"))


def _unshared(token: str) -> bool:
    """Whether ``token`` is a word of one language: not a stop word, not the shared vocabulary."""
    return bool(token) and not token.startswith("~")


def _title_columns(answer: Answer, words: Any, fallback: str, vocabulary: dict[str, int],
                   head: bool = False) -> list[int]:
    """The columns of an answer's title words (the calendar's order-tracking link: "order track");
    ``head``: of its first clause only ("Returns and refunds", not "… and when you get your money back")."""
    title = _TITLE_HEAD.split(answer.title, 1)[0] if head else answer.title
    if not answer.link or answer.link == "order_tracking":
        tokens = words.tokens(answer.language or fallback, title if not answer.link else "order track")
    else:
        tokens = words.tokens("en", title)
    return sorted({vocabulary[w] for w in tokens if w in vocabulary})


class _Grouping:
    """The answer-first grouping of the different requests in ``docs``."""

    def __init__(self, docs: _Docs, answers: list[Answer], words: Any, fallback: str, shown: int | None = None):
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.docs, self.answers, self.words, self.fallback = docs, answers, words, fallback
        self.shown = len(answers) if shown is None else shown  # the answers after these are names (never shown)
        answer_tokens = [_answer_tokens(a, words, fallback) for a in answers]
        vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
        matrix = vectorizer.fit_transform([*docs.tokens, *answer_tokens] or [["_"]])
        self.vocabulary = list(vectorizer.get_feature_names_out())
        self.matrix = matrix[:len(docs.tokens)].tocsr()
        self.answer_matrix = matrix[len(docs.tokens):].tocsr()
        self.title_columns = [_title_columns(a, words, fallback, vectorizer.vocabulary_) for a in answers]
        self.title_heads = [_title_columns(a, words, fallback, vectorizer.vocabulary_, True) for a in answers]
        self.groups = _answer_groups(answers, [_concepts(a, words, fallback) for a in answers], self.shown)
        self.weights = np.asarray(docs.weight, dtype=np.float64)
        self.concept_mask = np.asarray([w.startswith("~") for w in self.vocabulary], dtype=np.float32)
        n = len(docs.texts)
        self.topic = np.full(n, -1, dtype=np.int64)  # per document: its group (answers) or cluster (offset)
        self.score = np.zeros(n, dtype=np.float32)
        self.noise = np.asarray([bool(k) and k != "thanks" for k in docs.noise])
        self.thanks = np.asarray([k == "thanks" for k in docs.noise])
        self.centres: list[Any] = []  # per topic (answer groups first, then clusters)
        self.topic_keys: list[str] = []
        self.group_scores: Any = None
        self.seed_weight: list[float] = []
        self.things = np.zeros(self.matrix.shape[1], dtype=bool)  # per column: a thing, not what is asked
        self._columns: dict[str, int] | None = None  # word: its column (made when first asked for)

    # answer first
    def run(self) -> None:
        import numpy as np

        n_groups = len(self.groups)
        if n_groups:
            scores = self._answer_scores()
            self.things = self._things(scores)
            if self.things.any():
                scores = self._answer_scores()
            per_group = np.stack([scores[:, g].max(axis=1) for g in self.groups], axis=1)
            if self._drop_spread_tags(per_group):
                scores = self._answer_scores()
                per_group = np.stack([scores[:, g].max(axis=1) for g in self.groups], axis=1)
            self.group_scores = per_group
            self._seed(per_group)
            self._follow_lines()
        self._clusters()
        self._follow_lines()
        self._check_answers()
        self._merge_answered()
        self._recentre()
        self._gaps_into_answers()
        self._nearer_gaps()
        self._answers_in_each_language()

    def _answers_in_each_language(self) -> None:
        """An answered topic asked in a language none of its answers is written in (a fifth
        of its requests or more) takes the article in that language its requests there match
        best: a translation published under its own id, linked for them."""
        import numpy as np

        languages = np.asarray(self.docs.languages)
        taken = {i for g, answers in enumerate(self.groups) if self.topic_keys[g] and (self.topic == g).any()
                 for i in answers}
        for g in range(len(self.groups)):
            members = np.flatnonzero(self.topic == g)
            if not self.topic_keys[g] or not len(members) or any(self.answers[i].link for i in self.groups[g]):
                continue
            written = {self.answers[i].language for i in self.groups[g] if i < self.shown}
            total = float(self.weights[members].sum())
            for language in sorted(set(languages[members]) - written):
                asked = members[languages[members] == language]
                if self.weights[asked].sum() < OTHER_LANGUAGE * total:
                    continue
                found = self._best_in(language, asked, taken)
                if found is not None:
                    self.groups[g] = self.groups[g] + [found]
                    taken.add(found)

    def _best_in(self, language: str, docs: Any, taken: set[int]) -> int | None:
        """The article in ``language`` that ``docs`` match clearly best (ahead of the next by
        :data:`MARGIN`, at least :data:`TRANSLATION`), not another topic's answer; else None."""
        import numpy as np

        candidates = [i for i, a in enumerate(self.answers[:self.shown]) if a.language == language and i not in taken]
        if not candidates:
            return None
        centre = np.asarray(self.matrix[docs].T @ self.weights[docs]).ravel()
        centre = (centre / (np.linalg.norm(centre) or 1.0)).astype(np.float32)
        scores = np.asarray(self.answer_matrix[candidates] @ centre).ravel()
        order = np.argsort(-scores)
        lead = scores[order[0]] - (scores[order[1]] if len(order) > 1 else 0.0)
        return candidates[int(order[0])] if scores[order[0]] >= TRANSLATION and lead >= MARGIN else None

    def shopping(self, t: int) -> bool:
        """Whether topic ``t`` is what people search the shop for rather than ask: when
        messages and search terms are read together, its share of messages is under
        :data:`MESSAGES` of theirs overall ("decaf", "gift": products, which the conversations
        hardly mention)."""
        import numpy as np

        messages = np.asarray(self.docs.messages, dtype=np.float64)
        total = float(messages.sum())
        if not total or total == float(self.weights.sum()):
            return False
        members = self.topic == t
        mine = float(messages[members].sum()) / max(float(self.weights[members].sum()), 1.0)
        return mine < MESSAGES * total / float(self.weights.sum())

    def large(self, t: int) -> bool:
        """Whether topic ``t`` holds :data:`GAP_SHARE` of the messages, or of the search terms:
        read together, a report's counts (thousands of searches) would hide a gap the messages
        show ("the bag arrived split")."""
        import numpy as np

        members = self.topic == t
        messages = np.asarray(self.docs.messages, dtype=np.float64)
        return any(float(part[members].sum()) >= GAP_SHARE * float(part.sum()) > 0
                   for part in (messages, self.weights - messages))

    def _nearer_gaps(self) -> None:
        """A request an answered topic took for the words it shares with every order ("my
        order", "the delivery") goes to the unanswered cluster its own words are nearer:
        "change the delivery address of my order" is not asking where the order is.  One that
        matched the answer clearly stays ("Where's my parcel? My bag was due Tuesday" is not
        about a split bag)."""
        import numpy as np

        n = len(self.groups)
        live = [t for t in range(len(self.centres)) if self.centres[t] is not None and (self.topic == t).any()]
        gaps = [i for i, t in enumerate(live) if t >= n and self.large(t) and not self.shopping(t)]  # reported ones
        placed = np.flatnonzero((self.topic >= 0) & (self.topic < n))
        if not gaps or not len(placed):
            return
        column = {t: i for i, t in enumerate(live)}
        similarity = np.asarray(self.matrix[placed] @ np.vstack([self.centres[t] for t in live]).T.astype(np.float32))
        own = similarity[np.arange(len(placed)), [column.get(int(t), 0) for t in self.topic[placed]]]
        best_gap = similarity[:, gaps].argmax(axis=1)
        nearer = (similarity[np.arange(len(placed)), np.asarray(gaps)[best_gap]] > own) & (self.score[placed] < SEED)
        target = np.asarray(live)[np.asarray(gaps)[best_gap]]
        for k in np.flatnonzero(nearer):
            nearer[k] = not self._asks_its_own(int(placed[k]), int(self.topic[placed[k]]), int(target[k]))
        if nearer.any():
            self.topic[placed[nearer]] = target[nearer]
            self._recentre()

    def _asks_its_own(self, d: int, own: int, gap: int) -> bool:
        """Whether request ``d`` asks what topic ``own`` does rather than what ``gap`` does: the
        words of its questions, when it says more than them, are nearer its own topic.  "Ist meine
        Bestellung schon unterwegs? Es ist ein Geschenk, deshalb eilt es etwas." asks where the
        order is; the gift that makes it urgent is not the question (a gap of gifts is nearer on
        that word alone)."""
        import numpy as np

        text = self.docs.texts[d]
        questions = _QUESTION.findall(text)
        if not questions or " ".join(q.strip() for q in questions) == text.strip():
            return False
        if self._columns is None:
            self._columns = {w: j for j, w in enumerate(self.vocabulary)}
        asked = {self._columns[t] for t in self.words.tokens(self.docs.languages[d], " ".join(questions))
                 if t in self._columns}
        row = self.matrix[d]
        said = np.asarray([j in asked for j in row.indices], dtype=bool)
        columns, values = row.indices[said], row.data[said]
        return float(values @ self.centres[own][columns]) > float(values @ self.centres[gap][columns])

    def _drop_spread_tags(self, per_group: Any) -> bool:
        """Leave out the tags whose requests' clear answers are spread over :data:`TAG_SPREAD`
        answers or more, each taking a tenth of them: a tag a shop puts on every kind of request
        ("vip", "subscription") says nothing about what is asked.  Whether any was left out."""
        import numpy as np
        from sklearn.preprocessing import normalize

        best = np.where(per_group.max(axis=1) >= SEED, per_group.argmax(axis=1), -1)
        columns = [j for j, w in enumerate(self.vocabulary) if w in self.docs.tag_of]
        present = (self.matrix[:, columns] > 0).tocsc()
        spread = []
        for k, j in enumerate(columns):
            docs = present[:, k].indices
            docs = docs[best[docs] >= 0]
            counts = np.bincount(best[docs], weights=self.weights[docs]) if len(docs) else np.zeros(1)
            answers = int((counts >= 0.1 * counts.sum()).sum()) if counts.sum() else 0
            if answers >= TAG_SPREAD:
                spread.append(j)
                tag = self.docs.tag_of[self.vocabulary[j]]
                self.docs.ignored_tags.setdefault(tag.lower(), f"spread across {answers} answers")
        if spread:
            keep = np.ones(self.matrix.shape[1], dtype=np.float32)
            keep[spread] = 0.0
            self.matrix = normalize(self.matrix.multiply(keep.reshape(1, -1)).tocsr())
        return bool(spread)

    def _gaps_into_answers(self) -> None:
        """Once every topic has all its members: a cluster close to an answered topic joins it."""
        for c in range(len(self.groups), len(self.centres)):
            if self.centres[c] is None or not (self.topic == c).any():
                continue
            target = self._answered_near(self.centres[c], len(self.groups), GAP_NEAR)
            if target is not None and self.topic_keys[target] and not self._asks_more(c, target):
                self.topic[self.topic == c] = target

    def _asks_more(self, c: int, t: int) -> bool:
        """Whether cluster ``c`` says words of the shared vocabulary (a tenth of its weight in
        that vocabulary or more) that topic ``t``'s requests hardly say: "the bag arrived split,
        the box crushed" shares "arrive" and "delivery" with the order-status questions, and asks
        about damage, which none of them does."""

        mine, theirs = self.centres[c] * self.concept_mask, self.centres[t] * self.concept_mask
        weight = mine ** 2 / (float(mine @ mine) or 1.0)
        return float(weight[(mine > 0) & (theirs < UNSAID * mine)].sum()) >= UNSAID

    def _check_answers(self) -> None:
        """A topic keeps its answer only when the answer's title speaks of what the topic's
        requests say (most of its words are in at least 0.5% of them, in one of its
        translations): "Student discount" does not answer "my discount code is invalid"."""
        import numpy as np

        for g, members in enumerate(self.groups):
            docs = np.flatnonzero(self.topic == g)
            if not len(docs) or not self.topic_keys or not self.topic_keys[g]:
                continue
            rows = (self.matrix[docs] > 0).astype(np.float32)
            frequency = np.asarray(rows.T @ self.weights[docs]).ravel() / max(self.weights[docs].sum(), 1.0)
            said = {int(c) for c in np.flatnonzero(frequency >= 0.005)}
            weak = self.seed_weight[g] < SEEDED * self.weights[docs].sum()
            covered = max(self._coverage(i, said) for i in members) >= COVERAGE
            if weak or not covered:
                self.topic_keys[g] = ""  # a gap, its nearest article a distractor
                target = self._answered_near(self.centres[g], len(self.groups))
                if target is not None and target != g and self.topic_keys[target]:
                    self.topic[self.topic == g] = target
                    if covered:  # its article speaks of it: in another language, a translation
                        self._translation(target, g)

    def _translation(self, big: int, small: int) -> None:
        """The answers of ``small`` join those of ``big`` when they are in other languages (the
        calendar's link is in none: a shop page is not its translation)."""
        ours, theirs = ({self.answers[i].language for i in self.groups[g]
                         if not self.answers[i].link and i < self.shown} for g in (big, small))
        if ours and theirs and not ours & theirs:
            self.groups[big] = self.groups[big] + self.groups[small]

    def _merge_answered(self) -> None:
        """Two answered topics that are one (the same question in two languages, answered by
        an article and its translation under another id) become one: the larger keeps its answer."""
        sizes = {g: float(self.weights[self.topic == g].sum()) for g in range(len(self.groups))
                 if self.topic_keys and self.topic_keys[g] and self.centres[g] is not None}
        order = sorted(sizes, key=lambda g: -sizes[g])
        for i, small in enumerate(order):
            for big in order[:i]:
                if self.topic_keys[big] and sizes[small] and self._near(self.centres[big], self.centres[small]) >= 1.0:
                    self.topic[self.topic == small] = big
                    self.topic_keys[small] = ""
                    self._translation(big, small)
                    break

    def _coverage(self, i: int, said: set[int]) -> float:
        """The share of answer ``i``'s title words its topic's requests use; a title with two
        words of the shared vocabulary or more is judged on those ("Returning an item and
        getting a refund": requests in another language say "return" and "refund", not "getting")."""
        title = self.title_columns[i]
        if not title:
            return 0.0
        shared = [c for c in title if self.concept_mask[c]]
        whole = sum(1 for c in title if c in said) / len(title)
        return max(whole, sum(1 for c in shared if c in said) / len(shared)) if len(shared) >= 2 else whole

    def _answer_scores(self) -> Any:
        """Each request's similarity to each answer on the answers' words only (words no
        answer has do not dilute a match: a request is a query, not a document); a request
        must share two words with an answer, or all it has, to match it."""
        import numpy as np
        from sklearn.preprocessing import normalize

        known = np.zeros(self.matrix.shape[1], dtype=np.float32)
        known[np.unique(self.answer_matrix.indices)] = 1.0
        only = normalize(self.matrix.multiply(known.reshape(1, -1)).tocsr())
        scores = (only @ self.answer_matrix.T).toarray()
        shared = ((self.matrix > 0).astype(np.float32) @ (self.answer_matrix > 0).astype(np.float32).T).toarray()
        have = np.asarray(self.matrix.getnnz(axis=1)).ravel().reshape(-1, 1)
        # an article's name in another language: one word of it is enough when that word names
        # this article alone ("ampoules", not the "produit" of three addresses)
        need = np.full(scores.shape, 2, dtype=np.int64)
        if len(self.answers) > self.shown:
            alone = self._naming_columns()
            names = (self.answer_matrix[self.shown:, alone] > 0).astype(np.float32)
            named = ((self.matrix[:, alone] > 0).astype(np.float32) @ names.T).toarray()
            need[:, self.shown:] = np.where(named > 0, 1, 2)
        scores[shared < np.minimum(need, have)] = 0.0
        self._not_on_things(scores)
        self._order_status_only(scores)
        return scores

    def _naming_columns(self) -> Any:
        """Per column, whether it is a word of the articles' names in other languages (the
        answers from ``shown`` on) that names one article only, its translations counted once:
        a word in several addresses ("produit") names none of them."""
        import numpy as np

        named: dict[int, set[str]] = {}
        for i in range(self.shown, len(self.answers)):
            for c in self.answer_matrix[i].indices:
                named.setdefault(int(c), set()).add(self.answers[i].key or self.answers[i].url)
        alone = np.zeros(self.matrix.shape[1], dtype=bool)
        alone[[c for c, keys in named.items() if len(keys) == 1]] = True
        return alone

    def _not_on_things(self, scores: Any) -> None:
        """A request that matches some answer on what it asks does not match another on the
        things it names alone: "I haven't received my decaf yet" asks where its order is, not for
        the shop's page "Decaf beans" (see :meth:`_things`)."""
        import numpy as np

        if not self.things.any():
            return
        asked = (self.matrix[:, ~self.things] > 0).astype(np.float32)
        answered = (self.answer_matrix[:, ~self.things] > 0).astype(np.float32)
        on_things = (scores > 0) & ((asked @ answered.T).toarray() == 0)
        other = ((scores > 0) & ~on_things).any(axis=1)
        scores[on_things & other.reshape(-1, 1)] = 0.0

    def _order_status_only(self, scores: Any) -> None:
        """A request made only of the words of order status ("delivery", "courier", "shipping",
        "my parcel hasn't arrived") asks where its order is: the calendar's tracking link
        answers it, not an article that names a delivery ("Pause or skip a delivery")."""
        import numpy as np

        link = next((i for i, a in enumerate(self.answers) if a.link == "order_tracking"), None)
        if link is None:
            return
        words = np.zeros(self.matrix.shape[1], dtype=bool)
        words[self.answer_matrix[link].indices] = True
        words &= self.concept_mask.astype(bool)
        outside = np.asarray((self.matrix[:, ~(words | self.things)] > 0).sum(axis=1)).ravel()
        said = np.asarray((self.matrix[:, words] > 0).sum(axis=1)).ravel()
        only = (outside == 0) & (said > 0)
        kept = np.maximum(scores[only, link], SEED + MARGIN)
        scores[only] = 0.0
        scores[only, link] = kept

    def _things(self, scores: Any) -> Any:
        """Per column, whether it is a thing customers have rather than what they ask: a word of
        their own language said by the requests that clearly take one answer and by those that
        clearly take another (each a tenth of its clear uses or more): "lamp" in "How do I return
        a lamp?" and in "Which bulb fits the Orsay lamp?".  "When will my lamp be delivered?" asks
        what "When will my order be delivered?" does."""
        import numpy as np

        things = np.zeros(self.matrix.shape[1], dtype=bool)
        if len(self.groups) < 2:
            return things
        per_group = np.stack([scores[:, g].max(axis=1) for g in self.groups], axis=1)
        order = np.sort(per_group, axis=1)
        clear = np.flatnonzero((order[:, -1] >= SEED) & (order[:, -1] - order[:, -2] >= MARGIN) & ~self.noise)
        if not len(clear):
            return things
        best = per_group[clear].argmax(axis=1)
        owners = np.zeros((len(clear), len(self.groups)), dtype=np.float32)
        owners[np.arange(len(clear)), best] = self.weights[clear]
        uses = np.asarray((self.matrix[clear] > 0).astype(np.float32).T @ owners)  # column x group
        total = uses.sum(axis=1, keepdims=True)
        spread = ((uses >= 0.1 * total) & (total > 0)).sum(axis=1) >= 2
        own = np.asarray([not w.startswith(("~", "#")) for w in self.vocabulary])
        return spread & own

    def _follow_lines(self, rounds: int = 1) -> None:
        """A request in no topic that shares a line with the requests of one topic (at least
        three of them, most of those placed and 40% of all that carry the line) joins it."""
        import numpy as np

        where: dict[str, list[int]] = {}
        for d, lines in enumerate(self.docs.lines):
            for line in dict.fromkeys(lines):  # in their order: which line is followed first decides
                where.setdefault(line, []).append(d)
        free = ~self.noise & ~self.thanks
        for _ in range(rounds):
            moved = 0
            for docs in where.values():
                if len(docs) < 2:
                    continue
                ids = np.asarray(docs)
                labels = self.topic[ids]
                placed = labels >= 0
                if placed.sum() < 3 or placed.all():
                    continue
                counts = np.bincount(labels[placed], weights=self.weights[ids[placed]])
                top = int(counts.argmax())
                if counts[top] < 0.7 * counts.sum() or counts[top] < 0.4 * self.weights[ids].sum():
                    continue
                join = ids[~placed & free[ids]]
                self.topic[join] = top
                moved += len(join)
            if not moved:
                break

    def _named(self) -> Any:
        """Per request and answer group, whether the request says a word of the shared
        vocabulary that only that group's titles say ("cancel" for "Cancel or change an order",
        "return" for "Returns and refunds: how to send items back")."""
        import numpy as np

        owners: dict[int, set[int]] = {}
        for g, members in enumerate(self.groups):
            for i in members:
                for c in self.title_heads[i]:
                    if self.concept_mask[c]:
                        owners.setdefault(c, set()).add(g)
        own = {c: next(iter(gs)) for c, gs in owners.items() if len(gs) == 1}
        columns = sorted(own)
        if not columns:
            return np.zeros((self.matrix.shape[0], len(self.groups)), dtype=bool)
        present = (self.matrix[:, columns] > 0).astype(np.float32)
        which = np.zeros((len(columns), len(self.groups)), dtype=np.float32)
        for k, c in enumerate(columns):
            which[k, own[c]] = 1.0
        return np.asarray((present @ which) > 0)

    def _seed(self, per_group: Any) -> None:
        import numpy as np

        order = np.sort(per_group, axis=1)
        best = per_group.argmax(axis=1)
        lead = order[:, -1] - (order[:, -2] if per_group.shape[1] > 1 else 0)
        named = self._named()
        torn = named.sum(axis=1) >= 2  # "cancel the purchase and send the tent back": no answer is clear
        lead[torn] = 0.0
        seeded = (order[:, -1] >= SEED) & (lead >= MARGIN) & ~self.noise & ~self.thanks
        centres: list[Any] = []
        self.seed_weight = [float(self.weights[seeded & (best == g)].sum()) for g in range(len(self.groups))]
        for g in range(len(self.groups)):
            members = seeded & (best == g)
            if not members.any():
                centres.append(None)
                continue
            rows = self.matrix[np.flatnonzero(members)]
            centre = np.asarray(rows.T @ self.weights[members]).ravel()
            centres.append(centre / (np.linalg.norm(centre) or 1.0))
        live = [g for g, c in enumerate(centres) if c is not None]
        # every answer group is a topic (numbered as the groups are), seeded or not: the clusters
        # found later are numbered after them
        self.centres = list(centres)
        self.topic_keys = [self.answers[g[0]].key for g in self.groups]
        if not live:
            return
        similarity = self.matrix @ np.vstack([centres[g] for g in live]).T.astype(np.float32)
        direct = per_group[:, live] * (lead >= MARGIN).reshape(-1, 1)
        similarity = np.maximum(np.asarray(similarity), direct)
        # a request torn between answers it names goes to the one whose askers it resembles most
        similarity[torn] *= named[torn][:, live]
        pick = similarity.argmax(axis=1)
        value = similarity.max(axis=1)
        # its words are shared among the answers it names, diluting its resemblance to each: it
        # matches one of them as well as a seed does (only no answer leads)
        strong = torn & (order[:, -1] >= SEED) & (value > 0)
        join = ((value >= JOIN) | strong) & ~self.noise & ~self.thanks  # a thank-you note is never a topic's
        self.topic[join] = np.asarray(live)[pick[join]]
        self.topic[seeded] = best[seeded]
        self.score[join] = per_group[np.flatnonzero(join), np.asarray(live)[pick[join]]]

    def _clusters(self) -> None:
        """What no answer covers: clustered; a cluster close to an answer takes it."""
        import numpy as np

        rest = np.flatnonzero((self.topic < 0) & ~self.noise & ~self.thanks & (self.matrix.getnnz(axis=1) > 0))
        if len(rest) < 2:
            return
        order = rest[np.argsort(-self.weights[rest], kind="stable")]
        rng = np.random.default_rng(16)
        sample = order if len(order) <= SAMPLE else np.concatenate(
            [order[:SAMPLE // 2], rng.choice(order[SAMPLE // 2:], SAMPLE - SAMPLE // 2, replace=False)])
        found = _average_clusters(self.matrix[sample], CUT)
        total = float(self.weights.sum())
        min_weight = max(2.0, 0.004 * total)
        centres: list[Any] = []
        for label in range(found.max() + 1):
            members = sample[found == label]
            if self.weights[members].sum() < min_weight and len(members) < max(2, len(sample) // 200):
                continue
            centre = np.asarray(self.matrix[members].T @ self.weights[members]).ravel()
            centres.append(centre / (np.linalg.norm(centre) or 1.0))
        if not centres:
            return
        similarity = np.asarray(self.matrix[rest] @ np.vstack(centres).T.astype(np.float32))
        pick, value = similarity.argmax(axis=1), similarity.max(axis=1)
        base = len(self.centres)
        self.centres.extend(centres)
        self.topic_keys.extend("" for _ in centres)
        ok = value >= JOIN
        self.topic[rest[ok]] = base + pick[ok]
        self._settle_clusters(base)
        del base

    def _settle_clusters(self, base: int) -> None:
        """A cluster close to an answered topic, or to an answer, joins it; clusters close to
        one another (the same gap asked in two languages) become one."""
        import numpy as np

        n_groups = len(self.groups)
        for c in range(base, len(self.centres)):
            target = self._answered_near(self.centres[c], n_groups)
            if target is None:
                target = self._cluster_near(c, base)
            if target is not None:
                self.topic[self.topic == c] = target
                if self.centres[target] is None:
                    self.centres[target] = self.centres[c]
                    self.topic_keys[target] = self.answers[self.groups[target][0]].key
                self.centres[c] = np.zeros_like(self.centres[c])
        self._recentre()

    def _answered_near(self, centre: Any, n_groups: int, enough: float = 1.0) -> int | None:
        import numpy as np

        live = [g for g in range(n_groups) if self.centres[g] is not None and self.centres[g] is not centre]
        if live:
            near = np.asarray([self._near(self.centres[g], centre) for g in live])
            if near.max() >= enough:
                return live[int(near.argmax())]
        return None

    def _near(self, a: Any, b: Any) -> float:
        """How close two topics are, 1 or more when they are one: their centres, or the shared
        vocabulary in them (the same question in two languages)."""
        import numpy as np

        whole = float(a @ b) / TOPIC_NEAR
        ca, cb = a * self.concept_mask, b * self.concept_mask
        norm = float(np.linalg.norm(ca) * np.linalg.norm(cb))
        return max(whole, (float(ca @ cb) / norm if norm else 0.0) / CONCEPT_NEAR)

    def _cluster_near(self, c: int, base: int) -> int | None:
        for other in range(base, c):
            if self.centres[other].any() and self._near(self.centres[other], self.centres[c]) >= 1.0:
                return other
        return None

    def _recentre(self) -> None:
        """Each topic's centre from all its members; then what is still in no topic joins the
        nearest one when it is close enough."""
        import numpy as np

        live = []
        for t in range(len(self.centres)):
            members = np.flatnonzero(self.topic == t)
            if len(members) == 0 or self.centres[t] is None:
                continue
            centre = np.asarray(self.matrix[members].T @ self.weights[members]).ravel()
            self.centres[t] = centre / (np.linalg.norm(centre) or 1.0)
            live.append(t)
        rest = np.flatnonzero((self.topic < 0) & ~self.noise & ~self.thanks)
        if not live or not len(rest):
            return
        similarity = np.asarray(self.matrix[rest] @ np.vstack([self.centres[t] for t in live]).T.astype(np.float32))
        pick, value = similarity.argmax(axis=1), similarity.max(axis=1)
        ok = value >= JOIN
        self.topic[rest[ok]] = np.asarray(live)[pick[ok]]

    # the report
    def report(self, read: _Read, total: int) -> TopicReport:
        return _Report(self, read, total).build()


def _concepts(answer: Answer, words: Any, fallback: str) -> str:
    """The shared-vocabulary words of an answer's title and labels (what its translations share)."""
    language = answer.language or fallback
    text = " ".join((answer.title, *answer.labels, answer.text if answer.link else ""))
    return " ".join(t for t in words.tokens(language, text) if t.startswith("~"))


def _answer_groups(answers: Sequence[Answer], concepts: list[str], shown: int) -> list[list[int]]:
    """Answers that are one: the same key (translations), or in two languages and each
    other's closest in the shared vocabulary (a translation published under its own id).  The
    answers from ``shown`` on are articles' names in another language: they speak for no language
    of their article's (its real translation, under its own id, still joins it)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    by_key: dict[str, list[int]] = {}
    for i, a in enumerate(answers):
        by_key.setdefault(a.key or a.url, []).append(i)
    groups = list(by_key.values())
    if len(groups) < 2 or not any(concepts):
        return groups
    counts = CountVectorizer(analyzer=str.split).fit_transform(
        [" ".join(concepts[i] for i in g) or "_" for g in groups]).astype(np.float64)
    groups = _join_translations(groups, np.asarray(counts.todense()), answers, shown)
    # the calendar's link first in its group: it is the answer a post links to
    return [sorted(m, key=lambda i: (not answers[i].link, i)) for m in groups]


def _join_translations(groups: list[list[int]], vectors: Any, answers: Sequence[Answer],
                       shown: int) -> list[list[int]]:
    """Join, one pair at a time, the groups that are each other's closest in two languages
    (the languages of their articles: ``shown`` as in :func:`_answer_groups`)."""
    import numpy as np

    langs = [{answers[i].language for i in g if i < shown} for g in groups]
    links = [any(answers[i].link for i in g) for g in groups]
    for _ in range(len(groups)):
        pair = _mutual_best(vectors, langs, links)
        if pair is None:
            break
        keep, gone = pair
        groups[keep] += groups[gone]
        vectors[keep] += vectors[gone]
        langs[keep] |= langs[gone]
        links[keep] = links[keep] or links[gone]
        del groups[gone], langs[gone], links[gone]
        vectors = np.delete(vectors, gone, axis=0)
    return groups


def _mutual_best(vectors: Any, langs: list[set[str]], links: list[bool]) -> tuple[int, int] | None:
    """The most similar two groups that are each other's unambiguous closest, in two languages
    (or one of them the calendar's link), when they are close enough."""
    import numpy as np

    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -1.0)
    best: tuple[float, int, int] | None = None
    for a in range(len(vectors)):
        b = int(similarity[a].argmax())
        value = similarity[a, b]
        ties = int((similarity[a] >= value - 1e-6).sum())
        if value < 0.7 or ties > 1 or int(similarity[b].argmax()) != a or b < a:
            continue
        if (langs[a] & langs[b]) and not (links[a] and langs[a] == {""}) and not (links[b] and langs[b] == {""}):
            continue  # two articles in one language are two answers; the calendar's link joins once
        if best is None or value > best[0]:
            best = (float(value), a, b)
    return (best[1], best[2]) if best else None


class _Report:
    """Topics from a finished grouping: counted, ranked, with their evidence."""

    def __init__(self, grouping: _Grouping, read: _Read, total: int):
        import numpy as np

        self.g, self.read, self.total = grouping, read, total
        self.of = np.asarray(grouping.docs.of, dtype=np.int64)
        self.w = np.asarray(read.weights, dtype=np.float64)
        self.days = np.asarray(read.days)
        dated = self.days[self.days >= 0]
        self.first, self.last = (int(dated.min()), int(dated.max())) if len(dated) else (0, 0)
        self.weeks = (self.last - self.first) // 7 + 1 if len(dated) else 0

    def _kept(self, request_topic: Any) -> list[int]:
        """The topics worth reporting, most asked first: large enough, asked in several
        phrasings, and not shopping (answered or not)."""
        import numpy as np

        n = len(self.g.centres)
        counts = np.bincount(request_topic[request_topic >= 0], weights=self.w[request_topic >= 0], minlength=n)
        kept = []
        for t in range(n):
            if counts[t] <= 0 or not self.g.large(t):
                continue  # one-off questions, a handful of spam: not a topic
            docs = np.flatnonzero(self.g.topic == t)
            if len({self.g.docs.texts[d].lower()[:40] for d in docs}) < GAP_PHRASINGS:
                continue  # one question asked again and again in the same words
            if self.g.shopping(t):
                continue
            kept.append(t)
        return sorted(kept, key=lambda t: (-counts[t], t))

    def build(self) -> TopicReport:
        import numpy as np

        request_topic = self.g.topic[self.of]
        ranked = self._kept(request_topic)
        position = np.full(len(self.g.centres) + 1, -1, dtype=np.int64)
        for i, t in enumerate(ranked):
            position[t] = i
        labels = position[request_topic]  # -1 maps to the last entry: -1
        topics = [self._topic(t, request_topic == t) for t in ranked]
        rows = lambda: self._rows(labels)  # noqa: E731
        first = date.fromordinal(self.first) if self.weeks else None
        last = date.fromordinal(self.last) if self.weeks else None
        weekly: tuple[int, ...] = ()
        if self.weeks:
            on = self.days >= 0
            weekly = tuple(int(x) for x in np.bincount((self.days[on] - self.first) // 7, weights=self.w[on],
                                                       minlength=self.weeks))
        return TopicReport(topics, self.total, self.total - sum(t.count for t in topics), first, last,
                           [int(x) for x in labels], rows, weekly, dict(self.g.docs.ignored_tags))

    def _rows(self, labels: Any) -> list[Row]:
        docs = self.g.docs
        out = []
        for i, (ref, source, line) in enumerate(self.read.refs):
            d = docs.of[i]
            out.append(Row(ref, source, line, int(labels[i]), docs.languages[d],
                           round(float(self.g.score[d]), 3) if labels[i] >= 0 else 0.0, docs.noise[d]))
        return out

    def _terms(self, t: int) -> tuple[str, ...]:
        import numpy as np

        centre = self.g.centres[t]
        strongest = [self.g.vocabulary[j] for j in np.argsort(-centre)[:12] if centre[j] > 0]
        shown = dict.fromkeys(self.g.words.shown(w) for w in strongest if not w.startswith("#"))
        return tuple(shown)[:3]

    def _examples(self, t: int) -> tuple[str, ...]:
        import numpy as np

        docs = np.flatnonzero(self.g.topic == t)
        docs = docs[np.argsort(-self.g.weights[docs], kind="stable")]
        out: list[str] = []
        seen: set[str] = set()
        for d in docs[~self.g.thanks[docs]]:  # never a note that read as thanks: the customer's question
            text = _shorten(self.g.docs.texts[d], 100)
            if text and text.lower() not in seen:
                seen.add(text.lower())
                out.append(text)
            if len(out) == 3:
                break
        return tuple(out)

    def _topic(self, t: int, members: Any) -> Topic:
        import numpy as np

        w = self.w[members]
        hours = np.asarray(self.read.hours)[members]
        weekdays = np.asarray(self.read.weekdays)[members]
        hour_counts = np.bincount(hours + 1, weights=w, minlength=25)[1:]
        day_counts = np.bincount(weekdays + 1, weights=w, minlength=8)[1:]
        weekly: list[int] = []
        if self.weeks:
            member_days = self.days[members]
            on = member_days >= 0
            weekly = [int(x) for x in np.bincount((member_days[on] - self.first) // 7, weights=w[on],
                                                  minlength=self.weeks)]
        languages: Counter[str] = Counter()
        for d, weight in zip(self.of[members], w, strict=True):
            languages[self.g.docs.languages[d]] += int(weight)
        count = int(w.sum())
        terms, examples = self._terms(t), self._examples(t)
        return Topic(
            terms=terms, count=count, share=count / self.total if self.total else 0.0, examples=examples,
            hours=tuple(int(h) for h in np.argsort(-hour_counts, kind="stable")[:3] if hour_counts[h] > 0),
            weekdays=tuple(int(d) for d in np.argsort(-day_counts, kind="stable")[:2] if day_counts[d] > 0),
            trend=_trend(weekly), weekly=tuple(weekly), query=" ".join((*terms, *examples)),
            languages=dict(languages.most_common()), matches=self._matches(t), key=self.g.topic_keys[t])

    def _matches(self, t: int) -> list[Match]:
        """Every answer with a positive similarity to the topic, best first; the topic's own
        answer (when it has one) first, its link before its articles."""
        import numpy as np

        from .answers import Match

        if not self.g.answers:
            return []
        centre = self.g.centres[t].astype(np.float32)
        scores = np.asarray(self.g.answer_matrix @ centre).ravel()
        own = next((grp for grp in self.g.groups if self.g.answers[grp[0]].key == self.g.topic_keys[t]), []) \
            if self.g.topic_keys[t] else []
        out = [Match(self.g.answers[i], round(float(scores[i]), 3), 0.0) for i in own if i < self.g.shown]
        rest = sorted((i for i in range(self.g.shown) if i not in own and scores[i] > 0),
                      key=lambda i: -scores[i])
        out += [Match(self.g.answers[i], round(float(scores[i]), 3), 1.01) for i in rest]
        return out


def _shorten(text: str, limit: int) -> str:
    """``text`` whole, or cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


DISTANCE_ROWS = 256  # rows of the sample's distances computed at once


def _average_clusters(part: Any, cut: float) -> Any:
    """The clusters of the rows of ``part`` (unit TF-IDF vectors) by average linkage on cosine
    distance, cut at ``cut``: what ``AgglomerativeClustering(n_clusters=None,
    distance_threshold=cut, metric="precomputed", linkage="average")`` finds on the full matrix
    of distances, the same labels in the same order, without that matrix: the condensed
    distances (the upper triangle, as it keeps) are computed a few rows at a time (3,000 rows:
    36 MB, against 200 MB of square matrices, copies and indices)."""
    import numpy as np
    from scipy.cluster import hierarchy
    from sklearn.cluster._agglomerative import _hc_cut

    n = part.shape[0]
    condensed = np.empty(n * (n - 1) // 2, dtype=np.float64)
    at = 0
    for start in range(0, n, DISTANCE_ROWS):
        rows = np.clip(1.0 - (part[start:start + DISTANCE_ROWS] @ part.T).toarray(), 0.0, 2.0)
        for k, row in enumerate(rows):
            tail = row[start + k + 1:]
            condensed[at:at + len(tail)] = tail
            at += len(tail)
    tree = hierarchy.linkage(condensed, method="average", metric="precomputed")
    children = tree[:, :2].astype(int, copy=False)
    return _hc_cut(int(np.count_nonzero(tree[:, 2] >= cut)) + 1, children, n)
