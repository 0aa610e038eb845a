"""Transcripts as the Panela Forte attack found them (issue 25): an agent's join without its time,
and messaging conversations written in blocks (who, when, what)."""

from __future__ import annotations

from campaigns.suggest.clean import clean_lines

CHAT = """Chat started: 2026-08-03 12:55 PM UTC

URL: https://www.panelaforte.example/nl/winkel

(12:55:36 PM) Camila R.: Como funciona a troca? A panela esmaltada vermelha é pequena demais
*** Mariana joined the chat ***
(12:55:51 PM) Mariana: Olá! Vou verificar para você, um momento.
(12:57:10 PM) Camila R.: Muito obrigado pela ajuda!

Chat length: 13 minutes
Chat ended by visitor"""

MESSAGING = """Conversation with Web User 2ce0a7a9

URL: https://www.panelaforte.example/

Panela Forte bot
11:22:21 PM
Hallo! Waarmee kan ik helpen? Kies: Mijn bestelling | Retour | Iets anders

Web User 2ce0a7a9
11:22:21 PM
Iets anders

Web User 2ce0a7a9
11:22:25 PM
Is de geëmailleerde braadpan geschikt voor een inductiekookplaat?

Sanne (Panela Forte)
11:25
Ja, alle pannen werken op inductie."""


def test_an_agent_who_joins_without_a_time_ends_what_the_customer_said():
    """The agent's answer and the customer's later thanks were the request's words."""
    assert clean_lines(CHAT) == ["Como funciona a troca? A panela esmaltada vermelha é pequena demais"]


def test_a_messaging_conversation_in_blocks_keeps_the_customers_blocks_only():
    """The bot's menu, the times ("PM" became a topic word) and the agent's answer were kept."""
    assert clean_lines(MESSAGING) == ["Iets anders", "Is de geëmailleerde braadpan geschikt voor een inductiekookplaat?"]


def test_a_mail_that_starts_like_a_conversation_is_read_as_a_mail():
    text = "Conversation with Anna about my order\n\nShe said it left on 10:30\nWhere is it now?"
    assert clean_lines(text) == ["She said it left on 10:30", "Where is it now?"]
