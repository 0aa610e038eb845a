"""``python -m scheduler.engine --steps``: the steps of ``Engine.fire`` in order, as
docs/ARCHITECTURE.md shows them (a test keeps the two equal)."""

from __future__ import annotations

import argparse

from .pipeline import FIRE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scheduler.engine", description=__doc__)
    parser.add_argument("--steps", action="store_true", required=True, help="print the steps of Engine.fire")
    parser.parse_args(argv)
    print(FIRE.describe())


if __name__ == "__main__":
    main()
