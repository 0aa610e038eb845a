"""The resolved announcement says sorry once (issue 27 attack): when the ops message already
apologises, the template's own apology is left out; when it does not, the template's stays.
In the languages the voice guide reads (English, German) and with a guide's own apology cues."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns.calendar import loads as load_calendar
from status.announce import announcements
from status.load import loads
from tests.conftest import calendar_text
from tests.test_status import CALENDAR, STATUS

RESOLVED = STATUS + """\
      - at: 2026-12-01T11:00
        state: resolved
        message: MESSAGE
"""
START, END = datetime(2026, 12, 1, 0, 0, tzinfo=UTC), datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def resolved(message: str, calendar=CALENDAR) -> str:  # noqa: ANN001
    status = loads(RESOLVED.replace("MESSAGE", message), calendar)
    texts = [p.text for p in announcements(calendar, status, START, END)
             if p.network == "site" and p.at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)]
    assert len(texts) == 1
    return texts[0]


def test_a_message_that_apologises_gets_no_second_apology():
    text = resolved("Card payments work again. Sorry for the trouble this morning.")
    assert text == "Resolved: Card payments fail. Card payments work again. Sorry for the trouble this morning."


@pytest.mark.parametrize("message", ["Card payments work again. We apologise for the trouble this morning.",
                                     "Card payments work again. Our apologies to everyone who could not pay.",
                                     "Card payments work again; we're SORRY it took so long."])
def test_any_english_apology_counts(message):
    assert resolved(message) == f"Resolved: Card payments fail. {message}"


def test_a_message_without_an_apology_keeps_the_templates():
    text = resolved("Card payments work again.")
    assert text == "Resolved: Card payments fail. Card payments work again. Sorry again for the trouble this caused."


def test_a_word_that_only_contains_sorry_is_no_apology():
    text = resolved("Card payments work again, sorrowful as the morning was.")
    assert text.endswith("Sorry again for the trouble this caused.")


GERMAN = calendar_text("""
- id: tip
  kind: tip
  networks: [site]
  at: 2026-12-05T10:00
  text: Hallo
""").replace("brand:\n", """brand:
  voice: {language: de}
  status_templates:
    resolved: "Behoben: {title}. {message} Es tut uns leid, dass es Ärger gab."
    investigating: "Wir untersuchen {title}. Entschuldigung! {message}"
""")


def test_a_german_message_that_apologises_gets_no_second_apology():
    calendar = load_calendar(GERMAN)
    text = resolved("Kartenzahlungen funktionieren wieder. Entschuldigen Sie die Störung.", calendar)
    assert text == "Behoben: Card payments fail. Kartenzahlungen funktionieren wieder. Entschuldigen Sie die Störung."
    text = resolved("Kartenzahlungen funktionieren wieder.", calendar)
    assert text.endswith("Es tut uns leid, dass es Ärger gab.")


def test_an_english_apology_in_a_german_calendar_counts_too():
    calendar = load_calendar(GERMAN)
    assert "tut uns leid" not in resolved("Payments work again. Sorry!", calendar)
