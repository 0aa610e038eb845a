"""Meta's Graph APIs (Facebook Pages, Instagram, Threads): the token as ``access_token``, and
Meta's error format.

Meta's three share one error format, ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``, mapped here: code 190 (expired or invalid token) and
10/200-299 (permissions) stop the account; 4, 17, 32, 613 and 80001-80014 (rate limits)
wait (``X-Business-Use-Case-Usage`` gives ``estimated_time_to_regain_access`` in
minutes); 506 (duplicate post) and 100 (invalid parameter) are permanent; 1, 2 and 5xx
retry.  An answer without Meta's error body goes through the shared rule.

- Facebook Page: ``POST /{page}/feed`` (``/photos`` with an image); a thread's later
  updates are comments on the first post.
- Instagram: a container (``POST /{user}/media`` with ``image_url`` and caption), then
  ``POST /{user}/media_publish``; later updates are comments. Needs an image url.
- Threads: a container (``POST /{user}/threads``, ``reply_to_id`` for replies), then
  ``/threads_publish``.

None honours an idempotency key, but each can list recent posts: ``find_recent``
compares texts, so ambiguous sends are reconciled.  (Pinterest and LinkedIn, also REST
APIs with tokens, are in :mod:`.pinterest` and :mod:`.linkedin` over :mod:`.rest`.)
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ..errors import AuthFailed, Permanent, PublishError, RateLimited, Transient
from ..http import Response
from .base import OutgoingPost, RemoteRef, json_body, status_error
from .rest import RestPublisher, same_text

RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))


class MetaPublisher(RestPublisher):
    """The Graph API family: the token as ``access_token``, Meta's error format."""

    def params(self, **values: Any) -> dict[str, Any]:
        return {**{k: v for k, v in values.items() if v is not None}, "access_token": self.token}

    def _with_token(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        for part in ("data", "params"):
            if isinstance(kwargs.get(part), dict) and "access_token" in kwargs[part]:
                kwargs = {**kwargs, part: {**kwargs[part], "access_token": self.token}}
        return kwargs

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One Graph call's JSON answer."""
        return json_body(self.request(method, path, **kwargs))

    def error(self, response: Response) -> PublishError:
        error = json_body(response).get("error") or {}
        if not isinstance(error, dict) or not error:
            return super().error(response)
        code = _code(error)
        detail = f"{error.get('type', 'error')} {code}: {error.get('message', '')}".strip()
        if code == 190 or code == 10 or 200 <= code <= 299:
            return AuthFailed(self.name, detail)
        usage = response.headers.get("X-Business-Use-Case-Usage")
        if (code in RATE_CODES or response.status_code == 429) and (usage or response.status_code != 429):
            return RateLimited(self.name, self.clock.now() + timedelta(minutes=_minutes_to_regain(usage)), detail)
        if code == 506:
            return Permanent(self.name, f"{detail} (the network refuses a duplicate post; vary the wording)")
        if code in (1, 2) and response.status_code < 500:  # "unknown error", "service unavailable"
            return Transient(self.name, detail, ambiguous=True)
        # everything else by the one reading of status codes (429 and Retry-After, 408, 5xx, 401/403…)
        return status_error(self.name, response.status_code, detail, headers=response.headers, now=self.clock.now(),
                            wait=15 * 60)

    def comment(self, post: OutgoingPost) -> RemoteRef:
        """A later update of a thread, as a comment on the first post (Facebook Pages, Instagram)."""
        assert post.reply_to is not None and post.reply_to.id is not None
        data = self.call("POST", f"/{post.reply_to.id}/comments", data=self.params(message=post.text))
        return RemoteRef(str(data["id"]), post.reply_to.url)

    def find_in(self, path: str, field: str, post: OutgoingPost, url_field: str = "permalink") -> RemoteRef | None:
        data = self.call("GET", path, params=self.params(fields=f"id,{field},{url_field}", limit=25))
        for item in data.get("data", []):
            if same_text(item.get(field, ""), post.text):
                return RemoteRef(str(item["id"]), item.get(url_field))
        return None


def _minutes_to_regain(usage: str | None) -> float:
    """Meta's own wait from ``X-Business-Use-Case-Usage`` (its rate limits, codes 4, 17, 32,
    613…, mostly come as 400s and 403s); 15 minutes when it does not say."""
    if not usage:
        return 15
    try:
        return float(max([v.get("estimated_time_to_regain_access", 0) for items in json.loads(usage).values()
                        for v in items] + [1]))
    except (ValueError, AttributeError, TypeError):
        return 15


def _code(error: dict[str, Any]) -> int:
    """The Graph API's error code (0 when missing or not a number)."""
    try:
        return int(error.get("code") or 0)
    except (TypeError, ValueError):
        return 0
