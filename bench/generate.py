"""Generate a large, realistic content calendar for benchmarks.

    python bench/generate.py 10000 > big.yaml
    python bench/generate.py 10000 --many-rules > varied.yaml

Deterministic for a given size. About a third of the posts recur (weekly, fortnightly,
monthly or on the last weekday of the month); the rest are one-offs over the year.
Five network accounts (site, webhook, X, Mastodon, Bluesky); each post goes to one to
three of them; most have two or three variants; a third belong to one of 20 campaigns.

With ``many_rules`` (``--many-rules``) the recurring posts each get a rule of their own,
drawn from every shape RFC 5545 gives (daily to yearly, intervals, several days and times,
month days from either end, BYSETPOS, nth weekdays, COUNT and UNTIL), a third of them in a
time zone other than the brand's, with up to five variants and their own wording on some
networks: a calendar where the plan shares little between posts (the default calendar's
six rule shapes let it expand each rule once for thousands of posts).
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


ZONES = ["America/New_York", "Australia/Sydney", "Asia/Tokyo", "Europe/London", "America/Sao_Paulo",
         "Asia/Kolkata", "Pacific/Auckland", "America/Los_Angeles", "Europe/Lisbon", "Africa/Johannesburg"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WORDING = [
    "Order by {weekday} and it ships this week: {links.order_tracking}",
    "This {part_of_day}: two of our makers answer your questions live. Ask at {links.help}",
    "{month} {year}: the oak we dried last winter is ready for your table.",
    "Moving house on {date}? Our team can take the old sofa away. Details: {links.help}",
    "Walnut darkens a little every {season}; that is the wood, not a flaw.",
    "Measure twice: the {day}th is our free measuring day in the showroom.",
    "Where is your order today? One click: {links.order_tracking}",
    "Chairs glued, not screwed, since 1998. Ask us why at {links.help}",
]


def varied_rule(rng: random.Random, start: date) -> str:
    """One recurrence of many possible shapes (the times keep to the quarter hour)."""
    freq = rng.choice(["DAILY", "WEEKLY", "WEEKLY", "WEEKLY", "MONTHLY", "MONTHLY", "YEARLY"])
    parts = [f"FREQ={freq}"]
    if rng.random() < 0.4:
        parts.append(f"INTERVAL={rng.randint(2, 4) if freq != 'YEARLY' else 1}")
    if freq == "DAILY" and rng.random() < 0.5:
        parts.append(f"BYDAY={','.join(sorted(rng.sample(DAYS[:5], rng.randint(2, 5)), key=DAYS.index))}")
    elif freq == "WEEKLY":
        parts.append(f"BYDAY={','.join(sorted(rng.sample(DAYS, rng.randint(1, 3)), key=DAYS.index))}")
    elif freq == "MONTHLY":
        shape = rng.randrange(4)
        if shape == 0:
            parts.append(f"BYMONTHDAY={','.join(str(d) for d in sorted(rng.sample(range(1, 29), rng.randint(1, 2))))}")
        elif shape == 1:
            parts.append(f"BYMONTHDAY=-{rng.randint(1, 3)}")
        elif shape == 2:
            parts.append(f"BYDAY={rng.choice(['1', '2', '3', '-1'])}{rng.choice(DAYS)}")
        else:
            parts.append(f"BYDAY=MO,TU,WE,TH,FR;BYSETPOS={rng.choice(['1', '-1', '2'])}")
    else:
        parts.append(f"BYMONTH={rng.randint(1, 12)};BYMONTHDAY={rng.randint(1, 28)}")
    hours = sorted(rng.sample(range(6, 22), 2 if rng.random() < 0.15 else 1))
    parts.append(f"BYHOUR={','.join(map(str, hours))};BYMINUTE={rng.choice([0, 15, 30, 45])}")
    ending = rng.random()
    if ending < 0.1:
        parts.append(f"COUNT={rng.randint(5, 60)}")
    elif ending < 0.2:
        until = start + timedelta(days=rng.randint(60, 400))
        parts.append(f"UNTIL={until:%Y%m%d}T235900Z")
    return ";".join(parts)


def generate(count: int, seed: int = 7, start: date = date(2027, 1, 1), many_rules: bool = False) -> str:
    """The calendar text; ``start`` is the first day of its year (recurring series begin
    up to 200 days before it); ``many_rules``: see the module."""
    rng = random.Random(seed + count)
    varied = random.Random(seed * 1000 + count) if many_rules else None  # (the default text stays as it was)
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
    campaign_networks = []
    for c in range(20):
        first = start + timedelta(days=18 * c)
        campaign_networks.append(rng.sample(NETWORKS, 2))
        out.append(f"  c{c}: {{starts: {first}, ends: {first + timedelta(days=120)}, "
                   f"networks: [{', '.join(campaign_networks[-1])}]}}")
    out.append("posts:")
    for i in range(count):
        kind = rng.choice(KINDS)
        out.append(f"  - id: post-{i}")
        out.append(f"    kind: {kind}")
        if rng.random() < 1 / 3:
            networks = rng.sample(NETWORKS, rng.randint(1, 3))
            out.append(f"    networks: [{', '.join(networks)}]")
            out.append(f"    starts: {start - timedelta(days=rng.randint(0, 200))}")
            rule = rng.choice(RULES)
            out.append(f"    rrule: \"{varied_rule(varied, start) if varied else rule}\"")
            if varied and varied.random() < 1 / 3:
                out.append(f"    timezone: {varied.choice(ZONES)}")
            if rng.random() < 0.2:
                out.append(f"    exdates: [{start + timedelta(days=rng.randint(0, 364))}]")
        else:
            if rng.random() < 0.3:
                c = rng.randrange(20)
                day = start + timedelta(days=18 * c + rng.randint(0, 119))
                out.append(f"    campaign: c{c}")
                networks = campaign_networks[c]
            else:
                day = start + timedelta(days=rng.randint(0, 364))
                networks = rng.sample(NETWORKS, rng.randint(1, 3))
                out.append(f"    networks: [{', '.join(networks)}]")
            out.append(f"    at: {day}T{rng.randint(7, 20):02d}:{rng.choice(['00', '15', '30', '45'])}")
        variants = rng.sample(PHRASES, rng.randint(1, 3))
        if varied:
            variants += varied.sample(WORDING, varied.randint(0, 2))
        out.extend(_wording(variants, i, "    "))
        if varied and varied.random() < 0.3:
            out.append("    per_network:")
            for network in sorted(varied.sample(networks, min(len(networks), varied.randint(1, 2)))):
                out.append(f"      {network}:")
                out.extend(_wording(varied.sample(WORDING, varied.randint(1, 3)), i, "        "))
    return "\n".join(out) + "\n"


def _wording(variants: list[str], number: int, indent: str) -> list[str]:
    if len(variants) == 1:
        return [f"{indent}text: \"{variants[0]} (#{number})\""]
    return [f"{indent}variants:", *(f"{indent}  - \"{v} (#{number})\"" for v in variants)]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write a deterministic calendar of POSTS posts to standard output.")
    parser.add_argument("posts", nargs="?", type=int, default=10_000, help="how many posts (default 10,000)")
    parser.add_argument("--many-rules", action="store_true", help="a rule of its own for every recurring post")
    options = parser.parse_args()
    sys.stdout.write(generate(options.posts, many_rules=options.many_rules))
