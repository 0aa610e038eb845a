"""The status reaction is independent of history (issue 24): a save of a long status file is
parsed and checked incrementally, and planned from what changed, with exactly the results of
checking and planning the whole file.

- incremental parse: after one version of a file was checked, an edit anywhere (the header, an
  item, across items, breaking the YAML, repeating an id, shifting every line after it) checks to
  exactly what checking the edited file from scratch as one document gives: the status, and every
  problem with its file:line:column;
- announcements from the change: ``status.announce.change`` plus the plan of the status before
  is exactly the plan of the status after, computed by the reference (the code path before this
  change: every incident rendered, kept below), with 2,000 incidents.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaigns.yamlparts as yamlparts
import status.load as load_module
from campaigns.calendar import loads as load_calendar
from campaigns.model import Calendar, Kind
from campaigns.plan import Publication, publication_key
from status.announce import _accounts, _ahead, _values, _window, announcements, change, render, render_update
from status.model import Incident, Maintenance, Status, Update, UpdateState

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

CALENDAR = load_calendar("""\
brand: {name: Bench, timezone: Europe/Berlin, links: {status: 'https://status.example'}}
networks:
  hook: {type: webhook, url: 'https://hooks.example/in'}
  chat: {type: slack}
  masto: {type: mastodon, instance: 'https://social.example'}
  site: {type: site}
posts: []
""")


# -- the file --------------------------------------------------------------------------------------------

def status_text(incidents: int, windows: int = 5) -> str:
    out = ["# the status of Bench", "timezone: Europe/Berlin", "status_page: https://status.example",
           "components:", "  api: {name: API}", "  web: {name: Website}", "incidents:"]
    for n in range(incidents):
        start = NOW - timedelta(hours=6 * (incidents - n))
        out += [f"  - id: inc-{n}", f"    title: Incident {n}", f"    impact: {['minor', 'major'][n % 2]}",
                "    components: [api]" if n % 3 else "    components: [api, web]",
                "    updates:", f"      - at: {start:%Y-%m-%dT%H:%M}", "        state: investigating",
                f"        message: Errors on the API ({n})."]
        if n % 4:
            out += [f"      - at: {start + timedelta(hours=1):%Y-%m-%dT%H:%M}", "        state: resolved",
                    "        message: |", "          Fixed.", "          All good."]
        out.append("    # a comment inside")
    out += ["", "# windows", "maintenance:"]
    for n in range(windows):
        starts = NOW + timedelta(days=n - 2)
        out += [f"- id: m{n}", f"  title: Upgrade {n}", f"  starts: {starts:%Y-%m-%dT%H:%M}",
                f"  ends: {starts + timedelta(hours=1):%Y-%m-%dT%H:%M}", "  message: Slow for a while."]
    out += ["feeds: []"]
    return "\n".join(out) + "\n"


def whole(path: str, text: str, calendar: Calendar | None) -> Any:
    """The reference: the text checked as one document, nothing remembered (the code path before)."""
    saved, memos = yamlparts._split, dict(load_module._MEMOS)
    yamlparts._split = lambda text, keys: None  # (the splitter both loaders share)
    load_module._MEMOS.clear()
    try:
        return load_module.check(path, calendar, text)
    finally:
        yamlparts._split = saved
        load_module._MEMOS.clear()
        load_module._MEMOS.update(memos)


def incremental(path: str, before: str, after: str, calendar: Calendar | None) -> Any:
    load_module._MEMOS.pop(path, None)
    load_module.check(path, calendar, before)
    return load_module.check(path, calendar, after)


def same(path: str, before: str, after: str, calendar: Calendar | None = CALENDAR) -> None:
    expected = whole(path, after, calendar)
    got = incremental(path, before, after, calendar)
    assert got.problems == expected.problems
    assert [str(p) for p in got.problems] == [str(p) for p in expected.problems]
    assert got.value == expected.value


BASE = status_text(12)
LINES = BASE.split("\n")
AT_ITEM = LINES.index("  - id: inc-5")


def edit(at: int, remove: int, *insert: str) -> str:
    return "\n".join(LINES[:at] + list(insert) + LINES[at + remove:])


EDITS = {
    "unchanged": BASE,
    "an update added to one incident": edit(AT_ITEM + 8, 0, "      - at: 2026-11-30T20:00", "        state: monitoring",
                                            "        message: Watching."),
    "an incident added at the end": edit(LINES.index("# windows") - 1, 0, "  - id: new", "    title: New",
                                         "    impact: major", "    updates:", "      - at: 2026-12-01T09:00",
                                         "        state: investigating", "        message: Looking."),
    "an incident removed": edit(AT_ITEM, LINES.index("  - id: inc-6") - AT_ITEM),
    "every line after the first item moves": edit(AT_ITEM - 2, 0, "    # one more comment line"),
    "a component renamed": BASE.replace("web: {name: Website}", "web: {name: Web shop}"),
    "a component removed (a reference breaks)": BASE.replace("  web: {name: Website}\n", ""),
    "the time zone changed": BASE.replace("timezone: Europe/Berlin", "timezone: America/New_York"),
    "a repeated incident id": BASE.replace("id: inc-7", "id: inc-3"),
    "an update out of order": BASE.replace("state: investigating\n        message: Errors on the API (5).",
                                           "state: investigating\n        message: Errors on the API (5).\n"
                                           "      - at: 2020-01-01T00:00\n        state: identified\n"
                                           "        message: Late."),
    "an unknown key in one item": edit(AT_ITEM + 1, 0, "    titel: typo"),
    "an unclosed quote in one item": edit(AT_ITEM + 1, 1, '    title: "Incident 5'),
    "a quote closed in the next item": edit(AT_ITEM + 1, 1, '    title: "Incident 5').replace(
        "    title: Incident 6", '    title: Incident 6"'),
    "a bad indentation": edit(AT_ITEM + 1, 1, "   title: Incident 5"),
    "a tab": edit(AT_ITEM + 1, 1, "\ttitle: Incident 5"),
    "an alias of an anchor in another item": BASE.replace("title: Incident 2", "title: &two Incident 2").replace(
        "title: Incident 4", "title: *two"),
    "an anchor and its alias in one item": BASE.replace("title: Incident 2", "title: &two Incident 2").replace(
        "message: Errors on the API (2).", "message: *two"),
    "a duplicate key in the header": BASE.replace("status_page:", "timezone: UTC\nstatus_page:"),
    "the list written twice": BASE + "incidents: []\n",
    "a list item at the margin in a list at two spaces": edit(AT_ITEM, 0, "- id: stray", "  title: Stray"),
    "a flow list of incidents": BASE.replace("incidents:\n  - id: inc-0", "incidents: [\n  ]\nx:\n  - id: inc-0"),
    "Windows line ends": BASE.replace("\n", "\r\n"),
    "a document marker": "---\n" + BASE,
    "a control character": BASE.replace("Errors on the API (3).", '"Errors on the API \\u0007."'),
    "an impossible date": BASE.replace("state: investigating\n        message: Errors on the API (4).",
                                       "state: investigating\n        message: Errors on the API (4).").replace(
        f"at: {(NOW - timedelta(hours=6 * 8)):%Y-%m-%dT%H:%M}", "at: 2026-02-30T10:00"),
    "no line break at the end": BASE.rstrip("\n"),
    "an empty incidents list": BASE[:BASE.index("incidents:")] + "incidents:\n" + BASE[BASE.index("\n# windows"):],
    "not a mapping": "- a\n- b\n",
    "only comments": "# nothing yet\n",
}


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edit_checks_to_what_the_whole_file_checks_to(name):
    same("/srv/status.yaml", BASE, EDITS[name])


@pytest.mark.parametrize("name", ["a repeated incident id", "an unclosed quote in one item", "an update out of order"])
def test_a_bad_version_then_the_good_one_again(name):
    same("/srv/status.yaml", EDITS[name], BASE)
    same("/srv/status.yaml", EDITS[name], EDITS[name])


def test_a_new_calendar_builds_every_item_again():
    other = load_calendar(CALENDAR_TEXT_WITHOUT_CHAT)
    load_module._MEMOS.pop("/srv/s.yaml", None)
    text = BASE.replace("    impact: minor\n", "    impact: minor\n    networks: [chat]\n", 1)
    load_module.check("/srv/s.yaml", CALENDAR, text)
    got = load_module.check("/srv/s.yaml", other, text)
    expected = whole("/srv/s.yaml", text, other)
    assert got.problems == expected.problems and got.problems  # the account is gone: reported
    assert got.value == expected.value


CALENDAR_TEXT_WITHOUT_CHAT = """\
brand: {name: Bench, timezone: Europe/Berlin}
networks:
  hook: {type: webhook, url: 'https://hooks.example/in'}
posts: []
"""


def test_the_file_is_split_where_its_items_start():
    lists = yamlparts._split(BASE, load_module.SPLIT)
    assert lists is not None and set(lists) == {"incidents", "maintenance"}
    assert len(lists["incidents"]) == 12 + 1 and len(lists["maintenance"]) == 5 + 1
    assert all(BASE[i:].startswith(("  - id: inc-", "- id: m")) for i in lists["incidents"][:-1] +
               lists["maintenance"][:-1])


@pytest.mark.parametrize("parse_first", [False, True])
def test_an_unchanged_item_is_neither_parsed_nor_built_again(monkeypatch, parse_first):
    """An update on the last incident parses and builds that item only: the windows after it
    moved three lines down, and are reused with their places moved (also when the settled read
    parsed the file first, as the daemon does)."""
    path = "/srv/reuse.yaml"
    load_module._MEMOS.pop(path, None)
    last = LINES.index("  - id: inc-11")
    after = edit(last + 8, 0, "      - at: 2026-11-30T20:00", "        state: monitoring", "        message: Watching.")
    expected = whole(path, after, CALENDAR).value
    load_module.check(path, CALENDAR, BASE)
    parsed, built = [], []
    real_item, real_incident, real_window = yamlparts._item, load_module._Builder.incident, load_module._Builder.window
    monkeypatch.setattr(yamlparts, "_item", lambda chunk, path, line: parsed.append(line) or real_item(
        chunk, path, line))
    monkeypatch.setattr(load_module._Builder, "incident",
                        lambda self, spec, *a: built.append(spec["id"]) or real_incident(self, spec, *a))
    monkeypatch.setattr(load_module._Builder, "window",
                        lambda self, spec, *a: built.append(spec["id"]) or real_window(self, spec, *a))
    if parse_first:
        assert load_module.parses(path, after.encode())
    assert load_module.check(path, CALENDAR, after).value == expected
    assert parsed == [last]
    assert built == ["inc-11"]


lines = st.sampled_from(["  - id: x", "    title: T", "    impact: major", "    updates:", "      - at: 2026-11-30T10:00",
                         "        state: resolved", "        message: Done.", "", "# c", "maintenance:",
                         "- id: m9", "  title: W", '    title: "open', "    - a", "  -", "x: 1", "    components: [api]",
                         "      - at: 2026-11-30T08:00", "        state: investigating", "  - id: inc-3", "\t"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(at=st.integers(0, len(LINES) - 1), remove=st.integers(0, 12), insert=st.lists(lines, max_size=8))
def test_any_edit_checks_to_what_the_whole_file_checks_to(at, remove, insert):
    same("/srv/prop.yaml", BASE, edit(at, remove, *insert))


# -- announcements from the change -----------------------------------------------------------------------

def reference_announcements(calendar: Calendar, status: Status, start: datetime, end: datetime,
                            accounts: set[str] | None = None, now: datetime | None = None,
                            announced: frozenset[str] = frozenset()) -> list[Publication]:
    """``status.announce.announcements`` as it was before this change (every update of every
    incident rendered, then the window applied): the reference the plan from a change must match."""
    tz = calendar.brand.tz
    out: list[Publication] = []

    def add(source, key_source, instant, at, post, account, text, note, role, root=None, kind=Kind.INCIDENT,
            incident_state="", fallbacks=()):
        if not start <= at < end:
            return
        limit = account.rules.limit
        out.append(Publication(
            key=publication_key(key_source, instant, account.name), source=source, post=post, kind=kind,
            network=account.name, network_type=account.type, at=at.astimezone(tz), text=text, variant=1,
            variants=1, limit=limit.maximum if limit else None, note=note, thread_root=root,
            thread_fallbacks=fallbacks, role=role, incident_state=incident_state))

    for incident in status.incidents:
        root = incident.updates[0]
        for account in _accounts(calendar, incident.networks, accounts):
            root_key = publication_key(incident.source, root.at, account.name)
            for update in incident.updates:
                add(incident.source, incident.source, update.at, update.at, incident.id, account,
                    render_update(calendar, status, incident, update, account), f"{update.state} ({incident.impact})",
                    str(update.state), None if update is root else root_key, incident_state=str(update.state))
            if incident.resolved and incident.follow_up is not None:
                resolved = incident.updates[-1].at
                values = _values(calendar, status, title=incident.title, affected=_affected(incident, status),
                                 impact=incident.impact, state="follow_up")
                add(incident.source, f"{incident.source}:follow-up", resolved, resolved + incident.follow_up,
                    incident.id, account, render(calendar, "follow_up", incident.impact, values, account),
                    "follow-up", "follow_up", root_key, incident_state=str(UpdateState.RESOLVED))
    for m in status.maintenance:
        earlier = {s for s in announced if s.startswith(f"maintenance:{m.id}@")}
        values = _values(calendar, status, title=m.title, affected=_affected(m, status), message=m.message,
                         window=_window(m, tz), end_time=m.ends.astimezone(tz).strftime("%H:%M %Z"),
                         impact="maintenance")
        for account in _accounts(calendar, m.networks, accounts):
            def say(phase, account=account, values=values, **extra):
                return render(calendar, f"maintenance.{phase}", "maintenance", {**values, **extra}, account)

            if m.cancelled:
                if earlier and now is not None:
                    add(f"maintenance:{m.id}", f"maintenance:{m.id}:cancelled", m.starts, now, m.id, account,
                        say("cancelled"), "maintenance cancelled", "maintenance.cancelled", kind=Kind.MAINTENANCE)
                continue
            if earlier - {m.source} and now is not None:
                add(m.source, f"{m.source}:changed", m.starts, now, m.id, account, say("changed"),
                    "maintenance changed", "maintenance.changed", kind=Kind.MAINTENANCE)
            # each of a window's posts on an account replies under the first of the earlier ones sent:
            # the first planned is its root, the others in order are where it replies if that one never went
            thread: list[str] = []

            def window_post(key_source, at, text, note, role, account=account, thread=thread, m=m):
                add(m.source, key_source, m.starts if role != "maintenance.end" else m.ends, at, m.id, account, text,
                    note, role, thread[0] if thread else None, kind=Kind.MAINTENANCE, fallbacks=tuple(thread[1:]))
                thread.append(publication_key(key_source, m.starts if role != "maintenance.end" else m.ends,
                                              account.name))

            for ahead in sorted(m.remind, reverse=True):
                window_post(f"{m.source}:remind:{int(ahead.total_seconds())}", m.starts - ahead,
                            say("reminder", when=_ahead(ahead)), "maintenance in " + _ahead(ahead).removeprefix("in "),
                            "maintenance.reminder")
            window_post(f"{m.source}:start", m.starts, say("start"), "maintenance starts", "maintenance.start")
            window_post(f"{m.source}:end", m.ends, say("end"), "maintenance ends", "maintenance.end")
    out.sort(key=lambda p: (p.at.timestamp(), p.network, p.post))
    return out


def _affected(item: Incident | Maintenance, status: Status) -> str:
    names = [status.components[c].name if c in status.components else c for c in item.components]
    if not names:
        return "some of our services"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def big_status(count: int = 2000) -> Status:
    """2,000 incidents over the last two years (the newest few open, one resolved recently: its
    follow-up is in the plan) and 50 maintenance windows, on 12 components."""
    text = ["components:"] + [f"  c{n}: {{name: Component {n}}}" for n in range(12)]
    status = load_module.loads("\n".join(text) + "\n", CALENDAR)
    incidents = []
    for n in range(count):
        start = NOW - timedelta(hours=8 * (count - n) + 1)
        updates = [Update(start, UpdateState.INVESTIGATING, f"Incident {n}: errors. We are looking into it.")]
        if n < count - 3:
            updates.append(Update(start + timedelta(hours=1), UpdateState.RESOLVED, "Fixed."))
        incidents.append(Incident(f"inc-{n}", f"Incident {n}", ["minor", "major", "critical"][n % 3], tuple(updates),
                                  (f"c{n % 12}",), line=n))
    windows = tuple(Maintenance(f"m{n}", f"Upgrade {n}", NOW + timedelta(days=n * 3 - 30),
                                NOW + timedelta(days=n * 3 - 30, hours=1), "Slow.", (f"c{n % 12}",))
                    for n in range(50))
    return replace(status, incidents=tuple(incidents), maintenance=windows)


BIG = big_status()
START, END = NOW - timedelta(days=2), NOW + timedelta(days=14)
ACCOUNTS = {"hook", "chat", "site", "masto"}


def with_incident(status: Status, n: int, incident: Incident | None) -> Status:
    incidents = list(status.incidents)
    if incident is None:
        del incidents[n]
    else:
        incidents[n] = incident
    return replace(status, incidents=tuple(incidents))


def more(incident: Incident, at: datetime, state: UpdateState = UpdateState.MONITORING) -> Incident:
    return replace(incident, updates=(*incident.updates, Update(at, state, "Still watching.")))


CHANGES = {
    "an update on an open incident": lambda s: with_incident(s, 1998, more(s.incidents[1998], NOW)),
    "an open incident resolved (its follow-up)": lambda s: with_incident(
        s, 1999, more(s.incidents[1999], NOW - timedelta(minutes=5), UpdateState.RESOLVED)),
    "an old incident's message fixed": lambda s: with_incident(s, 10, replace(
        s.incidents[10], updates=(replace(s.incidents[10].updates[0], message="Typo fixed."),
                                  *s.incidents[10].updates[1:]))),
    "a line number moved only": lambda s: with_incident(s, 1997, replace(s.incidents[1997], line=99999)),
    "an incident declared": lambda s: replace(s, incidents=(*s.incidents, Incident(
        "new", "New", "major", (Update(NOW, UpdateState.INVESTIGATING, "Looking."),), ("c1",)))),
    "an incident removed": lambda s: with_incident(s, 1998, None),
    "a window moved": lambda s: replace(s, maintenance=(*s.maintenance[:12], replace(
        s.maintenance[12], starts=s.maintenance[12].starts + timedelta(hours=2),
        ends=s.maintenance[12].ends + timedelta(hours=2)), *s.maintenance[13:])),
    "a window cancelled": lambda s: replace(s, maintenance=(*s.maintenance[:11], replace(
        s.maintenance[11], cancelled=True), *s.maintenance[12:])),
    "only an open incident's networks": lambda s: with_incident(s, 1999, replace(s.incidents[1999],
                                                                                  networks=("hook",))),
}


def announced_for(status: Status) -> frozenset[str]:
    """The ledger's sent sources: windows 10 to 12 announced as they are now, window 13 as it was
    before it moved (its news is dated ``now`` whenever the plan is made)."""
    sources = {m.source for m in status.maintenance[10:13]}
    moved = status.maintenance[13]
    return frozenset(sources | {replace(moved, starts=moved.starts - timedelta(days=1)).source})


def keyed(pubs: list[Publication]) -> dict[str, Publication]:
    return {p.key: p for p in pubs}


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_announces_exactly_what_a_full_recompute_does(name):
    before, after = BIG, CHANGES[name](BIG)
    earlier, later = NOW - timedelta(minutes=3), NOW
    announced = announced_for(after)
    planned = keyed(reference_announcements(CALENDAR, before, START, END, ACCOUNTS, earlier, announced))
    found = change(before, after, announced)
    assert found is not None
    assert len(found.status.incidents) <= 2 and len(found.status.maintenance) <= 3  # the change, not the file
    kept = {k: p for k, p in planned.items() if (p.kind, p.post) not in found.posts}
    kept.update(keyed(announcements(CALENDAR, found.status, START, END, ACCOUNTS, later, announced)))
    expected = keyed(reference_announcements(CALENDAR, after, START, END, ACCOUNTS, later, announced))
    assert kept == expected
    assert keyed(announcements(CALENDAR, after, START, END, ACCOUNTS, later, announced)) == expected


def test_a_change_to_what_every_text_names_plans_everything_again():
    renamed = replace(BIG, components={**BIG.components, "c1": replace(BIG.components["c1"], name="Checkout")})
    assert change(BIG, renamed) is None
    assert change(BIG, replace(BIG, status_page="https://elsewhere.example")) is None
    repeated = replace(BIG, incidents=(*BIG.incidents, BIG.incidents[0]))
    assert change(BIG, repeated) is None


def test_the_open_incidents_are_indexed_by_component():
    assert [i.id for i in BIG.open_incidents()] == ["inc-1997", "inc-1998", "inc-1999"]
    assert [i.id for i in BIG.open_on("c5")] == ["inc-1997"] and BIG.open_on("c1") == []
    assert BIG.open_on("nothing") == []
    assert BIG.incident("inc-5") is BIG.incidents[5] and BIG.incident("nope") is None
