"""Tests that kill the mutations a cold review of ``herald suggest`` found surviving every
tests/test_suggest*.py file (issue 25, /work/review25/REPORT.md section 1).  Each test names the
mutation it kills; each was checked by applying the mutation (the test fails) and reverting it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from campaigns.calendar import load
from campaigns.suggest.answers import Answer, Match
from campaigns.suggest.clean import Boilerplate, line_key
from campaigns.suggest.draft import Suggestion, draft, kind_of
from campaigns.suggest.readers import read_requests
from campaigns.suggest.report import analysis
from campaigns.suggest.topics import Topic, find_topics
from scheduler.clock import FakeClock
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "suggest"
SAMPLE = ROOT / "content_calendar.yaml"
CLOCK = FakeClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
BERLIN = ZoneInfo("Europe/Berlin")

MENU = "Reply 1 for orders, 2 for returns, 3 to talk to a person."
ASKS = ["I want to send back the jacket, it is too small.", "Can I get an invoice with my company name on it?",
        "My password reset email never arrives.", "Do you ship the lamp to Norway and what does it cost?",
        "How do I oil the oak table top?", "The zipper of my backpack broke after a week.",
        "Is there a discount code for students?", "Which size should I take, I am 182 cm tall?",
        "Can I pick the sofa up at your showroom in Hamburg?", "The assembly manual for the bed frame is missing.",
        "Your newsletter arrives twice every week, please fix it.", "Can I pay the chair in three instalments?",
        "Gift wrapping for a birthday present?", "Delete account data under GDPR, please.",
        "Warranty claim: cracked ceramic vase.", "Wholesale prices for cafés?", "Colour fades after washing.",
        "Voucher expired yesterday, extend?", "Careers: any open positions in logistics?",
        "Bulbs flicker when dimmed.", "Wrong engraving text on the ring.", "Pet hair sticks to the velvet cushion.",
        "Price match a competitor offer?", "Mattress smells of chemicals."]
WHERE = "Where is my order?"
ORDER = ["My parcel has not arrived yet and the tracking shows nothing.", "The parcel was due last week, still nothing.",
         "Tracking of my parcel has not moved for days.", "When will my parcel arrive, the tracking is stuck?",
         "I am still waiting for my parcel, tracking says in transit."]


# 1. clean.py Boilerplate.learn: `self.lines = frozenset() and ...` (learning disabled)

def _boiler_requests() -> list[list[str]]:
    bot = [[ask, MENU] for ask in ASKS]
    customer = [[WHERE, ORDER[i % len(ORDER)], ORDER[(i + 2) % len(ORDER)]] for i in range(40)]
    return bot + customer


def test_a_bot_menu_line_across_different_questions_is_learned_as_boilerplate_a_question_is_not():
    boiler = Boilerplate().learn(_boiler_requests())
    assert line_key(MENU) in boiler.lines  # in returns, invoices and passwords alike: the bot's
    assert line_key(WHERE) not in boiler.lines  # always with other order-status lines: the customer's
    assert boiler.strip([MENU, ASKS[0]]) == [ASKS[0]] and boiler.strip([WHERE, ORDER[0]]) == [WHERE, ORDER[0]]



def test_a_bot_menu_line_does_not_lend_its_words_to_a_topic_and_the_customers_question_makes_one():
    """In a file of 684 requests the menu's "orders" and "returns" pulled menu-footed one-off
    questions into the returns topic ("item / returns / orders") when nothing was learned."""
    from campaigns.suggest.readers import Request

    asked = {"password": ["how do I reset my password", "cannot reset the password", "password reset link broken"],
             "return": ["how do I return an item", "return an item I bought", "can I return this item"],
             "cancel": ["cancel my subscription", "please cancel the subscription", "how to cancel a subscription"]}
    requests = [Request(p[i % 3], ref=f"{k}-{i}") for k, p in asked.items() for i in range(200)]
    requests += [Request(f"{ask}\n{MENU}", ref=f"menu-{i}") for i, ask in enumerate(ASKS * 2)]
    requests += [Request(f"{WHERE}\n{ORDER[i % 5]}\n{ORDER[(i + 2) % 5]}", ref=f"where-{i}") for i in range(40)]
    report = find_topics(requests, ZoneInfo("UTC"), ["en"])
    menu_words = {"reply", "orders", "returns", "talk", "person"}
    assert not [t.label for t in report.topics if menu_words & set(t.terms)]
    returns = Counter(r.topic for r in report.rows if r.ref.startswith("return"))
    assert not [r.ref for r in report.rows if r.ref.startswith("menu") and r.topic == returns.most_common(1)[0][0]]
    where = Counter(r.topic for r in report.rows if r.ref.startswith("where"))
    assert len(where) == 1 and -1 not in where and report.topics[next(iter(where))].count == 40

# 4. report.py: a request's "topic" in --json must designate the topic it is counted in (`r.topic + 7`)

@pytest.mark.slow
def test_each_requests_topic_in_the_json_is_the_topic_that_counts_it():
    report = find_topics(read_requests(str(DATA / "tickets.ndjson")), BERLIN, ["en", "de"])
    doc = json.loads(json.dumps(analysis(report, None, 5)))
    assert len(doc["topics"]) >= 3
    counted = Counter(r["topic"] for r in doc["requests"])
    assert {i: counted[i] for i in range(len(doc["topics"]))} == {i: t["count"] for i, t in enumerate(doc["topics"])}
    assert set(counted) <= {-1, *range(len(doc["topics"]))}
    assert counted[-1] == doc["in_no_topic"]
    # each topic says the number its requests carry (0-based) beside its rank (1-based)
    assert [(t["topic"], t["rank"]) for t in doc["topics"]] == [(i, i + 1) for i in range(len(doc["topics"]))]


# 5. scheduler/cli/suggest.py _impact_lines: verdict always "larger than"

def _impact(weekly: tuple[int, ...]) -> str:
    from types import SimpleNamespace

    from scheduler.cli.suggest import _impact_lines

    topic = SimpleNamespace(label="order / track", weekly=weekly)
    report = SimpleNamespace(first=date(2026, 9, 7), weekly=(100,) * len(weekly))
    return _impact_lines("suggest-x", datetime(2026, 10, 7, 9, tzinfo=UTC), topic, report, ZoneInfo("UTC"))


def test_impact_says_a_change_within_the_normal_swing_is_within_it():
    text = _impact((10, 14, 8, 13, 10, 11, 9, 12, 10))  # the weeks after look like the weeks before
    assert "within the normal week-to-week swing" in text and "larger than" not in text


def test_impact_says_a_change_beyond_the_normal_swing_is_larger_than_it():
    text = _impact((10, 11, 10, 11, 10, 4, 3, 4, 3))
    assert "larger than the normal week-to-week swing" in text and "within" not in text


# 6. draft.py _wordings: `for code in (language,)` (only the calendar's language drafted)

def _topic(languages: dict[str, int], matches: list[Match], terms: tuple[str, ...] = ("return", "send")) -> Topic:
    return Topic(terms=terms, count=sum(languages.values()), share=0.2, examples=("How do I send this back?",),
                 hours=(18, 19), weekdays=(0,), trend="steady", languages=languages, matches=matches, key="101")


def test_a_topic_asked_in_two_languages_is_one_post_with_variants_in_both():
    en = Answer("How to return an item", "https://acme.example/hc/en-us/articles/101-return", language="en", key="101")
    de = Answer("Artikel zurücksenden", "https://acme.example/hc/de/articles/101-ruecksendung", language="de",
                key="101")
    topic = _topic({"en": 60, "de": 40}, [Match(en, 0.8, 0.3), Match(de, 0.7, 0.3)])
    calendar = load(str(SAMPLE))
    made = draft(calendar, SAMPLE.read_text(), [Suggestion(topic, topic.matches)], date(2026, 11, 24))
    assert len(made.posts) == 1, made.warnings  # one topic, one post
    variants = made.posts[0].variants
    assert any("/hc/en-us/" in v for v in variants) and any("/hc/de/" in v for v in variants), variants
    assert any("Artikel zurücksenden" in v for v in variants)


# 8. draft.py kind_of: `"track" in url` decides the tracking kind

def test_an_order_status_topic_linking_the_calendars_tracking_link_is_a_tracking_post():
    link = Answer("Order status", "https://acme.example/orders/status", link="order_tracking", key="order_tracking")
    assert kind_of(Match(link, 1.0, 0.3)) == "tracking"


def test_an_article_whose_url_contains_track_but_not_about_orders_is_not_a_tracking_post():
    article = Answer("Soundtrack licensing for your videos", "https://acme.example/hc/articles/9-soundtrack-licensing",
                     language="en", key="9")
    assert kind_of(Match(article, 0.9, 0.3)) == "tip"
    for url in ("https://shop.example/track?order=1", "https://shop.example/help/order-tracking",
                "https://boutique.example/suivi-commande", "https://laden.example/Sendungsverfolgung"):
        assert kind_of(Match(Answer("Where is my parcel", url, key=url), 0.9, 0.3)) == "tracking", url


# 2. Lumière is not in test_suggest_exports.EXPORTS, so its no-topic share was never checked.

@pytest.mark.slow
def test_lumiere_puts_in_no_topic_about_the_real_noise():
    """The other exports are held to 1.25 times their real noise (test_suggest_exports.py); Lumière
    (400 Freshdesk API tickets, French and English) puts 76 in no topic against 60 real noise today,
    1.267 times: held to the 1.3 it meets so that it does not get worse, until it meets 1.25 too."""
    from tests.test_suggest_exports import LUMIERE

    report = LUMIERE.analyse()
    noise = sum(1 for label in LUMIERE.truth.values() if label == "noise")
    assert noise and report.noise <= 1.3 * noise


# 3. topics.py _drop_spread_tags: `if spread:` -> `if False:` (the tag is reported but its column kept)

def test_a_catch_all_tag_does_not_pull_requests_into_the_answer_that_carries_it_as_a_label():
    """"vip" is on a few requests of every kind (spread across three answers) and is also the
    label of the "Members club" article: kept, it is the second word one-off questions that
    merely say "club" share with that article, and 18 of them were counted as club questions."""
    from campaigns.suggest.readers import Request

    asked = {"password": ["how do I reset my password", "cannot reset the password", "password reset link broken"],
             "return": ["how do I return an item", "return an item I bought", "can I return this item"],
             "cancel": ["cancel my subscription", "please cancel the subscription", "how to cancel a subscription"],
             "club": ["what do I get in the members club", "how do I join the members club", "members club benefits"]}
    answers = [Answer(title, f"https://acme.example/help/{title.lower().replace(' ', '-')}", key=title, labels=labels)
               for title, labels in (("Reset your password", ()), ("Return an item", ()),
                                     ("Cancel your subscription", ()), ("Members club", ("vip",)))]
    requests = [Request(phrasings[i % 3], tags=("vip",) if i % 20 == 0 and topic != "club" else (),
                        ref=f"{topic}-{i}")
                for topic, phrasings in asked.items() for i in range(300 if topic != "club" else 60)]
    requests += [Request(a.rstrip(".?!") + " for our golf club?", tags=("vip",), ref=f"golf-{i}")
                 for i, a in enumerate(ASKS[:20])]
    report = find_topics(requests[::-1], ZoneInfo("UTC"), ["en"], answers=answers)
    assert report.ignored_tags == {"vip": "spread across 3 answers"}
    club = next(i for i, t in enumerate(report.topics) if t.key == "Members club")
    assert report.topics[club].count == 60
    assert not [r.ref for r in report.rows if r.ref.startswith("golf") and r.topic == club]


# 7. topics.py: _recentre's join skipped, _nearer_gaps returning early (on the vendored Nordlicht export)

@pytest.fixture(scope="module")
def nordlicht():
    from tests.test_suggest_exports import EXPORTS

    export = EXPORTS["nordlicht"]
    report = export.analyse()
    votes: dict[int, Counter[str]] = {}
    for row in report.rows:
        votes.setdefault(row.topic, Counter())[export.truth[row.ref]] += 1
    home = {c.most_common(1)[0][0]: t for t, c in votes.items() if t >= 0}  # each truth label: its topic
    return export, report, home, {row.ref: row.topic for row in report.rows}


@pytest.mark.slow
def test_what_is_in_no_topic_joins_the_topic_it_is_near_once_topics_are_whole(nordlicht):
    """_recentre's last step: "Muss ich das Rückporto selbst bezahlen, wenn ich etas zurückschicke?"
    (a typo, no two words of the returns article) and "Ich komme nicht in mein Kundenkonto, das
    Passwort wird immer als falsch angezeigt" were left in no topic without it."""
    export, _report, home, topic = nordlicht
    assert topic["48757"] == home["return_refund"] and export.truth["48757"] == "return_refund"
    assert topic["48761"] == home["password_reset"] and export.truth["48761"] == "password_reset"


@pytest.mark.slow
def test_an_order_status_question_that_mentions_a_gift_stays_in_the_order_status_topic(nordlicht):
    """_nearer_gaps moved order-status tickets that also say "it is a gift, so it is urgent" into
    the 'geschenk / geburtstag' gap (8 on Nordlicht): the gap is nearer on the one word "gift",
    but what the ticket asks ("ist meine Bestellung schon unterwegs?") is its own topic's."""
    export, _report, home, topic = nordlicht
    urgent = ["48349", "48422", "49097"]  # "ist meine Bestellung schon unterwegs? Es ist ein Geschenk"
    assert all(export.truth[ref] == "where_is_my_order" for ref in urgent)
    assert [topic[ref] for ref in urgent] == [home["where_is_my_order"]] * 3


# 7. topics.py: `_merge_answered()` deleted, `_nearer_gaps` returning early (on the vendored Ciclo exports)

def _ciclo(name: str):
    from tests.test_suggest_ciclo import EXPORTS

    export = EXPORTS[name]
    _calendar, report = export.analyse()
    votes: dict[int, Counter[str]] = {}
    for row in report.rows:
        votes.setdefault(row.topic, Counter())[export.truth[row.ref]] += 1
    majority = {t: c.most_common(1)[0][0] for t, c in votes.items() if t >= 0}
    return export, report, majority, {row.ref: row.topic for row in report.rows}


@pytest.mark.slow
def test_battery_questions_answered_by_an_article_and_its_translation_are_one_topic():
    """_merge_answered: Ciclo's Freshdesk export (Italian and English, an FAQ in both) made a
    second battery topic ("charge / batteria / leave", 22 requests) without it."""
    _export, _report, majority, _topic = _ciclo("freshdesk")
    assert list(majority.values()).count("battery") == 1, majority


@pytest.mark.slow
def test_an_address_change_is_not_taken_by_order_status_for_the_words_every_order_shares():
    """_nearer_gaps: on Ciclo's Zendesk export (Polish and English) three address changes went
    to the order-status topic without it (the case its docstring names)."""
    export, _report, majority, topic = _ciclo("zendesk")
    address = [ref for ref in ("48133", "48142", "48228") if export.truth[ref] == "address"]
    assert len(address) == 3
    assert [majority.get(topic[ref]) for ref in address] == ["address"] * 3
