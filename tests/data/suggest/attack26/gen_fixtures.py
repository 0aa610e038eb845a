"""Panela Forte: a Zendesk tickets export (pt-BR + Dutch + some English) and its Help Center.

Written from the vendors' documented formats (SOURCES.md) by a tester who has not read Herald's
code. Deterministic (seed 26): `python3 gen_fixtures.py` rewrites every file next to it.
The truth (truth.tsv: id<TAB>topic|noise) is written together with the export, before Herald ran.
"""
from __future__ import annotations

import json
import random
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
R = random.Random(26)
N = 4200
FIRST_ID = 700000
START = datetime(2026, 8, 3, tzinfo=UTC)
DAYS = 119

# ---- topics: (name, share); the rest is noise -------------------------------------------------
TOPICS = [
    ("tracking", 0.35), ("returns", 0.14), ("care", 0.10), ("payment", 0.08),
    ("address", 0.06), ("induction", 0.06), ("damaged", 0.045), ("giftcard", 0.025),
]
LANGS = [("pt", 0.56), ("nl", 0.29), ("en", 0.15)]

PROD = {
    "pt": ["frigideira de ferro fundido", "panela de ferro", "caçarola esmaltada", "grelha de ferro",
           "frigideira 26cm", "panela esmaltada vermelha", "chapa bifeteira", "wok de ferro"],
    "nl": ["gietijzeren pan", "braadpan", "grillpan", "koekenpan 26 cm", "geëmailleerde braadpan",
           "wok", "gietijzeren ovenschaal"],
    "en": ["cast iron skillet", "dutch oven", "grill pan", "enamel casserole", "26cm frying pan", "wok"],
}

T = {  # topic -> lang -> templates; {p} product, {o} order number, {d} days
    "tracking": {
        "pt": ["Onde está meu pedido {o}?", "Meu pedido ainda não chegou, já faz {d} dias",
               "Quando vai chegar minha {p}? Comprei faz {d} dias", "cade meu pedido??? {o}",
               "O rastreio não atualiza desde segunda, pedido {o}",
               "Gostaria de saber o status do meu pedido {o}", "Ainda não recebi a minha {p}",
               "qual o prazo de entrega pra SP? meu pedido ta parado", "pedido {o} consta como enviado mas nada de chegar",
               "Comprei uma {p} e até agora nada. Podem verificar?", "Nao recebi o codigo de rastreamento do pedido {o}",
               "A transportadora não entregou meu pedido, o que aconteceu?", "meu pedido esta atrasado",
               "Boa tarde, quando meu pedido sai para entrega?", "Previsão de entrega do pedido {o}?"],
        "nl": ["Waar blijft mijn bestelling {o}?", "Mijn pakket is nog steeds niet bezorgd",
               "Wanneer wordt mijn {p} geleverd?", "Ik heb mijn bestelling nog niet ontvangen, al {d} dagen",
               "de track & trace doet het niet, bestelling {o}", "Wat is de status van mijn bestelling {o}?",
               "Mijn pakket staat al {d} dagen op 'onderweg'", "PostNL zegt bezorgd maar ik heb niks gekregen",
               "Hoe lang duurt de levering naar België?", "waar is mijn pakketje", "Is mijn bestelling al verzonden?"],
        "en": ["Where is my order {o}?", "My {p} still hasn't arrived after {d} days",
               "Any update on my order {o}? Tracking hasn't moved", "When will my order be delivered?",
               "I haven't received my parcel yet", "order {o} - status?", "Has my order shipped yet?"],
    },
    "returns": {
        "pt": ["Quero devolver a {p}, como faço?", "Como faço para trocar minha {p}?",
               "Gostaria de devolver o pedido {o} e receber o reembolso", "Quero meu dinheiro de volta, a {p} não serviu",
               "Posso trocar por outro tamanho?", "qual o prazo pra devolucao?", "Já devolvi a {p} há {d} dias e o estorno não caiu",
               "Desisti da compra, como cancelo e devolvo?", "Como funciona a troca? A {p} é pequena demais",
               "Quero solicitar a devolução do pedido {o}", "o reembolso ainda nao apareceu no cartao"],
        "nl": ["Ik wil mijn {p} retourneren, hoe werkt dat?", "Hoe kan ik bestelling {o} terugsturen?",
               "Wanneer krijg ik mijn geld terug? Ik heb de {p} {d} dagen geleden teruggestuurd",
               "Kan ik de {p} ruilen voor een grotere?", "retour aanmelden", "Ik wil de bestelling retourneren en mijn geld terug",
               "Hoeveel dagen heb ik om te retourneren?", "terugbetaling nog niet ontvangen"],
        "en": ["How do I return my {p}?", "I want a refund for order {o}", "Can I exchange the {p} for a bigger one?",
               "Still waiting for my refund, returned it {d} days ago", "What is your return policy?"],
    },
    "care": {
        "pt": ["Minha {p} enferrujou, o que eu faço?", "Como curar a panela de ferro antes do primeiro uso?",
               "Posso lavar a {p} com detergente?", "A comida gruda na frigideira de ferro, normal?",
               "apareceu ferrugem na {p} depois de lavar", "como fazer a cura da {p}?", "Pode colocar a {p} na lava-louças?",
               "A panela ficou com manchas pretas, como limpo?", "Que óleo usar para curar ferro fundido?",
               "o esmalte da {p} ficou manchado, como limpar?"],
        "nl": ["Mijn {p} is gaan roesten, wat moet ik doen?", "Hoe brand ik mijn gietijzeren pan in?",
               "Mag de {p} in de vaatwasser?", "Alles blijft plakken in mijn gietijzeren pan", "roest op de {p} na afwassen",
               "Welke olie gebruik ik om de pan in te branden?", "Hoe maak ik de {p} schoon?"],
        "en": ["My {p} is rusting, how do I fix it?", "How do I season a cast iron pan?",
               "Can the {p} go in the dishwasher?", "Food keeps sticking to my cast iron skillet",
               "how to clean the {p}?"],
    },
    "payment": {
        "pt": ["Vocês aceitam Pix?", "Paguei com Pix e o pedido {o} não foi confirmado", "O boleto venceu, posso pagar outro?",
               "Meu cartão foi recusado no checkout", "Dá pra parcelar em 12x sem juros?", "Posso pagar com boleto?",
               "paguei o boleto ha {d} dias e o pagamento nao foi compensado", "O QR code do Pix expirou",
               "Quais as formas de pagamento?", "cobraram duas vezes no meu cartão"],
        "nl": ["Kan ik betalen met iDEAL?", "Mijn iDEAL betaling is mislukt maar het geld is wel afgeschreven",
               "Kan ik achteraf betalen met Klarna?", "Welke betaalmethoden hebben jullie?", "betaling mislukt bij bestelling {o}",
               "Accepteren jullie Bancontact?", "Mijn creditcard wordt geweigerd"],
        "en": ["Can I pay with PayPal?", "My card was declined at checkout", "I was charged twice for order {o}",
               "Which payment methods do you accept?"],
    },
    "address": {
        "pt": ["Preciso alterar o endereço de entrega do pedido {o}", "Coloquei o endereço errado, dá pra mudar?",
               "Posso mudar o endereço de entrega? Me mudei", "errei o CEP no pedido {o}", "Como trocar o endereco de entrega?",
               "O número da casa está errado no pedido, podem corrigir?", "Quero entregar no meu trabalho em vez de casa"],
        "nl": ["Ik wil het afleveradres van bestelling {o} wijzigen", "Verkeerd adres ingevuld, kan dat nog aangepast worden?",
               "Kan ik het bezorgadres nog veranderen?", "huisnummer klopt niet in mijn bestelling", "Kunnen jullie het naar mijn werkadres sturen?"],
        "en": ["I need to change the delivery address for order {o}", "I entered the wrong address, can you fix it?",
               "Can I change the shipping address?"],
    },
    "induction": {
        "pt": ["A {p} funciona em fogão de indução?", "Serve no cooktop de indução?", "Posso usar a {p} no fogão por indução?",
               "a panela de ferro risca o cooktop de vidro?", "funciona em fogao eletrico de inducao?", "Vai no forno e na indução?",
               "Meu cooktop de indução não reconhece a {p}"],
        "nl": ["Werkt de {p} op inductie?", "Is de {p} geschikt voor een inductiekookplaat?", "Krast gietijzer mijn inductieplaat?",
               "mijn inductie herkent de pan niet", "Kan de {p} op keramisch en inductie?"],
        "en": ["Does the {p} work on an induction hob?", "Is the {p} induction compatible?",
               "Will cast iron scratch my glass induction cooktop?"],
    },
    "damaged": {
        "pt": ["A {p} chegou quebrada", "Recebi a {p} com o esmalte lascado", "Produto veio danificado, a caixa estava amassada",
               "A tampa da {p} chegou trincada", "veio com defeito, o cabo está solto", "Minha {p} chegou rachada, pedido {o}"],
        "nl": ["Mijn {p} is beschadigd aangekomen", "Het email van de {p} is afgebladderd bij levering",
               "De deksel was gebarsten toen het pakket aankwam", "pan kapot ontvangen, bestelling {o}"],
        "en": ["My {p} arrived damaged", "The enamel was chipped when it arrived", "The lid arrived cracked, order {o}"],
    },
    "giftcard": {
        "pt": ["Como vejo o saldo do meu vale-presente?", "O vale-presente não funciona no checkout",
               "Ganhei um vale presente, como uso?", "Posso usar dois vales-presente no mesmo pedido?"],
        "nl": ["Hoe check ik het saldo van mijn cadeaubon?", "Mijn cadeaubon werkt niet bij het afrekenen",
               "Kan ik een cadeaubon gebruiken voor een deel van de bestelling?"],
        "en": ["How do I check my gift card balance?", "My gift card code isn't working"],
    },
}

SUBJECTS = {
    "tracking": {"pt": ["Pedido não chegou", "Status do pedido", "Rastreio", "Atraso na entrega"],
                 "nl": ["Bestelling niet ontvangen", "Status bestelling", "Track & trace"], "en": ["Order status", "Where is my order"]},
    "returns": {"pt": ["Devolução", "Troca", "Reembolso"], "nl": ["Retour", "Terugbetaling"], "en": ["Return", "Refund"]},
    "care": {"pt": ["Ferrugem", "Cura da panela", "Dúvida sobre limpeza"], "nl": ["Roest", "Inbranden"], "en": ["Rust", "Seasoning"]},
    "payment": {"pt": ["Pagamento", "Pix", "Boleto"], "nl": ["Betaling", "iDEAL"], "en": ["Payment"]},
    "address": {"pt": ["Alterar endereço", "Endereço errado"], "nl": ["Adres wijzigen"], "en": ["Change address"]},
    "induction": {"pt": ["Indução", "Dúvida fogão"], "nl": ["Inductie"], "en": ["Induction"]},
    "damaged": {"pt": ["Produto danificado", "Chegou quebrado"], "nl": ["Beschadigd"], "en": ["Damaged item"]},
    "giftcard": {"pt": ["Vale-presente"], "nl": ["Cadeaubon"], "en": ["Gift card"]},
}
GENERIC_SUBJ = {"pt": ["Dúvida", "Ajuda", "Atendimento", "Contato pelo site", "Re: Seu pedido"],
                "nl": ["Vraag", "Hulp", "Contactformulier", "Re: Je bestelling"], "en": ["Question", "Help", "Contact form"]}

GREET = {"pt": ["Olá,", "Oi!", "Boa tarde,", "Bom dia, tudo bem?", "Olá equipe Panela Forte,", "Prezados,", "Oi, boa noite"],
         "nl": ["Hallo,", "Hoi,", "Goedemiddag,", "Beste Panela Forte,", "Goedendag,"], "en": ["Hi,", "Hello,", "Hi there,"]}
CLOSE = {"pt": ["Obrigada", "Obrigado desde já!", "Aguardo retorno.", "Att,", "Abraços", "Grata,", "Fico no aguardo, obrigado"],
         "nl": ["Groetjes", "Met vriendelijke groet,", "Alvast bedankt!", "Mvg", "Groeten,"], "en": ["Thanks", "Best,", "Cheers"]}
NAMES = {"pt": ["Ana Souza", "Marcos Oliveira", "Juliana", "Fernanda Lima", "Rafael", "Bruna Costa", "Paulo Henrique", "Camila R."],
         "nl": ["Sanne de Vries", "Pieter", "Lotte Jansen", "Daan", "Eva van Dijk", "Thijs Bakker"], "en": ["Emma", "John Smith", "Liam"]}
SIG = {"pt": ["Enviado do meu iPhone", "Enviado do meu Galaxy", "Enviado do meu smartphone Samsung Galaxy.",
              "Enviado do Email para Windows", "Enviado do Yahoo Mail no Android", "Obter o Outlook para Android"],
       "nl": ["Verstuurd vanaf mijn iPhone", "Verzonden vanaf mijn iPad", "Verzonden met de Telegraaf Mail app",
              "Verstuurd vanaf mijn Samsung Galaxy-smartphone.", "Outlook voor Android downloaden"],
       "en": ["Sent from my iPhone", "Sent from my Android", "Get Outlook for iOS"]}
QUOTE_HDR = {"pt": "Em {wd}., {day} de {mon}. de 2026 às {hm}, Panela Forte <suporte@panelaforte.example> escreveu:",
             "nl": "Op {wd} {day} {mon} 2026 om {hm} schreef Panela Forte <support@panelaforte.example>:",
             "en": "On {wd}, {mon} {day}, 2026 at {hm} Panela Forte <support@panelaforte.example> wrote:"}
QUOTE_BODY = {"pt": ["Olá! Sua devolução foi registrada. O reembolso será feito em até 10 dias úteis.",
                     "Obrigado pelo contato. Para trocas e devoluções acesse nossa central de ajuda."],
              "nl": ["Hallo! Je retour is aangemeld. De terugbetaling volgt binnen 10 werkdagen.",
                     "Bedankt voor je bericht. Voor retourneren kijk in ons helpcentrum."],
              "en": ["Hi! Your return has been registered. The refund will follow within 10 working days."]}
WD = {"pt": ["seg", "ter", "qua", "qui", "sex"], "nl": ["ma", "di", "wo", "do", "vr"], "en": ["Mon", "Tue", "Wed", "Thu", "Fri"]}
MON = {"pt": ["set", "out", "nov"], "nl": ["sep", "okt", "nov"], "en": ["Sep", "Oct", "Nov"]}

THANKS = {"pt": ["Obrigada, deu tudo certo!", "Muito obrigado pela ajuda!", "Recebi, valeu!!", "Perfeito, obrigada 🙏",
                 "Ok obrigado", "Show, muito obrigada pelo retorno rápido", "Chegou hoje, obrigado!"],
          "nl": ["Bedankt, het is gelukt!", "Top, dank je wel!", "Super, bedankt voor de snelle reactie", "Ontvangen, dankjewel",
                 "Dank je!"],
          "en": ["Thanks, all sorted!", "Great, thank you so much", "Got it, thanks!"]}
OOO = {"pt": ("Resposta automática: {s}", "Estou fora do escritório até {dt} com acesso limitado ao e-mail. Em caso de urgência, "
              "contate financeiro@empresa.example.\n\nAtenciosamente,"),
       "nl": ("Automatisch antwoord: {s}", "Ik ben afwezig tot en met {dt} en heb beperkt toegang tot mijn e-mail. Voor dringende "
              "zaken kunt u contact opnemen met mijn collega via info@bedrijf.example.\n\nMet vriendelijke groet,"),
       "en": ("Automatic reply: {s}", "I am out of the office until {dt} with limited access to email. For urgent matters "
              "please contact my colleague.\n\nKind regards,")}
SPAM = ["Olá! Seu site não aparece na primeira página do Google. Oferecemos SEO com resultados garantidos em 30 dias. Responda SIM.",
        "Parabéns!!! Você foi sorteado e ganhou um iPhone 17. Clique aqui para resgatar seu prêmio: http://premio.example/x",
        "Beste eigenaar, wij bieden linkbuilding en backlinks van hoge kwaliteit. Bovenaan in Google binnen 4 weken!",
        "Hi, I'd love to write a guest post for your blog. We also sell high DA backlinks at a great price.",
        "Gefeliciteerd! U heeft een cadeaukaart van €500 gewonnen. Klik hier om uw prijs te claimen.",
        "Aumente suas vendas com marketing no Instagram! Pacotes de seguidores a partir de R$ 49.",
        "We can redesign your website and get you on the first page of Google. Reply for a free audit."]
ONEOFF = {"pt": ["Vocês têm loja física em Curitiba?", "Vocês vendem no atacado para restaurantes?", "Tem vaga de emprego?",
                 "Qual a diferença entre a frigideira 24 e a 26?", "Vocês fazem gravação a laser com nome?",
                 "Posso retirar pessoalmente no centro de distribuição?", "O produto tem garantia vitalícia mesmo?",
                 "Vocês têm programa de afiliados?", "A panela vem com manual em português?", "Quando volta a cor verde?",
                 "Vocês emitem nota fiscal com CNPJ?", "Tem desconto para compra em quantidade?", "Fazem parceria com influenciadores?"],
          "nl": ["Hebben jullie een winkel in Utrecht?", "Verkopen jullie ook aan horeca?", "Zijn er vacatures?",
                 "Wat is het verschil tussen de 24 en 26 cm pan?", "Kunnen jullie een naam graveren?", "Komt de groene kleur nog terug?",
                 "Werken jullie samen met influencers?", "Is er een nieuwsbrief?"],
          "en": ["Do you ship to Canada?", "Are you hiring?", "Do you offer engraving?", "Is there a student discount?"]}

GIFTWRAP_TAGS = ["vip", "web_form", "newsletter", "black_friday"]
TOPIC_TAG = {"tracking": "pedido_status", "returns": "devolucao", "care": "cuidados", "payment": "pagamento",
             "address": "endereco", "induction": "", "damaged": "avaria", "giftcard": "vale_presente"}


def pick(seq):
    return seq[R.randrange(len(seq))]


def weighted(pairs):
    x, acc = R.random(), 0.0
    for k, w in pairs:
        acc += w
        if x < acc:
            return k
    return pairs[-1][0]


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def typo(s: str) -> str:
    if len(s) < 8:
        return s
    i = R.randrange(1, len(s) - 2)
    op = R.random()
    if op < 0.4:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    if op < 0.7:
        return s[:i] + s[i + 1:]
    return s[:i] + s[i] + s[i:]


def order_no() -> str:
    return pick(["#PF-{}", "PF{}", "nº {}", "{}", "#{}"]).format(R.randrange(100000, 999999))


def question(topic: str, lang: str) -> str:
    q = pick(T[topic][lang]).format(p=pick(PROD[lang]), o=order_no(), d=R.randrange(3, 25))
    if lang == "pt" and R.random() < 0.3:
        q = strip_accents(q)
    if R.random() < 0.3:
        q = q.lower()
    if R.random() < 0.08:
        q = typo(q)
    if R.random() < 0.15:  # a second sentence of the same question
        q += " " + pick(T[topic][lang]).format(p=pick(PROD[lang]), o=order_no(), d=R.randrange(3, 25))
    return q


def quoted(lang: str) -> str:
    hdr = QUOTE_HDR[lang].format(wd=pick(WD[lang]), day=R.randrange(1, 29), mon=pick(MON[lang]),
                                 hm=f"{R.randrange(8, 19)}:{R.randrange(60):02d}")
    return "\n\n" + hdr + "\n> " + pick(QUOTE_BODY[lang]) + "\n>\n> Equipe Panela Forte"


def email_body(text: str, lang: str) -> str:
    parts = []
    if R.random() < 0.7:
        parts.append(pick(GREET[lang]))
    parts.append(text)
    if R.random() < 0.6:
        parts.append(pick(CLOSE[lang]) + ("\n" + pick(NAMES[lang]) if R.random() < 0.6 else ""))
    body = "\n\n".join(parts)
    if R.random() < 0.3:
        body += "\n\n" + pick(SIG[lang])
    if R.random() < 0.12:
        body += quoted(lang)
    return body


def htmlify(body: str) -> str:
    paras = body.split("\n\n")
    out = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paras)
    return pick(['<div dir="ltr">{}</div>', "<html><body>{}</body></html>", "{}"]).format(out)


def chat_transcript(text: str, lang: str, when: datetime, name: str) -> str:
    t = when
    def ts():
        nonlocal t
        t += timedelta(seconds=R.randrange(5, 90))
        return t.strftime("%I:%M:%S %p").lstrip("0")
    lines = [f"Chat started: {when:%Y-%m-%d %I:%M %p} UTC", "", "URL: https://www.panelaforte.example/" +
             pick(["", "produtos/frigideira", "nl/winkel", "ajuda"]), ""]
    if R.random() < 0.5:
        lines.append(f"({ts()}) {name}: " + pick({"pt": ["oi", "olá", "boa tarde"], "nl": ["hallo", "hoi"], "en": ["hi", "hello"]}[lang]))
    lines.append(f"({ts()}) {name}: {text}")
    agent = {"pt": "Mariana", "nl": "Joost", "en": "Carla"}[lang]
    lines.append(f"*** {agent} joined the chat ***")
    lines.append(f"({ts()}) {agent}: " + {"pt": "Olá! Vou verificar para você, um momento.",
                                           "nl": "Hallo! Ik kijk het even voor je na.",
                                           "en": "Hi! Let me check that for you."}[lang])
    lines.append(f"({ts()}) {name}: " + pick(THANKS[lang]))
    lines += ["", f"Chat length: {R.randrange(2, 15)} minutes", "Chat ended by visitor"]
    return "\n".join(lines)


def messaging(text: str, lang: str, when: datetime) -> str:
    user = f"Web User {R.randrange(16**8):08x}"
    bot = "Assistente Panela Forte" if lang == "pt" else "Panela Forte bot"
    menu = {"pt": "Olá! Como posso ajudar? Escolha uma opção: Meu pedido | Trocas | Outro assunto",
            "nl": "Hallo! Waarmee kan ik helpen? Kies: Mijn bestelling | Retour | Iets anders",
            "en": "Hi! How can I help? Choose: My order | Returns | Something else"}[lang]
    t = when.strftime("%I:%M:%S %p")
    return (f"Conversation with {user}\n\nURL: https://www.panelaforte.example/\n\n{bot}\n{t}\n{menu}\n\n"
            f"{user}\n{t}\n{pick(['Outro assunto', 'Iets anders', 'Something else'])}\n\n{user}\n{t}\n{text}")


def when_for(topic: str) -> datetime:
    day = R.randrange(DAYS)
    if topic == "tracking" and R.random() < 0.3:  # Black Friday week
        day = R.randrange(112, DAYS)
    hour = weighted([(9, .1), (10, .12), (11, .1), (13, .08), (14, .1), (15, .08), (19, .1), (20, .14), (21, .1), (22, .08)])
    return START + timedelta(days=day, hours=hour + 3, minutes=R.randrange(60), seconds=R.randrange(60))  # UTC (BRT+3)


def ticket(i: int, kind: str, lang: str) -> dict:
    """kind: a topic, or noise:thanks/ooo/spam/oneoff."""
    when = when_for(kind)
    tags: list[str] = []
    channel = weighted([("email", .55), ("web", .2), ("chat", .12), ("messaging", .08), ("api", .05)])
    if kind.startswith("noise:"):
        sub = kind[6:]
        if sub == "thanks":
            subject = "Re: " + pick(SUBJECTS["tracking"][lang] + GENERIC_SUBJ[lang])
            desc = pick(THANKS[lang]) + ("\n\n" + pick(SIG[lang]) if R.random() < 0.4 else "") + quoted(lang)
            channel = "email"
        elif sub == "ooo":
            s, b = OOO[lang]
            subject = s.format(s=pick(["Seu pedido foi enviado!", "Je bestelling is onderweg", "Your order has shipped"]))
            desc = b.format(dt=pick(["15/11", "3 november", "Nov 20"])) + "\n" + pick(NAMES[lang])
            channel = "email"
            if R.random() < 0.3:
                tags.append("auto_reply")
        elif sub == "spam":
            subject = pick(["Parceria", "Proposta comercial", "SEO", "Samenwerking", "Business proposal", "🎁 Prêmio"])
            desc = pick(SPAM)
            channel = pick(["email", "web"])
            if R.random() < 0.5:
                tags.append("spam")
        else:
            subject = pick(GENERIC_SUBJ[lang])
            desc = email_body(pick(ONEOFF[lang]), lang)
    else:
        q = question(kind, lang)
        r = R.random()
        subject = pick(SUBJECTS[kind][lang]) if r < 0.45 else (pick(GENERIC_SUBJ[lang]) if r < 0.7 else q[:40])
        if channel == "chat":
            name = pick(NAMES[lang])
            subject = f"Chat with {name}"
            desc = chat_transcript(q, lang, when, name)
        elif channel == "messaging":
            subject = f"Conversation with Web User {R.randrange(16**8):08x}"
            desc = messaging(q, lang, when)
        else:
            desc = email_body(q, lang)
        if TOPIC_TAG[kind] and R.random() < 0.05:
            tags.append(TOPIC_TAG[kind])
    if R.random() < 0.3:
        tags.append(pick(GIFTWRAP_TAGS))
    if channel in ("email", "web", "api") and R.random() < 0.15:
        desc = htmlify(desc)
    via_channel = {"messaging": "web"}.get(channel, channel)
    upd = when + timedelta(hours=R.randrange(1, 72))
    return {
        "url": f"https://panelaforte.zendesk.com/api/v2/tickets/{i}.json", "id": i, "external_id": None,
        "via": {"channel": via_channel, "source": {"from": {}, "to": {}, "rel": "messaging" if channel == "messaging" else None}},
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "updated_at": upd.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "type": pick([None, "question", "incident"]), "subject": subject, "raw_subject": subject, "description": desc,
        "priority": pick([None, "normal", "low"]), "status": pick(["solved", "closed", "open"]), "recipient": None,
        "requester_id": 360000000 + R.randrange(10**6), "submitter_id": None, "assignee_id": 361000000 + R.randrange(5),
        "organization_id": None, "group_id": 362000001, "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [],
        "forum_topic_id": None, "problem_id": None, "has_incidents": False, "is_public": True, "due_at": None,
        "tags": tags, "custom_fields": [], "satisfaction_rating": None, "sharing_agreement_ids": [], "brand_id": 363000001,
        "allow_channelback": False, "allow_attachments": True,
    }


def requests() -> tuple[list[dict], list[tuple[int, str]]]:
    noise = 1 - sum(w for _, w in TOPICS)
    kinds = TOPICS + [("noise:thanks", noise * .35), ("noise:ooo", noise * .2), ("noise:spam", noise * .2),
                      ("noise:oneoff", noise * .25)]
    out, truth = [], []
    for n in range(N):
        i = FIRST_ID + n
        kind = weighted(kinds)
        lang = weighted(LANGS)
        if kind == "noise:spam":
            lang = "pt"
        t = ticket(i, kind, lang)
        out.append(t)
        truth.append((i, "noise" if kind.startswith("noise:") else kind))
    out.sort(key=lambda t: t["created_at"])
    return out, truth


ARTICLES = [  # id, label, {locale: (title, body)}, source_locale, draft
    (201, "devolucao", {"pt-br": ("Trocas e devoluções", "Você pode devolver ou trocar qualquer produto em até 30 dias. O reembolso é feito em até 10 dias úteis após recebermos a devolução."),
                        "nl": ("Retourneren en geld terug", "Je kunt elk product binnen 30 dagen retourneren of ruilen. Je krijgt je geld terug binnen 10 werkdagen na ontvangst van de retour."),
                        "en-us": ("Returns and refunds", "You can return or exchange any item within 30 days. Refunds are paid within 10 working days of receiving the return.")}, "pt-br", False),
    (202, "cuidados", {"pt-br": ("Como cuidar da sua panela de ferro fundido", "Lave com água quente, seque no fogo e passe uma camada fina de óleo. Para remover ferrugem, esfregue com palha de aço e faça a cura novamente. Não use lava-louças."),
                       "nl": ("Je gietijzeren pan onderhouden", "Spoel af met heet water, droog de pan op het vuur en wrijf in met een dun laagje olie. Roest verwijder je met staalwol, daarna opnieuw inbranden. Niet in de vaatwasser."),
                       "en-us": ("Caring for your cast iron pan", "Rinse with hot water, dry it on the hob and rub in a thin layer of oil. Scrub rust off with steel wool and season again. Not dishwasher safe.")}, "pt-br", False),
    (203, "pagamento", {"pt-br": ("Formas de pagamento: Pix, boleto e cartão", "Aceitamos Pix, boleto bancário e cartão de crédito em até 12x. O boleto é compensado em até 3 dias úteis; o Pix é confirmado na hora."),
                        "nl": ("Betaalmethoden: iDEAL, Klarna en creditcard", "Je kunt betalen met iDEAL, Bancontact, Klarna (achteraf betalen) en creditcard. Mislukte betalingen worden binnen 5 dagen teruggestort."),
                        "en-us": ("Payment methods", "We accept credit cards, PayPal, Pix, boleto and iDEAL. Failed payments are refunded automatically within 5 days.")}, "en-us", False),
    (204, "endereco", {"pt-br": ("Como alterar o endereço de entrega do pedido", "Enquanto o pedido não for enviado, você pode alterar o endereço de entrega em Minha conta > Pedidos ou falando com a gente."),
                       "nl": ("Het afleveradres van je bestelling wijzigen", "Zolang je bestelling nog niet verzonden is, kun je het afleveradres wijzigen via Mijn account > Bestellingen."),
                       "en-us": ("Changing the delivery address of an order", "Until your order ships you can change its delivery address under My account > Orders.")}, "en-us", False),
    (205, "avaria", {"pt-br": ("Meu produto chegou danificado", "Se o produto chegou quebrado, lascado ou com defeito, envie fotos em até 7 dias e enviamos um novo sem custo."),
                     "nl": ("Mijn product is beschadigd aangekomen", "Is je product kapot, afgebladderd of gebarsten aangekomen? Stuur binnen 7 dagen foto's en we sturen gratis een nieuwe."),
                     "en-us": ("My item arrived damaged", "If your item arrived broken, chipped or cracked, send us photos within 7 days and we will send a replacement free of charge.")}, "en-us", False),
    (206, "vale_presente", {"pt-br": ("Vale-presente: saldo e uso", "Confira o saldo do vale-presente no checkout. É possível usar um vale-presente por pedido."),
                            "nl": ("Cadeaubon: saldo en gebruik", "Controleer het saldo van je cadeaubon bij het afrekenen. Je kunt één cadeaubon per bestelling gebruiken."),
                            "en-us": ("Gift cards: balance and use", "Check your gift card balance at checkout. One gift card can be used per order.")}, "en-us", False),
    # distractors: no request needs them
    (301, "receitas", {"pt-br": ("Receita: feijoada na panela de ferro", "Uma feijoada completa feita na nossa caçarola de ferro fundido, passo a passo."),
                       "nl": ("Recept: stoofpot uit de gietijzeren braadpan", "Een klassieke Hollandse stoofpot uit onze gietijzeren braadpan."),
                       "en-us": ("Recipe: black bean stew in a cast iron pot", "A slow-cooked stew in our cast iron dutch oven, step by step.")}, "pt-br", False),
    (302, "lojas", {"pt-br": ("Nossas lojas em São Paulo e Amsterdã", "Visite nossos showrooms na Vila Madalena e em De Pijp."),
                    "nl": ("Onze winkels in Amsterdam en São Paulo", "Bezoek onze showrooms in De Pijp en Vila Madalena."),
                    "en-us": ("Our stores in São Paulo and Amsterdam", "Visit our showrooms in Vila Madalena and De Pijp.")}, "pt-br", False),
    (303, "empresas", {"pt-br": ("Presentes corporativos", "Kits de panelas personalizados com a marca da sua empresa para fim de ano."),
                       "nl": ("Relatiegeschenken", "Gepersonaliseerde pannensets met het logo van je bedrijf."),
                       "en-us": ("Corporate gifts", "Custom cookware sets with your company's logo for the holidays.")}, "en-us", False),
    # a draft that must be skipped: induction stays a gap
    (401, "inducao", {"pt-br": ("Panelas de ferro no fogão de indução", "Todas as nossas panelas de ferro fundido funcionam em cooktop de indução."),
                      "nl": ("Gietijzeren pannen op inductie", "Al onze gietijzeren pannen werken op een inductiekookplaat."),
                      "en-us": ("Cast iron on induction hobs", "All our cast iron pans work on induction hobs.")}, "en-us", True),
]


def slug(s: str) -> str:
    return "-".join(strip_accents(s).lower().replace(":", "").split())[:60]


def help_center() -> dict:
    arts = []
    for aid, label, tr, src, draft in ARTICLES:
        for loc, (title, body) in tr.items():
            arts.append({
                "id": 360010000000 + aid, "url": f"https://panelaforte.zendesk.com/api/v2/help_center/{loc}/articles/{360010000000 + aid}.json",
                "html_url": f"https://ajuda.panelaforte.example/hc/{loc}/articles/{360010000000 + aid}-{slug(title)}",
                "author_id": 361000000, "comments_disabled": False, "draft": draft, "promoted": False, "position": 0,
                "vote_sum": 0, "vote_count": 0, "section_id": 360020000001, "created_at": "2025-05-02T12:00:00Z",
                "updated_at": "2026-07-15T12:00:00Z", "edited_at": "2026-07-15T12:00:00Z", "name": title, "title": title,
                "source_locale": src, "locale": loc, "outdated": False, "outdated_locales": [], "permission_group_id": 1,
                "user_segment_id": None, "label_names": [label], "content_tag_ids": [],
                "body": f"<h2>{title}</h2><p>{body}</p>",
            })
    return {"count": len(arts), "next_page": None, "page": 1, "page_count": 1, "per_page": 100,
            "previous_page": None, "sort_by": "position", "sort_order": "asc", "articles": arts}


def main() -> None:
    tickets, truth = requests()
    (HERE / "zendesk_tickets.json").write_text(
        json.dumps({"tickets": tickets, "next_page": None, "previous_page": None, "count": len(tickets)},
                   ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (HERE / "truth.tsv").write_text("".join(f"{i}\t{t}\n" for i, t in truth), encoding="utf-8")
    (HERE / "zendesk_help_center.json").write_text(json.dumps(help_center(), ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")


if __name__ == "__main__":
    main()
