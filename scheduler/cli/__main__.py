"""``python -m scheduler.cli``: the ``herald`` command."""

from scheduler.cli import entry

entry()
