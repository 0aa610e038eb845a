"""What the customer asked, and nothing else: cleaning a request before it is counted.

A helpdesk export holds much more than the question: chat and messaging transcripts (the
bot's greeting, the agent's lines, "Chat started", "URL:", "Chat length"), quoted replies and
forwarded mail (the shop's own order confirmation, whatever the ticket is about), signatures
("Sent from my iPhone", a company's register entry), greetings and closings, HTML, order and
tracking numbers, e-mail addresses.  :func:`clean` keeps the customer's own lines;
:func:`noise_kind` says when what is left is not a question at all (an out-of-office reply,
a thank-you note, an empty messaging session); :class:`Boilerplate` learns from the file
itself the lines that recur across many requests whatever they ask (a bot's menu, a
signature) so they are not taken for a topic.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from html import unescape
from typing import Any, cast

__all__ = ["Boilerplate", "Folded", "clean", "clean_lines", "line_key", "noise_kind", "redact_ids"]

# Characters whose lowercase (``str.lower``) is not what a case-insensitive pattern takes them for:
# "İ" lowercases to two characters, a final "Σ" to "ς", and these are the second forms of letters
# that ``re`` matches as the first ("ı" as "i", "ſ" as "s", "µ" as "μ", "ς" as "σ"; ``re._casefix``)
UNFOLDED = frozenset("İΣµıſ\u0345ΐΰςϐϑϕϖϰϱϵ\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1c88"
                     "\u1e9b\u1fbe\u1fd3\u1fe3\ufb05\ufb06")


class Folded:
    """A case-insensitive pattern (``(?i)`` and lowercase letters only) searched in lowercased text
    without its ``(?i)``: the same matches, at the same places, five times faster (Python's ``re``
    compares each character in both cases at every place it tries).  A text holding one of the
    :data:`UNFOLDED` characters is searched with the pattern as written.  The matches of the fast
    path are of the lowercased text."""

    def __init__(self, pattern: str):
        self.pattern = re.compile(pattern)
        body = pattern.removeprefix("(?i)")
        letters = re.sub(r"\\.|\(\?P[<=]", "", body)
        # "[ıi]" is as good as "i": a text holding "ı" takes the slow path
        plain = re.sub(r"\[[^]]*\]", lambda m: "" if all(c.upper().lower() in m[0] for c in m[0] if c in UNFOLDED)
                       else m[0], letters)
        lower = body != pattern and letters == letters.lower() and UNFOLDED.isdisjoint(plain) and _plain(body)
        self.folded = _trie(body) if lower else None

    def _text(self, text: str) -> tuple[re.Pattern[str], str]:
        if self.folded is not None and (text.isascii() or UNFOLDED.isdisjoint(text)):
            return self.folded, text.lower()
        return self.pattern, text

    def search(self, text: str) -> re.Match[str] | None:
        pattern, text = self._text(text)
        return pattern.search(text)

    def match(self, text: str) -> re.Match[str] | None:
        pattern, text = self._text(text)
        return pattern.match(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        pattern, text = self._text(text)
        return pattern.fullmatch(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        pattern, text = self._text(text)
        return pattern.finditer(text)


# what a folded pattern may hold besides letters: escapes of classes and punctuation (not of letters by
# their code, "\x41", which lowercasing the text would never meet), groups (no flags: "(?-i:ABC)"), and
# ranges of ASCII letters or digits only ("[À-Å]" holds capitals)
_ESCAPE = re.compile(r"\\([^bBsSwWdDAZ\W])")
_FLAGS = re.compile(r"\(\?(?![:=!]|<[=!]|P[<=])")
_RANGE = re.compile(r"(?<!\\)(.)-(?!\])(.)")


def _plain(body: str) -> bool:
    """Whether a pattern's ``body`` says its letters as letters: see :data:`_ESCAPE`."""
    if _ESCAPE.search(body) or _FLAGS.search(body):
        return False
    classes = re.findall(r"\[(?:\\.|[^]\\])*\]", body)
    return all(a.isascii() and b.isascii() and (a + b).isalnum() and (a + b) == (a + b).lower()
               for c in classes for a, b in _RANGE.findall(c[1:-1].lstrip("^")))


def _trie(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with each alternation's words grouped by their first letter, then
    their second, and so on: "(thanks?|thank you|thx|…)" as "(t(?:h(?:anks?|ank you|x)…)|…)".
    re tries each word of an alternation at each place of the text; so grouped, it tries one
    group per letter.  The same matches: two words in different groups never match at one place,
    and those of one group keep their order.  (The tree is re's own parse of the pattern; when
    this Python's re does not offer it, the pattern is compiled as written.)"""
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]
        from re._constants import BRANCH, LITERAL, SUBPATTERN
    except ImportError:  # pragma: no cover - Python 3.11 to 3.13 have them
        return re.compile(pattern)

    def grouped(sub: Any) -> Any:
        for i, (op, av) in enumerate(sub.data):
            if op is SUBPATTERN:
                grouped(av[-1])
            if op is not BRANCH:
                continue
            alternatives = [grouped(a) for a in av[1]]
            if not all(a.data and a.data[0][0] is LITERAL for a in alternatives):
                continue
            by_letter: dict[int, list[Any]] = {}
            for a in alternatives:
                by_letter.setdefault(a.data[0][1], []).append(a)
            out = []
            for letter, members in by_letter.items():
                if len(members) == 1:
                    out.append(members[0])
                    continue
                rests = [_parser.SubPattern(sub.state, m.data[1:]) for m in members]
                rest = grouped(_parser.SubPattern(sub.state, [(BRANCH, (None, rests))]))
                out.append(_parser.SubPattern(sub.state, [(LITERAL, letter), (SUBPATTERN, (None, 0, 0, rest))]))
            sub.data[i] = (BRANCH, (None, out))
        return sub

    try:
        return cast("re.Pattern[str]", _compiler.compile(grouped(_parser.parse(pattern)), 0))
    except Exception:  # noqa: BLE001  # a later re's parse may differ: the pattern as written is as good
        return re.compile(pattern)


# every repetition bounded: a tag never closed is not read to the end of the text from each "<"
_HTML_BREAK = re.compile(r"(?i)<\s{0,8}(br|/p|/div|/li|/tr|p|div)\b[^<>]{0,400}>")
_HTML_TAG = re.compile(r"<[^>]{1,400}>")
# A line that starts what the customer did not write: a quoted or forwarded mail, a signature.
_CUT = re.compile(
    r"(?i)^\s*(on\s.{4,120}\swrote:?|am\s.{4,120}\sschrieb.{0,80}:?|el\s.{4,120}\sescribi[oó]:?|"
    r"il\s.{4,120}\sha scritto:?|.{4,160}\s(ha scritto|napisa[łl](\(a\)|a)?|escreveu|schreef|skrev|kirjoitti|"
    r"napsal(\(a\)|a)?|написал(\(а\)|а)?|написав|yazd[ıi]|a scris|[íi]rta):|"
    r"le\s.{4,120}\sa\s[ée]crit\s?:?|-{2,}\s*(original message|urspr[üu]ngliche nachricht|mensaje original|"
    r"message d'origine|forwarded message|weitergeleitete nachricht|mensaje reenviado|message transf[ée]r[ée])"
    r".*|_{8,}|-- ?|(from|von|de):\s.*@.*|##- .* -##|begin forwarded message:?)\s*$")
_SIGNATURE = re.compile(
    r"(?i)^\s*(sent from my|von meinem .* gesendet|gesendet von|enviado desde mi|envoy[ée] de mon|"
    r"(inviato da(l mio)?|wys[łl]ane z( mojego)?|enviado do meu|verzonden (vanaf|met) mijn|verstuurd vanaf mijn|"
    r"skickat fr[åa]n min|sendt fra min|l[äa]hetetty|odesl[áa]no z|отправлено с|надіслано з|trimis de pe)\s+"
    r"(my |mijn |min |mojego )?(\w*(iphon|ipad|android|outlook|samsung|galaxy|huawei|xiaomi)\w*|mobil\w*)|"
    r"iphone'[ıi]mdan g[öo]nderildi|"
    r"get outlook for|diese e-mail|this e-?mail (and any|is confidential)|registergericht|gesch[äa]ftsf[üu]hrer|"
    r"amtsgericht|ust-?id)")
# a mail app's signature: "Sent from my iPhone", "Gesendet mit der WEB.DE Mail App", "Enviado desde mi
# Samsung", "Envoyé depuis mon mobile", "Enviado do meu iPhone", "Inviato da iPhone", "Verzonden vanaf mijn iPad"
# (a possessive or a device or app named; "Sent from your warehouse two weeks ago" is the customer's)
_SENT = re.compile(
    r"(?i)^\s*(sent|gesendet|verschickt|enviado|envoy[ée]|inviato|verzonden|verstuurd)\s+(from|with|using|via|von|"
    r"mit|[üu]ber|desde|con|de|depuis|[àa] partir de|do|da|dal|dalla|vanaf|met|van)\s+(?P<rest>[^!?,;:]{0,60}?)"
    r"(\s+(gesendet|verschickt))?\s*$")
_SENT_BY = re.compile(
    r"(?i)^(my|mein\w*|mi|mon|ma|meu|minha|mio|mia|mijn)\b|\b(iphone|ipad|android|ios|mail|app|outlook|"
    r"galaxy|samsung|huawei|xiaomi|pixel|smartphone|mobile?|phone|handy|telefon|tablet|device|dispositivo|"
    r"appareil|m[óo]vil|celular|telem[óo]vel|cellulare|telefoon|gmail|yahoo|spark|blackberry|windows)\b")
_TRANSCRIPT = re.compile(r"^\s*\(\d{1,2}:\d{2}(:\d{2})?\s*([AaPp]\.?[Mm]\.?)?\)\s*(.*)$")
_EVENT = re.compile(r"^\*{3}\s*+(\S.{0,200}?)\s++(has joined|has left|joined|left)\b.{0,200}\*{3}$")
_CONVERSATION = re.compile(r"(?i)^conversation with (\S.{0,80})$")  # a messaging transcript's first line
_CLOCK = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2})?(\s*[AaPp]\.?[Mm]\.?)?\s*$")  # its time, alone on a line
_META = re.compile(r"(?i)^\s*(chat started|chat length|answered by|url|conversation with|chat with|"
                   r"conversation id|visitor id|rating|tags)\b.*$")
_GREETING = re.compile(
    r"(?i)^\s*(hi|hello|hey|dear|good (morning|afternoon|evening)|hola|buen(os|as) (d[ií]as|tardes|noches)|"
    r"salve|gentil[ie]|dzie[ńn] dobry|witam|witajcie|cze[śs][ćc]|szanowni( pa[ńn]stwo)?|hoi|hej|hei|moi|"
    r"dobr[ýy] den|ahoj|здравствуйте|добрый день|привет|добрий день|вітаю|merhaba|bun[ăa] ziua|j[óo] napot|"
    r"buen d[ií]a|estimad[oa]s?|moin|servus|hallo|guten (tag|morgen|abend)|sehr geehrte.*|liebe[rs]? .*|"
    r"bonjour|bonsoir|salut|ol[áa]|bom dia|boa (tarde|noite)|ciao|buongiorno|buonasera|goede(morgen|middag|navond)|"
    r"beste)\b[\s\w]{0,30}[,.!:]?\s*$")
# how a message closes, in each language :mod:`.words` reads
_CLOSING = (
    # first (the longest first): thanks in advance close a question ("Mijn pakket is niet bezorgd. Alvast
    # bedankt!"), never a thank-you note
    r"(alvast (bedankt|dank)|bij voorbaat dank|obrigad[oa] desde j[áa]|desde j[áa] (obrigad[oa]|agrade[çc]o)|"
    r"fico no aguardo|aguardo (o )?(seu )?retorno|z g[óo]ry dzi[ęe]kuj[ęe]|pozdrawiam|tack p[åa] f[öo]rhand|"
    r"(med )?v[äa]nliga h[äa]lsningar|mvh|p[åa] forh[åa]nd tak|(med )?venn?lig hilsen|resto in attesa|"
    r"in attesa di (una? )?(vostr[oa] )?(riscontro|risposta)|dans l'attente de votre r[ée]ponse|"
    r"thanks?( you)?( very much| in advance| so much| a lot| again)?|many thanks|cheers|"
    r"(best|kind(est)?|warm(est)?)( regards| wishes)?|regards|br|all the best|have a (nice|good|great) (day|weekend)|"
    r"lg|vg|mfg|gru[ßs]|(viele|liebe|beste|herzliche|freundliche|mit freundlichen) gr[üu](ß|ss?)en?|"
    r"danke( sch[öo]n| im voraus| vielmals)?|vielen dank( im voraus)?|(einen )?sch[öo]nen tag( noch)?|"
    r"sch[öo]nes wochenende|bis bald|"
    r"(un )?saludos?( cordiales)?|(muchas )?gracias( de antemano)?|quedo (al|atent[oa]).*|atentamente|cordialmente|"
    r"que tengas? (un )?(buen|feliz|lindo) d[ií]a|"
    r"(bien )?cordialement|merci( d'avance| beaucoup| bien)?|bien [àa] vous|(bonne|belle) (journ[ée]e|soir[ée]e|"
    r"fin de journ[ée]e|semaine)|amicalement|(sinc[èe]res )?salutations( distingu[ée]es)?|[àa] bient[ôo]t|"
    r"(muito )?obrigad[oa]|atenciosamente|cumprimentos|(um )?abra[çc]os?|"
    r"grazie( mille| in anticipo)?|(cordiali|distinti)? ?saluti|un saluto|buona giornata|"
    r"bedankt|dank( je| u)( wel)?|(met )?vriendelijke groet(en)?|groet(en|jes)?|mvg|fijne dag)")
# closings joined into one ("Thanks and best regards", "Danke und viele Grüße", "Merci et bonne journée")
_CLOSINGS = rf"({_CLOSING}([\s,]+((and|und|y|et|e|en|&)\s+)?{_CLOSING})*)"
# a closing and what follows it on its line ("Thanks, John")
_SIGNED = re.compile(rf"(?i)^\s*{_CLOSINGS}(?![^\W_])[\s,.!]*(?P<rest>.*?)[\s.!]*$")
# the characters of one line that are read: a customer's line is far shorter, and the line patterns
# below then cost a bounded time whatever the line (a 50,000-space line took minutes)
LINE_READ = 2_000
NAME_WORDS = 3  # most words of a name signing a message ("Anna-Lena Maier", "Jean de la Tour")
# tried at the start of a word only (``(?<!\S)``): from every character of a long word, each would
# scan to its end, and a 50,000-character word took minutes
_EMAIL = re.compile(r"(?<!\S)[^\s@]{1,64}@[^\s@]{1,253}\.\w+")
_URL = re.compile(r"(?i)\b(https?://|www\.)\S+")
_DIGITS = re.compile(r"\d")
_WITH_DIGIT = re.compile(r"(?<!\S)\S*\d\S*")
_LETTER = re.compile(r"[^\W\d_]")
_AUTO = Folded(
    r"(?i)(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|abwesenheitsnotiz|abwesend|"
    r"risposta automatica|fuori (ufficio|sede)|assente dall'ufficio|sono in ferie|resposta autom[áa]tica|"
    r"fora do escrit[óo]rio|estou de f[ée]rias|automatisch antwoord|afwezigheidsbericht|niet op kantoor|"
    r"buiten kantoor|automatyczna odpowied[źz]|odpowied[źz] automatyczna|poza biurem|jestem na urlopie|"
    r"automatiskt svar|automatisk svar|fr[åa]nvaro|frav[æa]r|inte p[åa] kontoret|ikke p[åa] kontoret|"
    r"automaattinen vastaus|poissa toimistolta|olen lomalla|automatick[áa] odpov[ěe][ďd]|mimo kancel[áa][řr]|"
    r"jsem na dovolen[ée]|автоматический ответ|автоответ|вне офиса|автоматична відповідь|поза офісом|"
    r"otomatik (yan[ıi]t|cevap)|r[ăa]spuns automat|în afara biroului|in afara biroului|automatikus v[áa]lasz|"
    r"αυτόματη απάντηση|εκτό[σς] γραφείου|estoy de vacaciones|je suis absent|"
    r"automatische antwort|respuesta autom[áa]tica|fuera de la oficina|r[ée]ponse automatique|absence du bureau|"
    r"on (annual |parental )?leave|i am away|i'm away|currently out|ich bin (derzeit |bis .{1,20})?nicht im b[üu]ro|"
    r"ich befinde mich .{0,40}(urlaub|elternzeit)|mailer-daemon|delivery status notification|undeliverable)")
# a sales pitch: search-engine rankings, links, guest posts, marketing offers (in each language :mod:`.words` reads)
_PITCH = Folded(
    r"(?i)\b(seo|backlinks?|guest post(ing)?|page (1|one) (of|on|in) google|first page (of|on|in) google|"
    r"#1 (of|on|in) google|number one (of|on|in) google|"
    r"rank (your|you) .{0,30}(google|#1)|free (seo |website )?audit|marketing agency|book a (call|demo)|"
    r"increase your (sales|traffic|revenue)|lead generation|"
    r"posicionamiento (web|seo)|primera p[áa]gina de google|auditor[íi]a gratis|"
    r"suchmaschinenoptimierung|erste seite (bei|von|in) google|"
    r"r[ée]f[ée]rencement|premi[èe]re page (de|sur) google|"
    r"primeira p[áa]gina do google|prima pagina (di|su) google|posizionamento (web|seo)|"
    r"zoekmachineoptimalisatie|eerste pagina (van|in) google)\b")
_PITCH_KEY = Folded("(?i)seo|google|backlink|guest post|marketing|audit|book a|increase your|lead gen|"
                    "posicionamiento|suchmaschinen|rencement|posizionamento|zoekmachine")
THANKS_WORDS = 14  # most words of a thank-you note (the customer's own lines)
SAID_WORDS = 3  # fewer words than this besides a closing thanks are no statement ("Ok\nThanks")
_WORD = re.compile(r"\w+")
_REPLY = Folded(r"(?i)^(re|aw|wg|fw|fwd|rv|tr|res|enc|r|i|antw|doorst)\s*(\[\d+\])?\s*:")
# a question's first word, in each language :mod:`.words` reads
_QUESTION = Folded(
    r"(?i)^[¿¡\s]*(where|when|how|what|why|which|who|can|could|do|does|did|is|are|will|would|should|"
    r"wo|wohin|wann|wie|was|warum|wieso|welche[rsnm]?|wer|kann|k[öo]nnen|k[öo]nnt|ist|sind|gibt|habt|haben|muss|"
    r"d[óo]nde|cu[áa]ndo|c[óo]mo|qu[ée]|por qu[ée]|cu[áa]l(es)?|qui[ée]n|puedo|pueden|hay|tienen|"
    r"o[ùu]|quand|comment|pourquoi|quel(le)?s?|qui|est-ce|puis-je|pouvez|peut-on|"
    r"onde|quando|como|porque|qual|posso|podem|"
    r"dove|quando|come|perch[ée]|quale|potete|"
    r"waar|wanneer|hoe|wat|waarom|welke|kan|kunnen|kunt)\b")
_THANKS = Folded(
    r"(?i)\b(thanks?|thank you|thx|cheers|danke|vielen dank|gracias|muchas gracias|merci|obrigad[oa]|"
    r"grazie|perfetto|ottimo|risolto|gentilissim[ioa]|valeu|perfeito|resolvido|bedankt|dank (je|u)( wel)?|"
    r"dankjewel|opgelost|dzi[ęe]kuj[ęe]|dzi[ęe]kujemy|dzi[ęe]ki|tack|tusen tack|mange tak|tusind tak|takk|"
    r"kiitos|kiitti|d[ěe]kuji|d[íi]ky|ďakujem|dakujem|спасибо|благодарю|дякую|te[şs]ekk[üu]rler|te[şs]ekk[üu]r ederim|"
    r"mul[țţt]umesc|mersi|k[öo]sz[öo]n[öo]m|k[öo]szi|ευχαριστώ|"
    r"great|perfect|super|sorted|resolved|felicidades|excelente|buena atenci[óo]n|love|toll|prima)\b")

# Spam, in any language: what sells search rankings and links ("SEO", "backlinks" are the same words
# everywhere), or two baits at once (a prize, "click here", "free").
_SPAM = Folded(
    r"(?i)\b(seo|backlinks?|guest posts?|link ?building|pozycjonowanie|posizionamento|r[ée]f[ée]rencement|"
    r"posicionamiento|suchmaschinenoptimierung|zoekmachineoptimalisatie|sökmotoroptimering|"
    r"продвижение сайт\w*|просування сайт\w*|casino|viagra|crypto ?trading)\b")
_BAIT = Folded(
    r"(?i)\b(congratulations|congratulazioni|gratulacje|felicitaciones|f[ée]licitations|herzlichen gl[üu]ckwunsch|"
    r"parab[ée]ns|gefeliciteerd|you('ve| have)? won|hai vinto|wygra[łl]e[śs]|wygra[łl]a[śs]|has ganado|"
    r"vous avez gagn[ée]|sie haben gewonnen|voc[êe] ganhou|je hebt gewonnen|click here|clicca qui|kliknij tutaj|"
    r"haga clic aqu[íi]|haz clic aqu[íi]|cliquez ici|klicken sie hier|clique aqui|klik hier|free|gratis|darmow\w+|"
    r"gratuit\w*|kostenlos\w*|price list|listino prezzi|cennik)(?![^\W_])")


def redact_ids(text: str) -> str:
    """``text`` with e-mail addresses, links, order, tracking and phone numbers left out."""
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    return " ".join(_WITH_DIGIT.sub(_identifier, text).split())


def _identifier(found: re.Match[str]) -> str:
    """An order, tracking, invoice or phone number (three digits or more, or digits and
    letters) left out; a quantity ("2 weeks", "20%") kept."""
    word = found.group(0)
    digits = len(_DIGITS.findall(word))
    if digits >= 3 or (_LETTER.search(word) is not None and not word.endswith("%")):
        return " "
    return word


def _html(text: str) -> str:
    if "<" in text and ">" in text:
        text = _HTML_TAG.sub(" ", _HTML_BREAK.sub("\n", text))
    return unescape(text).replace("\xa0", " ")


def _transcript(lines: list[str]) -> list[str] | None:
    """The customer's lines of a chat or messaging transcript (before an agent joins), or None
    when ``lines`` are not a transcript."""
    said: list[str] = []
    timed = 0
    for line in lines:
        found = _TRANSCRIPT.match(line)
        if found:
            timed += 1
            said.append(found.group(3))
        elif line.lstrip().startswith("***"):  # an event without its time: "*** Carla joined the chat ***"
            said.append(line)
    if timed < 2:
        return _messaging(lines)
    agents: set[str] = set()
    out: list[str] = []
    for text in said:
        event = _EVENT.match(text.strip())
        if event:
            if event.group(2).endswith("joined"):
                agents.add(event.group(1).strip())
                break
            continue
        speaker, _, words = text.partition(": ")
        if words and speaker.strip() not in agents and not speaker.strip().lower().endswith(("bot", "assistant")):
            out.append(words)
    return out


def _messaging(lines: list[str]) -> list[str] | None:
    """The customer's lines of a messaging transcript written in blocks (who, a line with the time,
    what was said; a blank line between blocks), the customer named by its first line
    ("Conversation with Web User 2ce0a7a9"): the bot's menu and the agent's answers are not the
    customer's; None when ``lines`` are not such a transcript."""
    first = next((line.strip() for line in lines if line.strip()), "")
    named = _CONVERSATION.match(first)
    if named is None or not any(_CLOCK.match(line) for line in lines):
        return None
    customer, out, author, blocks = named.group(1).strip().lower(), [], None, 0
    for line in lines[lines.index(next(x for x in lines if x.strip())) + 1:]:
        line = line.strip()
        if not line:
            author = None  # a new block
        elif author is None:
            author = line.lower()
            blocks += author == customer
        elif author == customer and not _CLOCK.match(line):
            out.append(line)
    return out if blocks else None  # the customer never speaks in a block: no such transcript


def clean_lines(text: str) -> list[str]:
    """The lines of ``text`` the customer wrote: no transcript machinery, quotes, signatures,
    greetings or closings (identifiers are still there: see :func:`redact_ids`)."""
    return _written(text)[0]


def _lines(text: str) -> list[str]:
    """The lines of ``text`` without its HTML, each its first :data:`LINE_READ` characters."""
    return [line[:LINE_READ] for line in _html(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _written(text: str) -> tuple[list[str], bool]:
    """:func:`clean_lines`, and whether the message is signed with a name after its closing
    ("Thanks, John"; "Thank you," then "Maria")."""
    lines = _lines(text)
    spoken = _transcript(lines)
    if spoken is not None:
        lines = spoken
    out: list[str] = []
    for i, line in enumerate(lines):
        kind = _line_kind(line)
        if kind == "cut":
            break
        if kind in ("closing", "signed"):  # what follows a closing is a name, a company, a phone number
            after = next((x.split() for x in lines[i + 1:] if x.strip()), [])
            return out, kind == "signed" or _is_name([w.rstrip(",.!") for w in after])
        if kind == "said":
            out.append(line.strip())
    return out, False


def _line_kind(line: str) -> str:
    """What a line is to :func:`_written`: ``cut`` (a quote, a forward, a signature: the rest is not
    the customer's), ``skip`` (empty, quoted, transcript metadata, a greeting), ``closing`` or
    ``signed`` (see :func:`_closing`), or ``said``."""
    plain = _LINE_START.match(line) is None  # none of the patterns below finds anything: the customer's words
    if not plain and (_CUT.match(line) or _SIGNATURE.match(line) or _sent_from(line)):
        return "cut"
    line = line.strip()
    if not line or line.startswith(">"):
        return "skip"
    if plain:
        return "said"
    if _META.match(line):
        return "skip"
    return _closing(line) or ("skip" if _GREETING.match(line) else "said")  # "Liebe Grüße" closes, "Liebe Anna" opens


# whether a line starts with anything _written looks for (one match of all its patterns at once, in
# lowercased text: most lines are the customer's words, and six case-insensitive matches cost six times one)
_LINE_START = Folded("(?i)" + "|".join(f"(?:{p.pattern.removeprefix('(?i)').replace('(?P<rest>', '(')})"
                                      for p in (_CUT, _SIGNATURE, _SENT, _META, _SIGNED, _GREETING)))


def _sent_from(line: str) -> bool:
    """Whether ``line`` is a mail app's signature ("Gesendet mit der WEB.DE Mail App")."""
    found = _SENT.match(line)
    return found is not None and _SENT_BY.search(found.group("rest")) is not None


def _closing(line: str) -> str:
    """Whether ``line`` closes the message: ``signed`` with a name ("Thanks, John", "Merci,
    Claire"), ``closing`` alone ("Thank you,"); '' when it does not ("Thanks, where is my order")."""
    found = _SIGNED.match(line)
    if found is None:
        return ""
    words = found.group("rest").split()
    if not words:
        return "closing"
    return "signed" if _is_name(words) else ""


def _is_name(words: list[str]) -> bool:
    """Whether ``words`` can be a person's name: a few capitalised words, none a stop word of
    the languages customers write ("Ist erledigt" is no one) nor a word of thanks ("Perfect")."""
    little = _little_words()
    return 0 < len(words) <= NAME_WORDS and all(
        w[:1].isupper() and w.replace("-", "").replace("'", "").isalpha() and w.lower() not in little
        and not _THANKS.fullmatch(w) for w in words)


@lru_cache(maxsize=1)
def _little_words() -> frozenset[str]:
    """The stop words of every language :mod:`.words` reads (the stop-words package's lists)."""
    from .words import LANGUAGES, stop_words_of

    return frozenset(w for code in LANGUAGES for w in stop_words_of(code))


def clean(text: str) -> str:
    """The customer's question in ``text``, in one line."""
    return redact_ids(" ".join(clean_lines(text)))


def line_key(line: str) -> str:
    """A line as :class:`Boilerplate` compares it: folded, digits and identifiers out."""
    return _folded_key(redact_ids(line))


_NUMBER = re.compile(r"\d+")


def _folded_key(redacted: str) -> str:
    """:func:`line_key` of a line :func:`redact_ids` has read already (few of them hold a digit:
    the kept quantities, "2 weeks"; looking for the ten is twice as quick as a search for ``\\d``)."""
    if redacted.isascii() and not any(map(redacted.__contains__, "0123456789")):
        return redacted.lower()
    return _NUMBER.sub("0", redacted.lower())


def noise_kind(subject: str, text: str) -> str:
    """Why a request is not a question to answer: ``auto-reply``, ``spam``, ``thanks``, ``empty``; or ''.

    Thanks are judged on the customer's own lines (no quote of the shop's answer, no closing,
    no signature), and a subject that asks a question is the request whatever the body says."""
    if _auto_reply(subject) or _auto_reply(text[:400]):
        return "auto-reply"
    if _spam(text[:400]):
        return "spam"
    if not _WORD.search(text):
        return "empty"
    if _pitch(subject) or _pitch(text[:600]):
        return "spam"
    if not _THANKS.search(text):
        return ""
    said = " ".join(_written(text)[0])
    words = _WORD.findall(said)
    if "?" in said or len(words) > THANKS_WORDS or _asks(subject):
        return ""
    # "It says my password is wrong.\nThanks": the thanks close a statement
    return "thanks" if len(words) < SAID_WORDS or _THANKS.search(said) else ""


def _spam(text: str) -> bool:
    """Whether ``text`` sells rankings or links in any language, or holds two baits without a question
    (a prize and "click here"; a question with "free" and "click here" is a question)."""
    if _SPAM.search(text):
        return True
    return "?" not in text and len({m.group(0).lower() for m in _BAIT.finditer(text)}) >= 2


def _pitch(text: str) -> bool:
    """Whether ``text`` is a sales pitch (the words every pitch has looked for first: cheaper)."""
    return _PITCH_KEY.search(text) is not None and _PITCH.search(text) is not None


def _asks(subject: str) -> bool:
    """Whether ``subject`` asks a question: a question mark or a question word first, not a reply
    or a forward (whose subject is the shop's)."""
    subject = subject.strip()
    return not _REPLY.match(subject) and ("?" in subject or _QUESTION.match(subject) is not None)


class Boilerplate:
    """Lines that recur across many requests whatever they ask: learned from the file itself.

    A line is a candidate when at least ``share`` of the requests (and ``least`` of them) carry
    it; it is boilerplate when what those requests say besides it has little in common (the
    norm of the mean of their TF-IDF vectors, which is the root of their mean pairwise
    similarity, is under ``cohesion``): a bot's menu sits in order questions and returns
    alike, a customer's "Where is my order?" sits with other order questions."""

    def __init__(self, share: float = 0.01, least: int = 8, cohesion: float = 0.3, redacted: bool = False):
        self.share, self.least, self.cohesion = share, least, cohesion
        self.lines: frozenset[str] = frozenset()
        self.keys: dict[str, str] = {}  # line: its key (lines repeat: each is folded once)
        self.redacted = redacted  # the lines are :func:`redact_ids`'s already: their key is quick to make

    def key(self, line: str) -> str:
        if self.redacted:
            return _folded_key(line)
        found = self.keys.get(line)
        if found is None:
            found = self.keys[line] = line_key(line)
        return found

    def learn(self, requests: Sequence[Sequence[str]]) -> Boilerplate:
        folded: dict[int, list[str]] = {}  # requests cleaned once share their list of lines: folded once
        keyed = [folded.get(id(lines)) or folded.setdefault(id(lines), [self.key(line) for line in lines])
                 for lines in requests]
        counts = Counter(k for keys in keyed for k in set(keys))  # requests that carry each line
        floor = max(self.least, int(self.share * len(requests)))
        where: dict[str, list[int]] = {k: [] for k, n in counts.items() if n >= floor and k}
        for i, keys in enumerate(keyed):  # the first 300 requests that carry each candidate
            for k in set(keys):
                found = where.get(k)
                if found is not None and len(found) < 300:
                    found.append(i)
        candidates = list(where)
        self.lines = frozenset(self._scattered(candidates, [[keyed[i] for i in where[k]] for k in candidates]))
        return self

    def _scattered(self, candidates: list[str], keyed: list[list[list[str]]]) -> list[str]:
        """The candidates whose requests say little in common besides them (one vectorizer call)."""
        import numpy as np
        from sklearn.feature_extraction.text import HashingVectorizer

        rests = [[r for r in (" ".join(k for k in keys if k != key) for keys in rows) if r]
                 for key, rows in zip(candidates, keyed, strict=True)]
        flat = [r for rest in rests for r in rest]
        if not flat:
            return []
        vectors = HashingVectorizer(n_features=2**18, alternate_sign=False).transform(flat)
        out, start = [], 0
        for key, rest in zip(candidates, rests, strict=True):
            part = vectors[start:start + len(rest)]
            start += len(rest)
            if len(rest) < self.least:
                continue  # the line is all these requests say: a question asked as such
            if float(np.linalg.norm(np.asarray(part.mean(axis=0)).ravel())) < self.cohesion:
                out.append(key)
        return out

    def strip(self, lines: Iterable[str]) -> list[str]:
        return [line for line, _ in self.strip_keyed(lines)]

    def strip_keyed(self, lines: Iterable[str]) -> list[tuple[str, str]]:
        """:meth:`strip`, each line kept with its key."""
        keyed = ((line, self.key(line)) for line in lines)
        return [(line, key) for line, key in keyed if key not in self.lines]


def _auto_reply(text: str) -> bool:
    """Whether ``text`` says it is an automatic reply (:data:`_AUTO` finds it)."""
    return _AUTO.search(text) is not None
