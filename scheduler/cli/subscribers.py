"""``herald subscribers``: who is subscribed to the status page, and a data-protection request
served: ``list``, ``export`` (everything the ledger holds of one address, as JSON), ``delete``
(the subscriber and every delivery row of it); ``add-webhook`` (a webhook subscriber, confirmed,
its signing secret shown once).  Also the line ``herald status`` prints about disabled webhooks."""

from __future__ import annotations

import argparse
import json
import os
from contextlib import closing as ledger_closed
from typing import TYPE_CHECKING, Any

from campaigns.errors import UsageError

from .common import (
    ExitStatus,
    calendar_option,
    count,
    existing_ledger,
    no_ledger_yet,
    open_ledger,
    say,
    show,
    state_option,
)

if TYPE_CHECKING:
    from ..clock import Clock


def register(sub: Any) -> None:
    p = sub.add_parser("subscribers", help="the status page's email and webhook subscribers: list, export, delete")
    verbs = p.add_subparsers(dest="verb", metavar="ACTION", required=True, parser_class=type(p),
                             help="what to do (herald subscribers ACTION --help)")
    q = verbs.add_parser("list", help="every subscriber: id, kind, address, components, confirmed")
    calendar_option(q)
    state_option(q)
    q.add_argument("--json", action="store_true", help="one JSON object per subscriber, one per line")
    q.set_defaults(handler=cmd_list)
    q = verbs.add_parser("export", help="everything the ledger holds of one subscriber, as JSON")
    calendar_option(q)
    state_option(q)
    q.add_argument("who", help="an address, a webhook URL or an id")
    q.set_defaults(handler=cmd_export)
    q = verbs.add_parser("delete", help="forget a subscriber and its deliveries (a data-protection request)")
    calendar_option(q)
    state_option(q)
    q.add_argument("who", help="an address, a webhook URL or an id")
    q.set_defaults(handler=cmd_delete)
    q = verbs.add_parser("add-webhook", help="add a webhook subscriber (its signing secret is shown once)")
    calendar_option(q)
    state_option(q)
    q.add_argument("url", help="https://… (http:// only on the loopback)")
    q.add_argument("--component", action="append", default=[], help="only these components (repeatable)")
    q.set_defaults(handler=cmd_add_webhook)


def cmd_list(args: argparse.Namespace, clock: Clock) -> int:
    from ..ledger.subscribers import Subscribers

    ledger = existing_ledger(args)
    if ledger is None:
        say(no_ledger_yet(args))
        return ExitStatus.OK
    with ledger_closed(ledger):
        people = Subscribers(ledger.db).all()
    for s in people:
        if args.json:
            show(json.dumps(s.as_json(), sort_keys=True))
            continue
        state = "disabled" if s.disabled_at else "confirmed" if s.confirmed_at else "waiting for confirmation"
        show(f"{s.id}  {s.kind:<7} {s.address}  {', '.join(s.components) or 'all components'}  {state}")
    if not args.json:
        say(count(len(people), "subscriber"))
    return ExitStatus.OK


def _found(args: argparse.Namespace, ledger: Any) -> Any:
    from ..ledger.subscribers import Subscribers

    found = Subscribers(ledger.db).find(args.who)
    if not found:
        raise UsageError(f"{args.who}: no such subscriber")
    return found[0]


def cmd_export(args: argparse.Namespace, clock: Clock) -> int:
    from ..ledger.subscribers import Subscribers

    ledger = open_ledger(args)
    with ledger_closed(ledger):
        person = _found(args, ledger)
        sent = Subscribers(ledger.db).sent_to(person.id)
    show(json.dumps({**person.as_json(), "notices_sent": sent}, indent=2, sort_keys=True))
    return ExitStatus.OK


def cmd_delete(args: argparse.Namespace, clock: Clock) -> int:
    from ..ledger.subscribers import Subscribers

    ledger = open_ledger(args)
    with ledger_closed(ledger):
        person = _found(args, ledger)
        Subscribers(ledger.db).delete(person.id)
    show(f"{person.id}: deleted, with its deliveries")
    return ExitStatus.OK


def cmd_add_webhook(args: argparse.Namespace, clock: Clock) -> int:
    from urllib.parse import urlsplit

    from ..ledger.subscribers import Subscribers
    from ..subscribers.secrets import read
    from ..subscribers.tokens import webhook_secret
    from .common import load_calendar

    parts = urlsplit(args.url)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise UsageError(f"{args.url}: a webhook URL must start with https://")
    calendar = load_calendar(args.calendar)
    settings = calendar.engine.subscribers
    if settings is None:
        raise UsageError(f"{args.calendar}: no engine.subscribers section (see docs/reference/subscribers.md)")
    keys = read(settings, base_dir=os.path.dirname(os.path.abspath(args.calendar)))
    ledger = open_ledger(args)
    with ledger_closed(ledger):
        person = Subscribers(ledger.db).add_confirmed("webhook", args.url, args.component, clock.now())
    show(f"{person.id}: webhook {args.url}; signing secret (shown once): {webhook_secret(keys.signing_key, person.id)}")
    return ExitStatus.OK


def disabled_line(ledger: Any) -> str | None:
    """What ``herald status`` says of webhook subscribers disabled after repeated failures."""
    from ..ledger.subscribers import Subscribers

    gone = [s for s in Subscribers(ledger.db).disabled() if s.kind == "webhook"]
    if not gone:
        return None
    named = ", ".join(f"{s.id} ({s.address}: {s.last_error or 'failed'})" for s in gone[:5])
    return f"webhook subscribers disabled after repeated failures: {len(gone)}: {named}"
