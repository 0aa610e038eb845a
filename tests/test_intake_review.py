"""The alert intake's defects found by the cold review of issue 22 (A3, A4, A7, A8, A10, B1), each
reproduced as a test that fails without its fix (see tests/test_intake.py for the Setup)."""

from __future__ import annotations

from pathlib import Path

import pytest

import status.edit
from scheduler.clock import FakeClock
from scheduler.ledger import alerts as stored
from tests.test_intake import STATUS, T0, Setup

BOUND = 30.0  # seconds: a generous bound on waiting for another thread (never reached when all is well)


def alert(ident: str, status: str = "firing", at=T0, name: str | None = None, **labels: str) -> dict:
    body = {"id": ident, "status": status, "at": at.isoformat(),
            "labels": labels or {"service": "checkout", "severity": "critical"}}
    if name is not None:
        body["name"] = name
    return body


def tracked(setup: Setup) -> dict:
    return stored.load(setup.ctx.ledger().db)


@pytest.fixture
def s(tmp_path: Path):
    setup = Setup(tmp_path)
    yield setup
    setup.intake.close()
    setup.ctx.close()


# -- A4: tags, anchors, aliases and merge keys in status.yaml ----------------------------------------

TAGGED = STATUS.replace("status_page: https://status.acme.example",
                        "status_page: !!str https://status.acme.example").replace(
    "  checkout: {name: Checkout}\n  website: {name: Website}\n  search: {name: Search}\n",
    "  checkout: &part {name: !!str Checkout}\n  website: {<<: *part, name: Website}\n  search: {name: !!str 2024}\n")


def test_an_intake_declare_works_on_a_status_file_with_tags_anchors_and_merge_keys(tmp_path):
    setup = Setup(tmp_path, TAGGED)
    try:
        assert setup.status().components["search"].name == "2024"
        answer = setup.post("generic", alert("tagged"))
        assert answer.status_code == 200 and "failed" not in answer.json(), answer.json()
        [incident] = setup.status().incidents
        assert incident.components == ("checkout",)
        assert "&part" in setup.text() and "<<: *part" in setup.text() and "!!str 2024" in setup.text()
    finally:
        setup.intake.close()
        setup.ctx.close()


def test_a_cli_declare_works_on_a_status_file_with_tags_anchors_and_merge_keys(tmp_path, capsys):
    from scheduler.cli import main

    setup = Setup(tmp_path, TAGGED)
    try:
        code = main(["incident", "declare", "--calendar", str(setup.calendar_path), "--status",
                     str(setup.status_path), "--title", "Card payments fail", "--impact", "major", "--id", "pay",
                     "-m", "We're on it."], clock=FakeClock(T0))
        assert code == 0, capsys.readouterr().err
        assert setup.status().incident("pay") is not None
    finally:
        setup.intake.close()
        setup.ctx.close()


def test_plain_reads_round_trip_data_as_the_safe_loader_does():
    from ruamel.yaml import YAML

    text = ("a: !!str 2024\nb: &t true\nc: *t\nd: !!float 1\ne: &m {x: 1, y: [1, 2]}\n"
            "f: {<<: *m, y: 3}\ng: !!int '7'\nh: 'quoted'\n")
    _, data = status.edit._yaml(text)
    assert status.edit.plain(data) == status.edit.plain(YAML(typ="safe").load(text))
    assert status.edit.plain(data)["a"] == "2024" and status.edit.plain(data)["c"] is True
