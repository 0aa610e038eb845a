"""Findings of issue 25's cold review and black-box attack on ``herald suggest``: words of one
shop's export in the shared vocabulary, a German post quoting an English link name, drafted
posts at the same minute, and one opening sentence for every drafted post."""

from __future__ import annotations

import pytest

from campaigns.suggest.words import Words

# 2. the shared vocabulary holds what any shop is asked, not one export's words

@pytest.mark.parametrize(("language", "word", "not_concept"), [
    ("en", "stuff", "~order"),  # "stuff" is anything, not an order (VoltMart's "where's my stuff")
    ("fr", "bon", "~discount"),  # French "good" ("un bon produit"), not a voucher
    ("es", "guía", "~track"),  # "la guía de tallas" is a size guide (VoltMart's Mexican "número de guía")
    ("es", "guia", "~track"),
    ("en", "rv", "~zipper"),  # a motorhome in English (Nordlicht's German abbreviation of Reißverschluss)
])
def test_the_shared_vocabulary_has_no_words_fitted_to_one_export(language, word, not_concept):
    assert Words().word(language, word) != not_concept


@pytest.mark.parametrize("carrier", ["DHL", "DPD", "GLS", "FedEx", "USPS", "Colissimo", "InPost", "PostNL"])
def test_a_carrier_is_a_delivery_whichever_one_a_shop_uses(carrier):
    """Only "DHL" was (Nordlicht's carrier): a shop that ships with another said nothing by it."""
    assert Words().word("en", carrier) == "~ship"
