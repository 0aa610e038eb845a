"""A network type from another package: found through its ``herald.networks`` entry point, held
to the same rules as a built-in (schema, length, credentials), published through the engine;
and an entry point that is broken or clashes is left out in one line, the built-ins untouched.

The package is ``tests/plugin/`` (a record, a publisher, and the ``*.dist-info`` pip would
write), put on the path of a ``herald`` process: nothing is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.networks import BUILTIN_NETWORKS, Registry
from tests.receiver import Receiver

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = Path(__file__).resolve().parent / "plugin"
TOKEN = "pigeon-token-8d1f3c27a9"


def herald(cwd: Path, *argv: str, path: tuple[Path, ...] = (PLUGIN,),
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``herald ARGV`` as a fresh process (the registry is read at its start) with ``path`` first
    on its Python path, and no HERALD_ variable but those of ``env``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    environment["PYTHONPATH"] = os.pathsep.join([*map(str, path), str(ROOT)])
    return subprocess.run([sys.executable, "-m", "scheduler.cli", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**environment, **(env or {})}, check=False)


def write_calendar(folder: Path, loft: str, text: str, at: datetime) -> str:
    (folder / "content_calendar.yaml").write_text(textwrap.dedent(f"""\
        brand: {{name: Acme, timezone: UTC}}
        networks:
          site: {{type: site}}
          coop: {{type: pigeon, loft: "{loft}"}}
        posts:
          - id: sofa
            kind: announcement
            networks: [coop]
            at: "{at.strftime('%Y-%m-%dT%H:%MZ')}"
            text: "{text}"
        """))
    return "content_calendar.yaml"


def distribution(folder: Path, name: str, entry_points: str, modules: dict[str, str] | None = None) -> Path:
    """A package as pip leaves it in site-packages: its modules and ``<name>-1.0.dist-info``."""
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[herald.networks]\n" + textwrap.dedent(entry_points))
    for module, source in (modules or {}).items():
        (folder / f"{module}.py").write_text(textwrap.dedent(source))
    return folder


@pytest.mark.slow
def test_a_network_from_another_package_validates_needs_its_secret_and_publishes_through_the_engine(tmp_path):
    with Receiver() as pigeon:
        calendar = write_calendar(tmp_path, pigeon.url, "Our new sofa is in.", datetime.now(UTC) - timedelta(minutes=1))
        validated = herald(tmp_path, "validate", calendar)
        assert validated.returncode == 0, validated.stdout + validated.stderr

        # its credential is required like any network's: named, and nothing is sent without it
        check = herald(tmp_path, "networks", "check", "--calendar", calendar)
        assert check.returncode != 0 and "coop (Pigeon): NOT READY" in check.stdout
        assert "set HERALD_COOP_TOKEN" in check.stdout
        refused = herald(tmp_path, "run", "--once", "--calendar", calendar)
        assert refused.returncode != 0 and "HERALD_COOP_TOKEN" in refused.stderr
        assert pigeon.deliveries == []

        ran = herald(tmp_path, "run", "--once", "--calendar", calendar, env={"HERALD_COOP_TOKEN": TOKEN})
        assert ran.returncode == 0, ran.stderr
        [delivery] = pigeon.deliveries
        assert delivery["body"]["text"] == "Our new sofa is in."
        assert delivery["headers"]["Authorization"] == f"Bearer {TOKEN}" and delivery["key"] == delivery["body"]["key"]
        assert TOKEN not in ran.stdout + ran.stderr
        history = herald(tmp_path, "history", "--calendar", calendar, env={"HERALD_COOP_TOKEN": TOKEN})
        assert history.stdout.splitlines()[0] == "1 sent" and "coop" in history.stdout


@pytest.mark.slow
def test_its_record_s_length_rule_and_fields_are_checked_like_a_built_in_s(tmp_path):
    calendar = write_calendar(tmp_path, "https://pigeon.example", "x" * 121, datetime(2026, 12, 1, 9, tzinfo=UTC))
    (tmp_path / calendar).write_text((tmp_path / calendar).read_text().replace(
        'loft: "https://pigeon.example"', 'loft: "https://pigeon.example", handle: acme'))
    result = herald(tmp_path, "validate", calendar)
    assert result.returncode != 0
    assert "post 'sofa' is too long for coop (Pigeon): text is 121/120 characters (1 over)" in result.stdout + result.stderr
    assert "'handle' does not apply to a pigeon network" in result.stdout + result.stderr
    schema = herald(tmp_path, "schema")
    assert '"pigeon"' in schema.stdout and '"loft"' in schema.stdout


def test_bad_and_clashing_entry_points_are_left_out_in_one_line_each_and_the_built_ins_stand(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    distribution(site, "broken", """\
        missing = no_such_module:NETWORK
        exploding = exploding:NETWORK
        invalid = invalid:NETWORK
        notarecord = records:NOT_A_RECORD
        misnamed = records:MISNAMED
        x = records:X
        clash = records:CLASH
        twin = records:TWIN
        """, {
        "exploding": "raise RuntimeError('boom\\nsecond line')\n",
        "invalid": """\
            from campaigns.networks import NetworkType
            NETWORK = NetworkType(name="Bad Name", title="Bad", publisher="invalid:P")
            """,
        "records": """\
            from campaigns.networks import NetworkType
            NOT_A_RECORD = {"name": "notarecord"}
            MISNAMED = NetworkType(name="other", title="Other", publisher="records:P")
            X = NetworkType(name="x", title="Not X", publisher="records:P")
            CLASH = NetworkType(name="clash", title="Clash", publisher="records:P", fields={"handle": {"type": "integer"}})
            TWIN = NetworkType(name="twin", title="Twin", publisher="records:P")
            """,
    })
    distribution(tmp_path / "other", "other", "twin = records:TWIN\n")
    for folder in (PLUGIN, site, tmp_path / "other"):
        monkeypatch.syspath_prepend(str(folder))
    registry = Registry(BUILTIN_NETWORKS)
    try:
        names = list(registry)
    finally:  # the modules the entry points imported go with their folders
        for module in ("herald_pigeon", "exploding", "invalid", "records"):
            sys.modules.pop(module, None)

    assert names == [t.name for t in BUILTIN_NETWORKS] + ["pigeon"]
    assert all(registry[t.name] is t for t in BUILTIN_NETWORKS)
    assert sorted(registry.problems) == sorted([
        "network plugin 'clash' (records:CLASH, from broken 1.0) is refused: its field 'handle' is also x's, "
        "with another schema; name it otherwise",
        "network plugin 'exploding' (exploding:NETWORK, from broken 1.0) cannot be loaded: "
        "RuntimeError: boom second line",
        "network plugin 'invalid' (invalid:NETWORK, from broken 1.0) cannot be loaded: ValueError: network type "
        "'Bad Name': a name is lower-case letters, digits and '_', starting with a letter",
        "network plugin 'misnamed' (records:MISNAMED, from broken 1.0) declares type 'other': "
        "name the entry point the same",
        "network plugin 'missing' (no_such_module:NETWORK, from broken 1.0) cannot be loaded: "
        "ModuleNotFoundError: No module named 'no_such_module'",
        "network plugin 'notarecord' (records:NOT_A_RECORD, from broken 1.0) is a dict, not a NetworkType "
        "(campaigns.networks)",
        "network plugins 'twin' (records:TWIN, from broken 1.0) and 'twin' (records:TWIN, from other 1.0) both "
        "declare 'twin': neither is loaded; keep one installed",
        "network plugin 'x' (records:X, from broken 1.0) is refused: 'x' is a built-in network type",
    ])
    assert "herald_pigeon.publisher" not in sys.modules  # the record is read, its publisher is not imported


@pytest.mark.slow
def test_a_calendar_naming_a_type_whose_plugin_failed_hears_why_and_the_others_still_work(tmp_path):
    site = distribution(tmp_path / "site-packages", "herald-pigeon", "pigeon = herald_pigeon_gone:NETWORK\n")
    calendar = write_calendar(tmp_path, "https://pigeon.example", "Hello", datetime(2026, 12, 1, 9, tzinfo=UTC))
    result = herald(tmp_path, "validate", calendar, path=(site,))
    said = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in said
    assert ("'type' cannot be 'pigeon' (one of: site, webhook, x, mastodon, bluesky, threads, facebook, instagram, "
            "linkedin, pinterest, slack, discord, teams, telegram; not loaded: network plugin 'pigeon' "
            "(herald_pigeon_gone:NETWORK, from herald-pigeon 1.0) cannot be loaded: ModuleNotFoundError: "
            "No module named 'herald_pigeon_gone')") in said

    (tmp_path / calendar).write_text("brand: {name: Acme, timezone: UTC}\nnetworks:\n  site: {type: site}\n")
    assert herald(tmp_path, "validate", calendar, path=(site,)).returncode == 0
    check = herald(tmp_path, "networks", "check", "--calendar", calendar, path=(site,))
    assert check.returncode == 0 and "Traceback" not in check.stdout + check.stderr
    assert check.stdout.splitlines() == [
        "not loaded: network plugin 'pigeon' (herald_pigeon_gone:NETWORK, from herald-pigeon 1.0) cannot be "
        "loaded: ModuleNotFoundError: No module named 'herald_pigeon_gone'",
        "site (Status page): ready"]
