"""Engine.fire's steps one at a time: each step's decision, on a small fake engine (the ``Host``
the steps read) and a real SQLite ledger; then the pipeline's order and its printed form, and
the outcome listeners."""

from __future__ import annotations

import gc
import logging
import random
import re
import weakref
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.calendar import loads
from campaigns.plan import Publication, plan
from scheduler.engine import LEASE, Cause, Engine, Event, Events, Outcome, Result, View, item_of, steps
from scheduler.engine import send as send_steps
from scheduler.engine.gate import Gate
from scheduler.engine.pipeline import FIRE, Pipeline, Step
from scheduler.engine.steps import Firing
from scheduler.errors import AuthFailed, Permanent, RateLimited, Transient
from scheduler.ledger import Ledger, State
from scheduler.networks.memory import MemoryPublisher
from status.load import loads as load_status
from status.model import Status
from tests.conftest import ROOT, calendar_text
from tests.test_status import STATUS

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
CALENDAR = loads(calendar_text("""
- id: tip
  kind: tip
  networks: [site, hooks]
  at: 2026-12-01T10:00
  text: "Sofa care tip"
- id: reminder
  kind: reminder
  networks: [site]
  components: [checkout]
  at: 2026-12-01T10:00
  text: "Pay in instalments at checkout"
"""))
PUBS = {(p.post, p.network): p for p in plan(CALENDAR, T0, T0 + timedelta(minutes=1))}
TIP = PUBS["tip", "site"]


@dataclass
class Host:
    """The engine as the steps see it: what it has, nothing it does."""

    ledger: Ledger
    owner: str = "me"
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    stopped: dict[str, str] = field(default_factory=dict)
    events: Events = field(default_factory=Events)
    gate: Gate = field(default_factory=Gate)
    planned: dict[str, Publication] = field(default_factory=dict)
    gone: frozenset[str] = frozenset()
    voice_says: str | None = None
    heard: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        self.events.subscribe(lambda event: self.heard.append(event.outcome))

    def owner_gone(self, owner: str, now: datetime) -> bool:
        return owner in self.gone

    def _refusal(self, view: View, pub: Publication, now: datetime) -> str | None:
        return self.voice_says


@pytest.fixture
def ledger(tmp_path):
    opened = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.close()


@pytest.fixture
def host(ledger):
    return Host(ledger)


def view(calendar=CALENDAR, status=None, **publishers) -> View:
    publishers = publishers or {"site": MemoryPublisher("site", "site"), "hooks": MemoryPublisher("hooks", "webhook")}
    return View(calendar, status or Status(path="", timezone=calendar.brand.timezone), publishers)


def firing(host, pub=TIP, now=T0, at=None, **found) -> Firing:
    """A firing as the steps before ``at`` leave it: its account found, claimed if ``claim`` is asked for."""
    seen = found.pop("view", None) or view()
    f = Firing(host, seen, pub, now, **found)
    f.publisher, f.account = seen.publishers.get(pub.network), seen.calendar.networks.get(pub.network)
    return f


def claimed(host, pub=TIP, now=T0, **found) -> Firing:
    f = firing(host, pub, now, **found)
    assert steps.claim(f) is None
    return f


def state(ledger, pub=TIP):
    record = ledger.get(pub.key)
    return (record.state, record.last_error) if record else None


# -- account, stopped account ------------------------------------------------------------------------------------------

def test_account_finds_the_publisher_and_the_account(host):
    f = Firing(host, view(), TIP, T0)
    assert steps.account(f) is None
    assert (f.publisher.name, f.account.name) == ("site", "site")


def test_account_blocks_a_publication_whose_account_is_gone(host):
    f = Firing(host, view(hooks=MemoryPublisher("hooks")), TIP, T0)
    outcome = steps.account(f)
    assert (outcome.result, outcome.message) == (Result.BLOCKED, "no such network account any more")
    assert host.heard == [outcome] and state(host.ledger) is None


def test_stopped_account_blocks_quietly_with_why(host):
    host.stopped["site"] = "stopped: token revoked"
    outcome = steps.stopped_account(firing(host))
    assert (outcome.result, outcome.message) == (Result.BLOCKED, "stopped: token revoked")
    assert host.heard == []  # announced once, when the account stopped
    assert steps.stopped_account(firing(host, PUBS["tip", "hooks"])) is None


# -- catch-up --------------------------------------------------------------------------------------------------------

def test_catch_up_skips_what_is_later_than_its_kinds_window(host):
    outcome = steps.catch_up(firing(host, now=T0 + timedelta(minutes=80)))  # tips: 1 h
    assert (outcome.result, outcome.message) == (Result.SKIPPED, "1h20m late; tip posts go out at most 1h00m late")
    assert state(host.ledger) == (State.SKIPPED, outcome.message) and host.heard == [outcome]


def test_catch_up_lets_a_late_publication_within_its_window_and_any_retry_go_on(host):
    assert steps.catch_up(firing(host, now=T0 + timedelta(minutes=59))) is None
    assert steps.catch_up(firing(host, now=T0 + timedelta(days=2), retry=True)) is None
    assert state(host.ledger) is None


def test_catch_up_says_taken_when_another_engine_settled_it_first(host):
    host.ledger.settle(item_of(TIP), State.SKIPPED, T0, "by the other engine")
    outcome = steps.catch_up(firing(host, now=T0 + timedelta(hours=2)))
    assert outcome.result == Result.TAKEN and host.heard == []


# -- pause, incident hold ------------------------------------------------------------------------------------------

def test_pause_holds_what_a_pause_covers(host):
    host.ledger.pause(T0 - timedelta(minutes=5), "site", None, "sale moved")
    outcome = steps.pause(firing(host))
    assert (outcome.result, outcome.message) == (Result.HELD, "paused: sale moved")
    assert state(host.ledger) == (State.HELD, "paused: sale moved")
    assert steps.pause(firing(host, PUBS["tip", "hooks"])) is None  # another account


def test_pause_ignores_a_pause_that_ended(host):
    host.ledger.pause(T0 - timedelta(hours=1), None, T0, "")
    assert steps.pause(firing(host)) is None


def test_incident_hold_holds_a_post_about_an_affected_component_only():
    status = load_status(STATUS, CALENDAR)  # a major incident on checkout, open since 10:00
    seen = view(status=status)
    now = T0 + timedelta(minutes=30)
    assert steps.incident_reason(seen, "reminder", "reminder", now) == "held: incident pay (major) is open"
    assert steps.incident_reason(seen, "incident", "pay", now) is None  # the announcements themselves go out


def test_incident_hold_records_held(host):
    f = firing(host, PUBS["reminder", "site"], T0 + timedelta(minutes=30), view=view(status=load_status(STATUS, CALENDAR)))
    outcome = steps.incident_hold(f)
    assert outcome.result == Result.HELD and state(host.ledger, PUBS["reminder", "site"])[0] == State.HELD
    assert steps.incident_hold(firing(host, PUBS["reminder", "site"])) is None  # no incident


# -- dry run ------------------------------------------------------------------------------------------------------

def test_dry_run_skips_and_records_what_it_would_have_posted(host):
    networks = {**CALENDAR.networks, "site": replace(CALENDAR.networks["site"], dry_run=True)}
    outcome = steps.dry_run(firing(host, view=view(replace(CALENDAR, networks=networks))))
    assert (outcome.result, outcome.message) == (Result.SKIPPED, "dry run")
    assert state(host.ledger) == (State.SKIPPED, "dry run: would have posted 'Sofa care tip'")
    assert steps.dry_run(firing(host, PUBS["tip", "hooks"])) is None


# -- claim ----------------------------------------------------------------------------------------------------------

def test_claim_takes_a_fresh_publication(host):
    f = claimed(host)
    assert (f.claim.ambiguous, f.claim.record.lease_owner, f.claim.record.attempts) == (False, "me", 1)
    assert host.ledger.get(TIP.key).state == State.CLAIMED


def test_claim_says_taken_while_a_live_engine_holds_it(host):
    host.ledger.claim(item_of(TIP), "other", T0, LEASE)
    f = firing(host)
    assert steps.claim(f).result == Result.TAKEN and f.claim is None and host.heard == []


def test_claim_takes_over_from_a_gone_engine_as_ambiguous(host):
    host.ledger.claim(item_of(TIP), "other", T0, LEASE)
    host.gone = frozenset({"other"})
    f = claimed(host, now=T0 + timedelta(seconds=5))
    assert (f.claim.ambiguous, f.claim.record.lease_owner, f.claim.record.attempts) == (True, "me", 2)


# -- voice guide ------------------------------------------------------------------------------------------------------

def test_voice_guide_refusal_kills_the_publication(host, caplog):
    host.voice_says = "refused by the voice guide: shouting"
    outcome = steps.voice_guide(claimed(host))
    assert (outcome.result, outcome.message) == (Result.DEAD, "refused by the voice guide: shouting")
    assert state(host.ledger) == (State.DEAD, "refused by the voice guide: shouting")
    assert "refused tip on site" in caplog.text


def test_voice_guide_lets_an_accepted_text_and_any_reconcile_go_on(host):
    assert steps.voice_guide(claimed(host)) is None
    host.voice_says = "refused by the voice guide: shouting"
    host.ledger.claim(item_of(PUBS["tip", "hooks"]), "other", T0, LEASE)
    host.gone = frozenset({"other"})
    f = claimed(host, PUBS["tip", "hooks"])
    assert f.claim.ambiguous and steps.voice_guide(f) is None  # it may be out already: never judged again


# -- thread root ----------------------------------------------------------------------------------------------------

REPLY = replace(PUBS["reminder", "site"], thread_root=TIP.key)


def test_thread_root_postpones_a_reply_whose_first_post_is_coming(host):
    host.planned = {TIP.key: TIP}
    outcome = steps.thread_root(claimed(host, REPLY))
    assert (outcome.result, outcome.retry_at) == (Result.POSTPONED, T0 + timedelta(seconds=10))
    record = host.ledger.get(REPLY.key)
    assert (record.state, record.next_attempt_at, record.attempts) == (State.RETRYING, T0 + timedelta(seconds=10), 0)


def test_thread_root_waits_for_a_first_post_claimed_or_retrying_too(host):
    host.ledger.claim(item_of(TIP), "other", T0, LEASE)
    assert steps.thread_root(claimed(host, REPLY)).result == Result.POSTPONED


@pytest.mark.parametrize("root_state", [State.SENT, State.SKIPPED, None])
def test_thread_root_lets_a_reply_go_when_its_first_post_is_out_or_never_coming(host, root_state):
    if root_state == State.SENT:
        host.ledger.claim(item_of(TIP), "me", T0, LEASE)
        host.ledger.mark_sent(TIP.key, "me", T0, "site-1", "https://acme.example/1")
    elif root_state == State.SKIPPED:
        host.ledger.settle(item_of(TIP), State.SKIPPED, T0, "too late")
    # None: no row and not planned (too old to be planned): it will never be sent
    assert steps.thread_root(claimed(host, REPLY)) is None
    assert steps.thread_root(claimed(host, PUBS["tip", "hooks"])) is None  # not a reply at all


@pytest.mark.parametrize("stand_in_sent", [False, True])
def test_thread_root_waits_for_the_next_in_line_when_the_first_post_never_went_out(host, stand_in_sent):
    # a window's later announcement: its first reminder was skipped, the next one is on its way or out
    stand_in = PUBS["tip", "hooks"]
    reply = replace(REPLY, thread_fallbacks=(stand_in.key,))
    host.ledger.settle(item_of(TIP), State.SKIPPED, T0, "too late")
    host.planned = {stand_in.key: stand_in}
    if stand_in_sent:
        host.ledger.claim(item_of(stand_in), "me", T0, LEASE)
        host.ledger.mark_sent(stand_in.key, "me", T0, "hook-1", None)
    outcome = steps.thread_root(claimed(host, reply))
    assert (outcome is None) if stand_in_sent else (outcome.result == Result.POSTPONED)


# -- rate limit ---------------------------------------------------------------------------------------------------

def test_rate_limit_postpones_to_when_the_oldest_send_in_the_period_leaves_it(host):
    networks = {**CALENDAR.networks, "site": replace(CALENDAR.networks["site"], options={"rate_limit": "1/hour"})}
    limited = view(replace(CALENDAR, networks=networks))
    host.ledger.claim(item_of(PUBS["reminder", "site"]), "me", T0 - timedelta(minutes=20), LEASE)
    host.ledger.mark_sent(PUBS["reminder", "site"].key, "me", T0 - timedelta(minutes=20), "site-1", None)
    outcome = steps.rate_limit(claimed(host, view=limited))
    assert (outcome.result, outcome.message, outcome.retry_at) == (
        Result.POSTPONED, "rate limit 1/hour", T0 + timedelta(minutes=40))
    assert host.ledger.get(TIP.key).next_attempt_at == T0 + timedelta(minutes=40)


def test_the_rate_limit_metric_reads_an_outcomes_cause_not_its_wording(host):
    from scheduler.daemon.report import rate_limited

    networks = {**CALENDAR.networks, "site": replace(CALENDAR.networks["site"], options={"rate_limit": "1/hour"})}
    host.ledger.claim(item_of(PUBS["reminder", "site"]), "me", T0 - timedelta(minutes=20), LEASE)
    host.ledger.mark_sent(PUBS["reminder", "site"].key, "me", T0 - timedelta(minutes=20), "site-1", None)
    limited = steps.rate_limit(claimed(host, view=view(replace(CALENDAR, networks=networks))))
    assert limited.cause is Cause.RATE_LIMIT and rate_limited(limited)
    # The same decision worded otherwise is read the same way
    assert rate_limited(replace(limited, message="the account's 1 post an hour is spent"))


def test_a_reply_waiting_for_its_thread_is_not_a_rate_limit_wait_whatever_its_wording(host):
    from scheduler.daemon.report import rate_limited

    host.planned = {TIP.key: TIP}
    waiting = steps.thread_root(claimed(host, REPLY))
    assert waiting.cause is Cause.THREAD_ROOT_PENDING and not rate_limited(waiting)
    assert not rate_limited(replace(waiting, message="rate limit 1/hour"))


def test_rate_limit_lets_through_under_the_limit_or_without_one(host):
    networks = {**CALENDAR.networks, "site": replace(CALENDAR.networks["site"], options={"rate_limit": "1/hour"})}
    assert steps.rate_limit(claimed(host, view=view(replace(CALENDAR, networks=networks)))) is None
    assert steps.rate_limit(claimed(host, PUBS["tip", "hooks"])) is None


# -- stop gate ------------------------------------------------------------------------------------------------------

def test_stop_gate_lets_a_send_in_flight_until_the_firing_ends(host):
    f = claimed(host)
    assert send_steps.stop_gate(f) is None and host.gate.in_flight() == [TIP]
    for undo in f.cleanup:
        undo()
    assert host.gate.in_flight() == []


def test_stop_gate_gives_the_claim_back_once_the_engine_stops(host):
    f = claimed(host)
    host.gate.close()
    outcome = send_steps.stop_gate(f)
    record = host.ledger.get(TIP.key)
    assert outcome.result == Result.STOPPED and host.heard == [outcome] and f.cleanup == []
    assert (record.state, record.attempts, record.lease_owner) == (State.RETRYING, 0, None)


# -- reconcile ------------------------------------------------------------------------------------------------------

def ambiguous(host, publisher, pub=TIP) -> Firing:
    """Claimed after an engine that died holding it: it may have reached the network."""
    host.ledger.claim(item_of(pub), "other", T0, LEASE)
    host.gone = frozenset({"other"})
    return claimed(host, pub, view=view(**{pub.network: publisher}))


def test_reconcile_builds_the_post_and_passes_on_an_unambiguous_claim(host):
    site = MemoryPublisher("site", "site")
    f = claimed(host, view=view(site=site))
    assert send_steps.reconcile(f) is None and f.post.text == "Sofa care tip" and f.post.key == TIP.key


def test_reconcile_records_an_earlier_attempt_that_arrived(host):
    site = MemoryPublisher("site", "site")
    f = ambiguous(host, site)
    site.publish(send_steps.outgoing(host.ledger, TIP, f.view))  # the dead engine's send arrived
    outcome = send_steps.reconcile(f)
    assert (outcome.result, outcome.remote_id) == (Result.RECONCILED, "site-1") and site.calls == 1
    assert host.ledger.get(TIP.key).state == State.SENT


def test_reconcile_passes_on_to_send_when_nothing_arrived_and_a_resend_is_safe(host):
    f = ambiguous(host, MemoryPublisher("site", "site"))
    assert send_steps.reconcile(f) is None and f.failure is None


class Unaskable(MemoryPublisher):
    safe_to_resend = False

    def find_recent(self, post):
        return None


def test_reconcile_dead_letters_what_cannot_be_asked_nor_resent(host):
    outcome = send_steps.reconcile(ambiguous(host, Unaskable("site", "site")))
    assert outcome.result == Result.DEAD and outcome.message.startswith("delivery unknown (")
    assert f"herald retry {TIP.key}" in outcome.message and host.ledger.get(TIP.key).state == State.DEAD


def test_reconcile_keeps_a_failure_of_the_lookup_for_record(host):
    class Down(MemoryPublisher):
        def find_recent(self, post):
            raise Transient("site", "HTTP 503")

    f = ambiguous(host, Down("site", "site"))
    assert send_steps.reconcile(f) is None and isinstance(f.failure, Transient)
    assert send_steps.send(f) is None and f.publisher.calls == 0  # never sent blindly


# -- send, record -------------------------------------------------------------------------------------------------

def ready(host, publisher) -> Firing:
    f = claimed(host, view=view(site=publisher))
    assert send_steps.reconcile(f) is None
    return f


def test_send_keeps_the_networks_answer_and_record_marks_it_sent(host):
    site = MemoryPublisher("site", "site")
    f = ready(host, site)
    assert send_steps.send(f) is None and f.ref.id == "site-1" and site.texts() == ["Sofa care tip"]
    outcome = send_steps.record(f)
    assert (outcome.result, outcome.remote_id) == (Result.SENT, "site-1") and host.heard == [outcome]
    record = host.ledger.get(TIP.key)
    assert (record.state, record.remote_id, record.remote_url) == (State.SENT, "site-1", f"memory://site/{TIP.key}")


def failing(error):
    def fail(post, calls):
        raise error
    return fail


def test_record_retries_a_429_at_the_reset_time(host):
    f = ready(host, MemoryPublisher("site", "site", fail=failing(RateLimited("site", T0 + timedelta(minutes=15)))))
    send_steps.send(f)
    outcome = send_steps.record(f)
    assert (outcome.result, outcome.retry_at) == (Result.RETRYING, T0 + timedelta(minutes=15))
    assert outcome.cause is Cause.NETWORK_RATE_LIMITED  # the network's 429, not the account's own limit
    assert host.ledger.get(TIP.key).next_attempt_at == T0 + timedelta(minutes=15)


def test_record_retries_a_transient_failure_with_backoff_or_its_retry_after(host):
    f = ready(host, MemoryPublisher("site", "site", fail=failing(Transient("site", "HTTP 503"))))
    send_steps.send(f)
    outcome = send_steps.record(f)
    assert (outcome.result, outcome.message) == (Result.RETRYING, "HTTP 503")
    assert T0 + timedelta(seconds=15) <= outcome.retry_at < T0 + timedelta(seconds=30)  # attempt 1: 30 s * [0.5, 1)
    hooks = MemoryPublisher("hooks", "webhook", fail=failing(Transient("hooks", "HTTP 503", retry_after=120)))
    f = claimed(host, PUBS["tip", "hooks"], view=view(hooks=hooks))
    send_steps.reconcile(f)
    send_steps.send(f)
    assert send_steps.record(f).retry_at == T0 + timedelta(seconds=120)  # longer than the backoff: it wins


def test_record_gives_up_after_the_calendars_max_attempts(host):
    f = ready(host, MemoryPublisher("site", "site", fail=failing(Transient("site", "HTTP 503"))))
    f.claim = replace(f.claim, record=replace(f.claim.record, attempts=CALENDAR.engine.max_attempts))
    send_steps.send(f)
    outcome = send_steps.record(f)
    assert outcome.result == Result.DEAD and outcome.message.startswith(f"gave up after {CALENDAR.engine.max_attempts} attempts")


def test_record_kills_a_permanent_failure_with_the_apis_message(host):
    f = ready(host, MemoryPublisher("site", "site", fail=failing(Permanent("site", "HTTP 422: text too long"))))
    send_steps.send(f)
    outcome = send_steps.record(f)
    assert (outcome.result, outcome.message) == (Result.DEAD, "HTTP 422: text too long")
    assert state(host.ledger) == (State.DEAD, "HTTP 422: text too long")


def test_record_stops_the_account_on_an_auth_failure(host):
    f = ready(host, MemoryPublisher("site", "site", fail=failing(AuthFailed("site", "HTTP 401"))))
    send_steps.send(f)
    outcome = send_steps.record(f)
    assert (outcome.result, host.stopped) == (Result.BLOCKED, {"site": "stopped: HTTP 401"})
    assert state(host.ledger) == (State.RETRYING, "account stopped: HTTP 401")


def test_record_retries_a_publishers_bug_and_logs_its_traceback(host, caplog):
    f = ready(host, MemoryPublisher("site", "site", fail=failing(ValueError("oops"))))
    send_steps.send(f)
    outcome = send_steps.record(f)
    assert (outcome.result, outcome.message) == (Result.RETRYING, "unexpected ValueError: oops")
    assert host.ledger.get(TIP.key).ambiguous  # it may have gone out: reconciled before any re-send
    assert "unexpected error sending tip to site" in caplog.text and "ValueError: oops" in caplog.text


# -- the pipeline -----------------------------------------------------------------------------------------------------

def test_fire_runs_its_steps_in_this_order():
    assert [s.name for s in FIRE.steps] == [
        "account", "stopped account", "catch-up", "pause", "incident hold", "dry run", "claim", "voice guide",
        "thread root", "rate limit", "stop gate", "reconcile", "send", "record"]


def test_the_first_step_that_decides_ends_the_firing_and_cleanup_runs_whatever_happens(host):
    ran = []

    def passes(f):
        """passes"""
        ran.append("passes")
        f.cleanup.append(lambda: ran.append("undone"))

    def decides(f):
        """decides"""
        ran.append("decides")
        return f.outcome(Result.TAKEN)

    def never(f):
        raise AssertionError("after a decision")

    assert Pipeline(Step("a", passes), Step("b", decides), Step("c", never)).run(firing(host)).result == Result.TAKEN
    assert ran == ["passes", "decides", "undone"]

    def breaks(f):
        raise OSError("disk")

    ran.clear()
    with pytest.raises(OSError):
        Pipeline(Step("a", passes), Step("b", breaks)).run(firing(host))
    assert ran == ["passes", "undone"]


def test_the_architecture_page_shows_the_steps_the_code_runs():
    page = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- python -m scheduler\.engine --steps -->\n```\n(.*?)\n```", page, re.S)
    assert block is not None, "the generated block is missing from docs/ARCHITECTURE.md"
    assert block.group(1) == FIRE.describe()
    assert len(FIRE.describe().splitlines()) == len(FIRE.steps)


def test_an_engine_fires_through_the_pipeline_end_to_end(ledger):
    site = MemoryPublisher("site", "site")
    engine = Engine(CALENDAR, ledger, {"site": site}, owner="me")
    outcome = engine.fire(TIP, T0)
    assert (outcome.result, site.texts()) == (Result.SENT, ["Sofa care tip"]) and engine.in_flight() == []



def test_a_firing_is_freed_when_it_ends_without_the_cyclic_collector(ledger, monkeypatch):
    """Found by issue 23's lateness profile: the stop gate's undo held the firing that held it, a
    cycle, so every send's firing (its claim, record and post with it) waited for the cyclic
    collector: half again as many collections while sending, and a firing still running at one
    was kept until a collection of an older generation."""
    site = MemoryPublisher("site", "site")
    engine = Engine(CALENDAR, ledger, {"site": site}, owner="me")
    firings: list[weakref.ref[Firing]] = []
    run = FIRE.run
    monkeypatch.setattr(FIRE, "run", lambda f: (firings.append(weakref.ref(f)), run(f))[1])
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        assert engine.fire(TIP, T0).result == Result.SENT
        assert len(firings) == 1 and firings[0]() is None  # freed by its last reference going, as before the pipeline
    finally:
        if was_enabled:
            gc.enable()

# -- outcome listeners ---------------------------------------------------------------------------------------------

def test_listeners_hear_every_outcome_in_the_order_they_subscribed():
    events, heard = Events(), []
    events.subscribe(lambda e: heard.append(("first", e.result)))
    events.subscribe(lambda e: heard.append(("second", e.result)))
    outcome = Outcome("k", "tip", "site", T0, Result.SENT)
    assert events.publish(outcome, T0) is outcome
    assert heard == [("first", Result.SENT), ("second", Result.SENT)]


def test_a_listener_may_ask_for_some_results_only_and_unsubscribe():
    events, heard = Events(), []
    stop = events.subscribe(lambda e: heard.append(e.outcome.key), Result.DEAD, Result.BLOCKED)
    for key, result in (("a", Result.SENT), ("b", Result.DEAD), ("c", Result.BLOCKED)):
        events.publish(Outcome(key, "tip", "site", T0, result), T0)
    stop()
    events.publish(Outcome("d", "tip", "site", T0, Result.DEAD), T0)
    assert heard == ["b", "c"]


def test_a_failing_listener_is_logged_and_never_stops_the_others(caplog):
    events, heard = Events(), []

    def broken(event):
        raise RuntimeError("listener bug")

    events.subscribe(broken)
    events.subscribe(heard.append)
    outcome = Outcome("k", "tip", "site", T0, Result.SENT)
    assert events.publish(outcome, T0 + timedelta(seconds=5)) is outcome
    assert heard == [Event(outcome, T0 + timedelta(seconds=5))]
    assert "outcome listener failed" in caplog.text and "listener bug" in caplog.text


def test_an_engine_logs_each_outcome_and_tells_on_outcome_and_later_subscribers(ledger, caplog):
    caplog.set_level(logging.INFO, "herald.engine")
    told, subscribed = [], []

    def broken(outcome):
        told.append(outcome)
        raise RuntimeError("daemon bug")

    engine = Engine(CALENDAR, ledger, {"site": MemoryPublisher("site", "site")}, owner="me", on_outcome=broken)
    engine.events.subscribe(lambda e: subscribed.append(e.outcome), Result.SENT)
    outcome = engine.fire(TIP, T0 + timedelta(seconds=30))
    assert told == subscribed == [outcome] and outcome.result == Result.SENT
    sent_lines = [r for r in caplog.records if r.getMessage().startswith(outcome.line(T0 + timedelta(seconds=30)))]
    assert [r.levelno for r in sent_lines] == [logging.INFO] and "late=30s" in sent_lines[0].getMessage()
    assert "outcome listener failed" in caplog.text
