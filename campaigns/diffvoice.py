"""The voice guide's findings a calendar change brings (``herald diff``), looked for where the
change is rather than in the whole window twice.

- **Text rules** (:mod:`campaigns.voice`, and countdowns) are checked on every publication of the
  posts the change touches, and the findings the old revision did not have are kept (told apart
  by what they say and the posts they are about, never by line).  A publication the change does
  not touch has the same text, so the same findings, unless the brand (its voice guide, links,
  events) or the campaigns changed: then every publication is checked.
- **Repetition** (``duplicate``, ``near-duplicate``) is found as :func:`campaigns.lint.repetition`
  finds it (per account, in its time order: the previous post of the same text within the
  guide's window; the most recent post of another text at least the guide's ``similarity``
  alike), but only for the pairs in which a publication the change adds, moves or rewords is the
  later or the earlier one; a pair whose two publications were already alike and that close in
  the old revision is not new.  Each is worded by lint's own reporter.  Around a few changes they
  are looked for around each one; when much changed, lint's own check runs over the window.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from .errors import Problem, Severity
from .lint import Collector, check_status_templates, check_texts, checker_for, repeat_reporter, repetition
from .model import STATUS_KINDS, Calendar
from .plan import Publication
from .similarity import jaccard, normalize, shingles_of_normal

# Up to this many publications made by the change, repeats are looked for around each, while each
# one's neighbours (its account's publications within the guide's window) number at most
# AROUND_PER_PUBLICATION times the window's publications in all; beyond, lint's own check of the
# whole window is cheaper (at 10,000 posts, 200 changes around each cost what lint's check does;
# at 100,000, ten times as many changes each among ten times as many neighbours: a hundred times).
TARGETED_UP_TO = 200
AROUND_PER_PUBLICATION = 40
Pair = tuple[Publication | None, Publication | None]  # (old, new) of a publication the change touches
_Repeat = tuple[Publication, Publication, float]  # (later, earlier, score: 1.0 word for word)


def setting(calendar: Calendar) -> tuple[Any, ...]:
    """What a text's findings depend on besides the text: the brand (where its voice guide is
    written aside) and the campaigns."""
    brand = calendar.brand
    return replace(brand, voice=replace(brand.voice, line=0, col=0), status_template_locs={}), calendar.campaigns


def identity(problem: Problem) -> tuple[object, ...]:
    return problem.severity, problem.message, problem.hint, problem.posts


class PerPost(Collector):
    """Findings each reported once per post (lint reports a template two posts share once, for the
    first: OLD's are told apart per post, whichever posts are checked, in this process or a child)."""

    def add(self, path: str, line: int, col: int, finding: Any, key: tuple[object, ...] | None = None,
            posts: tuple[str, ...] = ()) -> None:
        super().add(path, line, col, finding, (*(key or (path, line, col, finding.rule, finding.message)), posts),
                    posts)


def text_findings(calendar: Calendar, pubs: list[Publication], posts: Container[str] | None,
                  checker: Any = None, per_post: bool = False) -> list[Problem]:
    """The text findings of the publications of ``posts`` (None: of every one) and of the status
    templates, as ``lint(repeats=False)`` has them (``per_post``: once for each post that has one):
    a text finding is about its post alone, so those of the posts a change touches are all a new
    finding can be told apart from."""
    checker = checker or checker_for(calendar)
    out = PerPost() if per_post else Collector()
    check_texts(calendar, pubs if posts is None else [p for p in pubs if p.post in posts], checker, out)
    check_status_templates(calendar, checker, out)
    return list(out.problems.values())


OldFindings = Iterable[Problem] | Callable[[Container[str] | None], Iterable[Problem]]


def new_findings(old_findings: OldFindings, old_setting: object, old_pubs: list[Publication],
                 calendar: Calendar, pubs: list[Publication], pairs: list[Pair]) -> list[Problem]:
    """The findings the new revision (``calendar``, planned as ``pubs``) has and the old one does not
    (``old_findings``: its text findings, from ``lint(repeats=False)``, or what gives them for the
    posts it is given: :func:`text_findings` of the old revision); ``pairs``: what changed."""
    checker = checker_for(calendar)
    touched = {pub.post for pair in pairs for pub in pair if pub is not None}
    every = old_setting is None or old_setting != setting(calendar)
    found = text_findings(calendar, pubs, None if every else touched, checker)
    seen = {identity(p) for p in (old_findings(None if every else touched) if callable(old_findings)
                                  else old_findings)}
    found = [p for p in found if identity(p) not in seen]
    repeats = Collector()
    report = repeat_reporter(calendar, checker, repeats)
    for later, earlier, score in _new_repeats(old_pubs, pubs, pairs, calendar, checker):
        report(later, earlier, score)
    return sorted([*found, *repeats.problems.values()],
                  key=lambda p: (p.severity != Severity.ERROR, p.path, p.line, p.col, p.message))


def _new_repeats(old_pubs: list[Publication], pubs: list[Publication], pairs: list[Pair],
                 calendar: Calendar, checker: Any) -> list[_Repeat]:
    """The repeats in ``pubs`` that involve a publication the change made, and were not there before:
    word for word first, then nearly, each in time order (as lint reports them)."""
    changed = {new.key: old for old, new in pairs if new is not None}
    if not changed:
        return []
    voice = checker.voice
    texts = _Texts(voice.similarity)
    if _targeted(len(changed), pubs, voice.window):
        found = repeats_around(pubs, changed, voice, texts)
    else:  # much changed: lint's own check of the whole window costs less than looking around each change
        found = repeats_by_lint(calendar, pubs, changed, checker)
    before = {p.key: p for p in old_pubs}

    def was(pub: Publication) -> Publication | None:
        return changed[pub.key] if pub.key in changed else before.get(pub.key)

    kept = [r for r in found if not texts.were_alike(was(r[0]), was(r[1]), voice.window)]
    return sorted(kept, key=lambda r: (r[2] < 1.0, r[0].at.timestamp(), r[0].network, r[0].post))


def _targeted(changes: int, pubs: list[Publication], window: timedelta) -> bool:
    """Whether looking around each of ``changes`` publications costs less than lint's check of ``pubs``."""
    if changes > TARGETED_UP_TO:
        return False
    if len(pubs) < 2:
        return True
    span = max(pubs[-1].at - pubs[0].at, window)
    around = len(pubs) / len({p.network for p in pubs}) * min(1.0, 2 * window / span)
    return changes * around <= AROUND_PER_PUBLICATION * len(pubs)


def repeats_around(pubs: list[Publication], changed: Container[str], voice: Any,
                   texts: _Texts | None = None) -> list[_Repeat]:
    """The repeats among ``pubs`` with a publication whose key is in ``changed`` as the later or the
    earlier one, looked for around each of those."""
    texts = texts or _Texts(voice.similarity)
    near = voice.severity("near-duplicate") != "off"
    found: list[_Repeat] = []
    for account in sorted({pub.network for pub in pubs if pub.key in changed}):
        mine = [p for p in pubs if p.network == account and p.kind not in STATUS_KINDS]
        found += _Account(mine, texts, voice.window).repeats(changed, near)
    return found


def repeats_by_lint(calendar: Calendar, pubs: list[Publication], changed: Container[str],
                    checker: Any) -> list[_Repeat]:
    """What :func:`repeats_around` finds, by lint's check of every publication of the accounts involved."""
    found: list[_Repeat] = []

    def keep(later: Publication, earlier: Publication, score: float) -> None:
        if later.key in changed or earlier.key in changed:
            found.append((later, earlier, score))

    repetition(calendar, pubs, checker, Collector(), accounts={p.network for p in pubs if p.key in changed},
               report=keep)
    return found


@dataclass
class _Texts:
    """Each text normalised and shingled once, and each pair's similarity computed once."""

    threshold: float
    normal: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # normalised text -> its number
    texts: list[str] = field(default_factory=list)  # by number
    sets: list[frozenset[int] | None] = field(default_factory=list)
    scores: dict[tuple[int, int], float] = field(default_factory=dict)

    def id_of(self, text: str) -> int:
        normal = self.normal.get(text)
        if normal is None:
            normal = self.normal[text] = normalize(text)
        number = self.ids.get(normal)
        if number is None:
            number = self.ids[normal] = len(self.ids)
            self.texts.append(normal)
            self.sets.append(None)
        return number

    def score(self, a: int, b: int) -> float:
        pair = (a, b) if a < b else (b, a)
        found = self.scores.get(pair)
        if found is None:
            found = self.scores[pair] = self._jaccard(a, b)
        return found

    def alike(self, a: int, b: int) -> bool:
        return a != b and self.score(a, b) >= self.threshold

    def were_alike(self, later: Publication | None, earlier: Publication | None, window: timedelta) -> bool:
        """Whether two publications of the old revision were already as close and as alike."""
        if later is None or earlier is None or abs(later.at - earlier.at) > window:
            return False
        a, b = self.id_of(later.text), self.id_of(earlier.text)
        return a == b or self.alike(a, b)

    def _jaccard(self, a: int, b: int) -> float:
        first, second = self.sets[a], self.sets[b]
        if first is None:
            first = self.sets[a] = shingles_of_normal(self.texts[a])
        if second is None:
            second = self.sets[b] = shingles_of_normal(self.texts[b])
        size_a, size_b = len(first), len(second)
        if (size_a / size_b if size_a <= size_b else size_b / size_a) < self.threshold:
            return 0.0  # (the sizes alone keep it under: |A ∩ B| / |A ∪ B| <= min / max)
        return jaccard(first, second)


class _Account:
    """One account's publications in lint's time order (by instant; at one instant, by where each
    text first appears), with each one's text number."""

    def __init__(self, pubs: Sequence[Publication], texts: _Texts, window: timedelta):
        groups: dict[int, list[Publication]] = {}
        for pub in pubs:
            groups.setdefault(texts.id_of(pub.text), []).append(pub)
        order = {text: n for n, text in enumerate(groups)}
        rows = sorted(((p, t) for t, group in groups.items() for p in group),
                      key=lambda row: (row[0].at.timestamp(), order[row[1]]))
        self.pubs = [p for p, _ in rows]
        self.items = [t for _, t in rows]
        self.times = [p.at.timestamp() for p in self.pubs]
        self.groups, self.texts, self.window = groups, texts, window.total_seconds()
        self.answers: dict[int, int | None] = {}  # timeline position -> its most recent alike

    def repeats(self, changed: Container[str], near: bool) -> list[_Repeat]:
        found: list[_Repeat] = []
        for group in self.groups.values():  # word for word: the previous post of the same text
            for earlier, later in zip(group, group[1:], strict=False):
                if (earlier.key in changed or later.key in changed) and \
                        later.at.timestamp() - earlier.at.timestamp() <= self.window:
                    found.append((later, earlier, 1.0))
        if near:
            for index, pub in enumerate(self.pubs):
                if pub.key in changed:
                    found += self._near(index)
        return list({(r[0].key, r[1].key): r for r in found}.values())

    def _near(self, index: int) -> list[_Repeat]:
        """The near repeats with the publication at ``index`` as the later one, or as the earlier one."""
        found = []
        earlier = self._most_recent_alike(index)
        if earlier is not None:
            found.append((self.pubs[index], self.pubs[earlier], min(self._score(index, earlier), 0.999)))
        item, end = self.items[index], bisect_right(self.times, self.times[index] + self.window)
        alike = self._alike_to(item, set(self.items[index + 1:end]))
        for later in range(index + 1, end):
            if self.items[later] in alike and self._most_recent_alike(later) == index:
                found.append((self.pubs[later], self.pubs[index], min(self._score(later, index), 0.999)))
        return found

    def _alike_to(self, item: int, others: set[int]) -> set[int]:
        """Those of ``others`` (text numbers) at least the threshold alike to ``item`` (not itself)."""
        texts = self.texts
        scores, threshold, compute = texts.scores, texts.threshold, texts.score
        found = set()
        for other in others:
            score = scores.get((item, other) if item < other else (other, item))
            if score is None:
                score = compute(item, other)
            if score >= threshold and other != item:
                found.add(other)
        return found

    def _most_recent_alike(self, index: int) -> int | None:
        """The most recent publication before ``index`` within the window whose text is another one at
        least the threshold alike: lint's answer for it (its ``RecentExact``), found once."""
        if index in self.answers:
            return self.answers[index]
        item, at, alike = self.items[index], self.times[index], self.texts.alike
        found = None
        for earlier in range(index - 1, -1, -1):
            if at - self.times[earlier] > self.window:
                break
            if alike(item, self.items[earlier]):
                found = earlier
                break
        self.answers[index] = found
        return found

    def _score(self, a: int, b: int) -> float:
        return self.texts.score(self.items[a], self.items[b])

