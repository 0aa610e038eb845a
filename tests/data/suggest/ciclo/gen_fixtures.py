#!/usr/bin/env python3
"""Generate realistic helpdesk exports + truth files for Herald's `suggest` (seeded, reproducible).
1) Zendesk NDJSON tickets (en + pl) with comments and Zendesk Chat transcripts,
   plus a Zendesk Help Center articles JSON with en-us/pl translations (same id).
2) Freshdesk CSV ticket export (it + en), dates dd/mm/yyyy HH:MM, plus FAQ CSV (it + en).
Truth files: id<TAB>topic (topic 'noise' for thanks/ooo/spam/one-offs)."""
import csv, json, random, datetime as dt, os
R = random.Random(25)
OUT = os.path.dirname(os.path.abspath(__file__))
def o(): return f"#{R.randint(100000, 999999)}"

T = {
 "en": {
  "tracking": ["Where is my order?", "My order {o} hasn't arrived yet, can you tell me where it is?",
               "Any update on the delivery of order {o}? It's been a week.", "Tracking shows nothing for my parcel {o}",
               "When will my bike be delivered?", "I ordered 10 days ago and still no package. Where is it?"],
  "returns": ["How do I return my bike and get a refund?", "I'd like to send back the helmet, it doesn't fit. How does the return work?",
              "What's your return policy? I want my money back", "Can I still return an item I bought 20 days ago?",
              "I returned the jacket two weeks ago, when do I get my refund?"],
  "battery": ["How long should I charge the battery the first time?", "My e-bike battery won't charge, the light blinks red",
              "Can I leave the battery charging overnight?", "How should I store the battery over the winter?",
              "The battery charger shows an orange light, is it charging?"],
  "address": ["Can I change the delivery address on my order {o}?", "I moved house, please send order {o} to my new address",
              "I typed the wrong street, can you update the shipping address?", "Is it possible to deliver to my office instead of home? Need to change the address",
              "Wrong postcode in my delivery address, how do I fix the address?"],
  "warranty": ["My frame cracked after 8 months, is that covered by the warranty?", "The gears stopped working, can I make a warranty claim?",
               "How long is the warranty on the motor?", "Is chipped paint covered under warranty?"],
  "size": ["Which frame size should I get? I'm 178 cm", "I'm between M and L, what frame size do you recommend?",
           "How do I measure my inseam to choose the frame size?", "Size guide question: I'm 165 cm tall, small or medium frame?"],
  "invoice": ["Where can I download my invoice?", "I need a VAT invoice with my company name on it",
              "Can you send me the invoice for order {o}?", "The invoice is missing my VAT number, can you reissue it?"],
  "promo": ["My discount code isn't working at checkout", "The code WELCOME10 says invalid when I apply it",
            "Promo code not applied to my basket", "The newsletter discount code doesn't work, is it expired?"],
  "thanks": ["Thanks so much, all sorted!", "Thank you for the quick help :)", "Great, thanks a lot!", "Perfect, thank you!"],
  "ooo": ["Out of office: I am away until 12/10 with limited access to email. For urgent matters please contact my colleague.",
          "Automatic reply: I'm on holiday and will reply when I'm back on Monday."],
  "spam": ["Boost your SEO ranking today! Cheap backlinks at www.seo-best.biz", "Congratulations, you won a free iPhone 17, click here to claim",
           "We offer guest posts on high DA websites, reply for our price list"],
  "oneoff": ["Do you sponsor local cycling clubs?", "Are you hiring bike mechanics in Leeds?", "Can I visit your warehouse on Saturday?",
             "What is the name of the song in your latest video ad?", "Do you ship to Iceland?", "Is your founder the one from the TV show?",
             "Can I pay with Bitcoin?", "Will you have a stand at the Eurobike fair?"],
  "hi": ["Hi team,", "Hello,", "Hi there,", ""], "sig": ["Sent from my iPhone", "--\nJohn Carter | Carter Logistics Ltd | Registered in England No. 0834521 | 12 High St, Leeds", "Thanks, Emma", "Best regards,\nTom"],
  "quote": "On Mon, 5 Oct 2026 at 10:02, Ciclo Support <support@ciclo.example> wrote:\n> Hello, you can read our return policy and how refunds work here.\n> Kind regards, Anna",
  "agent": ["Hi! I can help with that. Our returns and refunds page explains everything.", "Sure, let me check the battery charging guide for you."],
 },
 "pl": {
  "tracking": ["Gdzie jest moje zamówienie?", "Moja paczka {o} jeszcze nie dotarła, kiedy będzie dostawa?", "Zamówiłem rower 10 dni temu i nadal nic nie przyszło",
               "Czy możecie sprawdzić status zamówienia {o}?", "Kurier nie przyjechał, gdzie jest moja przesyłka?"],
  "returns": ["Jak zwrócić rower i odzyskać pieniądze?", "Chcę oddać kask, nie pasuje. Jak wygląda zwrot?",
              "Odesłałem kurtkę dwa tygodnie temu, kiedy dostanę zwrot pieniędzy?", "Jaka jest wasza polityka zwrotów?"],
  "battery": ["Jak długo ładować baterię za pierwszym razem?", "Bateria w rowerze elektrycznym nie chce się ładować, miga czerwona dioda",
              "Czy mogę ładować baterię przez całą noc?", "Jak przechowywać baterię zimą?"],
  "address": ["Czy mogę zmienić adres dostawy zamówienia {o}?", "Przeprowadziłem się, proszę wysłać zamówienie {o} na nowy adres",
              "Podałem zły adres dostawy, jak go poprawić?", "Czy można zmienić adres i dostarczyć do biura zamiast do domu?"],
  "warranty": ["Pękła rama po 8 miesiącach, czy to jest objęte gwarancją?", "Przerzutki przestały działać, czy mogę zgłosić to z gwarancji?",
               "Jak długa jest gwarancja na silnik?"],
  "size": ["Jaki rozmiar ramy wybrać? Mam 178 cm wzrostu", "Jestem między M a L, jaki rozmiar ramy polecacie?",
           "Jak zmierzyć przekrok, żeby dobrać rozmiar ramy?"],
  "invoice": ["Gdzie mogę pobrać fakturę?", "Potrzebuję faktury VAT na firmę", "Proszę o fakturę do zamówienia {o}", "Na fakturze brakuje mojego NIP, proszę o korektę faktury"],
  "promo": ["Kod rabatowy nie działa przy kasie", "Kod WELCOME10 jest nieprawidłowy", "Rabat z newslettera się nie nalicza, kod nie działa"],
  "thanks": ["Dziękuję bardzo, wszystko działa!", "Dzięki za szybką pomoc!", "Super, dziękuję!"],
  "ooo": ["Automatyczna odpowiedź: jestem poza biurem do 12.10, mam ograniczony dostęp do poczty.", "Odpowiedź automatyczna: jestem na urlopie do poniedziałku."],
  "spam": ["Pozycjonowanie stron tanio! Linki SEO www.seo-najlepsze.biz", "Gratulacje, wygrałeś darmowy telefon, kliknij tutaj"],
  "oneoff": ["Czy sponsorujecie lokalne kluby kolarskie?", "Czy szukacie mechaników rowerowych w Krakowie?", "Czy mogę odwiedzić wasz magazyn w sobotę?",
             "Czy można płacić kryptowalutą?", "Czy będziecie na targach rowerowych w Kielcach?"],
  "hi": ["Dzień dobry,", "Witam,", "Cześć,", ""], "sig": ["Wysłane z iPhone'a", "--\nJan Kowalski | Kowalski Transport Sp. z o.o. | NIP 123-456-78-90 | ul. Długa 5, Kraków", "Pozdrawiam,\nAnna"],
  "quote": "W dniu pon., 5 paź 2026 o 10:02 Ciclo Support <support@ciclo.example> napisał(a):\n> Dzień dobry, zasady zwrotów i zwrotu pieniędzy znajdzie Pan tutaj.\n> Pozdrawiamy, Anna",
  "agent": ["Dzień dobry! Chętnie pomogę. Zasady zwrotów są opisane na stronie zwrotów.", "Jasne, sprawdzę poradnik ładowania baterii."],
 },
 "it": {
  "tracking": ["Dov'è il mio ordine?", "Il mio pacco {o} non è ancora arrivato, quando arriva?", "Ho ordinato 10 giorni fa e ancora niente, dov'è la spedizione?",
               "Potete controllare lo stato della spedizione {o}?", "Il corriere non è passato, dov'è il mio pacco?"],
  "returns": ["Come faccio a restituire la bici e avere il rimborso?", "Vorrei rendere il casco, non è della mia taglia. Come funziona il reso?",
              "Ho spedito il reso due settimane fa, quando arriva il rimborso?", "Qual è la vostra politica di reso e rimborso?"],
  "battery": ["Quanto tempo devo caricare la batteria la prima volta?", "La batteria della e-bike non si carica, la spia lampeggia rossa",
              "Posso lasciare la batteria in carica tutta la notte?", "Come conservo la batteria durante l'inverno?"],
  "address": ["Posso cambiare l'indirizzo di consegna dell'ordine {o}?", "Ho traslocato, potete spedire l'ordine {o} al nuovo indirizzo?",
              "Ho sbagliato la via, potete correggere l'indirizzo di spedizione?", "È possibile cambiare indirizzo e consegnare in ufficio invece che a casa?"],
  "warranty": ["Il telaio si è crepato dopo 8 mesi, è coperto dalla garanzia?", "Il cambio non funziona più, posso chiedere l'intervento in garanzia?",
               "Quanto dura la garanzia sul motore?"],
  "size": ["Che taglia di telaio devo prendere? Sono alto 178 cm", "Sono tra la M e la L, che taglia del telaio consigliate?",
           "Come misuro il cavallo per scegliere la taglia del telaio?"],
  "invoice": ["Dove posso scaricare la fattura?", "Mi serve la fattura intestata alla mia azienda con partita IVA", "Potete mandarmi la fattura dell'ordine {o}?",
              "Nella fattura manca il mio codice fiscale, potete rifarla?"],
  "promo": ["Il codice sconto non funziona al checkout", "Il codice WELCOME10 risulta non valido", "Lo sconto della newsletter non viene applicato, il codice non va"],
  "thanks": ["Grazie mille, tutto risolto!", "Grazie per l'aiuto veloce!", "Perfetto, grazie!"],
  "ooo": ["Risposta automatica: sono fuori ufficio fino al 12/10 con accesso limitato alla posta.", "Fuori sede: rientro lunedì, per urgenze contattare la segreteria."],
  "spam": ["Posizionamento SEO garantito! Backlink economici su www.seo-migliore.biz", "Congratulazioni, hai vinto un iPhone gratis, clicca qui"],
  "oneoff": ["Sponsorizzate squadre ciclistiche locali?", "Cercate meccanici a Bologna?", "Posso visitare il vostro magazzino sabato?",
             "Accettate pagamenti in Bitcoin?", "Sarete presenti alla fiera EICMA?"],
  "hi": ["Buongiorno,", "Salve,", "Ciao,", ""], "sig": ["Inviato da iPhone", "--\nMario Rossi | Rossi Costruzioni S.r.l. | P.IVA 01234567890 | Via Roma 1, 20100 Milano", "Cordiali saluti,\nGiulia Bianchi"],
  "quote": "Il giorno lun 5 ott 2026 alle ore 10:02 Ciclo Assistenza <assistenza@ciclo.example> ha scritto:\n> Buongiorno, la nostra politica di reso e rimborso è spiegata qui.\n> Cordiali saluti, Anna",
  "agent": ["Ciao! Posso aiutarti. La pagina resi e rimborsi spiega tutto.", "Certo, controllo la guida alla ricarica della batteria."],
 },
}
# topic weights: tracking > returns > battery > address(gap) > warranty > size > invoice > promo(gap) ; noise
W = [("tracking", 18), ("returns", 14), ("battery", 12), ("address", 9), ("warranty", 8), ("size", 7), ("invoice", 6), ("promo", 6),
     ("thanks", 7), ("ooo", 4), ("spam", 4), ("oneoff", 5)]
NOISE = {"thanks", "ooo", "spam", "oneoff"}
def pick(): return R.choices([w[0] for w in W], [w[1] for w in W])[0]

def body(lang, topic):
    L = T[lang]; q = R.choice(L[topic]).replace("{o}", o())
    parts = [R.choice(L["hi"]), q] if topic not in ("ooo", "spam") else [q]
    if topic not in NOISE or topic == "oneoff":
        if R.random() < 0.35: parts.append(R.choice(L["sig"]))
        if R.random() < 0.2: parts.append(L["quote"])
    return "\n\n".join(p for p in parts if p), q

def when(i):
    base = dt.datetime(2026, 9, 28, 7, 0)
    return base + dt.timedelta(days=R.randint(0, 62), hours=R.choice([0, 1, 2, 3, 5, 6, 7, 9, 11, 13]), minutes=R.randint(0, 59))

# ---------------- 1. Zendesk NDJSON (en 60%, pl 40%) ----------------
def zendesk():
    tickets, truth = [], []
    for i in range(900):
        tid = 48000 + i; lang = "en" if R.random() < 0.6 else "pl"; topic = pick()
        text, q = body(lang, topic); created = when(i)
        channel = R.choices(["email", "web", "chat"], [5, 3, 2])[0]
        tags = [] ; 
        if topic == "spam" and R.random() < 0.5: tags.append("spam")
        if topic == "tracking" and R.random() < 0.3: tags.append("wismo")
        if lang == "pl": tags.append("lang_pl")
        if channel == "chat":
            v = f"Visitor {R.randint(10000, 99999)}"; t0 = created.strftime("%I:%M:%S %p")
            desc = (f"Chat started: {created:%Y-%m-%d %I:%M %p} UTC\n\nURL: https://ciclo.example/{lang}/help\n\n"
                    f"({t0}) {v}: {q}\n({t0}) *** Anna joined the chat ***\n({t0}) Anna: {R.choice(T[lang]['agent'])}\n"
                    f"({t0}) {v}: {R.choice(T[lang]['thanks'])}\n\nChat length: 00:04:12\nChat ended by visitor")
            subj = f"Chat with {v}"
        else:
            desc = text
            if channel == "web" and R.random() < 0.5:
                desc = "<div class=\"zd-comment\"><p>" + text.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p><p>&nbsp;</p></div>"
            subj = (q[:40] + "...") if R.random() < 0.4 else R.choice(["Question", "Help", "Pytanie" if lang == "pl" else "Support request", q.split(",")[0][:50]])
        comments = [{"id": tid * 10 + 1, "type": "Comment", "author_id": 900000 + i, "body": desc, "public": True,
                     "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "via": {"channel": channel}}]
        if channel != "chat" and R.random() < 0.5:
            comments.append({"id": tid * 10 + 2, "type": "Comment", "author_id": 1, "body": R.choice(T[lang]["agent"]), "public": True,
                             "created_at": (created + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"), "via": {"channel": "web"}})
        tickets.append({"id": tid, "url": f"https://ciclo.zendesk.com/api/v2/tickets/{tid}.json", "subject": subj, "raw_subject": subj,
                        "description": desc, "status": "solved", "priority": None, "type": "question", "tags": tags,
                        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
                        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "updated_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "requester_id": 900000 + i, "comments": comments})
        truth.append((tid, "noise" if topic in NOISE else topic))
    with open(f"{OUT}/zendesk_tickets.ndjson", "w") as f:
        for t in tickets: f.write(json.dumps(t, ensure_ascii=False) + "\n")
    with open(f"{OUT}/zendesk_truth.tsv", "w") as f:
        for tid, tp in truth: f.write(f"{tid}\t{tp}\n")
    A = [(101, "Returns and refunds", "Zwroty i zwrot pieniędzy", "You can return any item within 30 days. Refunds are paid within 5 days of receiving the return.", "Zwrot w ciągu 30 dni. Pieniądze oddajemy w 5 dni.", ["returns"]),
         (102, "Charging and storing your e-bike battery", "Ładowanie i przechowywanie baterii roweru elektrycznego", "Charge the battery fully before the first ride (about 5 hours). Store it at 50% in a dry place over winter. A blinking red light means...", "Przed pierwszą jazdą naładuj baterię do pełna (ok. 5 godzin). Zimą przechowuj baterię naładowaną w 50%.", ["battery"]),
         (103, "Warranty: what is covered", "Gwarancja: co obejmuje", "Frames have a 5-year warranty, motors 2 years. Paint and wear parts are not covered. How to make a warranty claim.", "Rama ma 5 lat gwarancji, silnik 2 lata. Jak zgłosić reklamację gwarancyjną.", ["warranty"]),
         (104, "Choosing your frame size", "Jak dobrać rozmiar ramy", "Measure your inseam and height, then use the frame size table.", "Zmierz przekrok i wzrost, a potem sprawdź tabelę rozmiarów ramy.", ["sizing"]),
         (105, "Downloading your invoice", "Pobieranie faktury", "Invoices are in your account under Orders. For a VAT invoice add your company and VAT number before ordering.", "Faktury znajdziesz w koncie, w zakładce Zamówienia. Fakturę VAT na firmę z NIP...", ["invoice"]),
         (106, "Recycling old batteries", "Recykling zużytych baterii", "Bring used e-bike batteries to any shop; we recycle them for free. Do not put batteries in household waste.", "Zużyte baterie przyjmujemy w każdym sklepie i oddajemy do recyklingu.", ["battery"]),
         (107, "Student discount", "Zniżka studencka", "Students get 10% off with a valid student card. Verify your status with UNiDAYS to get your discount code.", "Studenci mają 10% zniżki z ważną legitymacją. Kod rabatowy po weryfikacji.", ["discount"])]
    arts = []
    for aid, ten, tpl, ben, bpl, labels in A:
        for loc, title, b, slug in (("en-us", ten, ben, ten), ("pl", tpl, bpl, tpl)):
            s = slug.lower().replace(" ", "-").replace(":", "")
            arts.append({"id": aid, "url": f"https://ciclo.zendesk.com/api/v2/help_center/{loc}/articles/{aid}.json",
                         "html_url": f"https://help.acme.example/hc/{loc}/articles/{aid}-{s}", "author_id": 1, "comments_disabled": False,
                         "draft": False, "promoted": False, "position": 0, "vote_sum": 0, "vote_count": 0, "section_id": 3600,
                         "created_at": "2025-03-01T10:00:00Z", "updated_at": "2026-06-01T10:00:00Z", "edited_at": "2026-06-01T10:00:00Z",
                         "title": title, "source_locale": "en-us", "locale": loc, "outdated": False, "outdated_locales": [],
                         "permission_group_id": 1, "label_names": labels, "body": f"<p>{b}</p>"})
    arts.append({"id": 108, "url": "https://ciclo.zendesk.com/api/v2/help_center/en-us/articles/108.json", "html_url": "https://help.acme.example/hc/en-us/articles/108-change-delivery-address",
                 "draft": True, "title": "Changing the delivery address of your order", "source_locale": "en-us", "locale": "en-us", "label_names": ["address"],
                 "body": "<p>DRAFT - do not publish</p>", "section_id": 3600, "created_at": "2026-10-01T10:00:00Z", "updated_at": "2026-10-01T10:00:00Z"})
    json.dump({"articles": arts, "page": 1, "per_page": 100, "page_count": 1, "count": len(arts), "next_page": None, "previous_page": None},
              open(f"{OUT}/zendesk_help_center.json", "w"), ensure_ascii=False, indent=1)

# ---------------- 2. Freshdesk CSV (it 65%, en 35%), dd/mm/yyyy ----------------
def freshdesk():
    rows, truth = [], []
    cols = ["Ticket ID", "Subject", "Description", "Status", "Priority", "Source", "Type", "Agent", "Group", "Created time",
            "Due by Time", "Resolved time", "Closed time", "Last update time", "Tags", "Requester Name", "Requester Email"]
    for i in range(700):
        tid = 7100 + i; lang = "it" if R.random() < 0.65 else "en"; topic = pick()
        text, q = body(lang, topic); created = when(i)
        if R.random() < 0.3: text = "<div>" + text.replace("\n\n", "</div><div>").replace("\n", "<br>") + "</div>"
        subj = q if R.random() < 0.3 else R.choice(["Richiesta informazioni", "Domanda", "Aiuto"] if lang == "it" else ["Question", "Help needed"])
        if topic == "ooo": subj = "Risposta automatica: " + subj if lang == "it" else "Automatic reply: " + subj
        tags = "spam" if topic == "spam" and R.random() < 0.5 else ("italiano" if lang == "it" else "")
        rows.append([tid, subj, text, "Closed", "Low", R.choice(["Email", "Portal", "Chat"]), "Question", "Giulia", "Assistenza",
                     created.strftime("%d/%m/%Y %H:%M"), (created + dt.timedelta(days=2)).strftime("%d/%m/%Y %H:%M"), "", "", created.strftime("%d/%m/%Y %H:%M"),
                     tags, "Cliente", f"cliente{i}@example.it"])
        truth.append((tid, "noise" if topic in NOISE else topic))
    with open(f"{OUT}/freshdesk_tickets_it_en.csv", "w", newline="") as f:
        w = csv.writer(f); w.writerow(cols); w.writerows(rows)
    with open(f"{OUT}/freshdesk_truth.tsv", "w") as f:
        for tid, tp in truth: f.write(f"{tid}\t{tp}\n")
    faq = [("Come restituire un prodotto e ottenere il rimborso", "Hai 30 giorni per il reso; il rimborso arriva in 5 giorni.", "https://acme.example/it/aiuto/resi-rimborsi"),
           ("Returning an item and getting a refund", "You have 30 days to return; refunds in 5 days.", "https://acme.example/en/help/returns-refunds"),
           ("Come caricare e conservare la batteria della e-bike", "Carica la batteria 5 ore prima del primo uso; in inverno conservala al 50%.", "https://acme.example/it/aiuto/batteria"),
           ("Charging and storing your e-bike battery", "Charge 5 hours before first use; store at 50% in winter.", "https://acme.example/en/help/battery"),
           ("Garanzia: cosa copre", "Telaio 5 anni, motore 2 anni. Come chiedere l'intervento in garanzia.", "https://acme.example/it/aiuto/garanzia"),
           ("Warranty: what is covered", "Frame 5 years, motor 2 years. How to claim.", "https://acme.example/en/help/warranty"),
           ("Come scegliere la taglia del telaio", "Misura il cavallo e l'altezza e consulta la tabella taglie.", "https://acme.example/it/aiuto/taglie"),
           ("Choosing your frame size", "Measure inseam and height and use the size table.", "https://acme.example/en/help/frame-size"),
           ("Scaricare la fattura", "Le fatture sono nel tuo account, sezione Ordini. Per la fattura con partita IVA...", "https://acme.example/it/aiuto/fattura"),
           ("Downloading your invoice", "Invoices are in your account under Orders.", "https://acme.example/en/help/invoice"),
           ("Smaltimento delle batterie usate", "Porta le batterie usate in negozio, le ricicliamo gratis.", "https://acme.example/it/aiuto/smaltimento-batterie"),
           ("Sconto studenti", "Gli studenti hanno il 10% di sconto con tesserino valido; ricevi un codice sconto.", "https://acme.example/it/aiuto/sconto-studenti")]
    with open(f"{OUT}/freshdesk_faq_it_en.csv", "w", newline="") as f:
        w = csv.writer(f); w.writerow(["question", "answer", "url"]); w.writerows(faq)

zendesk(); freshdesk()
