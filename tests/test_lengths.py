"""Network length rules: X against the official twitter-text conformance suite, and the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from campaigns.networks import NETWORK_TYPES, graphemes
from campaigns.xlength import upper_bound
from tests.conftest import reference


def _suite(name: str) -> list[dict]:
    data = YAML(typ="safe").load(reference("twitter-text", "validate.yml").read_text(encoding="utf-8"))
    return data["tests"][name]


def _cases(name: str) -> list:
    try:
        return [pytest.param(c, id=c["description"]) for c in _suite(name)]
    except Exception:  # collected before the skip/raise in reference(): report there
        return [pytest.param(None, id="reference-missing")]


X = NETWORK_TYPES["x"].limit


@pytest.mark.parametrize("case", _cases("WeightedTweetsWithDiscountedEmojiCounterTest")
                         + _cases("UnicodeDirectionalMarkerCounterTest"))
@pytest.mark.slow
def test_x_length_follows_the_twitter_text_conformance_suite(case):
    if case is None:
        reference("twitter-text", "validate.yml")
    assert X.measure(case["text"]) == case["expected"]["weightedLength"]
    assert upper_bound(case["text"]) >= case["expected"]["weightedLength"]
    fits = X.overflow(case["text"]) is None
    if case["text"]:  # an empty text fits the limit; emptiness is a separate rule
        assert fits == case["expected"]["valid"]


def test_the_suite_has_the_cases_the_readme_promises():
    assert len(_suite("WeightedTweetsWithDiscountedEmojiCounterTest")) == 22
    assert len(_suite("UnicodeDirectionalMarkerCounterTest")) == 2


def test_mastodon_counts_every_link_as_23_characters():
    limit = NETWORK_TYPES["mastodon"].limit
    long_link = "https://acme.example/" + "a" * 200
    assert limit.measure(f"Track it: {long_link}") == len("Track it: ") + 23
    assert limit.overflow("x" * 476 + " " + long_link) is None
    assert limit.overflow("x" * 477 + " " + long_link) == "501/500 characters (1 over)"


def test_bluesky_counts_graphemes_and_bytes():
    limit = NETWORK_TYPES["bluesky"].limit
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 18 bytes
    assert graphemes(family * 3) == 3
    assert limit.overflow(family * 300) == "5,400/3,000 bytes (2,400 over)"
    assert limit.overflow("é" * 301) == "301/300 graphemes (1 over)"
    assert limit.overflow("e\u0301" * 300) is None  # 300 graphemes of two code points each


@pytest.mark.parametrize("network, maximum", [
    ("linkedin", 3000), ("facebook", 63206), ("instagram", 2200), ("pinterest", 500),
    ("threads", 500), ("discord", 2000), ("telegram", 4096),
])
def test_documented_limits(network, maximum):
    limit = NETWORK_TYPES[network].limit
    assert limit.overflow("a" * maximum) is None
    assert limit.overflow("a" * (maximum + 1)) == f"{maximum + 1:,}/{maximum:,} characters (1 over)"


def test_own_channels_have_no_limit():
    assert NETWORK_TYPES["site"].limit is None and NETWORK_TYPES["webhook"].limit is None


@pytest.mark.slow
def test_fast_x_length_equals_twitter_text_on_random_texts():
    import random

    from twitter_text import parse_tweet
    from twitter_text.regexp.emoji import emoji_list
    from twitter_text.regexp.invalid_chars import invalid_chars

    from campaigns.xlength import weighted_length

    assert not any(invalid_chars.match(chr(c)) for c in range(128))  # xlength checks only non-ASCII
    rng = random.Random(2026)
    emojis = [e.emoji for e in emoji_list] + ["#\ufe0f\u20e3", "1\u20e3", "\U0001f468\u200d\U0001f469\u200d\U0001f467"]
    pieces = ["a", "Z", " ", "1", "#", "*", "4-6", "\r\n", "\n", "é", "e\u0301", "日本", "ü", "—", "\u200d", "\ufe0f",
              "\ufffe", "\u202a", "https://acme.example/track?x=1", "acme.com/a", "http://t.co/x", "www.example.org",
              "@user", "#tag", ".", "(", ")", "\U0001f431", "\u00a9", "\u00ae", "\u2122"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces if rng.random() < 0.8 else emojis) for _ in range(rng.randint(0, 40)))
        expected = parse_tweet(text)
        assert weighted_length(text) == (expected.weightedLength, expected.valid), repr(text)
        assert upper_bound(text) >= expected.weightedLength, repr(text)
        if upper_bound(text) <= 280:  # what validation skips measuring must really fit
            assert expected.weightedLength <= 280, repr(text)


def test_the_shortcuts_rest_on_twitter_texts_own_numbers():
    """The fast paths (no twitter-text for a text that cannot hold a URL; the bound that spares
    validation the count) use twitter-text's configuration, written down: kept equal here."""
    from twitter_text.config import config

    from campaigns import xlength

    options = config["defaults"]
    assert options["max_weighted_tweet_length"] == xlength.MAXIMUM
    assert options["transformed_url_length"] == xlength.SCALE_FREE_URL_WEIGHT
    heaviest = max([options["default_weight"], *(r["weight"] for r in options["ranges"])])
    assert heaviest / options["scale"] == xlength.MAX_CHAR_WEIGHT
    assert all(r["weight"] == options["scale"] for r in options["ranges"] if r["start"] == 0)  # ASCII weighs 1


@pytest.mark.parametrize("text", [
    "Track it at acme.com today", "see https://x.co/a", "www.example.org", "日本.みんな です", "t.co",
    "x" * 270 + " a.co", "ends with a dot.", "4.5 stars. (#2)", "café at 9.30", "line\r\nbreak.Next",
    "\u212a is a Kelvin sign that NFC makes a K", "see https://bench.example/track (no such TLD)",
    "Our jingle: " + "\U0001d160" * 100, "\u2adc" * 100,  # NFC makes them 3 and 2 characters: bounded after NFC
])
def test_the_fast_x_length_agrees_with_parse_tweet_on_urls_and_dots(text):
    from twitter_text import parse_tweet

    from campaigns.xlength import weighted_length

    expected = parse_tweet(text)
    assert weighted_length(text) == (expected.weightedLength, expected.valid)
    assert upper_bound(text) >= expected.weightedLength
    assert (X.overflow(text) is None) == (expected.weightedLength <= 280)


@pytest.mark.slow
def test_the_url_extractor_loads_without_the_tweet_parser_and_leaves_twitter_text_whole():
    """Loading only the extractor (the emoji tables are 0.2 s more) must not leave a stand-in
    package behind: a later ``import twitter_text`` is the real one."""
    import subprocess
    import sys

    code = ("import sys; from campaigns.xlength import weighted_length; "
            "print(weighted_length('track it at acme.com'), 'twitter_text.regexp.emoji' in sys.modules, "
            "'twitter_text' in sys.modules); "
            "import twitter_text.regexp.valid_url_path; "
            "print(twitter_text.parse_tweet('track it at acme.com').weightedLength, "
            "twitter_text.regexp.valid_url_path.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(Path(__file__).resolve().parent.parent)).stdout.split("\n")
    assert out[:2] == ["(35, True) False False", "35 twitter_text.regexp.valid_url_path"]


@pytest.mark.slow
def test_the_urls_of_a_text_weigh_what_those_of_its_words_weigh():
    """xlength weighs an ASCII text's URLs word by word (cached per word): the same sum as
    twitter-text's extractor run over the whole text, on texts made to put URLs, their edges and
    the characters around them (``-_./@#$+``, brackets, ``\\x1c``, which Python calls a space and
    twitter-text does not) next to every kind of space."""
    import random

    from twitter_text import parse_tweet
    from twitter_text.extract_urls import extract_urls_with_indices

    from campaigns.xlength import SCALE_FREE_URL_WEIGHT, _words_url_weight, weighted_length

    rng = random.Random(24)
    pieces = ["https://acme.example/track?utm_source=x&a=1", "acme.com/a", "http://t.co/abc", "www.example.org",
              "a.co", "shop.example", "x.com?", "-", "_", ".", "/", "@", "#", "$", "+", "(", ")", ":", "?", "x", "1",
              "Track", " ", " ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "  "]
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        whole = sum(SCALE_FREE_URL_WEIGHT - len(e["url"]) for e in extract_urls_with_indices(text))
        assert _words_url_weight(text) == whole, repr(text)
        assert weighted_length(text)[0] == parse_tweet(text).weightedLength, repr(text)
