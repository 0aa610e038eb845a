"""Nothing posted twice, nothing lost: a real `herald run`, killed with SIGKILL at random moments."""

from __future__ import annotations

from bench.crash import crash_run


def test_killed_engine_does_not_post_twice_or_lose_anything(tmp_path):
    result = crash_run(tmp_path, posts=40, kills=20, seed=2026, spread=8.0)
    log = (tmp_path / "engine.log").read_text()
    assert result["kills"] >= 3, result  # it was really killed mid-way, several times
    assert result["arrived_all"] and result["lost"] == 0 and result["unexpected"] == 0, (result, log[-3000:])
    assert result["wire_repeats"] == 0, result  # reconciliation found what had arrived; nothing re-sent
    assert result["exit_code"] == 0 and result["stop_seconds"] < 5, result  # SIGTERM: a clean, quick stop
    assert result["ledger"] == {"sent": 40}, result  # and the ledger agrees: every one recorded as sent
    assert "Traceback" not in log
