"""A question closed with thanks in advance is a question; a thank-you note is never in a topic (no
seed, no member, no example), so no request is reported both in a topic and as noise (issue 25, the
attack on the Panela Forte export: 93 were)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from campaigns.suggest.clean import noise_kind


@pytest.mark.parametrize("text", [
    "Mijn pakket is nog steeds niet bezorgd\n\nAlvast bedankt!",
    "Mijn pakket is nog steeds niet bezorgd\n\nBij voorbaat dank,\nSanne",
    "Meu pedido ainda não chegou\n\nObrigado desde já!",
    "Meu pedido ainda nao chegou\n\nFico no aguardo, obrigado",
    "Meu pedido ainda não chegou\n\nDesde já agradeço",
    "Moje zamówienie jeszcze nie dotarło\n\nZ góry dziękuję",
    "Min beställning har inte kommit\n\nTack på förhand",
    "Min pakke er ikke kommet\n\nPå forhånd tak",
    "Il mio ordine non è ancora arrivato\n\nResto in attesa, grazie",
    "Ma commande n'est toujours pas arrivée\n\nDans l'attente de votre réponse, merci",
    "My parcel still has not arrived\n\nThanks in advance!",
])
def test_a_problem_closed_with_thanks_in_advance_is_a_request(text):
    assert noise_kind("Vraag", text) == ""


@pytest.mark.parametrize("text", ["Chegou hoje, obrigado!", "Alles goed ontvangen, bedankt!", "Thanks, all sorted!",
                                  "Muito obrigada pela ajuda!"])
def test_a_thank_you_note_stays_one(text):
    assert noise_kind("Re: seu pedido", text) == "thanks"


def _requests(tmp_path):
    rows = []
    questions = ["Waar blijft mijn bestelling? Ik wacht al een week op mijn pakket",
                 "Where is my order? I have been waiting for my parcel for a week",
                 "Onde está meu pedido? Estou esperando o pacote há uma semana"]
    for i in range(90):
        rows.append({"id": i, "subject": "Pedido", "description": questions[i % 3],
                     "created_at": f"2026-10-{1 + i % 28:02d}T10:00:00Z"})
    for i in range(90, 100):  # thank-you notes that say the words of the order questions
        rows.append({"id": i, "subject": "Re: seu pedido", "description": "Meu pedido chegou hoje, obrigado!",
                     "created_at": f"2026-10-{1 + i % 28:02d}T11:00:00Z"})
    path = tmp_path / "t.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_request_in_a_topic_is_no_noise_and_no_thank_you_note_is_an_example(tmp_path):
    from campaigns.suggest.readers import read_requests
    from campaigns.suggest.topics import find_topics

    report = find_topics(read_requests(str(_requests(tmp_path))), ZoneInfo("UTC"), ("pt",))
    assert report.topics
    assert not [r for r in report.rows if r.topic >= 0 and r.noise], "a request both in a topic and noise"
    for t in report.topics:
        assert not [e for e in t.examples if "obrigado" in e.lower()], t.examples


def test_on_the_panela_forte_export_no_request_is_both_in_a_topic_and_noise_nor_a_thanks_an_example():
    from campaigns.suggest.answers import read_answers
    from campaigns.suggest.readers import read_requests
    from campaigns.suggest.topics import find_topics
    from tests.conftest import ROOT

    home = ROOT / "tests" / "data" / "suggest" / "attack26"
    answers = read_answers(str(home / "zendesk_help_center.json"))
    report = find_topics(read_requests(str(home / "zendesk_tickets.json")), ZoneInfo("America/Sao_Paulo"),
                         ("pt",), answers=answers)
    assert not [r.ref for r in report.rows if r.topic >= 0 and r.noise]  # 93 on main
    thanks = ("obrigad", "bedankt", "thank")
    assert not [e for t in report.topics for e in t.examples if any(w in e.lower() for w in thanks)
                and "?" not in e]
