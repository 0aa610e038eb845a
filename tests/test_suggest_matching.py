"""herald suggest: what makes a request match an answer (issue 25, the fourth pass's review).

Each test names the defect it pins; it failed before the fix."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from campaigns.suggest.answers import Answer
from campaigns.suggest.readers import Request
from campaigns.suggest.topics import _documents, _Grouping, _read, _slug_names, _tokenize, _with_languages

PARIS = ZoneInfo("Europe/Paris")
SHOP = "https://aide.lumiere.example/"
# an English FAQ of a French shop: its addresses say the articles' names in French
FAQ = [Answer("Returning an item and getting a refund", SHOP + "retour-produit", "Send it back within 30 days."),
       Answer("Looking after your lamp", SHOP + "entretien-produit", "Dust it with a dry cloth."),
       Answer("Warranty on our lamps", SHOP + "garantie-produit", "Two years on every lamp."),
       Answer("Which bulb does my lamp need?", SHOP + "ampoules", "Every lamp page lists its socket.")]
ASKED = ["Bonjour, je voudrais renvoyer ma lampe, comment faire le retour ?",
         "Quelle ampoule faut-il pour le lampadaire Orsay ?",
         "Mon produit a une rayure sur le pied, que puis-je faire ?",
         "Le produit est très joli, je suis ravie de mon achat.",
         "Hello, how do I return my lamp?",
         "Which bulb fits the Orsay floor lamp?"] * 4


def _scores(texts: list[str], answers: list[Answer]):
    """Each request's similarity to each answer (the articles, then their names in the
    requests' other languages), as find_topics computes them first."""
    from campaigns.suggest.words import Words

    read = _read([Request(t, title=t, ref=str(i)) for i, t in enumerate(texts)], PARIS, None, None)
    docs = _documents(read)
    words = Words()
    _tokenize(docs, words, "fr")
    told = _with_languages(answers, "fr", docs)
    grouping = _Grouping(docs, told + _slug_names(told, docs, words), words, "fr", len(told))
    scores = grouping._answer_scores()
    return {docs.texts[d]: scores[d] for d in range(len(docs.texts))}, grouping


def test_one_word_that_names_several_articles_does_not_match_any_of_them():
    """A request in the other language needed to say only one word of an article's address to
    match its name there: "produit", which three addresses say, matched all three."""
    scores, grouping = _scores(ASKED, FAQ)
    names = [a.title for a in grouping.answers[grouping.shown:]]
    assert any("ampoules" in n for n in names) and sum("produit" in n for n in names) == 3
    assert not scores["Le produit est très joli, je suis ravie de mon achat."].any()
    bulb = scores["Quelle ampoule faut-il pour le lampadaire Orsay ?"]
    assert bulb[3] == 0 and max(bulb[grouping.shown:]) > 0  # the bulb article's name still matches it alone


ORDERS = [Answer("Cancel or change an order", "https://help.example/cancel-order", "Cancel until it ships."),
          Answer("Returns and refunds: how to send items back", "https://help.example/returns", "Within 30 days.")]
TORN = ["I want to cancel my order please", "Can I cancel the order I placed yesterday?",
        "How do I return the jacket and get a refund?", "Returns and refunds for my boots",
        "Please cancel order, I ordered the wrong size", "I want a refund, how do I send items back?"] * 3 + [
        "I want to cancel the purchase and send the tent back",
        "Kindly process the attached invoice payment now, our accountant will cancel the reminder once you "
        "return the signed remittance form."]


def test_a_request_torn_between_two_answers_it_names_still_needs_to_match_one():
    """A request that says the words of two answers' titles ("cancel", "return") joined one of
    them whatever its resemblance, above zero: an invoice reminder that matches neither answer
    joined the cancellations.  One that matches them as well as a seed does still joins."""
    import numpy as np

    _, grouping = _scores(TORN, ORDERS)
    scores = grouping._answer_scores()
    grouping._seed(np.stack([scores[:, g].max(axis=1) for g in grouping.groups], axis=1))
    topic = dict(zip(grouping.docs.texts, grouping.topic, strict=True))
    assert topic[TORN[-1]] == -1
    assert topic[TORN[-2]] >= 0 and topic[TORN[0]] >= 0 and topic[TORN[2]] >= 0


def test_a_particle_after_a_phrase_that_is_not_the_verbs_object_is_a_noun():
    """"Could you send a photo of the back?" was read as "send back", a return: "back" was joined
    to a verb five words before it, across "a photo of the"."""
    from campaigns.suggest.words import Words

    words = Words()
    assert "~return" not in words.tokens("en", "Could you send a photo of the back?")
    assert "~return" not in words.tokens("en", "I sent a photo of the back of the lamp")
    for returned in ("send the Hardanger tent back", "send the Polarlicht down jacket back", "send it back to you",
                     "give me my money back",
                     "send back the tent"):
        assert "~return" in words.tokens("en", returned), returned
    assert "~return" in words.tokens("de", "Ich schicke die Jacke an euch zurück")  # its particle ends the clause


def test_back_alone_is_no_refund_in_german():
    """"geld zurück" in the shared vocabulary made "zurück" a refund word on its own: "Ich rufe
    Sie morgen zurück" (I will call you back) was a refund request.  Money back still is one."""
    from campaigns.suggest.words import Words

    words = Words()
    for back in ("Ich rufe Sie morgen zurück", "Bitte rufen Sie mich zurück", "Ich bin am Montag zurück"):
        assert "~refund" not in words.tokens("de", back), back
    for refund in ("Ich möchte mein Geld zurück", "Bitte das Geld zurück auf PayPal", "Geld zurück?"):
        assert "~refund" in words.tokens("de", refund), refund


def test_the_languages_of_a_large_file_are_learnt_from_a_sample_and_every_text_gets_its_own(monkeypatch):
    """Every long text was read among all seven languages to learn the two a file is written in
    (a third of the time of 100,000 different requests): a sample tells them, and the other texts
    are read among those two only, with the same result."""
    import campaigns.suggest.words as words

    texts = ["Bonjour, je n'ai toujours pas reçu mon colis commandé la semaine dernière.",
             "Hello, my parcel still has not arrived and I ordered it last week.",
             "Pourriez-vous me dire quand ma lampe sera livrée, s'il vous plaît ?",
             "Can you tell me when my lamp will be delivered, please?"] * 5 + ["Where is my order"]
    whole = words.detect(texts, "fr")
    monkeypatch.setattr(words, "LANGUAGE_SAMPLE", 3)
    read: list[str] = []
    detect = words._detect
    monkeypatch.setattr(words, "_detect", lambda t, languages: read.extend(languages) or detect(t, languages))
    assert words.detect(texts, "fr") == whole == ["fr", "en", "fr", "en"] * 5 + ["en"]
    assert read.count("it") == 1  # one pass among every language (on the sample), the others among fr and en


def test_a_ticket_in_a_json_document_is_placed_at_its_line_in_the_file(tmp_path):
    """`--json` gave a ticket of a JSON document (Zendesk's {"tickets": [...]}, Freshdesk's list)
    the ticket's position in the list as its "line"."""
    import json

    from campaigns.suggest.readers import read_requests

    tickets = [{"id": n, "subject": f"Where is my order {n}?", "description": "It has not arrived.\nOrder 12",
                "created_at": "2026-11-02T09:14:00Z"} for n in range(1, 4)]
    for doc in ({"count": 3, "meta": {"note": "[not tickets]"}, "tickets": tickets, "next_page": None}, tickets):
        path = tmp_path / "tickets.json"
        path.write_text(json.dumps(doc, indent=2))
        starts = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if line.strip() == "{"]
        lines = [r.line for r in read_requests(str(path))]
        assert lines == starts[-3:] and lines != [1, 2, 3]
    path.write_text("\n\n" + "\n".join(json.dumps(t) for t in tickets) + "\n")  # blank lines first
    assert [r.line for r in read_requests(str(path))] == [3, 4, 5]


def test_a_latin_1_file_is_named_as_western_not_central_european(tmp_path):
    """A Latin-1 French or German export was said to look like cp1250 (or cp775): read so, "à"
    and "è" come out as "ŕ" and "č".  Among the readings as likely as the best, the one Western
    European single-byte encodings share is named (cp1252, what the WHATWG maps "latin1" to)."""
    import pytest

    from campaigns.errors import InvalidInput
    from campaigns.suggest.readers import read_requests, sniff_encoding

    for text in ("question,count\nOù est ma commande ? Très déçue,3\nJe voudrais retourner la lampe achetée à Lyon,2\n",
                 "question,count\nWo ist meine Bestellung,3\nRücksendung für meinen Stuhl bitte,2\n"):
        path = tmp_path / "latin.csv"
        path.write_bytes(text.encode("latin-1"))
        with pytest.raises(InvalidInput) as caught:
            list(read_requests(str(path)))
        assert "--encoding cp1252" in str(caught.value.problems[0])
        assert [r.text for r in read_requests(str(path), "cp1252")] == [
            line.rsplit(",", 1)[0] for line in text.splitlines()[1:]]
    czech = ("otázka,počet\nKde je moje objednávka? Příliš dlouho čekám na zásilku,3\n"
             "Chci vrátit židli, je poškozená,2\n").encode("cp1250")
    assert sniff_encoding(czech) == "cp1250"  # a reading only cp1250 gives, as likely as cp1252's: still cp1250
