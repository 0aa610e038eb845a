"""Network publishers, one module each, built from the calendar's ``networks:`` section.

Each publisher class builds itself from its account (:meth:`Publisher.from_account`), as
APScheduler's job stores are built from their configuration.  Which class serves a network
type is its record's ``publisher`` reference (:data:`campaigns.networks.NETWORK_TYPES`: the
built-ins and other packages' ``herald.networks`` entry points), imported only when an
account of that type is built (atproto, tweepy and Mastodon.py would otherwise add ~50 MB and
half a second to every start).
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
from functools import cache
from importlib import import_module

from campaigns.errors import ConfigError
from campaigns.model import Account, Calendar
from campaigns.networks import NETWORK_TYPES, NetworkType, require_extras

from ..clock import Clock
from .base import OutgoingPost, Publisher, RemoteRef, fingerprint

log = logging.getLogger("herald.networks")


def publisher_class(kind: str) -> type[Publisher]:
    """The publisher class of network type ``kind``, imported now.

    :raises ConfigError: the type is unknown, or as :func:`publisher_of`
    """
    record = NETWORK_TYPES.get(kind)
    if record is None:
        raise ConfigError(f"network type {kind!r} is unknown (known: {', '.join(NETWORK_TYPES)})"
                          + "".join(f"; {problem}" for problem in NETWORK_TYPES.problems))
    return publisher_of(record)


def publisher_of(record: NetworkType) -> type[Publisher]:
    """The class ``record.publisher`` names, imported now, once it is seen to fit the record.

    :raises ConfigError: it cannot be imported, is not a :class:`Publisher`, or answers
        ``safe_to_resend`` otherwise than the record (the engine would re-send what it must not)
    """
    try:
        cls = _imported(record.publisher)
    except Exception as exc:  # another package's module may raise anything while it is imported
        raise ConfigError(f"network type {record.name!r}: its publisher {record.publisher} cannot be imported "
                          f"({' '.join(f'{type(exc).__name__}: {exc}'.split())})") from None
    if not (isinstance(cls, type) and issubclass(cls, Publisher)):
        raise ConfigError(f"network type {record.name!r}: {record.publisher} is not a Publisher subclass")
    if cls.safe_to_resend != record.safe_to_resend:
        raise ConfigError(f"network type {record.name!r}: its record says re-sends are {record.resend.value!r} "
                          f"but {cls.__name__}.safe_to_resend is {cls.safe_to_resend}; make them agree")
    return cls


@cache
def _imported(reference: str) -> object:
    module, _, name = reference.partition(":")
    found: object = import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


@cache
def _say_plugin_problems() -> None:
    """Once per process: the entry points left out (a calendar using one of their types is
    refused with the reason; one that does not should still hear of it)."""
    for problem in NETWORK_TYPES.problems:
        log.warning("%s", problem)


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
    _say_plugin_problems()
    env = os.environ if env is None else env
    overrides = overrides or {}
    previous = previous or {}
    base_dir = base_dir_of(calendar)
    require_extras(account for name, account in calendar.networks.items() if name not in overrides)
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
            publisher = _kept_or_built(name, account, calendar, clock, env, base_dir, previous.get(name))
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if publisher is not previous.get(name):
            built.append(publisher)  # new here: closed again should another account fail
        publishers[name] = publisher
    if problems:
        for publisher in built:
            _close(publisher)
        raise ConfigError("; ".join(problems))
    return publishers


def _kept_or_built(name: str, account: Account, calendar: Calendar, clock: Clock, env: Mapping[str, str],
                   base_dir: str, old: Publisher | None) -> Publisher:
    """The running publisher ``old`` while what it was built from (its fingerprint) is unchanged, so a
    reload keeps its connections and state; else a new one, which the caller must close on error.

    :raises ConfigError: when the account cannot be set up
    """
    cls = _class_for(account)
    fp = fingerprint(cls.built_from(account, calendar, env=env, base_dir=base_dir))
    if old is not None and type(old) is cls and old.fingerprint == fp:
        return old
    publisher = cls.from_account(account, calendar, clock=clock, env=env, base_dir=base_dir)
    publisher.fingerprint = fp
    if old is not None:
        log.info("%s: its settings or credentials changed; publisher rebuilt", name)
    return publisher


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
    """Its type's publisher; a stand-in for a dry-run account unless the type is local (Herald's
    own channel or the operator's endpoint: nothing reaches a third party, so it is built)."""
    record = NETWORK_TYPES.get(account.type)
    if account.dry_run and (record is None or not record.local):
        return DryRunOnly
    try:
        return publisher_class(account.type)
    except ConfigError as exc:
        raise ConfigError(f"network {account.name!r}: {exc}; set dry_run: true or enabled: false") from None


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
