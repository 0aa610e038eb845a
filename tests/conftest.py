from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference"
CI = os.environ.get("CI") == "true"

HEADER = """\
brand:
  name: Acme Furniture
  timezone: {tz}
  links: {{order_tracking: "https://acme.example/track", help: "https://acme.example/help"}}
networks:
  site: {{type: site}}
  hooks: {{type: webhook, url: "http://127.0.0.1:8099/in"}}
  x: {{type: x}}
  masto: {{type: mastodon, instance: "https://social.example"}}
  sky: {{type: bluesky, handle: acme.example}}
  insta: {{type: instagram, user_id: "1789"}}
campaigns:
  winter: {{starts: 2026-12-01, ends: 2027-02-28, networks: [site, hooks]}}
"""


def calendar_text(posts: str, tz: str = "Europe/Berlin") -> str:
    return HEADER.format(tz=tz) + "posts:\n" + textwrap.indent(textwrap.dedent(posts).strip("\n"), "  ") + "\n"


@pytest.fixture
def write_calendar(tmp_path: Path):
    def write(posts: str, tz: str = "Europe/Berlin", name: str = "cal.yaml") -> Path:
        path = tmp_path / name
        path.write_text(calendar_text(posts, tz), encoding="utf-8")
        return path

    return write


DATA = Path(__file__).resolve().parent / "data"


def reference(*parts: str) -> Path:
    """Reference data: the copy under tests/data/ if there is one, else ../shared/reference/."""
    path = DATA.joinpath(*parts)
    if path.exists():
        return path
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if CI:
            raise FileNotFoundError(f"reference data missing: {path}")
        pytest.skip(f"reference data not found at {path}")
    return path


PG_URL = os.environ.get("HERALD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_ledger_url() -> str:
    from sqlalchemy import create_engine, text

    from scheduler.ledger import metadata

    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as c:
            c.execute(text("select 1"))
        metadata.drop_all(engine)
    except Exception as exc:
        if CI:
            raise RuntimeError(f"PostgreSQL is needed in CI ({PG_URL}): {exc}") from exc
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return _postgres_ledger_url()


@pytest.fixture
def ledger(ledger_url):
    from scheduler.ledger import Ledger

    opened = Ledger(ledger_url)
    yield opened
    opened.close()
