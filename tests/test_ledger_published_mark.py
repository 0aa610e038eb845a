"""The ledger's high-water mark (``herald_meta``'s ``published`` row: this ledger recorded
publications, so none now means they were deleted by hand) is written by what records a
publication, never by a command that only reads the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, delete, select

from scheduler.errors import BrokenLedger
from scheduler.ledger import Ledger
from scheduler.ledger.schema import PUBLISHED, meta_table
from tests.test_cli_refusals import T0, herald, samples
from tests.test_ledger_trust import _delete_publications, item

LEASE = timedelta(seconds=60)
READERS = [["history"], ["engines"], ["health"], ["status"], ["subscribers", "list"]]


def marked(url: str) -> bool:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as c:
            return c.execute(select(meta_table.c.value).where(meta_table.c.name == PUBLISHED)).first() is not None
    finally:
        engine.dispose()


def unmark(url: str) -> None:
    """The ledger as a Herald from before the mark left it: publications, and no mark."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as c:
            c.execute(delete(meta_table).where(meta_table.c.name == PUBLISHED))
    finally:
        engine.dispose()


def read(capsys, options: tuple[str, ...], url: str) -> None:
    for command in READERS:
        code, out, err = herald(capsys, *command, *options, "--state", url)
        assert "Traceback" not in err and code in (0, 1), (command, code, err)


def test_reading_a_new_ledger_leaves_no_mark_and_the_first_publication_writes_it(capsys, tmp_path, ledger_url):
    options = samples(tmp_path)
    Ledger(ledger_url).close()  # made (as an engine's start makes it), nothing recorded yet
    read(capsys, options, ledger_url)
    assert not marked(ledger_url)
    ledger = Ledger(ledger_url)
    try:
        assert not marked(ledger_url)  # opening it writes nothing either
        assert ledger.claim(item(), "a", T0, LEASE) is not None
        assert marked(ledger_url)
    finally:
        ledger.close()


def test_an_older_ledger_is_marked_by_its_next_recording_not_by_a_reader(capsys, tmp_path, ledger_url):
    options = samples(tmp_path)
    ledger = Ledger(ledger_url)
    assert ledger.claim(item(), "a", T0, LEASE) is not None
    ledger.close()
    unmark(ledger_url)  # publications recorded by a Herald older than the mark
    read(capsys, options, ledger_url)
    assert not marked(ledger_url)
    ledger = Ledger(ledger_url)
    try:
        assert not marked(ledger_url)
        assert ledger.mark_sent("k1", "a", T0, "r1", None)  # the next recording (no new row)
        assert marked(ledger_url)
    finally:
        ledger.close()
    _delete_publications(ledger_url)
    with pytest.raises(BrokenLedger, match="had publications and now has none"):
        Ledger(ledger_url)
