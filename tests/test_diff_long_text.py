"""A post of a huge text (an attack: 20 MB in one post made ``herald diff --format markdown``
take 12 s and dropped the post from the comment): each text is shown up to
:data:`campaigns.diffreport.TEXT_SHOWN` characters, and the output says how long it is."""

from __future__ import annotations

from campaigns.diffreport import TEXT_SHOWN
from tests.test_diff import CALENDAR, herald, repo  # noqa: F401 - the fixture, shared

WORDS = "Oak and walnut, oiled twice a year. "


def long_post(words: int, lead: str = "Care guide") -> str:
    return (f'  - {{id: guide, kind: tip, networks: [site], at: "2026-10-28T10:00", '
            f'text: "{lead}: {WORDS * words}"}}\n')


def test_an_added_post_of_a_huge_text_is_shown_by_its_head_with_its_length(repo, capsys):  # noqa: F811
    repo.edit(CALENDAR + long_post(6000))  # 216,000 characters
    length = len("Care guide: " + WORDS * 6000)
    code, markdown, _ = herald(capsys, "diff", "main", "content_calendar.yaml", "--format", "markdown")
    assert code == 0 and "`guide`" in markdown and len(markdown) < 20_000
    assert f"text of {length:,} characters, first {TEXT_SHOWN:,} shown" in markdown
    code, text, _ = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert code == 0 and f"text of {length:,} characters, first {TEXT_SHOWN:,} shown" in text and len(text) < 20_000


def test_a_reworded_huge_text_shows_the_heads_of_both(repo, capsys):  # noqa: F811
    repo.commit(CALENDAR + long_post(6000))
    repo.edit(CALENDAR + long_post(6000, lead="Care guide, revised"))
    code, markdown, _ = herald(capsys, "diff", "main", "content_calendar.yaml", "--format", "markdown")
    assert code == 0 and "**reworded**" in markdown and markdown.count(f"first {TEXT_SHOWN:,} shown") == 2
    assert "- Care guide: Oak" in markdown and "+ Care guide, revised: Oak" in markdown


def test_a_huge_text_too_long_is_counted_with_thousands_separators(repo, capsys):  # noqa: F811
    repo.edit(CALENDAR + long_post(6000).replace("networks: [site]", "networks: [masto]"))
    length = len("Care guide: " + WORDS * 6000)
    code, markdown, _ = herald(capsys, "diff", "main", "content_calendar.yaml", "--format", "markdown")
    assert code == 0 and f"{length:,}/500 characters" in markdown and f"{length - 500:,} over" in markdown
    code, text, _ = herald(capsys, "diff", "main", "content_calendar.yaml")
    assert code == 0 and f"{length:,}/500 characters ({length - 500:,} over)" in text
