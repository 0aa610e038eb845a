"""Writes an export herald suggest has never seen: Maison Lumière (lamps, Europe/Paris),
French and English, as Freshdesk's API answers ``GET /api/v2/tickets?include=description``
(a JSON array of ticket objects: ``id``, ``subject``, ``description`` (HTML),
``description_text``, ``created_at``, ``tags``, ``source`` (1 email, 2 portal, 7 chat),
``status``, ``priority``, ``spam``…), an FAQ CSV (``question``, ``answer``, ``url``) and the
truth for every ticket.  Written from Freshdesk's documented API shape, not from the code.

    python make_lumiere.py      # rewrites tickets.json, faq.csv, truth.csv (seed 2511)
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
R = random.Random(2511)

# topic: (count, answer url or None for a gap, French phrasings, English phrasings)
TOPICS = {
    "order_status": (150, "links.order_tracking",
                     ["Où en est ma commande {o} ?", "Je n'ai toujours pas reçu mon colis", "Commande {o} pas arrivée",
                      "Quand vais-je recevoir ma lampe ?", "Suivi de livraison de la commande {o}"],
                     ["Where is my order {o}?", "My parcel still hasn't arrived", "When will my lamp be delivered?",
                      "No tracking update for order {o}"]),
    "returns": (80, "https://aide.maison-lumiere.example/retours",
                ["Je voudrais retourner ma lampe, comment faire ?", "Retour d'un article, la teinte ne me plaît pas",
                 "Comment renvoyer la suspension et être remboursé ?"],
                ["How do I return a lamp?", "I would like to return the pendant light and get a refund",
                 "Return the floor lamp please, it does not fit"]),
    "bulb": (60, "https://aide.maison-lumiere.example/ampoules",
             ["Quelle ampoule pour la lampe Orsay ?", "Quel culot d'ampoule faut-il, E27 ou E14 ?",
              "L'ampoule fournie ne s'allume pas, laquelle acheter ?"],
             ["Which bulb fits the Orsay lamp?", "What bulb socket does the lamp need, E27 or E14?",
              "Which replacement bulb should I buy for my lamp?"]),
    "damaged": (50, None,
                ["La lampe est arrivée cassée", "Abat-jour cabossé à la livraison, que faire ?",
                 "Le verre de la suspension est fissuré à l'arrivée"],
                ["The lamp arrived broken", "Lampshade dented on delivery, what now?",
                 "The glass of the pendant was cracked when it arrived"]),
}
NOISE = ["Merci beaucoup, tout est réglé !", "Thanks a lot, all sorted!", "Réponse automatique : je suis absente "
         "jusqu'au 3 novembre.", "Out of office: I am away until Monday.", "Vous recrutez des vendeurs ?",
         "Do you sell gift cards in the Lyon shop?", "Great lamps!!! Buy cheap followers at spam.example",
         "Est-ce que la lampe Orsay existe en vert sapin ?", "Can I visit your workshop?"]
GREETING = {"fr": ["Bonjour,", "Bonsoir,", ""], "en": ["Hi,", "Hello,", ""]}
SIGN = {"fr": ["Cordialement,\nClaire Martin", "Envoyé de mon iPhone", "Bien à vous,\nLucas"],
        "en": ["Thanks,\nEmma", "Sent from my iPhone", "Best regards,\nJames"]}


def _ticket(n: int, at: datetime, subject: str, body: str, tags: list[str]) -> dict[str, object]:
    html = "<div>" + "</div><div>".join(body.split("\n")) + "</div>"
    return {"id": 5000 + n, "subject": subject, "description": html, "description_text": body,
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "updated_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tags": tags, "source": R.choice([1, 2, 7]), "status": R.choice([2, 3, 4, 5]), "priority": 1,
            "requester_id": 77000000 + n, "responder_id": None, "group_id": None, "type": None,
            "spam": False, "fr_escalated": False, "is_escalated": False, "cc_emails": [], "fwd_emails": [],
            "reply_cc_emails": [], "to_emails": None, "custom_fields": {}, "attachments": []}


def main() -> None:
    start = datetime(2026, 9, 1, 7, tzinfo=UTC)
    rows: list[tuple[str, str, list[str], str, str]] = []
    for label, (count, _answer, fr, en) in TOPICS.items():
        for i in range(count):
            language = "fr" if i % 3 else "en"  # two thirds in French
            line = R.choice(fr if language == "fr" else en).format(o=f"ML-{R.randint(100000, 999999)}")
            tags = ["commande"] if label == "order_status" and R.random() < 0.3 else []
            tags += ["prioritaire"] if R.random() < 0.05 else []  # a tag on every kind of request
            rows.append((label, language, tags, line.split("?")[0][:40], line))
    for i in range(60):
        text = NOISE[i % len(NOISE)]
        rows.append(("noise", "fr" if i % 2 else "en", [], text[:30], text))
    R.shuffle(rows)
    tickets, truth = [], []
    for n, (label, language, tags, subject, line) in enumerate(rows):
        at = start + timedelta(minutes=R.randint(0, 60 * 24 * 60))
        body = "\n".join(x for x in (R.choice(GREETING[language]), line, R.choice(SIGN[language])) if x)
        tickets.append(_ticket(n, at, subject, body, tags))
        truth.append({"id": 5000 + n, "label": label, "language": language})
    (HERE / "tickets.json").write_text(json.dumps(tickets, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with open(HERE / "truth.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["id", "label", "language"])
        writer.writeheader()
        writer.writerows(truth)
    with open(HERE / "faq.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["question", "answer", "url"])
        writer.writerow(["Returning an item and getting a refund", "Send the lamp back within 30 days in its box; "
                         "we refund you within five days.", "https://aide.maison-lumiere.example/retours"])
        writer.writerow(["Which bulb does my lamp need?", "Every lamp page lists its socket (E27 or E14) and the "
                         "bulb that fits it.", "https://aide.maison-lumiere.example/ampoules"])
        writer.writerow(["Gift cards", "Gift cards are sold online from 20 euros.",
                         "https://aide.maison-lumiere.example/cartes-cadeaux"])
        writer.writerow(["Opening hours of our workshop", "Our Lyon workshop is open Tuesday to Saturday.",
                         "https://aide.maison-lumiere.example/atelier"])
    (HERE / "answers.json").write_text(json.dumps(
        {label: answer for label, (_c, answer, _fr, _en) in TOPICS.items()}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
