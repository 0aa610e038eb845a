"""What the ledger must not be fooled by (issue 27, a black-box attack): a ledger in memory, an
explicit ledger in a folder that does not exist, a ledger whose publications were deleted, a
maintenance message that claims an announcement the ledger does not record, and a dry-run
account said to be ready without its credentials."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from scheduler.cli import main
from scheduler.clock import FakeClock
from scheduler.errors import BrokenLedger
from scheduler.ledger import Item, Ledger
from tests.test_cli_refusals import T0, herald, samples

LEASE = timedelta(seconds=60)


def item(key: str = "k1") -> Item:
    return Item(key=key, source="post:p", post="p", network="site", kind="tip", scheduled_at=T0, text="hello")


# -- 1. a ledger in memory forgets everything at the end of the command ---------------------
@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite+pysqlite:///:memory:"])
@pytest.mark.parametrize("command", [["run", "--once"], ["pause", "--reason", "storm"], ["history"], ["retry", "k1"]])
def test_a_ledger_in_memory_is_refused(capsys, tmp_path, url, command):
    code, out, err = herald(capsys, *command, *samples(tmp_path), "--state", url)
    assert (code, out) == (2, ""), err
    assert err == ("herald: --state: a ledger in memory forgets what was sent when the command ends (every run "
                   "would send it again); give a file: sqlite:///PATH\n")
    assert not (tmp_path / "run" / ".herald").exists()


def test_a_ledger_in_memory_is_refused_from_the_environment_too(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HERALD_STATE", "sqlite://")
    code, _, err = herald(capsys, "run", "--once", *samples(tmp_path))
    assert code == 2 and err.startswith("herald: HERALD_STATE: a ledger in memory forgets"), err


# -- 2. an explicit ledger's folder is never made up ---------------------------------------
@pytest.mark.parametrize("command", [["run", "--once"], ["pause", "--reason", "storm"], ["history"]])
def test_an_explicit_ledger_in_a_missing_folder_is_refused(capsys, tmp_path, command):
    folder = tmp_path / "nonexist" / "dir"
    code, out, err = herald(capsys, *command, *samples(tmp_path), "--state", f"sqlite:///{folder / 'x.db'}")
    assert (code, out) == (2, ""), err
    assert err == f"herald: --state: no folder {folder}: create it first, or check the path\n"
    assert not (tmp_path / "nonexist").exists()


def test_the_default_ledger_folder_is_made_beside_the_calendar(capsys, tmp_path):
    options = samples(tmp_path)
    assert herald(capsys, "pause", *options, "--reason", "storm")[0] == 0
    assert (tmp_path / "run" / ".herald" / "state.db").exists()


# -- 3. a ledger whose publications were deleted ------------------------------------------
def _delete_publications(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as c:
            c.execute(text("DELETE FROM herald_publications"))
    finally:
        engine.dispose()


def test_a_ledger_whose_publications_were_deleted_is_refused(ledger_url):
    first = Ledger(ledger_url)
    assert first.claim(item(), "a", T0, LEASE) is not None
    first.close()
    _delete_publications(ledger_url)
    with pytest.raises(BrokenLedger) as info:
        Ledger(ledger_url)
    assert "had publications and now has none" in info.value.problem


def test_a_ledger_emptied_by_prune_is_not_refused(ledger_url):
    first = Ledger(ledger_url)
    assert first.settle(item(), first_state(), T0, "late")
    pruned = first.prune(T0 + timedelta(days=400))
    assert pruned.publications == 1 and first.counts() == {}
    first.close()
    again = Ledger(ledger_url)  # emptied by Herald itself: sound
    assert again.claim(item("k2"), "a", T0, LEASE) is not None  # and guarded again from its next claim
    again.close()
    _delete_publications(ledger_url)
    with pytest.raises(BrokenLedger):
        Ledger(ledger_url)


def first_state():
    from scheduler.ledger import State

    return State.SKIPPED


def test_history_and_run_refuse_a_ledger_emptied_by_hand(capsys, tmp_path):
    options = samples(tmp_path)
    path = tmp_path / "run" / ".herald" / "state.db"
    assert herald(capsys, "pause", *options, "--reason", "storm")[0] == 0  # makes the ledger
    ledger = Ledger(f"sqlite:///{path}")
    assert ledger.claim(item(), "a", T0, LEASE) is not None
    ledger.close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM herald_publications")
    db.close()
    for command in (["history"], ["run", "--once"]):
        code, out, err = herald(capsys, *command, *options)
        assert code == 3, (command, out, err)
        assert "the ledger is empty" not in out + err
        assert err.startswith(f"herald: the ledger {path} had publications and now has none"), err
        assert f"`herald run --calendar {options[1]} --new-ledger`" in err


# -- 4. a ledger deleted with its folder: the site channel's posts are evidence ----------------
def test_a_new_ledger_beside_published_site_posts_is_refused(capsys, tmp_path):
    import json
    import shutil

    (tmp_path / "run").mkdir()
    calendar = tmp_path / "run" / "cal.yaml"
    calendar.write_text("brand: {name: Acme, timezone: UTC}\nnetworks:\n  site: {type: site}\nposts:\n"
                        + "".join(f"  - {{id: p{n}, kind: tip, networks: [site], at: '2026-11-23T06:3{n}', text: Tip {n}}}\n"
                                  for n in (1, 2)))
    options = ("--calendar", str(calendar))
    public = tmp_path / "run" / "public"
    assert herald(capsys, "run", "--once", *options)[0] == 0
    posts = len(json.loads((public / "site.json").read_text())["items"])
    assert posts == 2
    shutil.rmtree(tmp_path / "run" / ".herald")  # `rm -rf .herald`: the marker goes too
    code, out, err = herald(capsys, "run", "--once", *options)
    assert code == 3, (out, err)
    ledger = tmp_path / "run" / ".herald" / "state.db"
    refusals = [line for line in err.splitlines() if line.startswith("herald: ")]  # after the log's warning
    assert len(refusals) == 1, err
    err = refusals[0]
    assert err.startswith(f"herald: the ledger {ledger} looks lost: {posts} site posts exist in {public / 'site.json'}"), err
    assert f"`herald run --calendar {options[1]} --new-ledger`" in err
    assert not ledger.exists()
    assert herald(capsys, "run", "--once", *options, "--new-ledger")[0] == 0  # the explicit decision
    assert ledger.exists()
    shutil.rmtree(public)  # and a ledger that exists is never second-guessed by the site's files
    assert herald(capsys, "run", "--once", *options)[0] == 0


# -- 5. a maintenance window that is over: only the ledger says whether its end was announced --
def test_a_window_over_without_a_ledger_claims_no_announcement(capsys, tmp_path, monkeypatch):
    from tests.test_maintenance_updates import CALENDAR, berlin, window

    monkeypatch.delenv("HERALD_STATE", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(window(1))
    code = main(["maintenance", "complete", "db", "-m", "Done now.", "--calendar", str(tmp_path / "cal.yaml"),
                 "--status", str(tmp_path / "status.yaml")], clock=FakeClock(berlin(5, 3, 10)))
    err = capsys.readouterr().err
    assert code == 2
    assert "was announced" not in err and "no engine has recorded an announcement of its end" in err, err
    assert not (tmp_path / ".herald").exists()


def test_a_window_over_names_where_the_ledger_records_its_end_as_announced(capsys, tmp_path, monkeypatch):
    from campaigns.calendar import loads as load_calendar
    from status.announce import announcements
    from status.load import loads
    from tests.test_maintenance_updates import CALENDAR, berlin, window

    monkeypatch.delenv("HERALD_STATE", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(window(1))
    calendar = load_calendar(CALENDAR)
    ends = [p for p in announcements(calendar, loads(window(1), calendar), berlin(1, 0), berlin(9, 0))
            if p.role == "maintenance.end"]
    assert ends
    (tmp_path / ".herald").mkdir()
    ledger = Ledger(f"sqlite:///{tmp_path / '.herald' / 'state.db'}")
    for p in ends:
        assert ledger.claim(Item(p.key, p.source, p.post, p.network, "maintenance", p.at), "e", p.at, LEASE)
        assert ledger.mark_sent(p.key, "e", p.at, "r1", None)
    ledger.close()
    code = main(["maintenance", "complete", "db", "-m", "Done now.", "--calendar", str(tmp_path / "cal.yaml"),
                 "--status", str(tmp_path / "status.yaml")], clock=FakeClock(berlin(5, 3, 10)))
    err = capsys.readouterr().err
    assert code == 2
    assert f"and its end was announced on {', '.join(p.network for p in ends)};" in err, err


# -- 6. a dry-run account's credentials are checked too -----------------------------------
def test_networks_check_names_the_missing_variable_of_a_dry_run_account(capsys, tmp_path, monkeypatch):
    calendar = tmp_path / "shop.yaml"
    calendar.write_text("brand: {name: Acme, timezone: UTC}\nnetworks:\n"
                        "  mastodon: {type: mastodon, instance: 'https://social.example', dry_run: true}\n")
    monkeypatch.delenv("HERALD_MASTODON_ACCESS_TOKEN", raising=False)
    code = main(["networks", "check", "--calendar", str(calendar)], clock=FakeClock(datetime(2026, 12, 1, tzinfo=UTC)))
    out = capsys.readouterr().out
    assert code == 1
    assert out == ("mastodon (Mastodon): NOT READY (dry run): set HERALD_MASTODON_ACCESS_TOKEN "
                   "(or put them in its secrets_file)\n")
    monkeypatch.setenv("HERALD_MASTODON_ACCESS_TOKEN", "s3cret-token-value")
    code = main(["networks", "check", "--calendar", str(calendar)], clock=FakeClock(datetime(2026, 12, 1, tzinfo=UTC)))
    out = capsys.readouterr().out
    assert (code, out) == (0, "mastodon (Mastodon): ready (dry run)\n")
