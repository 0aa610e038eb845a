"""Bidirectional overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069) in a post make
it read differently from its source ("Trojan Source": 'Refund \\u202e00.001\\u202c EUR' shows as
'Refund 100.00 EUR'): the voice guide's ``bidi`` rule, an error by default like the other texts
that must not go out (the engine holds that publication only), located at the character; a
right-to-left brand may turn it down.  The direction marks U+200E and U+200F are fine."""

from __future__ import annotations

import pytest

from campaigns.voice import RULES, Voice, VoiceChecker

HOSTS = frozenset({"acme.example"})


def check(text: str, voice: Voice | None = None):
    return VoiceChecker(voice or Voice(), HOSTS, "Acme Furniture").check(text, "tip")


@pytest.mark.parametrize("char, name", [("\u202e", "U+202E (right-to-left override)"),
                                        ("\u202a", "U+202A (left-to-right embedding)"),
                                        ("\u2066", "U+2066 (left-to-right isolate)"),
                                        ("\u2069", "U+2069 (pop directional isolate)")])
def test_a_bidi_control_is_a_located_error(char, name):
    text = f"Refund {char}00.001 EUR today"
    [found] = [f for f in check(text) if f.rule == "bidi"]
    assert found.severity == "error" and name in found.message and "Trojan Source" in found.message
    assert found.span == (7, 8)


def test_several_are_one_finding_naming_the_first_and_the_count():
    [found] = [f for f in check("Refund \u202e00.001\u202c EUR \u2067x\u2069") if f.rule == "bidi"]
    assert found.span == (7, 8) and "4 such characters" in found.message


def test_direction_marks_are_fine_and_a_brand_may_turn_the_rule_down():
    assert [f for f in check("\u05e9\u05dc\u05d5\u05dd \u200eSofa 3000\u200f today") if f.rule == "bidi"] == []
    assert [f.severity for f in check("a \u2067x\u2069 b", Voice(severities={"bidi": "warning"}))
            if f.rule == "bidi"] == ["warning"]
    assert [f for f in check("a \u2067x\u2069 b", Voice(severities={"bidi": "off"})) if f.rule == "bidi"] == []
    assert RULES["bidi"][0] == "error"


@pytest.mark.parametrize("role", ["investigating", "resolved", "maintenance.start"])
def test_an_outage_notice_is_warned_not_held(role):
    """A component's name written right to left ('Checkout ⁧متجر⁩ down'): the engine never holds
    an incident's or a maintenance window's announcement for it (review); the guide may still
    make it an error."""
    text = "Checkout \u2067متجر\u2069 is down. We are sorry; next update in 30 minutes."
    [found] = [f for f in VoiceChecker(Voice(), HOSTS, "Acme Furniture").check(text, role) if f.rule == "bidi"]
    assert found.severity == "warning"
    strict = Voice(severities={"bidi": "error"})
    [found] = [f for f in VoiceChecker(strict, HOSTS, "Acme Furniture").check(text, role) if f.rule == "bidi"]
    assert found.severity == "error"
