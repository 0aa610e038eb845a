"""The publisher interface every network implements, and the errors it may raise.

A publisher sends one post and returns where it landed; before the engine re-sends a
post that may already have gone out (a crash or a timeout after the request left),
it asks ``find_recent`` whether the network already has it.  Errors are typed so the
engine knows what to do without knowing the network:

- :class:`Transient`: retry with backoff (``ambiguous`` when the request may have
  been received, e.g. a read timeout or a 5xx);
- :class:`RateLimited`: retry at ``retry_at``, the reset time the API gave;
- :class:`Permanent`: the network refused this post (its message is kept); dead-letter;
- :class:`AuthFailed`: credentials are missing, expired or revoked; stop this account.

Messages never contain secrets: publishers redact URLs and tokens where requests are built.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from campaigns.errors import HeraldError


@dataclass(frozen=True)
class RemoteRef:
    """Where a post landed: the network's id for it, and a link when there is one."""

    id: str
    url: str | None = None


@dataclass(frozen=True)
class OutgoingPost:
    key: str  # the publication key: also the idempotency key
    source: str
    post: str
    kind: str
    network: str  # account name
    network_type: str
    scheduled_at: datetime
    text: str
    campaign: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    image: dict[str, str] | None = None
    reply_to: RemoteRef | None = None  # thread under this post, where the network has threads
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class PublishError(HeraldError):
    def __init__(self, network: str, message: str):
        self.network = network
        self.detail = message
        super().__init__(f"{network}: {message}")


class Transient(PublishError):
    def __init__(self, network: str, message: str, *, retry_after: float | None = None, ambiguous: bool = False):
        super().__init__(network, message)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class RateLimited(PublishError):
    def __init__(self, network: str, retry_at: datetime, message: str = "rate limited"):
        super().__init__(network, f"{message}; retrying at {retry_at.isoformat(timespec='seconds')}")
        self.retry_at = retry_at


class Permanent(PublishError):
    """The network refused this post; sending it again would fail the same way."""


class AuthFailed(PublishError):
    """Credentials missing, expired or revoked: nothing more goes to this account until fixed."""


class ConfigError(HeraldError):
    """A network account cannot be set up (e.g. a credential's environment variable is not set)."""


class Publisher(ABC):
    """One network account. Implementations: site, webhook, memory (tests and simulations),
    mastodon, and the chat networks (slack, discord, teams, telegram)."""

    #: True when sending the same post again cannot make a duplicate: the network honours an
    #: idempotency key, or ``find_recent`` can tell whether it already has the post. When
    #: False, the engine never re-sends after an ambiguous failure; it asks a person instead.
    safe_to_resend = True

    def __init__(self, name: str, type_: str):
        self.name = name
        self.type = type_

    @abstractmethod
    def publish(self, post: OutgoingPost) -> RemoteRef:
        """Send ``post``; return where it landed.

        :raises Transient, RateLimited, Permanent, AuthFailed:
        """

    @abstractmethod
    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        """The remote copy of ``post`` if the network already has it (reconciliation), else None.

        :raises Transient, RateLimited, AuthFailed: when the network cannot be asked now
        """

    def describe(self) -> str:
        return f"{self.name} ({self.type})"

    def check_live(self) -> str:
        """Ask the network whether the credentials work, without posting anything.

        :raises AuthFailed, Transient: when they do not, or it cannot be asked now
        """
        return "no live check for this network (nothing is sent to find out)"

    def on_status(self, status: Any, calendar: Any, now: datetime) -> None:  # noqa: B027  (optional hook)
        """The status file changed (components, incidents, maintenance): channels that show
        the current status (the site) refresh it."""

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release connections and sessions."""


@contextmanager
def transport_errors(network: str, where: str, timeout: float) -> Iterator[None]:
    """requests' failures as Herald's errors. A connect timeout or a refused connection
    certainly delivered nothing; a read timeout or a dropped connection may have (ambiguous)."""
    try:
        yield
    except requests.ConnectTimeout:
        raise Transient(network, f"connecting to {where} timed out") from None
    except requests.Timeout:
        raise Transient(network, f"{where} did not answer within {timeout:g} s", ambiguous=True) from None
    except requests.ConnectionError as exc:
        raise Transient(network, f"cannot reach {where}", ambiguous="refused" not in str(exc)) from None


def redact_url(url: str) -> str:
    """scheme://host/path only: query strings and user info often carry tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
