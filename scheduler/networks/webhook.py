"""The webhook channel: an HTTP POST of a JSON body to your own endpoint.

Body: ``key``, ``post``, ``kind``, ``network``, ``scheduled_at`` (ISO 8601), ``text``,
``links``, ``source``, ``campaign``, ``title``, ``image``, and for threads ``thread_key``
(the publication key of the thread's first post: a receiver can always thread with it)
and ``reply_to`` (the first post's id as the receiver gave it, when it gave one).
Headers:

- ``Idempotency-Key``: the publication key.  A receiver that keeps the keys it has
  seen turns the rare re-send after a crash into a no-op: this is how the webhook
  closes the gap between "sent" and "recorded".
- ``X-Herald-Signature: sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` with the
  secret from the environment variable named by ``secret_env``, and
  ``X-Herald-Timestamp``, so a receiver can reject forged or replayed calls.

Optional ``lookup_url``: a GET endpoint (``?key=…``) answering 200 (with ``{"id": …}``)
for a key it has received and 404 otherwise; with it, Herald reconciles an ambiguous
send before retrying instead of relying on the receiver to drop the duplicate.

Responses: 2xx and 409 (already received) are success, and the JSON body's ``id`` is
recorded as the post's remote id.  Without one, a 409 asks ``lookup_url`` for it (when
configured); otherwise no remote id is recorded (replies then carry ``thread_key`` only,
never a made-up ``reply_to``).  429 waits for ``Retry-After``; 408, 425 and 5xx and
timeouts retry with backoff; 401/403 stop the account; any other 4xx is permanent, with
the receiver's message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests

from campaigns.errors import ConfigError
from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import PublishError
from ..http import HttpClient, Response
from ..redaction import redact_url
from .base import OutgoingPost, Publisher, RemoteRef, status_error, transport_errors
from .credentials import register_secret, register_url_secrets

if TYPE_CHECKING:
    from campaigns.model import Account, Calendar

log = logging.getLogger("herald.networks.webhook")



def _message(response: Response) -> str:
    text = response.text.strip().replace("\n", " ")
    try:
        body = response.json()
        if isinstance(body, dict):
            text = str(body.get("error") or body.get("message") or body.get("detail") or text)
    except ValueError:
        pass
    return f"HTTP {response.status_code}: {text[:300]}" if text else f"HTTP {response.status_code}"


class WebhookPublisher(Publisher):
    def __init__(self, name: str, options: Mapping[str, Any], clock: Clock, env: Mapping[str, str] | None = None,
                 session: requests.Session | None = None):
        super().__init__(name, BuiltinType.WEBHOOK)
        env = os.environ if env is None else env
        self.url = str(options["url"])
        self.lookup_url: str | None = options.get("lookup_url")
        self.timeout = float(options.get("timeout", 10))
        self.clock = clock
        self.secret: bytes | None = None
        for url in (self.url, self.lookup_url):
            if url:
                register_url_secrets(url)  # a token in its query or path never reaches a log
        if options.get("secret_env"):
            value = env.get(options["secret_env"])
            if not value:
                raise ConfigError(f"network {name!r}: set the environment variable {options['secret_env']} "
                                  "to the webhook's signing secret (or remove secret_env)")
            register_secret(value)
            self.secret = value.encode()
        self.http = HttpClient(session, deadline=self.timeout)

    @classmethod
    def built_from(cls, account: Account, calendar: Calendar, *, env: Mapping[str, str],
                   base_dir: str) -> dict[str, Any]:
        secret_env = account.options.get("secret_env")
        return {**super().built_from(account, calendar, env=env, base_dir=base_dir),
                "secret": env.get(secret_env) if secret_env else None}

    @classmethod
    def from_account(cls, account: Account, calendar: Calendar, *, clock: Clock, env: Mapping[str, str],
                     base_dir: str) -> WebhookPublisher:
        return cls(account.name, account.options, clock, env=env)

    def describe(self) -> str:
        return f"{self.name} (webhook to {redact_url(self.url)})"

    def body(self, post: OutgoingPost) -> bytes:
        payload = {
            "key": post.key, "post": post.post, "kind": post.kind, "network": post.network,
            "scheduled_at": post.scheduled_at.isoformat(), "text": post.text, "links": post.links,
            "source": post.source, "campaign": post.campaign, "title": post.title or None,
            "reply_to": post.reply_to.id if post.reply_to else None, "thread_key": post.thread_key,
            "image": post.image, **post.extra,
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
        with transport_errors(self.name, redact_url(self.url), self.timeout):
            response = self.http.post(self.url, data=body, headers=self.headers(post, body))
        status = response.status_code
        if 200 <= status < 300:
            return RemoteRef(_remote_id(response))
        if status == 409:  # already received: its id, from the answer or else from the lookup endpoint
            remote_id = _remote_id(response)
            if remote_id is None and self.lookup_url:
                try:
                    found = self.find_recent(post)
                except PublishError as exc:
                    log.warning("%s: %s was already received; its id is unknown (%s)", self.name, post.key, exc.detail)
                    found = None
                remote_id = found.id if found is not None else None
            return RemoteRef(remote_id)
        raise self.error(response)

    def error(self, response: Response) -> PublishError:
        message = _message(response)
        if response.status_code in (401, 403):
            message = f"{redact_url(self.url)} refused the credentials ({message})"
        return status_error(self.name, response.status_code, message, headers=response.headers, now=self.clock.now())

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        if not self.lookup_url:
            return None  # the Idempotency-Key header makes a re-send harmless
        with transport_errors(self.name, f"{redact_url(self.lookup_url)} (to reconcile)", self.timeout):
            response = self.http.get(self.lookup_url, params={"key": post.key})
        if response.status_code == 404:
            return None
        if 200 <= response.status_code < 300:
            return RemoteRef(_remote_id(response))
        raise self.error(response)

    def close(self) -> None:
        self.http.close()


def _remote_id(response: Response) -> str | None:
    """The receiver's ``id`` for the post in a JSON answer, if it gave one."""
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("id") not in (None, ""):
        return str(data["id"])
    return None
