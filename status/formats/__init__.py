"""Parsers of what outside tools send, one module per format; pure: a payload in, our values
out, nothing read or written.

Alert webhooks (``parse_webhook(body) -> list[AlertEvent]``, strict: a payload not in the
tool's shape raises :class:`~status.formats.payload.BadPayload` naming the field):
:mod:`.alertmanager`, :mod:`.grafana`, :mod:`.uptime_kuma`, :mod:`.statuspage`, :mod:`.generic`.

Upstream status feeds (``parse_feed(feed, body) -> FeedBody``, lenient: an item that cannot be
read is skipped, every text cleaned; see :mod:`.feed`): :mod:`.statuspage` and :mod:`.rss`
(RSS and Atom).

Statuspage is read in one module for both its subscriber webhooks and its v2 API, with one
vocabulary of its states and impacts.
"""
