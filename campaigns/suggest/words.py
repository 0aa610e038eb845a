"""Words in every language the customers write: detection, stems, and shared concepts.

Each request's language is detected by lingua (its models ship inside the package: nothing
is downloaded), its words are stemmed with that language's Snowball stemmer, accents folded,
the language's stop words dropped.  Then the words of a small support vocabulary meet across
languages: "pedido", "Bestellung", "commande" and "order" all become ``~order``, so a Spanish
and an English request that need the same answer share their words.  The vocabulary is
deliberately small (what shops are asked about: orders, delivery, returns, payment,
accounts…); everything else stays a stem of its own language.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from itertools import repeat
from typing import Any

__all__ = ["LANGUAGES", "Words", "detect", "language_of_locale", "stop_words_of", "strip_accents"]

# The languages lingua chooses among: every one it tells apart (its models ship in the package) that
# customers write to shops in.  Left out: Latin and Esperanto (no one's customers), and Shona, Zulu,
# Xhosa, Sotho, Tswana, Tsonga, Ganda, Yoruba, Somali and Maori, for which lingua's fast models take
# short French and English texts ("Le filtre fourni est déchiré, lequel racheter ?" is Shona to
# them).  A file's own languages are learnt from a sample of its texts (LANGUAGE_SAMPLE), the rest
# are read among those only: detecting among many costs only on that sample.
LANGUAGES = ("en", "es", "de", "fr", "pt", "it", "nl", "pl", "cs", "sk", "sl", "hr", "bs", "sr", "hu", "ro", "bg",
             "el", "sv", "da", "nb", "nn", "fi", "et", "lv", "lt", "ga", "cy", "ca", "eu", "is", "sq", "mk",
             "tr", "az", "ru", "uk", "be", "kk", "mn", "hy", "ka", "he", "ar", "fa", "ur", "hi", "bn", "pa", "gu",
             "mr", "ta", "te", "id", "ms", "tl", "vi", "th", "ja", "zh", "ko", "af", "sw")
# Each language's Snowball stemmer (a close language's where it has none of its own); a language
# without one keeps its words as they are, accents folded.
SNOWBALL = {"en": "english", "es": "spanish", "de": "german", "fr": "french", "pt": "portuguese",
            "it": "italian", "nl": "dutch", "pl": "polish", "cs": "czech", "sk": "czech", "sr": "serbian",
            "hr": "serbian", "bs": "serbian", "hu": "hungarian", "ro": "romanian", "el": "greek", "sv": "swedish",
            "da": "danish", "nb": "norwegian", "nn": "norwegian", "fi": "finnish", "et": "estonian",
            "lt": "lithuanian", "ga": "irish", "ca": "catalan", "eu": "basque", "tr": "turkish", "ru": "russian",
            "hy": "armenian", "ar": "arabic", "fa": "persian", "hi": "hindi", "ta": "tamil", "id": "indonesian",
            "ms": "indonesian"}
# letters with a stroke, which NFKD does not split into a letter and a mark (Polish, Nordic, Croatian, Turkish)
_UNSPLIT = str.maketrans("łŁøØđĐħĦı", "lLoOdDhHi")
SHORT = 24  # texts shorter than this are taken to be in the calendar's language
LANGUAGE_SAMPLE = 1000  # long texts read among all of LANGUAGES to learn which a file is written in (the rest among
# those only): reading among 63 languages costs some 0.8 ms of CPU a text, among two 0.1 ms
REPRESENTED = 0.05  # least share of a file's texts in a language for it to be one the file is written in
WINDOW = 160  # characters of a text read to tell its language
DECISIVE = 2  # stop words of one language alone (and none of another's) that tell a text's language without lingua
TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+\b")
COMPOUNDING = frozenset({"de", "nl"})  # languages that write compounds as one word
COMPOUND_HEAD = 5  # least length of the stem a compound begins with
COMPOUND_REST = 3  # ... and of what follows it
COMPOUND_LONGEST = 30  # ... and the longest (a 100,000-letter word is not tried at every length)
# separable particles, which change what their verb means ("send the tent back": return it)
PARTICLES = {"en": frozenset({"back"}), "de": frozenset({"zurück", "zuruck", "zurueck"}), "nl": frozenset({"terug"})}
PARTICLE_REACH = 6  # how many words before its particle a verb may be (in one clause)
_CLAUSE = re.compile(r"[^.,;:!?…\n]+")
# auxiliaries the stop-word lists lack: English "do" ("does" stemmed to "doe" made "Which bulb does my
# lamp need?" and "it does not fit" share a word), French "aller" and "pouvoir" ("quand vais-je
# recevoir…" is English's "when will I get…", whose "will" is a stop word)
AUXILIARIES = {"en": frozenset({"does", "did", "doing"}),
               "fr": frozenset({"vais", "vas", "va", "allons", "allez", "vont", "peux", "pouvez", "pourriez",
                                "pourrais"})}

# concept: words in each language (any form; they are stemmed as the requests are)
CONCEPTS: dict[str, str] = {
    "order": "order orders ordered purchase purchased bought buy pedido pedidos orden compra compre compré "
             "bestellung bestellungen bestellt bestellte gekauft auftrag commande commandé achat encomenda compra "
             "ordine acquisto bestelling besteld aankoop",
    "where": "where wheres whereabouts dónde donde dnd wo wohin où onde dove waar",
    "when": "when cuándo cuando wann quand quando wanneer",
    "track": "track tracking tracked trace wismo rastreo rastrear rastreando seguimiento "
             "sendungsverfolgung verfolgen verfolgung trackingnummer suivi suivre rastreamento "
             "tracciamento volgen",
    "arrive": "arrive arrived arriving arrival eta late delay delayed stuck yet waiting "
              "llega llegado llegó llegue llegar atrasado retraso tarda entregan entrega entregado "
              "ankommen angekommen kommt bleibt verspätet verspätung "
              "arrivé arrive retard chegou atraso arrivato "
              "receive received recibido recibí recibir erhalten bekommen reçu recevoir recebi recebido ricevuto "
              "ontvangen",
    "ship": "ship shipped shipping shipment dispatch dispatched courier parcel package packet box delivery "
            "deliver delivered envío envio enviado enviaron enviar paquete paquetería paqueteria paquetes "
            "versand versendet verschickt paket päckchen lieferung geliefert zustellung zugestellt "
            "expédié expédition colis livraison envio pacote spedizione pacco verzending pakket pakketje levering "
            "geleverd bezorging bezorgd "
            "dhl dpd gls fedex usps colissimo chronopost inpost postnl bpost evri",  # carriers
    "return": "return returns returned returning devolución devolucion devolver devuelvo regresar "
              "rücksendung ruecksendung rucksendung retoure rückgabe ruckgabe rueckgabe zurückschicken zurücksenden "
              "zurückgeben retour retourner renvoyer devolução devolver reso restituire restituzione restituito "
              "retourneren terugsturen teruggestuurd "
              "send_back sent_back sending_back sends_back give_back gave_back given_back giving_back "
              "bring_back brought_back bringing_back take_back took_back taken_back taking_back",
    "refund": "refund refunds refunded reembolso reembolsar erstattung erstatten rückerstattung "
              "geld geld_zurück zurückbekommen zurücktreten remboursement rembourser reembolso estorno rimborso "
              "terugbetaling terugbetaald restitutie",
    "warranty": "warranty guarantee garantía garantia garantie gewährleistung reklamation defect defective "
                "faulty broken defecto defectuoso falla fallando descompuesto kaputt defekt gerissen "
                "cassé défectueux garanzia",
    "damaged": "damaged damage cracked dented scratched smashed shattered dañado dañada roto rota golpeado "
               "beschädigt beschädigung zerbrochen gesprungen zerkratzt endommagé abîmé fissuré cabossé rayé "
               "danificado quebrado danneggiato rotto beschadigd kapot",
    "password": "password passwort contraseña contrasena clave kennwort senha wachtwoord",
    "login": "login log sign signin account locked cuenta sesión sesion iniciar entrar acceso bloqueada "
             "konto kundenkonto anmelden anmeldung einloggen gesperrt compte connexion conta accesso accedere "
             "inloggen ingelogd",
    "reset": "reset forgot forgotten recover restablecer recuperar olvidé olvide zurücksetzen vergessen "
             "réinitialiser oublié redefinir",
    "invoice": "invoice invoices receipt bill billing vat factura facturas facturar facturación cfdi rfc "
               "rechnung rechnungen rechnungskopie quittung beleg facture fatura fattura factuur",
    "payment": "payment pay paid charge charged checkout declined rejected pago pagar cobro "
               "rechazado rechazada rechazo zahlung bezahlen bezahlt kreditkarte abgelehnt paiement "
               "payer carte refusé pagamento cartão betaling betalen betaald",
    "address": "address addresses dirección direccion domicilio adresse anschrift lieferadresse endereço "
               "indirizzo adres",
    "change": "change changing update modify swap switch edit exchange exchanged échanger échange trocar troca "
              "scambiare ruilen cambiar cambio modificar actualizar ändern "
              "änderung umtausch umtauschen tauschen changer modifier mudar alterar cambiare wijzigen",
    "size": "size sizes talla tallas größe grösse groesse größen taille tamanho taglia maat",
    "cancel": "cancel cancelled canceled cancellation unsubscribe stop cancelar cancelación anular stornieren "
              "storno kündigen kündigung annuler résilier cancelamento annullare cancellare opzeggen",
    "discount": "discount coupon voucher promo code descuento cupón cupon código rabatt gutschein gutscheincode "
                "rabattcode réduction remise desconto sconto korting",
    "gift": "gift present wrap wrapping wrapped regalo envolver geschenk geschenkverpackung verpacken cadeau "
            "emballage presente regalo cadeau",
    "pickup": "pickup pick collect collection recoger recolección abholen abholung abholung retirer "
              "retrait retirar ritiro ophalen",
    "store": "store stores shop branch tienda sucursal filiale laden geschäft magasin boutique loja negozio winkel",
    "compatible": "compatible compatibility fit fits compatibilidad kompatibel "
                  "passt compatibilité compatível",
    "care": "care caring clean cleaning stain stains oil wax polish pflege pflegen reinigen reinige reinigung fleck "
            "flecken öl wachs cuidado cuidar limpiar limpieza mancha aceite cera entretien entretenir nettoyer tache "
            "huile cire limpeza mancha",
    "assembly": "assemble assembly assembling instructions instruction manual screw screws aufbau aufbauen montage "
                "anleitung schraube schrauben armar armado montaje instructivo tornillo tornillos monter notice vis "
                "montar parafuso",
    "missing": "missing lacking fehlen fehlt fehlende falta faltan faltaba manque manquant faltando",
    "battery": "battery batteries batería baterías akku akkus batterie batterien bateria baterias batteria batterie "
               "accu bateria baterii baterię baterie akumulator baterie batteri batteriet akku akun аккумулятор "
               "батарея батарею акумулятор",
    "zipper": "zipper zip zippers cierre cremallera reißverschluss reissverschluss fermeture zíper cerniera rits",
}


# The same concepts in more languages, one table each (appended to CONCEPTS below).  Words that mean
# something else in another language ("var": Swedish "where", Turkish "there is") are left out: a
# word is read as its concept in any language it is written in.
MORE_CONCEPTS: dict[str, dict[str, str]] = {
    "it": {"order": "ordinato ordinati ordini acquistato acquisto comprato", "where": "dov",
           "track": "tracciare tracking traccia controllare",
           "arrive": "arriva arrivare arrivata arrivati ritardo ricevere", "ship": "spedito spedita spedire corriere "
           "consegna consegnato consegnare", "return": "restituire restituzione rendere",
           "refund": "rimborsare rimborsato",
           "warranty": "difetto difettoso guasto", "password": "password", "login": "accedere accesso account",
           "invoice": "fatture ricevuta", "payment": "pagare pagato carta", "change": "modificare correggere",
           "size": "taglie misura", "cancel": "annullamento disdire",
           "discount": "codice codice_sconto coupon promozionale"},
    "pt": {"order": "encomendas encomendei pedido comprei", "where": "cadê", "track": "rastrear rastreio",
           "arrive": "chegar chegada atrasado recebi", "ship": "entrega entregue enviado transportadora",
           "return": "devolver devolvi", "refund": "reembolsar estorno", "warranty": "defeito defeituoso avariado",
           "invoice": "faturas recibo", "payment": "pagar paguei", "size": "tamanhos", "cancel": "cancelar",
           "discount": "cupom cupão promocional"},
    "nl": {"order": "bestellingen besteld bestelde gekocht", "track": "volgcode traceren",
           "arrive": "aangekomen bezorgd vertraging", "ship": "verzonden bezorging levering geleverd pakketje",
           "return": "retourneren terugsturen", "refund": "terugbetalen", "warranty": "defect garantie",
           "invoice": "facturen", "payment": "betalen betaald", "size": "maten", "cancel": "annuleren",
           "discount": "kortingscode kortingscode"},
    "pl": {"order": "zamówienie zamówienia zamówieniu zamówieniem zamówiłem zamówiłam zamówić kupiłem kupiłam zakup",
           "where": "gdzie", "when": "kiedy", "track": "śledzenie śledzenia śledzić status",
           "arrive": "dotarła dotarło dotarł doszła przyszła przyszło przyjechał otrzymałem otrzymałam dostałem "
                     "dostałam czekam opóźnienie opóźniona",
           "ship": "paczka paczki paczkę przesyłka przesyłki przesyłkę dostawa dostawy dostawę dostarczyć "
                   "dostarczenie wysyłka wysyłki wysłać wysłane kurier kuriera",
           "return": "zwrot zwrotu zwroty zwrotów zwrócić zwracać odesłać odesłałem oddać",
           "refund": "pieniądze pieniędzy zwrot_pieniędzy",
           "warranty": "gwarancja gwarancji gwarancją gwarancyjna reklamacja reklamacji wadliwy wada usterka zepsuty",
           "damaged": "uszkodzony uszkodzona uszkodzone uszkodzenie pęknięty pęknięta porysowany",
           "password": "hasło hasła hasłem", "login": "zalogować zalogowanie logowanie konto konta",
           "invoice": "faktura faktury fakturę fakturze fakturą rachunek paragon",
           "payment": "płatność płatności zapłacić zapłaciłem zapłaciłam przelew", "address": "adres adresu adresie",
           "change": "zmienić zmiana zmianę poprawić zmiany", "size": "rozmiar rozmiaru rozmiarze rozmiary",
           "cancel": "anulować anulowanie rezygnacja",
           "discount": "kod rabat rabatu rabatowy zniżka zniżki zniżkę kupon promocja promocyjny"},
    "cs": {"order": "objednávka objednávku objednávky objednal", "where": "kde", "when": "kdy",
           "track": "sledování sledovat", "ship": "zásilka zásilku balík doprava doručení doručit kurýr",
           "return": "vrácení vrátit", "refund": "peníze", "warranty": "záruka záruky reklamace vadný",
           "damaged": "poškozený poškozené", "password": "heslo hesla", "invoice": "faktura fakturu faktury",
           "payment": "platba platbu zaplatit", "address": "adresa adresu", "size": "velikost velikosti",
           "cancel": "zrušit zrušení", "discount": "sleva slevový slevu"},
    "sv": {"order": "beställning beställningen beställde", "track": "spåra spårning", "arrive": "kommit levererats",
           "ship": "paket paketet leverans frakt", "return": "retur returnera", "refund": "återbetalning pengarna",
           "warranty": "garanti reklamation trasig", "password": "lösenord", "login": "logga konto",
           "invoice": "faktura fakturan kvitto", "payment": "betalning betala", "address": "adressen",
           "size": "storlek storleken", "cancel": "avbeställa", "discount": "rabattkod rabatt"},
    "da": {"order": "bestilling ordre bestilte", "where": "hvor", "track": "sporing spore",
           "ship": "pakken levering forsendelse", "return": "returnere returnering",
           "refund": "tilbagebetaling pengene",
           "warranty": "reklamation", "password": "adgangskode", "invoice": "fakturaen kvittering",
           "payment": "betaling", "size": "størrelse", "cancel": "annullere", "discount": "rabatkode"},
    "nb": {"order": "bestillingen", "track": "sporing", "ship": "pakke leveranse", "return": "returnere",
           "refund": "refusjon", "password": "passord", "invoice": "fakturaen kvittering", "size": "størrelse",
           "discount": "rabattkode"},
    "fi": {"order": "tilaus tilaukseni tilasin", "where": "missä", "when": "milloin", "track": "seuranta seurata",
           "ship": "paketti toimitus lähetys", "return": "palautus palauttaa", "refund": "hyvitys",
           "warranty": "takuu", "password": "salasana", "invoice": "lasku laskun kuitti", "payment": "maksu",
           "address": "osoite osoitteen", "cancel": "peruuttaa",
           "discount": "alennus alennuskoodi"},
    "tr": {"order": "sipariş siparişim siparişimi", "where": "nerede", "when": "zaman", "track": "takip",
           "ship": "kargo teslimat paket", "return": "iade", "refund": "para_iadesi",
           "warranty": "garanti arızalı bozuk",
           "damaged": "hasarlı", "password": "şifre şifremi", "login": "giriş hesap hesabım",
           "invoice": "fatura faturayı", "payment": "ödeme", "address": "adres adresi", "change": "değiştirmek",
           "size": "beden", "cancel": "iptal", "discount": "indirim kupon"},
    "ru": {"order": "заказ заказа заказал заказала", "where": "где", "when": "когда", "track": "отследить трек",
           "arrive": "пришел пришла пришло получил получила", "ship": "посылка посылку доставка доставки курьер",
           "return": "возврат вернуть", "refund": "деньги", "warranty": "гарантия гарантии брак",
           "damaged": "поврежден повреждена", "password": "пароль", "login": "войти аккаунт",
           "invoice": "счет чек", "payment": "оплата оплатить", "address": "адрес", "change": "изменить",
           "size": "размер", "cancel": "отменить", "discount": "скидка промокод купон"},
    "uk": {"order": "замовлення замовив замовила", "where": "де", "when": "коли", "track": "відстежити",
           "arrive": "прийшло отримав отримала", "ship": "посилка посилку доставка кур'єр",
           "return": "повернення повернути",
           "refund": "гроші", "warranty": "гарантія гарантії", "password": "пароль", "invoice": "рахунок",
           "payment": "оплата", "address": "адресу адреса", "change": "змінити", "size": "розмір",
           "cancel": "скасувати", "discount": "знижка промокод"},
    "ro": {"order": "comanda comandă comenzii", "when": "când", "track": "urmărire urmări",
           "ship": "colet livrare livrat curier", "return": "retur returnare", "refund": "rambursare banii",
           "warranty": "garanție garanția defect", "invoice": "factura factură",
           "payment": "plata plată", "address": "adresa adresă", "size": "mărime mărimea", "cancel": "anula anulare",
           "discount": "reducere cupon"},
    "hu": {"order": "rendelés rendelésem rendeltem", "when": "mikor", "track": "nyomon_követés",
           "ship": "csomag csomagom szállítás futár", "return": "visszaküldés visszaküldeni", "refund": "visszatérítés",
           "warranty": "garancia jótállás", "password": "jelszó", "invoice": "számla számlát", "payment": "fizetés",
           "address": "címet címem", "size": "méret", "cancel": "lemondani", "discount": "kedvezmény kupon"},
}
# stemmed in every language a file is written in; each further table in its own language only (in
# another, its words are their concept as written: stemming them all in each costs a second)
STEMMED_EVERYWHERE = dict(CONCEPTS)
for _tables in MORE_CONCEPTS.values():
    for _concept, _words in _tables.items():
        CONCEPTS[_concept] += " " + _words


def language_of_locale(locale: str) -> str:
    """``es-mx`` → ``es``."""
    return locale.split("-")[0].split("_")[0].lower()


@lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...] = LANGUAGES) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, c.upper()) for c in languages]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def detect(texts: Sequence[str], fallback: str, among: Sequence[str] = ()) -> list[str]:
    """Each text's language (ISO 639-1).

    A file is written in a few languages: those that hold at least :data:`REPRESENTED` of its
    texts of :data:`SHORT` characters or more (and ``fallback``, the calendar's language).  A
    text first taken for another one ("Où en est ma commande ?" read as Dutch: short texts
    mislead the detector) is detected again among those only, and so is a shorter text of two
    words or more ("Where is my order" in a French and English file).  A text of one word, or
    a short one in a file written in one language, is in ``fallback`` ("track order" is not
    German).  A long text the sample (:func:`_represented`) did not read is told by its stop
    words when they are decisive (:func:`_by_stop_words`), else read among the file's languages.
    ``among``: the languages to choose from, when known (an FAQ's, from its requests')."""
    if not texts:
        return []
    out = [fallback] * len(texts)
    kept, again, quick = (tuple(among), list(range(len(texts))), []) if among else _to_read(texts, out)
    if len(kept) < 2:
        return [code if code in kept else fallback for code in out]
    owner = _owners(kept)
    for i in quick:
        out[i] = _by_stop_words(texts[i], owner)
    again = sorted([*again, *(i for i in quick if not out[i])])
    for i, found in zip(again, _detect([texts[i] for i in again], kept), strict=True):
        out[i] = found or fallback
    return out


def _to_read(texts: Sequence[str], out: list[str]) -> tuple[tuple[str, ...], list[int], list[int]]:
    """The languages a file is written in (``out`` gets the sample's), the texts lingua reads
    again among them, and the long texts the sample did not read (told by their stop words)."""
    kept, seen = _represented(texts, out)
    quick = [i for i, t in enumerate(texts) if i not in seen and len(t) >= SHORT]
    again = [i for i, t in enumerate(texts) if (i in seen or len(t) < SHORT)
             and (out[i] not in kept or (len(t) < SHORT and " " in t.strip()))]
    return kept, again, quick


@lru_cache(maxsize=8)
def _owners(languages: tuple[str, ...]) -> dict[str, str]:
    """The stop words (the stop-words package's) that only one of ``languages`` has: word → its language."""
    # among the file's own languages (the rest of it is read among those only): among all 63, a German
    # "für den" shares "den" with the Nordic languages and would tell nothing
    listed = {c: stop_words_of(c) for c in languages}  # none for a language the package has no list of
    return {w: c for c in languages for w in sorted(listed[c]) if not any(w in listed[o] for o in languages if o != c)}


def _by_stop_words(text: str, owner: dict[str, str]) -> str:
    """The language of ``text`` when its first :data:`WINDOW` characters say at least
    :data:`DECISIVE` stop words of that language alone and none of another's ("Tausend Dank für
    den tollen Service!"); '' when they do not (lingua reads it then).  Stop words are what
    tells languages apart in a short text, and reading them costs a tenth of lingua's time."""
    said = [found for w in TOKEN.findall(text[:WINDOW].lower()) if (found := owner.get(w))]
    return said[0] if len(said) >= DECISIVE and said.count(said[0]) == len(said) else ""


def strip_accents(text: str) -> str:
    """``text`` without combining marks after NFKD ("Bestellbestätigung" -> "Bestellbestatigung"),
    as scikit-learn's ``strip_accents_unicode`` does: here, so that what only folds words (answers,
    drafts) does not import scikit-learn); and the letters NFKD leaves whole ("Ładowanie" -> "Ladowanie",
    "størrelse" -> "storrelse")."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).translate(_UNSPLIT)


def _represented(texts: Sequence[str], out: list[str]) -> tuple[tuple[str, ...], set[int]]:
    """The languages a file is written in (``out[0]`` is the fallback), from its long texts (a
    sample of :data:`LANGUAGE_SAMPLE` of them, evenly spread, when it has more); ``out`` gets
    each text so read its language among all of :data:`LANGUAGES`.  Returns the languages and
    the texts read."""
    fallback = out[0]
    long = [i for i, t in enumerate(texts) if len(t) >= SHORT]
    seen = long[::-(-len(long) // LANGUAGE_SAMPLE)] if long else []  # evenly spread over the file
    for i, found in zip(seen, _detect([texts[i] for i in seen], LANGUAGES), strict=True):
        out[i] = found or fallback
    counts = Counter(_confirmed(texts[i], out[i]) for i in seen)
    return tuple(c for c in LANGUAGES if c == fallback or counts[c] >= REPRESENTED * len(seen)), set(seen)


def _confirmed(text: str, found: str) -> str:
    """The language ``text`` counts for when a file's languages are learnt: ``found``, lingua's
    reading of it among all of :data:`LANGUAGES`, unless its little words say another language
    plainly (two more of its stop words).  Read among so many, a short text is often taken for a
    neighbour ("When will my lamp be delivered?" for Danish, "Retour d'un article, la teinte ne
    me plaît pas" for Catalan), and a file would seem to be written in it.  A language without a
    stop-word list is taken as lingua reads it (Slovenian "Kje je moje naročilo?" has three Czech
    stop words)."""
    if not found:
        return found
    index = _stop_index()
    votes = Counter(c for w in TOKEN.findall(text.lower()) for c in index.get(w, ()))
    best = max(votes, key=lambda c: votes[c], default=found)
    return best if votes[best] >= votes[found] + 2 and stop_words_of(found) else found


@lru_cache(maxsize=1)
def _stop_index() -> dict[str, tuple[str, ...]]:
    """Each stop word of the languages that have a list: the languages it is one of."""
    index: dict[str, list[str]] = {}
    for code in LANGUAGES:
        for w in stop_words_of(code):
            index.setdefault(w, []).append(code)
    return {w: tuple(codes) for w, codes in index.items()}


def _detect(texts: list[str], languages: tuple[str, ...]) -> list[str]:
    """Each text's language among ``languages`` ('' when lingua cannot tell)."""
    found = _detector(languages).detect_languages_in_parallel_of([t[:WINDOW] for t in texts]) if texts else []
    return [f.iso_code_639_1.name.lower() if f is not None else "" for f in found]


@cache
def stop_words_of(code: str) -> frozenset[str]:
    """The stop words of ``code`` (the stop-words package's list; none when it has no list)."""
    from stop_words import LANGUAGE_MAPPING, get_stop_words

    return frozenset(w.lower() for w in get_stop_words(code)) if code in LANGUAGE_MAPPING else frozenset()


def _fold(word: str) -> str:
    return strip_accents(word)


class Words:
    """Stemmed, folded, concept-mapped words, per language; cached per (language, word)."""

    def __init__(self, languages: Iterable[str] = LANGUAGES):
        import snowballstemmer

        self.stemmers = {c: snowballstemmer.stemmer(SNOWBALL[c]) for c in SNOWBALL}
        self.stop: dict[str, frozenset[str]] = {}
        for code in LANGUAGES:
            words = set(stop_words_of(code))
            if code == "en":
                from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

                words = (words & set(ENGLISH_STOP_WORDS)) | {"hi", "hello", "thanks", "please", "pls", "thank"}
            words |= AUXILIARIES.get(code, frozenset())
            self.stop[code] = frozenset(w.lower() for w in words) - self._concept_words()
        self.concepts: dict[str, dict[str, str]] = {}  # per language, made when first asked for
        self.anywhere: dict[str, str] = {}
        for concept, listed in CONCEPTS.items():
            for word in listed.split():
                self.anywhere.setdefault(_fold(word), concept)
        self.cache: dict[tuple[str, str], str] = {}
        self.kept: dict[str, dict[str, str]] = {}  # per language: word -> its token, '' when it makes none
        self.surface: dict[str, dict[str, int]] = {}  # token: the words customers wrote for it, counted
        self.written: Counter[tuple[str, str]] = Counter()  # (language, word) seen, not yet in ``surface``

    @staticmethod
    def _concept_words() -> frozenset[str]:
        return frozenset(w for listed in CONCEPTS.values() for w in listed.split())

    def _concepts(self, language: str) -> dict[str, str]:
        """The shared vocabulary's stems in ``language`` (stemming it in every language costs
        time a file written in two does not need)."""
        code = language if language in LANGUAGES else "en"
        found = self.concepts.get(code)
        if found is None:
            found = self.concepts[code] = {}
            for concepts in (STEMMED_EVERYWHERE, MORE_CONCEPTS.get(code, {})):
                for concept, listed in concepts.items():
                    for word in listed.split():
                        found.setdefault(self._stem(code, word), concept)
        return found

    def _stem(self, language: str, word: str) -> str:
        stemmer = self.stemmers.get(language if language in LANGUAGES else "en")
        return strip_accents(stemmer.stemWord(word.lower()) if stemmer else word.lower())  # no stemmer: as written

    def word(self, language: str, word: str) -> str:
        """One word as the topics see it: ``~concept``, or its folded stem ('' for a stop word)."""
        key = (language, word)
        found = self.cache.get(key)
        if found is None:
            lower = word.lower()
            stop = self.stop.get(language, self.stop["en"])
            if lower in stop:
                found = ""
            else:
                folded = strip_accents(lower)
                stem = self._stem(language, lower)
                concepts = self._concepts(language)
                concept = concepts.get(stem) or self.anywhere.get(folded) or self._compound(language, folded)
                found = f"~{concept}" if concept else "" if stem in stop else stem  # "getting" as "get"
            self.cache[key] = found
        return found

    def _compound(self, language: str, folded: str) -> str:
        """The concept a compound word begins with, in the languages that write compounds as
        one word ("Bestellnummer", "Lieferstatus": an order's, a delivery's): '' for none."""
        if language not in COMPOUNDING:
            return ""
        concepts = self._concepts(language)
        for end in range(min(len(folded) - COMPOUND_REST, COMPOUND_LONGEST), COMPOUND_HEAD - 1, -1):
            concept = concepts.get(folded[:end])
            if concept:
                return concept
        return ""

    def tokens(self, language: str, text: str, seen: bool = False) -> list[str]:
        """The tokens of ``text``; ``seen``: remember the words written for each (see :meth:`shown`)."""
        particles = PARTICLES.get(language)
        lower = text.lower() if particles else ""
        if particles and any(map(lower.__contains__, particles)):
            found = self._joined(language, text, particles)
        else:
            found = TOKEN.findall(text)
        known = self.kept.get(language)
        if known is None:
            known = self.kept[language] = {}
        try:  # most words are known: a comprehension, twice the speed of a loop
            out = [t for t in map(known.__getitem__, found) if t]
        except KeyError:
            for w in found:
                if w not in known:
                    t = self.word(language, w)
                    known[w] = t if len(t) > 1 else ""
            out = [t for t in map(known.__getitem__, found) if t]
        if seen:
            self.written.update(zip(repeat(language), found))
        return out

    def _joined(self, language: str, text: str, particles: frozenset[str]) -> list[str]:
        """The words of ``text``, each separable particle joined to its verb when the two make a
        word of the shared vocabulary ("send the tent back": ``send_back``, a return; "schicke
        die Jacke zurück": ``zurückschicke``; "das Geld zurück": ``geld_zurück``, a refund),
        looking back a few words in its clause."""
        out: list[str] = []
        prefix = language in COMPOUNDING
        for clause in _CLAUSE.findall(text):
            words = TOKEN.findall(clause)
            for i, w in enumerate(words):
                if w.lower() not in particles:
                    continue
                alone = self.word(language, w)
                for j in range(i - 1, max(-1, i - 1 - PARTICLE_REACH), -1):
                    if not prefix and not self._object(language, words[j + 1:i]):
                        break  # "send a photo of the back": the back of something, not sending it back
                    joined = self._particle_word(language, words[j], w, alone)
                    if joined and prefix and "_" in joined:
                        words[i] = joined  # "Geld zurück": the noun keeps its own word, the particle is the phrase
                        break
                    if joined:
                        words[j], words[i] = joined, ""
                        break
            out.extend(x for x in words if x)
        return out

    def _particle_word(self, language: str, before: str, particle: str, alone: str) -> str:
        """The word ``before`` and ``particle`` make when it is one of the shared vocabulary
        (and says more than the particle alone), or '': a separable verb written as one word
        in the languages that write compounds ("zurückschicke"), or a phrase ("send_back",
        "geld_zurück")."""
        phrase = f"{before}_{particle}".lower()
        if language in COMPOUNDING:
            verb = f"{particle}{before}".lower()
            concept = self.word(language, verb)
            if concept.startswith("~") and concept != alone:
                return verb
            listed = self._concepts(language).get(self._stem(language, phrase))  # a phrase is no compound
            return phrase if listed and f"~{listed}" != alone else ""
        concept = self.word(language, phrase)
        return phrase if concept.startswith("~") and concept != alone else ""

    def _object(self, language: str, between: list[str]) -> bool:
        """Whether the words between a verb and its particle can be the verb's object, as a
        language that puts the particle after it says one: little words alone (stop words:
        "send [it] back") or a phrase that ends in a word of its own ("send [the Polarlicht down
        jacket] back"); one that ends in a little word after its own ("send [a photo of the]
        back") makes the particle a noun (the back of something)."""
        stop = self.stop.get(language, self.stop["en"])
        little = [w.lower() in stop for w in between]
        return not little or not little[-1] or all(little)

    def shown(self, token: str) -> str:
        """A token as a person reads it: the word customers wrote most for it (the first written
        of those written as often)."""
        for (language, w), n in self.written.items():  # in the order first seen
            t = self.kept[language][w]
            if t:
                written = self.surface.setdefault(t, {})
                shown = w.lower().replace("_", " ")
                written[shown] = written.get(shown, 0) + n
        self.written.clear()
        counts = self.surface.get(token)
        return max(counts, key=lambda w: counts[w]) if counts else token.lstrip("~#")
