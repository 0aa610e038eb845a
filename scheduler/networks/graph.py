"""Meta's Graph APIs (Facebook Pages, Instagram, Threads), Pinterest v5 and LinkedIn's Posts API, with requests.

Meta's three share one error format, ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``, mapped here: code 190 (expired or invalid token) and
10/200-299 (permissions) stop the account; 4, 17, 32, 613 and 80001-80014 (rate limits)
wait (``X-Business-Use-Case-Usage`` gives ``estimated_time_to_regain_access`` in
minutes); 506 (duplicate post) and 100 (invalid parameter) are permanent; 1, 2 and 5xx
retry.

- Facebook Page: ``POST /{page}/feed`` (``/photos`` with an image); a thread's later
  updates are comments on the first post.
- Instagram: a container (``POST /{user}/media`` with ``image_url`` and caption), then
  ``POST /{user}/media_publish``; later updates are comments. Needs an image url.
- Threads: a container (``POST /{user}/threads``, ``reply_to_id`` for replies), then
  ``/threads_publish``.
- Pinterest: ``POST /v5/pins`` on the account's board, with an image url; no threads.
- LinkedIn: ``POST /rest/posts`` with ``LinkedIn-Version`` and the Rest.li protocol
  header; commentary escaped as LinkedIn's "little text" format requires; no threads.

None honours an idempotency key, but each can list recent posts: ``find_recent``
compares texts, so ambiguous sends are reconciled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime, timedelta
from typing import Any

import requests

from ..clock import Clock
from .base import AuthFailed, OutgoingPost, Permanent, Publisher, RateLimited, RemoteRef, Transient, transport_errors
from .credentials import Secrets
from .webhook import USER_AGENT, retry_at_from

_URL = re.compile(r"https?://\S+")
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(_URL.sub(" ", text or "").split())

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
        self.data.update(access_token=token, refreshed_at=now.isoformat(),
                         expires_at=(now + timedelta(seconds=expires_in)).isoformat() if expires_in else None)
        if refresh_token:
            self.data["refresh_token"] = refresh_token
        self._write()

    def _write(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self.data, fh)
        os.replace(self.path + ".tmp", self.path)


class _Http(Publisher):
    host = ""
    refresh_every: timedelta | None = None  # refresh this often even without an expiry date

    def __init__(self, name: str, type_: str, options: dict[str, Any], secrets: Secrets, clock: Clock,
                 base_dir: str = "."):
        super().__init__(name, type_)
        self.options = options
        self.secrets = secrets
        self.clock = clock
        self.timeout = float(options.get("timeout", 10))
        self.base = options.get("api_url", self.host).rstrip("/")
        self.base_dir = base_dir
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
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

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
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

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        with transport_errors(self.name, self.type, self.timeout):
            response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        if 200 <= response.status_code < 300:
            if not response.content:
                return {"_headers": dict(response.headers)}
            try:
                data = response.json()
            except ValueError:
                return {"_headers": dict(response.headers)}
            if isinstance(data, dict):
                data["_headers"] = dict(response.headers)
            return data
        raise self.error(response)

    def error(self, response: requests.Response) -> Exception:
        status = response.status_code
        detail = f"HTTP {status}: {response.text.strip()[:200]}"
        if status == 429:
            return RateLimited(self.name, retry_at_from(response.headers, self.clock.now(), 900), detail)
        if status >= 500:
            return Transient(self.name, detail, ambiguous=True)
        if status in (401, 403):
            return AuthFailed(self.name, detail)
        return Permanent(self.name, detail)

    def close(self) -> None:
        self.session.close()


class _Meta(_Http):
    """The Graph API family: the token as ``access_token``, Meta's error format."""

    def params(self, **values: Any) -> dict[str, Any]:
        return {**{k: v for k, v in values.items() if v is not None}, "access_token": self.token}

    def _with_token(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        for part in ("data", "params"):
            if isinstance(kwargs.get(part), dict) and "access_token" in kwargs[part]:
                kwargs = {**kwargs, part: {**kwargs[part], "access_token": self.token}}
        return kwargs

    def error(self, response: requests.Response) -> Exception:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if not error:
            return super().error(response)
        code = int(error.get("code") or 0)
        detail = f"{error.get('type', 'error')} {code}: {error.get('message', '')}".strip()
        if code == 190 or code == 10 or 200 <= code <= 299:
            return AuthFailed(self.name, detail)
        if code in RATE_CODES or response.status_code == 429:
            minutes = 15
            usage = response.headers.get("X-Business-Use-Case-Usage")
            if usage:
                try:
                    found = [v.get("estimated_time_to_regain_access", 0)
                             for items in json.loads(usage).values() for v in items]
                    minutes = max(found + [1])
                except (ValueError, AttributeError, TypeError):
                    pass
            return RateLimited(self.name, self.clock.now() + timedelta(minutes=minutes), detail)
        if code == 506:
            return Permanent(self.name, f"{detail} (the network refuses a duplicate post; vary the wording)")
        if code in (1, 2) or response.status_code >= 500:
            return Transient(self.name, detail, ambiguous=True)
        return Permanent(self.name, detail)

    def find_in(self, path: str, field: str, post: OutgoingPost, url_field: str = "permalink") -> RemoteRef | None:
        data = self.request("GET", path, params=self.params(fields=f"id,{field},{url_field}", limit=25))
        for item in data.get("data", []):
            if _same(item.get(field, ""), post.text):
                return RemoteRef(str(item["id"]), item.get(url_field))
        return None


class _OAuthRefresh(_Http):
    """Bearer-token APIs that can refresh with REFRESH_TOKEN, CLIENT_ID and CLIENT_SECRET, if given."""

    token_url = ""

    def can_refresh(self) -> bool:
        return all(self.secrets.get(k) for k in ("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET"))

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        return super()._request(method, path, **kwargs)

    def refresh(self) -> None:
        assert self.tokens is not None
        form = {"grant_type": "refresh_token",
                "refresh_token": self.tokens.data.get("refresh_token") or self.secrets["REFRESH_TOKEN"]}
        try:
            response = self.oauth_post(form)
        except requests.RequestException:
            raise Transient(self.name, f"cannot reach {self.type} to refresh the token") from None
        if response.status_code != 200:
            raise AuthFailed(self.name, f"{self.type} refused to refresh the token (HTTP {response.status_code}); "
                                        "authorise Herald again")
        data = response.json()
        self.tokens.save(data["access_token"], self.clock.now(), data.get("expires_in"), data.get("refresh_token"))

    def oauth_post(self, form: dict[str, str]) -> requests.Response:
        raise NotImplementedError
