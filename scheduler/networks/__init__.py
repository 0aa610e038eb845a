"""Network publishers, one module each, built from the calendar's ``networks:`` section.

Each publisher class builds itself from its account (:meth:`Publisher.from_account`), as
APScheduler's job stores are built from their configuration; :data:`PUBLISHERS` maps a
network type to its module and class, imported only when an account uses it.
:func:`build_publishers` builds a publisher for every enabled account, reusing a previous
one only while its fingerprint (the account's type and options, its credential values and
the calendar fields it reads) is unchanged; :func:`close_unused` then closes the previous
publishers that were not reused.  A reload therefore never keeps posting with an old URL
or token, and never leaks the sessions of an account that went away.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from importlib import import_module

from campaigns.errors import ConfigError
from campaigns.model import Account, Calendar

from ..clock import Clock
from .base import OutgoingPost, Publisher, RemoteRef, fingerprint

log = logging.getLogger("herald.networks")

# type -> module and class; a network's library is imported only when an account uses it
# (atproto, tweepy and Mastodon.py would otherwise add ~50 MB and half a second to every start).
PUBLISHERS = {
    "site": ("site", "SitePublisher"), "webhook": ("webhook", "WebhookPublisher"),
    "x": ("x", "XPublisher"), "mastodon": ("mastodon", "MastodonPublisher"),
    "bluesky": ("bluesky", "BlueskyPublisher"), "facebook": ("facebook", "FacebookPublisher"),
    "instagram": ("instagram", "InstagramPublisher"), "threads": ("threads", "ThreadsPublisher"),
    "pinterest": ("pinterest", "PinterestPublisher"), "linkedin": ("linkedin", "LinkedInPublisher"),
    "slack": ("slack", "SlackPublisher"), "discord": ("discord", "DiscordPublisher"),
    "teams": ("teams", "TeamsPublisher"), "telegram": ("telegram", "TelegramPublisher"),
}
IMPLEMENTED = tuple(PUBLISHERS)
#: Channels Herald runs itself: built even for a dry-run account (nothing leaves the machine
#: for the site; the webhook is the operator's own endpoint).
LOCAL = ("site", "webhook")


def publisher_class(kind: str) -> type[Publisher]:
    module, name = PUBLISHERS[kind]
    cls: type[Publisher] = getattr(import_module(f"{__name__}.{module}"), name)
    return cls


def base_dir_of(calendar: Calendar) -> str:
    """The folder relative paths in the calendar's accounts are resolved against."""
    return os.path.dirname(os.path.abspath(calendar.path)) if os.path.exists(calendar.path) else os.getcwd()


def build_publishers(calendar: Calendar, clock: Clock, env: Mapping[str, str] | None = None,
                     overrides: Mapping[str, Publisher] | None = None,
                     previous: Mapping[str, Publisher] | None = None) -> dict[str, Publisher]:
    """A publisher for every enabled account; ``overrides`` replace some (tests, simulations).

    A publisher in ``previous`` (the running ones, on a reload) is kept for its account when
    its fingerprint is unchanged; otherwise a new one is built.  The caller closes what was
    not kept with :func:`close_unused`.  On error nothing built here is left open.

    :raises ConfigError: naming every account that cannot be set up and what to do about it
    """
    env = os.environ if env is None else env
    overrides = overrides or {}
    previous = previous or {}
    base_dir = base_dir_of(calendar)
    publishers: dict[str, Publisher] = {}
    built: list[Publisher] = []
    problems: list[str] = []
    for name, account in calendar.networks.items():
        if not account.enabled:
            continue
        if name in overrides:
            publishers[name] = overrides[name]
            continue
        try:
            cls = _class_for(account)
            fp = fingerprint(cls.built_from(account, calendar, env=env, base_dir=base_dir))
            old = previous.get(name)
            if old is not None and type(old) is cls and old.fingerprint == fp:
                publishers[name] = old
                continue
            publisher = cls.from_account(account, calendar, clock=clock, env=env, base_dir=base_dir)
            publisher.fingerprint = fp
            if old is not None:
                log.info("%s: its settings or credentials changed; publisher rebuilt", name)
            publishers[name] = publisher
            built.append(publisher)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        for publisher in built:
            _close(publisher)
        raise ConfigError("; ".join(problems))
    return publishers


def close_unused(previous: Mapping[str, Publisher], current: Mapping[str, Publisher]) -> list[Publisher]:
    """Close every publisher of ``previous`` that ``current`` does not hold (by identity): its
    account went away, or changed and got a new publisher. Returns the ones closed."""
    kept = {id(p) for p in current.values()}
    closed: list[Publisher] = []
    for publisher in previous.values():
        if id(publisher) not in kept and all(publisher is not c for c in closed):
            _close(publisher)
            closed.append(publisher)
    return closed


def _close(publisher: Publisher) -> None:
    try:
        publisher.close()
    except Exception:  # a publisher that fails to close must not stop a reload
        log.exception("closing %s failed", publisher.describe())


def _class_for(account: Account) -> type[Publisher]:
    if account.type in LOCAL:
        return publisher_class(account.type)
    if account.dry_run:
        return DryRunOnly
    if account.type in PUBLISHERS:
        return publisher_class(account.type)
    raise ConfigError(f"network {account.name!r}: type {account.type!r} has no publisher in this version of "
                      f"Herald (available: {', '.join(IMPLEMENTED)}); set dry_run: true or enabled: false")


class DryRunOnly(Publisher):
    """Stands in for an account in dry-run mode: the engine records what it would send, sends nothing."""

    @classmethod
    def from_account(cls, account: Account, calendar: Calendar, *, clock: Clock, env: Mapping[str, str],
                     base_dir: str) -> DryRunOnly:
        return cls(account.name, account.type)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        raise AssertionError("dry-run accounts never publish")

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return None
