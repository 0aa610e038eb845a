"""A post of a huge text (an attack, or a site post with no limit) is checked with a bounded amount of
work (issue 28: ``herald diff`` of an added 5 MB post took 11.3 s of CPU, 20 MB 28.6 s, in the
near-duplicate shingles of the whole text and the voice guide's checks of it).

The per-text checks read at most :data:`campaigns.networks.TEXT_READ` characters of one text: more
than any network with a limit takes (so every text such a network can send is read whole, and
findings of normal posts are unchanged: tests/test_diff*.py, tests/test_voice*.py), and the
near-duplicate comparison shingles at most that much of it.  Measured by counting stubs around the
checks (what each one was given) and the shingles' hashing: the same counts for 1 MB and 5 MB.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import campaigns.similarity as similarity
from campaigns.days import DayChecker
from campaigns.networks import NETWORK_TYPES, TEXT_READ
from campaigns.voice import Voice, VoiceChecker
from tests.test_diff import CALENDAR, herald, repo  # noqa: F401 - the fixture, shared

WORDS = "Oak and walnut, oiled twice a year! "
READERS = ("_boilerplate", "_wording", "_limits", "_reordering", "_links", "missing")


def huge_post(characters: int) -> str:
    return (f'  - {{id: guide, kind: tip, networks: [site], at: "2026-10-28T10:00", '
            f'text: "Care guide: {WORDS * (characters // len(WORDS))}"}}\n')


def counted(monkeypatch: Any) -> Counter[str]:
    """Stubs that count the characters each text check was given (its largest, and in all) and
    the shingles hashed."""
    seen: Counter[str] = Counter()

    def wrap(cls: Any, name: str) -> None:
        real = getattr(cls, name)

        def reader(self: Any, text: str, *args: Any, **kwargs: Any) -> Any:
            seen["largest"] = max(seen["largest"], len(text))
            seen["read"] += len(text)
            return real(self, text, *args, **kwargs)

        monkeypatch.setattr(cls, name, reader)

    for name in READERS:
        wrap(VoiceChecker, name)
    wrap(DayChecker, "check")
    real_crc = similarity.crc32

    def crc32(data: bytes) -> int:
        seen["shingles"] += 1
        return real_crc(data)

    monkeypatch.setattr(similarity, "crc32", crc32)
    return seen


def diff_work(repo: Any, capsys: Any, monkeypatch: Any, characters: int) -> Counter[str]:  # noqa: F811
    repo.edit(CALENDAR + huge_post(characters))
    with monkeypatch.context() as patched:
        seen = counted(patched)
        code, markdown, _ = herald(capsys, "diff", "main", "content_calendar.yaml", "--format", "markdown")
    assert code == 0 and "`guide`" in markdown and "exclamation marks; the guide allows" in markdown
    return seen


def test_every_limited_network_has_its_texts_read_whole() -> None:
    assert all(rules.limit.maximum * 3 // 2 <= TEXT_READ for rules in NETWORK_TYPES.values() if rules.limit)


@pytest.mark.slow
def test_a_huge_posts_diff_reads_a_bounded_part_of_it(repo, capsys, monkeypatch):  # noqa: F811
    small = diff_work(repo, capsys, monkeypatch, 1_000_000)
    large = diff_work(repo, capsys, monkeypatch, 5_000_000)
    assert small["largest"] <= TEXT_READ and large["largest"] <= TEXT_READ
    assert large == small  # the same work for five times the text
    assert large["shingles"] <= 4 * TEXT_READ


def test_findings_of_a_huge_text_are_those_of_its_head() -> None:
    checker = VoiceChecker(Voice(), frozenset({"acme.example"}), "Acme")
    head = "We apologize for any inconvenience! " + WORDS * (TEXT_READ // len(WORDS))
    huge = head + "act now " * 100_000
    found = checker.check(huge, "tip")
    assert [f.rule for f in found] == [f.rule for f in checker.check(head[:TEXT_READ], "tip")]
    assert all(f.span[1] <= TEXT_READ for f in found)
