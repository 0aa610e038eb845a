"""Each publication as its network will show it, on the review room's day page.

What a network *can do* comes from its :class:`campaigns.networks.NetworkType` record, never from
its name: whether later updates reply in a thread (``threads``), where it takes an image from
(``images``), how it counts a text (``limit``: the unit, and whether a link counts as a fixed 23,
measured on the counter itself), and whether it is the team's own chat (``internal`` and not
``local``: a message bubble) or needs an image (``image_required``: a square picture with the
caption under it).  What a network's *feed looks like* is per built-in type in :data:`LOOKS`
(where its feed folds a long text behind "see more", which account option is its handle, and
whether it shows a visibility line); another package's type gets the plain look.  A post's
content warning (Mastodon) folds the text behind it, as Mastodon does; a network that attaches a
link card (Bluesky) shows it under the text, with the calendar's ``link_card`` words or, since
the room fetches nothing, the link's host and "title fetched when sent".

Where a network's version differs from the post's main text (its own ``per_network`` wording, or
a status announcement shortened to fit), the preview says so and shows what was cut, word by
word.  Images are shown from their URL (``referrerpolicy=no-referrer``) or, for a file next to
the calendar, through ``/review/media`` (behind the room's sign-in; :func:`media_path` keeps it
to image files inside the calendar's folder).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from difflib import SequenceMatcher
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from campaigns.networks import LINK_CARD, URL_RE, BuiltinType, Limit, NetworkType

if TYPE_CHECKING:
    from campaigns.model import Account, Calendar, Post
    from campaigns.plan import Publication
    from status.model import Status

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}  # what /review/media serves (no SVG: it can carry script)
MEDIA_LIMIT = 20 * 1024 * 1024  # bytes, as the publishers' own limit


@dataclass(frozen=True)
class Look:
    """How a network's feed shows a post (appearance only; capabilities are the record's)."""

    fold: int = 0  # characters the feed shows before "…see more" (0: it shows it all)
    fold_lines: int = 0  # lines it shows before "…see more" (0: no line limit)
    caption: bool = False  # the caption's first line, then "… more" (under a square picture)
    handle: str = ""  # the account option shown as its @handle
    instance: str = ""  # the account option naming its server (Mastodon: @handle@server)
    visibility: bool = False  # shows the post's visibility and content warning line
    more: str = "…see more"  # what its fold says


LOOKS: dict[str, Look] = {
    BuiltinType.X: Look(handle="handle"),
    BuiltinType.MASTODON: Look(handle="handle", instance="instance", visibility=True),
    BuiltinType.BLUESKY: Look(handle="handle"),
    BuiltinType.LINKEDIN: Look(fold=210, fold_lines=3),
    BuiltinType.FACEBOOK: Look(fold=480, fold_lines=5, more="… See more"),
    BuiltinType.INSTAGRAM: Look(caption=True, more="… more"),
    BuiltinType.PINTEREST: Look(caption=True, more="… more"),
}
PLAIN = Look()


def account_label(name: str, rules: NetworkType | None) -> str:
    """An account as people read it: its name once, with its network's title when the two differ
    (``masto (Mastodon)``; ``mastodon``, not ``mastodon mastodon``)."""
    if rules is None or name == rules.name or name.lower() == rules.title.lower():
        return name
    return f"{name} ({rules.title})"


def layout(rules: NetworkType) -> str:
    """chat (the team's own chat: a message bubble), square (a picture first) or post."""
    if rules.internal and not rules.local:
        return "chat"
    return "square" if rules.image_required else "post"


@lru_cache(maxsize=64)
def _link_weight(limit: Limit) -> int | None:
    """What a link counts for on this counter when every link counts the same (X, Mastodon: 23)."""
    short, long = "https://example.com/x", "https://example.com/" + "x" * 60
    weight = limit.measure(short)
    return weight if weight == limit.measure(long) else None


def counter(pub: Publication, rules: NetworkType) -> dict[str, Any] | None:
    """The length as the network counts it against its limit, and how links count there."""
    limit = rules.limit
    if limit is None or pub.limit is None:
        return None
    used = limit.measure(pub.text, pub.content_warning)
    weight = _link_weight(limit)  # (X counts only what twitter-text takes for a link: not a .example host)
    links = len([u for u in URL_RE.findall(pub.text) if limit.measure(u) == weight]) if weight else 0
    notes = [f"{links} link{'s' if links != 1 else ''} counted as {weight} each"] if links and weight else []
    if pub.content_warning:
        notes.append("the content warning counted with the text")
    note = " · ".join(notes)
    share = min(used / limit.maximum, 1.0) if limit.maximum else 1.0
    return {"used": used, "maximum": limit.maximum, "unit": limit.unit, "over": used > limit.maximum,
            "left": limit.maximum - used, "note": note, "dash": f"{share * 100:.1f} 100"}


def fold(text: str, look: Look) -> tuple[str, str]:
    """The text the feed shows, and what it hides behind "see more" ("" when nothing)."""
    if look.caption:
        first, newline, rest = text.partition("\n")
        return (first, rest) if newline and rest.strip() else (text, "")
    cut = len(text)
    if look.fold_lines:
        breaks = [m.start() for m in re.finditer("\n", text)]
        if len(breaks) >= look.fold_lines:
            cut = breaks[look.fold_lines - 1]
    if look.fold and cut > look.fold:
        space = text.rfind(" ", 0, look.fold)
        cut = space if space > look.fold // 2 else look.fold
    return (text, "") if cut >= len(text) else (text[:cut], text[cut:])


def link_card(pub: Publication, post: Post | None, rules: NetworkType, image_sent: bool) -> dict[str, str] | None:
    """The link card a network that makes one (``link_card`` among its ``post_fields``) attaches
    for the text's first link, when no image is sent: the calendar's words when it gives them,
    else the link's host and that the title is read when the post is sent (the review room
    fetches nothing)."""
    found = URL_RE.search(pub.text)
    if LINK_CARD not in rules.post_fields or image_sent or found is None:
        return None
    uri = found.group(0)
    given = post.option(pub.network, LINK_CARD) if post is not None else None
    host = urlsplit(uri).hostname or uri
    if given:
        return {"uri": uri, "host": host, "title": given.get("title", ""),
                "description": given.get("description", ""), "given": "from the calendar"}
    return {"uri": uri, "host": host, "title": "", "description": "", "given": ""}


def media_path(folder: str, path: str) -> str | None:
    """The image file a calendar's ``image: {path: …}`` names, only when it is an image file
    (:data:`MEDIA_TYPES`) inside the calendar's ``folder``, after every link is resolved, and no
    part of the path is hidden (``.herald/``); else None."""
    if not folder or not path or "\x00" in path:
        return None
    root = os.path.realpath(folder)
    found = os.path.realpath(os.path.join(root, path))
    inside = os.path.relpath(found, root)
    if found == root or inside.startswith("..") or any(part.startswith(".") for part in inside.split(os.sep)):
        return None
    if os.path.splitext(found)[1].lower() not in MEDIA_TYPES or not os.path.isfile(found):
        return None
    return found


def image(post_image: dict[str, str] | None, rules: NetworkType, folder: str) -> dict[str, Any] | None:
    """The post's image as this network gets it: its address here, its alt text, or why it is not sent."""
    if not post_image:
        return None
    alt = post_image.get("alt", "")
    source = "url" if post_image.get("url") else "path"
    if source not in rules.images:
        why = (f"{rules.title} posts text only" if not rules.images
               else f"{rules.title} takes images from a {' or '.join(rules.images)} only")
        return {"sent": False, "why": f"not sent: {why}", "alt": alt}
    if source == "url":
        return {"sent": True, "src": post_image["url"], "alt": alt, "remote": True}
    if media_path(folder, post_image["path"]) is None:
        return {"sent": True, "src": "", "alt": alt, "why": f"not shown here: {post_image['path']} is no PNG, "
                "JPEG, GIF or WebP file inside the calendar's folder"}
    return {"sent": True, "src": "/review/media?" + urlencode({"path": post_image["path"]}), "alt": alt}


def handle(account: Account | None, look: Look) -> str:
    """The account's @handle as the network shows it ("" when the calendar does not say)."""
    if account is None or not look.handle or not account.options.get(look.handle):
        return ""
    name = "@" + str(account.options[look.handle]).lstrip("@")
    server = urlsplit(str(account.options.get(look.instance) or "")).hostname if look.instance else None
    return f"{name}@{server}" if server else name


_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


def word_diff(main: str, version: str) -> dict[str, Any]:
    """What ``version`` keeps of ``main``: ``main`` as segments (kept, or ``cut``), the runs cut
    and the runs added, word by word."""
    old, new = _TOKENS.findall(main), _TOKENS.findall(version)
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    segments: list[tuple[str, str]] = []
    cut: list[str] = []
    added: list[str] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if a2 > a1:
            text = "".join(old[a1:a2])
            segments.append(("kept" if op == "equal" else "cut", text))
            if op != "equal" and text.strip(" .,;:\n"):
                cut.append(text.strip().lstrip(".,;: "))
        if op in ("insert", "replace") and "".join(new[b1:b2]).strip():
            added.append("".join(new[b1:b2]).strip())
    return {"segments": segments, "cut": cut, "added": added}


def main_text(calendar: Calendar, pub: Publication) -> str | None:
    """The post's own wording (per_network aside) as it would go out at this occurrence on
    this account, or None when it has none (only per_network wording)."""
    from campaigns.plan import is_southern
    from campaigns.render import finish, render_values
    from campaigns.templates import occurrence_values

    post = calendar.post(pub.post)
    account = calendar.networks.get(pub.network)
    if post is None or not post.wording or account is None:
        return None
    values = render_values(calendar.brand, occurrence_values(pub.at.replace(tzinfo=None),
                                                             is_southern(calendar.brand.timezone)))
    text = post.wording[(pub.variant - 1) % len(post.wording)].render(values)
    campaign = calendar.campaigns.get(pub.campaign) if pub.campaign else None
    return finish(text, calendar.brand, campaign, account) if campaign is not None else text


def status_texts(calendar: Calendar, status: Status, pub: Publication, now: Any) -> dict[str, str]:
    """The status file's publications of ``pub``'s instant on its account, by key, as a network
    without a length limit gets them: what the announcement says before it is shortened to fit."""
    from campaigns.model import Account
    from status.announce import announcements

    account = calendar.networks.get(pub.network)
    if account is None:
        return {}
    whole = Account(account.name, BuiltinType.SITE, enabled=True)  # the site: no limit, the same key
    unlimited = replace(calendar, networks={**calendar.networks, account.name: whole})
    found = announcements(unlimited, status, pub.at, pub.at + timedelta(seconds=1), accounts={account.name}, now=now)
    return {p.key: p.text for p in found}


def thread(pub: Publication, rules: NetworkType | None, root_text: str) -> dict[str, str] | None:
    """Where the post sits in its thread, in the words its network's capabilities call for."""
    threads = rules is None or rules.threads
    title = rules.title if rules is not None else pub.network
    if pub.thread_root:
        if threads:
            return {"shape": "reply", "words": "a reply in the thread of the first post", "root": root_text}
        return {"shape": "separate", "words": f"a separate post that links to the first post ({title} has no "
                                              "threads)", "root": ""}
    if pub.incident_state:
        if threads:
            return {"shape": "root", "words": "starts the thread: later updates reply to it", "root": ""}
        return {"shape": "root", "words": f"the first post: {title} has no threads, so later updates are separate "
                                          "posts that link to it", "root": ""}
    return None
