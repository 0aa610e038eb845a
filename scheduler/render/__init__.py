"""Herald's HTML renderers: the status site (:mod:`.site`, with the ledger's part of its data
read by :mod:`.sitedata`) and the planners' review room (:mod:`.review`), with their templates
and static files.

They render; they serve nothing and write nothing.  ``herald serve`` (:mod:`scheduler.web`)
serves their pages, ``herald export-site`` and the ``site`` channel write them: every copy of
the site comes from the same code.  Every user text goes through Jinja2's autoescaping.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

STATIC = ("site.css", "site.js", "review.css")


def _linkify(text: str) -> Any:
    """Escape ``text`` and turn its http(s) links into anchors."""
    from markupsafe import Markup, escape

    from campaigns.networks import URL_RE

    out, last = [], 0
    for match in URL_RE.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(match.group(0)))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@cache
def environment() -> Environment:
    """The one Jinja2 environment of every page (built once: templates are compiled once).  Jinja2
    is imported here, when a page is first rendered: ``herald status`` reads a window's times
    through :mod:`.site` and renders no page."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("scheduler.render", "templates"),
                      autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.filters["linkify"] = _linkify
    return env


def static_file(name: str) -> bytes:
    """One of the :data:`STATIC` files, as shipped with the package."""
    from importlib.resources import files

    return (files("scheduler.render") / "static" / name).read_bytes()
