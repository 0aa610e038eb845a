"""Credentials for network accounts: from the environment or a secrets file, never the calendar.

Each network type needs a few values (``REQUIRED``). For an account named ``x_main``
they are read from environment variables ``HERALD_X_MAIN_<KEY>`` (or ``<env_prefix><KEY>``
when the account sets ``env_prefix``), and from the ``secrets_file`` the account names
(``KEY=value`` lines, dotenv syntax, path relative to the calendar), the environment
winning. A missing value is a start-up error naming the variable to set. Values never
appear in messages, logs or ``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from dotenv import dotenv_values

from campaigns.model import Account

from .base import ConfigError

# Optional: with all three, LinkedIn and Pinterest refresh expiring access tokens themselves.
OPTIONAL: dict[str, tuple[str, ...]] = {
    "linkedin": ("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET"),
    "pinterest": ("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET"),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "x": ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"),
    "mastodon": ("ACCESS_TOKEN",),
    "bluesky": ("APP_PASSWORD",),
    "threads": ("ACCESS_TOKEN",),
    "facebook": ("PAGE_ACCESS_TOKEN",),
    "instagram": ("ACCESS_TOKEN",),
    "linkedin": ("ACCESS_TOKEN",),
    "pinterest": ("ACCESS_TOKEN",),
    "slack": ("WEBHOOK_URL",),
    "discord": ("WEBHOOK_URL",),
    "teams": ("WEBHOOK_URL",),
    "telegram": ("BOT_TOKEN",),
}


class Secrets(dict):
    """A dict of credential values that never shows them."""

    def __repr__(self) -> str:
        return f"Secrets({', '.join(sorted(self))}: redacted)"

    __str__ = __repr__


def env_prefix(account: Account) -> str:
    return account.options.get("env_prefix") or "HERALD_" + account.name.upper().replace("-", "_") + "_"


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
        prefix = env_prefix(account)
        for key, value in dotenv_values(full).items():
            if value is not None:
                found[key[len(prefix):] if key.startswith(prefix) else key] = value
    for key in REQUIRED.get(account.type, ()) + OPTIONAL.get(account.type, ()):
        if env.get(variable(account, key)):
            found[key] = env[variable(account, key)]
    missing = [variable(account, key) for key in REQUIRED.get(account.type, ()) if not found.get(key)]
    if missing:
        raise ConfigError(f"network {account.name!r} ({account.type}) needs credentials: set "
                          + ", ".join(missing) + (" (or put them in its secrets_file)" if not path else ""))
    return Secrets(found)
