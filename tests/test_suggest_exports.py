"""herald suggest on exports written by someone else (issue #25): VoltMart (Freshdesk, Spanish
and English, a Zendesk Help Center), Kowhai (Help Scout, site search, a sitemap) and Nordlicht
(a Zendesk incremental export with chat and messaging transcripts, German and English), each
with a truth file for every request (tests/data/README.md says where they come from).

Each test names the defect it pins; it failed before the fix."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from campaigns.calendar import load
from campaigns.errors import InvalidInput
from campaigns.suggest.answers import brand_answers, mask_credentials, read_answers
from campaigns.suggest.clean import clean, noise_kind
from campaigns.suggest.draft import shorten_title
from campaigns.suggest.readers import read_requests
from campaigns.suggest.topics import find_topics
from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT, adjusted_rand_score

DATA = ROOT / "tests" / "data" / "suggest"
CLOCK = FakeClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))


class Export:
    def __init__(self, folder: str, requests: str, answers: list[str], truth: str, id_column: str,
                 label_column: str, answers_truth: str):
        self.dir = DATA / folder
        self.requests = str(self.dir / requests)
        self.answers = [str(self.dir / a) for a in answers]
        self.calendar = str(self.dir / "calendar.yaml")
        with open(self.dir / truth, encoding="utf-8") as f:
            self.truth = {row[id_column]: row[label_column] for row in csv.DictReader(f)}
        self.right = json.loads((self.dir / answers_truth).read_text())

    def analyse(self):
        cal = load(self.calendar)
        answers = brand_answers(cal.brand.links)
        for path in self.answers:
            answers += read_answers(path)
        return find_topics(read_requests(self.requests), cal.brand.tz, [cal.brand.language], answers=answers)


EXPORTS = {
    "voltmart": Export("voltmart", "freshdesk_voltmart.csv", ["help_center_voltmart.json"], "truth_a.csv",
                       "Ticket ID", "label", "truth_a_answers.json"),
    "kowhai": Export("kowhai", "helpscout_kowhai.csv", ["sitemap.xml"], "truth_b_helpscout.csv", "id", "label",
                     "truth_b_answers.json"),
    "nordlicht": Export("nordlicht", "zendesk_tickets.json", ["zendesk_help_center.json"], "truth_zendesk.csv",
                        "ticket_id", "topic", "truth_zendesk_answers.json"),
}
ARI = {"voltmart": 0.75, "kowhai": 0.75, "nordlicht": 0.75}
# Written for this check from Freshdesk's documented API shape (GET /api/v2/tickets?include=description:
# a JSON array, HTML descriptions, numeric sources), French and English, an FAQ in English only.
LUMIERE = Export("lumiere", "tickets.json", ["faq.csv"], "truth.csv", "id", "label", "answers.json")


@pytest.fixture(scope="module")
def analysed():
    return {name: (export, export.analyse()) for name, export in EXPORTS.items()}


def _majority(export, report) -> dict[int, tuple[str, float]]:
    votes: dict[int, Counter[str]] = {}
    for row in report.rows:
        votes.setdefault(row.topic, Counter())[export.truth[row.ref]] += 1
    return {t: (c.most_common(1)[0][0], c.most_common(1)[0][1] / sum(c.values())) for t, c in votes.items() if t >= 0}


def _right(export, label: str, url: str) -> bool:
    right = export.right[label]
    if isinstance(right, dict):
        right = right["right"]
    if right is None:
        return False
    right = right if isinstance(right, list) else [str(right)]
    if label in ("where_is_my_order", "order_status", "delivery_tracking"):
        right = [*right, "links.order_tracking"]  # the calendar's tracking link answers order status
    return any(("track" in url or "rastreo" in url or "sendungsverfolgung" in url) if r == "links.order_tracking"
               else f"/{r}" in url or url.endswith(r) or f"{r}-" in url for r in right)


@pytest.mark.parametrize("name", list(EXPORTS))
@pytest.mark.slow
def test_topics_match_the_truth_with_noise_as_one_cluster(analysed, name):
    """Zendesk: 0 of 7 topics; Freshdesk: adjusted Rand 0.17, each topic split by language."""
    export, report = analysed[name]
    truth = [export.truth[r.ref] for r in report.rows]
    ari = adjusted_rand_score(truth, [r.topic for r in report.rows])
    print(f"{name}: adjusted Rand {ari:.3f}")
    assert ari >= ARI[name]


@pytest.mark.parametrize("name", list(EXPORTS))
@pytest.mark.slow
def test_what_is_in_no_topic_is_about_the_real_noise(analysed, name):
    """Freshdesk: 5,236 tickets were in no topic against 1,646 real noise."""
    export, report = analysed[name]
    noise = sum(1 for label in export.truth.values() if label == "noise")
    assert report.noise <= 1.25 * noise


@pytest.mark.parametrize("name", list(EXPORTS))
@pytest.mark.slow
def test_the_largest_real_topic_comes_first_in_every_language(analysed, name):
    """Freshdesk: order status, 29% of all tickets, came out as two pieces ranked 6th and 7th."""
    export, report = analysed[name]
    sizes = Counter(label for label in export.truth.values() if label != "noise")
    largest = sizes.most_common(1)[0][0]
    names = _majority(export, report)
    assert names[0][0] == largest
    languages = report.topics[0].languages
    if name != "kowhai":
        assert len([code for code, n in languages.items() if n >= 100]) == 2, languages
    assert report.topics[0].count >= 0.8 * sizes[largest]


@pytest.mark.parametrize("name", list(EXPORTS))
@pytest.mark.slow
def test_answered_topics_link_the_right_article_and_no_distractor(analysed, name):
    """Nordlicht: a German fragment of order status ("Bestellnummer", "Lieferstatus": compounds
    no vocabulary lists) stayed apart and was reported as a gap."""
    export, report = analysed[name]
    for t, (label, purity) in _majority(export, report).items():
        topic = report.topics[t]
        good = [m.answer.url for m in topic.matches if m.good]
        if label == "noise" or purity < 0.6:
            continue
        if good:
            assert all(_right(export, label, url) for url in good), (label, good)
        else:
            assert not _right(export, label, "") and export.right[label] in (None, {"right": None}) or \
                (isinstance(export.right[label], dict) and export.right[label]["right"] is None), (label, topic.label)


@pytest.mark.parametrize("name", list(EXPORTS))
@pytest.mark.slow
def test_every_real_gap_is_reported_and_no_noise_is(analysed, name):
    """Thank-you notes and out-of-office replies were reported as "write this article"."""
    export, report = analysed[name]
    gaps = {label for label, right in export.right.items()
            if (right["right"] if isinstance(right, dict) else right) is None}
    names = _majority(export, report)
    reported = {}
    for t, (label, _purity) in names.items():
        if not report.topics[t].key:
            reported[label] = report.topics[t]
    assert gaps <= set(reported), (gaps, set(reported))
    assert "noise" not in reported
    for label in gaps:  # three examples in the customer's words, no order number
        examples = reported[label].examples
        assert len(examples) == 3 and not any(re.search(r"\d{5,}", e) for e in examples)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_reported_gap_is_one_topic(analysed, name):
    """Nordlicht: a gap "cancel / want / need" of 30 requests mixed returns, exchanges and noise
    (purity 0.47, which the tests above let through under 0.6)."""
    export, report = analysed[name]
    for t, (label, purity) in _majority(export, report).items():
        if not report.topics[t].key:
            assert purity >= 0.75, (label, purity, report.topics[t].label)


@pytest.mark.slow
def test_the_same_export_gives_the_same_topics_on_every_run():
    """Nordlicht: adjusted Rand 0.8483 on one run and 0.8505 on the next: the requests that share
    a line were followed in the order of a set of strings, which changes with Python's hash seed."""
    import os
    import subprocess
    import sys

    script = ("from tests.test_suggest_exports import EXPORTS; "
              "print([r.topic for r in EXPORTS['nordlicht'].analyse().rows])")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1]


def test_a_return_that_also_says_cancel_joins_the_returns(analysed):
    """Nordlicht: "I want to cancel the purchase and send the tent back" matched the article
    "Cancel or change an order" better than the returns one ("back" is a stop word) and, with
    other one-offs, made the mixed gap above."""
    export, report = analysed["nordlicht"]
    texts = {r.ref: f"{r.title} {r.body or r.text}" for r in read_requests(export.requests)}
    names = _majority(export, report)
    torn = [r.topic for r in report.rows if "cancel the purchase and send" in texts[r.ref]]
    assert len(torn) >= 10 and all(t >= 0 and names[t][0] == "return_refund" and report.topics[t].key for t in torn)


@pytest.mark.parametrize("name", list(EXPORTS))
def test_the_right_article_first_in_every_language_the_help_centre_has(analysed, name):
    """Freshdesk: English warranty requests were sent to the Spanish article, although the help
    centre has the English one (a translation under its own id)."""
    from campaigns.suggest.draft import Suggestion, answer_in

    export, report = analysed[name]
    articles = [a for path in export.answers for a in read_answers(path)]
    checked = 0
    for t, (label, purity) in _majority(export, report).items():
        topic = report.topics[t]
        if label == "noise" or purity < 0.6 or not topic.key:
            continue
        for language, count in topic.languages.items():
            if count < 0.2 * topic.count:
                continue
            match = answer_in(Suggestion(topic, topic.matches), language)
            assert match is not None and _right(export, label, match.answer.url), (label, language)
            translated = [a for a in articles if a.language == language and _right(export, label, a.url)]
            if translated and not match.answer.link:
                assert match.answer.language == language, (label, language, match.answer.url)
                checked += 1
    assert checked >= (6 if name == "voltmart" else 0)


def test_a_request_for_another_topic_is_not_taken_by_the_tracking_link(analysed):
    """Freshdesk: 175 English address-change requests ("update the delivery address of my
    order") were in the order-status topic: they share its words for an order and a delivery."""
    export, report = analysed["voltmart"]
    first = [export.truth[r.ref] for r in report.rows if r.topic == 0]
    assert Counter(first)["address_change"] <= 0.05 * len(first)
    moved = Counter((export.truth[r.ref], r.language) for r in report.rows if r.topic > 0)
    assert moved["address_change", "en"] >= 100 and moved["address_change", "es"] >= 100


def test_compound_words_begin_with_what_they_are_about():
    from campaigns.suggest.words import Words

    words = Words()
    assert words.word("de", "Bestellnummer") == words.word("de", "Bestellung") == "~order"
    assert words.word("de", "Lieferstatus") == "~ship" and words.word("de", "Geschenkverpackung") == "~gift"
    assert words.word("en", "ordernumber") != "~order"  # English writes compounds apart


def test_a_verb_and_its_particle_are_read_as_one_word():
    """Nordlicht: "I want to cancel the purchase and send the tent back" (a return) was read as
    "want / cancel / purchase / send": the particle "back" is a stop word, and the request went
    to the article on cancelling an order."""
    from campaigns.suggest.words import Words

    words = Words()
    assert "~return" in words.tokens("en", "I want to cancel the purchase and send the Hardanger tent back")
    assert "~return" in words.tokens("en", "Can I give it back?")
    assert "~return" in words.tokens("de", "Ich schicke die Jacke morgen zurück")  # a separable verb
    assert "~return" not in words.tokens("en", "I will be back on Monday. Send the invoice")
    assert "~return" not in words.tokens("en", "Please send the invoice. I am back on Monday")


def test_transcript_lines_signatures_quotes_and_identifiers_are_not_the_question():
    """Zendesk: three of the top ten topics were transcript boilerplate ("chat / started / joined")."""
    chat = ("Chat started: 2026-03-02 05:53 PM UTC\n\nURL: https://shop.example/hilfe\n\n"
            "(5:53:46 PM) Visitor 84515491: Wo ist mein Pket grade?\n(5:53:50 PM) Visitor 84515491: Tracking: 00340434798105216211\n"
            "(5:55:21 PM) *** Ahmet has joined the chat ***\n(5:55:28 PM) Ahmet: Hi, ich bin Ahmet. Einen Moment bitte.\n"
            "(6:01:09 PM) *** Visitor 84515491 has left ***\nChat length: 00:03:44\nAnswered by: Ahmet")
    assert clean(chat) == "Wo ist mein Pket grade? Tracking:"
    mail = ("Hola,\nCompré una pantalla (pedido VM-406351) y no llega.\nSaludos,\nFernanda Ruiz\n\n"
            "Enviado desde mi iPhone\n\nOn Tue, 5 May 2026 at 9:14 AM, Shop <a@shop.example> wrote:\n> Your order has shipped")
    assert clean(mail) == "Compré una pantalla (pedido y no llega."
    html = '<div dir="ltr">Hi,<br>where is order #NO-2026-123456?&nbsp;<br>Sent from my iPhone</div>'
    assert clean(html) == "where is order"


def test_thanks_and_auto_replies_are_noise_not_questions():
    assert noise_kind("Automatische Antwort: Ihre Anfrage", "Ich bin bis 10.04. nicht im Büro.") == "auto-reply"
    assert noise_kind("Out of Office: Re: your order", "I am away until Monday.") == "auto-reply"
    assert noise_kind("Re: Your request", "Great, all sorted. Thanks for the quick help!") == "thanks"
    assert noise_kind("Where is my order?", "Thanks, but where is my order?") == ""


# A question without a question mark, then a sign-off: the closing and the name on one line or two
SIGNED = {"My parcel has not arrived yet, the tracking shows nothing since Monday.\nThanks, John":
          "My parcel has not arrived yet, the tracking shows nothing since Monday.",
          "Hello,\nThe password reset link has expired.\n\nThank you,\nMaria":
          "The password reset link has expired.",
          "Hallo,\nMeine Bestellung ist noch nicht angekommen.\nDanke, Jörg": "Meine Bestellung ist noch nicht angekommen.",
          "Bonjour,\nMa commande n'est toujours pas arrivée.\nMerci, Claire": "Ma commande n'est toujours pas arrivée.",
          "The zipper of my jacket broke after a week.\nCheers, Anna-Lena": "The zipper of my jacket broke after a week.",
          "Ich komme nicht in mein Kundenkonto.\n\nGruß\nDirk Maier": "Ich komme nicht in mein Kundenkonto."}


def test_a_sign_off_with_a_name_is_a_signature_and_the_question_stays_a_question():
    """"My parcel has not arrived yet.\nThanks, John" was a thank-you note (noise: a "thanks" in a
    short message without a question mark), and "Thanks, John" stayed in the text as words."""
    for text, said in SIGNED.items():
        assert clean(text) == said, text
        assert noise_kind("", text) == "", text
    for thanks in ("Thanks, John!", "Danke für die schnelle Hilfe", "Thank you,\nMaria", "Merci, Claire",
                   "Hi,\nThanks for the quick help, all sorted.\nThanks, John", "Danke, ist erledigt.\n\nBirgit"):
        assert noise_kind("", thanks) == "thanks", thanks
    assert clean("Thanks, but where is my order?\nJohn") == "Thanks, but where is my order? John"  # no sign-off
    assert clean("Thanks, where is my order") == "Thanks, where is my order"


def test_signed_questions_join_their_topic_and_signed_noise_stays_noise():
    """The questions signed off with a name are counted in their topic; a thank-you note, a spam
    message (tagged so) and an out-of-office reply signed the same way are in none, and no
    name is a topic's word or in its examples."""
    from campaigns.suggest.answers import Answer
    from campaigns.suggest.readers import Request

    answers = [Answer("My order has not arrived: where is my parcel?", "https://shop.example/help/order-status",
                      "A late parcel: follow it with the tracking link in the shipping e-mail.", key="order"),
               Answer("Reset your password", "https://shop.example/help/password",
                      "Ask for a new link on the sign-in page.", key="password")]
    names = ["John", "Maria", "Jörg", "Claire", "Anna"]
    asked = ["My parcel has not arrived yet", "My order has not arrived, the tracking shows nothing",
             "The parcel with my order is late", "Still waiting for my order to arrive"]
    passwords = ["I forgot my password", "The password reset link has expired", "Please reset my password"]
    requests = [Request("", title="Order", body=f"{asked[i % 4]}.\n\nThanks, {names[i % 5]}", ref=f"o{i}")
                for i in range(40)]
    requests += [Request("", title="Order", body=f"{asked[i % 4]}.\n\nThank you,\n{names[i % 5]}", ref=f"m{i}")
                 for i in range(20)]
    requests += [Request(passwords[i % 3], ref=f"p{i}") for i in range(30)]
    requests += [Request("", title="Re: your order", body=f"Thanks, {names[i % 5]}!", ref=f"t{i}") for i in range(15)]
    requests += [Request("", title="Cheap loans", body=f"Get a loan today for your order.\nThanks, {names[i % 5]}",
                         tags=("spam",), ref=f"s{i}") for i in range(15)]
    requests += [Request("", title="Automatic reply: your order",
                         body=f"I am out of the office until Monday.\nThanks, {names[i % 5]}", ref=f"a{i}")
                 for i in range(15)]
    report = find_topics(requests, CLOCK.now().tzinfo, ["en"], answers=answers)
    order = next(i for i, t in enumerate(report.topics) if t.key == "order")
    labels = {r.ref: (label, row.noise) for r, label, row in zip(requests, report.labels, report.rows, strict=True)}
    assert {labels[f"o{i}"] for i in range(40)} == {labels[f"m{i}"] for i in range(20)} == {(order, "")}
    assert {labels[f"{k}{i}"] for k in "tsa" for i in range(15)} == {(-1, "thanks"), (-1, "spam"), (-1, "auto-reply")}
    assert report.topics[order].count == 60
    words = " ".join((*report.topics[order].terms, *report.topics[order].examples)).lower()
    assert not any(name.lower() in words for name in names)


@pytest.mark.slow
def test_catch_all_tags_do_not_make_topics(analysed):
    """Help Scout: two of the top ten topics were a catch-all tag (vip, subscription: purity 0.25)."""
    export, report = analysed["kowhai"]
    for t, (label, purity) in _majority(export, report).items():
        if report.topics[t].count >= 100:
            assert purity >= 0.75, (label, purity, report.topics[t].label)


@pytest.mark.slow
def test_the_largest_search_term_joins_its_topic():
    """Help Scout: "track order", the largest single request (1,840 searches), was in no topic."""
    export = EXPORTS["kowhai"]
    cal = load(export.calendar)
    answers = brand_answers(cal.brand.links) + read_answers(export.answers[0])
    report = find_topics(read_requests(str(export.dir / "site_search_term_count.csv")), cal.brand.tz, ["en"],
                         answers=answers)
    terms = [r.text for r in read_requests(str(export.dir / "site_search_term_count.csv"))]
    topic = report.labels[terms.index("track order")]
    assert topic == 0 and report.topics[0].matches[0].answer.link == "order_tracking"


def test_search_terms_for_products_are_not_topics():
    """Help Scout with site search: "gift" and "decaf" (products people look for, which the
    conversations hardly mention; noise in the truth) were answered topics linking a shop page."""
    export = EXPORTS["kowhai"]
    cal = load(export.calendar)
    answers = brand_answers(cal.brand.links) + read_answers(export.answers[0])
    search = str(export.dir / "site_search_ga4.csv")
    requests = [*read_requests(export.requests), *read_requests(search)]
    report = find_topics(requests, cal.brand.tz, ["en"], answers=answers)
    with open(export.dir / "truth_b_search.csv", encoding="utf-8") as f:
        terms = {row["term"]: row["label"] for row in csv.DictReader(f)}
    shopping = [(r.text, t) for r, t in zip(requests, report.labels, strict=True)
                if r.source == search and terms[r.text] == "noise" and t >= 0]
    assert not shopping
    assert not any("/shop/" in m.answer.url or "gift" in m.answer.url for t in report.topics if t.key
                   for m in t.matches[:1])
    tracking = report.labels[next(i for i, r in enumerate(requests) if r.text == "track order")]
    assert report.topics[tracking].matches[0].answer.link == "order_tracking"


@pytest.fixture(scope="module")
def kowhai_with_search():
    """Help Scout and the GA4 site-search report read together, each request with its truth."""
    export = EXPORTS["kowhai"]
    cal = load(export.calendar)
    answers = brand_answers(cal.brand.links) + read_answers(export.answers[0])
    search = str(export.dir / "site_search_ga4.csv")
    requests = [*read_requests(export.requests), *read_requests(search)]
    with open(export.dir / "truth_b_search.csv", encoding="utf-8") as f:
        terms = {row["term"]: row["label"] for row in csv.DictReader(f)}
    truth = [terms[r.text] if r.source == search else export.truth[r.ref] for r in requests]
    return requests, truth, find_topics(requests, cal.brand.tz, ["en"], answers=answers)


def test_help_scout_with_site_search_matches_the_truth(kowhai_with_search):
    """Help Scout with site search: "courier", "delivery", "shipping" went to the pause topic (whose
    article names "a delivery"), and the damaged-bag gap disappeared under the searches' counts."""
    requests, truth, report = kowhai_with_search
    weights = [r.weight for r in requests]
    expanded = [(label, topic) for label, topic, w in zip(truth, report.labels, weights, strict=True) for _ in range(w)]
    ari = adjusted_rand_score([a for a, _ in expanded], [b for _, b in expanded])
    print(f"kowhai with site search: adjusted Rand {ari:.3f}")
    assert ari >= 0.75
    tracking = report.labels[next(i for i, r in enumerate(requests) if r.text == "track order")]
    assert tracking == 0
    for term in ("courier", "delivery", "shipping", "dispatch"):
        assert report.labels[next(i for i, r in enumerate(requests) if r.text == term)] == tracking, term
    votes: dict[int, Counter[str]] = {}
    for label, topic in expanded:
        votes.setdefault(topic, Counter())[label] += 1
    gaps = {votes[t].most_common(1)[0][0] for t, topic in enumerate(report.topics) if not topic.key}
    assert gaps == {"damaged_bag", "discount_code"}, gaps
    for t, topic in enumerate(report.topics):
        label, n = votes[t].most_common(1)[0]
        assert label != "noise" and n >= 0.6 * sum(votes[t].values()), (topic.label, votes[t])


def test_titles_are_whole_or_cut_at_a_word_boundary():
    """Article titles were cut mid-sentence; drafts read "about order and af"."""
    assert shorten_title("Reset your password") == "Reset your password"
    long = "Returns and refunds: how to return an item and when you get your money back"
    assert shorten_title(long) == "Returns and refunds"
    cut = shorten_title("A very long title without any clause that goes on and on about shipping to Switzerland")
    assert cut.endswith("…") and "A very long title without any clause that goes on and on…".startswith(cut[:-1])


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=CLOCK)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def voltmart_draft(tmp_path_factory):
    export = EXPORTS["voltmart"]
    folder = tmp_path_factory.mktemp("voltmart")
    calendar = folder / "calendar.yaml"
    shutil.copy(export.calendar, calendar)
    target = folder / "analysis.json"
    code = main(["suggest", "--requests", export.requests, "--answers", *export.answers, "--calendar", str(calendar),
                 "--starts", "2026-11-24", "--append", "--json", str(target)], clock=CLOCK)
    assert code == 0
    return calendar, json.loads(target.read_text())


@pytest.mark.slow
def test_one_post_per_topic_in_the_calendars_language_with_the_tracking_link(voltmart_draft):
    """Freshdesk: Spanish order questions were not tied to the tracking link; two posts at the same
    moment for one topic (one per language); "about dias and compre"; languages mixed in one post."""
    calendar, analysis = voltmart_draft
    cal = load(str(calendar))
    drafted = [p for p in cal.posts if p.campaign == "suggested"]
    first = analysis["topics"][0]
    assert first["draft"]["kind"] == "tracking" and set(first["languages"]) >= {"es", "en"}
    assert len({p.id for p in drafted}) == len(drafted) == sum(1 for t in analysis["topics"] if t["draft"])
    for p in drafted:
        for templates in p.texts.values():
            for tpl in templates:
                text = tpl.source
                assert not re.search(r"\babout \w+ and \w+\b", text)
                spanish = any(w in text for w in ("¿", "Nos ", "Antes de", "Para que", "No hace falta"))
                if spanish:  # never an English title in a Spanish sentence
                    assert not re.search(r"«[^»]*\b(your|the|and|how|why)\b", text), text


@pytest.mark.slow
def test_a_title_the_voice_guide_flags_is_reworded_not_dropped(voltmart_draft):
    """An answered topic was silently dropped: its title ("CFDI") tripped the all-caps rule."""
    calendar, analysis = voltmart_draft
    invoice = next(t for t in analysis["topics"] if any("factura" in a["url"] for a in t["answers"][:1]))
    assert invoice["draft"] is not None
    assert not any("CFDI" in v for v in invoice["draft"]["variants"])
    assert any("Download your invoice" in v or "Descarga tu factura" in v for v in invoice["draft"]["variants"])


@pytest.mark.slow
def test_json_holds_every_request_with_its_place_topic_language_and_score(voltmart_draft):
    _calendar, analysis = voltmart_draft
    assert len(analysis["requests"]) == 8000
    row = analysis["requests"][0]
    assert set(row) >= {"id", "file", "line", "topic", "language", "score"}
    assert row["id"] == "48211" and row["line"] == 2 and row["file"].endswith("freshdesk_voltmart.csv")
    topic = analysis["topics"][0]
    assert set(topic) >= {"count", "languages", "peak_hours", "trend", "weekly", "answers", "draft"}


@pytest.mark.slow
def test_append_keeps_every_comment(voltmart_draft):
    calendar, _ = voltmart_draft
    before = (EXPORTS["voltmart"].dir / "calendar.yaml").read_text()
    after = calendar.read_text()
    assert after.startswith(before.split("\ncampaigns:")[0])


@pytest.mark.slow
def test_the_default_run_drafts_on_help_scout_with_links_shown_as_they_are(capsys):
    """Help Scout: the default run exited 1 and drafted nothing (two drafts came out identical);
    --explain and --dry-run masked article links as if they were secrets (help/***)."""
    export = EXPORTS["kowhai"]
    code, out, err = _run(capsys, "suggest", "--requests", export.requests, str(export.dir / "site_search_ga4.csv"),
                          "--answers", *export.answers, "--calendar", export.calendar, "--starts", "2026-11-24",
                          "--dry-run", "--explain")
    assert code == 0, err
    assert "https://kowhai.example/help/pause-or-skip-a-delivery" in out and "***" not in out
    assert "(dry run: nothing written)" in out
    assert "GAP: write this article" in err and "discount" in err


def test_credentials_in_urls_are_masked_and_nothing_else():
    assert mask_credentials("see https://user:pw@help.example/help/pause?token=abc&x=1") == \
        "see https://***@help.example/help/pause?token=***&x=1"
    assert mask_credentials("https://help.example/help/cancel-your-subscription") == \
        "https://help.example/help/cancel-your-subscription"


def _dated(tmp_path: Path, dates: list[str]) -> str:
    path = tmp_path / "fd.csv"
    rows = "".join(f"{i},Where is my order,please,{d}\n" for i, d in enumerate(dates, 1))
    path.write_text("Ticket ID,Subject,Description,Created time\n" + rows)
    return str(path)


def test_day_month_dates_are_settled_by_the_file_or_refused(tmp_path):
    """"13/08/2026" was read as 13 August and "05/08/2026" as 8 May in the same file."""
    requests = list(read_requests(_dated(tmp_path, ["05/08/2026 10:00", "13/08/2026 10:00"])))
    assert [r.at.date().isoformat() for r in requests] == ["2026-08-05", "2026-08-13"]
    requests = list(read_requests(_dated(tmp_path, ["05/08/2026 10:00", "08/13/2026 10:00"])))
    assert [r.at.date().isoformat() for r in requests] == ["2026-05-08", "2026-08-13"]
    with pytest.raises(InvalidInput, match=r"fd.csv:2:4: cannot tell the day from the month in '05/08/2026 10:00'.*"
                                           r"--date-format DMY"):
        list(read_requests(_dated(tmp_path, ["05/08/2026 10:00", "06/08/2026 10:00"])))
    requests = list(read_requests(_dated(tmp_path, ["05/08/2026 10:00"]), date_format="DMY"))
    assert requests[0].at.date().isoformat() == "2026-08-05"
    with pytest.raises(InvalidInput, match="day first .* and month first"):
        list(read_requests(_dated(tmp_path, ["13/08/2026 10:00", "08/13/2026 10:00"])))


@pytest.mark.slow
def test_the_nordlicht_export_drafts_in_german_and_reports_its_gaps(capsys, tmp_path):
    export = EXPORTS["nordlicht"]
    target = tmp_path / "draft.yaml"
    code, out, err = _run(capsys, "suggest", "--requests", export.requests, "--answers", *export.answers,
                          "--calendar", export.calendar, "--starts", "2026-11-24", "-o", str(target))
    assert code == 0, err
    text = target.read_text()
    assert "kind: tracking" in text and "{links.order_tracking}" in text
    assert "Wo bleibt meine Bestellung?" in text or "Wo ist mein Paket?" in text
    assert not re.search(r"chat|conversation|length", err.split("\n")[1].lower())
    assert text.count("- id: suggest-") == 6 and "***" not in err + text  # every answered topic, links as they are


def test_impact_compares_weeks_before_and_after_the_first_post():
    from types import SimpleNamespace

    from scheduler.cli.suggest import _impact_lines

    weekly = (10, 12, 9, 11, 10, 4, 3, 4, 3)
    totals = (100,) * 9
    topic = SimpleNamespace(label="order / track", weekly=weekly)
    report = SimpleNamespace(first=datetime(2026, 9, 7).date(), weekly=totals)
    text = _impact_lines("suggest-x", datetime(2026, 10, 7, 9, tzinfo=UTC), topic, report, ZoneInfo("UTC"))
    assert "<- first post" in text and "share before 10.5%, after 3.5%" in text and "larger than" in text


@pytest.mark.slow
def test_impact_reads_the_ledger_and_a_later_export(capsys, tmp_path):
    """Closing the loop: a drafted post that went out, and its topic's weeks before and after."""
    from datetime import timedelta

    from scheduler.ledger import Item, Ledger

    export = EXPORTS["kowhai"]
    calendar = tmp_path / "calendar.yaml"
    shutil.copy(export.calendar, calendar)
    code, _, err = _run(capsys, "suggest", "--requests", export.requests, "--answers", *export.answers,
                        "--calendar", str(calendar), "--starts", "2026-11-24", "--append")
    assert code == 0, err
    tracking = next(p for p in load(str(calendar)).posts if p.kind == "tracking")
    (tmp_path / ".herald").mkdir()
    ledger = Ledger(f"sqlite:///{tmp_path / '.herald' / 'state.db'}")
    sent = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)
    ledger.claim(Item(key="k1", source=f"post:{tracking.id}", post=tracking.id, network="site", kind="tracking",
                      scheduled_at=sent, text="Wondering where your order is?"), "test", sent, timedelta(minutes=1))
    assert ledger.mark_sent("k1", "test", sent, "remote-1", None)
    ledger.close()
    code, out, err = _run(capsys, "suggest", "--impact", "--requests", export.requests, "--answers", *export.answers,
                          "--calendar", str(calendar))
    assert code == 0, err
    assert f"{tracking.id}: first sent 2026-09-15" in out and "<- first post" in out
    assert "share before" in out and "normal week-to-week swing" in out
    others = [p for p in load(str(calendar)).posts if p.campaign == "suggested" and p.id != tracking.id]
    assert all(f"{p.id}: not published yet" in out for p in others)


@pytest.fixture(scope="module")
def lumiere():
    return LUMIERE.analyse()


def test_freshdesk_api_json_is_read_whole_with_its_dates_and_ids(lumiere):
    rows = lumiere.rows
    assert len(rows) == len(LUMIERE.truth) == 400 and {r.ref for r in rows} == set(LUMIERE.truth)
    assert lumiere.first is not None and lumiere.first.isoformat() == "2026-09-01"


def test_freshdesk_api_order_status_comes_first_in_both_languages_with_the_tracking_link(lumiere):
    first = lumiere.topics[0]
    labels = Counter(LUMIERE.truth[r.ref] for r in lumiere.rows if r.topic == 0)
    assert labels.most_common(1)[0][0] == "order_status" and labels["order_status"] >= 0.9 * sum(labels.values())
    assert first.matches[0].answer.link == "order_tracking" and {"fr", "en"} <= set(first.languages)


def test_freshdesk_api_no_one_off_question_and_no_noise_is_a_topic(lumiere):
    """A question asked the same way by a few customers ("Do you sell gift cards?") matched the
    gift-card FAQ and was an answered topic."""
    for t, (label, _purity) in _majority(LUMIERE, lumiere).items():
        assert label != "noise", lumiere.topics[t].label


def test_freshdesk_api_languages_are_those_the_file_is_written_in(lumiere):
    """About a third of the order-status requests ("Où en est ma commande ?", "Where is my order")
    were taken for German or Dutch (14 each): short texts mislead the detector."""
    with open(LUMIERE.dir / "truth.csv", encoding="utf-8") as f:
        written = {row["id"]: row["language"] for row in csv.DictReader(f)}
    found = Counter(r.language for r in lumiere.rows)
    assert set(found) == {"fr", "en"}, found
    assert sum(written[r.ref] == r.language for r in lumiere.rows) >= 0.9 * len(lumiere.rows)


def test_freshdesk_api_answered_topics_keep_their_english_faq(lumiere):
    """The returns FAQ ("Returning an item and getting a refund") lost its answer: the French
    requests say "retour" and "remboursé", never "getting"; the English FAQ's title, read as
    French, kept "which", "do" and "my" as words."""
    linked = {t.matches[0].answer.url.rsplit("/", 1)[-1] for t in lumiere.topics if t.key}
    assert {"retours", "ampoules"} <= linked, linked
    returns = next(t for t in lumiere.topics if t.key and t.matches[0].answer.url.endswith("/retours"))
    assert returns.languages.get("fr", 0) >= 40 and returns.languages.get("en", 0) >= 10


def test_a_subject_the_helpdesk_copied_from_the_message_is_said_once():
    from campaigns.suggest.topics import _unechoed

    assert _unechoed(["Abat-jour cabossé à la livraison, que fa"], ["Abat-jour cabossé à la livraison, que faire ?"]) \
        == ["Abat-jour cabossé à la livraison, que faire ?"]
    assert _unechoed(["Refund"], ["I sent the tent back"]) == ["Refund", "I sent the tent back"]
    assert clean("Bonsoir,\nQuelle ampoule pour la lampe ?") == "Quelle ampoule pour la lampe ?"


def test_languages_are_chosen_among_those_the_file_is_written_in():
    from campaigns.suggest.words import detect

    texts = ["Bonjour, je n'ai toujours pas reçu mon colis commandé la semaine dernière."] * 10 + \
        ["Hello, my parcel still has not arrived and I ordered it last week."] * 10 + \
        ["Où en est ma commande ?", "Where is my order", "track"]
    found = detect(texts, "fr")
    assert found[:20] == ["fr"] * 10 + ["en"] * 10 and found[20:] == ["fr", "en", "fr"]
    assert detect(["descale your espresso machine"], "en", among=["en"]) == ["en"]


def test_freshdesk_api_topics_match_the_truth(lumiere):
    """Adjusted Rand 0.65: French requests about a bulb ("ampoule", "culot") shared no word with
    the English FAQ (whose address, "/ampoules", says it in French); 0.73: "Return the floor lamp
    please, it does not fit" went to the bulb article ("does" stemmed to "doe", as in "Which bulb
    does my lamp need?"), and "When will my lamp be delivered?" made a gap with "The lamp arrived
    broken" ("lamp", a thing every kind of request names, kept it from the tracking link)."""
    truth = [LUMIERE.truth[r.ref] for r in lumiere.rows]
    assert adjusted_rand_score(truth, [r.topic for r in lumiere.rows]) >= 0.75


def test_freshdesk_api_french_bulb_requests_meet_the_english_faq(lumiere):
    """French requests about a bulb ("Quel culot d'ampoule faut-il ?") shared no word with the
    English FAQ "Which bulb does my lamp need?" and were in no topic; its address says "ampoules"."""
    bulb = next(t for t, topic in enumerate(lumiere.topics) if topic.key and topic.matches[0].answer.url.endswith(
        "/ampoules"))
    placed = Counter(LUMIERE.truth[r.ref] for r in lumiere.rows if r.topic == bulb)
    assert placed["bulb"] == sum(1 for label in LUMIERE.truth.values() if label == "bulb")
    assert lumiere.topics[bulb].languages.get("fr", 0) >= 35
