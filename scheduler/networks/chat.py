"""The shared base of the chat networks (Slack, Discord, Teams, Telegram): webhooks and bots.

None of them honours an idempotency key and none lets a webhook list what it posted, so
``safe_to_resend`` is False: after an ambiguous failure the engine asks a person instead
of risking a duplicate.
"""

from __future__ import annotations

from typing import Any

import requests

from ..clock import Clock
from .base import AuthFailed, OutgoingPost, Permanent, Publisher, RateLimited, RemoteRef, Transient, transport_errors
from .credentials import Secrets
from .webhook import USER_AGENT, retry_at_from


class _HttpChat(Publisher):
    safe_to_resend = False
    api_url = ""

    def __init__(self, name: str, type_: str, options: dict[str, Any], secrets: Secrets, clock: Clock,
                 session: requests.Session | None = None, base_dir: str = "."):
        super().__init__(name, type_)
        self.base_dir = base_dir
        self.options = options
        self.secrets = secrets
        self.clock = clock
        self.timeout = float(options.get("timeout", 10))
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _post(self, url: str, payload: dict[str, Any], shown: str, files: dict | None = None) -> requests.Response:
        with transport_errors(self.name, shown, self.timeout):
            if files:  # multipart: the JSON goes in a field, as these APIs expect
                return self.session.post(url, data=payload, files=files, timeout=self.timeout)
            return self.session.post(url, json=payload, timeout=self.timeout)

    def _fail(self, response: requests.Response, message: str) -> None:
        status = response.status_code
        if status == 429:
            raise RateLimited(self.name, retry_at_from(response.headers, self.clock.now()), message)
        if status >= 500 or status == 408:
            raise Transient(self.name, message, ambiguous=status >= 500)
        if status in (401, 403, 404, 410):
            raise AuthFailed(self.name, message)
        raise Permanent(self.name, message)

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return None  # a webhook cannot list what it posted

    def close(self) -> None:
        self.session.close()
