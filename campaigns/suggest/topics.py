"""Grouping requests into topics: TF-IDF and agglomerative clustering (scikit-learn).

Identical requests are counted once (a search report's ``count`` or the same subject a
thousand times), so the work grows with the number of *different* requests.  Topics are
discovered on a fixed-seed sample of at most :data:`SAMPLE` different requests (average
linkage on cosine distance, cut at :data:`CUT`, so nobody has to guess the number of
topics), then every request joins its nearest topic by one sparse product, or stays noise
when no topic is close enough.  Tags count as words, so a German and an English ticket
tagged ``order_status`` meet; stop words are those of every language the calendar declares.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .readers import Request

__all__ = ["Topic", "TopicReport", "find_topics"]

SAMPLE = 3000  # different requests used to discover topics
CUT = 0.85  # cosine distance at which clusters stop merging
JOIN = 0.2  # least cosine similarity to a topic's centre for a request to join it
TOKEN = re.compile(r"(?u)\b[^\W\d_][\w]+\b")  # words of two letters or more, not numbers
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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

    @property
    def label(self) -> str:
        return " / ".join(self.terms)


@dataclass
class TopicReport:
    topics: list[Topic]
    total: int  # requests read (weighted)
    noise: int  # requests in no topic
    first: date | None = None
    last: date | None = None
    labels: list[int] = field(default_factory=list)  # per request read: its topic's index, or -1


def stop_words(languages: Iterable[str]) -> list[str]:
    """The stop words of each language (``en``, ``de``…): scikit-learn's English list (the
    stop-words package's English list has 1,300 words, "order" among them), the stop-words
    package's for the others."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, strip_accents_unicode
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
        for word in listed:  # as the vectorizer will see them
            words.update(TOKEN.findall(strip_accents_unicode(word).lower()))
    return sorted(words)


def _trend(weekly: list[int]) -> str:
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


def find_topics(requests: Iterable[Request], tz: ZoneInfo, languages: Iterable[str] = ("en",), top: int = 10,
                start: datetime | None = None, end: datetime | None = None) -> TopicReport:
    """The ``top`` most frequent topics in ``requests`` (those in [start, end) when given),
    hours and weekdays in ``tz``."""
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.preprocessing import normalize

    index: dict[tuple[str, tuple[str, ...]], int] = {}
    docs: list[str] = []
    doc_tags: list[str] = []
    titles: list[Counter[str]] = []
    doc_of: list[int] = []
    weights: list[int] = []
    hours: list[int] = []
    weekdays: list[int] = []
    days: list[int] = []
    for r in requests:
        if r.at is not None and ((start is not None and r.at < start) or (end is not None and r.at >= end)):
            continue
        key = (r.text.lower(), r.tags)
        i = index.get(key)
        if i is None:
            i = index[key] = len(docs)
            docs.append(r.text)
            doc_tags.append(" ".join(r.tags))
            titles.append(Counter())
        titles[i][r.title or r.text] += r.weight
        doc_of.append(i)
        weights.append(r.weight)
        local = r.at.astimezone(tz) if r.at is not None else None
        hours.append(local.hour if local is not None else (r.hour if r.hour is not None else -1))
        weekdays.append(local.weekday() if local is not None else (r.weekday if r.weekday is not None else -1))
        days.append(local.date().toordinal() if local is not None else -1)
    total = sum(weights)
    if not docs:
        return TopicReport([], 0, 0)
    vectorizer = TfidfVectorizer(stop_words=stop_words(languages) or None, strip_accents="unicode",
                                 sublinear_tf=True, min_df=1, max_df=0.5 if len(docs) > 20 else 1.0,
                                 token_pattern=TOKEN.pattern, dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # nothing but stop words
        return TopicReport([], total, total)
    vocabulary = list(vectorizer.get_feature_names_out())
    if any(doc_tags):  # tags weigh as much as the words: the same tag in two languages is the same topic
        tagger = CountVectorizer(binary=True, token_pattern=r"\S+", lowercase=True, dtype=np.float32)
        tag_matrix = normalize(tagger.fit_transform(doc_tags))
        matrix = normalize(hstack([matrix, tag_matrix]).tocsr())
        vocabulary += [f"#{t}" for t in tagger.get_feature_names_out()]
    doc_weight = np.bincount(np.asarray(doc_of), weights=np.asarray(weights, dtype=np.float64), minlength=len(docs))
    rng = np.random.default_rng(16)
    order = np.argsort(-doc_weight, kind="stable")
    sample = order if len(docs) <= SAMPLE else np.concatenate(
        [order[:SAMPLE // 2], rng.choice(order[SAMPLE // 2:], SAMPLE - SAMPLE // 2, replace=False)])
    part = matrix[sample]
    nonempty = np.asarray(part.getnnz(axis=1)) > 0
    sample, part = sample[nonempty], part[nonempty]
    if len(sample) < 2:
        return TopicReport([], total, total)
    distance = np.clip(1.0 - (part @ part.T).toarray(), 0.0, 2.0)
    found = AgglomerativeClustering(n_clusters=None, distance_threshold=CUT, metric="precomputed",
                                    linkage="average").fit_predict(distance)
    min_size = max(2, len(sample) // 200)
    centres = []
    for label in range(found.max() + 1):
        rows = part[found == label]
        if rows.shape[0] >= min_size:
            centre = np.asarray(rows.mean(axis=0)).ravel()
            centres.append(centre / (np.linalg.norm(centre) or 1.0))
    if not centres:
        return TopicReport([], total, total)
    similarity = matrix @ np.vstack(centres).T.astype(np.float32)
    best = np.asarray(similarity.argmax(axis=1)).ravel()
    best_score = np.asarray(similarity.max(axis=1)).ravel()
    doc_topic = np.where(best_score >= JOIN, best, -1)
    request_topic = doc_topic[np.asarray(doc_of)]
    w = np.asarray(weights, dtype=np.int64)
    counts = np.bincount(request_topic[request_topic >= 0], weights=w[request_topic >= 0], minlength=len(centres))
    ranked = [int(t) for t in np.argsort(-counts, kind="stable") if counts[t] > 0][:top]
    dated = [d for d in days if d >= 0]
    first, last = (min(dated), max(dated)) if dated else (0, 0)
    weeks = (last - first) // 7 + 1 if dated else 0
    topics = []
    for t in ranked:
        members = request_topic == t
        centre = centres[t]
        strongest = [vocabulary[j] for j in np.argsort(-centre)[:12] if centre[j] > 0]
        terms = tuple(t for t in strongest if not t.startswith("#"))[:3]
        tag_terms = [t[1:].replace("_", " ") for t in strongest if t.startswith("#")][:2]
        example_counts: Counter[str] = Counter()
        for d in np.flatnonzero(doc_topic == t)[:5000]:
            example_counts.update(titles[d])
        hour_counts = np.bincount(np.asarray(hours)[members] + 1, weights=w[members], minlength=25)[1:]
        day_counts = np.bincount(np.asarray(weekdays)[members] + 1, weights=w[members], minlength=8)[1:]
        weekly: list[int] = []
        if weeks:
            member_days = np.asarray(days)[members]
            on = member_days >= 0
            weekly = [int(x) for x in np.bincount((member_days[on] - first) // 7, weights=w[members][on],
                                                  minlength=weeks)]
        examples = tuple(e for e, _ in example_counts.most_common(3))
        topics.append(Topic(
            terms=terms, count=int(counts[t]), share=float(counts[t]) / total, examples=examples,
            hours=tuple(int(h) for h in np.argsort(-hour_counts, kind="stable")[:3] if hour_counts[h] > 0),
            weekdays=tuple(int(d) for d in np.argsort(-day_counts, kind="stable")[:2] if day_counts[d] > 0),
            trend=_trend(weekly), weekly=tuple(weekly),
            query=" ".join((*terms, *tag_terms, *examples))))
    position = {t: i for i, t in enumerate(ranked)}
    labels = [position.get(int(t), -1) for t in request_topic]
    return TopicReport(topics, total, total - sum(tp.count for tp in topics),
                       date.fromordinal(first) if dated else None, date.fromordinal(last) if dated else None, labels)
