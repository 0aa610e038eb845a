"""The review room's calendar grids: a month as weeks of seven days, a week as the hours of its
seven days, each publication a chip (local time, network icon, kind) that links to its preview
on the day's page; a day with more chips than a cell holds says how many more and links there.

Pure: what :mod:`scheduler.render.review` planned goes in, the templates' rows come out.  Weeks
start on the brand's region's first day of the week when its ``language`` names a region this
module knows (``en-US``: Sunday, ``ar-EG``: Saturday), else on Monday (ISO 8601).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

# CLDR's weekData (supplemental data, firstDay): the regions whose week starts on Sunday or Saturday
SUNDAY_FIRST = frozenset((
    "AG", "AS", "BD", "BR", "BS", "BT", "BW", "BZ", "CA", "CO", "DM", "DO", "ET", "GT", "GU", "HK", "HN", "ID", "IL",
    "IN", "JM", "JP", "KE", "KH", "KR", "LA", "MH", "MM", "MO", "MT", "MX", "MZ", "NI", "NP", "PA", "PE", "PH", "PK",
    "PR", "PT", "PY", "SA", "SG", "SV", "TH", "TT", "TW", "UM", "US", "VE", "VI", "WS", "YE", "ZA", "ZW",
))
SATURDAY_FIRST = frozenset((
    "AE", "AF", "BH", "DJ", "DZ", "EG", "IQ", "IR", "JO", "KW", "LY", "OM", "QA", "SD", "SY",
))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_CHIPS = 4  # chips a month's cell shows before "+n more"
WEEK_CHIPS = 3  # chips an hour of a week's day shows before "+n more"
DAY_LIST_CHIPS = 8  # chips a day of the narrow week list shows
WORKING_HOURS = (8, 18)  # the week's rows always cover these hours, and every hour something goes out


def first_weekday(language: str) -> int:
    """The first day of the week (0 Monday … 6 Sunday) of the brand's ``language`` (``en-US``)."""
    region = language.partition("-")[2].upper()
    return 6 if region in SUNDAY_FIRST else 5 if region in SATURDAY_FIRST else 0


@dataclass(frozen=True)
class Links:
    """Addresses of the room's pages that keep the query's filters."""

    filters: dict[str, str] = field(default_factory=dict)  # campaign, network, kind (no view, no from)

    def page(self, view: str, day: date, anchor: str = "") -> str:
        query = {"view": view, "from": day.isoformat(), **self.filters}
        return "/review?" + urlencode(query) + (f"#{anchor}" if anchor else "")

    def day(self, day: date, anchor: str = "") -> str:
        return self.page("day", day, anchor)


def by_day(cards: Iterable[Any]) -> dict[date, list[Any]]:
    """The cards (each with its ``local`` time) by their local day, in the order given."""
    days: dict[date, list[Any]] = {}
    for card in cards:
        days.setdefault(card.local.date(), []).append(card)
    return days


def weekday_headers(first: int) -> list[dict[str, str]]:
    """The seven column headers from ``first``: the short name shown, the full one for assistive technology."""
    return [{"short": WEEKDAYS[(first + n) % 7][:3], "full": WEEKDAYS[(first + n) % 7]} for n in range(7)]


def _cell(day: date, cards: Sequence[Any], limit: int, links: Links) -> dict[str, Any]:
    return {"date": day, "href": links.day(day), "chips": cards[:limit], "more": max(0, len(cards) - limit),
            "count": len(cards), "label": f"{WEEKDAYS[day.weekday()]} {day.day} {day:%B}"}


def month_weeks(first_day: date, following: date, week_start: int, days: dict[date, dict[str, Any]],
                links: Links) -> list[list[dict[str, Any]]]:
    """The month's weeks, seven cells each from ``week_start``: a day of the month has its chips
    (``days``: the room's days by date, with their cards and overlays), a day outside it only its date."""
    start = first_day - timedelta(days=(first_day.weekday() - week_start) % 7)
    weeks: list[list[dict[str, Any]]] = []
    day = start
    while day < following:
        week = []
        for _ in range(7):
            shown = days.get(day)
            if shown is None:
                week.append({"date": day, "outside": True})
            else:
                week.append({**shown, **_cell(day, shown["cards"], MONTH_CHIPS, links), "outside": False})
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def week_rows(days: list[dict[str, Any]], links: Links) -> list[dict[str, Any]]:
    """The week as rows of hours (every working hour, and every hour with a publication), one
    cell per day: its chips of that hour, and how many more the day's page has."""
    hours: dict[int, dict[date, list[Any]]] = {}
    for day in days:
        for card in day["cards"]:
            hours.setdefault(card.local.hour, {}).setdefault(day["date"], []).append(card)
    low, high = WORKING_HOURS
    shown = sorted(set(range(low, high + 1)) | set(hours))
    rows = []
    for hour in shown:
        cells = []
        for day in days:
            cards = hours.get(hour, {}).get(day["date"], [])
            cell = _cell(day["date"], cards, WEEK_CHIPS, links)
            cell["href"] = links.day(day["date"], f"h{hour:02d}")
            cells.append(cell)
        rows.append({"hour": hour, "label": f"{hour:02d}:00", "cells": cells})
    return rows


def day_list(days: list[dict[str, Any]], links: Links) -> list[dict[str, Any]]:
    """The week as a list of days (what a phone shows): each day's first chips and how many more."""
    return [{**day, **_cell(day["date"], day["cards"], DAY_LIST_CHIPS, links)} for day in days]


def hours_of(cards: Sequence[Any]) -> list[tuple[int, list[Any]]]:
    """The day's cards by their local hour, in time order (the day's page heads each hour)."""
    hours: dict[int, list[Any]] = {}
    for card in cards:
        hours.setdefault(card.local.hour, []).append(card)
    return sorted(hours.items())
