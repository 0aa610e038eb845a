"""What the documentation shows of component states per update and maintenance updates runs: the
status file's example reads as the loader reads it, and every command of the example block does
what it says on copies of the sample files.  The blocks are found wherever the docs keep them
(README.md or docs/)."""

from __future__ import annotations

import re
import shlex
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from campaigns.calendar import loads as load_calendar
from scheduler.cli import main
from scheduler.clock import FakeClock
from status.load import loads
from tests.conftest import ROOT, calendar_text


def blocks(language: str) -> list[str]:
    """Every fenced block of ``language`` in README.md and docs/."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        found += re.findall(rf"```{language}(?: [^\n]*)?\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    return found


def test_the_status_file_example_reads_with_its_component_states_and_window_updates():
    (example,) = [b for b in blocks("yaml") if b.startswith("version: 1\nstatus_page:") and "maintenance:" in b]
    status = loads(example, load_calendar(calendar_text("[]")))
    (incident,) = status.incidents
    assert dict(incident.updates[-1].components) == {"checkout": "operational"}
    (window,) = status.maintenance
    assert [(u.state, u.ends is not None) for u in window.updates] == [("in_progress", True)]


def test_every_command_of_the_example_runs_on_the_samples(tmp_path: Path, capsys):
    (commands,) = [b for b in blocks("sh") if "herald maintenance delay payments-upgrade-2026-12-06" in b]
    lines = [shlex.split(line) for line in commands.strip().splitlines()]
    assert [line[:3] for line in lines] == [["herald", "incident", "declare"], ["herald", "incident", "update"],
                                            ["herald", "maintenance", "update"], ["herald", "maintenance", "delay"],
                                            ["herald", "maintenance", "update"], ["herald", "maintenance", "complete"]]
    for name in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    files = ["--calendar", str(tmp_path / "content_calendar.yaml"), "--status", str(tmp_path / "status.yaml")]
    berlin = ZoneInfo("Europe/Berlin")
    times = [datetime(2026, 12, 1, 10, 0, tzinfo=berlin), datetime(2026, 12, 1, 10, 40, tzinfo=berlin),
             *(datetime(2026, 12, 6, 3, 0, tzinfo=berlin) + timedelta(minutes=m) for m in (5, 50, 80, 85))]
    for argv, at in zip(lines, times, strict=True):
        assert main([*argv[1:], *files], clock=FakeClock(at)) == 0, capsys.readouterr().err
    status = loads((tmp_path / "status.yaml").read_text(), load_calendar((tmp_path / "content_calendar.yaml")
                                                                         .read_text()))
    assert [dict(u.components) for u in status.incident("pay").updates] == [{"checkout": "major_outage"},
                                                                           {"checkout": "operational"}]
    (window,) = status.maintenance
    assert [u.state for u in window.updates] == ["in_progress", "in_progress", "verifying", "completed"]
    assert window.updates[1].ends == datetime(2026, 12, 6, 4, 30, tzinfo=berlin)
