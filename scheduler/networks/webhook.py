"""The webhook channel: an HTTP POST of a JSON body to your own endpoint.

Body: ``key``, ``post``, ``kind``, ``network``, ``scheduled_at`` (ISO 8601), ``text``,
``links``, ``source``, ``campaign``, ``reply_to`` (the first post's remote id, for
threads) and ``image``.  Headers:

- ``Idempotency-Key``: the publication key.  A receiver that keeps the keys it has
  seen turns the rare re-send after a crash into a no-op: this is how the webhook
  closes the gap between "sent" and "recorded".
- ``X-Herald-Signature: sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` with the
  secret from the environment variable named by ``secret_env``, and
  ``X-Herald-Timestamp``, so a receiver can reject forged or replayed calls.

Optional ``lookup_url``: a GET endpoint (``?key=…``) answering 200 for a key it has
received and 404 otherwise; with it, Herald reconciles an ambiguous send before
retrying instead of relying on the receiver to drop the duplicate.

Responses: 2xx and 409 (already received) are success; 429 waits for ``Retry-After``;
408, 425 and 5xx and timeouts retry with backoff; 401/403 stop the account; any other
4xx is permanent, with the receiver's message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from ..clock import Clock
from .base import (
    AuthFailed,
    ConfigError,
    OutgoingPost,
    Permanent,
    Publisher,
    RateLimited,
    RemoteRef,
    Transient,
    redact_url,
    transport_errors,
)

USER_AGENT = "Herald/0.1 (+https://herald.example)"


def retry_at_from(headers: Any, now: datetime, default: float = 60.0) -> datetime:
    """When to try again after a 429/503: Retry-After (seconds or HTTP date), X-RateLimit-Reset."""
    value = headers.get("Retry-After")
    if value:
        try:
            return now + timedelta(seconds=max(0.0, float(value)))
        except ValueError:
            try:
                return max(now, parsedate_to_datetime(value).astimezone(UTC))
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset") or headers.get("x-rate-limit-reset")
    if reset:
        try:
            stamp = float(reset)
            return max(now, datetime.fromtimestamp(stamp, UTC)) if stamp > 1e9 else now + timedelta(seconds=stamp)
        except ValueError:
            pass
    return now + timedelta(seconds=default)


def _message(response: requests.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    try:
        body = response.json()
        if isinstance(body, dict):
            text = str(body.get("error") or body.get("message") or body.get("detail") or text)
    except ValueError:
        pass
    return f"HTTP {response.status_code}: {text[:300]}" if text else f"HTTP {response.status_code}"


class WebhookPublisher(Publisher):
    def __init__(self, name: str, options: dict[str, Any], clock: Clock, env: dict[str, str] | None = None,
                 session: requests.Session | None = None):
        super().__init__(name, "webhook")
        env = os.environ if env is None else env
        self.url = options["url"]
        self.lookup_url = options.get("lookup_url")
        self.timeout = float(options.get("timeout", 10))
        self.clock = clock
        self.secret: bytes | None = None
        if options.get("secret_env"):
            value = env.get(options["secret_env"])
            if not value:
                raise ConfigError(f"network {name!r}: set the environment variable {options['secret_env']} "
                                  "to the webhook's signing secret (or remove secret_env)")
            self.secret = value.encode()
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def describe(self) -> str:
        return f"{self.name} (webhook to {redact_url(self.url)})"

    def body(self, post: OutgoingPost) -> bytes:
        payload = {
            "key": post.key, "post": post.post, "kind": post.kind, "network": post.network,
            "scheduled_at": post.scheduled_at.isoformat(), "text": post.text, "links": post.links,
            "source": post.source, "campaign": post.campaign, "title": post.title or None,
            "reply_to": post.reply_to.id if post.reply_to else None, "image": post.image, **post.extra,
        }
        return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")

    def headers(self, post: OutgoingPost, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": post.key}
        if self.secret is not None:
            stamp = str(int(self.clock.now().timestamp()))
            digest = hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            headers["X-Herald-Timestamp"] = stamp
            headers["X-Herald-Signature"] = f"sha256={digest}"
        return headers

    def publish(self, post: OutgoingPost) -> RemoteRef:
        body = self.body(post)
        where = redact_url(self.url)
        with transport_errors(self.name, where, self.timeout):
            response = self.session.post(self.url, data=body, headers=self.headers(post, body), timeout=self.timeout)
        return self._result(response, post)

    def _result(self, response: requests.Response, post: OutgoingPost) -> RemoteRef:
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            remote_id = post.key
            try:
                data = response.json()
                if isinstance(data, dict) and data.get("id"):
                    remote_id = str(data["id"])
            except ValueError:
                pass
            return RemoteRef(remote_id)
        if status == 429:
            raise RateLimited(self.name, retry_at_from(response.headers, self.clock.now()), _message(response))
        if status in (408, 425) or status >= 500:
            retry_after = None
            if "Retry-After" in response.headers:
                retry_after = (retry_at_from(response.headers, self.clock.now()) - self.clock.now()).total_seconds()
            raise Transient(self.name, _message(response), retry_after=retry_after, ambiguous=status >= 500)
        if status in (401, 403):
            raise AuthFailed(self.name, f"{redact_url(self.url)} refused the credentials ({_message(response)})")
        raise Permanent(self.name, _message(response))

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        if not self.lookup_url:
            return None  # the Idempotency-Key header makes a re-send harmless
        try:
            response = self.session.get(self.lookup_url, params={"key": post.key}, timeout=self.timeout)
        except requests.RequestException:
            raise Transient(self.name, f"cannot reach {redact_url(self.lookup_url)} to reconcile") from None
        if response.status_code == 404:
            return None
        return self._result(response, post)  # a 2xx is the remote copy; an error status raises

    def close(self) -> None:
        self.session.close()
