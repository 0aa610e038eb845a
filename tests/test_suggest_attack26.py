"""herald suggest on Panela Forte (tests/data/suggest/attack26/SOURCES.md): a Zendesk tickets export
in Brazilian Portuguese, Dutch and English with chat and messaging transcripts and a pt-br/nl/en Help
Center, written from the vendor's documented format by a tester who never read the code (issue 25's
attack after stop 35).  The truth (``truth.tsv``) was written before Herald ran.

What holds is asserted; the issue's adjusted Rand of 0.75 does not hold yet on this export (strict
xfail: it fails the suite the day it holds, so that the floor is raised)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from campaigns.calendar import load
from campaigns.suggest.answers import brand_answers, read_answers
from campaigns.suggest.draft import Suggestion, answer_in, draft
from campaigns.suggest.readers import read_requests
from campaigns.suggest.topics import find_topics
from campaigns.suggest.words import detect
from tests.conftest import ROOT, adjusted_rand_score

DATA = ROOT / "tests" / "data" / "suggest" / "attack26"
FLOOR = 0.64  # measured: 0.621 at stop 35's end (23c5567), 0.644+ with the thanks-in-advance closings
ANSWERED = {"returns": "/360010000201-", "care": "/360010000202-", "payment": "/360010000203-",
            "address": "/360010000204-", "damaged": "/360010000205-", "giftcard": "/360010000206-",
            "tracking": "rastreio"}
DISTRACTORS = ("/360010000301-", "/360010000302-", "/360010000303-", "/360010000401-")  # 401: a draft
LOCALES = {"pt": "/hc/pt-br/", "nl": "/hc/nl/", "en": "/hc/en-us/"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed():
    cal = load(str(DATA / "calendar.yaml"))
    answers = brand_answers(cal.brand.links) + read_answers(str(DATA / "zendesk_help_center.json"))
    report = find_topics(read_requests(str(DATA / "zendesk_tickets.json")), cal.brand.tz, [cal.brand.language],
                         answers=answers)
    with open(DATA / "truth.tsv", encoding="utf-8") as f:
        truth = dict(line.rstrip("\n").split("\t") for line in f if line.strip())
    votes: dict[int, Counter[str]] = {}
    for row in report.rows:
        votes.setdefault(row.topic, Counter())[truth[row.ref]] += 1
    majority = {t: c.most_common(1)[0][0] for t, c in votes.items() if t >= 0}
    return cal, report, truth, majority


def _ari(report, truth) -> float:
    return adjusted_rand_score([truth[r.ref] for r in report.rows], [r.topic for r in report.rows])


def test_topics_hold_the_measured_floor(analysed):
    _cal, report, truth, _ = analysed
    ari = _ari(report, truth)
    print(f"Panela Forte: adjusted Rand {ari:.3f}")
    assert ari >= FLOOR


@pytest.mark.xfail(strict=True, reason="issue 25's goal (0.75) is not met on Panela Forte: Dutch care and "
                                       "induction questions share a gap, Dutch 'onderweg' tracking questions "
                                       "are a false gap")
def test_topics_match_the_truth_as_the_issue_asks(analysed):
    _cal, report, truth, _ = analysed
    assert _ari(report, truth) >= 0.75


def test_the_largest_topic_is_first_and_takes_the_tracking_link(analysed):
    _cal, report, _truth, majority = analysed
    assert majority[0] == "tracking"
    assert [m.answer.url for m in report.topics[0].matches if m.good][0].startswith("https://www.panelaforte.example/rastreio")


def test_every_answered_topic_has_its_article_in_each_language_and_no_distractor_is_linked(analysed):
    _cal, report, _truth, majority = analysed
    found = set()
    for t, label in majority.items():
        topic = report.topics[t]
        assert not [m.answer.url for m in topic.matches if m.good and any(d in m.answer.url for d in DISTRACTORS)]
        if label not in ANSWERED or not topic.key or label == "tracking":
            continue
        for language, count in topic.languages.items():
            if count < 0.2 * topic.count:
                continue
            match = answer_in(Suggestion(topic, topic.matches), language)
            assert match is not None and ANSWERED[label] in match.answer.url, (label, language)
            assert LOCALES[language] in match.answer.url, (label, language, match.answer.url)
            found.add(label)
    assert found >= {"returns", "care", "payment", "address", "giftcard"}, found


def test_the_real_gap_is_reported_and_never_the_draft_article(analysed):
    _cal, report, _truth, majority = analysed
    gaps = [majority[t] for t, topic in enumerate(report.topics) if t in majority and not topic.key]
    assert "induction" in gaps and "noise" not in gaps, gaps


def test_the_drafts_are_portuguese_validate_lint_clean_and_open_each_their_own_way(analysed, tmp_path, capsys):
    from campaigns.calendar import check
    from tests.test_suggest import run

    cal, report, _truth, _ = analysed
    suggestions = [Suggestion(t, t.matches) for t in report.topics if t.key and any(m.good for m in t.matches)]
    text = (DATA / "calendar.yaml").read_text(encoding="utf-8")
    drafted = draft(cal, text, suggestions, date(2026, 12, 8))
    assert len(drafted.posts) >= 5 and not [w for w in drafted.warnings if "English" in w.message]
    firsts = [p.variants[0] for p in drafted.posts]
    openings = Counter(re.split(r"[:?!]", f)[0] for f in firsts)  # five templates a kind: few repeat
    assert len(openings) >= 5 and max(openings.values()) <= 2, openings
    said = [f.split("http")[0].split("{")[0] for f in firsts]
    assert detect(said, "xx", among=("en", "pt", "nl")) == ["pt"] * len(said), said
    path = tmp_path / "calendar.yaml"
    path.write_text(drafted.merged, encoding="utf-8")
    assert check(str(path)).errors == []
    code, out, err = run(capsys, "lint", "--calendar", str(path), "--from", "2026-12-08", "--days", "28")
    assert code == 0 and "suggest-" not in out, out + err


@pytest.mark.parametrize(("language", "timezone", "brazilian"), [
    ("pt", "America/Sao_Paulo", True), ("pt-BR", "Europe/Lisbon", True), ("pt", "Europe/Lisbon", False),
    ("pt-PT", "America/Sao_Paulo", False)])
def test_a_brazilian_shop_gets_brazilian_portuguese(analysed, tmp_path, language, timezone, brazilian):
    """The drafts read as European Portuguese ("Perguntam-nos", "equipa", "estado") for a shop in
    São Paulo, with no warning."""
    _cal, report, _truth, _ = analysed
    text = (DATA / "calendar.yaml").read_text(encoding="utf-8").replace("language: pt", f"language: {language}")
    text = text.replace("America/Sao_Paulo", timezone)
    path = tmp_path / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    suggestions = [Suggestion(t, t.matches) for t in report.topics if t.key and any(m.good for m in t.matches)]
    drafted = draft(load(str(path)), text, suggestions, date(2026, 12, 8))
    said = " ".join(v for p in drafted.posts for v in p.variants if detect([v.split("http")[0]], "xx",
                                                                           among=("pt", "nl", "en"))[0] == "pt")
    european = re.findall(r"\b(Perguntam-nos|equipa|connosco|estado (dele|da sua|mais))\b", said)
    assert bool(european) != brazilian, european
    assert ("status" in said or "você" in said or "Vocês" in said) == brazilian
