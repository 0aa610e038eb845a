"""Atom feeds (RFC 4287): the status site's and the site channel's, made by feedgenerator.

feedgenerator (Django's feed generator on its own, pure Python) writes the XML and escapes the
text; the one change here is the entry's content, which Herald's texts need as ``type="text"``
(a status text reading ``<b>`` is those three characters, not bold), where feedgenerator writes
``type="html"``.  The feed's ``updated`` is its newest entry's (the same bytes whenever the feed
is read, so its ETag holds), or ``now`` without entries.  Imported when a feed is built: ``herald status`` and the other
commands that write no feed never load it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from feedgenerator import Atom1Feed


class _TextAtom(Atom1Feed):  # type: ignore[misc]  # feedgenerator has no type hints
    """feedgenerator's Atom feed with each entry's content as plain text (``text`` of an item),
    and, without entries, ``updated`` at the injected clock's moment (feedgenerator's is the
    machine's)."""

    def latest_post_date(self) -> datetime:
        return super().latest_post_date() if self.items else self.feed["now"]  # type: ignore[no-any-return]

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["text"], {"type": "text"})


def atom(feed: Mapping[str, str | None], entries: Iterable[Mapping[str, Any]], now: datetime) -> bytes:
    """An Atom document, UTF-8.

    ``feed``: ``id``, ``title``, ``link`` (the alternate page), ``language``, and ``self`` (the
    feed's own address) or None.  Each entry: ``id``, ``title``, ``text``, ``link``,
    ``published`` and ``updated`` (aware datetimes), optionally ``category``; in the order given.
    """
    document = _TextAtom(title=feed["title"], link=feed["link"], description=None, language=feed["language"],
                         feed_url=feed.get("self"), feed_guid=feed["id"], now=now)
    for entry in entries:
        published: datetime = entry["published"]
        document.add_item(title=entry["title"], link=entry["link"], description=None, unique_id=entry["id"],
                          pubdate=published, updateddate=entry.get("updated") or published, text=entry["text"],
                          categories=[entry["category"]] if entry.get("category") else ())
    return str(document.writeString("utf-8")).encode("utf-8")
