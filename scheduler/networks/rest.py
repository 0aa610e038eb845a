"""The shared base of the publishers that speak to a JSON REST API with a token: Meta's Graph
APIs (:mod:`.graph`), LinkedIn and Pinterest; and the store of their refreshed OAuth tokens.

:meth:`RestPublisher.request` sends one call (refreshing an expiring token first where the
network can), maps a refused answer to Herald's errors (:meth:`RestPublisher.error`, which
networks refine with their own error codes) and returns the response;
:func:`.base.json_body` reads its JSON.  Refreshed tokens are registered as secrets the moment they arrive and stored in
``.herald/tokens/<account>.json`` (mode 600, written atomically).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..clock import Clock
from ..errors import AuthFailed, PublishError
from ..files import write_atomic
from ..http import HttpClient, Response
from ..redaction import register
from .base import AccountPublisher, json_body, status_error, transport_errors
from .credentials import Secrets

URL_RE = re.compile(r"https?://\S+")


def same_text(a: str, b: str) -> bool:
    """The same post text, links aside (networks shorten or rewrite them) and spacing aside."""

    def norm(text: str) -> str:
        return " ".join(URL_RE.sub(" ", text or "").split())

    return norm(a) == norm(b)


class TokenStore:
    """Refreshed OAuth tokens, kept next to the ledger (``.herald/tokens/<account>.json``, mode 600).

    The configured token (environment or secrets file) seeds it; if the operator later
    configures a different token, that one wins again."""

    def __init__(self, base_dir: str, account: str, configured: str, now: datetime):
        self.path = os.path.join(base_dir, ".herald", "tokens", f"{account}.json")
        self.seed = hashlib.sha256(configured.encode()).hexdigest()
        data: dict[str, Any] = {}
        try:
            with open(self.path) as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            pass
        self.data = data
        if data.get("seed") != self.seed:  # first use of this configured token: remember when
            self.data = {"seed": self.seed, "access_token": configured, "refreshed_at": now.isoformat()}
            self._write()
        register(self.data.get("access_token"), self.data.get("refresh_token"))

    @property
    def token(self) -> str:
        return str(self.data["access_token"])

    @property
    def refreshed_at(self) -> datetime:
        return datetime.fromisoformat(self.data["refreshed_at"])

    @property
    def expires_at(self) -> datetime | None:
        value = self.data.get("expires_at")
        return datetime.fromisoformat(value) if value else None

    def save(self, token: str, now: datetime, expires_in: float | None, refresh_token: str | None = None) -> None:
        register(token, refresh_token)
        self.data.update(access_token=token, refreshed_at=now.isoformat(),
                         expires_at=(now + timedelta(seconds=expires_in)).isoformat() if expires_in else None)
        if refresh_token:
            self.data["refresh_token"] = refresh_token
        self._write()

    def _write(self) -> None:
        write_atomic(self.path, json.dumps(self.data), mode=0o600)


class RestPublisher(AccountPublisher):
    """A JSON API with a token. Subclasses set ``host`` (``api_url`` in the options overrides it)."""

    host = ""
    type_ = ""
    refresh_every: timedelta | None = None  # refresh this often even without an expiry date

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 base_dir: str = "."):
        super().__init__(name, self.type_)
        self.options = options
        self.secrets = secrets
        self.clock = clock
        self.timeout = float(options.get("timeout", 10))
        self.base = str(options.get("api_url", self.host)).rstrip("/")
        self.base_dir = base_dir
        self.http = HttpClient(deadline=self.timeout)
        self.headers: dict[str, str] = {}  # sent with every call (API versions, protocol headers)
        configured = secrets.get("PAGE_ACCESS_TOKEN") or secrets.get("ACCESS_TOKEN") or ""
        self.tokens = TokenStore(base_dir, name, configured, clock.now()) if self.can_refresh() else None

    @property
    def token(self) -> str:
        if self.tokens is not None:
            return self.tokens.token
        return self.secrets.get("PAGE_ACCESS_TOKEN") or self.secrets["ACCESS_TOKEN"]

    def can_refresh(self) -> bool:
        return False

    def refresh(self) -> None:
        """Get a new access token and store it (networks that can)."""

    def _refresh_due(self, now: datetime) -> bool:
        if self.tokens is None:
            return False
        expires = self.tokens.expires_at
        if expires is not None:
            return expires - now <= timedelta(days=1)
        return self.refresh_every is not None and now - self.tokens.refreshed_at >= self.refresh_every

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        """One call to ``base + path`` (or to an absolute URL); a 2xx response, or the error for it.

        :raises Transient, RateLimited, Permanent, AuthFailed:
        """
        if self._refresh_due(self.clock.now()):
            self.refresh()
            kwargs = self._with_token(kwargs)  # built before the refresh: carry the new token
        try:
            return self._request(method, path, **kwargs)
        except AuthFailed:
            if self.tokens is None:
                raise
            self.refresh()  # the token expired before we knew: refresh once, try once more
            return self._request(method, path, **self._with_token(kwargs))

    def _with_token(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return kwargs

    def _request(self, method: str, path: str, **kwargs: Any) -> Response:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        headers = {**self.headers, **kwargs.pop("headers", {})}
        with transport_errors(self.name, self.type, self.timeout):
            response = self.http.request(method, url, headers=headers, **kwargs)
        if 200 <= response.status_code < 300:
            return response
        raise self.error(response)

    def error(self, response: Response) -> PublishError:
        """The error for a refused call, by the shared rule (a rate limit without a reset waits 15 minutes)."""
        detail = f"HTTP {response.status_code}: {response.text.strip()[:200]}"
        return status_error(self.name, response.status_code, detail, headers=response.headers,
                            now=self.clock.now(), wait=900)

    def close(self) -> None:
        self.http.close()


class OAuthRefreshPublisher(RestPublisher):
    """Bearer-token APIs that can refresh with REFRESH_TOKEN, CLIENT_ID and CLIENT_SECRET, if given."""

    def can_refresh(self) -> bool:
        return all(self.secrets.get(k) for k in ("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET"))

    def _request(self, method: str, path: str, **kwargs: Any) -> Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.token}"}
        return super()._request(method, path, headers=headers, **kwargs)

    def refresh(self) -> None:
        assert self.tokens is not None
        form = {"grant_type": "refresh_token",
                "refresh_token": self.tokens.data.get("refresh_token") or self.secrets["REFRESH_TOKEN"]}
        with transport_errors(self.name, f"{self.type} (to refresh the token)", self.timeout):
            response = self.oauth_post(form)
        if response.status_code != 200:
            raise AuthFailed(self.name, f"{self.type} refused to refresh the token (HTTP {response.status_code}); "
                                        "authorise Herald again")
        data = json_body(response)
        if not data.get("access_token"):
            raise AuthFailed(self.name, f"{self.type} answered the token refresh without a token; authorise Herald "
                                        "again")
        self.tokens.save(str(data["access_token"]), self.clock.now(), data.get("expires_in"), data.get("refresh_token"))

    def oauth_post(self, form: dict[str, str]) -> Response:
        raise NotImplementedError
