"""campaigns.lazyre: a pattern compiled at its first use answers as re.compile's would."""

from __future__ import annotations

import re

from campaigns.lazyre import compile_lazily


def test_a_lazy_pattern_is_compiled_at_its_first_use_only(monkeypatch):
    calls = []
    real = re.compile
    monkeypatch.setattr(re, "compile", lambda *args: calls.append(args) or real(*args))
    pattern = compile_lazily(r"(mon|tues)day", re.IGNORECASE)
    assert calls == []  # importing a module of patterns compiles none
    assert pattern.search("see you MONDAY").group(1) == "MON"
    assert pattern.findall("monday, Tuesday") == ["mon", "Tues"]
    assert calls == [(r"(mon|tues)day", re.IGNORECASE)]  # once, however many uses


def test_a_lazy_pattern_answers_as_the_compiled_one():
    lazy, eager = compile_lazily(r"(?P<h>[0-9]{1,2}):([0-9]{2})"), re.compile(r"(?P<h>[0-9]{1,2}):([0-9]{2})")
    text = "open 9:30-18:00"
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert lazy.sub("#", text) == eager.sub("#", text) and lazy.split(text) == eager.split(text)
    assert (lazy.pattern, lazy.flags, lazy.groups, lazy.groupindex) == (eager.pattern, eager.flags, eager.groups,
                                                                        eager.groupindex)
    assert lazy.fullmatch("12:05") and not lazy.match("x12:05")
