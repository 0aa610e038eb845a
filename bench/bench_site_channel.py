"""Files written and seconds per post and per status change of the ``site`` channel, with a
status of many incidents (goal: a post writes a handful of files, not the whole site).

Builds the status in memory (``many``: 12 components, ``N`` incidents over the last two years,
the newest few open, 20 maintenance windows), shows it to a fresh site channel (the first,
complete write), then times posts and one-incident status changes.  ``--before REV`` also
times the channel as it was at git revision REV, in the same run (its ``site.py`` loaded from
git), so both figures come from the same machine in the same minutes.

    python bench/bench_site_channel.py [--incidents 2000] [--posts 5] [--before a99847a]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def many(count: int, now: datetime = NOW, components: int = 12, maintenance: int = 20) -> Any:
    """A status with ``count`` incidents (the last 3 open) and ``maintenance`` windows."""
    from status.model import Component, Incident, Maintenance, Status, Update

    comps = {f"c{n}": Component(f"c{n}", f"Component number {n}") for n in range(components)}
    incidents = []
    for n in range(count):
        start = now - timedelta(hours=8 * (count - n) + 1)
        updates = [Update(start, "investigating", f"Incident {n}: some customers see errors. We are looking into it.")]
        if n < count - 3:
            updates.append(Update(start + timedelta(hours=1), "resolved", "Fixed; everything works again."))
        incidents.append(Incident(f"inc-{n}", f"Incident number {n} with a realistic title",
                                  ["minor", "major", "critical"][n % 3], tuple(updates), (f"c{n % components}",)))
    windows = tuple(Maintenance(f"m{n}", f"Planned upgrade {n}", now + timedelta(days=n * 3 - 30),
                                now + timedelta(days=n * 3 - 30, hours=1), "Checkout may be slow.",
                                (f"c{n % components}",)) for n in range(maintenance))
    return Status("", "UTC", comps, tuple(incidents), maintenance=windows)


def one_changed(status: Any, n: int, at: datetime) -> Any:
    """``status`` with one more update on its incident number ``n``."""
    from status.model import Update

    incidents = list(status.incidents)
    old = incidents[n]
    incidents[n] = replace(old, updates=old.updates + (Update(at, "monitoring", f"Still watching ({at:%H:%M})."),))
    return replace(status, incidents=tuple(incidents))


def calendar() -> Any:
    from campaigns.model import Brand, Calendar

    return Calendar("", Brand("Bench", "Europe/Berlin"), {}, {}, ())


def post(n: int) -> Any:
    from scheduler.networks.base import OutgoingPost

    return OutgoingPost(key=f"{n:032d}", source="post:p", post="p", kind="tracking", network="site",
                        network_type="site", scheduled_at=NOW + timedelta(minutes=n), text=f"Update {n}.")


class Counting:
    """Counts the files written through :func:`scheduler.files.write_atomic` wherever it is imported."""

    def __init__(self) -> None:
        import scheduler.files

        self.count = 0
        self.original = scheduler.files.write_atomic

    def __enter__(self) -> Counting:
        import scheduler.files
        import scheduler.networks.site as site

        def counted(*args: Any, **kwargs: Any) -> None:
            self.count += 1
            self.original(*args, **kwargs)

        self.patched = [(scheduler.files, "write_atomic")]
        for module in (site, sys.modules.get("scheduler.networks.sitewriter"), sys.modules.get(BEFORE)):
            if module is not None and hasattr(module, "write_atomic"):
                self.patched.append((module, "write_atomic"))
        for module, name in self.patched:
            setattr(module, name, counted)
        return self

    def __exit__(self, *exc: Any) -> None:
        for module, name in self.patched:
            setattr(module, name, self.original)

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


BEFORE = "scheduler.networks.site_before"


def channel_at(revision: str) -> Any:
    """The ``SitePublisher`` class of ``scheduler/networks/site.py`` as it was at ``revision``."""
    import importlib.util
    import subprocess

    source = subprocess.run(["git", "show", f"{revision}:scheduler/networks/site.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(BEFORE, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "scheduler.networks"
    sys.modules[BEFORE] = module
    exec(compile(source, f"{revision}:scheduler/networks/site.py", "exec"), module.__dict__)  # noqa: S102
    return module.SitePublisher


def measure(label: str, channel: Any, incidents: int, posts: int) -> None:
    from scheduler.clock import FakeClock

    status = many(incidents)
    cal = calendar()
    with tempfile.TemporaryDirectory() as folder, Counting() as counting:
        clock = FakeClock(NOW)
        site = channel("site", {}, clock, base_dir=folder, title="Bench")
        flush = getattr(site, "flush", lambda: None)
        began = time.perf_counter()
        site.on_status(status, cal, clock.now())
        returned = time.perf_counter() - began
        flush()
        print(f"[{label}] first write: {counting.take()} files in {time.perf_counter() - began:.2f} s "
              f"(on_status returned after {returned:.3f} s)")
        steps = (("post", lambda n: site.publish(post(n))),
                 ("status change (one incident)", lambda n: site.on_status(
                     one_changed(status, incidents - 2, clock.now()), cal, clock.now())))
        for name, step in steps:
            seconds, waited, files = [], [], []
            for n in range(posts):
                clock.advance(timedelta(minutes=1))
                began = time.perf_counter()
                step(n)
                waited.append(time.perf_counter() - began)
                flush()
                seconds.append(time.perf_counter() - began)
                files.append(counting.take())
            print(f"[{label}] {name}: {sum(files) / len(files):.1f} files, {sum(seconds) / len(seconds):.3f} s "
                  f"each (min {min(seconds):.3f}, max {max(seconds):.3f}); the call returned after "
                  f"{sum(waited) / len(waited):.3f} s")
        close = getattr(site, "close", None)
        if close:
            close()


def main() -> None:
    from scheduler.networks.site import SitePublisher

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--before", metavar="REV", help="also time the channel as of this git revision")
    args = parser.parse_args()
    if args.before:
        measure(f"before, {args.before}", channel_at(args.before), args.incidents, args.posts)
    measure("now", lambda *a, **k: SitePublisher(*a, **k, background=True), args.incidents, args.posts)


if __name__ == "__main__":
    main()
