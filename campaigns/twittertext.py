"""The one place that knows twitter-text's file layout (twitter-text-parser 3.0).

:mod:`campaigns.xlength` computes X's weighted length with twitter-text's own tables and URL
extractor, without importing the package's ``__init__`` (it compiles the emoji regex, a fifth of
a second). That needs what the package does not promise: the modules ``config``,
``regexp.emoji``, ``regexp.invalid_chars`` and ``extract_urls`` at those paths, the names in them,
and the extractor's modules loaded under a package name of Herald's own. ``pyproject.toml``
bounds the release (``<3.1``); :func:`check` says, naming the installed release, what a release
no longer has, and ``tests/test_adapters.py`` runs it, so the release that moves any of it fails
there, loudly, rather than counting lengths wrongly.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import LibraryChanged

KNOWN = "3.0"  # the release this layout is read from (pyproject.toml: twitter-text-parser>=3.0,<3.1)
PRIVATE = "herald_twitter_text_urls"  # twitter-text's URL modules, loaded apart from its package
# regexp.emoji imports pkg_resources (setuptools <81, a dependency of Herald's because twitter-text
# does not declare it), which warns on import: not a word for the user of a command
warnings.filterwarnings("ignore", message="pkg_resources is deprecated as an API", category=UserWarning)


@dataclass(frozen=True)
class Layout:
    """What Herald reads of twitter-text."""

    defaults: dict[str, Any]  # config["defaults"]: scale, weights, ranges, the maximum
    emoji: re.Pattern[str]
    emoji_points: tuple[tuple[str, str], ...]  # each emoji's (codepoint text, the emoji)
    single_codepoint_ranges: tuple[tuple[int, int], ...]
    invalid: re.Pattern[str]


def layout() -> Layout:
    """twitter-text's tables (importing them compiles its emoji regex: load once, on first use)."""
    try:
        from twitter_text.config import config
        from twitter_text.regexp.emoji import emoji, emoji_list, single_codepoint_emoji_ranges
        from twitter_text.regexp.invalid_chars import invalid_chars

        return Layout(config["defaults"], emoji, tuple((e.codepoint, e.emoji) for e in emoji_list),
                      tuple((low, high) for low, high in single_codepoint_emoji_ranges), invalid_chars)
    except (ImportError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise changed(f"{type(exc).__name__}: {exc}") from None


def url_extractor() -> Callable[[str], list[dict[str, Any]]]:
    """twitter-text's ``extract_urls_with_indices``, without what its package imports first. Its
    modules import each other relatively, so they are loaded from the package's folder under a
    private package name: ``twitter_text`` itself is left untouched (no module swapped in and out,
    which another thread could see); once the real package is imported, its own is used."""
    try:
        spec = importlib.util.find_spec("twitter_text")
        if "twitter_text" in sys.modules or spec is None or spec.submodule_search_locations is None:
            from twitter_text.extract_urls import extract_urls_with_indices
        else:
            package = types.ModuleType(PRIVATE)
            package.__path__ = list(spec.submodule_search_locations)
            sys.modules.setdefault(PRIVATE, package)  # (one step: two threads get one package)
            extract_urls_with_indices = importlib.import_module(PRIVATE + ".extract_urls").extract_urls_with_indices
    except (ImportError, AttributeError) as exc:
        raise changed(f"{type(exc).__name__}: {exc}") from None
    extract: Callable[[str], list[dict[str, Any]]] = extract_urls_with_indices
    return extract


def check() -> list[str]:
    """What the installed twitter-text lacks of what Herald reads (empty: all there, as in 3.0)."""
    missing = []
    try:
        found = layout()
    except LibraryChanged as exc:
        return [str(exc)]
    for key in ("scale", "transformed_url_length", "default_weight", "max_weighted_tweet_length", "ranges"):
        if key not in found.defaults:
            missing.append(f"config['defaults']['{key}']")
    if not all({"start", "end", "weight"} <= set(r) for r in found.defaults.get("ranges", [])):
        missing.append("config['defaults']['ranges'] with start, end and weight")
    if not found.emoji_points or not found.single_codepoint_ranges:
        missing.append("regexp.emoji's emoji_list and single_codepoint_emoji_ranges")
    try:
        urls = url_extractor()("see https://acme.com/track")
    except LibraryChanged as exc:
        return [*missing, str(exc)]
    if [(u.get("url"), u.get("indices")) for u in urls] != [("https://acme.com/track", [4, 26])]:
        missing.append(f"extract_urls_with_indices answering [{{'url', 'indices'}}] (it answered {urls!r})")
    return missing


def changed(detail: str) -> LibraryChanged:
    return LibraryChanged(f"twitter-text-parser {installed()} is not laid out as {KNOWN} is, which Herald reads "
                          f"to count X's lengths ({detail}): pip install 'twitter-text-parser>={KNOWN},<3.1'")


def installed() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("twitter-text-parser")
    except PackageNotFoundError:
        return "(not installed)"
