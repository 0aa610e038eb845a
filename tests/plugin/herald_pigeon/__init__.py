"""Pigeon, a made-up messaging service: a network type declared outside Herald.

Only this record is imported when Herald reads its network types; the publisher module is
imported when an account of type ``pigeon`` is built.
"""

from campaigns.networks import Limit, NetworkType, Resend

NETWORK = NetworkType(
    name="pigeon", title="Pigeon", publisher="herald_pigeon.publisher:PigeonPublisher",
    limit=Limit(120, "characters"),
    fields={"loft": {"type": "string", "pattern": r"^https?://\S+$", "examples": ["https://pigeon.example"]}},
    required=("loft",), secrets=("TOKEN",), resend=Resend.KEY,
)
