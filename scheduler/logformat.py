"""One time-zone convention for log lines.

Every time in a log line is ISO 8601 with its offset (``2026-12-01T10:00:00.000+01:00``), in
one zone: the brand's once the engine has read the calendar (the zone the times in its messages
are in), the machine's before that.  A reader never has to guess which zone a time is in, and
the timestamp agrees with the times on the same line.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

_zone: tzinfo | None = None  # None: the machine's zone (until a calendar names the brand's)


def set_zone(zone: tzinfo | None) -> None:
    """Log times from now on in ``zone`` (the brand's); None goes back to the machine's."""
    global _zone
    _zone = zone


def log_time(moment: datetime, timespec: str = "seconds") -> str:
    """``moment`` as a log line writes it: ISO 8601 in the log's zone, with the offset."""
    return (moment.astimezone(_zone) if _zone is not None else moment.astimezone()).isoformat(timespec=timespec)


class IsoFormatter(logging.Formatter):
    """``%(asctime)s`` as ISO 8601 with offset, in the log's zone (see the module)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        return log_time(datetime.fromtimestamp(record.created).astimezone(), "milliseconds")
