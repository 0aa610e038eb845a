"""The subscribers' secrets, read as network credentials are (:mod:`scheduler.networks.credentials`):
``HERALD_<ACCOUNT>_<NAME>`` in the environment, else the ``secrets_file`` (``KEY=value`` lines,
0600), the environment winning.  ``SIGNING_KEY`` (at least 32 characters) keys every link,
webhook signature and form token; ``USERNAME`` and ``PASSWORD`` sign in to the SMTP server
(both or neither).  Every value is registered for redaction the moment it is read."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field

from dotenv import dotenv_values

from campaigns.errors import ConfigError
from campaigns.subscribers import SubscriberSettings

from ..networks.credentials import ALLOW_READABLE, register_secret

NAMES = ("SIGNING_KEY", "USERNAME", "PASSWORD")
SHORTEST_KEY = 32


@dataclass(frozen=True)
class Keys:
    signing_key: bytes = field(repr=False)
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)


def variable(settings: SubscriberSettings, name: str) -> str:
    return f"HERALD_{settings.account.upper()}_{name}"


def read(settings: SubscriberSettings, env: Mapping[str, str] | None = None, base_dir: str = ".") -> Keys:
    """The keys of ``settings.account``.

    :raises ConfigError: a missing or short signing key, half a login, an unsafe secrets file
    """
    env = os.environ if env is None else env
    found = _from_file(settings, env, base_dir)
    found.update({n: env[variable(settings, n)] for n in NAMES if env.get(variable(settings, n))})
    key = found.get("SIGNING_KEY", "")
    if len(key) < SHORTEST_KEY:
        raise ConfigError(f"engine.subscribers: set {variable(settings, 'SIGNING_KEY')} to {SHORTEST_KEY} random "
                          "characters at least (e.g. the output of: openssl rand -hex 32)")
    if bool(found.get("USERNAME")) != bool(found.get("PASSWORD")):
        raise ConfigError(f"engine.subscribers: set both {variable(settings, 'USERNAME')} and "
                          f"{variable(settings, 'PASSWORD')}, or neither (no SMTP login)")
    for value in found.values():
        register_secret(value)
    return Keys(key.encode(), found.get("USERNAME", ""), found.get("PASSWORD", ""))


def _from_file(settings: SubscriberSettings, env: Mapping[str, str], base_dir: str) -> dict[str, str]:
    path = settings.secrets_file
    if not path:
        return {}
    full = path if os.path.isabs(path) else os.path.join(base_dir, path)
    if not os.path.exists(full):
        raise ConfigError(f"engine.subscribers: secrets_file {path} does not exist")
    mode = stat.S_IMODE(os.stat(full).st_mode)
    if mode & 0o077 and env.get(ALLOW_READABLE) != "1":
        raise ConfigError(f"engine.subscribers: permissions {mode:04o} for secrets_file {path} are too open; "
                          f"run: chmod 600 {full}")
    prefix = f"HERALD_{settings.account.upper()}_"
    return {k.removeprefix(prefix): v for k, v in dotenv_values(full).items() if v is not None}
