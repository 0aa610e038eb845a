"""docs/howto/review-calendar-changes.md stays true: every ``herald diff`` command it shows (in its
``sh`` blocks and in its CI jobs) runs, on a repository made as its sample describes, and the
sample Markdown it shows is what its command writes."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT, missing_tool
from tests.test_diff import GIT_ENV

DOC = ROOT / "docs" / "howto" / "review-calendar-changes.md"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SAMPLE_COMMAND = "herald diff main content_calendar.yaml --from 2026-12-01 --days 21 --format markdown"


def blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced block of ``text`` as (language, content); a fence closes at a fence at least as long."""
    found, fence, language, lines = [], "", "", []
    for line in text.splitlines():
        if not fence:
            opening = re.fullmatch(r"(`{3,})(\w*)", line)
            if opening:
                fence, language, lines = opening.group(1), opening.group(2), []
        elif re.fullmatch(f"{fence}`*", line):
            found.append((language, "\n".join(lines)))
            fence = ""
        else:
            lines.append(line)
    assert not fence, "a block is left open"
    return found


def commands() -> list[str]:
    """Every ``herald diff`` command the page shows: a line of an ``sh`` block that starts with one,
    and the ``herald diff`` of a CI job's step."""
    found = []
    for language, content in blocks(DOC.read_text(encoding="utf-8")):
        for line in content.splitlines():
            if language == "sh" and line.startswith("herald diff"):
                found.append(line)
            elif language == "yaml" and "herald diff" in line:
                found.append(line[line.index("herald diff"):])
    return found


def sample_repo(root: Path) -> str:
    """The sample's repository: the project's calendar and status file on ``main`` (two commits,
    and ``origin/main``), then the planner's change in the working copy; the commit id of ``main``."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout

    for name in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / name, root / name)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "the sample")
    calendar = root / "content_calendar.yaml"
    calendar.write_text(calendar.read_text().replace("calendar for Acme Furniture.", "calendar for Acme Furniture "
                                                                                      "(reviewed)."))
    git("commit", "-q", "-am", "a comment")
    git("update-ref", "refs/remotes/origin/main", "main")
    changed = (calendar.read_text().replace("at: 2026-12-18T08:00", "at: 2026-12-17T09:00")
               .replace("Where is your sofa?", "Where is your armchair?")
               .replace("  # Drafted but not ready", """\
  # Free delivery while checkout is paused for the payments upgrade.
  - id: free-delivery-weekend
    kind: announcement
    networks: [site]
    at: 2026-12-06T03:30
    text: "Free delivery on every order this weekend! We apologize for any inconvenience."

  # Drafted but not ready"""))
    calendar.write_text(changed)
    return git("rev-parse", "main").strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        missing_tool("git", "apt-get install git")
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    commit = sample_repo(tmp_path)
    monkeypatch.setenv("BASE", "main")  # the GitHub job's base branch
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", commit)  # GitLab's merge base
    return tmp_path


def run(line: str, capsys) -> tuple[int, str, str | None]:
    """A command line as a shell would run it: variables expanded, ``> FILE`` written."""
    import os

    argv = shlex.split(os.path.expandvars(line))
    target = None
    if ">" in argv:
        argv, target = argv[:argv.index(">")], argv[argv.index(">") + 1]
    assert argv[:2] == ["herald", "diff"]
    code = main(argv[1:], clock=FakeClock(NOW))
    out, err = capsys.readouterr()
    if target is not None:
        Path(target).write_text(out, encoding="utf-8")
    return code, out + err, target


def test_every_command_on_the_page_runs(repo, capsys):
    shown = commands()
    assert len(shown) >= 7 and SAMPLE_COMMAND in shown
    for line in shown:
        code, output, target = run(line, capsys)
        assert code == (1 if "--exit-code" in line else 0), (line, output)
        if target is not None:  # what the CI job posts: the Markdown of the change
            assert Path(target).read_text().startswith("### Calendar changes: 30 days from ")
            assert "free-delivery-weekend" in Path(target).read_text()


def test_the_jobs_post_the_file_the_diff_wrote():
    text = DOC.read_text(encoding="utf-8")
    targets = {line.rsplit("> ", 1)[1] for line in commands() if "> " in line}
    assert targets == {"calendar-diff.md"}
    assert "--body-file calendar-diff.md" in text and '"body@calendar-diff.md"' in text


def test_the_sample_is_what_its_command_writes(repo, capsys):
    text = DOC.read_text(encoding="utf-8")
    (sample,) = [content for language, content in blocks(text) if language == "markdown"]
    code, output, _ = run(SAMPLE_COMMAND, capsys)
    assert code == 0
    assert output == sample + "\n"
