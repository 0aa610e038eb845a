"""What one answer of an upstream status feed says (:class:`FeedBody`), and what every feed
format's parser shares: texts cleaned and cut, times read leniently, updates put in our file's order.

Every text taken from a feed (names, titles, messages, ids) is cleaned: control characters
(C0 except tab and newline, DEL, U+FFFE/U+FFFF, lone surrogates) are removed and counted in
:attr:`FeedBody.stripped`, so the reader can warn once per poll; titles are cut at
:data:`MAX_TITLE` characters and messages at :data:`MAX_MESSAGE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from campaigns.textsafety import strip_control

from ..model import Incident, Update, UpdateState

MAX_TITLE = 200
MAX_MESSAGE = 1000
MAX_ID = 60  # upstream ids longer than this are cut (RSS: the last characters)


@dataclass(frozen=True)
class FeedBody:
    """What one answer of a feed says."""

    name: str  # the provider's name (the feed's ``name``, else the page's or channel's title)
    link: str  # the provider's status page, when the answer names one
    incidents: tuple[Incident, ...]
    stripped: int = 0  # control characters removed from its texts


class Cleaner:
    """Cleans texts from one answer and counts what it removed."""

    def __init__(self) -> None:
        self.stripped = 0

    def __call__(self, value: Any, limit: int = MAX_MESSAGE) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return ""
        text, count = strip_control(value)
        self.stripped += count
        return text.strip()[:limit]


def time_or_none(text: Any) -> datetime | None:
    """An ISO 8601 time (UTC when it names no zone); None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def ordered(updates: list[Update]) -> tuple[Update, ...]:
    """Oldest first, strictly later each, nothing after a resolution (our file's rules)."""
    out: list[Update] = []
    for update in sorted(updates, key=lambda u: u.at):
        if out and (update.at <= out[-1].at or out[-1].state == UpdateState.RESOLVED):
            continue
        out.append(update)
    return tuple(out)
