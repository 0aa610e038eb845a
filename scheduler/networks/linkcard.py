"""A link card, as Bluesky's own clients make one: the title and description of the page a
post's first link points to, read from its ``og:title`` / ``og:description`` (else its
``<title>`` and ``description`` meta), through Herald's HTTP layer (a short deadline, a size
cap, same-host redirects only).  A card is a nicety: whatever goes wrong, there is none, and
the post goes out without it.

Values are cleaned of what a page may put in them: entities are decoded (once), every run
of whitespace, line and paragraph separators (U+2028, U+2029) included, becomes one space,
control and direction-override characters are dropped, and each is cut to a length a card
shows.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from campaigns.errors import HeraldError
from campaigns.networks import URL_RE

from ..http import HttpClient

log = logging.getLogger("herald.networks")

DEADLINE = 3.0  # seconds for the whole page: a card never holds a post up for long
MAX_PAGE = 1024 * 1024  # bytes; a bigger page gives no card
MAX_TITLE, MAX_DESCRIPTION = 300, 1000  # characters kept of each
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class LinkCard:
    uri: str
    title: str
    description: str = ""


def first_link(text: str) -> str | None:
    found = URL_RE.search(text)
    return found.group(0) if found else None


def clean(value: str, limit: int) -> str:
    """One line of plain text, at most ``limit`` characters (cut with an ellipsis)."""
    value = _INVISIBLE.sub("", value)
    value = "".join(c for c in value if unicodedata.category(c) != "Cc" or c.isspace())
    value = " ".join(value.split())  # str.split splits on U+2028/U+2029 and every other space
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


class _Head(HTMLParser):
    """The card's words from a page's head: its og: and description metas, and its title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            found = {k: v or "" for k, v in attrs}
            name = (found.get("property") or found.get("name") or "").lower()
            if name in ("og:title", "og:description", "description") and name not in self.meta:
                self.meta[name] = found.get("content", "")
        elif tag == "title" and not self.title:
            self.in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_title and not self.done:
            self.title.append(data)


def card_of_page(uri: str, page: str) -> LinkCard | None:
    """The card a page's head gives, or None when it has no title at all."""
    head = _Head()
    for start in range(0, len(page), 65536):  # stop reading at the head's end
        head.feed(page[start:start + 65536])
        if head.done:
            break
    title = clean(head.meta.get("og:title") or "".join(head.title), MAX_TITLE)
    description = clean(head.meta.get("og:description") or head.meta.get("description", ""), MAX_DESCRIPTION)
    return LinkCard(uri, title, description) if title else None


def fetch_card(http: HttpClient, uri: str, network: str) -> LinkCard | None:
    """The card of the page at ``uri``, or None (logged in one line) when it cannot be had."""
    try:
        answer = http.get(uri, headers={"Accept": "text/html"}, deadline=DEADLINE, max_bytes=MAX_PAGE,
                          max_decoded=MAX_PAGE)
        if answer.status_code != 200 or "html" not in answer.headers.get("Content-Type", "").lower():
            why = f"HTTP {answer.status_code} {answer.headers.get('Content-Type', '')}".strip()
        else:
            card = card_of_page(uri, answer.text)
            if card is not None:
                return card
            why = "the page has no title"
    except HeraldError as exc:  # every failure of the HTTP layer: timeouts, caps, refused redirects
        why = " ".join(str(exc).split())
    log.info("%s: no link card for %s (%s); posting without one", network, uri, why)
    return None
