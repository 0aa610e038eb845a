"""Colour contrast as WCAG 2.x measures it: the brand's colour is the status site's link colour on
a white page, so ``herald validate`` says when it is too light to read and which colour of the
same hue would do, and the site's stylesheet uses that one (:func:`readable`).  Pure."""

from __future__ import annotations

AA_TEXT = 4.5  # WCAG 2.x level AA, normal text (links are text)
PAGE = "#ffffff"  # the light theme's page; the dark theme sets its own link colour


def is_hex(colour: str) -> bool:
    """A colour written ``#rrggbb``."""
    return len(colour) == 7 and colour[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in colour[1:])


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (0 black, 1 white)."""
    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """The contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    a, b = sorted((luminance(one), luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable(colour: str, on: str = PAGE, ratio: float = AA_TEXT) -> str:
    """``colour`` if it reads at ``ratio`` on ``on``, else the lightest darker shade of the same
    hue that does (each channel scaled down alike), lower-case."""
    if contrast(colour, on) >= ratio:
        return colour.lower()
    r, g, b = _channels(colour)
    for step in range(100, -1, -1):
        shade = "#" + "".join(f"{round(v * step / 100):02x}" for v in (r, g, b))
        if contrast(shade, on) >= ratio:
            return shade
    return "#000000"
