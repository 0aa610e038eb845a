"""The calendar's ``engine.subscribers`` section: whether customers may subscribe to the status
page by email and webhook, and how the mail goes out.  Pure: the secrets (SMTP credentials, the
key that signs links and webhooks) are read by :mod:`scheduler.subscribers.secrets`, never here.

::

    engine:
      subscribers:
        account: status_mail          # HERALD_STATUS_MAIL_SIGNING_KEY (required), _USERNAME, _PASSWORD
        from: Acme status <status@acme.example>
        page: https://status.acme.example/   # links in the mail (default: brand.links.status)
        smtp: {host: smtp.acme.example, port: 587, security: starttls, timeout: 10s}
        rate: 20/second               # mail sent at most, per engine
        confirm_within: 24h           # a confirmation link expires
        catch_up: 1h                  # an update older than this when first seen is not mailed
        attempts: 6                   # per notification, then dead
        disable_after: 10             # a webhook failing this many times in a row is disabled
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from .located import text_at
from .yamlsource import LocDict

if TYPE_CHECKING:
    from .located import LocatedBuilder

SECURITY = ("starttls", "tls", "none")
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_FROM = re.compile(r"^(?:[^<>\r\n]*<([^<>\s]+)>|([^<>\s]+))$")
ACCOUNT_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"


@dataclass(frozen=True)
class SubscriberSettings:
    """What ``engine.subscribers`` says (defaults: the values Statuspage-like pages use)."""

    account: str
    sender: str
    page: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    security: str = "starttls"
    timeout: timedelta = timedelta(seconds=10)
    rate: tuple[int, timedelta] = (20, timedelta(seconds=1))
    confirm_within: timedelta = timedelta(hours=24)
    catch_up: timedelta = timedelta(hours=1)
    attempts: int = 6
    disable_after: int = 10
    secrets_file: str = ""

    @property
    def lease(self) -> timedelta:
        """How long a claimed notification is its engine's: longer than any send can take (its
        deadline twice, and a margin); after it, another engine may send it."""
        return self.timeout * 2 + timedelta(seconds=5)


def schema() -> dict[str, object]:
    """The JSON Schema of ``engine.subscribers`` (placed by :mod:`campaigns.schema`)."""
    duration = {"type": "string", "pattern": r"^\d+\s*(s|m|h|d)$", "x-hint": "a duration like 90s, 30m, 6h or 2d"}
    smtp = {"type": "object", "additionalProperties": False, "required": ["host"], "properties": {
        "host": {"type": "string", "pattern": r"^[A-Za-z0-9.:\[\]-]+$", "x-hint": "a host name, e.g. smtp.example.com"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "security": {"enum": list(SECURITY), "description": "starttls (port 587), tls (port 465) or none"},
        "timeout": duration}}
    return {"type": "object", "additionalProperties": False, "required": ["account", "from", "smtp"],
            "description": "email and webhook subscribers of the status page",
            "properties": {
                "account": {"type": "string", "pattern": ACCOUNT_PATTERN,
                            "x-hint": "a name like status_mail: its secrets are HERALD_STATUS_MAIL_SIGNING_KEY, "
                                      "_USERNAME, _PASSWORD"},
                "from": {"type": "string", "minLength": 3,
                         "description": "the sender, e.g. Acme <status@acme.example>"},
                "page": {"type": "string", "pattern": r"^https?://\S+$", "x-hint": "a full link starting with https://"},
                "secrets_file": {"type": "string", "minLength": 1},
                "smtp": smtp,
                "rate": {"type": "string", "description": "mail sent at most, e.g. 20/second"},
                "confirm_within": duration, "catch_up": duration,
                "attempts": {"type": "integer", "minimum": 1, "maximum": 50},
                "disable_after": {"type": "integer", "minimum": 1, "maximum": 1000}}}


def build(b: LocatedBuilder, raw: object) -> SubscriberSettings | None:
    """The settings of a sound ``engine.subscribers`` (None: absent); every bad value is a
    located problem (the schema reported the forms; here what it cannot say)."""
    if not isinstance(raw, LocDict) or not all(b.ok("engine", "subscribers", k) for k in ("account", "from", "smtp")):
        return None
    sender = text_at(raw, "from")
    match = _FROM.match(sender.strip())
    address = match and (match[1] or match[2])
    sound = bool(address and ADDRESS.match(address))
    if not sound:
        b.error(raw.value_loc("from"), f"from: {sender!r} is not a mail address",
                "write e.g. status@acme.example or Acme status <status@acme.example>")
    settings = _settings(b, raw, sender)
    return settings if sound else None


def _settings(b: LocatedBuilder, raw: LocDict, sender: str) -> SubscriberSettings | None:
    smtp = raw.get("smtp")
    if not isinstance(smtp, LocDict):
        return None
    where = ("engine", "subscribers")
    defaults = SubscriberSettings(account="", sender="")
    rate = b.rate(raw, "rate", *where) or defaults.rate
    if rate[0] < 1:
        b.error(raw.value_loc("rate"), f"rate: {raw['rate']!r} sends nothing", "e.g. 20/second")
        rate = defaults.rate
    return SubscriberSettings(
        account=text_at(raw, "account"), sender=sender.strip(), page=text_at(raw, "page"),
        smtp_host=text_at(smtp, "host"), smtp_port=_int(smtp, "port", 465 if smtp.get("security") == "tls" else 587),
        security=text_at(smtp, "security", "starttls"),
        timeout=_positive(b, smtp, "timeout", (*where, "smtp")) or defaults.timeout, rate=rate,
        confirm_within=_positive(b, raw, "confirm_within", where) or defaults.confirm_within,
        catch_up=_positive(b, raw, "catch_up", where) or defaults.catch_up,
        attempts=_int(raw, "attempts", defaults.attempts),
        disable_after=_int(raw, "disable_after", defaults.disable_after),
        secrets_file=text_at(raw, "secrets_file"))


def _int(container: LocDict, key: str, default: int) -> int:
    value = container.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _positive(b: LocatedBuilder, container: LocDict, key: str, where: tuple[object, ...]) -> timedelta | None:
    value = b.duration(container, key, *where)
    if value is not None and value <= timedelta(0):
        b.error(container.value_loc(key), f"{key}: must be longer than 0", "e.g. 10s, 30m or 24h")
        return None
    return value
