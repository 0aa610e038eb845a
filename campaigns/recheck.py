"""Successive versions of one calendar file checked incrementally (``check(..., incremental=True)``:
the review room checks a planner's file again on every save, and a 10,000-post file takes seconds
to check whole).

The file is parsed in parts (:mod:`campaigns.yamlparts`, the splitter the status loader shares):
each item of ``posts:`` whose text is unchanged keeps its located data from the version before.
The schema and everything but the posts are checked whole, as always (they are small); a post is
built again only when something its build reads changed: its data (the same object when its text
is unchanged), the schema's findings in it, or the rest of the file it reads (the brand, the
accounts, the campaigns, the fields templates may use, whether it is a draft), compared by value.
A post whose text only moved to other lines is the post built before, its lines moved (when it had
no problem; else built again, so that every problem is at its place).  What relates posts to each
other (duplicate ids) is checked on every version, as the full check does, and every problem is
reported in the full check's order: the result is exactly the full check's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .builder import CalendarBuilder, PostContext
from .errors import Problem
from .located import Where
from .model import Post
from .templates import Template
from .yamlparts import Parts, keep_newest
from .yamlsource import LocDict

__all__ = ["SPLIT", "Memo", "ReusingBuilder", "fits", "forget", "moved", "remember", "remembered"]

SPLIT = ("posts",)  # the long list, checked item by item
MEMO_PATHS = 2  # files whose last version is remembered (a server serves one calendar; tests, a few)
# The characters of file text the remembered versions may hold in all: a memo is about 12 times its
# text (56 MB traced for a 10,000-post calendar of 2.9 MB, 13 MB of it the calendar), so two such
# calendars fit and a 100,000-post one (29 MB, some 430 MB remembered) is checked whole, keeping nothing.
MEMO_CHARS = 8_000_000
_MEMOS: dict[str, Memo] = {}  # by path, oldest first
_NO_FINDINGS: frozenset[Where] = frozenset()


@dataclass
class _Built:
    """What was built from one post's data: the schema's findings in it it was built with, the post
    (None when it has an error) and its problems."""

    spec: LocDict
    bad: frozenset[Where]
    post: Post | None
    problems: list[Problem]


@dataclass
class Memo(Parts):
    """What checking one version made that the next may reuse: its parse in parts, what the posts
    were built with, and what was built from each post's data (by the data's identity; the record
    holds the data, so the identity is never another's).  Only what this version used is kept."""

    context: tuple[Any, ...] = ()
    built: dict[int, _Built] = field(default_factory=dict)


def remembered(path: str) -> Memo | None:
    return _MEMOS.get(path)


def remember(path: str, memo: Memo) -> None:
    """Keep ``memo`` as what ``path``'s next check may reuse, within :data:`MEMO_PATHS` files and
    :data:`MEMO_CHARS` characters (see :func:`keep_newest`).  A version parsed as one document
    (``memo.text`` empty) is not kept: nothing of it could be reused."""
    if not memo.text:
        forget(path)
        return
    keep_newest(_MEMOS, path, memo, MEMO_PATHS, size=_size, budget=MEMO_CHARS)


def _size(memo: Memo) -> int:
    return len(memo.text)


def fits(text: str) -> bool:
    """Whether a version of this length may be remembered (else it is checked whole)."""
    return len(text) <= MEMO_CHARS


def forget(path: str | None = None) -> None:
    """Nothing remembered of ``path`` (of every file: None)."""
    if path is None:
        _MEMOS.clear()
    else:
        _MEMOS.pop(path, None)


class ReusingBuilder(CalendarBuilder):
    """A :class:`CalendarBuilder` that reuses, for each post, what the check of ``before`` built from
    the same data with the same context, and records in ``memo`` what this check built."""

    def __init__(self, path: str, data: LocDict, problems: list[Problem], bad: Any, before: Memo | None,
                 memo: Memo):
        super().__init__(path, data, problems, bad)
        self.before, self.memo = before, memo
        self.reusable: dict[int, _Built] | None = None
        self.findings: dict[Where, frozenset[Where]] = {}
        for where in bad:  # the schema's findings per post (the rest of its path): part of what its build reads
            if len(where) > 2 and where[0] == "posts":
                self.findings[where[:2]] = self.findings.get(where[:2], _NO_FINDINGS) | {where[2:]}
            elif where[:1] == ("posts",):
                self.findings[where[:2]] = self.findings.get(where[:2], _NO_FINDINGS) | {()}

    def post(self, spec: LocDict, where: Where, context: PostContext) -> Post | None:
        reusable = self.reusable
        if reusable is None:  # the first post: what the posts are built with, compared with the last check's
            self.memo.context = (*context, self.draft)
            before = self.before
            reusable = self.reusable = before.built if before is not None and before.context == self.memo.context \
                else {}
        bad = self.findings.get(where[:2], _NO_FINDINGS) if self.findings else _NO_FINDINGS
        known = reusable.get(id(spec))
        if known is not None and known.spec is spec and known.bad == bad:  # the common case: unchanged
            self.problems.extend(known.problems)
            self.memo.built[id(spec)] = known
            return known.post
        shift = self.memo.moved.get(id(spec)) if known is None else None
        if shift is not None:  # the same text on other lines: the post built before, its lines moved
            old = reusable.get(id(shift[0]))
            if old is not None and old.spec is shift[0] and old.bad == bad and not old.problems:
                record = _Built(spec, bad, moved(old.post, shift[1]), [])
                self.memo.built[id(spec)] = record
                return record.post
        first = len(self.problems)
        post = super().post(spec, where, context)
        self.memo.built[id(spec)] = _Built(spec, bad, post, self.problems[first:])
        return post


def moved(post: Post | None, lines: int) -> Post | None:
    """``post`` written ``lines`` further down: its line and its templates' (a template shared by
    several networks stays one)."""
    if post is None:
        return None
    done: dict[int, Template] = {}

    def down(template: Template) -> Template:
        found = done.get(id(template))
        if found is None:
            found = done[id(template)] = Template(template.source, template.line + lines, template.col)
        return found

    return replace(post, line=post.line + lines, texts={name: tuple(down(t) for t in found)
                                                        for name, found in post.texts.items()},
                   wording=tuple(down(t) for t in post.wording))
