"""The one way Herald writes files: atomic, durable, and never over a hand edit it did not see."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scheduler.files import replace_if_unchanged, write_atomic


def hand_save(path: Path, text: str) -> None:
    """What an editor does: write a temporary file, rename it into place."""
    tmp = path.with_name(path.name + ".editor~")
    tmp.write_text(text)
    os.replace(tmp, path)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_file_that_still_holds_what_was_read_is_replaced(tmp_path: Path):
    path = tmp_path / "status.yaml"
    path.write_text("old\n")
    assert replace_if_unchanged(str(path), "new\n", "old\n")
    assert path.read_text() == "new\n" and leftovers(tmp_path) == []


def test_a_hand_save_at_the_last_moment_is_given_back_not_overwritten(tmp_path: Path):
    path = tmp_path / "status.yaml"
    path.write_text("old\n")
    assert not replace_if_unchanged(str(path), "new\n", "old\n", before_swap=lambda: hand_save(path, "hand\n"))
    assert path.read_text() == "hand\n" and leftovers(tmp_path) == []


def test_an_in_place_hand_edit_at_the_last_moment_is_kept_too(tmp_path: Path):
    path = tmp_path / "status.yaml"
    path.write_text("old\n")
    assert not replace_if_unchanged(str(path), "new\n", "old\n", before_swap=lambda: path.write_text("hand\n"))
    assert path.read_text() == "hand\n"


def test_a_file_deleted_or_created_meanwhile_is_left_as_it_is(tmp_path: Path):
    path = tmp_path / "status.yaml"
    path.write_text("old\n")
    assert not replace_if_unchanged(str(path), "new\n", "old\n", before_swap=path.unlink)
    assert not path.exists()
    assert not replace_if_unchanged(str(path), "new\n", None, before_swap=lambda: path.write_text("hand\n"))
    assert path.read_text() == "hand\n"
    fresh = tmp_path / "fresh.yaml"
    assert replace_if_unchanged(str(fresh), "new\n", None) and fresh.read_text() == "new\n"


def test_a_symlink_stays_a_symlink_and_the_file_keeps_its_mode(tmp_path: Path):
    real = tmp_path / "ops" / "status.yaml"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "status.yaml"
    link.symlink_to(real)
    assert replace_if_unchanged(str(link), "new\n", "old\n")
    write_atomic(str(link), "newer\n")
    assert link.is_symlink() and real.read_text() == "newer\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
