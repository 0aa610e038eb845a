"""Nothing posted twice, nothing lost: a real `herald run`, killed with SIGKILL at random moments after it started."""

from __future__ import annotations

import pytest

from bench.crash import crash_run

pytestmark = pytest.mark.slow  # a real engine SIGKILLed again and again: minutes


def test_killed_engine_does_not_post_twice_or_lose_anything(tmp_path):
    # 30 posts due 0.2 s apart; the receiver takes 0.3 s over each, so a kill
    # usually falls while one is on the wire (accepted by the receiver, not yet recorded by Herald).
    result = crash_run(tmp_path, posts=30, kills=20, seed=2026, spread=6.0, receiver_delay=0.3)
    log = (tmp_path / "engine.log").read_text()
    assert result["kills"] >= 3, result  # it was really killed mid-way, several times...
    assert result["engine_starts"] == result["kills"] + 1, result  # ...each time after it had started
    assert result["reconciled"] > 0, (result, log[-3000:])  # a send the kill left unrecorded was found, not re-sent
    assert result["arrived_all"] and result["lost"] == 0 and result["unexpected"] == 0, (result, log[-3000:])
    assert result["texts_as_written"], result  # each post the calendar was written with, once (not the planner's word)
    assert result["accepted_twice"] == 0 and result["wire_repeats"] == 0, result  # nothing reached the receiver twice
    assert result["exit_code"] == 0 and result["stop_seconds"] < 5, result  # SIGTERM: a clean, quick stop
    assert result["ledger"] == {"sent": 30}, result  # and the ledger agrees: every one recorded as sent
    assert "Traceback" not in log
