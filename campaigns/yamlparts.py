"""A long YAML file parsed in parts, each part reused from the file's last version: the one
splitter both loaders share (the status file's ``incidents:`` and ``maintenance:``, the calendar's
``posts:``).

The items of a few top-level block lists are each parsed alone (:func:`campaigns.yamlsource.load_fragment`)
and the rest of the file as one document (the items' lines left blank), then put together into
exactly the located data :func:`~campaigns.yamlsource.load_text` makes of the whole file.  An item
whose text is the same as in the version before is not parsed again: on the same lines its data is
reused as it was (the same object, so what was built from it can be found by its identity); on
other lines, a copy with every place moved by as many lines (:attr:`Parts.moved` says from which
item and by how much).  Anything the parts cannot decide alone (a problem anywhere, an unusual
layout: CR line breaks, a BOM, several documents, a repeated key, an alias into another part) is
parsed as one document, so problems are exactly the whole file's, at the same places.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import InvalidInput
from .yamlsource import MAX_EXPANDED_NODES, Loc, LocDict, LocList, load_fragment, load_text

__all__ = ["Parsed", "Parts", "located", "moved"]

# Characters that would make "\n" not the only line break YAML reads, or a BOM inside the text.
_UNSPLITTABLE = ("\r", "\x85", "\u2028", "\u2029", "\ufeff")
_MARKERS = ("---", "...", "%")  # at a line's start: documents and directives (one plain document only)
# Each pattern over the whole text starts with a line break: a literal first character is what
# lets the regular expression engine skip ahead to the candidates (a "^" tries every position).
_TOP = re.compile(r"\n[^ \n#]")  # a line at the left margin: a top-level key (or a dash)
_CONTENT = re.compile(r"\n *[^ \n#]")  # a line that is neither blank nor a comment

Parsed = tuple[Any, Loc, Loc, int]  # one item's parse: (its data, the list's place, the item's place, its size)


@dataclass
class Parts:
    """What parsing one version of a file in parts made that the next version may reuse: each
    item's parse by its exact text (with the line it was on), the items that only moved (by the
    identity of their data: the item they moved from, and by how many lines), the version's text
    and its located data (None: it was parsed as one document)."""

    chunks: dict[str, tuple[int, Parsed]] = field(default_factory=dict)  # text -> (line, parse)
    moved: dict[int, tuple[LocDict, int]] = field(default_factory=dict)  # id(item) -> (the item it moved from, by)
    text: str = ""
    data: Any = None

    def adopt(self, other: Parts) -> None:
        """The parse of ``other`` (of the same text) as this one's."""
        self.chunks, self.moved, self.text, self.data = other.chunks, other.moved, other.text, other.data


def keep_newest(store: dict[str, Any], key: str, value: Any, limit: int,
                size: Callable[[Any], int] | None = None, budget: int = 0) -> None:
    """Keep ``value`` under ``key`` as the newest of at most ``limit`` entries (the oldest go), and
    with ``size``, of at most ``budget`` in all (the oldest go, the newest too when it alone is more).
    Threads may do this at once: each step is one atomic dict operation, and the worst a race
    does is forget an entry (the next check of that file parses everything)."""
    store.pop(key, None)
    store[key] = value  # the newest last
    while store and (len(store) > limit or (size is not None and sum(map(size, list(store.values()))) > budget)):
        try:
            del store[next(iter(store))]
        except (KeyError, RuntimeError, StopIteration):
            break


def located(text: str, path: str, keys: tuple[str, ...], what: str, before: Parts | None, memo: Parts) -> Any:
    """The file's located data (as :func:`load_text` makes it, raising as it does), the items of the
    top-level lists ``keys`` reused from ``before`` when their text is unchanged, every item used
    recorded in ``memo``."""
    if before is not None and before.text == text and before.data is not None:  # parsed already
        memo.adopt(before)
        return before.data
    lists = _split(text, keys)
    if lists is not None:
        data = _assemble(text, path, lists, what, before, memo)
        if data is not None:
            memo.text, memo.data = text, data
            return data
        memo.chunks.clear()
        memo.moved.clear()
    return load_text(text, path, what=what)


@lru_cache(maxsize=8)
def _list_key(keys: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"({'|'.join(map(re.escape, keys))}):[ ]*(?:[ ]#[^\n]*)?$", re.MULTILINE)


def _split(text: str, keys: tuple[str, ...]) -> dict[str, list[int]] | None:
    """For each list in ``keys`` written as a block list under its top-level key: where each of
    its items starts (its dash's line), and last where the list ends.  None when the text is not
    laid out plainly enough to say.  Regular expressions over the whole text, not a loop over
    its lines: this runs on every save of a long file."""
    if not _plain(text):
        return None
    margin = [m.start() + 1 for m in _TOP.finditer(text)]  # where each line at the left margin starts
    if text[:1] not in ("", " ", "\n", "#"):
        margin.insert(0, 0)
    pattern = _list_key(keys)
    lists: dict[str, list[int]] = {}
    for number, start in enumerate(margin):
        key = pattern.match(text, start)
        if key is None:
            continue
        if key.group(1) in lists:
            return None  # a repeated key: the whole file reports it
        end = next((m for m in margin[number + 1:] if text[m] != "-"), len(text))
        bounds = _bounds(text, key.end(), end)
        if bounds is None:
            return None
        if bounds:
            lists[key.group(1)] = bounds
    return lists


def _plain(text: str) -> bool:
    """Whether the text is one plain document its parts can be parsed of alone: no line break
    but the newline, no byte order mark, no document marker or directive, no anchor named twice."""
    return not (any(c in text for c in _UNSPLITTABLE) or text.startswith(_MARKERS)
                or any("\n" + m in text for m in _MARKERS) or _anchor_twice(text))


_ANCHOR = re.compile(r"(?:^|(?<=[\s\[{,]))&([^\s\[\]{},]+)", re.MULTILINE)


def _anchor_twice(text: str) -> bool:
    """Whether an anchor name is written twice: parts parsed alone would each accept theirs, where
    the whole file is refused ("found duplicate anchor") or an alias after both means the later.
    (Something like an anchor in a quoted text counts too: the whole file is parsed, as safe.)"""
    names = _ANCHOR.findall(text)
    return len(names) != len(set(names))


def _bounds(text: str, after: int, end: int) -> list[int] | None:
    """Where each item of the list under a key starts (the key ending at ``after``, the next one
    at ``end``), and ``end``; [] for an empty list (left to the rest of the file); None when the
    text under the key is not the items of one block list."""
    first = _CONTENT.search(text, after, end)
    if first is None:
        return []
    column = first.end() - 2 - first.start()
    dash, other = _shallow(column)
    if other.search(text, first.start(), end):
        return None  # text under the key that is not an item of one block list
    items = [m.start() + 1 for m in dash.finditer(text, first.start(), end)]
    if not items or items[0] != first.start() + 1:
        return None
    return [*items, end]


@lru_cache(maxsize=8)
def _shallow(column: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The dash of a list item at ``column``, and any other line of content as far left as it."""
    dash = re.compile(rf"\n {{{column}}}-(?=[ \n]|\Z)")
    other = re.compile(rf"\n(?! {{{column}}}-(?:[ \n]|\Z)) {{0,{column}}}(?=[^ \n#])")
    return dash, other


def _assemble(text: str, path: str, lists: dict[str, list[int]], what: str, before: Parts | None,
              memo: Parts) -> Any:
    """The located data from the file's parts: everything but the lists' items parsed as one
    document (their lines left blank), each item on its own; None if any part needs the whole."""
    rest: list[str] = []  # the text without the items, each item's lines left empty
    done = line = size = 0
    items: dict[str, LocList] = {}
    for key, bounds in sorted(lists.items(), key=lambda kv: kv[1][0]):
        found = LocList(Loc(1, 1))
        line += text.count("\n", done, bounds[0])
        rest.append(text[done:bounds[0]])
        for number, (first, last) in enumerate(itertools.pairwise(bounds)):
            chunk = text[first:last]
            parsed = _chunk(chunk, path, line, before, memo)
            if parsed is None:
                return None
            item, list_loc, item_loc, count = parsed
            if number == 0:
                found.loc = list_loc
            found.append(item)
            found.item_locs.append(item_loc)
            size += count
            breaks = chunk.count("\n")
            rest.append("\n" * breaks)
            line += breaks
        done = bounds[-1]
        items[key] = found
    rest.append(text[done:])
    return _with_items("".join(rest), path, items, size, what)


def _chunk(chunk: str, path: str, line: int, before: Parts | None, memo: Parts) -> Parsed | None:
    """One item's parse, remembered in ``memo``: the one before when its text is the same (on
    other lines: its places moved, and where it moved from noted), else parsed alone; None if it
    needs the whole file."""
    known = before.chunks.get(chunk) if before is not None else None
    if known is None:
        parsed = _item(chunk, path, line)
        if parsed is None:
            return None
    elif known[0] != line:  # the same text on other lines: its places moved, nothing else
        parsed = _moved_item(known[1], line - known[0])
        memo.moved[id(parsed[0])] = (known[1][0], line - known[0])
    else:
        parsed = known[1]
        if before is not None and id(parsed[0]) in before.moved:  # moved by the parse before this check
            memo.moved[id(parsed[0])] = before.moved[id(parsed[0])]
    memo.chunks[chunk] = (line, parsed)
    return parsed


def _with_items(rest: str, path: str, items: dict[str, LocList], size: int, what: str) -> Any:
    """The rest of the file parsed as one document, with the lists' items (``size`` values in
    all) put back under their keys; None if it does not parse, holds anything under those keys,
    or expands past the cap (aliases: the whole file says where)."""
    try:
        data = load_text(rest, path, what=what)
    except InvalidInput:
        return None
    if not isinstance(data, LocDict) or any(data.get(key, False) is not None for key in items):
        return None
    size += sum(1 for _ in _values(data))
    if size > MAX_EXPANDED_NODES:
        return None  # aliases may expand past the cap: the whole file says where
    for key, found in items.items():
        data[key] = found
        data.value_locs[key] = found.loc
    return data


def _item(chunk: str, path: str, first: int) -> Parsed | None:
    """One list item parsed alone: (its data, the list's place, the item's place, its size)."""
    parsed = load_fragment(chunk, path, first, 2)  # the list is the second level, under the root mapping
    if parsed is None:
        return None
    root, count = parsed
    if not isinstance(root, LocList) or len(root) != 1:
        return None
    return root[0], root.loc, root.item_locs[0], count - 1  # the list itself is counted once, in the file


def _moved_item(parsed: Parsed, lines: int) -> Parsed:
    item, list_loc, item_loc, count = parsed
    return moved(item, lines, {}), _down(list_loc, lines), _down(item_loc, lines), count


def _down(loc: Loc, lines: int) -> Loc:
    return Loc(loc.line + lines, loc.col)


def moved(data: Any, lines: int, done: dict[int, Any]) -> Any:
    """Located data with every place ``lines`` further down (an alias stays one shared value)."""
    if not isinstance(data, LocDict | LocList):
        return data
    known = done.get(id(data))
    if known is not None:
        return known
    if isinstance(data, LocList):
        items = LocList(_down(data.loc, lines))
        done[id(data)] = items
        items.extend(moved(v, lines, done) for v in data)
        items.item_locs = [_down(loc, lines) for loc in data.item_locs]
        return items
    out = LocDict(_down(data.loc, lines))
    done[id(data)] = out
    for key, value in data.items():
        out[key] = moved(value, lines, done)
    out.key_locs = {k: _down(loc, lines) for k, loc in data.key_locs.items()}
    out.value_locs = {k: _down(loc, lines) for k, loc in data.value_locs.items()}
    return out


def _values(data: Any) -> Any:
    """Every value of located data, nested ones included (for the expanded size)."""
    yield data
    if isinstance(data, dict):
        for value in data.values():
            yield from _values(value)
    elif isinstance(data, list):
        for value in data:
            yield from _values(value)
