"""`herald export-site` tells a previous export's folder (replaced) from a folder of the user's
(refused) by the names at its top: they are the site renderer's own list (SITE_TOP), so a file
the renderer starts writing at the top cannot be forgotten there."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.cli.web import SITE_MARKER, site_names
from scheduler.clock import FakeClock
from tests.conftest import ROOT

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n'


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The sample calendar (with a logo) and status file: a site with every kind of file,
    incidents' and maintenance windows' pages included."""
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(ROOT / "status.yaml", run / "status.yaml")
    text = (ROOT / "content_calendar.yaml").read_text(encoding="utf-8")
    assert text.count("\n  timezone:") == 1
    (run / "content_calendar.yaml").write_text(text.replace("\n  timezone:", "\n  logo: logo.svg\n  timezone:"),
                                               encoding="utf-8")
    (run / "logo.svg").write_bytes(LOGO)
    return run


def top(paths: list[str] | dict[str, object]) -> set[str]:
    return {path.split("/", 1)[0] for path in paths}


def test_every_name_the_renderer_writes_at_the_top_is_in_its_list(folder):
    from campaigns.calendar import load as load_calendar
    from scheduler.render.site import SITE_TOP, Renderer, brand_css
    from scheduler.render.sitedata import site_data
    from status.load import load as load_status

    calendar = load_calendar(str(folder / "content_calendar.yaml"))
    status = load_status(str(folder / "status.yaml"), calendar).public()
    assert status.incidents and status.maintenance  # their folders are written too
    files = Renderer(site_data(calendar, status, T0, lambda: None, held_for="*")).site_files(
        brand_css(calendar.brand.color), LOGO)
    assert top(files) - SITE_TOP == set()  # a name the renderer writes and its list lacks
    assert SITE_TOP - top(files) == set()  # a name in the list the renderer never writes
    assert files["brand/logo"] == LOGO and "brand.css" in files


def test_export_site_knows_every_name_it_wrote(capsys, folder, tmp_path):
    site = tmp_path / "site"
    assert main(["export-site", str(site), "--calendar", str(folder / "content_calendar.yaml")],
                clock=FakeClock(T0)) == 0, capsys.readouterr().err
    written = {p.name for p in site.iterdir()}
    assert written - site_names() == set()  # each is known to export-site
    assert written == site_names() and SITE_MARKER in written
    assert (site / "brand" / "logo").read_bytes() == LOGO
    (site / SITE_MARKER).unlink()  # even without its marker, a folder of only the site's names is one
    assert main(["export-site", str(site), "--calendar", str(folder / "content_calendar.yaml")],
                clock=FakeClock(T0)) == 0, capsys.readouterr().err
