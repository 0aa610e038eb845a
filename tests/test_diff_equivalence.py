"""``herald diff``'s shortcuts give what the straightforward computation gives (issue 28): OLD's
text findings looked for on the posts the change touches only (``side(later=True)``) give the
same diff as OLD checked whole, and the voice-guide text findings the diff reports are lint's own
check of NEW minus lint's own check of OLD (told apart as the diff tells them: by what they say
and the posts they are about).  Random edits of a generated calendar: rewordings (some with days
that break the day rules), moves, removals, additions, and now and then a brand change."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

import pytest

from bench.generate import generate
from campaigns.calendar import check
from campaigns.calendardiff import compare, side
from campaigns.diffreport import as_json
from campaigns.diffvoice import identity
from campaigns.lint import lint

REPEATS = ("duplicate", "near-duplicate")
DAY_TEXTS = ("Late opening tonight (Monday 1 March) until 9 pm", "Open today (Tuesday 9 March 2027) from 10:00",
             "See you tomorrow (Friday 12 March) at the showroom", "Visit us online today: {links.help}",
             "The day after tomorrow (Thursday 4 March) the sale starts")


def edited(text: str, rng: random.Random, brand: bool) -> str:
    blocks = re.split(r"(?m)^(?=  - id: post-)", text)
    head, posts = blocks[0], blocks[1:]
    if brand:  # (then every publication is checked: most seeds keep the brand, to test the shortcut)
        head = head.replace("name: Bench Furniture", "name: Bench Furniture & Co")
    out = [head]
    for block in posts:
        roll = rng.random()
        if roll < 0.04:
            block = re.sub(r'\(#(\d+)\)"', rf'(#\1) {rng.choice(DAY_TEXTS)}"', block, count=1)
        elif roll < 0.08:
            block = re.sub(r"at: (\d{4}-\d{2}-)(\d{2})T",
                           lambda m: f"at: {m.group(1)}{min(28, int(m.group(2)) + rng.randrange(1, 3)):02d}T", block)
            block = re.sub(r"BYHOUR=(\d+)", lambda m: f"BYHOUR={(int(m.group(1)) + 2) % 24}", block)
        elif roll < 0.1:
            continue
        out.append(block)
    for extra in range(rng.randrange(0, 6)):
        out.append(f'  - id: added-{extra}\n    kind: tip\n    networks: [site, x]\n'
                   f'    at: 2027-03-{1 + rng.randrange(28):02d}T{8 + extra % 12:02d}:30\n'
                   f'    text: "{rng.choice(DAY_TEXTS)} (added {extra})"\n')
    return "".join(out)


def loaded(name: str, text: str):
    result = check(name, text, draft=True)
    assert result.value is not None and not result.errors, result.errors[:3]
    return result.value


# two posts sharing one template (a YAML alias): lint reports its finding once, for the first
SHARED = ('  - {id: shared-q, kind: tip, networks: [site], at: "2027-03-02T10:00", text: &t "Utilize our oak."}\n'
          '  - {id: shared-p, kind: tip, networks: [site], at: "%s", text: *t}\n')
VOICE = "  voice:\n    words: {utilize: use}\n"


@pytest.mark.parametrize("seed", range(8))
def test_the_diffs_shortcuts_give_the_full_computations_findings(seed, monkeypatch):
    import campaigns.diffvoice

    if seed % 2:  # (lint's own repetition check over the window, as when much changed)
        monkeypatch.setattr(campaigns.diffvoice, "TARGETED_UP_TO", 0)
    rng = random.Random(seed)
    base = generate(150, seed=seed).replace("networks:\n", VOICE + "networks:\n", 1) + SHARED % "2027-03-03T10:00"
    new_text = edited(base, rng, brand=seed % 4 == 3)
    if seed % 3 == 0:
        new_text = new_text.replace("2027-03-03T10:00", "2027-03-05T10:00")
    old, new = loaded("old.yaml", base), loaded("new.yaml", new_text)
    start = datetime(2027, 3, 1, tzinfo=new.brand.tz)
    end = start + timedelta(days=30)
    after = side(new, start, end, "new.yaml", check=False)
    fast = compare(side(old, start, end, "old.yaml", later=True), after, new)
    full = compare(side(old, start, end, "old.yaml"), after, new)
    assert as_json(fast) == as_json(full)
    # the oracle: lint's own text findings of NEW, less those of OLD
    before = {identity(p) for p in lint(old, start, end, repeats=False).problems}
    expected = {identity(p) for p in lint(new, start, end, repeats=False).problems} - before
    reported = {identity(p) for p in fast.findings if not p.message.startswith(REPEATS)}
    assert reported == expected
    assert any(p.message.startswith("wrong-day") for p in fast.findings) or seed % 2, "the edits make day findings"
