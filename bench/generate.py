"""Generate a large, realistic content calendar for benchmarks.

    python bench/generate.py 10000 > big.yaml

Deterministic for a given size. About a third of the posts recur (weekly, fortnightly,
monthly or on the last weekday of the month); the rest are one-offs over the year.
Five network accounts (site, webhook, X, Mastodon, Bluesky); each post goes to one to
three of them; most have two or three variants; a third belong to one of 20 campaigns.
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta

NETWORKS = ["site", "hooks", "x", "masto", "sky"]
RULES = [
    "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
    "FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=10;BYMINUTE=30",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;BYHOUR=14;BYMINUTE=0",
    "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;BYHOUR=17;BYMINUTE=0",
    "FREQ=MONTHLY;BYDAY=1SA;BYHOUR=11;BYMINUTE=15",
]
KINDS = ["tip", "reminder", "announcement", "tracking"]
PHRASES = [
    "Track your order in one click: {links.order_tracking}",
    "Questions about delivery? Our help centre answers most of them: {links.help}",
    "{weekday} tip: keep solid wood 50 cm away from radiators.",
    "New in the showroom this {month}: come and sit on everything.",
    "Custom pieces take 4-6 weeks. See which step yours is at: {links.order_tracking}",
    "It's {season}: oil your oak table twice a year and it will outlive us all.",
]


def generate(count: int, seed: int = 7, start: date = date(2027, 1, 1)) -> str:
    """The calendar text; ``start`` is the first day of its year (recurring series begin
    up to 200 days before it)."""
    rng = random.Random(seed + count)
    out = [
        "version: 1",
        "brand:",
        "  name: Bench Furniture",
        "  timezone: Europe/Berlin",
        "  links: {order_tracking: 'https://bench.example/track', help: 'https://bench.example/help'}",
        "networks:",
        "  site: {type: site}",
        "  hooks: {type: webhook, url: 'http://127.0.0.1:8099/in'}",
        "  x: {type: x}",
        "  masto: {type: mastodon, instance: 'https://social.example'}",
        "  sky: {type: bluesky, handle: bench.example}",
        "campaigns:",
    ]
    for c in range(20):
        first = start + timedelta(days=18 * c)
        out.append(f"  c{c}: {{starts: {first}, ends: {first + timedelta(days=120)}, "
                   f"networks: [{', '.join(rng.sample(NETWORKS, 2))}]}}")
    out.append("posts:")
    for i in range(count):
        kind = rng.choice(KINDS)
        out.append(f"  - id: post-{i}")
        out.append(f"    kind: {kind}")
        if rng.random() < 1 / 3:
            out.append(f"    networks: [{', '.join(rng.sample(NETWORKS, rng.randint(1, 3)))}]")
            out.append(f"    starts: {start - timedelta(days=rng.randint(0, 200))}")
            out.append(f"    rrule: \"{rng.choice(RULES)}\"")
            if rng.random() < 0.2:
                out.append(f"    exdates: [{start + timedelta(days=rng.randint(0, 364))}]")
        else:
            if rng.random() < 0.3:
                c = rng.randrange(20)
                day = start + timedelta(days=18 * c + rng.randint(0, 119))
                out.append(f"    campaign: c{c}")
            else:
                day = start + timedelta(days=rng.randint(0, 364))
                out.append(f"    networks: [{', '.join(rng.sample(NETWORKS, rng.randint(1, 3)))}]")
            out.append(f"    at: {day}T{rng.randint(7, 20):02d}:{rng.choice(['00', '15', '30', '45'])}")
        variants = rng.sample(PHRASES, rng.randint(1, 3))
        if len(variants) == 1:
            out.append(f"    text: \"{variants[0]} (#{i})\"")
        else:
            out.append("    variants:")
            out.extend(f"      - \"{v} (#{i})\"" for v in variants)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
