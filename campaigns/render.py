"""The last steps of rendering a post, shared by validation (lengths), planning and the
iCal export: the values a template is filled with, and UTM tags on the brand's links."""

from __future__ import annotations

from datetime import date

from .model import Account, Brand, Campaign
from .templates import countdown_values, tag_links


def render_values(brand: Brand, occurrence: dict[str, str]) -> dict[str, str]:
    values = {"brand.name": brand.name, **{f"links.{k}": v for k, v in brand.links.items()}}
    values.update(occurrence)
    if brand.events and "date_iso" in occurrence:
        values.update(countdown_values(brand.events, date.fromisoformat(occurrence["date_iso"])))
    return values


def finish(text: str, brand: Brand, campaign: Campaign | None, account: Account) -> str:
    """The last rendering step, shared by validation and planning: UTM tags on the brand's links."""
    if campaign is None:
        return text
    params = {
        "utm_source": brand.utm_source or account.type,
        "utm_medium": brand.utm_medium,
        "utm_campaign": campaign.utm_campaign or campaign.id,
    }
    return tag_links(text, brand.hosts, params)
