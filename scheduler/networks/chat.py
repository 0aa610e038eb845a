"""The shared base of the chat networks (Slack, Discord, Teams, Telegram): webhooks and bots.

None of them honours an idempotency key and none lets a webhook list what it posted, so
``safe_to_resend`` is False: after an ambiguous failure the engine asks a person instead
of risking a duplicate.  A webhook that is gone (404, 410) stops the account like a
refused token does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from ..clock import Clock
from ..errors import PublishError
from ..http import HttpClient, Response
from .base import AccountPublisher, OutgoingPost, RemoteRef, status_error, transport_errors
from .credentials import Secrets


class ChatPublisher(AccountPublisher):
    safe_to_resend = False
    type_ = ""

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 session: requests.Session | None = None, base_dir: str = "."):
        super().__init__(name, self.type_)
        self.base_dir = base_dir
        self.options = options
        self.secrets = secrets
        self.clock = clock
        self.timeout = float(options.get("timeout", 10))
        self.http = HttpClient(session, deadline=self.timeout)

    def _post(self, url: str, payload: dict[str, Any], shown: str,
              files: dict[str, tuple[str, bytes, str]] | None = None) -> Response:
        with transport_errors(self.name, shown, self.timeout):
            if files:  # multipart: the JSON goes in a field, as these APIs expect
                return self.http.post(url, data=payload, files=files)
            return self.http.post(url, json=payload)

    def _get(self, url: str, shown: str) -> Response:
        with transport_errors(self.name, shown, self.timeout):
            return self.http.get(url)

    def fail(self, response: Response, message: str) -> PublishError:
        """The error for a refused request (the caller raises it)."""
        return status_error(self.name, response.status_code, message, headers=response.headers,
                            now=self.clock.now(), gone=(404, 410))

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return None  # a webhook cannot list what it posted

    def close(self) -> None:
        self.http.close()
