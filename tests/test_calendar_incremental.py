"""A saved calendar is checked incrementally (issue 28: the review room's first page after a save of
a 10,000-post file): ``campaigns.calendar.check(..., incremental=True)`` splits the file into its
posts (:mod:`campaigns.yamlparts`, the splitter the status loader shares), reuses the parse and the
build of every post whose text is unchanged, and checks only the changed posts again, plus what
relates posts to each other and to the rest of the file (duplicate ids, the campaigns and accounts
they name, the brand).

The oracle is the existing full check, run fresh (``check(path, text)``, which remembers nothing):
after random single- and multi-post edits of the sample calendar (rewording, moving, deleting,
duplicating, renaming ids, changing the brand and the campaigns, breaking the YAML, shifting every
line after an edit) the incremental result is exactly the full check's: the calendar, and every
problem with its file:line:column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaigns.builder as builder_module
import campaigns.yamlparts as yamlparts
from campaigns import calendar as calendar_module
from campaigns.calendar import check

SAMPLE = (Path(__file__).resolve().parent.parent / "content_calendar.yaml").read_text()
LINES = SAMPLE.split("\n")
POSTS_AT = LINES.index("posts:")
STARTS = [n for n, line in enumerate(LINES) if line.startswith("  - id: ")]


def whole(path: str, text: str, draft: bool) -> Any:
    """The oracle: the existing full check, nothing remembered."""
    return check(path, text, draft=draft)


def same(got: Any, expected: Any) -> None:
    assert [str(p) for p in got.problems] == [str(p) for p in expected.problems]
    assert got.problems == expected.problems
    assert got.value == expected.value


def chain(path: str, texts: list[str], draft: bool) -> None:
    """Each version checked incrementally after the one before, each the same as checked whole."""
    calendar_module.forget(path)
    for text in texts:
        same(check(path, text, draft=draft, incremental=True), whole(path, text, draft))


# -- edits of the sample's lines ---------------------------------------------------------------------

def post_lines(lines: list[str], number: int) -> tuple[int, int]:
    """Where post ``number`` (of those there are) starts and ends in ``lines``."""
    starts = [n for n, line in enumerate(lines) if line.startswith("  - id: ")]
    if not starts:
        return len(lines), len(lines)
    first = starts[number % len(starts)]
    following = [n for n in starts if n > first]
    return first, following[0] if following else len(lines)


def reword(lines: list[str], number: int, word: str) -> list[str]:
    first, end = post_lines(lines, number)
    for n in range(first, end):
        if '"' in lines[n] and "rrule:" not in lines[n]:
            quote = lines[n].index('"')
            return [*lines[:n], lines[n][:quote + 1] + word + " " + lines[n][quote + 1:], *lines[n + 1:]]
    return lines


def move(lines: list[str], number: int, days: int) -> list[str]:
    first, end = post_lines(lines, number)
    for n in range(first, end):
        found = re.match(r"(    (?:at|starts|ends): \d{4}-\d\d-)(\d\d)(.*)", lines[n])
        if found:
            day = max(1, min(28, int(found.group(2)) + days))
            return [*lines[:n], f"{found.group(1)}{day:02d}{found.group(3)}", *lines[n + 1:]]
    return lines


def delete(lines: list[str], number: int) -> list[str]:
    first, end = post_lines(lines, number)
    return lines[:first] + lines[end:]


def duplicate(lines: list[str], number: int) -> list[str]:
    first, end = post_lines(lines, number)
    return lines[:end] + lines[first:end] + lines[end:]


def rename(lines: list[str], number: int, name: str) -> list[str]:
    first, _ = post_lines(lines, number)
    if first >= len(lines):
        return lines
    return [*lines[:first], f"  - id: {name}", *lines[first + 1:]]


def insert(lines: list[str], at: int, line: str) -> list[str]:
    at %= len(lines) + 1
    return [*lines[:at], line, *lines[at:]]


def replace_line(lines: list[str], pattern: str, line: str) -> list[str]:
    return [line if re.match(pattern, old) else old for old in lines]


NAMES = st.sampled_from(["track-your-order", "holiday-hours", "new-post", "wood-care-tip", "x"])
WORDS = st.sampled_from(["Now:", "Tonight (Monday 30 November):", "{unknown}", "{links.nowhere}", "A" * 400])
ODD_LINES = st.sampled_from([
    "", "  # a comment", "    enabled: false", '    text: "open', "    - a", "  -", "x: 1", "    campaign: nowhere",
    "    networks: [site, nowhere]", "    at: 2026-03-29T02:30", "    rrule: FREQ=SOMETIMES", "  - id: extra",
    "    kind: tip", "    kind: gossip", "    networks: [site]", '    text: "A new one: {links.help}"', "\t",
    "    per_network:", "      x:", "        text: Hi", "---", "posts:", "    image: {url: a.png}", "  - [1, 2]",
    "    notes: &a x", "    title: *a",
])
HEAD_EDITS = st.sampled_from([
    (r"  timezone: ", "  timezone: Europe/Lisbon"), (r"  timezone: ", "  timezone: Mars/Base"),
    (r"  name: ", "  name: Another Shop"), (r"  winter-care:", "  winter-cares:"),
    (r"  custom-orders:", "  custom-orderz:"), (r"  site:", "  sites:"), (r"version:", "version: 1 # again"),
])


@st.composite
def edits(draw: Any) -> Any:
    kind = draw(st.sampled_from(["reword", "move", "delete", "duplicate", "rename", "insert", "head"]))
    number = draw(st.integers(0, 20))
    if kind == "reword":
        word = draw(WORDS)
        return lambda lines: reword(lines, number, word)
    if kind == "move":
        days = draw(st.integers(-3, 3))
        return lambda lines: move(lines, number, days)
    if kind == "delete":
        return lambda lines: delete(lines, number)
    if kind == "duplicate":
        return lambda lines: duplicate(lines, number)
    if kind == "rename":
        name = draw(NAMES)
        return lambda lines: rename(lines, number, name)
    if kind == "insert":
        line = draw(ODD_LINES)
        at = draw(st.integers(POSTS_AT, len(LINES) + 10))
        return lambda lines: insert(lines, at, line)
    pattern, line = draw(HEAD_EDITS)
    return lambda lines: replace_line(lines, pattern, line)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(edits(), min_size=1, max_size=3), min_size=1, max_size=3), st.booleans())
def test_random_edits_check_to_what_the_whole_file_checks_to(versions, draft):
    """Versions of the sample, each one to three edits after the one before: each checked
    incrementally is exactly the sample checked whole."""
    lines, texts = list(LINES), [SAMPLE]
    for version in versions:
        for change in version:
            lines = change(lines)
        texts.append("\n".join(lines))
    chain("/srv/edits.yaml", texts, draft)


@pytest.mark.parametrize("change", [
    pytest.param(lambda lines: reword(lines, 2, "Now:"), id="reword"),
    pytest.param(lambda lines: move(lines, 4, 1), id="move"),
    pytest.param(lambda lines: delete(lines, 1), id="delete"),
    pytest.param(lambda lines: duplicate(lines, 3), id="duplicate-id"),
    pytest.param(lambda lines: rename(lines, 5, "track-your-order"), id="rename-to-taken-id"),
    pytest.param(lambda lines: rename(lines, 0, "renamed"), id="rename"),
    pytest.param(lambda lines: insert(lines, POSTS_AT + 2, '    text: "open'), id="syntax-error"),
    pytest.param(lambda lines: replace_line(lines, r"  timezone: Europe", "  timezone: Europe/Lisbon"), id="brand"),
    pytest.param(lambda lines: replace_line(lines, r"  winter-care:", "  winter-cares:"), id="campaign-gone"),
    pytest.param(lambda lines: insert(lines, POSTS_AT + 1, "  # a new line above every post"), id="shift"),
    pytest.param(lambda lines: reword(lines, 1, "A" * 400), id="too-long"),
], )
@pytest.mark.parametrize("draft", [False, True])
def test_an_edit_and_its_undo_check_as_the_whole_file(change, draft):
    edited = "\n".join(change(list(LINES)))
    chain("/srv/one.yaml", [SAMPLE, edited, SAMPLE, edited], draft)


def test_a_refused_file_is_reported_where_the_whole_file_says():
    """A syntax error anywhere: the same located error as the whole file's (one document's parse)."""
    broken = "\n".join(insert(list(LINES), STARTS[3] + 2, '    text: "open'))
    chain("/srv/broken.yaml", [SAMPLE, broken], False)
    problems = check("/srv/broken.yaml", broken, incremental=True).problems
    assert problems and all(p.line for p in problems)


def test_an_unchanged_post_is_neither_parsed_nor_built_again(monkeypatch):
    """Rewording one post parses and builds that post only; a line added above every post moves
    them all, and none is parsed or built again either."""
    path = "/srv/reuse.yaml"
    reworded = "\n".join(reword(list(LINES), 2, "Now:"))
    shifted = "\n".join(insert(reword(list(LINES), 2, "Now:"), POSTS_AT + 1, "  # every post a line down"))
    expected = whole(path, reworded, False), whole(path, shifted, False)
    calendar_module.forget(path)
    check(path, SAMPLE, incremental=True)
    parsed: list[int] = []
    built: list[str] = []
    real_item, real_build = yamlparts._item, builder_module.PostBuilder.build
    monkeypatch.setattr(yamlparts, "_item", lambda chunk, path, line: parsed.append(line) or real_item(
        chunk, path, line))
    monkeypatch.setattr(builder_module.PostBuilder, "build",
                        lambda self: built.append(self.pid) or real_build(self))
    same(check(path, reworded, incremental=True), expected[0])
    assert len(parsed) == 1 and built == ["wood-care-tip"]
    parsed.clear()
    built.clear()
    same(check(path, shifted, incremental=True), expected[1])
    assert parsed == [] and built == []


def _anchored_twice() -> str:
    """Two posts each defining the anchor ``k`` (the whole file is refused: a duplicate anchor)."""
    lines = list(LINES)
    tracking = next(i for i, line in enumerate(lines) if line.strip() == "kind: tracking")
    tip = next(i for i, line in enumerate(lines) if line.strip() == "kind: tip")
    lines[tracking] = lines[tracking].replace("kind: tracking", "kind: &k tracking")
    lines[tip] = lines[tip].replace("kind: tip", "kind: &k tip")
    return "\n".join(lines)


@pytest.mark.parametrize("draft", [False, True])
def test_an_anchor_defined_in_two_posts_is_refused_as_the_whole_file_refuses_it(draft):
    """Found by a review: parsed post by post, each post accepted its own ``&k``; the whole file
    is refused ("found duplicate anchor"), and so is it now, first time or after another version."""
    text = _anchored_twice()
    assert whole("/srv/anchors.yaml", text, draft).errors  # what the whole file says: refused
    chain("/srv/anchors.yaml", [text], draft)
    chain("/srv/anchors2.yaml", [SAMPLE, text, SAMPLE], draft)
