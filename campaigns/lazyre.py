"""Regular expressions compiled when first used, not when their module is imported.

:mod:`campaigns.days` holds some forty case-insensitive patterns for reading dates and opening
hours out of a post's text; compiling them all took about a third of ``herald status``'s start
(issue 27), for a command that reads no text.  :func:`compile_lazily` returns a stand-in that
compiles its pattern at its first use and from then on answers with the compiled pattern's own
methods (set on the stand-in, so a call costs what a call on the pattern costs).  Two threads
using it first at once both compile: the same pattern, harmless.
"""

from __future__ import annotations

import re
from typing import Any, cast

_ATTRIBUTES = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
               "pattern", "flags", "groups", "groupindex")


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only while nothing is compiled (or for a name not copied)
        compiled = re.compile(*self._source)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)


def compile_lazily(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)`` at the first use of the result (its methods and attributes)."""
    return cast("re.Pattern[str]", _Lazy(pattern, flags))
