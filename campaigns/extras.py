"""The optional parts of Herald's install (``pyproject.toml``'s extras) and what each brings.

The core install runs the calendar, the plan, validation, lint, iCal, the engine with the
site, webhook, chat and REST networks, and ``herald serve``.  A command or network type that
needs more names its :class:`Extra`; when the extra's modules are not installed it stops with
one line saying what to install (:class:`~campaigns.errors.MissingExtra`, exit code 2), never
with an ImportError's traceback.  Whether a module is installed is asked of the import system
(``find_spec``) without importing it: the SDKs take up to a second to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec

from .errors import MissingExtra


@dataclass(frozen=True, slots=True)
class Extra:
    """``pip install 'herald[<name>]'`` installs ``modules`` (the top-level names imported)."""

    name: str
    modules: tuple[str, ...]

    def installed(self) -> bool:
        return all(_importable(module) for module in self.modules)

    def require(self, who: str) -> None:
        """:raises MissingExtra: "<who> needs the <name> extra: pip install 'herald[<name>]'"."""
        if not self.installed():
            raise missing(who, [self])


def missing(who: str, extras: list[Extra]) -> MissingExtra:
    """The one-line error for ``who`` (a command, some accounts) lacking ``extras``."""
    names = [extra.name for extra in extras]
    needs = "need" if who.startswith("networks ") else "needs"
    which = f"the {names[0]} extra" if len(names) == 1 else f"the {', '.join(names[:-1])} and {names[-1]} extras"
    return MissingExtra(f"{who} {needs} {which}: pip install 'herald[{','.join(names)}]'")


def _importable(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that fails to import; a module set to None in sys.modules
        return False


SUGGEST = Extra("suggest", ("sklearn", "numpy", "scipy", "rank_bm25", "charset_normalizer", "stop_words", "lingua",
                            "snowballstemmer"))
X = Extra("x", ("tweepy",))
MASTODON = Extra("mastodon", ("mastodon",))
BLUESKY = Extra("bluesky", ("atproto",))
POSTGRES = Extra("postgres", ("psycopg",))
FAST = Extra("fast", ("uvloop",))  # uvicorn's libuv loop: the site's tail latency; asyncio's loop without it
EXTRAS = (SUGGEST, X, MASTODON, BLUESKY, POSTGRES, FAST)


def providing(module: str | None) -> Extra | None:
    """The extra that installs ``module`` (or its top-level package), if one does."""
    top = (module or "").partition(".")[0]
    return next((extra for extra in EXTRAS if top in extra.modules), None)
