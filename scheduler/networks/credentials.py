"""Credentials for network accounts: from the environment or a secrets file, never the calendar.

Each network type names the values it needs in its record (``secrets`` and
``optional_secrets`` of :class:`campaigns.networks.NetworkType`). For an account named ``x_main``
they are read from environment variables ``HERALD_X_MAIN_<KEY>`` (or ``<env_prefix><KEY>``
when the account sets ``env_prefix``), and from the ``secrets_file`` the account names
(``KEY=value`` lines, dotenv syntax, path relative to the calendar), the environment
winning. A missing value is a start-up error naming the variable to set. Values never
appear in messages, logs or ``repr``: each one is registered with
:func:`scheduler.redaction.register` the moment it is read (a URL-valued one with its path
and query values too, since request logs show those without the host).

A secrets file that its group or others can read is refused, as ssh refuses such a key:
``chmod 600 <file>``. Where that cannot be helped (a file mounted read-only by a
container platform), set ``HERALD_ALLOW_READABLE_SECRETS=1`` in the environment.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from urllib.parse import SplitResult, parse_qsl, urlsplit

from dotenv import dotenv_values

from campaigns.errors import ConfigError
from campaigns.model import Account
from campaigns.networks import NETWORK_TYPES

from ..redaction import register

ALLOW_READABLE = "HERALD_ALLOW_READABLE_SECRETS"

def register_secret(value: str) -> None:
    """Treat a credential ``value`` as a secret from now on; for a URL also its path and query
    values (a chat webhook's secret is its path, and request logs show the path without the host)."""
    register(value)
    parts = _url(value)
    if parts is not None:
        if parts.path.strip("/"):
            register(parts.path, parts.path + ("?" + parts.query if parts.query else ""))
        register(parts.password, *(v for _, v in parse_qsl(parts.query)))


def register_url_secrets(url: str) -> None:
    """For a URL written in the calendar (a webhook's): register the parts that carry secrets,
    its password, query values and token-like path segments, not the whole URL."""
    parts = _url(url)
    if parts is not None:
        register(parts.password, *(v for _, v in parse_qsl(parts.query)),
                 *(s for s in parts.path.split("/") if _TOKEN_LIKE.match(s)))


_TOKEN_LIKE = re.compile(r"^[A-Za-z0-9_\-:.=~+]{16,}$")


def _url(value: str) -> SplitResult | None:
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return parts if parts.scheme in ("http", "https") and parts.netloc else None


def check_private(account: Account, shown: str, full: str, env: Mapping[str, str]) -> None:
    """Refuse a secrets file its group or others may read (unless ``HERALD_ALLOW_READABLE_SECRETS=1``).

    :raises ConfigError: naming the file and the command that fixes it
    """
    mode = stat.S_IMODE(os.stat(full).st_mode)
    if mode & 0o077 and env.get(ALLOW_READABLE) != "1":
        raise ConfigError(f"network {account.name!r}: permissions {mode:04o} for secrets_file {shown} are too open "
                          f"(others can read the credentials in it); run: chmod 600 {full} "
                          f"(or set {ALLOW_READABLE}=1 where that cannot be helped)")


class Secrets(dict[str, str]):
    """A dict of credential values that never shows them."""

    def __repr__(self) -> str:
        return f"Secrets({', '.join(sorted(self))}: redacted)"

    __str__ = __repr__


def env_prefix(account: Account) -> str:
    return str(account.options.get("env_prefix") or "") or "HERALD_" + account.name.upper().replace("-", "_") + "_"


def variable(account: Account, key: str) -> str:
    return env_prefix(account) + key


def credentials(account: Account, env: Mapping[str, str] | None = None, base_dir: str = ".") -> Secrets:
    """The account's credential values.

    :raises ConfigError: naming every variable that is missing, or an unreadable secrets file
    """
    env = os.environ if env is None else env
    found: dict[str, str] = {}
    path = account.options.get("secrets_file")
    if path:
        full = path if os.path.isabs(path) else os.path.join(base_dir, path)
        if not os.path.exists(full):
            raise ConfigError(f"network {account.name!r}: secrets_file {path} does not exist")
        check_private(account, path, full, env)
        prefix = env_prefix(account)
        for key, value in dotenv_values(full).items():
            if value is not None:
                found[key[len(prefix):] if key.startswith(prefix) else key] = value
    kind = NETWORK_TYPES[account.type]
    for key in kind.secrets + kind.optional_secrets:
        if env.get(variable(account, key)):
            found[key] = env[variable(account, key)]
    missing = [variable(account, key) for key in kind.secrets if not found.get(key)]
    if missing:
        raise ConfigError(f"network {account.name!r} ({account.type}) needs credentials: set "
                          + ", ".join(missing) + (" (or put them in its secrets_file)" if not path else ""))
    for value in found.values():
        register_secret(value)
    return Secrets(found)
