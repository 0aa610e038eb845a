"""The engine's decisions, driven by a fake clock against in-memory networks and a real ledger."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.calendar import loads
from scheduler.engine import SETTLE, Engine, backoff
from scheduler.errors import AuthFailed, Permanent, RateLimited, Transient
from scheduler.ledger import Ledger, State
from scheduler.networks.memory import MemoryPublisher
from tests.conftest import calendar_text

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin

POSTS = """
- id: morning
  kind: tip
  networks: [site, hooks]
  starts: 2026-11-01
  rrule: FREQ=DAILY;BYHOUR=10;BYMINUTE=0
  variants: ["Morning tip A {links.help}", "Morning tip B {links.help}"]
- id: notice
  kind: announcement
  networks: [site]
  at: 2026-12-01T10:30
  text: "Holiday hours are online"
"""


@pytest.fixture(autouse=True)
def _ledger_url(ledger_url):
    """Every engine test runs on both ledgers: SQLite and PostgreSQL."""
    global LEDGER_URL
    LEDGER_URL = ledger_url


LEDGER_URL = ""


def make(tmp_path, posts: str = POSTS, fail_site=None, fail_hooks=None, extra: str = ""):
    calendar = loads(calendar_text(posts) + extra)
    site = MemoryPublisher("site", "site", fail=fail_site)
    hooks = MemoryPublisher("hooks", "webhook", fail=fail_hooks)
    ledger = Ledger(LEDGER_URL)
    engine = Engine(calendar, ledger, {"site": site, "hooks": hooks}, owner="test", rng=random.Random(1))
    engine.replan(T0)
    return engine, ledger, site, hooks


def results(outcomes) -> list[tuple[str, str, str]]:
    return [(o.post, o.network, o.result) for o in outcomes]


def test_due_publications_go_out_once(tmp_path):
    engine, ledger, site, hooks = make(tmp_path)
    assert results(engine.run_due(T0)) == [("morning", "hooks", "sent"), ("morning", "site", "sent")]
    assert engine.run_due(T0 + timedelta(seconds=1)) == []  # nothing twice
    assert site.texts() == ["Morning tip A https://acme.example/help"]
    assert results(engine.run_due(T0 + timedelta(minutes=30))) == [("notice", "site", "sent")]
    record = ledger.get(site.sent[0][0].key)
    assert (record.state, record.remote_id, record.attempts) == (State.SENT, "site-1", 1)


def test_a_restarted_engine_does_not_repeat_work(tmp_path):
    engine, ledger, site, _ = make(tmp_path)
    engine.run_due(T0)
    again = Engine(engine.calendar, ledger, engine.publishers, owner="second")
    again.replan(T0 + timedelta(minutes=5))
    assert again.run_due(T0 + timedelta(minutes=5)) == []
    assert len(site.sent) == 1


def test_catch_up_sends_a_little_late_and_skips_too_late(tmp_path):
    engine, ledger, site, _ = make(tmp_path)
    # Down from 09:55 until 11:20: the 10:00 tip is 80 min late (tips: 1 h), the 10:30 notice 50 min (6 h).
    now = T0 + timedelta(minutes=80)
    engine.replan(now)
    assert results(engine.run_due(now)) == [("morning", "hooks", "skipped"), ("morning", "site", "skipped"),
                                            ("notice", "site", "sent")]
    skipped = [r for r in ledger.history() if r.state == State.SKIPPED]
    assert skipped[0].last_error == "1h20m late; tip posts go out at most 1h00m late"


@pytest.mark.slow
def test_posts_missed_during_a_long_downtime_are_recorded_as_skipped(tmp_path):
    engine, ledger, site, _ = make(tmp_path)
    engine.run_due(T0)  # the engine ran on 1 Dec at 10:00...
    later = T0 + timedelta(days=3)  # ...and comes back on 4 Dec at 10:00
    again = Engine(engine.calendar, ledger, engine.publishers, owner="after-downtime")
    again.replan(later)
    outcomes = again.run_due(later)
    skipped = sorted({(o.at.day, o.post) for o in outcomes if o.result == "skipped"})
    assert skipped == [(1, "notice"), (2, "morning"), (3, "morning")]  # each recorded, with its reason
    assert ("morning", "site", "sent") in results(outcomes)  # today's, on time
    assert len([r for r in ledger.history(limit=100) if r.state == State.SKIPPED]) == 5  # notice + 2 days x 2


@pytest.mark.slow
def test_catch_up_is_configurable_per_kind(tmp_path):
    engine, *_ = make(tmp_path, extra="engine:\n  catch_up: {tip: 2h}\n")
    now = T0 + timedelta(minutes=80)
    engine.replan(now)
    assert ("morning", "site", "sent") in results(engine.run_due(now))


def test_transient_errors_retry_with_backoff_then_succeed(tmp_path):
    def flaky(post, calls):
        if calls <= 2:
            raise Transient("site", "HTTP 503: try later")

    engine, ledger, site, _ = make(tmp_path, fail_site=flaky)
    first = [o for o in engine.run_due(T0) if o.network == "site"][0]
    assert first.result == "retrying" and timedelta(seconds=15) <= first.retry_at - T0 < timedelta(seconds=30)
    assert engine.run_due(first.retry_at - timedelta(seconds=1)) == []  # not before its time
    second = [o for o in engine.run_due(first.retry_at) if o.network == "site"][0]
    assert second.result == "retrying" and second.retry_at - first.retry_at >= timedelta(seconds=30)
    third = engine.run_due(second.retry_at)
    assert results(third) == [("morning", "site", "sent")]
    assert ledger.get(third[0].key).attempts == 3 and len(site.sent) == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(7)
    delays = [backoff(n, rng).total_seconds() for n in range(1, 12)]
    assert 15 <= delays[0] < 30 and 30 <= delays[1] < 60 and 60 <= delays[2] < 120
    assert max(delays) <= 3600 and delays[-1] >= 1800


@pytest.mark.slow
def test_a_transient_error_that_persists_goes_dead_after_max_attempts(tmp_path):
    def down(post, calls):
        raise Transient("site", "connection refused")

    engine, ledger, _, _ = make(tmp_path, fail_site=down, extra="engine: {max_attempts: 3}\n")
    now, last = T0, None
    for _ in range(3):
        outcomes = [o for o in engine.run_due(now) if o.network == "site" and o.post == "morning"]
        last = outcomes[0]
        now = last.retry_at or now
    assert last.result == "dead" and last.message == "gave up after 3 attempts: connection refused"


def test_429_waits_for_the_reset_time(tmp_path):
    reset = T0 + timedelta(minutes=15)

    def limited(post, calls):
        if calls == 1:
            raise RateLimited("site", reset, "HTTP 429: Too Many Requests")

    engine, *_ = make(tmp_path, fail_site=limited)
    (outcome,) = [o for o in engine.run_due(T0) if o.network == "site"]
    assert (outcome.result, outcome.retry_at) == ("retrying", reset)
    assert results(engine.run_due(reset)) == [("morning", "site", "sent")]


@pytest.mark.slow
def test_permanent_errors_go_dead_with_the_api_message(tmp_path):
    def refuse(post, calls):
        raise Permanent("site", "HTTP 422: text contains a banned word")

    engine, ledger, _, _ = make(tmp_path, fail_site=refuse)
    (dead,) = [o for o in engine.run_due(T0) if o.network == "site"]
    assert dead.result == "dead"
    assert ledger.get(dead.key).last_error == "HTTP 422: text contains a banned word"
    assert ledger.operator_retry(dead.key, T0 + timedelta(minutes=1)).state == State.RETRYING


@pytest.mark.slow
def test_auth_failure_stops_that_account_only(tmp_path):
    def revoked(post, calls):
        raise AuthFailed("hooks", "token revoked")

    engine, ledger, site, hooks = make(tmp_path, fail_hooks=revoked)
    assert results(engine.run_due(T0)) == [("morning", "hooks", "blocked"), ("morning", "site", "sent")]
    assert "hooks" in engine.stopped
    later = engine.run_due(T0 + timedelta(days=1))
    assert ("morning", "site", "sent") in results(later) and hooks.calls == 1  # never called again
    assert all(r.state != State.SENT for r in ledger.history(network="hooks"))


def test_an_ambiguous_send_is_reconciled_not_repeated(tmp_path):
    engine, ledger, site, _ = make(tmp_path)
    # An engine claimed the post and the network got it, then the engine died before recording.
    (pub,) = [p for p in engine.pending(T0) if p.network == "site"]
    from scheduler.engine import LEASE, item_of

    ledger.claim(item_of(pub), "dead-engine", T0, LEASE)
    site.publish(engine.outgoing(pub))
    outcomes = engine.run_due(T0 + LEASE + timedelta(seconds=1))
    assert ("morning", "site", "reconciled") in results(outcomes)
    assert len(site.sent) == 1 and ledger.get(pub.key).state == State.SENT


def test_an_ambiguous_send_that_never_arrived_is_sent(tmp_path):
    engine, ledger, site, _ = make(tmp_path)
    (pub,) = [p for p in engine.pending(T0) if p.network == "site"]
    from scheduler.engine import LEASE, item_of

    ledger.claim(item_of(pub), "dead-engine", T0, LEASE)  # died before the request left
    assert ("morning", "site", "sent") in results(engine.run_due(T0 + LEASE + timedelta(seconds=1)))
    assert len(site.sent) == 1


@pytest.mark.slow
def test_pause_holds_and_resume_releases_or_skips(tmp_path):
    engine, ledger, site, hooks = make(tmp_path)
    ledger.pause(T0 - timedelta(minutes=1), None, None, "storm outage")
    assert results(engine.run_due(T0)) == [("morning", "hooks", "held"), ("morning", "site", "held")]
    assert {r.last_error for r in ledger.held()} == {"paused: storm outage"}
    ledger.resume(T0 + timedelta(minutes=20), None)
    outcomes = results(engine.run_due(T0 + timedelta(minutes=20)))  # the engine releases what the pause held
    assert ("morning", "site", "sent") in outcomes and len(site.sent) == 1
    assert {r.state for r in ledger.held()} == set()


@pytest.mark.slow
def test_a_network_pause_holds_only_that_network_and_stale_holds_are_skipped(tmp_path):
    engine, ledger, site, hooks = make(tmp_path)
    ledger.pause(T0, "hooks", None, "")
    assert results(engine.run_due(T0)) == [("morning", "hooks", "held"), ("morning", "site", "sent")]
    ledger.resume(T0 + timedelta(hours=3), "hooks")
    (out,) = [o for o in engine.run_due(T0 + timedelta(hours=3)) if o.network == "hooks"]
    assert (out.result, out.message) == ("skipped", "held past its catch-up window")


@pytest.mark.slow
def test_rate_limit_is_respected_before_sending(tmp_path):
    posts = "\n".join(f"""
- id: p{i}
  kind: announcement
  networks: [site]
  at: 2026-12-01T10:0{i}
  text: "Update {i}" """ for i in range(4))
    extra = ""
    engine, ledger, site, _ = make(tmp_path, posts=posts, extra=extra)
    engine.calendar.networks["site"].options["rate_limit"] = "2/hour"
    outcomes = engine.run_due(T0 + timedelta(minutes=5))
    assert [o.result for o in outcomes] == ["sent", "sent", "postponed", "postponed"]
    # Both were sent at 09:05: the first leaves the one-hour window at 10:05.
    assert outcomes[2].retry_at == outcomes[3].retry_at == T0 + timedelta(minutes=65)
    assert engine.run_due(T0 + timedelta(minutes=64)) == []
    assert results(engine.run_due(T0 + timedelta(minutes=65))) == [("p2", "site", "sent"), ("p3", "site", "sent")]
    assert len(site.sent) == 4


@pytest.mark.slow
def test_a_removed_post_is_not_retried(tmp_path):
    def once(post, calls):
        if calls == 1:
            raise Transient("site", "timeout", ambiguous=False)

    engine, ledger, site, _ = make(tmp_path, fail_site=once)
    (retrying,) = [o for o in engine.run_due(T0) if o.network == "site"]
    engine.replan(T0, loads(calendar_text(POSTS.split("- id: notice")[0].replace("morning", "evening"))))
    assert ("morning", "site", "skipped") in results(engine.run_due(retrying.retry_at))
    assert ledger.get(retrying.key).last_error == "removed from the calendar"


@pytest.mark.slow
def test_dry_run_accounts_record_what_they_would_send(tmp_path):
    engine, ledger, site, hooks = make(tmp_path)
    object.__setattr__(engine.calendar.networks["hooks"], "dry_run", True)
    outcomes = engine.run_due(T0)
    assert ("morning", "hooks", "skipped") in results(outcomes) and hooks.calls == 0
    (row,) = ledger.history(network="hooks")
    assert row.last_error.startswith("dry run: would have posted 'Morning tip A")


@pytest.mark.parametrize("late, expected", [(timedelta(minutes=59), "sent"), (timedelta(minutes=61), "skipped")])
@pytest.mark.slow
def test_catch_up_boundary(tmp_path, late, expected):
    engine, *_ = make(tmp_path)
    engine.replan(T0 + late)
    assert ("morning", "site", expected) in results(engine.run_due(T0 + late))


@pytest.mark.slow
def test_a_claim_of_a_process_that_died_on_this_host_is_taken_over_long_before_its_lease_ends(tmp_path):
    import socket
    import subprocess
    import sys

    from scheduler.engine import LEASE, item_of, owner_is_gone

    engine, ledger, site, _ = make(tmp_path)
    (pub,) = [p for p in engine.pending(T0) if p.network == "site"]
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_owner = f"{socket.gethostname()}:{gone.stdout.strip()}:abc123"
    assert owner_is_gone(dead_owner) and not owner_is_gone(f"{socket.gethostname()}:{os.getpid()}:x")
    assert not owner_is_gone(f"another-host:{gone.stdout.strip()}:abc123")  # other hosts: wait for the lease
    ledger.claim(item_of(pub), dead_owner, T0, LEASE)
    engine.run_due(T0 + timedelta(seconds=1))  # noticed (its request may still be on the wire)...
    outcomes = engine.run_due(T0 + timedelta(seconds=1) + SETTLE)  # ...taken over long before the lease ends
    assert ("morning", "site", "sent") in results(outcomes) and len(site.sent) == 1


@pytest.mark.slow
def test_a_request_on_the_wire_when_its_engine_died_lands_before_the_claim_is_reconciled(tmp_path):
    """An engine killed while the network handles its post, restarted at once on the same host: the
    new one sees the old pid gone within a second, but the post arrives only when the network is done
    with it.  The claim waits SETTLE after its owner was found gone, then is reconciled: the landed
    post is found and nothing is sent again (a review found the restarted engine's lookup racing it)."""
    import socket
    import subprocess
    import sys

    from scheduler.engine import LEASE, item_of

    engine, ledger, site, _ = make(tmp_path)
    (pub,) = [p for p in engine.pending(T0) if p.network == "site"]
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_owner = f"{socket.gethostname()}:{gone.stdout.strip()}:abc123"
    ledger.claim(item_of(pub), dead_owner, T0, LEASE)
    noticed = T0 + timedelta(milliseconds=500)  # the restarted engine's first look
    assert results(engine.run_due(noticed)) == [("morning", "hooks", "sent")]  # (its other account's post)
    assert site.sent == []  # not yet: the dead one's post may be landing
    assert engine.next_wakeup(noticed) == noticed + SETTLE  # (the daemon wakes for it)
    assert engine.run_due(noticed + SETTLE - timedelta(milliseconds=1)) == []
    site.publish(engine.outgoing(pub, engine.view))  # ...and there it is, sent by the dead engine
    outcomes = engine.run_due(noticed + SETTLE)
    assert results(outcomes) == [("morning", "site", "reconciled")] and len(site.sent) == 1
    assert ledger.get(pub.key).state == "sent"



@pytest.mark.slow
def test_run_once_after_a_crash_takes_the_dead_process_claim_over_when_its_lease_ends(tmp_path):
    """`herald run --once` (cron) does not wait: each run is a new process that finds the dead one's
    claim not yet settled, so the claim goes out when its lease ends (reconciled first), not never."""
    import socket
    import subprocess
    import sys

    from scheduler.engine import LEASE, item_of

    engine, ledger, site, _ = make(tmp_path)
    (pub,) = [p for p in engine.pending(T0) if p.network == "site"]
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ledger.claim(item_of(pub), f"{socket.gethostname()}:{gone.stdout.strip()}:abc123", T0, LEASE)
    for minute in (1, 2):  # cron's next runs, each a new engine on the same ledger
        once, _, site_once, _ = make(tmp_path)
        once.run_due(T0 + timedelta(minutes=minute) - timedelta(seconds=1))
        assert site_once.sent == []
    once, _, site_once, _ = make(tmp_path)
    assert results(once.run_due(T0 + LEASE)) == [("morning", "site", "sent")] and len(site_once.sent) == 1


@pytest.mark.slow
def test_a_clock_set_back_or_forward_neither_repeats_nor_drops(tmp_path):
    engine, ledger, site, _ = make(tmp_path)
    engine.run_due(T0)
    engine.replan(T0 - timedelta(hours=1))  # the system clock is set back an hour
    assert engine.run_due(T0) == [] and len(site.sent) == 1
    jump = T0 + timedelta(minutes=40)  # ...and forward past the 10:30 notice (6 h catch-up for announcements)
    engine.replan(jump)
    assert results(engine.run_due(jump)) == [("notice", "site", "sent")]


@pytest.mark.slow
def test_dst_changes_neither_repeat_nor_drop_a_daily_post(tmp_path):
    from scheduler.simulate import simulate

    posts = """
- id: night
  kind: tip
  networks: [site]
  starts: 2026-10-20
  rrule: FREQ=DAILY;BYHOUR=2;BYMINUTE=30
  text: "Night tip {date}"
"""
    calendar = loads(calendar_text(posts))
    lines = list(simulate(calendar, datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 10, 28, tzinfo=UTC)))
    sent = [line for line in lines if " sent " in line]
    assert [line[:25] for line in sent] == [
        "Fri 2026-10-23 02:30 CEST", "Sat 2026-10-24 02:30 CEST", "Sun 2026-10-25 02:30 CEST",  # the fold: once
        "Mon 2026-10-26 02:30 CET ", "Tue 2026-10-27 02:30 CET "]
    spring = loads(calendar_text(posts.replace("2026-10-20", "2027-03-20")))
    lines = list(simulate(spring, datetime(2027, 3, 26, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC)))
    assert [line[:25] for line in lines if " sent " in line] == [
        "Fri 2027-03-26 02:30 CET ", "Sat 2027-03-27 02:30 CET ", "Sun 2027-03-28 03:30 CEST",  # the gap: an hour on
        "Mon 2027-03-29 02:30 CEST"]


@pytest.mark.slow
def test_an_ambiguous_send_to_a_network_that_cannot_be_asked_waits_for_a_person(tmp_path):
    def timeout(post, calls):
        if calls == 1:
            raise Transient("hooks", "did not answer within 10 s", ambiguous=True)

    engine, ledger, site, hooks = make(tmp_path, fail_hooks=timeout)
    hooks.safe_to_resend = False  # like Slack or Telegram: no idempotency key, nothing to look up
    (outcome,) = [o for o in engine.run_due(T0) if o.network == "hooks"]
    assert outcome.result == "dead" and outcome.message.startswith("delivery unknown (did not answer within 10 s)")
    assert f"herald retry {outcome.key}" in outcome.message
    assert [o for o in engine.run_due(T0 + timedelta(hours=1)) if o.network == "hooks"] == []
    assert hooks.calls == 1  # never re-sent on its own
    ledger.operator_retry(outcome.key, T0 + timedelta(hours=1))  # a person checked: it did not arrive
    assert ("morning", "hooks", "sent") in results(engine.run_due(T0 + timedelta(hours=1)))


# -- one path: due / run_due / next_wakeup / swap ---------------------------------------------------
@pytest.mark.slow
def test_holds_that_ended_are_released_by_the_engine_itself(tmp_path):
    from scheduler.engine import Result

    engine, ledger, site, hooks = make(tmp_path)
    ledger.pause(T0 - timedelta(minutes=1), None, None, "storm outage")
    engine.run_due(T0)
    assert engine.next_wakeup(T0 + timedelta(minutes=1)) > T0 + timedelta(minutes=1)  # held: nothing to do
    ledger.resume(T0 + timedelta(minutes=20), None)  # all `herald resume` has to do
    now = T0 + timedelta(minutes=20)
    assert [len(engine.due(now).releasable), engine.next_wakeup(now)] == [2, now]
    outcomes = engine.run_due(now)
    assert [(o.network, o.result) for o in outcomes] == [
        ("hooks", Result.RELEASED), ("site", Result.RELEASED), ("hooks", Result.SENT), ("site", Result.SENT)]
    assert len(site.sent) == len(hooks.sent) == 1 and engine.due(now + timedelta(seconds=1)).releasable == ()


@pytest.mark.slow
def test_a_pause_with_an_end_wakes_the_engine_when_it_ends(tmp_path):
    engine, ledger, site, _ = make(tmp_path)
    ledger.pause(T0 - timedelta(minutes=1), "site", T0 + timedelta(minutes=10), "")
    engine.run_due(T0)
    assert engine.next_wakeup(T0 + timedelta(seconds=1), "site") == T0 + timedelta(minutes=10)
    assert results(engine.run_due(T0 + timedelta(minutes=10), "site")) == [
        ("morning", "site", "released"), ("morning", "site", "sent")]


@pytest.mark.parametrize("now, network, expected", [
    (T0 - timedelta(hours=1), None, T0),  # the 10:00 tip
    (T0 - timedelta(hours=1), "hooks", T0),
    (T0, None, T0),  # due now
    (T0 + timedelta(seconds=1), "hooks", T0 + timedelta(hours=1, seconds=1)),  # nothing until the hourly replan
    (T0 + timedelta(seconds=1), "site", T0 + timedelta(minutes=30)),  # the 10:30 notice
])
@pytest.mark.slow
def test_next_wakeup_is_when_something_next_becomes_due(tmp_path, now, network, expected):
    engine, *_ = make(tmp_path)
    engine.replan(now)
    if now > T0:
        engine.run_due(T0)
    assert engine.next_wakeup(now, network) == expected


def test_run_due_for_one_account_leaves_the_others_alone(tmp_path):
    engine, ledger, site, hooks = make(tmp_path)
    assert results(engine.run_due(T0, "hooks")) == [("morning", "hooks", "sent")]
    assert site.calls == 0 and [p.network for p in engine.due(T0).new] == ["site"]


@pytest.mark.slow
def test_a_retry_is_scheduled_at_its_time_and_a_stopped_account_never_spins(tmp_path):
    def revoked(post, calls):
        raise AuthFailed("hooks", "token revoked")

    def once(post, calls):
        if calls == 1:
            raise Transient("site", "HTTP 503")

    engine, ledger, site, hooks = make(tmp_path, fail_site=once, fail_hooks=revoked)
    outcomes = {o.network: o for o in engine.run_due(T0)}
    assert engine.next_wakeup(T0, "site") == outcomes["site"].retry_at
    assert engine.next_wakeup(T0, "hooks") == T0 + timedelta(hours=1)  # its row is due, but the account stopped:
    # only the hourly replan wakes it
    assert engine.run_due(T0, "hooks") == [] and hooks.calls == 1


@pytest.mark.slow
def test_swap_replaces_calendar_and_publishers_together(tmp_path):
    engine, ledger, site, hooks = make(tmp_path)
    fresh = MemoryPublisher("hooks", "webhook")
    calendar = loads(calendar_text(POSTS.replace("Morning tip A", "Fresh tip A")))
    on_site = {k for k, p in engine.planned.items() if p.network == "site"}
    added, removed = engine.swap(T0, calendar=calendar, publishers={"hooks": fresh})
    assert engine.calendar is calendar and set(engine.publishers) == {"hooks"}
    assert (added, removed) == (set(), on_site)  # same keys (wording is not part of a key), one account less
    assert results(engine.run_due(T0)) == [("morning", "hooks", "sent")]
    assert fresh.texts() == ["Fresh tip A https://acme.example/help"] and hooks.calls == 0 and site.calls == 0


@pytest.mark.slow
def test_a_retry_of_an_old_row_is_rebuilt_from_its_post_and_occurrence_not_by_planning_a_window(
        tmp_path, monkeypatch):
    import scheduler.engine.planning as engine_module

    def down(post, calls):
        if calls == 1:
            raise Transient("site", "HTTP 503")

    engine, ledger, site, _ = make(tmp_path, fail_site=down)
    (failed,) = [o for o in engine.run_due(T0) if o.network == "site"]
    later = T0 + timedelta(days=3)  # the row is far outside the plan now
    engine.replan(later)
    assert failed.key not in engine.planned
    windows = []
    real_plan = engine_module.plan

    def spy(calendar, start, end, history=None):
        windows.append((len(calendar.posts), end - start))
        return real_plan(calendar, start, end, history)

    monkeypatch.setattr(engine_module, "plan", spy)
    assert [(o.post, o.result) for o in engine.run_due(later) if o.key == failed.key] == [("morning", "sent")]
    assert windows == [(1, timedelta(microseconds=1))]  # one post, one instant
    assert site.sent[-1][0].scheduled_at == T0 and site.texts()[-1].startswith("Morning tip A")


def test_an_incidents_posts_carry_their_thread_key_and_state_from_the_publication(tmp_path):
    from tests.test_status import STATUS, make_engine

    engine, site, x = make_engine(tmp_path, STATUS)
    now = T0 + timedelta(minutes=25)
    engine.replan(now)
    engine.run_due(now)
    (root, _), (reply, _) = x.sent[:2]
    assert (root.thread_key, reply.thread_key) == (root.key, root.key)  # the first post's key, on both
    first = engine.planned[reply.key]
    assert reply.extra["incident"]["state"] == first.incident_state == "identified"


@pytest.mark.slow
def test_an_account_stopped_by_an_auth_failure_starts_afresh_when_its_publisher_is_rebuilt(tmp_path):
    def revoked(post, calls):
        raise AuthFailed("hooks", "token revoked")

    engine, ledger, site, hooks = make(tmp_path, fail_hooks=revoked)
    engine.run_due(T0)
    assert "hooks" in engine.stopped
    engine.swap(T0, publishers={"site": site, "hooks": hooks})  # the same publisher: still stopped
    assert "hooks" in engine.stopped
    fixed = MemoryPublisher("hooks", "webhook")  # new credentials on a reload: a new publisher
    engine.swap(T0 + timedelta(minutes=1), publishers={"site": site, "hooks": fixed})
    assert engine.stopped == {}
    assert results(engine.run_due(T0 + timedelta(minutes=1))) == [("morning", "hooks", "sent")]


def test_the_publisher_is_given_the_posts_content_warning_and_link_card(tmp_path):
    calendar = loads(calendar_text("""
        - id: late
          kind: announcement
          networks: [masto, sky, site]
          at: 2026-12-01T10:00
          text: "Parcels are late: {links.help}"
          content_warning: Delivery delays
          link_card: {title: Delivery news}
        """))
    publishers = {name: MemoryPublisher(name, kind) for name, kind in
                  (("masto", "mastodon"), ("sky", "bluesky"), ("site", "site"))}
    engine = Engine(calendar, Ledger(LEDGER_URL), publishers, owner="test", rng=random.Random(1))
    engine.replan(T0)
    engine.run_due(T0)
    given = {name: p.sent[0][0] for name, p in publishers.items()}
    assert given["masto"].content_warning == "Delivery delays" and given["masto"].link_card is None
    assert given["sky"].content_warning == "" and given["sky"].link_card == {"title": "Delivery news"}
    assert given["site"].content_warning == "" and given["site"].link_card is None
