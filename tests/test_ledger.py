"""The ledger, on SQLite and PostgreSQL: claims are exclusive and every state change is recorded."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.ledger import SCHEMA_VERSION, Item, Ledger, State

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def item(key: str = "k1", network: str = "site") -> Item:
    return Item(key=key, source="post:p", post="p", network=network, kind="tip", scheduled_at=T0, text="hello")


def test_a_claim_is_exclusive_until_its_lease_expires(ledger: Ledger):
    first = ledger.claim(item(), "engine-a", T0, LEASE)
    assert first is not None and not first.ambiguous and first.record.attempts == 1
    assert ledger.claim(item(), "engine-b", T0 + timedelta(seconds=30), LEASE) is None
    # Engine A died mid-send: after the lease, B may take it, and is told it may already have gone out.
    second = ledger.claim(item(), "engine-b", T0 + timedelta(seconds=61), LEASE)
    assert second is not None and second.ambiguous and second.record.attempts == 2
    assert not ledger.mark_sent("k1", "engine-a", T0, "late", None)  # A lost the row
    assert ledger.mark_sent("k1", "engine-b", T0 + timedelta(seconds=62), "remote-1", "https://x/1")
    record = ledger.get("k1")
    assert (record.state, record.remote_id, record.lease_owner, record.ambiguous) == (State.SENT, "remote-1", None, False)


def test_sent_is_final(ledger: Ledger):
    ledger.claim(item(), "a", T0, LEASE)
    ledger.mark_sent("k1", "a", T0, "r", None)
    assert ledger.claim(item(), "a", T0 + timedelta(days=1), LEASE) is None
    assert not ledger.settle(item(), State.SKIPPED, T0, "late")
    assert ledger.operator_retry("k1", T0) is None and ledger.operator_skip("k1", T0, "no") is None


def test_retry_waits_for_its_time_and_keeps_ambiguity(ledger: Ledger):
    ledger.claim(item(), "a", T0, LEASE)
    assert ledger.mark_retry("k1", "a", T0, "timeout", T0 + timedelta(minutes=2), ambiguous=True)
    assert ledger.claim(item(), "a", T0 + timedelta(minutes=1), LEASE) is None
    claim = ledger.claim(item(), "a", T0 + timedelta(minutes=2), LEASE)
    assert claim is not None and claim.ambiguous and claim.record.last_error == "timeout"
    assert [r.key for r in ledger.due_retries(T0 + timedelta(minutes=10))] == ["k1"]  # lease will expire by then


def test_dead_then_operator_retry(ledger: Ledger):
    ledger.claim(item(), "a", T0, LEASE)
    assert ledger.mark_dead("k1", "a", T0, "rejected: duplicate content")
    assert ledger.claim(item(), "a", T0 + timedelta(hours=1), LEASE) is None
    retried = ledger.operator_retry("k1", T0 + timedelta(hours=2))
    assert retried.state == State.RETRYING and "was dead: rejected" in retried.last_error
    assert ledger.claim(item(), "a", T0 + timedelta(hours=2), LEASE) is not None


def test_settle_records_skips_and_holds_without_sending(ledger: Ledger):
    assert ledger.settle(item("a"), State.SKIPPED, T0, "3 h late; tips go out up to 1 h late")
    assert ledger.settle(item("b"), State.HELD, T0, "paused: storm")
    assert not ledger.settle(item("a"), State.HELD, T0, "again")  # skipped is final
    assert [r.key for r in ledger.held()] == ["b"]
    assert ledger.operator_retry("b", T0).state == State.RETRYING
    assert ledger.counts() == {"skipped": 1, "retrying": 1}


@pytest.mark.slow
def test_release_gives_a_claim_back_without_counting_an_attempt(ledger: Ledger):
    ledger.claim(item(), "a", T0, LEASE)
    assert ledger.release("k1", "a", T0)
    record = ledger.get("k1")
    assert (record.state, record.attempts, record.next_attempt_at) == (State.RETRYING, 0, T0)


@pytest.mark.slow
def test_two_engines_racing_for_many_rows_never_both_win(ledger: Ledger, ledger_url: str):
    other = Ledger(ledger_url)
    wins: dict[str, list[str]] = {"a": [], "b": []}

    def race(name: str, book: Ledger) -> None:
        for i in range(40):
            if book.claim(item(f"k{i}"), name, T0, LEASE):
                wins[name].append(f"k{i}")

    threads = [threading.Thread(target=race, args=("a", ledger)), threading.Thread(target=race, args=("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert sorted(wins["a"] + wins["b"], key=lambda k: int(k[1:])) == [f"k{i}" for i in range(40)]
    assert not set(wins["a"]) & set(wins["b"])


@pytest.mark.slow
def test_pauses_cover_a_network_or_all_until_resumed_or_expired(ledger: Ledger):
    ledger.pause(T0, None, None, "outage")
    ledger.pause(T0, "x", T0 + timedelta(hours=1), "X only")
    active = ledger.active_pauses(T0 + timedelta(minutes=5))
    assert [(p.network, p.reason) for p in active] == [(None, "outage"), ("x", "X only")]
    assert active[1].covers("x", T0) and not active[1].covers("site", T0)
    assert [p.reason for p in ledger.active_pauses(T0 + timedelta(hours=2))] == ["outage"]
    assert [p.reason for p in ledger.resume(T0 + timedelta(hours=2), None)] == ["outage"]
    assert ledger.active_pauses(T0 + timedelta(hours=2)) == []


def test_heartbeats_and_rate_window(ledger: Ledger):
    ledger.beat("e1", T0, {"pid": 1}, started=True)
    ledger.beat("e1", T0 + timedelta(seconds=10), {"pid": 1}, fired=True)
    (engine,) = ledger.engines()
    assert engine["heartbeat_at"] == T0 + timedelta(seconds=10) and engine["last_fire_at"] == engine["heartbeat_at"]
    for i in range(3):
        ledger.claim(item(f"s{i}", "x"), "a", T0 + timedelta(minutes=i), LEASE)
        ledger.mark_sent(f"s{i}", "a", T0 + timedelta(minutes=i), str(i), None)
    assert ledger.sent_since("x", T0 + timedelta(minutes=1)) == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]


def test_passwords_never_appear_in_the_ledger_url_shown():
    from scheduler.ledger import redact_url

    assert redact_url("postgresql://herald:s3cret-pass@db.example/herald") == "postgresql://herald:***@db.example/herald"
    assert "s3cret" not in redact_url("postgresql://herald:s3cret@[bad")


# -- any text, no secrets ---------------------------------------------------------------------
AWKWARD = "a\x00b\ud800c\x07"  # NUL (PostgreSQL refuses it), a lone surrogate (not UTF-8), a control character
STORED = "a\ufffdb\ufffdc\ufffd"  # BEL too: a stored text never rings or recolours a terminal


def test_any_text_can_be_stored_and_the_row_still_moves_through_its_states(ledger: Ledger):
    odd = Item(key="k\x00", source=AWKWARD, post=AWKWARD, network="site", kind="tip", scheduled_at=T0,
               text=AWKWARD + " \U0001F600 \ud83d\ude00", variant=AWKWARD)
    claim = ledger.claim(odd, AWKWARD, T0, LEASE)
    assert claim is not None and claim.record.text == STORED + " \U0001F600 \U0001F600"  # a surrogate pair joins
    assert (claim.record.source, claim.record.lease_owner, claim.record.key) == (STORED, STORED, "k\ufffd")
    assert ledger.mark_retry("k\x00", AWKWARD, T0, AWKWARD, T0 + timedelta(minutes=1))
    assert ledger.get("k\x00").last_error == STORED
    assert ledger.claim(odd, "b", T0 + timedelta(minutes=1), LEASE) is not None
    assert ledger.mark_sent("k\x00", "b", T0 + timedelta(minutes=2), AWKWARD, "https://x/" + AWKWARD)
    record = ledger.get("k\x00")
    assert (record.state, record.remote_id, record.remote_url) == (State.SENT, STORED, "https://x/" + STORED)
    assert ledger.sent_texts("site", T0) == [(T0 + timedelta(minutes=2), STORED, record.text)]
    assert ledger.pause(T0, AWKWARD, None, AWKWARD).reason == STORED
    assert [(p.network, p.reason) for p in ledger.active_pauses(T0)] == [(STORED, STORED)]
    ledger.beat(AWKWARD, T0, {"note": AWKWARD}, started=True)
    (engine,) = ledger.engines()
    assert engine["id"] == STORED and engine["info"]["note"] == "a\x00b\ud800c\x07"  # JSON escapes survive as text


def test_stored_errors_and_reasons_never_hold_a_secret(ledger: Ledger):
    from scheduler import redaction

    redaction.register("tok-very-secret-123")
    try:
        ledger.claim(item(), "a", T0, LEASE)
        ledger.mark_retry("k1", "a", T0, "401 for tok-very-secret-123 at https://api.example/x?access_token=abc123def",
                          T0 + timedelta(minutes=1))
        error = ledger.get("k1").last_error
        assert "tok-very-secret-123" not in error and "abc123def" not in error and "***" in error
        ledger.claim(item(), "a", T0 + timedelta(minutes=1), LEASE)
        ledger.mark_dead("k1", "a", T0, "rejected; key tok-very-secret-123")
        assert ledger.get("k1").last_error == "rejected; key ***"
        assert ledger.pause(T0, None, None, "rotating tok-very-secret-123").reason == "rotating ***"
        assert ledger.active_pauses(T0)[0].reason == "rotating ***"
    finally:
        redaction.forget_all()


def test_a_remote_id_of_any_length_and_terminal_escapes_in_errors_never_break_a_row(ledger: Ledger):
    # A receiver answered {"id": "x" * 100000} (PostgreSQL once refused it: the row stayed claimed and
    # the post went out again on every run), and an error body full of terminal escapes.
    assert ledger.claim(item("long"), "a", T0, LEASE) is not None
    assert ledger.mark_retry("long", "a", T0, "HTTP 400: bad \x1b[31m red \x07 thing\r\n", T0)
    assert ledger.get("long").last_error == "HTTP 400: bad \ufffd[31m red \ufffd thing\r\n"
    assert ledger.claim(item("long"), "a", T0 + LEASE, LEASE) is not None
    assert ledger.mark_sent("long", "a", T0 + LEASE, "x" * 100_000, None)
    record = ledger.get("long")
    assert record.state == State.SENT and record.remote_id == "x" * 100_000


@pytest.mark.slow
def test_a_schema_2_ledger_is_migrated_to_unbounded_remote_ids(ledger_url: str):
    from sqlalchemy import create_engine, inspect, text

    Ledger(ledger_url).close()
    db = create_engine(ledger_url.replace("postgresql://", "postgresql+psycopg://"))
    with db.begin() as c:
        if db.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE herald_publications ALTER COLUMN remote_id TYPE VARCHAR(400)"))
        c.execute(text("UPDATE herald_meta SET value = '2' WHERE name = 'schema'"))
    db.dispose()
    migrated = Ledger(ledger_url)
    assert migrated.claim(item("m"), "a", T0, LEASE) is not None
    assert migrated.mark_sent("m", "a", T0, "y" * 5000, None) and migrated.get("m").remote_id == "y" * 5000
    migrated.close()
    db = create_engine(ledger_url.replace("postgresql://", "postgresql+psycopg://"))
    with db.connect() as c:
        assert c.execute(text("SELECT value FROM herald_meta WHERE name = 'schema'")).scalar() == str(SCHEMA_VERSION)
        (column,) = [col for col in inspect(c).get_columns("herald_publications") if col["name"] == "remote_id"]
        assert getattr(column["type"], "length", None) is None
    db.dispose()


@pytest.mark.slow
def test_a_schema_3_ledger_gets_the_index_an_incident_page_reads_by(ledger_url: str):
    """At 3,000,000 rows an incident page read its announcements through the scheduled_at index
    from the incident's start: the oldest incident's page scanned the table (13 s, 500 clients
    timing out). Schema 4 indexes source; a schema-3 ledger gets the index when it is opened."""
    from sqlalchemy import create_engine, inspect, text

    Ledger(ledger_url).close()
    db = create_engine(ledger_url.replace("postgresql://", "postgresql+psycopg://"))
    with db.begin() as c:
        assert "ix_herald_publications_source" in {i["name"] for i in inspect(c).get_indexes("herald_publications")}
        c.execute(text("DROP INDEX ix_herald_publications_source"))
        c.execute(text("UPDATE herald_meta SET value = '3' WHERE name = 'schema'"))
    db.dispose()
    Ledger(ledger_url).close()
    db = create_engine(ledger_url.replace("postgresql://", "postgresql+psycopg://"))
    with db.connect() as c:
        indexes = {i["name"]: i["column_names"] for i in inspect(c).get_indexes("herald_publications")}
        assert indexes["ix_herald_publications_source"] == ["source"]
        assert c.execute(text("SELECT value FROM herald_meta WHERE name = 'schema'")).scalar() == str(SCHEMA_VERSION)
    db.dispose()


@pytest.mark.parametrize("new", [True, False])
def test_a_claim_answers_the_same_whether_its_row_is_thought_new_or_not(ledger: Ledger, new: bool):
    """``claim(new=...)`` only says which statement goes first (create the row, or read it): for
    every state a row can be in, the answer is the same."""
    at = T0 + timedelta(minutes=5)
    ledger.claim(item("sent"), "a", T0, LEASE)
    ledger.mark_sent("sent", "a", T0, "r", None)
    ledger.claim(item("live"), "a", at - timedelta(seconds=1), LEASE)
    ledger.claim(item("expired"), "a", T0, LEASE)
    for key, when in (("due", at), ("later", at + timedelta(hours=1))):
        ledger.claim(item(key), "a", T0, LEASE)
        ledger.mark_retry(key, "a", T0, "503", when)
    ledger.settle(item("held"), State.HELD, T0, "paused")
    got = {}
    for key in ("none", "sent", "live", "expired", "due", "later", "held"):
        claim = ledger.claim(item(key), "b", at, LEASE, new=new)
        got[key] = None if claim is None else (claim.record.state, claim.record.attempts, claim.ambiguous)
    assert got == {"none": (State.CLAIMED, 1, False), "sent": None, "live": None,
                   "expired": (State.CLAIMED, 2, True), "due": (State.CLAIMED, 2, False), "later": None,
                   "held": None}
