"""Network commands: check (every account of the calendar, by its type's record)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .common import ExitStatus, Parser, calendar_option, load_calendar, show

if TYPE_CHECKING:
    from campaigns.model import Calendar

    from ..clock import Clock


def register(sub: Any) -> None:
    p = sub.add_parser("networks", help="the network accounts: are their credentials there, and valid?")
    networks = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True,
                                help="what to do (herald networks ACTION --help)")
    q = networks.add_parser("check", help="for each account: credentials present; with --live, valid (posts nothing)")
    calendar_option(q)
    q.add_argument("--live", action="store_true", help="ask each network whether the credentials work")
    q.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.errors import ConfigError
    from campaigns.networks import NETWORK_TYPES

    from ..errors import PublishError
    from ..networks import build_publishers

    calendar = load_calendar(args.calendar)
    for problem in NETWORK_TYPES.problems:  # another package's network type that was left out
        show(f"not loaded: {problem}")
    bad = 0
    for name, account in calendar.networks.items():
        label = f"{name} ({account.rules.title})"
        if not account.enabled:
            show(f"{label}: disabled")
            continue
        try:
            publisher = build_publishers(_only(calendar, name), clock)[name]
        except ConfigError as exc:
            show(f"{label}: NOT READY: {str(exc).split(': ', 1)[-1]}")
            bad += 1
            continue
        mode = " (dry run)" if account.dry_run else ""
        missing = _missing_credentials(calendar, account) if account.dry_run else None
        if missing:  # a dry run sends nothing, but the account is not ready to send either
            show(f"{label}: NOT READY{mode}: {missing}")
            bad += 1
            continue
        if not args.live or account.dry_run:
            show(f"{label}: ready{mode}")
            continue
        try:
            show(f"{label}: {publisher.check_live()}")
        except PublishError as exc:
            show(f"{label}: FAILED: {exc.detail}")
            bad += 1
        finally:
            publisher.close()
    return ExitStatus.INVALID if bad else ExitStatus.OK


def _missing_credentials(calendar: Calendar, account: Any) -> str | None:
    """What a dry-run account lacks to send for real (its credentials' variable names, never
    their values); None when nothing is missing or its type takes no credentials."""
    from campaigns.errors import ConfigError
    from campaigns.networks import NETWORK_TYPES

    from ..networks import base_dir_of
    from ..networks.credentials import credentials

    record = NETWORK_TYPES.get(account.type)
    if record is None or record.local or not record.secrets:
        return None
    try:
        credentials(account, base_dir=base_dir_of(calendar))
    except ConfigError as exc:
        return str(exc).split(": ", 1)[-1].removeprefix("needs credentials: ")
    return None


def _only(calendar: Calendar, name: str) -> Calendar:
    import dataclasses

    return dataclasses.replace(calendar, networks={name: calendar.networks[name]})
