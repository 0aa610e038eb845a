"""``python -m scheduler.cli``: the ``herald`` command."""

import sys

from scheduler.cli import main

sys.exit(main())
