"""Page weight and time to first render of the served status site (goal: < 50 KB, < 100 ms).

A real ``herald serve`` app under uvicorn on 127.0.0.1 with the sample calendar and a busy
status file: 12 components, an open major incident, 40 resolved incidents and 10 maintenance
windows over the last 90 days.  Weight is what a first visit downloads (the page, its
stylesheets and script), as sent (gzip) and decoded.  Time is the median of several GETs of
``/`` (rendered from the files and the ledger on every request), with the ratio against
``/static/site.css`` (a fixed file: the server's floor) timed in the same run; when a
Chromium is installed for Playwright, also the browser's first contentful paint.

    python bench/bench_site.py [--runs 30]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def busy_status(now: datetime) -> str:
    lines = ["status_page: https://status.acme.example", "components:"]
    lines += [f"  c{n}: {{name: Component number {n}}}" for n in range(12)]
    lines.append("incidents:")
    for n in range(40):
        start = now - timedelta(days=2 + n * 2, hours=n % 5)
        lines += [f"  - id: past-{n}", f"    title: Past incident number {n} with a realistic title",
                  f"    impact: {['minor', 'major', 'critical'][n % 3]}", f"    components: [c{n % 12}]",
                  "    updates:", f"      - at: {start.isoformat(timespec='minutes')}", "        state: investigating",
                  "        message: Some customers see errors. We are looking into it.",
                  f"      - at: {(start + timedelta(hours=1)).isoformat(timespec='minutes')}",
                  "        state: resolved", "        message: Fixed; everything works again."]
    start = now - timedelta(minutes=20)
    lines += ["  - id: open-now", "    title: Card payments fail for some customers", "    impact: major",
              "    components: [c1, c2]", "    updates:", f"      - at: {start.isoformat(timespec='minutes')}",
              "        state: identified", "        message: Our payment provider has an outage.",
              "        next_update: 30m", "maintenance:"]
    for n in range(10):
        begin = now + timedelta(days=n * 9 - 45)
        lines += [f"  - id: m{n}", f"    title: Planned database upgrade {n}",
                  f"    starts: {begin.isoformat(timespec='minutes')}",
                  f"    ends: {(begin + timedelta(hours=1)).isoformat(timespec='minutes')}",
                  f"    components: [c{n % 12}]", "    message: Checkout may be slow for a few minutes."]
    return "\n".join(lines) + "\n"


def timed(client: httpx.Client, url: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(url).raise_for_status()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def first_paint(urls: list[str], runs: int) -> list[float] | None:
    """Median first contentful paint of each URL in Chromium (a fresh tab per load, after one warm-up)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    samples: list[list[float]] = [[] for _ in urls]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            for run in range(runs + 1):
                for n, url in enumerate(urls):
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    page.goto(url)
                    paint = page.evaluate("new Promise(done => new PerformanceObserver((list) => "
                                          "done(list.getEntries()[0].startTime)).observe("
                                          "{type: 'paint', buffered: true}))")
                    if run:  # the first round warms the browser up
                        samples[n].append(paint / 1000)
                    page.close()
            browser.close()
    except Exception as exc:  # no browser installed: the server figures stand alone
        print(f"(no browser figure: {type(exc).__name__})")
        return None
    return [statistics.median(s) for s in samples]


def main() -> None:
    from scheduler.ledger import Ledger
    from scheduler.web.app import create_app, serve
    from scheduler.web.context import WebContext

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copy(ROOT / "content_calendar.yaml", work / "content_calendar.yaml")
        (work / "status.yaml").write_text(busy_status(datetime.now(UTC).replace(second=0, microsecond=0)))
        Ledger(f"sqlite:///{work / 'state.db'}").close()  # as an engine would have made it
        ctx = WebContext(str(work / "content_calendar.yaml"), str(work / "status.yaml"),
                         f"sqlite:///{work / 'state.db'}")
        server = serve(create_app(ctx), "127.0.0.1", 0)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}) as client:
            sent = decoded = 0
            for path in ("/", "/static/site.css", "/static/site.js", "/brand.css"):
                response = client.get(path)
                sent += response.num_bytes_downloaded
                decoded += len(response.content)
            client.get("/")  # warm: templates compiled, ledger opened
            page = timed(client, "/", args.runs)
            floor = timed(client, "/static/site.css", args.runs)
            incident = timed(client, "/incidents/open-now/", args.runs)
        paint = first_paint([base + "/", base + "/not-a-page"], min(args.runs, 10))
        server.should_exit = True
        thread.join(5)
        ctx.close()
    print(f"first visit: {sent / 1024:.1f} KB sent (gzip), {decoded / 1024:.1f} KB decoded")
    print(f"GET /: {page * 1000:.1f} ms median of {args.runs}; /static/site.css {floor * 1000:.1f} ms "
          f"(ratio {page / floor:.1f}); an incident page {incident * 1000:.1f} ms")
    if paint is not None:
        print(f"first paint in Chromium: / {paint[0] * 1000:.0f} ms; a plain-text 404 {paint[1] * 1000:.0f} ms "
              f"(ratio {paint[0] / paint[1]:.1f})")


if __name__ == "__main__":
    main()
