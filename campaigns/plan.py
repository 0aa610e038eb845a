"""Planning: the calendar's publications in a time window, in time order.

``plan(calendar, start, end)`` is pure and deterministic: the same calendar and
window always give the same publications with the same keys, so a restart, a
reload or a second engine recognises work already done.

The publication key is ``sha256(source, occurrence instant in UTC, account)``: it
does not depend on the wording, so fixing a typo in a scheduled post never makes
an already-published occurrence go out again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .calendar import finish, render_values
from .model import Calendar, Post
from .templates import occurrence_values
from .timeparse import local_time_kind, zone


def publication_key(source: str, at: datetime, account: str) -> str:
    """The deterministic identity of one publication: what, when (UTC, to the second), where."""
    instant = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return hashlib.sha256(f"{source}\x1f{instant}\x1f{account}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Occurrence:
    index: int  # position in the series (0-based), which picks the variant
    at: datetime  # aware, in the post's zone
    local: datetime  # the wall-clock time as the rule produced it (naive)
    note: str = ""  # e.g. a DST gap or fold, and what Herald does about it


@dataclass(frozen=True, slots=True)
class Publication:
    key: str
    source: str
    post: str
    kind: str
    network: str  # the account name from networks:
    network_type: str
    at: datetime  # aware, in the post's zone
    text: str
    variant: int  # 1-based, of `variants`
    variants: int
    length: int | None
    limit: int | None
    campaign: str | None = None
    note: str = ""

    def as_json(self) -> dict:
        return {
            "key": self.key, "post": self.post, "kind": self.kind, "network": self.network,
            "network_type": self.network_type, "at": self.at.isoformat(), "text": self.text,
            "variant": self.variant, "variants": self.variants, "length": self.length, "limit": self.limit,
            "campaign": self.campaign, "source": self.source, **({"note": self.note} if self.note else {}),
        }


def occurrences(post: Post, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """The post's occurrences with start <= at < end (aware datetimes), in order."""
    series = post.series
    tz = series.tz
    if series.rule is None:
        at = series.instant.astimezone(tz) if series.instant else series.dtstart.replace(tzinfo=tz)
        if start <= at < end:
            yield Occurrence(0, at, series.dtstart)
        return
    # Wall-clock bound past which no occurrence can fall inside the window (offsets < 1 day).
    stop = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    if series.until is not None:
        stop = min(stop, series.until)
    index = 0
    previous: datetime | None = None
    for local in series.rule:
        if local > stop:
            break
        if series.not_before is not None and local < series.not_before:
            continue
        if local.date() in series.ex_days or local in series.ex_times:
            continue
        # fold=0 is RFC 5545's reading of gaps and folds; the round trip through UTC
        # turns a skipped wall time (02:30) into the real one (03:30 summer time).
        utc = local.replace(tzinfo=tz).astimezone(UTC)
        at = utc.astimezone(tz)
        if previous is not None and utc <= previous:
            continue  # a gap time shifted onto an instant the rule already produced: once only
        previous = utc
        if utc >= end:
            break
        if utc >= start:
            yield Occurrence(index, at, local, _dst_note(local, at))
        index += 1


def _dst_note(local: datetime, at: datetime) -> str:
    kind = local_time_kind(local, at.tzinfo)  # type: ignore[arg-type]
    if kind == "ok":
        return ""
    if kind == "gap":
        return (f"{local:%H:%M} does not exist on {local:%Y-%m-%d} (DST starts); "
                f"goes out at {at:%H:%M %Z} (RFC 5545)")
    return f"{local:%H:%M} happens twice on {local:%Y-%m-%d} (DST ends); goes out at the first ({at:%H:%M %Z})"


def is_southern(tz_name: str) -> bool:
    """Whether seasons are those of the southern hemisphere: its summer time is in January."""
    tz = zone(tz_name)
    january = datetime(2026, 1, 15, tzinfo=tz).utcoffset()
    july = datetime(2026, 7, 15, tzinfo=tz).utcoffset()
    return bool(january and july and january > july) or tz_name.startswith("Australia/")


def plan(calendar: Calendar, start: datetime, end: datetime) -> list[Publication]:
    """Every publication with start <= at < end, sorted by instant, then network, then post."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("plan() needs aware datetimes")
    brand = calendar.brand
    southern = is_southern(brand.timezone)
    publications: list[Publication] = []
    for post in calendar.posts:
        if not post.enabled:
            continue
        campaign = calendar.campaigns.get(post.campaign) if post.campaign else None
        accounts = [calendar.networks[n] for n in post.networks if n in post.texts and calendar.networks[n].enabled]
        if not accounts:
            continue
        for occ in occurrences(post, start, end):
            values = render_values(brand, occurrence_values(occ.local, southern))
            for account in accounts:
                templates = post.texts[account.name]
                number = occ.index % len(templates)
                text = finish(templates[number].render(values), brand, campaign, account)
                limit = account.rules.limit
                publications.append(Publication(
                    key=publication_key(post.source, occ.at, account.name), source=post.source, post=post.id,
                    kind=post.kind, network=account.name, network_type=account.type, at=occ.at, text=text,
                    variant=number + 1, variants=len(templates),
                    length=limit.measure(text) if limit else None, limit=limit.maximum if limit else None,
                    campaign=post.campaign, note=occ.note,
                ))
    publications.sort(key=lambda p: (p.at.astimezone(UTC), p.network, p.post))
    return publications
