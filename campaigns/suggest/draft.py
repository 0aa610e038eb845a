"""Drafting the campaign: one recurring post per answered topic, as calendar YAML.

Each post is ``tracking`` when its answer is the order-tracking link (or a tracking page),
``tip`` otherwise; it goes out on the topic's busiest weekdays, half an hour before the hour
its requests start to arrive (a quarter of an hour earlier for each post drafted before it that
would go out at that minute); its variants are written from the topic's own words, each topic
with its own few of its kind's templates (by its rank), and kept only when the brand's voice
guide finds nothing in them (the real :class:`VoiceChecker`);
its ``notes:`` hold the evidence.  The draft is merged into the calendar with ruamel.yaml's
round trip (comments, order and quoting kept), and the merged text is validated and linted
(:func:`campaigns.calendar.check`, :func:`campaigns.lint.lint`) before anyone may write it.
Pure: this module returns text; :mod:`scheduler.cli.suggest` writes it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidInput, Problem, Severity
from ..model import Calendar
from .answers import Match
from .topics import WEEKDAY_NAMES, Topic
from .words import strip_accents

__all__ = ["Draft", "DraftedPost", "Suggestion", "draft", "evidence"]

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CAMPAIGN = "suggested"
LINT_DAYS = 28

# A few sentences per kind and language, as a person would write them; {title} is the
# article's title (whole, or shortened at a word boundary), {link} the link.
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "tracking": {
        "en": ("Wondering where your order is? You can check its status any time: {link}",
               "No need to wait for an email: the latest on your delivery is always here {link}",
               "Where is my parcel? Follow every step of your order, from our warehouse to your door: {link}",
               "Ordered something from us? See where your parcel is right now: {link}",
               "Your delivery, step by step: check the latest status of your order here {link}"),
        "es": ("¿Te preguntas dónde está tu pedido? Consulta su estado cuando quieras: {link}",
               "No hace falta esperar un correo: el estado de tu envío siempre está aquí {link}",
               "¿Dónde está mi paquete? Sigue cada paso de tu pedido, del almacén a tu puerta: {link}",
               "¿Ya hiciste tu pedido? Mira dónde está tu paquete ahora mismo: {link}",
               "Tu entrega, paso a paso: consulta aquí el último estado de tu pedido {link}"),
        "de": ("Wo bleibt meine Bestellung? Den aktuellen Stand siehst du jederzeit hier: {link}",
               "Du musst nicht auf eine E-Mail warten: Den Status deiner Lieferung findest du immer hier {link}",
               "Wo ist mein Paket? Verfolge jeden Schritt deiner Bestellung, vom Lager bis zu dir: {link}",
               "Schon bei uns bestellt? Hier siehst du, wo dein Paket gerade ist: {link}",
               "Deine Lieferung Schritt für Schritt: Den aktuellen Stand deiner Bestellung findest du hier {link}"),
        "fr": ("Vous vous demandez où en est votre commande ? Suivez-la à tout moment : {link}",
               "Pas besoin d'attendre un e-mail : l'état de votre livraison est toujours ici {link}",
               "Où est mon colis ? Suivez chaque étape de votre commande, de l'entrepôt à votre porte : {link}",
               "Vous avez commandé chez nous ? Voyez où se trouve votre colis en ce moment : {link}",
               "Votre livraison, étape par étape : le dernier état de votre commande est ici {link}"),
        "it": ("Ti chiedi dove sia il tuo ordine? Puoi controllarne lo stato in qualsiasi momento: {link}",
               "Non serve aspettare un'e-mail: lo stato della tua spedizione è sempre qui {link}",
               "Dov'è il mio pacco? Segui ogni passo del tuo ordine, dal nostro magazzino alla tua porta: {link}",
               "Hai ordinato da noi? Guarda dove si trova il tuo pacco in questo momento: {link}",
               "La tua consegna, passo dopo passo: l'ultimo stato del tuo ordine è qui {link}"),
        "pt": ("Quer saber onde está o seu pedido? Consulte o estado dele sempre que quiser: {link}",
               "Não precisa de esperar por um e-mail: o estado da sua entrega está sempre aqui {link}",
               "Onde está o meu pacote? Acompanhe cada etapa do seu pedido, do nosso armazém até à sua porta: {link}",
               "Fez uma encomenda connosco? Veja onde está o seu pacote neste momento: {link}",
               "A sua entrega, passo a passo: o estado mais recente do seu pedido está aqui {link}"),
        "pt-br": ("Quer saber onde está o seu pedido? Acompanhe o status dele quando quiser: {link}",
                  "Não precisa esperar um e-mail: o status da sua entrega está sempre aqui {link}",
                  "Cadê meu pacote? Acompanhe cada etapa do seu pedido, do nosso estoque até a sua porta: {link}",
                  "Fez um pedido com a gente? Veja onde está o seu pacote agora mesmo: {link}",
                  "Sua entrega, passo a passo: o status mais recente do seu pedido está aqui {link}"),
        "nl": ("Benieuwd waar je bestelling is? Je kunt de status altijd bekijken: {link}",
               "Je hoeft niet op een e-mail te wachten: hoe het met je levering staat, zie je altijd hier {link}",
               "Waar is mijn pakket? Volg elke stap van je bestelling, van ons magazijn tot aan je deur: {link}",
               "Iets bij ons besteld? Bekijk waar je pakket nu is: {link}",
               "Je levering, stap voor stap: de laatste status van je bestelling vind je hier {link}"),
        "pl": ("Zastanawiasz się, gdzie jest Twoje zamówienie? Sprawdź jego status w dowolnej chwili: {link}",
               "Nie musisz czekać na e-mail: aktualny status dostawy zawsze znajdziesz tutaj {link}",
               "Gdzie jest moja paczka? Śledź każdy etap zamówienia, od naszego magazynu aż do Twoich drzwi: {link}",
               "Masz u nas zamówienie? Zobacz, gdzie jest teraz Twoja paczka: {link}",
               "Twoja dostawa krok po kroku: najnowszy status zamówienia znajdziesz tutaj {link}"),
        "sv": ("Undrar du var din beställning är? Du kan se statusen när som helst: {link}",
               "Du behöver inte vänta på ett mejl: det senaste om din leverans finns alltid här {link}",
               "Var är mitt paket? Följ varje steg i din beställning, från vårt lager till din dörr: {link}",
               "Har du beställt från oss? Se var ditt paket är just nu: {link}",
               "Din leverans steg för steg: den senaste statusen för din beställning hittar du här {link}"),
    },
    "tip": {
        "en": ("You ask us this often, so we wrote it all down: “{title}” {link}",
               "Before you write to us: our guide “{title}” has the answer, step by step {link}",
               "Good to know: “{title}”. Everything you need is here {link}",
               "A question we hear a lot, answered in full: “{title}” {link}",
               "Quick help from our team: “{title}”, explained simply {link}"),
        "es": ("Nos lo preguntan a menudo, así que lo explicamos paso a paso: «{title}» {link}",
               "Antes de escribirnos: nuestra guía «{title}» tiene la respuesta {link}",
               "Para que lo tengas a mano: «{title}». Todo lo que necesitas está aquí {link}",
               "Una pregunta que nos hacen mucho, con la respuesta completa: «{title}» {link}",
               "Ayuda rápida de nuestro equipo: «{title}», explicado de forma sencilla {link}"),
        "de": ("Das fragt ihr uns oft, deshalb haben wir alles aufgeschrieben: „{title}“ {link}",
               "Bevor du uns schreibst: Unsere Anleitung „{title}“ hat die Antwort, Schritt für Schritt {link}",
               "Gut zu wissen: „{title}“. Alles, was du brauchst, findest du hier {link}",
               "Eine Frage, die wir oft hören, ausführlich beantwortet: „{title}“ {link}",
               "Schnelle Hilfe von unserem Team: „{title}“, einfach erklärt {link}"),
        "fr": ("Vous nous posez souvent la question, alors nous avons tout expliqué : « {title} » {link}",
               "Avant de nous écrire : notre guide « {title} » a la réponse, étape par étape {link}",
               "Bon à savoir : « {title} ». Tout est ici {link}",
               "Une question que l'on nous pose souvent, avec une réponse complète : « {title} » {link}",
               "Un coup de main de notre équipe : « {title} », expliqué simplement {link}"),
        "it": ("Ce lo chiedete spesso, così abbiamo spiegato tutto: «{title}» {link}",
               "Prima di scriverci: la nostra guida «{title}» ha la risposta, passo dopo passo {link}",
               "Buono a sapersi: «{title}». Tutto quello che ti serve è qui {link}",
               "Una domanda che ci fate spesso, con la risposta completa: «{title}» {link}",
               "Un aiuto veloce dal nostro team: «{title}», spiegato in modo semplice {link}"),
        "pt": ("Perguntam-nos isto muitas vezes, por isso explicamos tudo: «{title}» {link}",
               "Antes de nos escrever: o nosso guia «{title}» tem a resposta, passo a passo {link}",
               "Bom saber: «{title}». Tudo o que precisa está aqui {link}",
               "Uma pergunta que ouvimos muitas vezes, com a resposta completa: «{title}» {link}",
               "Uma ajuda rápida da nossa equipa: «{title}», explicado de forma simples {link}"),
        "pt-br": ("Vocês perguntam muito isso, então explicamos tudo: “{title}” {link}",
                  "Antes de mandar mensagem: o nosso guia “{title}” tem a resposta, passo a passo {link}",
                  "Bom saber: “{title}”. Tudo o que você precisa está aqui {link}",
                  "Uma pergunta que recebemos bastante, com a resposta completa: “{title}” {link}",
                  "Uma ajuda rápida do nosso time: “{title}”, explicado de um jeito simples {link}"),
        "nl": ("Dit vragen jullie ons vaak, dus we hebben alles op een rij gezet: “{title}” {link}",
               "Voordat je ons mailt: onze uitleg “{title}” geeft het antwoord, stap voor stap {link}",
               "Goed om te weten: “{title}”. Alles wat je nodig hebt, vind je hier {link}",
               "Een vraag die we vaak krijgen, helemaal beantwoord: “{title}” {link}",
               "Snelle hulp van ons team: “{title}”, eenvoudig uitgelegd {link}"),
        "pl": ("Często o to pytacie, więc wszystko opisaliśmy: „{title}” {link}",
               "Zanim do nas napiszesz: nasz poradnik „{title}” ma odpowiedź, krok po kroku {link}",
               "Warto wiedzieć: „{title}”. Wszystko, czego potrzebujesz, znajdziesz tutaj {link}",
               "Pytanie, które często słyszymy, z pełną odpowiedzią: „{title}” {link}",
               "Szybka pomoc od naszego zespołu: „{title}”, wszystko prosto wyjaśnione {link}"),
        "sv": ("Det här frågar ni oss ofta, så vi har skrivit ner allt: ”{title}” {link}",
               "Innan du skriver till oss: vår guide ”{title}” har svaret, steg för steg {link}",
               "Bra att veta: ”{title}”. Allt du behöver finns här {link}",
               "En fråga vi ofta får, med hela svaret: ”{title}” {link}",
               "Snabb hjälp från vårt team: ”{title}”, enkelt förklarat {link}"),
    },
}
# When the title itself trips the voice guide (an all-caps word, a word the guide avoids): without it.
# Also when the article is not written in the post's language: its title would mix two languages.
PLAIN = {
    "en": ("You ask us this often, so we wrote it all down, step by step: {link}",
           "Before you write to us: the answer is already in our help centre {link}",
           "A question we hear a lot, answered in full in our help centre: {link}",
           "Quick help from our team, explained simply: {link}"),
    "es": ("Nos lo preguntan a menudo, así que lo explicamos paso a paso: {link}",
           "Antes de escribirnos: la respuesta ya está en nuestro centro de ayuda {link}",
           "Una pregunta que nos hacen mucho, con la respuesta completa en nuestro centro de ayuda: {link}",
           "Ayuda rápida de nuestro equipo, explicada de forma sencilla: {link}"),
    "de": ("Das fragt ihr uns oft, deshalb haben wir alles Schritt für Schritt aufgeschrieben: {link}",
           "Bevor du uns schreibst: Die Antwort steht schon in unserem Hilfe-Center {link}",
           "Eine Frage, die wir oft hören, ausführlich beantwortet in unserem Hilfe-Center: {link}",
           "Schnelle Hilfe von unserem Team, einfach erklärt: {link}"),
    "fr": ("Vous nous posez souvent la question, alors nous avons tout expliqué, étape par étape : {link}",
           "Avant de nous écrire : la réponse est déjà dans notre centre d'aide {link}",
           "Une question que l'on nous pose souvent, avec une réponse complète dans notre centre d'aide : {link}",
           "Un coup de main de notre équipe, expliqué simplement : {link}"),
    "it": ("Ce lo chiedete spesso, così abbiamo spiegato tutto passo dopo passo: {link}",
           "Prima di scriverci: la risposta è già nel nostro centro assistenza {link}",
           "Una domanda che ci fate spesso, con la risposta completa nel nostro centro assistenza: {link}",
           "Un aiuto veloce dal nostro team, spiegato in modo semplice: {link}"),
    "pt": ("Perguntam-nos isto muitas vezes, por isso explicamos tudo passo a passo: {link}",
           "Antes de nos escrever: a resposta já está no nosso centro de ajuda {link}",
           "Uma pergunta que ouvimos muitas vezes, com a resposta completa no nosso centro de ajuda: {link}",
           "Uma ajuda rápida da nossa equipa, explicada de forma simples: {link}"),
    "pt-br": ("Vocês perguntam muito isso, então explicamos tudo passo a passo: {link}",
              "Antes de mandar mensagem: a resposta já está na nossa central de ajuda {link}",
              "Uma pergunta que recebemos bastante, com a resposta completa na nossa central de ajuda: {link}",
              "Uma ajuda rápida do nosso time, explicada de um jeito simples: {link}"),
    "nl": ("Dit vragen jullie ons vaak, dus we hebben alles stap voor stap uitgelegd: {link}",
           "Voordat je ons mailt: het antwoord staat al in ons helpcentrum {link}",
           "Een vraag die we vaak krijgen, helemaal beantwoord in ons helpcentrum: {link}",
           "Snelle hulp van ons team, eenvoudig uitgelegd: {link}"),
    "pl": ("Często o to pytacie, więc wszystko opisaliśmy krok po kroku: {link}",
           "Zanim do nas napiszesz: odpowiedź jest już w naszym centrum pomocy {link}",
           "Pytanie, które często słyszymy, z pełną odpowiedzią w naszym centrum pomocy: {link}",
           "Szybka pomoc od naszego zespołu, prosto wyjaśniona: {link}"),
    "sv": ("Det här frågar ni oss ofta, så vi har skrivit ner allt steg för steg: {link}",
           "Innan du skriver till oss: svaret finns redan i vårt hjälpcenter {link}",
           "En fråga vi ofta får, med hela svaret i vårt hjälpcenter: {link}",
           "Snabb hjälp från vårt team, enkelt förklarat: {link}"),
}
TITLE_LIMIT = 60
CHOSEN = 3  # wordings of a topic's post in each language (of each table's five, from the topic's rank on)
SPREAD = 15  # minutes earlier a post goes out for each drafted before it at the same minute


@dataclass
class Suggestion:
    """A topic with its ranked answers (best first)."""

    topic: Topic
    matches: list[Match]

    @property
    def answer(self) -> Match | None:
        return self.matches[0] if self.matches and self.matches[0].good else None


@dataclass
class DraftedPost:
    id: str
    kind: str
    rrule: str
    variants: list[str]
    notes: str
    suggestion: Suggestion
    dropped: list[str] = field(default_factory=list)  # variants the voice guide flagged, with why
    shift: int = 0  # minutes earlier than the topic's time: a post drafted before it goes out then


@dataclass
class Draft:
    posts: list[DraftedPost]
    campaign: str
    fragment: str  # the campaign and posts alone, as calendar YAML
    merged: str  # the whole calendar with them appended (comments kept)
    calendar: Calendar  # the merged calendar, validated
    warnings: list[Problem] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # posts an earlier run drafted for these topics (not again)


def _hours(hours: tuple[int, ...]) -> str:
    return ", ".join(f"{h:02d}:00" for h in hours)


def evidence(s: Suggestion, first: date | None, last: date | None) -> str:
    """The evidence behind a topic, in one paragraph (the post's ``notes:``)."""
    t = s.topic
    period = f" from {first} to {last}" if first and last else ""
    parts = [f"herald suggest: {t.count} requests ({t.share:.0%}){period}"]
    if len(t.languages) > 1:
        parts.append("in " + ", ".join(f"{code} {n}" for code, n in t.languages.items()))
    if t.trend:
        parts.append(t.trend)
    if t.hours:
        parts.append(f"peak hours {_hours(t.hours)}")
    if t.weekdays:
        parts.append("busiest on " + ", ".join(WEEKDAY_NAMES[d] for d in t.weekdays))
    parts.append("e.g. " + "; ".join(f'"{e}"' for e in t.examples))
    if s.answer is not None:
        parts.append(f"answer: {s.answer.answer.title} <{s.answer.answer.url}> (similarity {s.answer.score:.2f})")
    return ", ".join(parts)


def _slug(words: tuple[str, ...]) -> str:
    text = strip_accents("-".join(words[:4]).lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "topic"


def shorten_title(title: str, limit: int = TITLE_LIMIT) -> str:
    """An article's title for a post: whole, or its first clause, or cut at a word boundary
    with an ellipsis; never cut inside a word."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    for sep in (": ", "? ", " - ", " – "):
        head = title.split(sep)[0]
        if 12 <= len(head) <= limit and head != title:
            return head + ("?" if sep == "? " else "")
    return title[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:-–") + "…"


def _schedule(t: Topic, single: bool = False, shift: int = 0) -> str:
    days = (t.weekdays or (0, 3))[:1 if single else 2]
    hour = t.hours[0] if t.hours else 10
    if t.hours:  # the first hour of the busiest block: requests start to arrive then
        while hour - 1 in t.hours:
            hour -= 1
    monday = date(2026, 1, 5)
    at = datetime.combine(monday, time(hour)) - timedelta(minutes=30 + shift)
    # half an hour before a peak at midnight is the evening before: the day before, not 23 hours later
    days = tuple((d + (at.date() - monday).days) % 7 for d in days)
    return f"FREQ=WEEKLY;BYDAY={','.join(BYDAY[d] for d in sorted(days))};BYHOUR={at.hour};BYMINUTE={at.minute}"


def _times(rrule: str) -> set[tuple[str, int, int]]:
    """The weekly minutes a drafted rule goes out at: (day, hour, minute)."""
    parts = dict(p.split("=", 1) for p in rrule.split(";"))
    return {(day, int(parts["BYHOUR"]), int(parts["BYMINUTE"])) for day in parts["BYDAY"].split(",")}


def _drafted_times(calendar: Calendar) -> set[tuple[str, int, int]]:
    """The minutes the posts an earlier run drafted (in the calendar now) go out at."""
    out: set[tuple[str, int, int]] = set()
    for post in calendar.posts:
        if (post.campaign or "").startswith(CAMPAIGN):
            try:
                out |= _times(post.series.rule_text)
            except (KeyError, ValueError):
                continue  # edited by hand into another shape of rule: not one of ours to spread from
    return out


def _spread(posts: list[DraftedPost], taken: set[tuple[str, int, int]]) -> None:
    """No two drafted posts at the same minute (``taken``: those an earlier run's posts go out
    at): a post whose topic peaks when an earlier one's does goes out :data:`SPREAD` minutes
    earlier, and again, until its minutes are free."""
    for p in posts:
        for shift in range(0, 24 * 60, SPREAD):
            rrule = _schedule(p.suggestion.topic, shift=shift)
            if not _times(rrule) & taken:
                p.shift, p.rrule = shift, rrule
                break
        taken |= _times(p.rrule)


def language_of(calendar: Calendar) -> str:
    """The language drafted posts are written in: the voice guide's, else the brand's."""
    code = (calendar.brand.voice.language or calendar.brand.language or "en").split("-")[0].lower()
    return code if code in TEMPLATES["tip"] else "en"


def _untranslated(calendar: Calendar, language: str) -> list[Problem]:
    """The warning that the drafts are not in the calendar's language (no templates in it): never in silence."""
    asked = (calendar.brand.voice.language or calendar.brand.language or "en").split("-")[0].lower()
    if asked == language:
        return []
    return [Problem(calendar.path, 0, 0, f"no post templates in {asked!r}: the drafted posts are in English",
                    "translate them by hand before they go out", severity=Severity.WARNING)]


# words of a page's address that make it an order-tracking page ("/track", "/order-tracking", "/suivi-commande")
_TRACKING_WORDS = frozenset({"track", "tracking", "tracker", "trace", "wismo", "sendungsverfolgung", "suivi",
                             "seguimiento", "rastreo", "rastreamento", "tracciamento", "sledzenie", "sledovani"})


def kind_of(match: Match) -> str:
    """``tracking`` when the answer is the order-tracking link or a tracking page (a word of its
    address says so: "soundtrack" does not), else ``tip``."""
    if match.answer.link == "order_tracking":
        return "tracking"
    path = strip_accents(urlsplit(match.answer.url).path.lower())
    return "tracking" if _TRACKING_WORDS & set(re.split(r"[^a-z0-9]+", path)) else "tip"


def answer_in(s: Suggestion, language: str) -> Match | None:
    """The topic's answer to link to in ``language``: the calendar's link when its topic has
    one, else the article's translation in that language, else the article."""
    own = [m for m in s.matches if m.good]
    if not own:
        return None
    return next((m for m in own if m.answer.link), None) or \
        next((m for m in own if m.answer.language == language), None) or own[0]


@dataclass
class _Wording:
    """What a post's texts are made of, in one language."""

    language: str
    link: str  # as written in the calendar: {links.NAME} or the URL
    url: str  # as published
    title: str  # '' when the article is in another language
    table: str = ""  # the templates' language, when not ``language``: Brazilian Portuguese ("pt-br")


def _wordings(calendar: Calendar, s: Suggestion, language: str) -> list[_Wording]:
    """The calendar's language first, then each other language a fifth of the topic's
    requests are written in (one topic, one post: its languages are its variants)."""
    out = []
    total = sum(s.topic.languages.values()) or 1
    others = [code for code, n in s.topic.languages.items() if code != language and n >= 0.2 * total]
    for code in (language, *others):
        if code not in TEMPLATES["tip"]:
            continue
        match = answer_in(s, code)
        if match is None or (code != language and not match.answer.link and match.answer.language != code):
            continue
        answer = match.answer
        link = f"{{links.{answer.link}}}" if answer.link else answer.url
        url = calendar.brand.links.get(answer.link, answer.url) if answer.link else answer.url
        title = shorten_title(answer.title[:1].upper() + answer.title[1:])
        out.append(_Wording(code, link, url, title if _titled(answer, code) else "", _table(calendar, code)))
    return out


# the zones of Brazil: a shop there writing "pt" writes Brazilian Portuguese ("status", "time", "você")
_BRAZIL = frozenset(f"America/{z}" for z in ("Sao_Paulo", "Fortaleza", "Recife", "Bahia", "Belem", "Manaus", "Cuiaba",
                                             "Campo_Grande", "Porto_Velho", "Boa_Vista", "Rio_Branco", "Araguaina",
                                             "Maceio", "Santarem", "Noronha", "Eirunepe"))


def _table(calendar: Calendar, language: str) -> str:
    """The templates a post in ``language`` takes: Brazilian Portuguese for a calendar whose language
    says so ("pt-BR") or, saying "pt", whose brand is in Brazil; else the language's own."""
    if language != "pt":
        return language
    said = (calendar.brand.voice.language or calendar.brand.language or "").lower()
    return "pt-br" if said == "pt-br" or (said == "pt" and str(calendar.brand.timezone) in _BRAZIL) else "pt"


def _titled(answer: Any, language: str) -> bool:
    """Whether a post in ``language`` may quote the answer's title: an article's in its own
    language; a calendar link's name ("size_guide": "Size guide") in an English post only, as
    the name is a key of the calendar, written in English or in ASCII ("groessentabelle"), in no
    language a German post could quote it as a title in."""
    if answer.link:
        return language == "en"
    return answer.language in ("", language)


def _chosen(table: tuple[str, ...], index: int) -> tuple[str, ...]:
    """A table's wordings from the ``index``-th on (the topic's rank), the rest after them:
    each topic its own first few, so that a drafted campaign does not open every post with one
    sentence."""
    start = index % len(table) if table else 0
    return table[start:] + table[:start]


def _candidates(kind: str, w: _Wording, index: int = 0) -> list[list[str]]:
    """Each of the topic's templates' wordings, best first: with the title, with the title's
    bracket left out, without the title.  A title's braces are written ``{{`` and ``}}``, as
    the calendar writes literal braces: "Your {brand.name} invoice" is published as written."""
    plain_title = re.sub(r"\s*\([^)]*\)", "", w.title).strip()
    w = replace(w, title=_literal(w.title))
    plain_title = _literal(plain_title)
    plain = _chosen(PLAIN.get(w.table or w.language, ()), index)
    if kind == "tip" and not w.title:
        return [[p.format(link=w.link)] for p in plain]
    out = []
    for template in _chosen(TEMPLATES[kind].get(w.table or w.language, ()), index):
        tries = [template.format(title=w.title, link=w.link)]
        if "{title}" in template:
            if plain_title and plain_title != w.title:
                tries.append(template.format(title=plain_title, link=w.link))
            tries += [p.format(link=w.link) for p in plain]
        out.append(tries)
    return out


def _literal(text: str) -> str:
    """``text`` in a post's text: its braces doubled (the calendar's template fields are in braces)."""
    return text.replace("{", "{{").replace("}", "}}")


def _variants(checker: Any, kind: str, wordings: list[_Wording], campaign: str,
              index: int = 0) -> tuple[list[str], list[str]]:
    """The variants the voice guide finds nothing in (each template reworded until it passes,
    :data:`CHOSEN` in each language, the topic's own first), and, for each template that could
    not be saved, the rule it broke."""
    kept: list[str] = []
    dropped: list[str] = []
    for w in wordings:
        enough = len(kept) + CHOSEN
        for tries in _candidates(kind, w, index):
            if len(kept) >= enough:
                break
            why = ""
            for text in tries:
                findings = checker.check(text.replace(w.link, w.url), kind, campaign_utm=campaign)
                if not findings:
                    if text not in kept:
                        kept.append(text)
                    break
                why = why or f"{text!r}: " + "; ".join(f"{f.rule}: {f.message}" for f in findings)
            else:
                dropped.append(why)
    return kept, dropped


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.representer.add_representer(  # `key: null` stays `null` (ruamel would leave it empty)
        type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def draft(calendar: Calendar, text: str, suggestions: list[Suggestion], starts: date,
          first: date | None = None, last: date | None = None) -> Draft:
    """The campaign for ``suggestions`` (the answered ones), merged into the calendar ``text``.

    A topic whose every wording breaks the voice guide, or a post lint still finds an error
    in, is left out and reported in ``warnings`` with the rule it broke (never in silence).

    :raises InvalidInput: the merged calendar does not validate (nothing may be written then)."""
    from ..lint import checker_for

    checker = checker_for(calendar)
    taken = {p.id for p in calendar.posts}
    campaign = CAMPAIGN
    while campaign in calendar.campaigns:
        campaign = f"{campaign}-{len(campaign)}"
    accounts = [n for n, a in calendar.networks.items() if a.enabled] or list(calendar.networks)
    language = language_of(calendar)
    posts: list[DraftedPost] = []
    reported: list[Problem] = _untranslated(calendar, language)
    drafted = {p.id for p in calendar.posts if (p.campaign or "").startswith(CAMPAIGN)}
    already: list[str] = []
    for index, s in enumerate(suggestions):
        pid = _base_id(s, language)
        if pid in drafted:  # an earlier run's post for this topic (--append again): not a second one
            already.append(pid)
            continue
        post = _post(calendar, checker, s, language, campaign, taken, (first, last), index)
        if isinstance(post, Problem):
            reported.append(post)
        elif post is not None:
            posts.append(post)
    _spread(posts, _drafted_times(calendar))
    posts, problems, merged_calendar, fragment_text, merged = _settle(calendar, text, posts, campaign, accounts,
                                                                      starts, reported)
    return Draft(posts, campaign, fragment_text, merged, merged_calendar, problems, already)


def _base_id(s: Suggestion, language: str) -> str:
    """The id a topic's post is drafted under (before a number makes it unique), '' without an answer."""
    match = answer_in(s, language)
    if match is None:
        return ""
    # the answer names the post, so a later run (another --from, more requests) finds it again: an
    # article by the first words of its title, a calendar link by its name (a topic's words vary)
    answer = match.answer
    named = tuple(re.findall(r"\w+", (answer.link.replace("_", " ") or answer.title).lower()))[:4]
    return f"suggest-{_slug(named)}"


def _post(calendar: Calendar, checker: Any, s: Suggestion, language: str, campaign: str, taken: set[str],
          period: tuple[date | None, date | None], index: int = 0) -> DraftedPost | Problem | None:
    """The post for the ``index``-th topic, or the reason it has none (the rule its wordings broke)."""
    match = answer_in(s, language)
    if match is None:
        return None
    kind = kind_of(match)
    pid = base = _base_id(s, language)
    n = 2
    while pid in taken:
        pid, n = f"{base}-{n}", n + 1
    taken.add(pid)
    kept, dropped = _variants(checker, kind, _wordings(calendar, s, language), campaign, index)
    if len(kept) < 2:  # a weekly post needs at least two wordings (repetition window)
        return Problem(calendar.path, 0, 0, f"no post drafted for the topic {s.topic.label!r} "
                       f"({s.topic.count} requests, answer {match.answer.url}): every wording breaks the voice guide",
                       "; ".join(dropped))
    return DraftedPost(pid, kind, _schedule(s.topic), kept[:6], evidence(s, *period), s, dropped)


def _settle(calendar: Calendar, text: str, posts: list[DraftedPost], campaign: str, accounts: list[str],
            starts: date, reported: list[Problem]) -> tuple[list[DraftedPost], list[Problem], Calendar, str, str]:
    """Merge and lint; a post that repeats itself too soon goes out on its busiest day only; a
    post lint still finds an error in is left out and reported with the rule it broke."""
    for _ in range(3):
        posts, fragment_text, merged, merged_calendar, problems = _merge(calendar, text, posts, campaign, accounts,
                                                                         starts, reported)
        errors = [p for p in problems if p.severity == "error"]
        if not errors:
            return posts, reported + problems, merged_calendar, fragment_text, merged
        kept = []
        for p in posts:
            blamed = [e for e in errors if _blames(merged_calendar, p.id, e)]
            single = _schedule(p.suggestion.topic, single=True, shift=p.shift)
            if blamed and p.rrule != single:
                p.rrule = single
            elif blamed:
                reported.append(Problem(calendar.path, 0, 0, f"post {p.id} left out: "
                                        + "; ".join(e.message for e in blamed), "reword it by hand"))
                continue
            kept.append(p)
        posts = kept
    posts, fragment_text, merged, merged_calendar, problems = _merge(calendar, text, posts, campaign, accounts,
                                                                     starts, reported)
    return posts, reported + problems, merged_calendar, fragment_text, merged


def _blames(calendar: Calendar, pid: str, problem: Problem) -> bool:
    """Whether a lint finding is about the drafted post ``pid``: it is about it, or on one of its lines."""
    return pid in problem.posts or _on_post(calendar, pid, problem)


def _on_post(calendar: Calendar, pid: str, problem: Problem) -> bool:
    post = calendar.post(pid)
    return post is not None and any(tpl.line == problem.line for ts in post.texts.values() for tpl in ts)


def _merge(calendar: Calendar, text: str, posts: list[DraftedPost], campaign: str, accounts: list[str],
           starts: date, reported: list[Problem]) -> tuple[list[DraftedPost], str, str, Calendar, list[Problem]]:
    """The posts kept, the fragment, the merged calendar's text and value, and the lint findings
    about the drafted posts.  A post the merged calendar does not validate with is left out and
    reported (in ``reported``) with its topic and the reason, never as a place in the calendar.

    :raises InvalidInput: the calendar does not validate for a reason no drafted post explains."""
    from ..calendar import check

    while True:
        yaml = _yaml()
        fragment = _fragment(posts, campaign, accounts, starts)
        merged = _dumped(yaml, _merged(calendar, yaml.load(text), fragment, campaign))
        result = check(calendar.path, merged)
        if result.value is not None and not result.errors:
            return posts, _dumped(yaml, fragment), merged, result.value, _findings(result.value, posts, starts)
        blamed = _invalid(merged, posts, result.errors)
        if not blamed:
            raise InvalidInput([Problem(p.path, p.line, p.col, f"the drafted calendar does not validate: {p.message}",
                                        p.hint) for p in result.errors])
        for p in posts:
            if p.id in blamed:
                reported.append(Problem(calendar.path, 0, 0, f"no post drafted for the topic "
                                        f"{p.suggestion.topic.label!r} ({p.suggestion.topic.count} requests): "
                                        + "; ".join(blamed[p.id]), "reword it by hand"))
        posts = [p for p in posts if p.id not in blamed]


def _invalid(merged: str, posts: list[DraftedPost], errors: list[Problem]) -> dict[str, list[str]]:
    """The drafted posts the validation errors are about (by the lines they span in ``merged``): id → reasons."""
    from ruamel.yaml import YAML

    doc = YAML().load(merged)
    items = doc["posts"]
    ours = {str(item.get("id")): items.lc.item(i)[0] + 1 for i, item in enumerate(items)
            if isinstance(item, dict) and item.get("id") in {p.id for p in posts}}
    starts = [items.lc.item(i)[0] + 1 for i in range(len(items))] + [doc.lc.key(k)[0] + 1 for k in doc]
    blamed: dict[str, list[str]] = {}
    for e in errors:
        for pid, first in ours.items():
            end = min((line for line in starts if line > first), default=len(merged.splitlines()) + 1)
            if pid in e.posts or first <= e.line < end:
                blamed.setdefault(pid, []).append(e.message)
    return blamed


def _dumped(yaml: Any, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _fragment(posts: list[DraftedPost], campaign: str, accounts: list[str], starts: date) -> Any:
    """The drafted campaign and its posts, as calendar YAML (double-quoted texts and rules)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Quoted

    fragment = CommentedMap()
    fragment["campaigns"] = CommentedMap({campaign: CommentedMap(
        [("title", "Drafted by herald suggest: answers to what customers ask most"),
         ("starts", starts), ("networks", CommentedSeq(accounts)),
         ("utm_campaign", "herald-suggest")])})
    fragment["campaigns"][campaign]["networks"].fa.set_flow_style()
    fragment["posts"] = CommentedSeq(
        CommentedMap([("id", p.id), ("kind", p.kind), ("campaign", campaign), ("rrule", Quoted(p.rrule)),
                      ("variants", CommentedSeq(Quoted(v) for v in p.variants)), ("notes", p.notes)])
        for p in posts)
    return fragment


def _merged(calendar: Calendar, doc: Any, fragment: Any, campaign: str) -> Any:
    """The calendar's document with the fragment's campaign and posts added (comments kept)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(doc, dict):
        raise InvalidInput([Problem(calendar.path, 1, 1, "the calendar must be a mapping")])
    if doc.get("campaigns") is None:
        doc["campaigns"] = CommentedMap()
    doc["campaigns"][campaign] = fragment["campaigns"][campaign]
    if doc.get("posts") is None:
        doc["posts"] = CommentedSeq()
    for item in fragment["posts"]:
        doc["posts"].append(item)
    return doc


def _findings(merged: Calendar, posts: list[DraftedPost], starts: date) -> list[Problem]:
    """Lint's findings about the drafted posts: on their lines, or naming them."""
    from ..lint import lint

    ours = {p.id for p in posts}
    lines = {tpl.line for pid in ours if (post := merged.post(pid)) is not None
             for templates in post.texts.values() for tpl in templates}
    start = datetime.combine(starts, time(), merged.brand.tz)
    report = lint(merged, start, start + timedelta(days=LINT_DAYS))
    return [p for p in report.problems if p.line in lines or ours.intersection(p.posts)]
