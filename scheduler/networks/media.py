"""Reading a post's image for upload: ``image: {path}`` relative to the calendar, or ``{url}``
fetched with the publisher's HTTP client (its deadline; at most 20 MB, decompressed too)."""

from __future__ import annotations

import mimetypes
import os

from ..errors import Permanent, ResponseTooLarge, Transient
from ..http import HttpClient
from ..redaction import redact_url
from .base import transport_errors

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def image_bytes(network: str, image: dict[str, str], base_dir: str, *, http: HttpClient) -> tuple[bytes, str, str]:
    """(data, file name, MIME type) of the image, or a Permanent/Transient error that says why not."""
    if image.get("path"):
        path = image["path"] if os.path.isabs(image["path"]) else os.path.join(base_dir, image["path"])
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_IMAGE_BYTES + 1)
        except OSError:
            raise Permanent(network, f"image {image['path']} cannot be read") from None
        name = os.path.basename(path)
    else:
        shown = f"the image {redact_url(image['url'])}"
        with transport_errors(network, shown, http.deadline):
            try:
                response = http.get(image["url"], max_bytes=MAX_IMAGE_BYTES, max_decoded=MAX_IMAGE_BYTES)
            except ResponseTooLarge:
                raise Permanent(network, f"{shown} is over 20 MB") from None
        if response.status_code != 200:
            raise Transient(network, f"fetching {shown} answered HTTP {response.status_code}")
        data = response.content
        name = os.path.basename(image["url"].split("?")[0]) or "image"
    if len(data) > MAX_IMAGE_BYTES:
        raise Permanent(network, "the image is over 20 MB")
    return data, name, mimetypes.guess_type(name)[0] or "image/png"
