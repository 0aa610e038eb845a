"""Writes the `herald suggest` test corpus (fixed seed): run `python tests/data/suggest/make_corpus.py`.

Tickets of a furniture shop in English and German, each known topic in several phrasings
(the label of each ticket is kept in `tickets.labels`, one per line, for the tests' adjusted
Rand index), unrelated noise, each topic arriving at its own hours; the same kind of tickets as
every export format Herald reads; and a help centre with matching and non-matching articles
(nothing about assembly: that topic is the gap).  `bench/bench_suggest.py` uses `tickets()`.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday; eight weeks of tickets
PRODUCTS = ["sofa", "armchair", "oak table", "bed frame", "bookshelf", "dining chair", "wardrobe"]
PRODUKTE = ["Sofa", "Sessel", "Eichentisch", "Bettgestell", "Regal", "Stuhl", "Kleiderschrank"]

# topic: (tag, UTC hours it arrives, weekdays, English subjects, English bodies, German subjects, German bodies)
TOPICS = {
    "order_status": ("order_status", [17, 18, 19], [0, 1, 2, 3, 4],
                     ["Where is my {p}?", "Order status?", "When will my {p} be delivered", "Delivery date for order {n}",
                      "Has my order shipped yet", "Tracking my order {n}"],
                     ["I ordered a {p} {w} weeks ago and still have no delivery date. Where is my order {n}?",
                      "Can you tell me the status of order {n}? I have not heard about the delivery.",
                      "My order {n} should have arrived by now. When will it be delivered?"],
                     ["Wo ist meine Bestellung?", "Lieferdatum für Bestellung {n}", "Wann kommt mein {p}?"],
                     ["Ich habe vor {w} Wochen ein {p} bestellt. Wann kommt die Lieferung der Bestellung {n}?",
                      "Wie ist der Status meiner Bestellung {n}? Die Lieferung ist noch nicht da."]),
    "returns": ("returns", [7, 8, 9], [0, 1],
                ["How do I return a {p}", "Return policy", "Can I send back my {p}?", "Refund for returned {p}"],
                ["The {p} does not fit our room. How can I return it and get a refund?",
                 "I want to send back the {p} from order {n}. What is your return policy?"],
                ["Rücksendung {p}", "Wie kann ich mein {p} zurückschicken?"],
                ["Das {p} passt nicht. Wie funktioniert die Rücksendung und die Erstattung?"]),
    "care": ("care", [8, 9, 10, 11], [5, 6],
             ["How to clean my velvet {p}", "Stain on the fabric", "Which oil for the oak table?",
              "Caring for a leather {p}"],
             ["There is a coffee stain on the fabric of my {p}. How do I clean it without damage?",
              "What oil or wax should I use to care for the wood of my {p}?"],
             ["Pflege für mein {p}", "Fleck auf dem Stoff"],
             ["Wie reinige ich den Stoff meines {p}? Welches Öl für die Pflege des Holzes?"]),
    "assembly": ("assembly", [13, 14], [5],
                 ["Assembly instructions missing", "How to assemble the {p}", "Screws missing for {p}"],
                 ["The assembly instructions for the {p} were not in the box and two screws are missing.",
                  "I cannot assemble the {p}: which screws go where?"],
                 ["Aufbauanleitung fehlt", "Schrauben fehlen beim {p}"],
                 ["Für den Aufbau des {p} fehlt die Anleitung und es fehlen Schrauben."]),
    "invoice": ("billing", [10, 11], [2, 3],
                ["Copy of my invoice", "Need a receipt for order {n}", "VAT invoice please"],
                ["Could you send me a copy of the invoice for order {n}? I need it with VAT for my company.",
                 "I lost the receipt for my {p}. Can I get the invoice again?"],
                ["Rechnung für Bestellung {n}", "Kopie der Rechnung"],
                ["Bitte senden Sie mir eine Kopie der Rechnung für Bestellung {n} mit Mehrwertsteuer."]),
}
NOISE = ["Hello", "Job application: carpenter", "Partnership proposal", "Test, please ignore",
         "Your newsletter", "Feedback about the website colours", "Question about your company history",
         "Press enquiry", "Thanks!", "Instagram collaboration"]
WEIGHTS = {"order_status": 40, "returns": 20, "care": 15, "assembly": 12, "invoice": 8, "noise": 5}


def tickets(n: int, seed: int = 16) -> Iterator[tuple[str, dict[str, object]]]:
    """``n`` tickets as (label, Zendesk ticket object); about a quarter in German."""
    rng = random.Random(seed)
    labels, weights = list(WEIGHTS), list(WEIGHTS.values())
    for i in range(n):
        label = rng.choices(labels, weights)[0]
        day = rng.randrange(56)
        if label == "noise":
            subject = body = rng.choice(NOISE)
            tags: list[str] = []
            hour = rng.randrange(24)
        else:
            tag, hours, days, en_s, en_b, de_s, de_b = TOPICS[label]
            german = rng.random() < 0.25
            subjects, bodies = (de_s, de_b) if german else (en_s, en_b)
            products = PRODUKTE if german else PRODUCTS
            fill = {"p": rng.choice(products), "n": rng.randrange(10000, 99999), "w": rng.randrange(3, 9)}
            subject, body = rng.choice(subjects).format(**fill), rng.choice(bodies).format(**fill)
            tags = [tag] + (["de"] if german else [])
            hour = rng.choice(hours)
            while (START + timedelta(days=day)).weekday() not in days:
                day = rng.randrange(56)
            if label == "order_status" and rng.random() < 0.3:  # order-status tickets rise over the period
                day = rng.randrange(28, 56)
                while (START + timedelta(days=day)).weekday() not in days:
                    day = rng.randrange(28, 56)
        at = START + timedelta(days=day, hours=hour, minutes=rng.randrange(60))
        yield label, {"id": i + 1, "subject": subject, "description": body, "tags": tags,
                      "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "via": {"channel": rng.choice(["email", "web"])},
                      "status": "closed"}


def write_ndjson(path: str, n: int, seed: int = 16) -> list[str]:
    labels = []
    with open(path, "w", encoding="utf-8") as f:
        for label, ticket in tickets(n, seed):
            labels.append(label)
            f.write(json.dumps(ticket, ensure_ascii=False) + "\n")
    return labels


def main() -> None:
    labels = write_ndjson(os.path.join(HERE, "tickets.ndjson"), 1500)
    with open(os.path.join(HERE, "tickets.labels"), "w", encoding="utf-8") as f:
        f.write("\n".join(labels) + "\n")
    sample = list(tickets(60, seed=7))
    with open(os.path.join(HERE, "zendesk.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Id", "Requester", "Subject", "Status", "Priority", "Via", "Tags", "Created at", "Updated at"])
        for _, t in sample:
            created = str(t["created_at"]).replace("T", " ").replace("Z", " +0000")
            w.writerow([t["id"], "Customer", t["subject"], "Closed", "Normal", "Web Form", " ".join(t["tags"]),
                        created, created])
    with open(os.path.join(HERE, "freshdesk.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Ticket ID", "Subject", "Description", "Status", "Priority", "Source", "Type", "Agent",
                    "Group", "Created time", "Tags"])
        for _, t in sample:
            created = str(t["created_at"]).replace("T", " ").replace("Z", "")
            w.writerow([t["id"], t["subject"], t["description"], "Closed", "Low", "Email", "Question", "", "",
                        created, ",".join(t["tags"])])
    with open(os.path.join(HERE, "helpscout.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Conversation ID", "Number", "Subject", "Preview", "Status", "Mailbox", "Customer Email",
                    "Tags", "Type", "Created At"])
        for _, t in sample:
            w.writerow([t["id"], t["id"], t["subject"], t["description"], "closed", "Support", "c@example.com",
                        ",".join(t["tags"]), "email", t["created_at"]])
    with open(os.path.join(HERE, "questions.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["question", "count", "hour", "weekday"])
        w.writerows([["Where is my order?", 120, 19, "Monday"], ["When will my sofa be delivered?", 80, 20, "Tuesday"],
                     ["How do I return a chair?", 40, 9, "Monday"], ["How to clean a velvet sofa", 25, 10, "Saturday"]])
    with open(os.path.join(HERE, "search.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Search Term", "Total Unique Searches", "Results Pageviews / Search"])
        w.writerows([["order status", 900, 1.2], ["track order", 700, 1.1], ["returns", 300, 2.0],
                     ["return policy", 250, 1.8], ["velvet cleaning", 120, 1.5], ["delivery time", 500, 1.3]])
    articles = [
        (101, "Returning an item and getting a refund",
         "<p>You can return any piece within 30 days. Send back the item in its packaging; the refund follows.</p>"),
        (102, "Caring for velvet, leather and oak",
         "<p>How to clean fabric stains, which oil and wax to use on wood, leather care.</p>"),
        (103, "Getting a copy of your invoice",
         "<p>Download the invoice or receipt with VAT for any order from your account.</p>"),
        (104, "Careers at Acme", "<p>Join our workshop: open positions for carpenters and upholsterers.</p>"),
        (105, "Gift cards", "<p>Gift cards for any amount, valid for three years.</p>"),
        (106, "Showroom opening hours", "<p>Visit our showroom in Berlin, Monday to Saturday.</p>"),
    ]
    with open(os.path.join(HERE, "help_center.json"), "w", encoding="utf-8") as f:
        json.dump({"articles": [{"id": i, "title": title, "body": body, "locale": "en-us", "draft": False,
                                 "html_url": f"https://acme.example/hc/en-us/articles/{i}-{re.sub(r'[^a-z]+', '-', title.lower())}"}
                                for i, title, body in articles], "count": len(articles), "page": 1}, f, indent=1)


if __name__ == "__main__":
    main()
