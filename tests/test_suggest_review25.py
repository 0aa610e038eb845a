"""`herald suggest` against what a cold review found (issue 25, 2026-12-07): inputs whose reading
took minutes (patterns that read a long line or word again from each of its characters), and
inputs that ended in "unexpected error" instead of a located one.  Each text below took from 8 s
to more than two minutes before; none asserts a time (the suite would hang on a regression)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from campaigns.errors import InvalidInput
from campaigns.suggest.answers import mask_credentials, public_link, read_answers
from campaigns.suggest.clean import clean, clean_lines, redact_ids
from campaigns.suggest.readers import FIELD_READ, plain, read_requests
from campaigns.suggest.words import Words

LONG = 100_000


@pytest.mark.parametrize("text", [
    "Thanks x" + " " * LONG + "y",  # a closing, then a line of spaces (the signed-closing pattern)
    "(10:00 AM) *** " + " " * LONG + "x",  # a transcript event never closed
    "*** " + " " * LONG,  # an event's stars, then spaces (9.7 s for one line of 2,000 characters)
    "a@" * (LONG // 2),  # one word of at-signs (the address pattern)
    "<p " * (LONG // 3),  # tags never closed (the HTML line-break pattern)
    "<" * LONG,
    "Where is my order?\n" + "x" * LONG,
])
def test_a_hostile_line_is_read_in_bounded_time_and_the_question_kept(text):
    lines = clean_lines(text + "\nWhere is my parcel?")
    assert all(len(line) <= 2_000 for line in lines)
    assert clean(text) is not None and redact_ids(text) is not None


def test_a_field_is_read_up_to_its_bound():
    assert len(plain("x" * (FIELD_READ + 10))) == FIELD_READ


def test_a_long_compound_word_is_tried_at_a_bounded_length():
    words = Words(["de"])
    words.word("de", "bestellung" + "x" * LONG)  # tried at 30 lengths, not 100,000
    assert words.word("de", "Bestellnummer".lower()) == "~order"


def test_a_long_link_is_left_out_and_credentials_are_masked_in_bounded_time():
    link, why = public_link("https://" + "a." * (LONG // 2))
    assert link is None and "characters" in why
    assert mask_credentials("a." * (LONG // 2)) == "a." * (LONG // 2)
    assert mask_credentials("see https://u:p@x.example/a") == "see https://***@x.example/a"


def test_an_article_body_of_unclosed_tags_is_read(tmp_path):
    doc = {"articles": [{"id": 1, "title": "Returns", "body": "<" * LONG + " send it back", "locale": "en-us",
                         "html_url": "https://help.example/a/1"}]}
    (tmp_path / "hc.json").write_text(json.dumps(doc), encoding="utf-8")
    (answer,) = read_answers(str(tmp_path / "hc.json"))
    assert "send it back" in answer.text


@pytest.mark.parametrize("count", ["inf", "1e400", "-inf", "nan"])
def test_a_count_that_is_no_finite_number_is_a_located_error(tmp_path, count):
    path = tmp_path / "search.csv"
    path.write_text(f"question,count\nWhere is my order,{count}\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        list(read_requests(str(path)))
    (problem,) = caught.value.problems
    assert (problem.line, problem.col) == (2, 2) and "count" in problem.message


@pytest.mark.parametrize("document", [
    '{"tickets": ' + "[" * 200_000 + "]" * 200_000 + "}",
    "[" * 200_000 + "]" * 200_000,
])
def test_tickets_nested_too_deeply_are_a_located_error(tmp_path, document):
    path = tmp_path / "tickets.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        list(read_requests(str(path)))
    assert "nested too deeply" in caught.value.problems[0].message


def test_a_help_centre_nested_too_deeply_is_a_located_error(tmp_path: Path):
    path = tmp_path / "hc.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        read_answers(str(path))
    assert "nested too deeply" in caught.value.problems[0].message


def _dated(tmp_path: Path, *dates: str) -> Path:
    path = tmp_path / "dated.csv"
    rows = [f"{n},Where is my order,please,{d}" for n, d in enumerate(dates, start=1)]
    path.write_text("Ticket ID,Subject,Description,Created time\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_date_against_the_given_order_is_refused_not_swapped(tmp_path):
    # --date-format DMY and "08/13/2026": no 13th month; it was read as 13 August in silence
    path = _dated(tmp_path, "05/08/2026 10:00", "08/13/2026 10:00")
    with pytest.raises(InvalidInput) as caught:
        list(read_requests(str(path), date_format="DMY"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.col) == (3, 4) and "08/13/2026" in problem.message
    assert [r.at.month for r in read_requests(str(path), date_format="MDY")] == [5, 8]


def test_a_json_export_reads_day_month_dates_by_the_date_format(tmp_path):
    path = tmp_path / "t.ndjson"
    path.write_text('{"id": 1, "subject": "Where is my order", "description": "x", "created_at": "05/08/2026 10:00"}\n',
                    encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        list(read_requests(str(path)))
    assert "--date-format" in (caught.value.problems[0].hint or "")
    (request,) = read_requests(str(path), date_format="DMY")
    assert (request.at.day, request.at.month) == (5, 8)


@pytest.mark.parametrize(("value", "ok"), [
    ("DMY", True), ("mdy", True), ("%d/%m/%Y %H:%M", True), ("%d.%m.%y", True),
    ("YMD", False), ("%Q", False), ("%H:%M", False), ("13/08/2026", False),
])
def test_the_date_format_option_takes_only_what_it_can_read(capsys, value, ok):
    from scheduler.cli import main

    code = main(["suggest", "--requests", "none.csv", "--date-format", value])
    err = capsys.readouterr().err
    assert ("argument --date-format" in err) is not ok
    if not ok:
        assert code == 2 and "expected DMY, MDY or a strptime format" in err


@pytest.mark.parametrize("other", ["--explain", "--dry-run"])
def test_json_on_standard_output_is_refused_beside_what_writes_there_too(capsys, other):
    from scheduler.cli import main

    code = main(["suggest", "--requests", "none.csv", "--json", "-", other])
    assert code == 2 and "give --json a FILE" in capsys.readouterr().err


def test_a_calendar_link_topic_is_drafted_under_the_link_name_whatever_its_words():
    from campaigns.suggest.answers import Answer, Match
    from campaigns.suggest.draft import Suggestion, _base_id

    link = Answer("order tracking", "https://shop.example/track", link="order_tracking", key="links.order_tracking")

    class Topic:
        terms = ("delivery", "order", "where")
        languages = {"en": 3}

    ids = {_base_id(Suggestion(Topic(), [Match(link, 9.0)]), "en") for Topic.terms in
           (("delivery", "order", "where"), ("parcel", "arrive", "yet"))}
    assert ids == {"suggest-order-tracking"}


def test_a_file_in_a_language_the_stop_word_lists_lack_is_read(tmp_path):
    # Slovenian has no stop-word list: learning which stop words belong to one language alone
    # asked the package for it ("unexpected error: StopWordError")
    from campaigns.suggest.words import _owners

    owners = _owners(("en", "sl"))
    assert owners and "sl" not in set(owners.values())


def test_a_post_for_a_midnight_peak_goes_out_the_evening_before():
    from campaigns.suggest.draft import _schedule

    class Topic:
        weekdays = (2,)  # Wednesday
        hours = (0, 1)

    assert _schedule(Topic(), single=True) == "FREQ=WEEKLY;BYDAY=TU;BYHOUR=23;BYMINUTE=30"
    Topic.hours = (14,)
    assert _schedule(Topic(), single=True) == "FREQ=WEEKLY;BYDAY=WE;BYHOUR=13;BYMINUTE=30"
    Topic.weekdays, Topic.hours = (0,), (0,)  # Monday's midnight: Sunday evening
    assert _schedule(Topic(), single=True) == "FREQ=WEEKLY;BYDAY=SU;BYHOUR=23;BYMINUTE=30"
