"""A notice to a webhook subscriber: one signed JSON POST through :mod:`scheduler.http` (its
deadline, size caps and same-host redirects).

Headers: ``X-Herald-Delivery`` (the same for every attempt of one notice to one subscriber: a
receiver drops repeats by it), ``X-Herald-Timestamp`` (Unix seconds) and ``X-Herald-Signature``,
``sha256=`` HMAC-SHA256 of ``<timestamp>.<body>`` under the subscriber's secret (shown once by
``herald subscribers add-webhook``)."""

from __future__ import annotations

import json
from datetime import datetime

from status.notices import Notice

from ..errors import HttpError, Transient
from ..http import HttpClient, Verdict
from ..ledger.subscribers import Subscriber
from ..redaction import redact
from .tokens import signature, webhook_secret


def payload(notice: Notice, base: str, brand: str, delivery: str) -> bytes:
    return json.dumps({"id": delivery, "type": "status.notice", "page": {"name": brand, "url": base},
                       "notice": {"key": notice.key, "subject": notice.subject, "message": notice.message,
                                  "at": notice.at.isoformat(), "components": list(notice.components),
                                  "affected": notice.affected, "url": base + notice.path}},
                      sort_keys=True).encode()


def post(client: HttpClient, key: bytes, subscriber: Subscriber, body: bytes, delivery: str, now: datetime) -> None:
    """POST ``body`` to the subscriber's URL.

    :raises Transient: no answer, or any answer but 2xx (said in one line, without secrets)
    """
    stamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", "X-Herald-Delivery": delivery, "X-Herald-Timestamp": stamp,
               "X-Herald-Signature": signature(webhook_secret(key, subscriber.id), stamp, body)}
    try:
        answer = client.post(subscriber.address, data=body, headers=headers)
    except HttpError as exc:
        raise Transient("webhook", redact(str(exc)).splitlines()[0]) from None
    if answer.verdict is not Verdict.OK:
        raise Transient("webhook", f"HTTP {answer.status_code}", ambiguous=answer.verdict.ambiguous)
