"""Validation: every mistake a planner can make is reported at its line and column."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from campaigns.calendar import check, load
from campaigns.errors import CalendarError
from tests.conftest import ROOT

# Posts start at line 15 of the generated file (see conftest.HEADER).
CASES = [
    ("unknown key with a suggestion",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  txt: hi\n",
     "cal.yaml:19:5: unknown key 'txt' (did you mean 'text'?)"),
    ("wrong type",
     "- id: a\n  kind: tip\n  networks: site\n  at: 2026-12-01T10:00\n  text: hi\n",
     "cal.yaml:17:15: 'networks' must be a list, not text"),
    ("unknown kind",
     "- id: a\n  kind: tipp\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: hi\n",
     "cal.yaml:16:11: 'kind' cannot be 'tipp' (did you mean 'tip'?)"),
    ("impossible date",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2027-02-29T10:00\n  text: hi\n",
     "cal.yaml:18:9: '2027-02-29T10:00' is not a date: February 2027 has 28 days"),
    ("impossible time",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T24:30\n  text: hi\n",
     "cal.yaml:18:9: '2026-12-01T24:30' is not a time of day"),
    ("DST gap",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2027-03-28T02:30\n  text: hi\n",
     "cal.yaml:18:9: 2027-03-28T02:30 does not exist in Europe/Berlin: the clocks skip it (DST starts)"),
    ("DST fold",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-10-25T02:30\n  text: hi\n",
     "cal.yaml:18:9: 2026-10-25T02:30 happens twice in Europe/Berlin (DST ends): 2026-10-25T02:30+02:00 and "
     "2026-10-25T02:30+01:00 (add the offset you mean, e.g. 2026-10-25T02:30+02:00)"),
    ("bad rrule",
     "- id: a\n  kind: tip\n  networks: [site]\n  starts: 2026-12-01\n  rrule: FREQ=WEEKLY;BYDAY=XX;BYHOUR=9\n  text: hi\n",
     "cal.yaml:19:12: invalid rrule"),
    ("rrule that never occurs",
     "- id: a\n  kind: tip\n  networks: [site]\n  starts: 2026-12-01\n  rrule: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=9\n  text: hi\n",
     "cal.yaml:19:12: this rrule never produces a date"),
    ("BYSETPOS beyond what a period holds",
     "- id: a\n  kind: tip\n  networks: [site]\n  starts: 2026-12-01\n  rrule: FREQ=DAILY;BYHOUR=9;BYSETPOS=2\n  text: hi\n",
     "cal.yaml:19:12: this rrule never produces a date"),
    ("recurring without a time of day",
     "- id: a\n  kind: tip\n  networks: [site]\n  starts: 2026-12-01\n  rrule: FREQ=WEEKLY\n  text: hi\n",
     "cal.yaml:19:12: recurring post has no time of day"),
    ("recurring without a start",
     "- id: a\n  kind: tip\n  networks: [site]\n  rrule: FREQ=WEEKLY;BYHOUR=9\n  text: hi\n",
     "cal.yaml:18:5: recurring post 'a' needs starts:"),
    ("unknown time zone",
     "- id: a\n  kind: tip\n  networks: [site]\n  timezone: Europe/Berlinn\n  at: 2026-12-01T10:00\n  text: hi\n",
     "cal.yaml:18:15: unknown time zone 'Europe/Berlinn'"),
    ("unknown network",
     "- id: a\n  kind: tip\n  networks: [sitе]\n  at: 2026-12-01T10:00\n  text: hi\n",
     "cal.yaml:17:16: unknown network 'sitе'"),
    ("network type instead of account",
     "- id: a\n  kind: tip\n  networks: [facebook]\n  at: 2026-12-01T10:00\n  text: hi\n",
     "'facebook' is a network type; add an account under networks: with type: facebook"),
    ("unknown campaign",
     "- id: a\n  kind: tip\n  campaign: wintr\n  at: 2026-12-01T10:00\n  text: hi\n",
     "cal.yaml:17:15: unknown campaign 'wintr' (did you mean 'winter'?)"),
    ("unknown template field",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: 'see {links.tracking}'\n",
     "cal.yaml:19:11: unknown template field {links.tracking}; did you mean 'links.order_tracking'?"),
    ("hostile template: attribute access",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: '{links.__class__}'\n",
     "cal.yaml:19:11: unknown template field {links.__class__}"),
    ("hostile template: format spec",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: '{date:>999999999}'\n",
     "has a conversion or format; only plain {field} is allowed"),
    ("hostile template: index",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: '{brand.name[0]}'\n",
     "unknown template field {brand.name[0]}"),
    ("unbalanced braces",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: 'a { b'\n",
     "template is not well formed"),
    ("too long for X",
     "- id: a\n  kind: tip\n  networks: [x]\n  at: 2026-12-01T10:00\n  text: '" + "é" * 300 + "'\n",
     "cal.yaml:15:5: post 'a' is too long for x (X): text is 300/280 weighted characters (20 over)"),
    ("too long for Bluesky at its longest",
     "- id: a\n  kind: tip\n  networks: [sky]\n  at: 2026-12-01T10:00\n  text: '{weekday}" + "a" * 295 + "'\n",
     "post 'a' is too long for sky (Bluesky): text is 304/300 graphemes (4 over) at its longest"),
    ("ends before starts",
     "- id: a\n  kind: tip\n  networks: [site]\n  starts: 2026-12-10\n  ends: 2026-12-01\n  rrule: FREQ=DAILY;BYHOUR=9\n  text: hi\n",
     "cal.yaml:19:11: ends (2026-12-01) is before starts (2026-12-10)"),
    ("both at and rrule",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  rrule: FREQ=DAILY\n  text: hi\n",
     "a post has either at: (one-off) or rrule: (recurring), not both"),
    ("one-off without a time",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01\n  text: hi\n",
     "at: 2026-12-01 has no time of day"),
    ("no networks",
     "- id: a\n  kind: tip\n  at: 2026-12-01T10:00\n  text: hi\n",
     "cal.yaml:15:5: post 'a' has no networks"),
    ("instagram needs an image",
     "- id: a\n  kind: tip\n  networks: [insta]\n  at: 2026-12-01T10:00\n  text: hi\n",
     "goes to insta (Instagram), which needs an image"),
    ("per_network for a network the post does not use",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: hi\n  per_network: {x: {text: yo}}\n",
     "per_network 'x' is not one of this post's networks"),
    ("repeated variant",
     "- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  variants: [hi, there, hi]\n",
     "variant 3 repeats variant 1"),
    ("outside the campaign",
     "- id: a\n  kind: tip\n  campaign: winter\n  at: 2027-03-05T10:00\n  text: hi\n",
     "at: 2027-03-05T10:00 is outside campaign 'winter'"),
    ("bad id",
     "- id: 'has space'\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: hi\n",
     "cal.yaml:15:9: 'id': 'has space' is not in the expected form"),
]


@pytest.mark.parametrize("posts, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_mistake_is_reported_where_it_is(write_calendar, posts, expected):
    path = write_calendar(posts)
    result = check(str(path))
    assert result.value is None
    rendered = [str(p).replace(str(path), "cal.yaml") for p in result.errors]
    assert any(expected in line for line in rendered), rendered


def test_every_problem_is_reported_not_only_the_first(write_calendar):
    path = write_calendar("""
        - id: a
          kind: tipp
          networks: [nowhere]
          at: 2026-02-30T10:00
          text: '{nope}'
        - id: a
          kind: tip
          networks: [site]
          at: 2026-12-01T10:00
          text: hi
          colour: red
        """)
    messages = " | ".join(str(p) for p in check(str(path)).errors)
    for fragment in ["cannot be 'tipp'", "unknown network 'nowhere'", "February 2026 has 28 days",
                     "unknown template field {nope}", "duplicate post id 'a'", "unknown key 'colour'"]:
        assert fragment in messages


def test_unknown_top_level_key_and_network_field(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("brand: {name: A, timezone: UTC}\nnetwork: {}\nnetworks:\n  x: {type: x, instance: 'https://a.b'}\n")
    messages = [str(p) for p in check(str(path)).errors]
    assert f"{path}:2:1: unknown key 'network' (did you mean 'networks'?)" in messages
    assert f"{path}:4:16: 'instance' does not apply to a x network (it belongs to: mastodon)" in messages


def test_secrets_are_not_accepted_in_the_calendar(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("brand: {name: A, timezone: UTC}\nnetworks:\n  x: {type: x, token: 'abc'}\n")
    assert [str(p) for p in check(str(path)).errors][0].startswith(f"{path}:3:16: unknown key 'token'")


def test_recurring_time_in_a_dst_gap_is_a_warning_not_an_error(write_calendar):
    path = write_calendar("""
        - id: night
          kind: tip
          networks: [site]
          starts: 2027-03-01
          rrule: FREQ=DAILY;BYHOUR=2;BYMINUTE=30
          text: hi
        """)
    result = check(str(path))
    assert result.value is not None and not result.errors
    assert [w.message for w in result.warnings] == [
        "02:30 does not exist in Europe/Berlin on the day DST starts",
        "02:30 happens twice in Europe/Berlin on the day DST ends",
    ]


def test_the_sample_calendar_is_valid_without_warnings():
    result = check(str(ROOT / "content_calendar.yaml"))
    assert result.problems == []
    kinds = {p.kind for p in result.value.posts}
    assert kinds == {"tip", "reminder", "announcement", "tracking"}


def test_load_returns_a_calendar_model(write_calendar):
    calendar = load(str(write_calendar("""
        - id: a
          kind: tip
          campaign: winter
          rrule: FREQ=WEEKLY;BYDAY=MO;BYHOUR=9
          variants: ["one {links.help}", "two"]
          per_network: {hooks: {text: "hook text"}}
        """)))
    (post,) = calendar.posts
    assert post.networks == ("site", "hooks")
    assert [t.source for t in post.texts["site"]] == ["one {links.help}", "two"]
    assert [t.source for t in post.texts["hooks"]] == ["hook text"]


def test_documented_account_options_are_accepted_and_checked(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("brand: {name: A, timezone: UTC}\nnetworks:\n"
                    "  x: {type: x, timeout: 5, rate_limit: 50/day}\n"
                    "  m: {type: mastodon, instance: 'https://social.example', visibility: unlisted}\n"
                    "  li: {type: linkedin, author: 'urn:li:organization:1', version: '202411'}\n")
    assert check(str(path)).errors == []
    path.write_text("brand: {name: A, timezone: UTC}\nnetworks:\n"
                    "  m: {type: mastodon, instance: 'https://social.example', visibility: everyone}\n"
                    "  s: {type: site, version: '202411'}\n")
    messages = [p.message for p in check(str(path)).errors]
    assert "'visibility' cannot be 'everyone'" in messages
    assert "'version' does not apply to a site network" in messages


# -- durations and the located builder ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["soon", "30 minutes", "2x", "", "-5m", "1.5h", "99999999999999999999d", "٣m", None, 30])
def test_any_bad_duration_is_a_duration_error_never_another_exception(text):
    from campaigns.durations import parse_duration
    from campaigns.errors import DurationError

    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert "not a duration" in str(info.value) and "90s, 30m, 6h or 2d" in str(info.value)


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("30m", 1800), ("6h", 21600), ("2d", 172800), (" 5 m ", 300)])
def test_good_durations_are_read(text, seconds):
    from campaigns.durations import parse_duration

    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["30", "30/fortnight", "x/hour", "9999999999/hour", "/hour"])
def test_bad_rates_are_refused(text):
    from campaigns.durations import parse_rate
    from campaigns.errors import DurationError

    with pytest.raises(DurationError):
        parse_rate(text)


def test_the_located_builder_turns_bad_durations_into_problems_at_their_place():
    from campaigns.located import LocatedBuilder
    from campaigns.yamlsource import load_text

    data = load_text("a: soon\nb: 99999999999999999999d\nc: [1h, 2x]\nd: 5m\n", "f.yaml")
    builder = LocatedBuilder("f.yaml")
    assert builder.duration(data, "a") is None
    assert builder.duration(data, "b") is None
    assert builder.durations(data, "c") == (timedelta(hours=1),)
    assert builder.duration(data, "d") == timedelta(minutes=5)
    assert builder.duration(data, "absent") is None
    assert [str(p) for p in builder.problems] == [
        "f.yaml:1:4: 'soon' is not a duration (a duration like 90s, 30m, 6h or 2d)",
        "f.yaml:2:4: '99999999999999999999d' is not a duration (a duration like 90s, 30m, 6h or 2d, at most 100 years)",
        "f.yaml:3:9: '2x' is not a duration (a duration like 90s, 30m, 6h or 2d)",
    ]


def test_the_located_builder_checks_times_for_dst_and_references_with_a_suggestion():
    from campaigns.located import LocatedBuilder
    from campaigns.yamlsource import load_text

    data = load_text("gap: 2027-03-28T02:30\nok: 2027-03-28T03:30\nday: 2027-03-28\n"
                     "refs: [checkout, chekout]\n", "f.yaml")
    builder = LocatedBuilder("f.yaml")
    assert builder.instant(data, "gap", "Europe/Berlin") is None
    assert builder.instant(data, "ok", "Europe/Berlin").isoformat() == "2027-03-28T03:30:00+02:00"
    assert builder.instant(data, "day", "Europe/Berlin") is None
    assert builder.references(data, "refs", {"checkout": 1, "api": 2}, "component") == ("checkout",)
    assert [str(p) for p in builder.problems] == [
        "f.yaml:1:6: 2027-03-28T02:30 does not exist in Europe/Berlin: the clocks skip it (DST starts) "
        "(pick another time, or give an offset, e.g. 2027-03-28T03:30+02:00)",
        "f.yaml:3:6: day: 2027-03-28 has no time of day (write e.g. 2027-03-28T09:00)",
        "f.yaml:4:18: unknown component 'chekout' (did you mean 'checkout'?)",
    ]


def test_an_overflowing_duration_in_the_calendar_is_a_located_error(tmp_path: Path):
    # Given durations the schema's pattern lets through but a timedelta cannot hold
    text = (ROOT / "content_calendar.yaml").read_text()
    text = text.replace("posts:\n", "engine:\n  catch_up: {tip: 99999999999999999999d}\nposts:\n", 1)
    path = tmp_path / "cal.yaml"
    path.write_text(text)
    # When it is checked, Then it is a problem at its place, not a traceback
    result = check(str(path))
    assert result.value is None
    assert any("'99999999999999999999d' is not a duration" in str(p) for p in result.errors), result.errors
    with pytest.raises(CalendarError):
        result.unwrap(CalendarError)


def test_check_returns_the_generic_load_result():
    from campaigns.result import LoadResult

    result = check(str(ROOT / "content_calendar.yaml"))
    assert isinstance(result, LoadResult) and result.ok
    assert result.unwrap() is result.value


def test_the_calendar_schema_is_a_valid_draft_7_schema():
    from jsonschema import Draft7Validator

    from campaigns.schema import calendar_schema

    Draft7Validator.check_schema(calendar_schema())


def test_a_rate_limit_too_large_to_read_is_a_located_error(tmp_path: Path):
    # Given a rate the schema's pattern lets through but that is no sensible number
    text = (ROOT / "content_calendar.yaml").read_text()
    text = text.replace("  site: {type: site,", "  site: {rate_limit: 99999999999999/hour, type: site,", 1)
    path = tmp_path / "cal.yaml"
    path.write_text(text)
    # When it is checked, Then it is an error at its place (not a crash when the engine first sends)
    result = check(str(path))
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "rate_limit: 99999999999999/hour" in row)
    assert any(p.line == line and "'99999999999999/hour' is not a rate" in p.message for p in result.errors), \
        result.errors


@pytest.mark.slow
def test_the_validator_agrees_with_jsonschema_and_explains_every_broken_document():
    """jsonschema-rs is Herald's one validator; jsonschema (a test dependency) is an independent
    implementation of the same draft. Every value of the sample calendar and status file, replaced
    by values of the wrong type or shape, must get the same verdict from both, and every broken
    document at least one explained problem (else it would reach the builder unexplained)."""
    from jsonschema import Draft7Validator

    from campaigns.calendar import _checker as calendar_checker
    from campaigns.yamlsource import load_file
    from status.load import _checker as status_checker

    wrong: list[object] = [None, 7, -1, 2.5, True, "", "x" * 3, "not a date", [], [1], {}, {"zz": 1}]

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for key, value in node.items():
                yield from paths(value, (*prefix, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from paths(value, (*prefix, index))

    def replaced(node, path, value):
        if not path:
            return value
        head, rest = path[0], path[1:]
        if isinstance(node, dict):
            return {k: (replaced(v, rest, value) if k == head else v) for k, v in node.items()}
        return [replaced(v, rest, value) if i == head else v for i, v in enumerate(node)]

    for name, checker in (("content_calendar.yaml", calendar_checker()), ("status.yaml", status_checker())):
        document = load_file(str(ROOT / name))
        checked = 0
        oracle = Draft7Validator(checker.schema)
        for path in list(paths(document))[1:]:
            for value in wrong:
                broken = replaced(document, path, value)
                valid = not any(True for _ in oracle.iter_errors(broken))
                assert checker.validator.is_valid(broken) == valid, (name, path, value)
                assert bool(checker.problems(broken, name)[0]) != valid, (name, path, value)
                checked += 1
        assert checked > 500, checked


def test_validate_lists_errors_in_line_order_whichever_check_found_them(write_calendar, tmp_path, capsys):
    from scheduler.cli import main

    # an impossible date (the builder finds it) above an unknown key (the schema finds it first)
    path = write_calendar("- id: a\n  kind: tip\n  networks: [site]\n  at: 2027-02-29T10:00\n  text: hi\n"
                          "- id: b\n  kind: tip\n  networks: [site]\n  at: 2027-01-01T10:00\n  txt: hi\n")
    assert main(["validate", str(path), "--status", str(tmp_path / "none.yaml")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1:3] for line in err[:2]] == [["18", "9"], ["24", "5"]]
    assert "unknown key 'txt'" in err[1] and err[2].endswith("2 errors")


@pytest.mark.slow
def test_validating_the_sample_loads_no_heavy_library():
    """Start-up is what a person waits for: the sample validates (voice guide and all) without
    datasketch/numpy/scipy, SQLAlchemy or jsonschema being imported."""
    import subprocess
    import sys

    code = ("import sys; from scheduler.cli import main; "
            f"rc = main(['validate', {str(ROOT / 'content_calendar.yaml')!r}, '--status', {str(ROOT / 'status.yaml')!r}]); "
            "print(rc, sorted(m for m in ('datasketch', 'numpy', 'scipy', 'sqlalchemy', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "0 []"


def test_the_exact_repeat_check_finds_what_the_index_finds_on_few_texts():
    from datetime import UTC, datetime

    from campaigns.similarity import RecentExact, RecentIndex, shingles

    base = "Your sofa order ships this week; track it any time at acme.example/track and ask us anything"
    texts = [base, base.replace("sofa", "table"), "Winter opening hours: 9 to 5 on weekdays, closed on Sundays",
             base.replace("this week", "next week"), "Winter opening hours: 9 to 6 on weekdays, closed on Sundays",
             "Something else entirely about chairs and the people who make them in our workshop"]
    sets = [shingles(t) for t in texts]
    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    exact, index = RecentExact(0.6, timedelta(days=30)), RecentIndex(0.6, timedelta(days=30), sets)
    found_exact = [exact.find_and_add(t0 + timedelta(days=i), i, sets, i) for i in range(len(texts))]
    found_lsh = [index.find_and_add(t0 + timedelta(days=i), i, i) for i in range(len(texts))]
    assert [f and f[0] for f in found_exact] == [None, 0, None, 1, 2, None]
    assert found_exact == found_lsh
    # outside the window nothing is alike
    late = RecentExact(0.6, timedelta(days=1))
    assert [late.find_and_add(t0 + timedelta(days=3 * i), i, sets, i) for i in range(2)] == [None, None]


def test_an_x_post_that_nfc_makes_longer_is_measured_not_waved_through(write_calendar, tmp_path, capsys):
    """X counts the NFC form: U+1D160 becomes three characters weighing 2 each (a review found
    the cheap bound, taken on the raw text, let 612 weighted characters through)."""
    from scheduler.cli import main

    path = write_calendar('- id: jingle\n  kind: tip\n  networks: [x]\n  at: 2027-01-01T10:00\n'
                          '  text: "Our jingle: ' + "\U0001d160" * 100 + '"\n')
    assert main(["validate", str(path), "--status", str(tmp_path / "none.yaml")]) == 1
    assert "612/280 weighted characters (332 over)" in capsys.readouterr().err
