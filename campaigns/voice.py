"""The brand's voice guide, made executable: rules every published text is checked against.

A guide (``brand.voice`` in the calendar) says who the brand is (persona, tone), how it
addresses people (register, language), which words it avoids and what it says instead,
how loud it may be (exclamation marks, ALL-CAPS words, emoji, hashtags), what each kind of
post must contain (an outage post acknowledges the problem, says what is affected, what
we are doing and when the next update comes…), where its links may point and how far
apart two similar posts must be.

:class:`VoiceChecker` applies the text rules to one rendered text; :mod:`campaigns.lint`
runs them over a whole plan (and adds repetition), the engine runs them once more on
each publication just before it goes out.  Every rule has an id, a default severity and
an entry in docs/reference/voice.md with a bad and a good example; a guide can raise, lower or turn off any
rule (``rules: {stock-phrase: error, emoji: off}``).

The built-in phrase lists are English, with register and cue lists for German and
French; for other languages a guide brings its own (``phrases:``, ``cues:``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import parse_qsl, urlsplit

from .days import DayChecker, Hours
from .networks import TEXT_READ, URL_RE

# rule id -> (default severity, what it checks): the rule table of docs/reference/voice.md comes from here.
RULES: dict[str, tuple[str, str]] = {
    "generic-post": ("error", "the whole post is boilerplate customers recognise"),
    "stock-phrase": ("warning", "a stock phrase inside a post"),
    "blame": ("error", "blame-shifting in incident and maintenance posts"),
    "argumentative": ("error", "arguing with or talking down to customers"),
    "word": ("warning", "a word or phrase the guide avoids, with its preferred replacement"),
    "register": ("warning", "formal or informal address the guide does not use"),
    "exclamations": ("warning", "more exclamation marks than the guide allows"),
    "caps": ("warning", "more ALL-CAPS words than the guide allows"),
    "emoji": ("warning", "more emoji than the guide allows"),
    "hashtags": ("warning", "more hashtags than the guide allows"),
    "required": ("error", "an element this kind of post must contain is missing"),
    "link-host": ("error", "a link to a host the brand has not listed, or a link shortener"),
    "link-utm": ("warning", "a link to the brand without the campaign's UTM tags"),
    "duplicate": ("error", "the same text on the same account within the repetition window"),
    "near-duplicate": ("warning", "nearly the same text on the same account within the window"),
    "event-past": ("warning", "a post counts down to an event that has already happened"),
    "bidi": ("error", "a character that reorders the text after it (U+202A-U+202E, U+2066-U+2069): the post reads "
                      "differently from its source"),
    # the day rules (campaigns.days): checked against the moment a publication goes out
    "wrong-day": ("error", "the day a text names with today, tonight or tomorrow is not that day where the brand "
                           "is, or a weekday and a date disagree"),
    "after-midnight": ("warning", "'tonight' with no day named, in a post that goes out from 00:00 to 03:59"),
    "closed-day": ("error", "says the shop is open, or asks people in, on a day the calendar declares closed"),
    "opening-hours": ("warning", "gives opening times outside the hours the calendar declares for that day"),
}
SEVERITIES = ("error", "warning", "off")

# Elements a kind of post can be required to contain.
ELEMENTS = {
    "acknowledge": "acknowledge the problem",
    "apology": "say sorry",
    "affected": "say what is affected",
    "action": "say what we are doing",
    "next_update": "say when the next update comes",
    "fixed": "say what was fixed",
    "feedback": "ask whether it works for them now",
    "where": "say where to give feedback",
    "link": "include a link",
    "when": "say when",
}
ELEMENT_HINTS = {
    "acknowledge": "e.g. 'We know checkout is failing'",
    "apology": "e.g. 'We're sorry'",
    "affected": "name the service, e.g. {affected} or {title}",
    "action": "e.g. 'We're rolling back the change'",
    "next_update": "e.g. 'Next update by {next_update}'",
    "fixed": "e.g. 'Card payments work again'",
    "feedback": "ask a question, e.g. 'Is everything working for you again?'",
    "where": "e.g. 'reply here or tell us at {help}'",
    "link": "add a link, e.g. {links.order_tracking}",
    "when": "give a time or a day",
}
# Which guide key applies to a publication's role (its kind, or its incident state).
ROLE_GROUP = {"investigating": "incident", "identified": "update", "monitoring": "update",
              "resolved": "resolved", "follow_up": "follow_up"}
DEFAULT_REQUIRED: dict[str, tuple[str, ...]] = {
    "incident": ("acknowledge", "affected", "action", "next_update"),  # the first post of an outage
    "update": ("action", "next_update"),  # identified, monitoring: replies under it
    "resolved": ("fixed",),
    "follow_up": ("feedback", "where"),
    "tracking": ("link",),
}
REQUIRED_KEYS = ("incident", "update", "resolved", "follow_up", "maintenance",
                 "tip", "reminder", "announcement", "tracking")
INCIDENT_ROLES = frozenset({"investigating", "identified", "monitoring", "resolved", "follow_up"})

_ASK = "say something specific: what happened, what you are doing, when you will update"
# Boilerplate customers recognise, with what to write instead.
STOCK_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "we apologize for any inconvenience": "say sorry for the specific problem: 'Sorry you couldn't pay by card'",
        "we apologise for any inconvenience": "say sorry for the specific problem: 'Sorry you couldn't pay by card'",
        "we apologize for the inconvenience": "say sorry for the specific problem",
        "we apologise for the inconvenience": "say sorry for the specific problem",
        "sorry for any inconvenience": "say sorry for the specific problem",
        "apologies for any inconvenience": "say sorry for the specific problem",
        "any inconvenience this may have caused": "name what went wrong for them",
        "your call is important to us": "say what you are doing for them",
        "your business is important to us": "say what you are doing for them",
        "we value your business": "say what you are doing for them",
        "thank you for your patience": "say what happens next and when",
        "thanks for your patience": "say what happens next and when",
        "thank you for your understanding": "say what happens next and when",
        "we appreciate your understanding": "say what happens next and when",
        "please bear with us": "say how long it will take",
        "we are experiencing technical difficulties": "name what is broken: 'card payments fail'",
        "we're experiencing technical difficulties": "name what is broken: 'card payments fail'",
        "technical difficulties": "name what is broken",
        "we are working hard to resolve": "say what you are doing: 'we're rolling back the update'",
        "we're working hard to resolve": "say what you are doing: 'we're rolling back the update'",
        "working to resolve the issue": "say what you are doing",
        "rest assured": "say what you are doing instead",
        "do not hesitate to contact us": "say where: 'reply here or write to help@…'",
        "don't hesitate to contact us": "say where: 'reply here or write to help@…'",
        "feel free to reach out": "say where: 'reply here or write to help@…'",
        "for more information, please visit our website": "link the exact page",
        "we look forward to serving you": "end with something useful",
        "we strive to": "say what you do",
        "stay tuned": "say when the next news comes",
        "click here": "say where the link goes",
        "as soon as possible": "give a time: 'by 11:00'",
        "in due course": "give a time",
        "valued customer": "say 'you'",
    },
    "de": {
        "wir bitten um ihr verständnis": "sagen Sie, was als Nächstes passiert und wann",
        "wir bitten um verständnis": "sagen Sie, was als Nächstes passiert und wann",
        "entschuldigen sie die unannehmlichkeiten": "entschuldigen Sie sich für das konkrete Problem",
        "vielen dank für ihre geduld": "sagen Sie, was als Nächstes passiert und wann",
        "danke für deine geduld": "sag, was als Nächstes passiert und wann",
        "technische schwierigkeiten": "nennen Sie, was nicht funktioniert",
        "schnellstmöglich": "nennen Sie eine Uhrzeit",
    },
}
BLAME_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("not our fault", "beyond our control", "out of our control", "out of our hands", "the fault lies with",
           "nothing we can do", "nothing we could do", "user error", "on your end", "on your side", "your own fault",
           "blame", "to blame", "caused by customers", "caused by users", "we are not responsible",
           "we're not responsible", "not responsible for"),
    "de": ("nicht unsere schuld", "außerhalb unserer kontrolle", "liegt nicht an uns", "bedienfehler",
           "nicht verantwortlich"),
}
ARGUMENTATIVE_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("as we already said", "as we have already said", "as we said before", "as previously stated",
           "as already stated", "as we explained", "as we have explained", "calm down", "you're wrong",
           "you are wrong", "you are mistaken", "that's not true", "that is not true", "read the faq",
           "read the instructions", "read the manual", "if you had read", "stop complaining",
           "with all due respect", "for the last time", "obviously you", "clearly you", "we never said",
           "you should have"),
    "de": ("wie bereits gesagt", "wie bereits erwähnt", "beruhigen sie sich", "lesen sie die anleitung",
           "das stimmt nicht", "sie irren sich"),
}
_GENERIC_HINTS = {
    "blame": "own it: say what you are doing about it, even when a supplier caused it",
    "argumentative": "never argue: acknowledge, explain once, offer help",
}
# Register: words that break the guide's formal or informal address, per language.
REGISTER: dict[str, dict[str, tuple[str, str, bool]]] = {  # lang -> register -> (pattern, hint, case-sensitive)
    "en": {
        "formal": (r"\b(?:hey|gonna|wanna|gotta|guys|folks|awesome|lol|btw|omg|super excited|yay)\b",
                   "the guide is formal: write it out plainly", False),
        "informal": (r"\b(?:dear (?:valued )?customers?|please be advised|kindly|herewith|hereby|we regret to "
                     r"inform you|pursuant to|henceforth|aforementioned)\b",
                     "the guide is informal: write as you would speak to a customer", False),
    },
    "de": {
        "formal": (r"\b(?:du|dich|dir|dein\w*|euch|euer\w*)\b", "die Anrede ist 'Sie'", False),
        "informal": (r"(?<![.!?:]\s)(?<!^)\b(?:Sie|Ihnen|Ihre?[mnrs]?)\b", "die Anrede ist 'du'", True),
    },
    "fr": {
        "formal": (r"\b(?:tu|toi|ton|ta|tes)\b", "le guide vouvoie", False),
        "informal": (r"\b(?:vous|votre|vos)\b", "le guide tutoie", False),
    },
}
_URL_CUE = r"https?://\S+"
CUES: dict[str, dict[str, str]] = {
    "en": {
        "acknowledge": r"\b(?:we(?:'re| are) (?:aware|investigating|looking|seeing|on it)|we know|sorry|apolog\w*|"
                       r"problems?|issues?|outage|disruption|errors?|not working|fail\w*|down|slow|delay\w*)\b",
        "apology": r"\b(?:sorry|apolog\w*)\b",
        "affected": r"\baffect\w*\b",
        "action": r"\b(?:investigat\w*|looking into|working on|fix\w*|roll\w* back|restor\w*|deploy\w*|monitor\w*|"
                  r"watching|testing|restart\w*|replac\w*|switch\w*|found the cause|identified|on it|running|"
                  r"repair\w*|contacting|patch\w*|revert\w*|scaling|moving|rerouting|rebuilding)\b",
        "next_update": r"\b(?:next update|update (?:you |again |this post )?(?:by|at|in|within|before)|"
                       r"we'll (?:post|share|update|be back)|more (?:news|information) (?:by|at|in))\b",
        "fixed": r"\b(?:fixed|resolved|restored|working (?:again|normally|as usual)|back (?:up|online|to normal)|"
                 r"repaired|up to date again|works? again|complete)\b",
        "feedback": r"\?|\b(?:let us know|tell us|how (?:did|was)|is (?:everything|it) working)\b",
        "where": _URL_CUE + r"|\b(?:reply|dm|direct message|message us|contact|call us|e-?mail|write to|chat)\b",
        "link": _URL_CUE,
        "when": r"\b\d{1,2}:\d{2}\b|\b(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|"
                r"sunday|in \d+ (?:minutes?|hours?|days?))\b",
    },
    "de": {
        "acknowledge": r"\b(?:entschuldig\w*|leider|problem\w*|störung\w*|fehler\w*|wir wissen|ausfall)\b",
        "apology": r"\b(?:entschuldig\w*|tut uns leid)\b",
        "affected": r"\bbetr(?:off|eff)\w*\b",
        "action": r"\b(?:untersuch\w*|arbeiten|beheb\w*|prüf\w*|beobacht\w*|gefunden|spielen|stellen)\b",
        "next_update": r"\b(?:nächste[snm]? (?:update|information|meldung)|melden uns (?:bis|um|in))\b",
        "fixed": r"\b(?:behoben|gelöst|wieder (?:verfügbar|erreichbar|da)|funktioniert wieder)\b",
        "feedback": r"\?",
        "where": _URL_CUE + r"|\b(?:antwort\w*|schreib\w*|kontakt\w*|ruf\w*)\b",
        "link": _URL_CUE,
        "when": r"\b\d{1,2}[:.]\d{2}\b|\b(?:heute|morgen|montag|dienstag|mittwoch|donnerstag|freitag|samstag|"
                r"sonntag)\b",
    },
}
SHORTENERS = frozenset({"bit.ly", "t.co", "tinyurl.com", "ow.ly", "goo.gl", "buff.ly", "is.gd", "rebrand.ly",
                        "cutt.ly", "shorturl.at", "t.ly"})
# Upper-case words that are not shouting.
ACRONYMS = frozenset({"FAQ", "FAQS", "API", "APP", "DIY", "ETA", "USB", "PDF", "URL", "EU", "UK", "USA", "UTC", "GMT",
                      "CET", "CEST", "EST", "EDT", "PST", "PDT", "BST", "AEST", "AEDT", "SMS", "PIN", "ID", "TV",
                      "OK", "VAT", "IBAN", "SEPA", "NYC", "LED", "USD", "EUR", "GBP", "AM", "PM", "DM", "CEO"})

_APOSTROPHE = re.compile(r"[’‘]")
_HASHTAG = re.compile(r"(?<![\w&/])#\w+")
_CAPS = re.compile(r"(?<![\w/])[A-ZÄÖÜ][A-ZÄÖÜ0-9]{2,}(?![\w/])")
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Limits:
    exclamations: int = 1
    caps_words: int = 0
    emoji: int = 2
    hashtags: int = 2


@dataclass(frozen=True)
class Voice:
    """The guide as written in ``brand.voice`` (every field optional)."""

    declared: bool = False  # the calendar has a voice: section (validate and the engine enforce it)
    persona: str = ""
    tone: str = ""
    register: str = ""  # formal | informal | "" (not checked)
    language: str = "en"
    words: dict[str, str | None] = field(default_factory=dict)  # avoid -> prefer (None: just avoid)
    stock_phrases: tuple[str, ...] = ()
    blame_phrases: tuple[str, ...] = ()
    argumentative_phrases: tuple[str, ...] = ()
    limits: Limits = Limits()
    acronyms: frozenset[str] = frozenset()
    required: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_REQUIRED))
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)  # element -> extra phrases that count
    window: timedelta = timedelta(days=14)
    similarity: float = 0.8
    hosts: frozenset[str] = frozenset()  # more hosts links may point to (partners, the status page's)
    utm: str = "campaign"  # campaign: posts in a campaign carry its tags | required: every brand link | off
    severities: dict[str, str] = field(default_factory=dict)  # rule -> error | warning | off
    line: int = 0
    col: int = 0

    def severity(self, rule: str, default: str | None = None) -> str:
        return self.severities.get(rule) or default or RULES[rule][0]

    def required_for(self, role: str) -> tuple[str, ...]:
        group = ROLE_GROUP.get(role) or ("maintenance" if role.startswith("maintenance") else role)
        return self.required.get(group, ())


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    message: str
    suggestion: str = ""
    span: tuple[int, int] = (-1, -1)  # where in the checked text, when it is one place

    def line(self) -> str:
        return f"{self.rule}: {self.message}" + (f" ({self.suggestion})" if self.suggestion else "")


def apology_pattern(voice: Voice) -> re.Pattern[str]:
    """An apology in any language the guide reads ("sorry", "we apologise", "tut uns leid"…), or
    in the guide's own ``cues: apology:`` phrases: what tells that a text already says sorry."""
    parts = [cues["apology"] for cues in CUES.values() if "apology" in cues]
    parts += [_phrase_pattern(p) for p in voice.cues.get("apology", ())]
    return re.compile("|".join(parts), re.IGNORECASE)


def _phrase_pattern(phrase: str) -> str:
    return r"(?<!\w)" + _words_pattern(phrase) + r"(?!\w)"


def _alternation(phrases: list[str]) -> Alternation | None:
    """One pattern for the phrases, each whole words (a group per phrase: :func:`_group`).  The word
    boundaries are checked once, around the alternatives, not in each: the alternatives are then
    tried only where a word begins (the same matches, several times faster)."""
    if not phrases:
        return None
    alternatives = "|".join(f"(?P<p{i}>{_words_pattern(p)})" for i, p in enumerate(phrases))
    return Alternation(rf"(?<!\w)(?:{alternatives})(?!\w)", phrases)


# ASCII characters \s reads otherwise in ``regex`` than in ``re`` (re: str.isspace; regex: White_Space)
_SPACE_APART = re.compile(r"[\x1c-\x1f]")


class Alternation:
    """A case-insensitive pattern of phrases (:func:`_alternation`), matched by ``regex`` in a text of
    ASCII characters (two to three times faster on an alternation of phrases: lint reads thousands of
    texts with each) and by ``re`` in any other.  In ASCII text the two find the same matches (their
    \\w, \\s and case rules agree on every ASCII character but U+001C-U+001F, which \\s is in
    ``re`` only: a text with one is read by ``re``), unless the pattern holds U+0130 or U+0131, whose
    case ``re`` and ``regex`` tell apart differently (then ``re`` reads every text).  And when every
    phrase's longest word is ASCII, an ASCII text holds a match only if its lower case holds one of
    those words (most texts hold none: they are not read at all).  ``tests/test_voice.py`` holds the
    two to the same matches."""

    def __init__(self, source: str, phrases: list[str]) -> None:
        self.pattern = re.compile(source, re.IGNORECASE)
        self.ascii = "\u0130" not in source and "\u0131" not in source  # (whether ``regex`` may read)
        self.fast: re.Pattern[str] | None = None  # (compiled at the first ASCII text)
        # (each phrase's longest word: a match holds every word of its phrase, and a long one is rare)
        words = {max(p.split() or [""], key=len).lower() for p in phrases}
        self.words = tuple(words) if all(w and w.isascii() for w in words) else None

    def reader(self, text: str) -> re.Pattern[str] | None:
        """The pattern that reads ``text``, or None when it can hold no match."""
        if not self.ascii or not text.isascii() or _SPACE_APART.search(text) is not None:
            return self.pattern
        if self.words is not None:
            lower = text.lower()
            if not any(word in lower for word in self.words):
                return None
        if self.fast is None:
            import regex  # (20 ms: imported where a text is read, not with the module)

            self.fast = regex.compile(self.pattern.pattern, regex.IGNORECASE | regex.V0)
        return self.fast

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        reader = self.reader(text)
        return reader.finditer(text) if reader is not None else iter(())

    def sub(self, replacement: str, text: str) -> str:
        reader = self.reader(text)
        return reader.sub(replacement, text) if reader is not None else text


def _words_pattern(phrase: str) -> str:
    return r"\s+".join(re.escape(w).replace("'", "['’]") for w in phrase.split())


def _emoji_count(text: str) -> int:
    import emoji  # 70 ms to import: only when a text is not plain ASCII

    return int(emoji.emoji_count(text))


def _group(match: re.Match[str]) -> int:
    """Which phrase of an alternation built by :func:`_alternation` matched (its groups are p0, p1…)."""
    return int((match.lastgroup or "p0")[1:])


def _host_allowed(host: str, allowed: frozenset[str]) -> bool:
    return host in allowed or any(host.endswith("." + h) for h in allowed)


class VoiceChecker:
    """The text rules of one guide for one brand, compiled once."""

    def __init__(self, voice: Voice, hosts: frozenset[str], brand_name: str = "", zone_names: tuple[str, ...] = (),
                 hours: Hours | None = None):
        self.voice = voice
        self.days = DayChecker(voice.language, hours)
        lang = voice.language.split("-")[0]
        self.lang = lang
        self.brand_hosts = hosts
        self.allowed_hosts = frozenset(hosts | voice.hosts)
        stock = dict(STOCK_PHRASES.get(lang, {}))
        stock.update({p.lower(): "" for p in voice.stock_phrases})
        self.stock_list = list(stock)
        self.stock_hints = stock
        self.stock = _alternation(self.stock_list)
        self.blame_list = [*BLAME_PHRASES.get(lang, ()), *(p.lower() for p in voice.blame_phrases)]
        self.blame = _alternation(self.blame_list)
        self.argue_list = [*ARGUMENTATIVE_PHRASES.get(lang, ()), *(p.lower() for p in voice.argumentative_phrases)]
        self.argue = _alternation(self.argue_list)
        self.words_list = list(voice.words)
        self.words = _alternation(self.words_list)
        reg = REGISTER.get(lang, {}).get(voice.register)
        self.register = (re.compile(reg[0], 0 if reg[2] else re.IGNORECASE), reg[1]) if reg else None
        names = {w.upper() for w in _WORD.findall(brand_name)}
        self.acronyms = ACRONYMS | voice.acronyms | names | {z.upper() for z in zone_names}
        self.cues: dict[str, re.Pattern[str]] = {}
        base = CUES.get(lang, CUES["en"])
        for element in ELEMENTS:
            parts = [base[element]] if element in base else []
            parts += [_phrase_pattern(p) for p in voice.cues.get(element, ())]
            if parts:
                self.cues[element] = re.compile("|".join(parts), re.IGNORECASE)

    def finding(self, rule: str, message: str, suggestion: str = "", span: tuple[int, int] = (-1, -1),
                 severity: str | None = None) -> Finding | None:
        level = self.voice.severities.get(rule) or severity or RULES[rule][0]
        if level == "off":
            return None
        return Finding(rule, level, message, suggestion, span)

    def check(self, text: str, role: str, *, campaign_utm: str | None = None,
              affected: tuple[str, ...] = (), links: bool = True, required: bool = True) -> list[Finding]:
        """Every finding for ``text`` published as ``role`` (a post kind, or an incident state:
        investigating, resolved, follow_up, maintenance.start…)."""
        text = text[:TEXT_READ]  # (a text longer than any limited network takes: its head)
        out: list[Finding | None] = []
        add = out.append
        incidentish = role in INCIDENT_ROLES or role.startswith("maintenance")
        bare = URL_RE.sub(" ", text)
        self._boilerplate(bare, add)
        self._wording(bare, incidentish, add)
        self._limits(text, bare, add)
        self._reordering(text, add, incidentish)
        if links:
            self._links(text, add, campaign_utm, incidentish)
        if required:
            out += self.missing(text, role, affected)
        return [f for f in out if f is not None]

    def _reordering(self, text: str, add: Callable[[Finding | None], None], incidentish: bool) -> None:
        """A bidirectional override, embedding or isolate (the first, and how many there are).  In
        an incident's or a maintenance window's text (component names, an alert's words) it is a
        warning unless the guide sets the rule: the engine never holds an outage notice for it."""
        from .textsafety import BIDI, describe

        first = BIDI.search(text)
        if first is None:
            return
        count = len(BIDI.findall(text))
        more = f" (and {count - 1} more: {count} such characters)" if count > 1 else ""
        add(self.finding("bidi", f"{describe(first.group())} at character {first.start() + 1}{more} reorders the "
                                 "text after it, so the post reads differently from its source (a 'Trojan Source' "
                                 "trick)", "remove it; U+200E and U+200F mark a direction where one is needed",
                         first.span(), "warning" if incidentish else None))

    def check_day(self, text: str, local: datetime) -> list[Finding]:
        """The day rules (:mod:`campaigns.days`) for ``text`` going out at ``local``: an aware time
        in the brand's zone."""
        out = []
        for rule, message, suggestion, span in self.days.check(text[:TEXT_READ], local):
            found = self.finding(rule, message, suggestion, span)
            if found is not None:
                out.append(found)
        return out

    def _boilerplate(self, bare: str, add: Callable[[Finding | None], None]) -> None:
        """Stock phrases, or a post that is nothing else (``bare``: the text without its links)."""
        if self.stock is None:
            return
        found = [(m.start(), m.end(), self.stock_list[_group(m)]) for m in self.stock.finditer(bare)]
        if not found:
            return
        rest = self.stock.sub(" ", _HASHTAG.sub(" ", bare))
        if len(_WORD.findall(rest)) < 3:
            add(self.finding("generic-post", f"the whole post is boilerplate ({found[0][2]!r})", _ASK, found[0][:2]))
            return
        for start, end, phrase in found:
            add(self.finding("stock-phrase", f"stock phrase {bare[start:end]!r}",
                             self.stock_hints.get(phrase) or _ASK, (start, end)))

    def _wording(self, bare: str, incidentish: bool, add: Callable[[Finding | None], None]) -> None:
        """Blame (in incidents), argument, the guide's words and its register."""
        if incidentish and self.blame is not None:
            for m in self.blame.finditer(bare):
                add(self.finding("blame", f"blame-shifting wording {m.group(0)!r}", _GENERIC_HINTS["blame"],
                                 (m.start(), m.end())))
        if self.argue is not None:
            for m in self.argue.finditer(bare):
                add(self.finding("argumentative", f"argumentative wording {m.group(0)!r}",
                                 _GENERIC_HINTS["argumentative"], (m.start(), m.end())))
        if self.words is not None:
            for m in self.words.finditer(bare):
                prefer = self.voice.words[self.words_list[_group(m)]]
                add(self.finding("word", f"the guide avoids {m.group(0)!r}",
                                 f"write {prefer!r}" if prefer else "leave it out", (m.start(), m.end())))
        if self.register is not None:
            pattern, hint = self.register
            found_register = pattern.search(bare)
            if found_register:
                add(self.finding("register", f"{found_register.group(0)!r} does not fit the {self.voice.register} "
                                             "register", hint, (found_register.start(), found_register.end())))

    def missing(self, text: str, role: str, affected: tuple[str, ...] = ()) -> list[Finding]:
        """The required elements ``text`` lacks for its role."""
        out = []
        for element in self.voice.required_for(role):
            if not self._has(element, text, affected):
                kind = ROLE_GROUP.get(role, role.split(".")[0]).replace("_", "-")
                article = "an" if kind[0] in "aeiou" else "a"
                found = self.finding("required", f"{article} {kind} post must {ELEMENTS[element]}",
                                      ELEMENT_HINTS[element])
                if found is not None:
                    out.append(found)
        return out

    def _has(self, element: str, text: str, affected: tuple[str, ...]) -> bool:
        if element == "affected" and any(a and a.lower() in text.lower() for a in affected):
            return True
        pattern = self.cues.get(element)
        return bool(pattern and pattern.search(_APOSTROPHE.sub("'", text)))

    def _limits(self, text: str, bare: str, add: Callable[[Finding | None], None]) -> None:
        limits = self.voice.limits
        shown = _HASHTAG.sub(" ", bare)
        counts = {
            "exclamations": (text.count("!"), limits.exclamations, "exclamation mark"),
            "caps": (sum(1 for w in _CAPS.findall(shown) if w not in self.acronyms), limits.caps_words,
                     "ALL-CAPS word"),
            "emoji": (0 if text.isascii() else _emoji_count(text), limits.emoji, "emoji"),
            "hashtags": (len(_HASHTAG.findall(bare)), limits.hashtags, "hashtag"),
        }
        for rule, (count, limit, noun) in counts.items():
            if count > limit:
                plural = "s" if limit != 1 and noun != "emoji" else ""
                add(self.finding(rule, f"{count} {noun}{'s' if count != 1 and noun != 'emoji' else ''}; "
                                        f"the guide allows {limit}", f"at most {limit} {noun}{plural}"))

    def _links(self, text: str, add: Callable[[Finding | None], None], campaign_utm: str | None,
               incidentish: bool) -> None:
        for m in URL_RE.finditer(text):
            url = m.group(0)
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            span = (m.start(), m.end())
            if host in SHORTENERS:
                add(self.finding("link-host", f"shortened link {host}: customers cannot see where it goes",
                                  "link the page itself", span))
                continue
            if not _host_allowed(host, self.allowed_hosts):
                add(self.finding("link-host", f"link to {host}, a host the brand has not listed",
                                  self._host_hint(host), span))
                continue
            if incidentish or self.voice.utm == "off" or not _host_allowed(host, self.brand_hosts):
                continue
            tags = dict(parse_qsl(parts.query))
            if campaign_utm is not None and tags.get("utm_campaign") not in (None, campaign_utm):
                add(self.finding("link-utm", f"link to {host} is tagged utm_campaign={tags['utm_campaign']}, "
                                              f"but the post belongs to {campaign_utm}",
                                  "leave the utm_ parameters out: Herald adds the campaign's", span))
            elif campaign_utm is None and self.voice.utm == "required" and "utm_campaign" not in tags:
                add(self.finding("link-utm", f"link to {host} has no UTM tags",
                                  "put the post in a campaign (its tags are added for you)", span))

    @cached_property
    def _host_names(self) -> list[str]:
        return sorted(self.allowed_hosts)

    def _host_hint(self, host: str) -> str:
        from .schemacheck import did_you_mean

        return did_you_mean(host, self._host_names) or "add it to brand.domains or voice.links.hosts if it is yours"
