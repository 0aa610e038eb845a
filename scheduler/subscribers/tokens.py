"""Everything a subscriber's link or a webhook's signature proves, keyed by the signing key: no
token is stored.  A confirmation token is random (the ledger keeps its SHA-256 and when it
expires); an unsubscribe token and a webhook's secret are HMAC-SHA256 of the subscriber's id under
the key, so every mail can carry one and every engine can sign; the form's CSRF token is an HMAC
of a random cookie value and the time it was issued (double submit, no server state)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

CSRF_LIFETIME = timedelta(hours=2)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What the ledger keeps of a confirmation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _mac(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def unsubscribe_token(key: bytes, subscriber: str) -> str:
    return _mac(key, "unsubscribe", subscriber)


def unsubscribe_ok(key: bytes, subscriber: str, token: str) -> bool:
    return hmac.compare_digest(unsubscribe_token(key, subscriber), token)


def webhook_secret(key: bytes, subscriber: str) -> str:
    """The secret a webhook subscriber verifies signatures with (shown once, when it is added)."""
    return _mac(key, "webhook", subscriber)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``X-Herald-Signature``: ``sha256=`` HMAC-SHA256 of ``<timestamp>.<body>`` under the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def csrf_token(key: bytes, cookie: str, now: datetime) -> str:
    stamp = str(int(now.timestamp()))
    return f"{stamp}.{_mac(key, 'csrf', cookie, stamp)}"


def csrf_ok(key: bytes, cookie: str, token: str, now: datetime) -> bool:
    """Whether ``token`` was issued for ``cookie`` less than :data:`CSRF_LIFETIME` ago."""
    stamp, _, mac = token.partition(".")
    if not cookie or not stamp.isdigit() or not hmac.compare_digest(_mac(key, "csrf", cookie, stamp), mac):
        return False
    return 0 <= now.timestamp() - int(stamp) < CSRF_LIFETIME.total_seconds()
