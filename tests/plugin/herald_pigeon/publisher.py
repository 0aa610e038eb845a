"""Pigeon's publisher: ``POST {loft}/coo`` with a bearer token and the publication key as
``Idempotency-Key`` (a second send of a key is answered 409 with the first one's id)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.clock import Clock
from scheduler.http import HttpClient
from scheduler.networks.base import (
    AccountPublisher,
    OutgoingPost,
    RemoteRef,
    json_body,
    status_error,
    transport_errors,
)
from scheduler.networks.credentials import Secrets


class PigeonPublisher(AccountPublisher):
    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 base_dir: str = "."):
        super().__init__(name, "pigeon")
        self.loft = str(options["loft"]).rstrip("/")
        self.token = secrets["TOKEN"]
        self.clock = clock
        self.timeout = float(options.get("timeout", 10))
        self.http = HttpClient(deadline=self.timeout)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        with transport_errors(self.name, self.loft, self.timeout):
            response = self.http.post(f"{self.loft}/coo", json={"key": post.key, "text": post.text},
                                      headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": post.key})
        if 200 <= response.status_code < 300 or response.status_code == 409:
            return RemoteRef(json_body(response).get("id"))
        raise status_error(self.name, response.status_code, f"Pigeon answered HTTP {response.status_code}",
                           headers=response.headers, now=self.clock.now())

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return None  # the Idempotency-Key makes a re-send harmless

    def close(self) -> None:
        self.http.close()
