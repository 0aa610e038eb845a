"""The subscription pages (the form, the confirmation and unsubscribe buttons, the answers),
rendered in the status site's frame.  They serve nothing: :mod:`scheduler.web.subscribe` does."""

from __future__ import annotations

from typing import Any

from . import environment
from .site import Renderer, SiteData

HEADINGS = {"form": "Subscribe to status updates", "accepted": "Check your inbox",
            "confirm": "Confirm your subscription", "confirmed": "Subscribed",
            "unsubscribe": "Unsubscribe", "unsubscribed": "Unsubscribed", "invalid": "This link does not work"}


def page(data: SiteData, step: str, root: str = "/", **values: Any) -> str:
    """One step's page; ``values`` fill it (``csrf``, ``email``, ``message``, ``action``, ``fields``, ``button``)."""
    renderer = Renderer(data)
    components = [{"id": cid, "name": c.name} for cid, c in data.status.components.items()]
    context = {"title": f"{HEADINGS[step]} - {data.calendar.brand.name} status", "heading": HEADINGS[step],
               "step": step, "components": components, "email": "", "fields": (), **values}
    return environment().get_template("subscribe.html").render(**renderer.common(root), **context)
