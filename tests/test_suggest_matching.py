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
