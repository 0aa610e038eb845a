"""The errors of side effects, all of them: the ledger, the status file, HTTP, publishing.

Under the one root, :class:`campaigns.errors.HeraldError` (which, with the pure layers' own
errors, stays at the base: ``campaigns/`` imports nothing of this layer).  Every error class
of ``scheduler/`` is defined here (``tests/test_layers.py`` fails on one defined elsewhere),
so what a caller may catch is read in one place:

- :class:`RuntimeFailure` (exit code 3): something outside the input failed. Under it the
  ledger's errors (:class:`LedgerError`, :class:`BrokenLedger`), the status file's
  (:class:`StatusFileBusy`, :class:`StatusFileRace`), the alert intake's
  (:class:`NotTogether`) and the HTTP layer's (:class:`HttpError`: every failure to get a
  usable answer, :class:`TransportError` when the connection failed, ``ambiguous`` when the
  request may have been acted on);
- :class:`RevisionNotFound` (exit code 1, like a file that is not there): a git revision or a
  path in it that :mod:`scheduler.gitrev` cannot read;
- :class:`PublishError`: what a publisher raises, typed so the engine knows what to do
  without knowing the network (:class:`Transient`, :class:`RateLimited`, :class:`Permanent`,
  :class:`AuthFailed`). :data:`SDK_ERRORS` says which one each SDK's exceptions become.

Messages never hold a secret: URLs pass through :func:`scheduler.redaction.redact_url`,
publishers' messages through :func:`scheduler.redaction.redact`.  Two signals between the
parts of the alert intake are here too, never shown to a person and so not under the root
(:class:`NotSettled`, :class:`Conflict`).
"""

from __future__ import annotations

import os
from datetime import datetime
from urllib.parse import urlsplit

from campaigns.errors import FeedError, HeraldError

from .redaction import redact, redact_url


class RuntimeFailure(HeraldError):
    """Something outside the input failed: an output file that cannot be written, a lock."""

    exit_code = 3


class BadFilter(HeraldError, ValueError):
    """A query parameter of the review room that names nothing the calendar has (a 400 with a
    suggestion)."""


class RevisionNotFound(HeraldError):
    """A git revision that cannot be read (:mod:`scheduler.gitrev`): a name the repository does
    not have, a path the revision does not hold, a folder outside any repository.  Exit code 1,
    as for a file that is not there; the message names the revision as it was written."""


# -- the ledger ---------------------------------------------------------------------------------------------------

START_OVER = ("start a new ledger with `{run} --new-ledger` (what is left of the old one is moved aside as "
              "{name}.broken-<UTC time>; posts due in the catch-up window may be sent again)")


class LedgerError(RuntimeFailure):
    """The ledger cannot be opened or used (bad URL, unreachable database, a ledger file that
    is empty, damaged or gone); the message names the file or database and what to do."""


class BrokenLedger(LedgerError):
    """A ledger that existed cannot be used as it is; starting over needs an explicit decision."""

    def __init__(self, where: str, problem: str, *, can_start_over: bool = True, run: str = "herald run"):
        self.where = where
        self.problem = problem
        self.can_start_over = can_start_over
        what_to_do = "restore it from a backup"
        if can_start_over:
            what_to_do += ", or " + START_OVER.format(run=run, name=os.path.basename(where))
        super().__init__(f"the ledger {where} {problem}; Herald will not start over on its own, or it would send "
                         f"again what was already sent: {what_to_do}")


class Conflict(RuntimeError):
    """Another server changed an alert's row since it was read: decide again.  A signal
    between the intake and its store, never shown to a person: not a HeraldError."""


# -- the status file and the alert intake ---------------------------------------------------------------------------

class StatusFileBusy(RuntimeFailure):
    """Another command held the status file's lock (``lock``) for too long."""

    def __init__(self, path: str, waited: float, lock: str):
        self.path, self.waited = path, waited
        super().__init__(f"{path}: another herald command has been editing it for {waited:.0f} s "
                         f"(lock {lock}); nothing was written, try again")


class StatusFileRace(RuntimeFailure):
    """The file changed under the command in a way that could not be merged, or it kept changing."""

    def __init__(self, path: str, detail: str):
        self.path, self.detail = path, detail
        super().__init__(f"{path}: {detail}")


class NotTogether(RuntimeFailure):
    """Each of a decision's changes can be written alone but not all together: nothing is
    written or stored, the request is answered 503 and the decision is made again later."""


class NotSettled(RuntimeError):
    """The status file is empty, mid-save or not valid now: nothing is decided against it (the
    request is answered 503 with Retry-After, the timer tries again at its next tick).  A
    signal inside the intake, never shown to a person as an error: not a HeraldError."""


# -- HTTP ---------------------------------------------------------------------------------------------------------

class HttpError(RuntimeFailure):
    """A request that produced no usable response. ``url`` is already redacted."""

    def __init__(self, url: str, message: str):
        self.url = redact_url(url)
        self.detail = message
        super().__init__(message)


class TransportError(HttpError):
    """The connection failed. ``ambiguous``: the request may have reached the server (a POST
    may have been acted on); False when it certainly did not."""

    def __init__(self, url: str, message: str, *, ambiguous: bool):
        super().__init__(url, message)
        self.ambiguous = ambiguous


class ConnectFailed(TransportError):
    """No connection (refused, unresolvable, connect timeout, TLS handshake): nothing was sent."""

    def __init__(self, url: str, reason: str):
        super().__init__(url, f"cannot connect to {redact_url(url)} ({reason})", ambiguous=False)
        self.reason = reason


class ConnectionLost(TransportError):
    """The connection dropped or stalled after the request started: it may have been received."""

    def __init__(self, url: str, reason: str):
        super().__init__(url, f"the connection to {redact_url(url)} was lost ({reason})", ambiguous=True)
        self.reason = reason


class DeadlineExceeded(TransportError):
    """No complete answer within the request's deadline."""

    def __init__(self, url: str, deadline: float, *, ambiguous: bool):
        super().__init__(url, f"{redact_url(url)} did not answer completely within {deadline:g} s",
                         ambiguous=ambiguous)
        self.deadline = deadline


class Cancelled(TransportError):
    """The caller's cancel event was set (e.g. the engine is shutting down)."""

    def __init__(self, url: str, *, ambiguous: bool):
        super().__init__(url, f"the request to {redact_url(url)} was cancelled", ambiguous=ambiguous)


class ResponseTooLarge(HttpError):
    """The answer (``decoded``: once decompressed) is larger than ``limit`` bytes."""

    def __init__(self, url: str, limit: int, status: int, *, decoded: bool):
        what = "decompressed answer" if decoded else "answer"
        super().__init__(url, f"the {what} from {redact_url(url)} is larger than {limit} bytes; refused")
        self.limit, self.status, self.decoded = limit, status, decoded


class BadResponse(HttpError):
    """An answer that cannot be read (an unsupported or corrupt content encoding)."""


class RedirectRefused(HttpError):
    """A redirect to another host (or scheme): followed only within the same host."""

    def __init__(self, url: str, target: str):
        self.from_host, self.to_host = authority(url), authority(target)
        super().__init__(url, f"{redact_url(url)} redirects to another host ({self.from_host} -> {self.to_host}: "
                              f"{redact_url(target)}); redirects are followed only on the same host")
        self.target = redact_url(target)


class TooManyRedirects(HttpError):
    def __init__(self, url: str, hops: int):
        super().__init__(url, f"{redact_url(url)}: more than {hops} redirects")
        self.hops = hops


def authority(url: str) -> str:
    """``host[:port]`` of ``url``, lower-case (``?`` when it cannot be read)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "?"


# -- publishing ---------------------------------------------------------------------------------------------------

class PublishError(HeraldError):
    """A publisher's failure, its message redacted and prefixed with the account's name."""

    def __init__(self, network: str, message: str):
        self.network = network
        self.detail = redact(message)
        super().__init__(f"{network}: {self.detail}")


class Transient(PublishError):
    """Retry with backoff (after ``retry_after`` seconds when the network said); ``ambiguous``
    when the request may have been received (a read timeout, a 5xx)."""

    def __init__(self, network: str, message: str, *, retry_after: float | None = None, ambiguous: bool = False):
        super().__init__(network, message)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class RateLimited(PublishError):
    """The network's rate limit (a 429): retry at ``retry_at``, the reset time the API gave."""

    def __init__(self, network: str, retry_at: datetime, message: str = "rate limited"):
        super().__init__(network, f"{message}; retrying at {retry_at.isoformat(timespec='seconds')}")
        self.retry_at = retry_at


class Permanent(PublishError):
    """The network refused this post; sending it again would fail the same way."""


class AuthFailed(PublishError):
    """Credentials missing, expired or revoked: nothing more goes to this account until fixed."""


# What each SDK's exceptions become, the way httpx maps httpcore's: (the SDK's exception, by
# module and name, so that reading this imports no SDK; the Herald error it becomes; when).
# The one place that decides: the publishers map every SDK exception through it
# (:func:`scheduler.networks.base.sdk_error`), giving only their words and what the exception
# carries.  The most specific row of an exception's classes applies (:func:`sdk_error_class`).
# ``None``: decided by the HTTP status the exception carries, with the one reading of status
# codes (:func:`scheduler.networks.base.status_error`); one that carries none is an answer the
# SDK could not use, Permanent.  requests', urllib3's and httpx's own exceptions never reach a
# publisher: the SDKs send through :mod:`scheduler.http`, which raises the :class:`HttpError`\ s
# above, read by :func:`scheduler.networks.base.transport_errors` (also when an SDK wraps one:
# then the row says ``HttpError``, and one that wraps none is its cause's, else Transient).
SDK_ERRORS: tuple[tuple[str, type[HeraldError] | None, str], ...] = (
    # tweepy (scheduler/networks/x.py)
    ("tweepy.errors.TweepyException", HttpError, "a failed send it wraps: read as that transport error"),
    ("tweepy.errors.HTTPException", None, "an answer: by its status (403 duplicate text: Permanent; 401, 403: "
                                          "AuthFailed; 429 at x-rate-limit-reset)"),
    # Mastodon.py (scheduler/networks/mastodon.py)
    ("mastodon.errors.MastodonError", Transient, "anything else it raises: retried, ambiguous"),
    ("mastodon.errors.MastodonNetworkError", HttpError, "a failed send it wraps; else Transient, ambiguous"),
    ("mastodon.errors.MastodonVersionError", HttpError, "the version could not be asked: why (its cause)"),
    ("mastodon.errors.MastodonRatelimitError", RateLimited, "at the reset Mastodon gave (5 minutes without one)"),
    ("mastodon.errors.MastodonUnauthorizedError", AuthFailed, "the access token refused"),
    ("mastodon.errors.MastodonAPIError", None, "by its status (422 and 404 Permanent); without one, Permanent"),
    ("mastodon.errors.MastodonServerError", None, "by its status (5xx: retried, ambiguous)"),
    # atproto (scheduler/networks/bluesky.py)
    ("atproto_core.exceptions.AtProtocolError", Transient, "anything else it raises: retried, ambiguous"),
    ("atproto_client.exceptions.NetworkError", Transient, "Bluesky cannot be reached: retried, ambiguous"),
    ("atproto_client.exceptions.RequestErrorBase", None, "by its status (429 at ratelimit-reset)"),
    ("atproto_client.exceptions.BadRequestError", None, "by its status (400 Permanent); at login, AuthFailed"),
    ("atproto_client.exceptions.UnauthorizedError", AuthFailed, "the app password refused (a saved session: "
                                                                "one fresh login first)"),
)


def sdk_error_class(exc_type: type[BaseException]) -> tuple[type[HeraldError] | None, str] | None:
    """The row of :data:`SDK_ERRORS` for ``exc_type``: its most specific class that has one
    (the Herald error, or None for "by its status", and when); None if no class has a row."""
    rows = {name: (herald, when) for name, herald, when in SDK_ERRORS}
    for cls in exc_type.__mro__:
        row = rows.get(f"{cls.__module__}.{cls.__qualname__}")
        if row is not None:
            return row
    return None


class FeedRefused(FeedError):
    """A status feed answered other than 200 or 304; a 429/503 may have said when to come back
    (``not_before``, from its Retry-After), which the backoff then honours."""

    def __init__(self, status: int, not_before: datetime | None = None):
        super().__init__(f"HTTP {status}")
        self.not_before = not_before
