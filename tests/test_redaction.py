"""Secrets are redacted by value wherever text leaves the process."""

from __future__ import annotations

import logging

import pytest

from scheduler import redaction


@pytest.fixture(autouse=True)
def _fresh_registry():
    redaction.forget_all()
    yield
    redaction.forget_all()


def test_a_registered_secret_is_masked_wherever_it_appears():
    redaction.register("s3cret/consumer+key-42")
    assert redaction.redact("oauth_consumer_key=s3cret/consumer+key-42, x") == "oauth_consumer_key=***, x"
    assert "s3cret" not in redaction.redact("GET /x?k=s3cret%2Fconsumer%2Bkey-42")


def test_urls_lose_their_secret_parts_even_when_not_registered():
    text = ("POST /bot1234567:AAEhBOweik6ad9r_QXMENQjcrGbqCUXXXX/sendMessage; "
            "https://user:pw@hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX?token=abc")
    out = redaction.redact(text)
    assert "AAEhBOweik6ad9r" not in out and "XXXXXXXXXXXXXXXXXXXXXXXX" not in out
    assert "token=***" in out and "pw@" not in out
    assert redaction.redact_url("https://h.example/in?token=abc") == "https://h.example/in?***"


def test_authorization_headers_are_masked():
    assert redaction.redact("{'Authorization': 'OAuth oauth_token=\"abc\"', 'A': 1}") == "{'Authorization': ***, 'A': 1}"


def test_the_log_filter_redacts_messages_arguments_and_tracebacks(caplog):
    redaction.register("tok-1234567890")
    logger = logging.getLogger("herald.test")
    redaction.install([caplog.handler])
    try:
        raise ValueError("bad tok-1234567890")
    except ValueError:
        logger.exception("sending with %s", "tok-1234567890")
    assert "tok-1234567890" not in caplog.text
    assert "sending with ***" in caplog.text


@pytest.mark.slow
def test_the_quick_checks_before_each_pattern_cover_every_name_it_knows():
    """redact() runs the header pattern only when one of _AUTH_WORDS occurs: each header name the
    pattern knows must contain one of them, in any case."""
    import re
    import sys

    from scheduler import redaction

    names = re.search(r"\(([a-z|-]+)\)", redaction._AUTH_HEADER.pattern).group(1).split("|")
    assert len(names) >= 6 and all(any(w in n for w in redaction._AUTH_WORDS) for n in names)
    assert redaction.redact("X-API-KEY: abc123") == "X-API-KEY: ***"
    assert redaction.redact("Set-Cookie= session=1") == "Set-Cookie= ***"
    # what the case-blind pattern matches but lower() does not make ASCII: the pattern runs there too
    folds = [chr(c) for c in range(128, sys.maxunicode + 1) if re.fullmatch(r"(?i)[a-z-]", chr(c))]
    assert sorted(folds) == sorted(redaction._FOLDS_TO_ASCII)
    assert redaction.redact("AUTHOR\u0130ZATION: Bearer s3cr3t") == "AUTHOR\u0130ZATION: ***"
    assert redaction.redact("COO\u212aIE: s3cr3t") == "COO\u212aIE: ***"


def test_a_url_with_a_port_that_is_not_a_number_is_still_redacted_not_an_error():
    from scheduler.redaction import redact, redact_url

    assert redact("fetch https://user:pw@host:abc/x failed") == "fetch https://***@host:abc/x failed"
    assert redact_url("https://host:abc/x?token=1") == "https://host:abc/x?***"
