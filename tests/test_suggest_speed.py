"""``herald suggest`` on many different requests (issue 25: 100,000 tickets, every one different):
the faster paths give what the slower ones gave, on hostile inputs too."""

from __future__ import annotations

import random
import string

import pytest

from campaigns.suggest import words as words_module
from campaigns.suggest.words import Words, detect

HOSTILE = [
    "", " ", "_", "__init__", "send it back", "Send the tent BACK please", "schicke die Jacke zurück",
    "das Geld zurück", "Bestellnummer Lieferstatus", "I I I a a", "Où est ma commande ?", "ǅemal Ǉubljana",
    "İstanbul ıi", "straße STRASSE", "x" * 300, "order order ORDER Order", "ß" * 5, "\u00e9t\u00e9 e\u0301te\u0301",
    "don't won't can't", "back back back", "zurück zurück", "the back of the box",
]


def _reference_tokens(words: Words, language: str, text: str, surface: dict[str, dict[str, int]]) -> list[str]:
    """:meth:`Words.tokens` as it was: one word at a time, the words written counted as they come."""
    particles = words_module.PARTICLES.get(language)
    lower = text.lower()
    found = words._joined(language, text, particles) if particles and any(p in lower for p in particles) \
        else words_module.TOKEN.findall(text)
    out = []
    for w in found:
        t = words.word(language, w)
        if t and len(t) > 1:
            out.append(t)
            shown = w.lower().replace("_", " ")
            counts = surface.setdefault(t, {})
            counts[shown] = counts.get(shown, 0) + 1
    return out


def _reference_shown(surface: dict[str, dict[str, int]], token: str) -> str:
    counts = surface.get(token)
    return max(counts, key=lambda w: counts[w]) if counts else token.lstrip("~#")


def test_tokens_cached_per_word_are_the_tokens_and_shown_words_of_one_word_at_a_time():
    """Tokens are looked up per language and word, and the words written for each are counted in
    bulk: the same tokens, and the same word shown for each (ties: the first written), whatever
    the order texts come in and whether :meth:`Words.shown` is asked for between them."""
    rng = random.Random(25)
    texts = HOSTILE + [" ".join(rng.choices(["Order", "order", "ORDER", "orders", "Delivery", "delivery",
                                             "back", "send", "zurück", "Geld", "die", "the", "colour"], k=8))
                       for _ in range(200)]
    fast, slow = Words(), Words()
    surface: dict[str, dict[str, int]] = {}
    tokens: set[str] = set()
    for i, text in enumerate(texts):
        language = ("en", "de", "nl", "fr", "xx")[i % 5]
        got = fast.tokens(language, text, seen=True)
        assert got == _reference_tokens(slow, language, text, surface), text
        assert fast.tokens(language, text) == got  # the cache gives the same the second time
        tokens.update(got)
        if i % 37 == 0:  # shown between texts: what was counted so far, then counting goes on
            assert [fast.shown(t) for t in sorted(tokens)] == [_reference_shown(surface, t) for t in sorted(tokens)]
    assert [fast.shown(t) for t in sorted(tokens)] == [_reference_shown(surface, t) for t in sorted(tokens)]
    assert fast.shown("~nothing") == "nothing"


def test_stop_words_tell_a_language_only_when_they_are_decisive():
    owner = words_module._owners(("en", "de"))
    assert words_module._by_stop_words("Tausend Dank für den tollen Service!", owner) == "de"
    assert words_module._by_stop_words("Can I add a gift box to order", owner) == "en"
    assert words_module._by_stop_words("Where is the sofa", owner) == "en"
    assert words_module._by_stop_words("Sofa Tisch Regal", owner) == ""  # no stop word
    assert words_module._by_stop_words("the sofa", owner) == ""  # one is not enough
    assert words_module._by_stop_words("the sofa und der Tisch", owner) == ""  # two languages: lingua reads it
    assert words_module._by_stop_words("x " * 200 + "the and where", owner) == ""  # beyond the window
    assert all(not w.startswith(" ") and w == w.lower() for w in owner)
    assert not set(owner) & {"die"} or owner["die"] == "de"


def test_a_long_text_the_sample_did_not_read_is_told_by_its_stop_words_else_by_lingua(monkeypatch):
    """A file longer than the sample: the texts the sample read are detected among every
    language, those it did not read by their stop words when decisive, the rest by lingua among
    the file's languages; the same on every run."""
    monkeypatch.setattr(words_module, "LANGUAGE_SAMPLE", 6)
    english = ["Where is my order? It has not arrived and I would like to know when it will come."] * 13
    german = ["Wo ist meine Bestellung? Sie ist noch nicht da und ich möchte wissen, wann sie kommt."] * 13
    plain = ["Sofa Lieferung Tracking Nummer Status Sessel Regal", "Delivery tracking sofa armchair status"]
    texts = [t for pair in zip(english, german, strict=True) for t in pair] + plain
    read: list[list[str]] = []
    real = words_module._detect

    def spy(batch: list[str], languages: tuple[str, ...]) -> list[str]:
        read.append(list(batch))
        return real(batch, languages)

    monkeypatch.setattr(words_module, "_detect", spy)
    found = detect(texts, "en")
    assert found[:26] == ["en", "de"] * 13
    assert len(read[0]) == 6  # the sample, among every language
    assert read[1:] == [plain]  # only the texts without decisive stop words go to lingua again
    assert found[26:] == real(plain, ("en", "de"))
    assert detect(texts, "en") == found


@pytest.mark.parametrize("n", [2, 3, 40, 300, 700])
def test_the_gap_clusters_are_those_agglomerative_clustering_finds_on_the_whole_matrix(n):
    """The sample's distances are computed a few rows at a time, condensed: the labels (and
    their order) are those scikit-learn's average linkage gives on the square matrix."""
    import numpy as np
    from scipy.sparse import random as sparse_random
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.preprocessing import normalize

    from campaigns.suggest.topics import CUT, _average_clusters

    rng = np.random.default_rng(n)
    matrix = sparse_random(n, 60, density=0.08, format="csr", dtype=np.float32, random_state=rng)
    matrix.data[:] = rng.integers(1, 4, size=len(matrix.data))  # ties in the distances
    matrix = normalize(matrix).astype(np.float32).tocsr()
    distance = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, 2.0)
    expected = AgglomerativeClustering(n_clusters=None, distance_threshold=CUT, metric="precomputed",
                                       linkage="average").fit_predict(distance)
    assert list(_average_clusters(matrix, CUT)) == list(expected)


def test_made_up_names_of_the_varied_bench_corpus_are_fixed():
    import sys

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT / "tests" / "data" / "suggest"))
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_suggest
    finally:
        sys.path.remove(str(ROOT / "bench"))
    names = bench_suggest.vocabulary()
    assert len(names) == 5000 and names == bench_suggest.vocabulary()
    assert all(n[0].isupper() and n[1:].islower() and set(n.lower()) <= set(string.ascii_lowercase) for n in names)
    tickets = list(bench_suggest.varied(50))
    assert len({t["description"] for t in tickets}) == 50
    assert tickets == list(bench_suggest.varied(50))


def _hostile_texts(n: int, seed: int) -> list[str]:
    """Texts made of auto-reply words in every case, digits of several scripts, whitespace of
    several kinds and the characters that case-fold in surprising ways (ſ, K, ı, İ, µ, ß, ÿ)."""
    rng = random.Random(seed)
    pieces = ["Out of Office", "OUT OF THE OFFICE", "automatic reply", "Auto-Reply", "AUTOREPLY", "abwesend",
              "Abwesenheitsnotiz", "RÉPONSE AUTOMATIQUE", "réponse automatique", "Respuesta automática",
              "ich bin bis Montag nicht im Büro", "ICH BIN NICHT IM BÜRO", "I'm away", "on parental leave",
              "currently out", "Mailer-Daemon", "Undeliverable", "order 12345", "20%", "2 weeks", "A1B2",
              "٣٤٥", "x@y.de", "www.example.com/a1", "abc123def", "ſ", "\u212a", "ı", "İ", "µ", "ß", "ÿ", "Ö",
              "\u00a0", "\u2003", "\t", "\n", " ", "aUTOMATIC rEPLY", "ou\u0074 of office", "autom\u00c1tica"]
    return ["".join(rng.choice(pieces) + rng.choice(["", " ", "\n", "\u00a0"]) for _ in range(rng.randint(0, 8)))
            for _ in range(n)]


def test_the_folded_auto_reply_search_finds_what_the_case_insensitive_one_finds():
    from campaigns.suggest.clean import _AUTO, _auto_reply

    assert _AUTO.folded is not None  # the pattern is written in lowercase: the fast path is taken
    # beyond Latin-1, characters the case-insensitive search takes for others: the slow path reads them
    folding = ["abſence du bureau", "ıch bin nicht im büro", "İch bin nicht im büro"]
    assert all(_AUTO.pattern.search(t) and not _AUTO.folded.search(t.lower()) for t in folding)
    texts = _hostile_texts(3000, 7) + folding + ["OUT OF OFFICE", "Out ſf office", "AUTOMATİC REPLY"]
    assert [_auto_reply(t) for t in texts] == [_AUTO.pattern.search(t) is not None for t in texts]
    assert _auto_reply("RÉPONSE AUTOMATIQUE") and _auto_reply("Ich bin bis Montag nicht im BÜRO")


def _folded_patterns() -> dict[str, object]:
    from campaigns.suggest import clean

    return {name: p for name, p in vars(clean).items() if isinstance(p, clean.Folded)}


def test_every_folded_pattern_takes_the_fast_path():
    patterns = _folded_patterns()
    assert {"_AUTO", "_THANKS", "_SPAM", "_BAIT", "_PITCH", "_QUESTION", "_REPLY"} <= set(patterns)
    assert all(p.folded is not None for p in patterns.values()), [n for n, p in patterns.items() if p.folded is None]


def test_a_pattern_with_a_capital_or_a_second_form_letter_is_searched_as_written():
    from campaigns.suggest.clean import Folded

    assert Folded(r"(?i)\bOrder\b").folded is None  # a capital: lowercased text never holds it
    assert Folded(r"(?i)\bſale\b").folded is None  # "ſ" would miss "s" in the lowercased text
    assert Folded(r"(?i)yan[ıi]t").folded is not None  # with its first form beside it, it is "i"
    assert Folded(r"\border\b").folded is None  # not case-insensitive: nothing to fold
    assert Folded(r"(?i)(?P<rest>\W+)").folded is not None  # escapes and group names are not letters
    # letters said by their code, a range of capitals, flags turned off (the review's: each took the fast path)
    for pattern in (r"(?i)caf\u00c9", r"(?i)\x41bc", r"(?i)[\u00c0-\u00c5]x", r"(?i)[À-Å]x", r"(?i)(?-i:abc)"):
        assert Folded(pattern).folded is None, pattern
    assert Folded(r"(?i)[a-z]+(?=!)").folded is not None


def test_the_line_prefilter_matches_where_any_of_the_six_line_patterns_does():
    """_LINE_START stands for _CUT, _SIGNATURE, _SENT, _META, _SIGNED and _GREETING: a line it
    misses would keep a signature or a quote in the request."""
    from campaigns.suggest import clean

    rng = random.Random(2028)
    six = (clean._CUT, clean._SIGNATURE, clean._SENT, clean._META, clean._SIGNED, clean._GREETING)
    starts = ["Sent from my iPhone", "On Mon, 3 Aug 2026 Anna wrote:", "Am 3. August schrieb Anna:", "Thanks, John",
              "Liebe Grüße", "Hello there,", "Chat started: 2026-08-03", "URL: https://x.example", "-- ",
              "Alvast bedankt!", "Obrigado desde já!", "Gesendet mit der WEB.DE Mail App", "Verstuurd vanaf mijn iPhone",
              "Where is my order?", "Beste regards", "hi", "Dear team", "From: a@b.example", "________",
              "Mit freundlichen Grüßen", "Saludos cordiales, María"]
    lines = [rng.choice(["", " ", "\u00a0", "\t"]) + rng.choice([str.upper, str.lower, str.title, str])(rng.choice(starts))
             + rng.choice(["", " ", ".", "!", ", Anna", " ſ", " İ", " ı"]) for _ in range(6000)] + _hostile_texts(2000, 9)
    for line in lines:
        assert (clean._LINE_START.match(line) is not None) == any(p.match(line) for p in six), line


def test_lowercasing_keeps_every_character_what_a_case_insensitive_pattern_takes_it_for():
    """re compares a character's lowercase with the pattern's (and with the second forms of
    re._casefix, left to the slow path): lowercasing the text first changes nothing."""
    import re

    from campaigns.suggest.clean import UNFOLDED

    word = re.compile(r"\w")
    for code in range(0x10000):
        c = chr(code)
        if c in UNFOLDED or 0xD800 <= code < 0xE000:
            continue
        low = c.lower()
        assert len(low) == 1, hex(code)
        assert (word.match(c) is None) == (word.match(low) is None), hex(code)  # \b is where it was
        assert re.fullmatch("(?i)" + re.escape(low), c), hex(code)
        # nor does it lowercase to a second form ("ı"), which re takes for its first ("i") too
        assert low not in UNFOLDED, hex(code)


@pytest.mark.parametrize("seed", [7, 11])
def test_every_folded_pattern_finds_what_the_case_insensitive_one_finds(seed):
    import re

    rng = random.Random(seed)
    for name, p in _folded_patterns().items():
        words = [w for w in re.findall(r"[^\W\d_]+(?: [^\W\d_]+)?", p.pattern.pattern) if len(w) > 1]
        cased = [f(w) for w in words for f in (str.upper, str.title, str.lower, str.swapcase)]
        texts = _hostile_texts(1500, seed) + cased + [
            " ".join(rng.choice(cased) + rng.choice(["", "?", "!", ":", " ſ", " İ", " ı", " Σ", "’"])
                     for _ in range(rng.randint(1, 5))) for _ in range(1500)]
        for t in texts:
            for how in ("search", "match", "fullmatch"):
                mine, theirs = getattr(p, how)(t), getattr(p.pattern, how)(t)
                assert (mine and mine.span()) == (theirs and theirs.span()), (name, how, t)
            assert [m.span() for m in p.finditer(t)] == [m.span() for m in p.pattern.finditer(t)], (name, t)


def test_identifiers_are_redacted_as_the_backtracking_pattern_did():
    import re

    from campaigns.suggest import clean

    old = re.compile(r"\S*\d\S*")

    def before(text: str) -> str:
        if "@" in text:
            text = clean._EMAIL.sub(" ", text)
        if "http" in text or "www." in text:
            text = clean._URL.sub(" ", text)
        return " ".join(old.sub(clean._identifier, text).split())

    texts = _hostile_texts(3000, 8) + ["", "1", "a1 b2 c", "x" * 5000 + "1", "٣ 12 100% 20%"]
    assert [clean.redact_ids(t) for t in texts] == [before(t) for t in texts]


def _learn_as_before(boiler, requests):
    """:meth:`Boilerplate.learn` as it was: every line's requests listed, then the candidates."""
    keyed = [[boiler.key(line) for line in lines] for lines in requests]
    where: dict[str, list[int]] = {}
    for i, keys in enumerate(keyed):
        for k in set(keys):
            where.setdefault(k, []).append(i)
    floor = max(boiler.least, int(boiler.share * len(requests)))
    candidates = [k for k, found in where.items() if len(found) >= floor and k]
    return frozenset(boiler._scattered(candidates, [[keyed[i] for i in where[k][:300]] for k in candidates]))


def test_boilerplate_learnt_by_counting_is_what_listing_every_line_learnt():
    """The lines the file repeats are counted (a request's lines once each; requests cleaned once
    share their lines) and only the frequent ones listed: the same boilerplate as before, with a
    bot's menu on 40% of the requests, a question asked as such, lines repeated within a request,
    more than 300 requests on a line, empty lines and numbers."""
    from campaigns.suggest.clean import Boilerplate

    rng = random.Random(3)
    menu = "Choose an option: 1 Orders 2 Returns 3 Other"
    questions = ["Where is my order?", "How do I return a chair", "My invoice is wrong", "Can I pay by card"]
    shared = ["Ich möchte zurückschicken"] * 3
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(500)]
    requests: list[list[str]] = []
    for i in range(1500):
        words = " ".join(rng.choices(vocabulary, k=6))
        lines = [f"{rng.choice(questions)} {words} {i}" if rng.random() < 0.2 else f"{words} {i}"]
        if rng.random() < 0.4:
            lines.insert(0, menu.replace("1", str(rng.randint(1, 9))))
        if rng.random() < 0.1:
            lines += ["Where is my order?", "Where is my order?", ""]
        requests.append(lines)
    requests += [shared] * 40  # one list of lines for many requests
    learnt = Boilerplate().learn(requests).lines
    assert learnt == _learn_as_before(Boilerplate(), requests)
    assert "choose an option: 0 orders 0 returns 0 other" in learnt


@pytest.mark.slow
def test_the_benchmark_runs_on_a_varied_corpus_and_prints_wall_cpu_and_peak(monkeypatch, capsys):
    """bench/bench_suggest.py --varied, small: its figures are in bench/README.md, measured at
    30,000 and 100,000 tickets."""
    import re
    import sys

    from bench import bench_suggest

    monkeypatch.setattr(sys, "argv", ["bench_suggest.py", "--varied", "--sizes", "300", "--repeat", "1"])
    bench_suggest.main()
    out = capsys.readouterr().out
    assert "varied (every ticket different)" in out
    assert re.search(r"\| 300 \| \d+ MB \| \d+\.\d\d s \| \d+\.\d\d s \| \d+ MB \| \d+\.\d\d s \| \d+\.\dx \|", out), out
