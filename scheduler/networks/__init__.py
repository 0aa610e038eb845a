"""Network publishers, one module each, built from the calendar's ``networks:`` section."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import import_module

from campaigns.model import Calendar

from ..clock import Clock
from .base import ConfigError, Publisher
from .credentials import credentials
from .site import SitePublisher
from .webhook import WebhookPublisher

# type -> module and class; a network's library is imported only when an account uses it
# (atproto, tweepy and Mastodon.py would otherwise add ~50 MB and half a second to every start).
PUBLISHERS = {
    "x": ("x", "XPublisher"), "mastodon": ("mastodon", "MastodonPublisher"),
    "bluesky": ("bluesky", "BlueskyPublisher"), "facebook": ("facebook", "FacebookPublisher"),
    "instagram": ("instagram", "InstagramPublisher"), "threads": ("threads", "ThreadsPublisher"),
    "pinterest": ("pinterest", "PinterestPublisher"), "linkedin": ("linkedin", "LinkedInPublisher"),
    "slack": ("slack", "SlackPublisher"), "discord": ("discord", "DiscordPublisher"),
    "teams": ("teams", "TeamsPublisher"), "telegram": ("telegram", "TelegramPublisher"),
}
IMPLEMENTED = ("site", "webhook", *PUBLISHERS)


def publisher_class(kind: str) -> type[Publisher]:
    module, name = PUBLISHERS[kind]
    return getattr(import_module(f"{__name__}.{module}"), name)


def build_publishers(calendar: Calendar, clock: Clock, env: Mapping[str, str] | None = None,
                     overrides: Mapping[str, Publisher] | None = None) -> dict[str, Publisher]:
    """A publisher for every enabled account; ``overrides`` replace some (tests, simulations).

    :raises ConfigError: naming every account that cannot be set up and what to do about it
    """
    env = os.environ if env is None else env
    overrides = overrides or {}
    base_dir = os.path.dirname(os.path.abspath(calendar.path)) if os.path.exists(calendar.path) else os.getcwd()
    publishers: dict[str, Publisher] = {}
    problems: list[str] = []
    for name, account in calendar.networks.items():
        if not account.enabled:
            continue
        if name in overrides:
            publishers[name] = overrides[name]
            continue
        try:
            if account.type == "site":
                publishers[name] = SitePublisher(name, account.options, clock, base_dir=base_dir,
                                                 title=calendar.brand.name, language=calendar.brand.language,
                                                 tz=calendar.brand.tz)
            elif account.type == "webhook":
                publishers[name] = WebhookPublisher(name, account.options, clock, env=dict(env))
            elif account.dry_run:
                publishers[name] = _DryRunOnly(name, account.type)
            elif account.type in PUBLISHERS:
                extra = {"language": calendar.brand.language} if account.type in ("bluesky", "mastodon") else {}
                publishers[name] = publisher_class(account.type)(
                    name, account.options, credentials(account, env, base_dir), clock, base_dir=base_dir, **extra)
            else:
                problems.append(f"network {name!r}: type {account.type!r} has no publisher in this version of "
                                f"Herald (available: {', '.join(IMPLEMENTED)}); set dry_run: true or enabled: false")
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("; ".join(problems))
    return publishers


class _DryRunOnly(Publisher):
    """Stands in for an account in dry-run mode: the engine records what it would send, sends nothing."""

    def publish(self, post):  # type: ignore[no-untyped-def]
        raise AssertionError("dry-run accounts never publish")

    def find_recent(self, post):  # type: ignore[no-untyped-def]
        return None
