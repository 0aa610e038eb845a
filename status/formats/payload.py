"""Reading an alert webhook's JSON strictly: each field checked for its type, each problem a
:class:`BadPayload` that names the field (``alerts[0].labels``), answered 422 with the sentence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from campaigns.errors import BadPayload
from status.edit import visible


def get(obj: Any, key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    """``obj[key]``, of type ``kind``; missing or null: ``default`` (when given)."""
    if not isinstance(obj, dict):
        raise BadPayload(f"{where or 'the body'}: expected a JSON object")
    if key not in obj or obj[key] is None:
        if default is ...:
            raise BadPayload(f"{where + '.' if where else ''}{key}: missing")
        return default
    if not isinstance(obj[key], kind):
        raise BadPayload(f"{where + '.' if where else ''}{key}: expected {getattr(kind, '__name__', kind)}")
    return obj[key]


def when(text: str, where: str) -> datetime:
    """An ISO 8601 time (UTC when it names no zone)."""
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadPayload(f"{where}: {visible(text, 60)!r} is not an ISO 8601 time") from None
    if not 1970 <= found.year <= 9000:  # a time no alert has (and one no time zone arithmetic overflows on)
        raise BadPayload(f"{where}: {visible(text, 60)!r} is not a time an alert has")
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def strings(obj: Any, where: str) -> dict[str, str]:
    """An object whose values are all strings (labels)."""
    if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
        raise BadPayload(f"{where}: expected an object of strings")
    return {str(k): v for k, v in obj.items()}
