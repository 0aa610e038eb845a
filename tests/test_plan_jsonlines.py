"""campaigns.plan.JsonLines writes exactly what orjson writes of Publication.as_json, whatever the text;
campaigns.plan.plan_lines, which makes the lines without the publications, writes the same lines in
the same order as the plan's publications encoded by orjson."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.calendar import loads
from campaigns.model import Kind
from campaigns.plan import JsonLines, Publication, VariantHistory, plan_lines, plan_rows, variant_id
from tests.conftest import DATA, calendar_text

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


@pytest.fixture(scope="module")
def many_rules():
    """300 posts of many distinct rules: a third in other zones (DST notes), campaigns (UTM tags),
    five networks, three with a limit."""
    return loads(gzip.decompress((DATA / "golden" / "many-rules-300.yaml.gz").read_bytes()).decode())


def _history(calendar) -> VariantHistory:
    counts, last = {}, {}
    for post in calendar.posts[::3]:
        for account, templates in post.texts.items():
            if len(templates) > 1:
                ids = [variant_id(t) for t in templates]
                counts[(post.id, account)] = {ids[0]: 2, ids[-1]: 1}
                last[(post.id, account)] = ids[-1]
    return VariantHistory(counts, last, {})


@pytest.mark.parametrize("history", [False, True])
@pytest.mark.parametrize("part", ["whole", "from the middle"])
def test_plan_lines_are_the_plans_publications_encoded_by_orjson(many_rules, history, part):
    start = datetime(2027, 1, 1, tzinfo=UTC)
    end, middle = start + timedelta(days=200), start + timedelta(days=90, hours=5)
    window = (many_rules, start, end, _history(many_rules) if history else None)
    emit_from = middle if part != "whole" else None
    rows = plan_rows(*window, emit_from=emit_from)
    lines = plan_lines(*window, emit_from=emit_from)
    assert [row[0] for row in lines] == [f"{row[0]}{row[1]}\x00{row[2]}" for row in rows]
    assert [row[1] for row in lines] == [orjson.dumps(row[-1].as_json()).decode() for row in rows]
    assert len(lines) > 3000 and sum("utm_campaign" in row[-1] for row in lines) > 20


def test_plan_lines_with_dst_notes_and_texts_to_escape():
    calendar = loads(calendar_text("""
        - id: night
          kind: tip
          networks: [x, masto, site]
          rrule: FREQ=DAILY;BYHOUR=2;BYMINUTE=30
          starts: 2027-03-20
          variants: ['Night "owls": the {date} shift\\ starts', "Caf\u00e9 at {time}\\nsee {links.help}"]
        - id: once
          kind: reminder
          networks: [hooks]
          rrule: FREQ=YEARLY;BYHOUR=2;BYMINUTE=30
          starts: 2027-10-31
          text: "Fold \t{weekday}"
        """))
    start, end = datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 11, 30, tzinfo=UTC)
    rows, lines = plan_rows(calendar, start, end), plan_lines(calendar, start, end)
    assert [row[-1] for row in lines] == [orjson.dumps(row[-1].as_json()).decode() for row in rows]
    assert sum('"note":' in row[-1] for row in lines) >= 4 and any("\\\"owls\\\"" in row[-1] for row in lines)
