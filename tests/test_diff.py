"""``herald diff OLD NEW``: what a calendar change does to the coming publications, on real git
repositories made here (``git init``, commits with a fixed author and date), through the command
as a planner runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT, missing_tool

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # Tuesday 14:00 in Berlin; the clocks go back on Sunday 25 October
GIT_ENV = {"GIT_AUTHOR_NAME": "Planner", "GIT_AUTHOR_EMAIL": "planner@acme.example",
           "GIT_COMMITTER_NAME": "Planner", "GIT_COMMITTER_EMAIL": "planner@acme.example",
           "GIT_AUTHOR_DATE": "2026-10-01T09:00:00+02:00", "GIT_COMMITTER_DATE": "2026-10-01T09:00:00+02:00",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

HEADER = """\
brand:
  name: Acme Furniture
  timezone: Europe/Berlin
  links: {help: "https://acme.example/help", order_tracking: "https://acme.example/track"}
networks:
  site: {type: site}
  x: {type: x}
  masto: {type: mastodon, instance: "https://social.example"}
posts:
"""

POSTS = """\
  - id: autumn-sale
    kind: announcement
    networks: [site, x]
    at: 2026-10-24T10:00
    text: "Autumn sale: 20% off every armchair until Sunday. Questions: {links.help}"
  - id: weekend-tip
    kind: tip
    networks: [site, masto]
    rrule: "FREQ=WEEKLY;BYDAY=SA;BYHOUR=10;BYMINUTE=0"
    starts: 2026-09-01
    text: "Weekend tip: oil your oak table twice a year and it will outlive us all."
  - id: track
    kind: tracking
    networks: [site]
    at: 2026-10-27T09:00
    text: "Where is your sofa? Track it at {links.order_tracking}"
"""
CALENDAR = HEADER + POSTS


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout


class Repo:
    """A git repository in a temporary folder, its calendar committed on ``main``."""

    def __init__(self, root: Path):
        self.root = root
        self.calendar = root / "content_calendar.yaml"

    def commit(self, text: str, message: str = "calendar") -> None:
        self.calendar.write_text(text, encoding="utf-8")
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def edit(self, text: str) -> None:
        """The working copy changed, not committed (a planner's edit before the pull request)."""
        self.calendar.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        missing_tool("git", "apt-get install git")
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    git(tmp_path, "init", "-q", "-b", "main")
    monkeypatch.chdir(tmp_path)
    found = Repo(tmp_path)
    found.commit(CALENDAR, "the calendar as reviewed")
    return found


def herald(capsys, *argv: str, now: datetime = NOW) -> tuple[int, str, str]:
    code = main(list(argv), clock=FakeClock(now))
    out, err = capsys.readouterr()
    return code, out, err


def diff_json(capsys, *argv: str, now: datetime = NOW) -> dict:
    code, out, err = herald(capsys, "diff", *argv, "--format", "json", now=now)
    assert code == 0, err
    return json.loads(out)


def changes(document: dict) -> list[dict]:
    return [change for day in document["days"] for change in day["changes"]]


def brief(document: dict) -> list[tuple[str, str, str, str | None, str | None]]:
    """(change, post, account, old local time, new local time) of every change."""
    return [(c["change"], c["post"], c["network"], c["old"] and c["old"]["local"], c["new"] and c["new"]["local"])
            for c in changes(document)]


# -- what changes -----------------------------------------------------------------------------------

def test_an_added_post_is_listed_on_its_day_with_its_text(repo, capsys):
    repo.edit(CALENDAR + '  - {id: new-tip, kind: tip, networks: [site], at: "2026-11-02T12:00", '
                         'text: "New: our care guide for linen sofas."}\n')
    document = diff_json(capsys, "main", "content_calendar.yaml")
    assert brief(document) == [("added", "new-tip", "site", None, "2026-11-02T12:00:00+01:00")]
    assert document["old"] == "main:content_calendar.yaml" and document["new"] == "content_calendar.yaml"
    assert document["days"][0]["date"] == "2026-11-02"
    code, out, err = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert code == 0 and err == ""
    assert out.splitlines()[:2] == [
        "main:content_calendar.yaml → content_calendar.yaml: 30 days from Tue 2026-10-20 14:00 CEST (Europe/Berlin)",
        "1 added, 0 removed, 0 moved, 0 reworded"]
    day = out.split("\nMon 2026-11-02\n")[1]
    assert day.splitlines()[:2] == ["  + added     12:00 CET  site  new-tip (tip)",
                                    "      New: our care guide for linen sofas."]


def test_a_removed_post_is_listed_with_what_it_said(repo, capsys):
    repo.edit(CALENDAR.split("  - id: track\n")[0])
    document = diff_json(capsys, "main", "content_calendar.yaml")
    assert brief(document) == [("removed", "track", "site", "2026-10-27T09:00:00+01:00", None)]
    assert changes(document)[0]["old"]["text"] == "Where is your sofa? Track it at https://acme.example/track"


def test_a_one_off_moved_across_the_end_of_summer_time_keeps_its_identity(repo, capsys):
    repo.edit(CALENDAR.replace("at: 2026-10-24T10:00", "at: 2026-10-26T10:00"))
    document = diff_json(capsys, "main", "content_calendar.yaml")
    assert brief(document) == [
        ("moved", "autumn-sale", "site", "2026-10-24T10:00:00+02:00", "2026-10-26T10:00:00+01:00"),
        ("moved", "autumn-sale", "x", "2026-10-24T10:00:00+02:00", "2026-10-26T10:00:00+01:00")]
    code, out, _ = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert "  > moved     10:00 CET  site  autumn-sale (announcement), was Sat 2026-10-24 10:00 CEST" in out


def test_a_recurring_post_whose_rule_changed_moves_each_occurrence_across_the_change(repo, capsys):
    # Saturday 10:00 to Sunday 10:00: the first Sunday is the day the clocks go back (25 hours later)
    repo.edit(CALENDAR.replace("BYDAY=SA;BYHOUR=10", "BYDAY=SU;BYHOUR=10"))
    document = diff_json(capsys, "main", "content_calendar.yaml")
    moves = [(old, new) for change, post, account, old, new in brief(document) if account == "site"]
    assert {change for change, *_ in brief(document)} == {"moved"}
    assert moves == [("2026-10-24T10:00:00+02:00", "2026-10-25T10:00:00+01:00"),
                     ("2026-10-31T10:00:00+01:00", "2026-11-01T10:00:00+01:00"),
                     ("2026-11-07T10:00:00+01:00", "2026-11-08T10:00:00+01:00"),
                     ("2026-11-14T10:00:00+01:00", "2026-11-15T10:00:00+01:00")]


def test_a_move_across_the_start_of_summer_time(repo, capsys):
    later = CALENDAR + '  - {id: spring, kind: announcement, networks: [site], at: "2027-03-27T09:00", ' \
                       'text: "Spring collection: in the showroom from Saturday."}\n'
    repo.commit(later, "spring")
    repo.edit(later.replace('"2027-03-27T09:00"', '"2027-03-29T09:00"'))
    document = diff_json(capsys, "HEAD", "content_calendar.yaml", "--from", "2027-03-20", "--days", "14")
    assert brief(document) == [("moved", "spring", "site", "2027-03-27T09:00:00+01:00", "2027-03-29T09:00:00+02:00")]


def test_a_reworded_post_shows_the_old_and_the_new_text(repo, capsys):
    repo.edit(CALENDAR.replace("Where is your sofa?", "Where is your armchair?"))
    document = diff_json(capsys, "main", "content_calendar.yaml")
    (change,) = changes(document)
    assert (change["change"], change["post"], change["reworded"]) == ("reworded", "track", True)
    assert change["old"]["text"].startswith("Where is your sofa?")
    assert change["new"]["text"].startswith("Where is your armchair?")
    _, out, _ = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert ("  ~ reworded  09:00 CET  site  track (tracking)\n"
            "      - Where is your sofa? Track it at https://acme.example/track\n"
            "      + Where is your armchair? Track it at https://acme.example/track\n") in out


def test_wording_for_one_network_rewords_that_network_only(repo, capsys):
    repo.edit(CALENDAR.replace("    starts: 2026-09-01\n", "    starts: 2026-09-01\n    per_network:\n"
                               "      masto: {text: \"Weekend tip from the workshop: oil oak twice a year.\"}\n"))
    document = diff_json(capsys, "main", "content_calendar.yaml")
    assert {(c["change"], c["post"], c["network"]) for c in changes(document)} == {("reworded", "weekend-tip", "masto")}
    assert len(changes(document)) == 4  # the four Saturdays of the window
    assert {c["new"]["text"] for c in changes(document)} == {"Weekend tip from the workshop: oil oak twice a year."}


def test_two_revisions_and_a_revision_with_a_path(repo, capsys):
    repo.commit(CALENDAR.replace("20% off", "25% off"), "deeper discount")
    document = diff_json(capsys, "HEAD~1", "HEAD")
    assert document["old"] == "HEAD~1:content_calendar.yaml" and document["new"] == "HEAD:content_calendar.yaml"
    assert {(c["change"], c["post"]) for c in changes(document)} == {("reworded", "autumn-sale")}
    assert changes(diff_json(capsys, "main~1:content_calendar.yaml", "main:content_calendar.yaml")) \
        == changes(document)
    assert changes(diff_json(capsys, "HEAD", "content_calendar.yaml")) == []


def test_a_calendar_in_a_subfolder_with_calendar_dir(repo, capsys):
    (repo.root / "site").mkdir()
    (repo.root / "site" / "content_calendar.yaml").write_text(CALENDAR)
    git(repo.root, "add", "-A")
    git(repo.root, "commit", "-q", "-m", "a second calendar")
    (repo.root / "site" / "content_calendar.yaml").write_text(CALENDAR.replace("Weekend tip", "Saturday tip"))
    document = diff_json(capsys, "main", "site/content_calendar.yaml", "--calendar-dir", "site")
    assert document["old"] == "main:site/content_calendar.yaml"
    assert {c["post"] for c in changes(document)} == {"weekend-tip"}


def test_exit_code_says_whether_anything_changed(repo, capsys):
    assert herald(capsys, "diff", "main", "content_calendar.yaml", "--exit-code")[0] == 0
    repo.edit(CALENDAR.replace("20% off", "25% off"))
    assert herald(capsys, "diff", "main", "content_calendar.yaml", "--exit-code")[0] == 1
    assert herald(capsys, "diff", "main", "content_calendar.yaml")[0] == 0


# -- what the change makes worse --------------------------------------------------------------------

STATUS = """\
components:
  checkout: {name: Checkout}
maintenance:
  - id: db
    title: Database upgrade
    starts: 2026-11-04T02:00
    ends: 2026-11-04T04:00
"""


def test_a_post_moved_into_a_maintenance_window_at_night(repo, capsys):
    (repo.root / "status.yaml").write_text(STATUS)
    repo.edit(CALENDAR.replace("at: 2026-10-27T09:00", "at: 2026-11-04T03:00"))
    document = diff_json(capsys, "main", "content_calendar.yaml")
    assert [(f["post"], f["window"]["title"], f["window"]["starts"]) for f in document["maintenance"]] == [
        ("track", "Database upgrade", "2026-11-04T02:00:00+01:00")]
    assert [(f["post"], f["clock"]) for f in document["night"]] == [("track", "03:00 CET")]
    _, out, _ = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert "Now in an announced maintenance window (1):\n  Wed 2026-11-04 03:00 CET  site  track: " \
           "Database upgrade (Wed 2026-11-04 02:00-04:00 CET)" in out
    assert "Now at night (22:00-07:00 on the post's own clock) (1):\n  Wed 2026-11-04 03:00 CET  site  track: " \
           "03:00 CET" in out


def test_a_text_now_too_long_for_x_is_shown_not_refused(repo, capsys):
    long = "Autumn sale: 20% off every armchair until Sunday. " + "Every armchair is built to order. " * 8
    repo.edit(CALENDAR.replace("Autumn sale: 20% off every armchair until Sunday.", long))
    document = diff_json(capsys, "main", "content_calendar.yaml")
    assert [(f["post"], f["network"]) for f in document["too_long"]] == [("autumn-sale", "x")]
    assert re.fullmatch(r"\d+/280 weighted characters \(\d+ over\)", document["too_long"][0]["detail"])
    assert herald(capsys, "validate", "content_calendar.yaml")[0] == 1  # the engine would refuse it


@pytest.fixture(params=["around each change", "lint over the window"])
def repeats_found(request, monkeypatch):
    """Both ways herald diff finds repeats: around each change, and (when much changed) lint's own check."""
    if request.param == "lint over the window":
        import campaigns.diffvoice

        monkeypatch.setattr(campaigns.diffvoice, "TARGETED_UP_TO", 0)
    return request.param


def test_new_voice_findings_only(repo, capsys, repeats_found):
    # the old calendar already has a stock phrase; the new one adds another post with one, which
    # also repeats the first word for word: both findings are new, the old post's own is not
    stock = "Thank you for your patience: deliveries are back on schedule."
    repo.commit(CALENDAR + f'  - {{id: old-stock, kind: tip, networks: [site], at: "2026-10-29T10:00", '
                           f'text: "{stock}"}}\n', "a stock phrase")
    before = (repo.root / "content_calendar.yaml").read_text()
    assert herald(capsys, "lint", "--calendar", "content_calendar.yaml")[0] == 1  # the old one has it already
    repo.edit(before + f'  - {{id: new-stock, kind: tip, networks: [site], at: "2026-10-30T10:00", text: "{stock}"}}\n')
    document = diff_json(capsys, "HEAD", "content_calendar.yaml")
    found = {(f["rule"], tuple(f["posts"])) for f in document["voice"]}
    assert found == {("stock-phrase", ("new-stock",)), ("duplicate", ("new-stock", "old-stock"))}
    line = before.count("\n") + 1
    assert {(f["path"], f["line"]) for f in document["voice"]} == {("content_calendar.yaml", line)}
    assert [(f["rule"], f["severity"]) for f in document["voice"]] == [("duplicate", "error"), ("stock-phrase", "warning")]


def test_a_repeat_that_was_there_before_is_not_new(repo, capsys, repeats_found):
    # two posts word for word three days apart: a duplicate already; moving one a day, or rewording
    # both alike, keeps them alike and close: nothing new; moving one next to a third like it is new
    same = "Our workshop is open on Saturday: come and sit on every sofa."
    posts = (f'  - {{id: one, kind: tip, networks: [site], at: "2026-10-28T10:00", text: "{same}"}}\n'
             f'  - {{id: two, kind: tip, networks: [site], at: "2026-10-31T10:00", text: "{same}"}}\n')
    repo.commit(CALENDAR + posts, "two alike")
    repo.edit(CALENDAR + posts.replace("2026-10-31T10:00", "2026-11-01T10:00"))
    document = diff_json(capsys, "HEAD", "content_calendar.yaml")
    assert [c["change"] for c in changes(document)] == ["moved"] and document["voice"] == []
    repo.edit(CALENDAR + posts.replace(same, same.replace("every sofa", "every armchair")))
    document = diff_json(capsys, "HEAD", "content_calendar.yaml")
    assert [c["change"] for c in changes(document)] == ["reworded", "reworded"] and document["voice"] == []
    third = f'  - {{id: three, kind: tip, networks: [site], at: "2026-11-20T10:00", text: "{same}"}}\n'
    repo.commit(CALENDAR + posts + third, "a third, far from the others")
    repo.edit(CALENDAR + posts + third.replace("2026-11-20", "2026-11-02"))
    document = diff_json(capsys, "HEAD", "content_calendar.yaml")
    assert [(f["rule"], f["posts"]) for f in document["voice"]] == [("duplicate", ["three", "two"])]


# -- bad input --------------------------------------------------------------------------------------

def test_an_invalid_new_file_is_one_located_error_and_exit_1(repo, capsys):
    repo.edit(CALENDAR.replace("    kind: tracking\n", "    kind: trackin\n"))
    line = repo.calendar.read_text().splitlines().index("    kind: trackin") + 1
    code, out, err = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert code == 1 and out == ""
    (message,) = err.strip().splitlines()
    assert message.startswith(f"content_calendar.yaml:{line}:11: ") and "trackin" in message


def test_an_invalid_old_revision_is_located_in_the_revision(repo, capsys):
    repo.commit(CALENDAR.replace("    kind: tracking\n", "    kind: trackin\n"), "a typo")
    repo.commit(CALENDAR, "the typo fixed")
    line = CALENDAR.splitlines().index("    kind: tracking") + 1
    code, out, err = herald(capsys, "diff", "HEAD~1", "HEAD")
    assert code == 1 and out == ""
    (message,) = err.strip().splitlines()
    assert message.startswith(f"HEAD~1:content_calendar.yaml:{line}:11: ")


def test_both_sides_invalid_shows_each_error_located(repo, capsys):
    repo.commit(CALENDAR.replace("    kind: tracking\n", "    kind: trackin\n"), "a typo")
    repo.edit(CALENDAR.replace("    kind: tip\n", "    kind: tipp\n"))
    old_line = CALENDAR.splitlines().index("    kind: tracking") + 1
    new_line = CALENDAR.splitlines().index("    kind: tip") + 1
    code, out, err = herald(capsys, "diff", "HEAD", "content_calendar.yaml")
    assert code == 1 and out == ""
    messages = err.strip().splitlines()
    assert len(messages) == 2
    assert any(m.startswith(f"HEAD:content_calendar.yaml:{old_line}:11: ") and "trackin" in m for m in messages)
    assert any(m.startswith(f"content_calendar.yaml:{new_line}:11: ") and "tipp" in m for m in messages)


@pytest.mark.parametrize("argv, code, says", [
    (["nope", "content_calendar.yaml"], 1, "nope: no such revision in the git repository at "),
    (["main:nope.yaml", "content_calendar.yaml"], 1, "main:nope.yaml: main has no file nope.yaml"),
    (["main", "missing.yaml"], 1, "missing.yaml: file not found"),
    (["--", "--output=/tmp/owned", "content_calendar.yaml"], 1, "--output=/tmp/owned: file not found"),
    (["main", "content_calendar.yaml", "--format", "html"], 2, "--format 'html'"),
])
def test_what_is_not_there_is_one_line(repo, capsys, argv, code, says):
    found, out, err = herald(capsys, "diff", *argv)
    assert (found, out) == (code, "")
    (message,) = err.strip().splitlines()
    assert says in message and "Traceback" not in message
    assert not Path("/tmp/owned").exists()


def test_outside_a_repository_a_revision_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "content_calendar.yaml").write_text(CALENDAR)
    code, out, err = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert (code, out) == (1, "")
    (message,) = err.strip().splitlines()
    assert "not a git repository" in message


@pytest.mark.parametrize("name", ["--output=/tmp/x", "-p", "main..HEAD", "main HEAD", "HEAD:x", "a\nb", "",
                                  "x" * 201, "main\x00"])
def test_a_revision_name_is_checked_before_git_sees_it(name):
    from campaigns.errors import UsageError
    from scheduler import gitrev

    assert not gitrev.is_revision_name(name)
    with pytest.raises(UsageError):
        gitrev.commit_of(name)


@pytest.mark.parametrize("name", ["main", "HEAD~1", "HEAD^", "origin/main", "v1.2.0", "main@{1}", "0123abcd",
                                  "feature/calendar-2027"])
def test_revision_names_people_use_are_revision_names(name):
    from scheduler import gitrev

    assert gitrev.is_revision_name(name)


# -- Markdown for a pull request, with hostile text --------------------------------------------------

HOSTILE = ('Sale | 50% off ``` `code` ```` <script>alert(1)</script> @everyone #1 [x](javascript:alert(1)) '
           '</details> $x$ \\u2028second line \\u202eevil')


def fenced(markdown: str) -> tuple[list[str], list[list[str]]]:
    """The lines outside fenced code blocks and each block's lines, read by CommonMark's rules for
    backtick fences (an opening fence of 3 or more backticks after at most 3 spaces; the block
    ends at a line of at least as many backticks and nothing else)."""
    outside: list[str] = []
    blocks: list[list[str]] = []
    fence = 0
    for line in markdown.split("\n"):
        if fence:
            if re.fullmatch(" {0,3}" + "`" * fence + r"`*[ \t]*", line):
                fence = 0
            else:
                blocks[-1].append(line)
            continue
        opening = re.match(r" {0,3}(`{3,})([^`]*)$", line)
        if opening:
            fence = len(opening.group(1))
            blocks.append([])
        else:
            outside.append(line)
    assert fence == 0, "a fence is left open"
    return outside, blocks


def test_hostile_text_cannot_break_the_markdown(repo, capsys):
    repo.edit(CALENDAR.replace('"Where is your sofa? Track it at {links.order_tracking}"',
                               f'"{HOSTILE} {{links.order_tracking}}"'))
    code, markdown, err = herald(capsys, "diff", "main", "content_calendar.yaml", "--format", "markdown")
    assert code == 0, err
    outside, blocks = fenced(markdown)
    text = "\n".join(outside)
    for bad in ("<script", "@everyone", "javascript:", "\u2028", "\u202e", "$x$", "](", "</details>"):
        assert bad not in text, bad
    assert [line for line in outside if re.search(r"</?[a-z]", line)] == []  # no HTML outside a block
    (block,) = [b for b in blocks if any("<script>" in line for line in b)]
    assert block == [
        "- Where is your sofa? Track it at https://acme.example/track",
        "+ Sale | 50% off ``` `code` ```` <script>alert(1)</script> @everyone #1 [x](javascript:alert(1)) "
        "</details> $x$ ",
        "+ second line ⟨U+202E⟩evil https://acme.example/track"]
    assert "**reworded** 09:00 CET · `site` · `track` (tracking)" in text
    rows = [line for line in outside if line.startswith("|")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 9 for row in rows)  # the counts: 8 columns


def test_markdown_folds_long_days_and_stays_within_a_comment(repo, capsys):
    many = "".join(f'  - {{id: p{n}, kind: tip, networks: [site, x, masto], at: "2026-11-0{1 + n % 9}T{10 + n % 9}:00",'
                   f' text: "Tip {n}: a long text about wood care, repeated. {"Oak and walnut. " * 12}"}}\n'
                   for n in range(300))
    repo.edit(CALENDAR + many)
    code, markdown, _ = herald(capsys, "diff", "main", "content_calendar.yaml", "--format", "markdown")
    assert code == 0 and len(markdown) <= 60_000
    assert markdown.count("<details><summary>") == markdown.count("</details>") > 0
    assert re.search(r"\*… and \d+ more that do not fit in a comment: run `herald diff` for all of them\.\*\n$",
                     markdown)
    fenced(markdown)


# -- the project's own sample, as its CI checks it -----------------------------------------------------

def test_herald_diff_on_the_sample_calendar(tmp_path, capsys):
    """The project's CI check: the sample against a copy a planner changed (one post moved a day,
    one reworded, one added), then against itself."""
    sample = (ROOT / "content_calendar.yaml").read_text(encoding="utf-8")
    changed = sample.replace("at: 2026-12-18T08:00", "at: 2026-12-17T08:00")
    changed = changed.replace("Where is your sofa?", "Where is your armchair?")
    assert changed.count("\n") == sample.count("\n") and changed != sample
    (tmp_path / "changed.yaml").write_text(changed + '  - {id: ci-added, kind: tip, networks: [site], '
                                                     'at: "2026-12-09T11:00", text: "A tip the CI added."}\n')
    argv = [str(ROOT / "content_calendar.yaml"), str(tmp_path / "changed.yaml"), "--from", "2026-12-01",
            "--status", str(ROOT / "status.yaml")]
    document = diff_json(capsys, *argv)
    counts = document["counts"]
    assert (counts["added"], counts["removed"]) == (1, 0) and counts["moved"] >= 1 and counts["reworded"] >= 1
    assert {c["post"] for c in changes(document) if c["change"] == "moved"} == {"holiday-hours"}
    assert {c["post"] for c in changes(document) if c["change"] == "reworded"} == {"track-your-order"}
    for form in ("text", "markdown"):
        code, out, err = herald(capsys, "diff", *argv, "--format", form)
        assert code == 0 and "holiday-hours" in out and err == ""
    same = ["diff", str(ROOT / "content_calendar.yaml"), str(ROOT / "content_calendar.yaml"), "--exit-code"]
    assert herald(capsys, *same)[0] == 0


@pytest.mark.slow
def test_a_big_calendar_is_compared_on_two_processes_with_the_same_answer(tmp_path, monkeypatch, capsys):
    from bench.generate import generate
    from scheduler import forked

    old = generate(1000)
    new = old.replace("(#7)", "(#7, reworded)").replace("(#12)\"", "(#12)\"\n    enabled: false", 1)
    assert len(old) >= forked.PARALLEL_FROM_CHARS
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    argv = [str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--from", "2027-02-01"]
    started = []
    start = forked.Child.start
    monkeypatch.setattr(forked.Child, "start", classmethod(lambda cls, *a: started.append(1) or start(*a)))
    monkeypatch.setattr(forked, "spare_core", lambda: True)  # (a busy machine runs it in one process)
    parallel = diff_json(capsys, *argv)
    assert started == [1]
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    alone = diff_json(capsys, *argv)
    assert parallel == alone and parallel["counts"]["reworded"] + parallel["counts"]["removed"] > 0


# -- the pairing itself ------------------------------------------------------------------------------

def _pubs(post: str, times: list[datetime], text: str = "Tip") -> list:
    from campaigns.model import Kind
    from campaigns.plan import Publication, publication_key

    return [Publication(publication_key(f"post:{post}", at, "site"), f"post:{post}", post, Kind.TIP, "site", "site",
                        at, text, 1, 1, None) for at in times]


def test_a_rule_moved_by_a_day_pairs_each_occurrence_and_leaves_the_edge_alone():
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from campaigns.calendar import loads
    from campaigns.calendardiff import Side, compare

    calendar = loads(CALENDAR)
    tz = ZoneInfo("Europe/Berlin")
    mondays = [datetime(2026, 11, 2, 10, tzinfo=tz) + timedelta(weeks=n) for n in range(5)]
    tuesdays = [monday + timedelta(days=1) for monday in mondays[:4]]  # the fifth is past the window's end
    start, end = mondays[0], mondays[-1] + timedelta(hours=1)

    def sides(old: list, new: list) -> tuple[Side, Side]:
        return Side("old", start, end, "Europe/Berlin", old, []), Side("new", start, end, "Europe/Berlin", new, [])

    diff = compare(*sides(_pubs("tip", mondays), _pubs("tip", tuesdays)), calendar)
    assert [(e.change, e.old and e.old.at.day, e.new and e.new.at.day) for e in diff.entries] == [
        ("moved", 2, 3), ("moved", 9, 10), ("moved", 16, 17), ("moved", 23, 24), ("removed", 30, None)]
    # the same times with new words are rewordings, not moves
    diff = compare(*sides(_pubs("tip", mondays), _pubs("tip", mondays, "Tip!")), calendar)
    assert {e.change for e in diff.entries} == {"reworded"} and len(diff.entries) == 5
    assert not compare(*sides(_pubs("tip", mondays), _pubs("tip", mondays)), calendar).changed


@pytest.mark.parametrize("days", ["21", "60"])
def test_a_weekly_post_moved_to_the_sunday_before_pairs_the_same_way_in_any_window(repo, capsys, days):
    # Monday 10:00 to Sunday 23:30: each Monday pairs with the Sunday before (10.5 hours earlier),
    # never with the Sunday after (6.5 days later), however long the window
    weekly = CALENDAR + ('  - {id: monday, kind: tip, networks: [site], starts: 2027-03-01, '
                         'rrule: "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0", text: "Monday tip."}\n')
    repo.commit(weekly, "monday")
    repo.edit(weekly.replace("BYDAY=MO;BYHOUR=10;BYMINUTE=0", "BYDAY=SU;BYHOUR=23;BYMINUTE=30"))
    document = diff_json(capsys, "HEAD", "content_calendar.yaml", "--from", "2027-03-15", "--days", days)
    moves = [(datetime.fromisoformat(new) - datetime.fromisoformat(old)).total_seconds() / 3600
             for change, post, _, old, new in brief(document) if post == "monday" and change == "moved"]
    assert len(moves) >= 2 and set(moves) == {-10.5}
    edges = [(change, old or new) for change, post, _, old, new in brief(document)
             if post == "monday" and change != "moved"]
    assert edges[0] == ("removed", "2027-03-15T10:00:00+01:00")
