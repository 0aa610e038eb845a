"""The quick start leaves the checkout as it found it, and the package says its licence plainly."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from datetime import UTC, datetime

import pytest

from scheduler.clock import FakeClock
from tests.conftest import ROOT

SAMPLES = ("content_calendar.yaml", "status.yaml")


def _readme_incident_example() -> list[str]:
    """The README tour's `herald incident declare`, as the argument list after `herald`."""
    from tests.docs import blocks, commands, herald_argv

    tour = [c for b in blocks(ROOT / "README.md") if b.runs for c in commands(b)]
    (example,) = [argv for c in tour for argv in herald_argv(c.text) if argv[:2] == ["incident", "declare"]]
    return example


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_and_the_readme_incident_example_never_modify_the_tracked_samples(tmp_path):
    for name in (*SAMPLES, "Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    before = {name: (tmp_path / name).read_bytes() for name in SAMPLES}
    # every herald command `make run` runs works on the scratch copies in run/
    dry = subprocess.run(["make", "-n", "-o", ".venv/.installed-*", "run"], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    commands = [line for line in dry.splitlines() if "bin/herald" in line]
    assert len(commands) == 3
    assert all(re.findall(r"\S+\.yaml", c) and all(p.startswith("run/") for p in re.findall(r"\S+\.yaml", c))
               for c in commands)
    # the copies are seeded from the samples, once
    subprocess.run(["make", "run/content_calendar.yaml", "run/status.yaml"], cwd=tmp_path, check=True,
                   capture_output=True)
    assert {name: (tmp_path / "run" / name).read_bytes() for name in SAMPLES} == before
    # the README's incident example edits the copy, never the tracked file
    from scheduler.cli import main

    argv = [a.replace("run/", str(tmp_path / "run") + "/") for a in _readme_incident_example()]
    assert main(argv, clock=FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))) == 0
    assert "Checkout errors" in (tmp_path / "run" / "status.yaml").read_text()
    assert {name: (tmp_path / name).read_bytes() for name in SAMPLES} == before
    (tmp_path / "run" / "status.yaml").write_text("edited: by hand\n")
    subprocess.run(["make", "run/status.yaml"], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "run" / "status.yaml").read_text() == "edited: by hand\n"  # a later make run keeps edits


def test_run_folder_is_ignored_by_git():
    assert "run/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_licence_is_an_spdx_expression_with_its_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
    # SPDX expressions need setuptools 77 (PEP 639): older ones print a deprecation banner or fail
    (setuptools,) = [r for r in project["build-system"]["requires"] if r.startswith("setuptools")]
    assert int(re.search(r">=(\d+)", setuptools).group(1)) >= 77
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Herald contributors" in text


def test_tests_use_a_database_of_their_own_never_the_servers():
    """``make test`` must never drop tables in whatever database is at the configured server: the
    PostgreSQL tests get a database created for this run (and dropped at its end)."""
    from sqlalchemy import make_url

    from tests.conftest import PG_URL, _postgres_ledger_url

    url = make_url(_postgres_ledger_url())
    assert url.database.startswith("herald_test_") and url.database != make_url(PG_URL).database
    assert _postgres_ledger_url() == str(url.render_as_string(hide_password=False))  # one per run
    # and no test names a database of its own: they all go through the fixture
    for path in (ROOT / "tests").glob("test_*.py"):
        assert "127.0.0.1:" + "5432" not in path.read_text(), path  # (split: this file is one of them)



def test_a_file_a_test_leaves_in_the_checkout_is_found_and_the_runs_own_caches_are_not(tmp_path):
    """The check tests/conftest.py runs at the end of every session, on a checkout of its own."""
    from tests.conftest import checkout_state, left_behind, missing_tool

    if shutil.which("git") is None:
        missing_tool("git", "apt-get install git")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(".herald/\n.hypothesis/\n__pycache__/\nrun/\n")
    (tmp_path / "run").mkdir()  # an ignored folder that already holds something (after a `make run`)
    (tmp_path / "run" / "content_calendar.yaml").write_text("")
    (tmp_path / "tracked.txt").write_text("x\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    before = checkout_state(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / ".hypothesis").mkdir()
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"")
    (tmp_path / ".hypothesis" / "db").write_bytes(b"")
    assert before is not None and left_behind(before, checkout_state(tmp_path)) == []
    (tmp_path / ".herald" / "tokens").mkdir(parents=True)
    (tmp_path / ".herald" / "tokens" / "acct.json").write_text("{}")
    (tmp_path / "plan.ics").write_text("")
    (tmp_path / "tracked.txt").write_text("changed\n")
    (tmp_path / "run" / "ledger.db").write_bytes(b"")
    assert left_behind(before, checkout_state(tmp_path)) == [
        "!! .herald/tokens/acct.json", "!! run/ledger.db", "?? plan.ics", "AM tracked.txt"]
