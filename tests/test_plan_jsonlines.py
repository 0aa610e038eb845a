"""campaigns.plan.JsonLines writes exactly what orjson writes of Publication.as_json, whatever the text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.model import Kind
from campaigns.plan import JsonLines, Publication

AT = datetime(2027, 3, 28, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))


def _publication(text: str, network_type: str = "x", limit: int | None = 280, note: str = "") -> Publication:
    return Publication("k" * 32, "post:p", "p", Kind.TIP, f"my-{network_type}", network_type, AT, text, 1, 2, limit,
                       "spring", note, None, "abc", "tip")


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=["Cs"])), st.sampled_from([("x", 280), ("site", None)]))
def test_a_line_is_orjsons(text: str, network: tuple[str, int | None]) -> None:
    pub = _publication(text, *network)
    assert JsonLines().line(pub) == orjson.dumps(pub.as_json()).decode()


@pytest.mark.parametrize("text", ['say "hi"', "back\\slash", "tab\there", "line\nbreak", "\u2028 \u2029",
                                  "caf\u00e9 \U0001f600", "\x7f", "https://shop.example/a?b=1 (#3)"])
def test_texts_orjson_escapes_or_not(text: str) -> None:
    encode = JsonLines()
    for pub in (_publication(text), _publication(text, "site", None, note="DST")):
        assert encode.line(pub) == orjson.dumps(pub.as_json()).decode()
        assert encode.line(pub) == orjson.dumps(pub.as_json()).decode()  # (its length, now known)


def test_a_lone_surrogate_is_refused_as_orjson_refuses_it() -> None:
    with pytest.raises(TypeError):
        JsonLines().line(_publication("\ud800"))
