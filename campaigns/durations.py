"""Durations (``90s``, ``30m``, ``6h``, ``2d``) and rates (``30/hour``) as planners write them.

Strict and total: any text that is not one of these forms, or whose number does not fit
a ``timedelta``, raises :class:`DurationError` (a ``ValueError``) with a message that says
what would be right.  Loaders turn that into a located problem; nothing else can escape.
"""

from __future__ import annotations

import re
from datetime import timedelta

from .errors import DurationError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "second": 1, "minute": 60, "hour": 3600, "day": 86400}
_DURATION = DURATION_FORM = re.compile(r"(\d+)\s*(s|m|h|d)", re.ASCII)
_RATE = re.compile(r"(\d+)\s*/\s*(second|minute|hour|day)", re.ASCII)
# timedelta holds at most 999,999,999 days; stay well inside it.
_MAX_SECONDS = 100 * 365 * 86400

DURATION_HINT = "a duration like 90s, 30m, 6h or 2d"
RATE_HINT = "a rate like 30/hour (per second, minute, hour or day)"


def _seconds(number: str, unit: str, text: object, what: str, hint: str) -> int:
    value = int(number) * _UNITS[unit]
    if value > _MAX_SECONDS:
        raise DurationError(text, what, f"{hint}, at most 100 years")
    return value


def parse_duration(text: object) -> timedelta:
    """'90s', '30m', '6h', '2d' -> timedelta; raise DurationError for anything else."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise DurationError(text, "a duration", DURATION_HINT)
    return timedelta(seconds=_seconds(match[1], match[2], text, "a duration", DURATION_HINT))


def parse_rate(text: object) -> tuple[int, timedelta]:
    """'30/hour' -> (30, 1 hour); raise DurationError for anything else."""
    match = _RATE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or len(match[1]) > 9:
        raise DurationError(text, "a rate", RATE_HINT)
    return int(match[1]), timedelta(seconds=_UNITS[match[2]])
