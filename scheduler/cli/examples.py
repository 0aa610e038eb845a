"""One example per command, shown at the end of its ``--help`` (``tests/test_cli.py`` parses
every one with the real parser, so none can name an option that does not exist)."""

from __future__ import annotations

EXAMPLES: dict[str, tuple[str, ...]] = {
    "validate": ("herald validate --calendar run/content_calendar.yaml",),
    "plan": ("herald plan --days 14 --only calendar", "herald plan --from 2026-12-24 --days 3 --json"),
    "lint": ("herald lint --days 28",),
    "export-ical": ("herald export-ical --days 90 -o plan.ics",),
    "schema": ("herald schema --status",),
    "diff": ("herald diff main:content_calendar.yaml content_calendar.yaml --format markdown",
             "herald diff HEAD~1 HEAD --days 14 --exit-code"),
    "run": ("herald run --calendar run/content_calendar.yaml", "herald run --once"),
    "health": ("herald health --max-age 60",),
    "simulate": ("herald simulate --from 2026-12-01 --days 7",),
    "history": ("herald history --only dead,held --limit 20", "herald history --network x --json"),
    "retry": ("herald retry 3f2a9c",),
    "skip": ("herald skip 3f2a9c --reason 'Pulled by legal'",),
    "pause": ("herald pause --until 2026-12-06T18:00 --reason 'Storm: no promotions'",),
    "resume": ("herald resume --network x",),
    "incident declare": ("herald incident declare --title 'Checkout errors' --impact major --component checkout "
                         "-m 'Card payments fail for some customers.' --next-update 30m",),
    "incident update": ("herald incident update checkout-errors-20261206-1000 --state identified "
                        "-m 'Our payment provider has an outage.' --next-update 30m",
                        "herald incident update checkout-errors-20261206-1000 --state monitoring "
                        "-m 'Payments work again.' --component-status checkout=operational"),
    "incident resolve": ("herald incident resolve checkout-errors-20261206-1000 -m 'Payments work again.'",),
    "incident confirm": ("herald incident confirm checkout-alert-20261206-100000",),
    "incident": ("herald incident declare --title 'Checkout errors' --impact major -m 'Card payments fail.'",),
    "maintenance add": ("herald maintenance add --title 'Database upgrade' --starts 2026-12-10T02:00 "
                        "--ends 2026-12-10T03:00 --remind 24h,1h -m 'Checkout pauses for up to an hour.'",),
    "maintenance cancel": ("herald maintenance cancel database-upgrade-20261210-0200",),
    "maintenance update": ("herald maintenance update database-upgrade-20261210-0200 --state in_progress "
                           "-m 'We are moving the data to the new servers.'",),
    "maintenance delay": ("herald maintenance delay database-upgrade-20261210-0200 --by 30m "
                          "-m 'Moving the data takes longer than planned.'",
                          "herald maintenance delay database-upgrade-20261210-0200 --until 2026-12-10T03:45 "
                          "-m 'Moving the data takes longer than planned.'"),
    "maintenance complete": ("herald maintenance complete database-upgrade-20261210-0200 "
                             "-m 'Checkout works again on the new servers.'",),
    "maintenance": ("herald maintenance add --title 'Database upgrade' --starts 2026-12-10T02:00 "
                    "--ends 2026-12-10T03:00",),
    "status": ("herald status --calendar run/content_calendar.yaml",),
    "networks check": ("herald networks check --live",),
    "networks": ("herald networks check",),
    "engines": ("herald engines --json",),
    "prune": ("herald prune --older-than 180d --dry-run",),
    "suggest": ("herald suggest --requests tickets.csv --answers help_center.json --top 5",),
    "serve": ("herald serve --bind 127.0.0.1:8080",),
    "export-site": ("herald export-site -o public/",),
    "subscribers list": ("herald subscribers list --json",),
    "subscribers export": ("herald subscribers export ann@example.com",),
    "subscribers delete": ("herald subscribers delete ann@example.com",),
    "subscribers add-webhook": ("herald subscribers add-webhook https://hooks.example.com/status "
                                "--component checkout",),
    "subscribers": ("herald subscribers list",),
}


def epilog(command: str) -> str | None:
    lines = EXAMPLES.get(command)
    if not lines:
        return None
    return "examples:\n" + "".join(f"  {line}\n" for line in lines)
