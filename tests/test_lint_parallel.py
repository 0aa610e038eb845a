"""`herald lint` of a big calendar on two processes (scheduler/cli/calendar.py, scheduler/forked.py)
prints exactly what one process prints.  The oracles are not the code under test: the serial
lint (no child, every account checked here), and for the repetition check itself, comparing each
post with every recent one (`RecentExact` on every account: no index, no shared prefixes)."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bench.generate import generate
from campaigns import lint as calendar_lint
from campaigns import similarity
from campaigns.calendar import load
from campaigns.lint import shares
from campaigns.plan import Publication
from scheduler import forked
from scheduler.cli import calendar as calendar_cli
from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import FORK_COUNTING, ROOT

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
DAYS = 40


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """1,500 generated posts: five accounts, each with more distinct texts in the window than the
    exact comparison takes (so the index is what runs), repeats and near-repeats on every one."""
    path = tmp_path_factory.mktemp("lint") / "content_calendar.yaml"
    path.write_text(generate(1500, start=date(2027, 1, 1)))
    return str(path)


def run_lint(capsys, calendar: str, *extra: str) -> tuple[int, str, str]:
    code = main(["lint", "--calendar", calendar, "--status", "none.yaml", "--from", "2027-03-01", "--days",
                 str(DAYS), *extra], clock=FakeClock(NOW))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def checked_here(monkeypatch):
    """The accounts whose repetition this process checked (a child records its own, elsewhere)."""
    seen: list[str] = []
    real = calendar_lint.repetition

    def recording(calendar, publications, checker, out, accounts=None):
        seen.extend(accounts if accounts is not None else sorted({p.network for p in publications}))
        return real(calendar, publications, checker, out, accounts)

    monkeypatch.setattr(calendar_lint, "repetition", recording)
    return seen


def serial(capsys, monkeypatch, calendar: str, *extra: str) -> tuple[int, str, str]:
    with monkeypatch.context() as m:
        m.setattr(forked, "can_fork", lambda: False)
        return run_lint(capsys, calendar, *extra)


def test_the_accounts_are_shared_by_their_publications_with_the_text_checks_counted_for_the_caller():
    def pub(network: str, kind: str = "tip") -> Publication:
        return Publication(key="k", source="calendar", post="p", kind=kind, network=network,  # type: ignore[arg-type]
                           network_type="site", at=NOW, text="t", variant=1, variants=1, limit=None)

    def pubs(network: str, n: int) -> list[Publication]:
        return [pub(network) for _ in range(n)]

    many = [*pubs("a", 400), *pubs("b", 300), *pubs("c", 300), *pubs("d", 200), *pubs("e", 100)]
    # 1,300 publications: the caller starts with 260 (their texts); greedy by size, ties to the helper
    assert shares(many) == [["b", "d"], ["a", "c", "e"]]  # 260+300+200 against 400+300+100
    assert shares(list(reversed(many))) == shares(many)  # the order of the plan does not matter
    assert shares(pubs("a", 50)) == [[], ["a"]]  # one account: the helper has it all
    assert shares([]) == [[], []]
    status = pub("a", "incident")
    assert shares([status] * 10) == [[], []]  # status announcements are never repetition-checked


@pytest.mark.slow
def test_the_index_finds_on_every_account_what_comparing_with_every_recent_post_finds(big, monkeypatch):
    calendar = load(big)
    start = datetime(2027, 3, 1, tzinfo=calendar.brand.tz)
    end = start + timedelta(days=DAYS)
    made = []
    real = similarity.RecentIndex

    def counted(*args):
        made.append(args)
        return real(*args)

    monkeypatch.setattr(calendar_lint, "RecentIndex", counted)
    fast = [str(p) for p in calendar_lint.lint(calendar, start, end).problems]
    assert len(made) == 5  # every account is big enough for the index
    assert made[0][3] is made[1][3]  # one ranking of the shingles, for all of them
    monkeypatch.setattr(calendar_lint, "EXACT_UP_TO", 10**9)
    brute = [str(p) for p in calendar_lint.lint(calendar, start, end).problems]
    assert len(made) == 5
    assert fast == brute
    assert sum("near-duplicate" in line for line in brute) > 500 and sum(": duplicate" in line for line in brute) > 50


@pytest.mark.parametrize("extra", [(), ("--json",)])
@pytest.mark.slow
def test_two_processes_print_the_serial_findings(big, forks, capsys, monkeypatch, checked_here, extra):
    expected = serial(capsys, monkeypatch, big, *extra)
    assert forks == [] and sorted(checked_here) == ["hooks", "masto", "site", "sky", "x"]
    checked_here.clear()
    got = run_lint(capsys, big, *extra)
    assert len(forks) == 1
    assert got == expected
    assert 1 <= len(checked_here) <= 3  # the other accounts' findings came from the child
    assert expected[1].count("\n") > 1000 and "near-duplicate" in expected[1]


@pytest.mark.slow
def test_a_child_that_fails_leaves_its_share_to_the_parent(big, forks, capsys, monkeypatch, checked_here):
    expected = serial(capsys, monkeypatch, big)
    checked_here.clear()

    def broken(*args):
        raise RuntimeError("the child dies")

    monkeypatch.setattr(calendar_cli, "_lint_child", broken)
    assert run_lint(capsys, big) == expected
    assert len(forks) == 1 and sorted(checked_here) == ["hooks", "masto", "site", "sky", "x"]


@pytest.mark.slow
def test_a_child_that_checked_other_accounts_is_not_believed(big, forks, capsys, monkeypatch):
    """The parent takes the child's findings only for the accounts it asked for."""
    expected = serial(capsys, monkeypatch, big)

    def other(work, accounts, fd):
        with os.fdopen(fd, "wb", closefd=False) as fh:
            fh.write(marshal.dumps((["site"], [])))

    monkeypatch.setattr(calendar_cli, "_lint_child", other)
    assert run_lint(capsys, big) == expected


@pytest.mark.slow
def test_an_invalid_calendar_is_reported_once_by_the_parent(big, forks, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(big).read_text().replace("kind: tip", "kind: tipp", 1))
    code, out, err = run_lint(capsys, str(bad))
    assert code == 1 and out == ""
    assert err.count("tipp") == 1 and err.startswith(f"{bad}:")
    assert forks == []  # (the child starts once the window is planned: an invalid calendar has none)


@pytest.fixture(scope="module")
def user_calendar(tmp_path_factory):
    path = tmp_path_factory.mktemp("user") / "content_calendar.yaml"
    path.write_text(generate(1200, start=date(2027, 1, 1)))
    assert path.stat().st_size >= forked.PARALLEL_FROM_CHARS
    return path


def run_as_user(calendar: Path, mode: str, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FORK_COUNTING, mode, *command, "--calendar", str(calendar),
                           "--from", "2027-03-01", "--days", str(DAYS)], cwd=calendar.parent, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def without_forks(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(keepends=True) if not line.startswith("forked "))


@pytest.mark.slow
def test_a_big_calendar_linted_as_a_user_runs_it_is_the_serial_lint(user_calendar):
    """The command in its own process (no cyclic GC, as `herald` runs), a calendar over the size
    that splits the work: what it prints, on both streams, and its exit status are one process's
    (the child says nothing of its own)."""
    one, two = run_as_user(user_calendar, "serial", "lint"), run_as_user(user_calendar, "fork", "lint")
    assert one.stderr.count("forked ") == 0 and two.stderr.count("forked ") == 1
    assert two.returncode == one.returncode == 1
    assert two.stdout == one.stdout and two.stdout.count("\n") > 1000
    assert without_forks(two.stderr) == one.stderr


@pytest.mark.parametrize("command", [("lint",), ("plan", "--json")])
@pytest.mark.parametrize("mode", ["sigchld-ignored", "no-fork"])
@pytest.mark.slow
def test_a_child_the_system_reaps_or_refuses_leaves_the_work_to_one_process(user_calendar, command, mode):
    """A review found an inherited ignored SIGCHLD (the kernel reaps the child: waitpid fails) ending
    `lint` with no findings and `plan --json` half-way, and a failed fork ending both."""
    one, other = run_as_user(user_calendar, "serial", *command), run_as_user(user_calendar, mode, *command)
    assert other.stderr.count("forked ") == (1 if mode == "sigchld-ignored" else 0)
    assert (other.returncode, other.stdout, without_forks(other.stderr)) == (one.returncode, one.stdout, one.stderr)
    assert one.stdout.count("\n") > 1000
