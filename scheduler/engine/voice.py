"""The brand's voice guide as the engine enforces it before a send (the ``voice guide`` step)."""

from __future__ import annotations

from datetime import datetime

from campaigns.errors import Severity
from campaigns.lint import recent_repeat
from campaigns.model import STATUS_KINDS, Calendar
from campaigns.plan import Publication
from campaigns.voice import VoiceChecker
from status.lint import checker_for
from status.model import Status

from ..ledger import Ledger
from .model import View


class VoiceGuide:
    """Its error-level rules (for calendar posts, the day rules too: :mod:`campaigns.days`), and no
    repeat of a recently sent text; enforced once the calendar has a ``brand.voice`` section.
    The checker is built once per calendar and status."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self._checker: tuple[Calendar, Status, VoiceChecker] | None = None

    def refusal(self, view: View, pub: Publication, now: datetime) -> str | None:
        """Why the guide forbids sending ``pub``, or None."""
        calendar, status = view.calendar, view.status
        if not calendar.brand.voice.declared:
            return None
        cached = self._checker
        if cached is None or cached[0] is not calendar or cached[1] is not status:
            cached = self._checker = (calendar, status, checker_for(calendar, status))
        checker = cached[2]
        affected, campaign_utm = _context(view, pub)
        findings = checker.check(pub.text, pub.role or pub.kind, campaign_utm=campaign_utm, affected=affected)
        if pub.kind not in STATUS_KINDS:  # a calendar post's days, where the brand is when it goes out (late: now)
            findings += checker.check_day(pub.text, max(now, pub.at).astimezone(calendar.brand.tz))
        findings = [f for f in findings if f.severity == Severity.ERROR]
        if not findings and pub.kind not in STATUS_KINDS:
            recent = self.ledger.sent_texts(pub.network, now - checker.voice.window, tuple(STATUS_KINDS))
            repeat = recent_repeat(pub.text, pub.kind, pub.network_type, recent, checker, now)
            if repeat is not None and repeat.severity == Severity.ERROR:
                findings.append(repeat)
        if not findings:
            return None
        return ("refused by the voice guide: " + "; ".join(f.line() for f in findings)
                + f"; fix the wording, then `herald retry {pub.key[:12]}`")


def _context(view: View, pub: Publication) -> tuple[tuple[str, ...], str | None]:
    """What the rules read besides the text: an incident's title and components, the campaign's UTM name."""
    calendar, status = view.calendar, view.status
    if pub.kind in STATUS_KINDS:
        incident = status.incident(pub.post)
        if incident is not None:
            return (incident.title, *(status.components[c].name for c in incident.affected
                                       if c in status.components)), None
    elif pub.campaign and pub.campaign in calendar.campaigns:
        campaign = calendar.campaigns[pub.campaign]
        return (), campaign.utm_campaign or campaign.id
    return (), None
