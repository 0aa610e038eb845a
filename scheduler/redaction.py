"""Secrets never leave the process in text: redaction by value, in one place.

Every credential Herald loads (environment, secrets file, webhook signing secret, a
refreshed token, a database password) is :func:`register`-ed the moment it is read.
:func:`redact` replaces every registered value, and the secret parts of URLs (user info,
query values, path segments that look like tokens, e.g. Telegram's ``/bot<token>/`` or
Slack's ``/services/T…/B…/<secret>``) with ``***``.

:func:`install` puts a :class:`RedactingFilter` on every handler of the root logger and on
the loggers of the libraries that log requests (urllib3, requests_oauthlib, oauthlib,
tweepy, Mastodon.py, atproto, httpx), so a ``-v`` log shows what happened and never a
credential.  Stored errors (the ledger's ``last_error``), messages printed by the CLI and
exceptions shown to people pass through :func:`redact` too.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

MASK = "***"
MIN_LENGTH = 6  # shorter values ("1", "true") would redact ordinary words

_lock = threading.Lock()
_values: set[str] = set()
_pattern: re.Pattern[str] | None = None

# Path segments that are credentials by shape: long runs of token characters, Telegram's
# bot<id>:<secret>, Slack's and Discord's webhook secrets.
_TOKEN_SEGMENT = re.compile(r"^(?:bot\d+:[A-Za-z0-9_-]+|[A-Za-z0-9_\-]{24,}|[A-Za-z0-9]{16,}=*)$")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization|proxy-authorization|x-api-key|api-key|cookie|set-cookie)"
                          r"(['\"]?\s*[:=]\s*)('[^']*'|\"[^\"]*\"|[^\r\n]*)")
_BOT_TOKEN = re.compile(r"\bbot\d{5,}:[A-Za-z0-9_-]{20,}")
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:access_token|token|key|api_key|apikey|secret|password|sig|signature|"
                           r"client_secret|refresh_token|auth|code)=)[^&\s'\"#]+")


def register(*values: str | bytes | None) -> None:
    """Treat each value as a secret from now on (and the URL-decoded and bytes forms of it)."""
    global _pattern
    fresh: set[str] = set()
    for value in values:
        if value is None:
            continue
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        text = text.strip()
        if len(text) >= MIN_LENGTH:
            fresh.add(text)
            fresh.add(quote(text, safe=""))
    if not fresh - _values:
        return
    with _lock:
        _values.update(fresh)
        ordered = sorted(_values, key=len, reverse=True)  # longest first: no partial leftovers
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def registered() -> frozenset[str]:
    return frozenset(_values)


def forget_all() -> None:
    """For tests: start with no registered secrets."""
    global _pattern
    with _lock:
        _values.clear()
        _pattern = None


def redact_url(url: str) -> str:
    """A URL as safe to show: no user info, query values or token-like path segments."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    host = parts.hostname or ""
    port = _port(parts)
    if port:
        host = f"{host}:{port}"
    segments = [MASK if _TOKEN_SEGMENT.match(s) else s for s in parts.path.split("/")]
    path = "/".join(segments)
    query = "?" + MASK if parts.query else ""
    return f"{parts.scheme}://{host}{path}{query}" if parts.scheme else f"{host}{path}{query}"


def redact(text: Any) -> str:
    """``text`` with every registered secret, secret-bearing URL part and auth header value masked."""
    out = text if isinstance(text, str) else str(text)
    pattern = _pattern
    if pattern is not None:
        out = pattern.sub(MASK, out)
    # Each pattern runs only where its literal part occurs (a quick substring test: a case-blind
    # regex with alternatives walks every position; 0.19 s over lint's 2.5 MB of findings)
    lowered = out.lower()
    if any(word in lowered for word in _AUTH_WORDS) or any(char in out for char in _FOLDS_TO_ASCII):
        out = _AUTH_HEADER.sub(lambda m: m.group(1) + m.group(2) + MASK, out)
    if "bot" in out:
        out = _BOT_TOKEN.sub("bot" + MASK, out)
    if "=" in out:
        out = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, out)
    if "://" not in out:
        return out
    return _URL.sub(lambda m: _url_in_text(m.group(0)), out)


_AUTH_WORDS = ("authorization", "api-key", "cookie")  # what every name _AUTH_HEADER knows contains
# The characters a case-blind pattern matches to an ASCII letter (İ ı ſ K): str.lower() does not
# turn them into those letters, so a text holding one is searched by the pattern itself.
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def _port(parts: Any) -> str:
    """The URL's port as written, or "" (``SplitResult.port`` raises on one that is not a number:
    redaction runs in the log filter and the error printer, and must never fail)."""
    try:
        return str(parts.port or "")
    except ValueError:
        _, _, after = parts.netloc.rpartition("@")
        return after.rpartition(":")[2] if ":" in after else ""


def _url_in_text(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        port = _port(parts)
        if port:
            netloc += f":{port}"
        url = url.replace(parts.netloc, f"{MASK}@{netloc}", 1)
    segments = parts.path.split("/")
    if any(_TOKEN_SEGMENT.match(s) for s in segments):
        url = url.replace(parts.path, "/".join(MASK if _TOKEN_SEGMENT.match(s) else s for s in segments), 1)
    return url


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (with its arguments) through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show it as it is, still redacted
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(message), None
        return True


THIRD_PARTY = ("urllib3", "requests", "requests_oauthlib", "oauthlib", "tweepy", "mastodon", "atproto", "httpx",
               "httpcore", "sqlalchemy", "apscheduler", "watchdog")
_FILTER = RedactingFilter()


def install(handlers: Iterable[logging.Handler] | None = None) -> None:
    """Redact on every handler of the root logger (or ``handlers``) and on the library loggers
    that log requests, whatever handlers they get later."""
    for handler in handlers if handlers is not None else logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    for name in ("herald", *THIRD_PARTY):  # records these log directly, whatever handler gets them
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
