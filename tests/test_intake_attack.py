"""What a tester who had not read the code found by attacking the running intake (issue 22's
closing check), each reproduced here as the tester sent it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_intake import T0, TOKEN, Setup

STATUS = """\
components:
  checkout: {name: Checkout}
  tracking: {name: Delivery tracking}
alerts:
  - component: checkout
    labels: {service: checkout}
    severity: {default: {action: declare, for: 3s, networks: [site]}}
  - component: tracking
    labels: {service: tracking}
    severity: {default: {action: declare, for: 0s, networks: [site]}}
"""


def _alert(fingerprint: str, service: str, status: str = "firing", at=T0) -> dict:
    stamp = at.isoformat()
    return {"version": "4", "status": status, "alerts": [{
        "status": status, "labels": {"alertname": "DBDown", "service": service},
        "startsAt": stamp, "endsAt": stamp if status == "resolved" else "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint}]}


def _post(s, body: dict):
    """As a tool sends it: JSON with \\u escapes (a lone surrogate is valid JSON text)."""
    import json

    return s.client.post("/intake/alertmanager", content=json.dumps(body),
                         headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})


@pytest.fixture
def s(tmp_path):
    setup = Setup(tmp_path, STATUS)
    yield setup
    setup.intake.close()
    setup.ctx.close()


@pytest.mark.parametrize("fingerprint", ["abc\u0007", "nul\u0000id", "esc\u001b[2J", "lone\ud800", "x" * 900_000])
@pytest.mark.slow
def test_an_alert_id_the_ledger_cannot_store_as_it_is_never_wedges_the_intake(s, fingerprint):
    """A BEL in a fingerprint became U+FFFD in the ledger's key, so every decision after its
    `for:` looked for a row it could not find, and every alert got 503 until the ledger was
    removed; a 900 KB id was stored whole (and PostgreSQL's key column holds 200)."""
    s.clock.set(T0 + timedelta(seconds=1))
    assert _post(s, _alert(fingerprint, "checkout")).status_code == 200
    s.clock.set(T0 + timedelta(seconds=10))
    s.intake.tick()  # its for: passed: declared
    [incident] = s.status().incidents
    other = _post(s, _alert("clean", "tracking", at=T0 + timedelta(seconds=5)))
    assert other.status_code == 200, other.text
    gone = _post(s, _alert(fingerprint, "checkout", "resolved", T0 + timedelta(seconds=11)))
    assert gone.status_code == 200 and gone.json()["ignored"] == 0, gone.text
    assert s.status().incident(incident.id).resolved
    from scheduler.ledger import alerts as stored

    assert all(len(fp) <= 200 for fp in stored.load(s.ctx.ledger().db))


def test_a_client_that_goes_away_mid_body_is_no_traceback(s, caplog):
    """Content-Length 1000, a few bytes, then the socket closed: a 35-line ClientDisconnect traceback."""
    import logging

    from scheduler.web.intake import Intake

    endpoint = next(r for r in s.intake.routes() if r.path == "/intake/generic").endpoint
    assert isinstance(s.intake, Intake)

    async def receive():
        receive.calls += 1
        if receive.calls == 1:
            return {"type": "http.request", "body": b'{"id": "a"', "more_body": True}
        return {"type": "http.disconnect"}
    receive.calls = 0

    from starlette.requests import Request

    scope = {"type": "http", "method": "POST", "path": "/intake/generic", "query_string": b"",
             "headers": [(b"authorization", f"Bearer {TOKEN}".encode()), (b"content-length", b"1000")]}
    import asyncio

    with caplog.at_level(logging.DEBUG):
        answer = asyncio.run(endpoint(Request(scope, receive)))
    assert answer is None or answer.status_code == 400
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


def test_the_bearer_scheme_is_case_insensitive(s):
    """HTTP auth schemes are case-insensitive (RFC 9110 11.1): `bearer TOKEN` got 401."""
    body = _alert("a1", "tracking")
    for scheme in ("bearer", "BEARER", "Bearer"):
        answer = s.client.post("/intake/alertmanager", json=body, headers={"Authorization": f"{scheme} {TOKEN}"})
        assert answer.status_code == 200, (scheme, answer.text)
    assert s.client.post("/intake/alertmanager", json=body,
                         headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401


def test_the_intakes_own_words_pass_the_sample_voice_guide():
    """The intake resolved every incident with "… Thank you for your patience.", a stock phrase
    the sample's voice guide refuses: the resolution went `dead` and customers were never told
    (and "Showroom appointments works normally" was not English either)."""
    from datetime import datetime

    from campaigns.calendar import load as load_calendar
    from status.alerts import words
    from status.announce import announcements
    from status.lint import checker_for
    from status.load import loads
    from tests.conftest import ROOT

    calendar = load_calendar(str(ROOT / "content_calendar.yaml"))
    base = loads((ROOT / "status.yaml").read_text(encoding="utf-8"), calendar, "status.yaml")
    for component, part in base.components.items():
        updates = "".join(f"\n      - at: 2026-12-0{n + 1}T10:00\n        state: {state}\n        message: \"{text}\""
                          for n, (state, text) in enumerate([
                              ("investigating", words(base, component, None, "declare")),
                              ("identified", words(base, component, None, "raise")),
                              ("resolved", words(base, component, None, "resolve"))]))
        text = (f"components: {{{component}: {{name: {part.name}}}}}\nincidents:\n  - id: i\n    title: {part.name} "
                f"problems\n    impact: major\n    components: [{component}]\n    updates:{updates}\n")
        status = loads(text, calendar, "status.yaml")
        checker = checker_for(calendar, status)
        pubs = announcements(calendar, status, datetime.fromisoformat("2026-12-01T00:00+01:00"),
                             datetime.fromisoformat("2026-12-05T00:00+01:00"))
        assert {p.role for p in pubs} >= {"investigating", "identified", "resolved"}
        for pub in pubs:
            errors = [f.line() for f in checker.check(pub.text, pub.role or pub.kind, affected=(part.name,))
                      if f.severity == "error"]
            assert not errors, (component, pub.role, pub.text, errors)
        assert " works normally" not in words(base, component, None, "resolve")
