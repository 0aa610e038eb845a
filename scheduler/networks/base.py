"""The publisher interface every network implements, and how failures become the errors it may
raise (those are defined in :mod:`scheduler.errors`).

A publisher sends one post and returns where it landed; before the engine re-sends a
post that may already have gone out (a crash or a timeout after the request left),
it asks ``find_recent`` whether the network already has it.  Errors are typed so the
engine knows what to do without knowing the network:

- :class:`Transient`: retry with backoff (``ambiguous`` when the request may have
  been received, e.g. a read timeout or a 5xx);
- :class:`RateLimited`: retry at ``retry_at``, the reset time the API gave;
- :class:`Permanent`: the network refused this post (its message is kept); dead-letter;
- :class:`AuthFailed`: credentials are missing, expired or revoked; stop this account.

Every publisher is built from its calendar account by :meth:`Publisher.from_account`;
:meth:`Publisher.built_from` names everything an instance depends on (the account's
type and options, its credential values, the calendar fields it reads), and its hash,
``fingerprint``, tells a reload whether the running instance can be kept.

Messages never contain secrets: every message passes through :func:`scheduler.redaction.redact`,
and publishers show URLs through :func:`scheduler.redaction.redact_url`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from campaigns.errors import ConfigError

from ..errors import (
    AuthFailed,
    ConnectFailed,
    ConnectionLost,
    DeadlineExceeded,
    HttpError,
    Permanent,
    PublishError,
    RateLimited,
    RedirectRefused,
    TooManyRedirects,
    Transient,
    TransportError,
    sdk_error_class,
)
from ..http import Response, Verdict, classify, retry_at

if TYPE_CHECKING:
    from campaigns.model import Account, Calendar

    from ..clock import Clock


@dataclass(frozen=True)
class RemoteRef:
    """Where a post landed: the network's id for it (None when the network gave none), and a
    link when there is one."""

    id: str | None
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
    headline: str = ""  # a status announcement's title in a feed: "Identified: Card payments fail"
    extra: dict[str, Any] = field(default_factory=dict)
    thread_key: str | None = None  # the publication key of the thread's first post (None: not in a thread)
    content_warning: str = ""  # shown before the text until the reader opens it (Mastodon's spoiler_text)
    link_card: dict[str, str] | None = None  # the calendar's title/description of its first link's card (Bluesky)


# Fingerprints are compared within one process only: keyed with a per-process secret, a
# fingerprint says nothing about the credential values it covers.
_FINGERPRINT_KEY = os.urandom(32)


def fingerprint(inputs: Mapping[str, Any]) -> str:
    """A keyed hash of what a publisher is built from (see :meth:`Publisher.built_from`)."""
    data = json.dumps(inputs, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hmac.new(_FINGERPRINT_KEY, data, hashlib.sha256).hexdigest()


class Publisher(ABC):
    """One network account. Implementations: site, webhook, memory (tests and simulations),
    and one module per network."""

    #: True when sending the same post again cannot make a duplicate: the network honours an
    #: idempotency key, or ``find_recent`` can tell whether it already has the post. When
    #: False, the engine never re-sends after an ambiguous failure; it asks a person instead.
    safe_to_resend = True

    #: What this instance was built from (set by ``build_publishers``); a reload keeps the
    #: instance only while the account's fingerprint is unchanged.
    fingerprint = ""

    def __init__(self, name: str, type_: str):
        self.name = name
        self.type = type_

    @classmethod
    def from_account(cls, account: Account, calendar: Calendar, *, clock: Clock, env: Mapping[str, str],
                     base_dir: str) -> Publisher:
        """A publisher for ``account`` of ``calendar``.

        :raises ConfigError: when the account cannot be set up (a missing credential, a bad option)
        """
        raise ConfigError(f"network {account.name!r}: {cls.__name__} cannot be built from a calendar account")

    @classmethod
    def built_from(cls, account: Account, calendar: Calendar, *, env: Mapping[str, str],
                   base_dir: str) -> dict[str, Any]:
        """Everything an instance built by :meth:`from_account` depends on. The default: the
        account's type and options, and the folder paths are relative to. Publishers that read
        credentials or calendar fields add them.

        :raises ConfigError: as :meth:`from_account` does
        """
        return {"class": cls.__qualname__, "type": account.type, "options": account.options, "base_dir": base_dir}

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


class AccountPublisher(Publisher):
    """A network account with credentials: built as ``cls(name, options, secrets, clock,
    base_dir=…, **calendar_options(calendar))``, its fingerprint covering the credential values."""

    @classmethod
    def calendar_options(cls, calendar: Calendar) -> dict[str, Any]:
        """The calendar fields this publisher uses, as keyword arguments (e.g. the brand's language)."""
        return {}

    @classmethod
    def built_from(cls, account: Account, calendar: Calendar, *, env: Mapping[str, str],
                   base_dir: str) -> dict[str, Any]:
        from .credentials import credentials

        return {**super().built_from(account, calendar, env=env, base_dir=base_dir),
                "credentials": dict(credentials(account, env, base_dir)), "calendar": cls.calendar_options(calendar)}

    @classmethod
    def from_account(cls, account: Account, calendar: Calendar, *, clock: Clock, env: Mapping[str, str],
                     base_dir: str) -> Publisher:
        from .credentials import credentials

        build: Callable[..., Publisher] = cls  # subclasses take (name, options, secrets, clock, *, base_dir, …)
        try:
            return build(account.name, account.options, credentials(account, env, base_dir), clock,
                         base_dir=base_dir, **cls.calendar_options(calendar))
        except KeyError as exc:  # a required option is missing (validation normally catches it first)
            raise ConfigError(f"network {account.name!r} ({account.type}) needs the option {exc.args[0]}") from None


def json_body(response: Response) -> dict[str, Any]:
    """A response's JSON object; {} when it has none (an empty 201, an HTML error page)."""
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def status_error(network: str, status: int, message: str, *, headers: Mapping[str, str] | None = None,
                 now: datetime, wait: float = 60.0, gone: tuple[int, ...] = ()) -> PublishError:
    """The error for an HTTP answer that is not a success, by the one reading of status codes
    (:func:`scheduler.http.classify`): 429 waits for the reset the API gave
    (:func:`scheduler.http.retry_at`; ``wait`` seconds when it gave none); 408, 425 and 5xx
    retry with backoff (ambiguous for 5xx: the request was received), after ``Retry-After``
    when given; 401 and 403, and the statuses in ``gone`` (a deleted webhook), stop the
    account; any other status is permanent. Publishers refine it where their API has its
    own codes."""
    headers = headers or {}
    verdict = Verdict.AUTH if status in gone else classify(status)
    if verdict is Verdict.RATE_LIMITED:
        return RateLimited(network, retry_at(headers, now, wait), message)
    if verdict.transient:
        after = None
        if any(str(name).lower() == "retry-after" for name in headers):
            after = (retry_at(headers, now, wait) - now).total_seconds()
        return Transient(network, message, retry_after=after, ambiguous=verdict.ambiguous)
    if verdict is Verdict.AUTH:
        return AuthFailed(network, message)
    return Permanent(network, message)


def sdk_error(network: str, exc: BaseException, say: Callable[[BaseException], tuple[int | None, str]], *,
              now: datetime, headers: Mapping[str, str] | None = None, wait: float = 60.0) -> PublishError:
    """An SDK's exception as the publish error its row of :data:`scheduler.errors.SDK_ERRORS`
    says: the table decides, the publisher only words it.  ``say(exc)``: the HTTP status the
    exception carries (None: none) and the message, in the network's words; ``headers`` and
    ``wait``: when a rate limit ends (:func:`scheduler.http.retry_at`).

    A row of ``None`` decides by that status (:func:`status_error`); an exception of such a
    row that carries none is an answer the SDK could not use: permanent.  A row of
    ``HttpError`` wraps a failed send (:func:`transport_errors` reads one that does): it is
    its cause's when that is an SDK's exception too, else transient and ambiguous, as is an
    exception without a row.  A publisher refines it only where its API says more than the
    exception's class (X's refusal of identical text, a refused Bluesky login)."""
    row = sdk_error_class(type(exc))
    herald = row[0] if row is not None else Transient
    cause = exc.__cause__
    if herald is HttpError and cause is not None and sdk_error_class(type(cause)) is not None:
        return sdk_error(network, cause, say, now=now, headers=headers, wait=wait)
    status, message = say(exc)
    if herald is None:
        if status is not None:
            return status_error(network, status, message, headers=headers, now=now, wait=wait)
        herald = Permanent
    if herald is RateLimited:
        return RateLimited(network, retry_at(headers or {}, now, wait), message)
    if herald is AuthFailed:
        return AuthFailed(network, message)
    if herald is Permanent:
        return Permanent(network, message)
    return Transient(network, message, ambiguous=True)


def _wraps_a_send(exc: BaseException) -> bool:
    """Whether ``exc`` is an SDK's wrapper of a failed send (its row of SDK_ERRORS is ``HttpError``)."""
    row = sdk_error_class(type(exc))
    return row is not None and row[0] is HttpError


@contextmanager
def transport_errors(network: str, where: str, deadline: float | None = None) -> Iterator[None]:
    """Failures to get an answer from :mod:`scheduler.http` (every network sends through it,
    the SDKs too), as Herald's errors. A refused connection certainly delivered nothing; a
    timeout or a dropped connection after sending may have (ambiguous). ``where`` names the
    endpoint (a redacted URL, or a description); ``deadline`` (seconds) is the request's, for
    the message. An SDK's exception whose row of :data:`scheduler.errors.SDK_ERRORS` is
    ``HttpError`` wraps the failure of the request it sent (as its cause or context, maybe
    through another of its own): one that wraps a :class:`scheduler.http.HttpError` is read as it."""
    try:
        try:
            yield
        except Exception as exc:
            if not _wraps_a_send(exc):
                raise
            inner: BaseException | None = exc
            while inner is not None and not isinstance(inner, HttpError):
                inner = inner.__cause__ or inner.__context__
            if inner is None:
                raise
            raise inner from None
    except DeadlineExceeded as exc:
        raise Transient(network, f"{where} did not answer within {exc.deadline:g} s",
                        ambiguous=exc.ambiguous) from None
    except ConnectFailed as exc:
        raise Transient(network, f"cannot reach {where} ({exc.reason})", ambiguous=False) from None
    except ConnectionLost as exc:
        if exc.reason == "timed out" and deadline is not None:  # the read timeout is the deadline's remainder
            raise Transient(network, f"{where} did not answer within {deadline:g} s", ambiguous=True) from None
        raise Transient(network, f"lost the connection to {where} ({exc.reason})", ambiguous=True) from None
    except TransportError as exc:  # cancelled: the engine is shutting down
        raise Transient(network, f"the request to {where} was cancelled", ambiguous=exc.ambiguous) from None
    except (RedirectRefused, TooManyRedirects) as exc:
        raise Permanent(network, f"{where}: {exc.detail}; set the final URL in the calendar") from None
    except HttpError as exc:  # too large or malformed: it was received, what it did is unknown
        raise Transient(network, f"{where}: {exc.detail}", ambiguous=True) from None
