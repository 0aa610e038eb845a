"""What the status site shows of the ledger, read into a :class:`~scheduler.render.site.SiteData`:
where each update was announced, what was held during an incident, the site channel's posts.

Its caller says which ledger (``herald serve`` the one its watcher found answering,
``herald export-site`` the one beside the calendar) and which part of the site it renders, so
only what that part shows is read.  A ledger that does not answer costs the page its links,
never the page: the status file alone is rendered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING

from campaigns.networks import BuiltinType

from .site import SiteData

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.model import Status

    from ..ledger import Ledger

log = logging.getLogger("herald.web")  # the pages' reads, as every server logs them


def site_data(calendar: Calendar, status: Status, now: datetime, ledger: Callable[[], Ledger | None], *,
              live: bool = False, held_for: str | None = None, announced: Collection[str] | None = None,
              posts: bool = True, since: datetime | None = None) -> SiteData:
    """What the site renders now: ``status`` (public: no drafts) and, when ``ledger()`` answers,
    where each update was announced and what was held during incident ``held_for`` (``"*"``:
    every incident, for an export; a query per incident, so only where shown).

    ``announced``: the sources (``incident:ID``, or ``maintenance:ID@`` for every window of ID)
    whose announcements the page shows; None: every status announcement; ``since``: the
    earliest scheduled time among them (bounds the read by the scheduled_at index)."""
    data = SiteData(calendar, status, now, live=live, base_url=status.status_page)
    if announced is not None and not announced and held_for is None and not posts:
        return data  # the feeds and the API: the files alone
    try:
        found = ledger()
        if found is not None:
            _read(found, data, held_for, announced, posts, since)
    except Exception as exc:  # the ledger is down: the page still shows the status file
        from ..redaction import redact

        log.warning("ledger unavailable for the site: %s", redact(f"{type(exc).__name__}: {exc}").splitlines()[0])
    return data


def _read(ledger: Ledger, data: SiteData, held_for: str | None, announced: Collection[str] | None, posts: bool,
          since: datetime | None) -> None:
    from ..ledger import reads

    db = ledger.db
    if announced is None:
        data.records = reads.announcements(db)
    elif announced:
        data.records = reads.announcements_of(db, list(announced), since)
    for incident in data.status.incidents:
        if incident.impact.holds_posts and held_for in ("*", incident.id):
            end = incident.updates[-1].at if incident.resolved else data.now
            data.held[incident.id] = reads.not_sent_between(db, incident.started, end)
    if posts:
        sites = [name for name, account in data.calendar.networks.items() if account.type == BuiltinType.SITE]
        data.posts = [{"key": r.key, "kind": r.kind, "at": r.scheduled_at, "text": r.text or ""}
                      for r in reads.sent_posts(db, sites)]
