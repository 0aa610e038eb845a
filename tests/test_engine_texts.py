"""Ops and customers agree (issue 26): ``herald validate`` renders every text the engine writes itself
(the status templates in every state, the new maintenance states included; the alert intake's own
words and its policies'; every announcement of a maintenance window not over) and checks each as the
engine does before a send, naming the text and the rule in one line; the sample's defaults pass the
sample's guide."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT

ALERTS = """
alerts:
  - component: checkout
    labels: {service: checkout}
    severity:
      critical: {action: declare, for: 2m, impact: critical}
      warning: {action: draft, announce: hooks}
      default: {action: mark}
  - component: tracking
    monitors: [Tracking page]
    severity: {default: {action: declare}}
  - component: website
    monitors: [Shop homepage]
    severity: {default: {action: declare, impact: major}}
  - component: showroom-booking
    monitors: [Booking]
    severity: {default: {action: declare}}
"""
UPDATES = """\
    updates:
      - at: 2026-12-06T03:05
        state: in_progress
        message: We're moving the payment data to the new system.
      - at: 2026-12-06T03:50
        state: in_progress
        message: Moving the data takes longer than we planned.
        ends: 2026-12-06T04:30
      - at: 2026-12-06T04:20
        state: verifying
        message: The new system is up; we're checking every way to pay.
      - at: 2026-12-06T04:25
        state: completed
        message: Checkout works again on the new system.
"""


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """The sample calendar and status file, with an alerts section for every component and the
    sample's maintenance window given every kind of update (hooks enabled: a draft's account)."""
    calendar = (ROOT / "content_calendar.yaml").read_text().replace("    enabled: false ", "    enabled: true  ")
    (tmp_path / "content_calendar.yaml").write_text(calendar)
    shutil.copy(ROOT / "status.yaml", tmp_path / "status.yaml")
    with (tmp_path / "status.yaml").open("a") as status:
        status.write(UPDATES + ALERTS)
    return tmp_path


def validate(folder: Path, capsys) -> tuple[int, list[str]]:
    from datetime import UTC, datetime

    code = main(["validate", "--calendar", str(folder / "content_calendar.yaml"), "--status",
                 str(folder / "status.yaml")], clock=FakeClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC)))
    return code, capsys.readouterr().err.splitlines()


def test_the_samples_defaults_pass_the_samples_guide(sample, capsys):
    code, err = validate(sample, capsys)
    assert code == 0, err
    assert not [line for line in err if "alert intake" in line or "post of maintenance" in line], err


def test_the_intakes_resolution_that_broke_the_sample_guide_is_named_by_validate(sample, capsys, monkeypatch):
    """The intake resolved every incident with "… Thank you for your patience.": the sample's guide
    refuses that stock phrase, so every resolution the intake wrote went `dead`, and `herald
    validate` said the files were fine."""
    import status.alerts

    said = status.alerts.words

    def old_words(status_, component, policy, what):
        if what == "resolve":
            return f"The problem with {status_.components[component].name} is fixed. Thank you for your patience."
        return said(status_, component, policy, what)

    monkeypatch.setattr(status.alerts, "words", old_words)
    code, err = validate(sample, capsys)
    assert code == 1
    named = [line for line in err if "the alert intake's resolution on checkout (severity critical" in line]
    assert len(named) == 1, err
    assert re.match(rf"{re.escape(str(sample / 'status.yaml'))}:\d+:1: stock-phrase: the alert intake's resolution "
                    r"on checkout \(severity critical, resolved, as posted\): stock phrase 'Thank you for your "
                    r"patience' \(", named[0]), named[0]
    assert {line.split(": stock-phrase: the alert intake's resolution on ")[1].split(" (")[0]
            for line in err if "resolution on" in line} == {"checkout", "tracking", "website", "showroom-booking"}


def test_a_policys_own_words_are_checked_at_its_route(sample, capsys):
    text = (sample / "status.yaml").read_text()
    (sample / "status.yaml").write_text(text.replace(
        "severity: {default: {action: declare}}\n  - component: website",
        "severity: {default: {action: declare, message: \"At Acme we believe tracking matters. It's slow.\"}}\n"
        "  - component: website"))
    code, err = validate(sample, capsys)
    line = next(n for n, row in enumerate((sample / "status.yaml").read_text().splitlines(), 1)
                if row == "  - component: tracking")
    named = [row for row in err if "first update on tracking" in row]
    assert code == 1 and named and all(row.startswith(f"{sample / 'status.yaml'}:{line}:1: stock-phrase: the alert "
                                                      "intake's first update on tracking (severity default") for row in named)


def test_a_maintenance_post_the_guide_refuses_only_once_its_template_and_message_meet_is_named(sample, capsys):
    """A brand template with one exclamation mark and an update's message with another: each alone
    is within the guide's limit of one, the post the engine would make is not."""
    calendar = (sample / "content_calendar.yaml").read_text()
    calendar = calendar.replace("    rules: {stock-phrase: error}", "    rules: {stock-phrase: error, exclamations: error}")
    calendar = calendar.replace("  voice:\n", "  status_templates:\n    maintenance.verifying: \"Nearly there! {title}: "
                                              "{message}\"\n  voice:\n", 1)
    (sample / "content_calendar.yaml").write_text(calendar)
    status = (sample / "status.yaml").read_text().replace("checking every way to pay.", "checking every way to pay!")
    (sample / "status.yaml").write_text(status)
    code, err = validate(sample, capsys)
    line = status.splitlines().index("        message: The new system is up; we're checking every way to pay!") + 1
    named = [row for row in err if "post of maintenance" in row]
    assert code == 1 and len(named) == 1, err
    assert named[0].startswith(f"{sample / 'status.yaml'}:{line}:18: exclamations: the update, verifying post of "
                               "maintenance 'payments-upgrade-2026-12-06': ")


def test_a_brand_template_of_a_new_maintenance_state_is_checked_at_its_line(sample, capsys):
    calendar = (sample / "content_calendar.yaml").read_text().replace(
        "  voice:\n", "  status_templates:\n    maintenance.delayed: \"{title} runs late. We apologize for any "
                      "inconvenience.\"\n  voice:\n", 1)
    (sample / "content_calendar.yaml").write_text(calendar)
    code, err = validate(sample, capsys)
    line = calendar.splitlines().index("  status_templates:") + 2
    assert code == 1
    assert [row for row in err if row.startswith(f"{sample / 'content_calendar.yaml'}:{line}:")
            and "stock-phrase" in row], err
