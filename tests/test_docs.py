"""Every command the README and docs/ show runs, so no placeholder, missing file or renamed option
survives in a page (the conventions: ``tests/docs.py``).

Each page runs in a scratch folder of its own: copies of the sample calendar and status file (also
in ``run/``, as ``make run`` seeds them), and links to ``.venv``, ``tests/`` and ``schema/`` of the
checkout, whose files the pages name. A page's ``127.0.0.1`` ports are replaced by free ones and
its ``postgresql://`` URLs by this run's own test database; nothing reaches the internet.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.docs import ROOT, Block, Command, blocks, commands, herald_argv, name, pages

SAMPLES = ("content_calendar.yaml", "status.yaml")
LINKED = (".venv", "tests", "schema")
PORT = re.compile(r"\b(?:127\.0\.0\.1|localhost):(\d{2,5})\b")
POSTGRES = re.compile(r"postgresql://[^\s'\"]+")
MAX_NOT_RUN = 14  # blocks shown and not run: few, each with its reason (14 today)
EOF = "__HERALD_DOC_EOF__"


def _ids(paths: list[Path]) -> list[str]:
    return [name(p) for p in paths]


def _runnable(page: Path) -> list[Block]:
    return [b for b in blocks(page) if b.runs or b.writes]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rewrites(page_blocks: list[Block]) -> dict[str, str]:
    """The page's ports to free ones, its PostgreSQL URLs to this run's test database."""
    text = "".join(b.text for b in page_blocks)
    found = {m.group(0): f"127.0.0.1:{_free_port()}" for m in PORT.finditer(text)}
    urls = set(POSTGRES.findall(text))
    if urls:
        from tests.conftest import _fresh_postgres_url

        database = _fresh_postgres_url()
        found.update({url: database for url in urls})
    return found


def _rewrite(text: str, rewrites: dict[str, str]) -> str:
    for old in sorted(rewrites, key=len, reverse=True):
        text = text.replace(old, rewrites[old])
    return text


PRELUDE = """\
set -u -o pipefail
__fail() { echo "$1: $2" >&2; exit 97; }
__wait() {
  for _ in $(seq 400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  __fail "$2" "nothing answers on 127.0.0.1:$1"
}
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
"""


def script(page: Path, rewrites: dict[str, str]) -> str:
    """The page's runnable blocks as one bash script: files saved, commands checked one by one."""
    out = [PRELUDE]
    for block in _runnable(page):
        if block.writes:
            how, path = block.writes[0], shlex.quote(block.writes[1])
            out.append(f"mkdir -p \"$(dirname {path})\"\ncat {'>>' if how == 'append' else '>'} {path} "
                       f"<<'{EOF}'\n{_rewrite(block.text, rewrites)}{EOF}\n")
            continue
        for command in commands(block):
            text = _rewrite(command.text, rewrites)
            where = shlex.quote(command.where)
            if _shows_a_plan(command):
                out.append(_plan_command(text, where, command.exit))
                continue
            out.append(f"eval {shlex.quote(text)}\n")
            if command.background:
                port = PORT.search(text)
                out.append(f"__wait {port.group(1)} {where}\n" if port else "sleep 1\n")
                continue
            out.append(f"__rc=$?; [ \"$__rc\" = {command.exit} ] || __fail {where} "
                       f"\"exit $__rc, expected {command.exit}: \"{shlex.quote(text)}\n")
    return "".join(out)


PLAN = re.compile(r"\bherald plan\b")


def _shows_a_plan(command: Command) -> bool:
    """A ``herald plan`` the reader runs to see publications: its output shown, not written to a file."""
    return bool(PLAN.search(command.text)) and command.exit == 0 and not command.background and ">" not in command.text


def _plan_command(text: str, where: str, status: int) -> str:
    """A plan command that must also list something: a page shows a plan for what it lists, and a
    plan of nothing ("0 publications", or no JSON line) shows the reader nothing (issue 27)."""
    return (f"__out=$(eval {shlex.quote(text)}); __rc=$?; printf '%s\\n' \"$__out\"\n"
            f"[ \"$__rc\" = {status} ] || __fail {where} \"exit $__rc, expected {status}: \"{shlex.quote(text)}\n"
            f"case \"$__out\" in ''|'0 publications'*) __fail {where} \"lists no publication: \"{shlex.quote(text)};; "
            "esac\n")


def sandbox(folder: Path) -> Path:
    """A reader's checkout, as far as the pages need one: the samples copied (and in run/, as
    `make run` seeds it), the virtualenv, the tests' data and the schemas linked."""
    (folder / "run").mkdir(parents=True)
    (folder / "home").mkdir()
    for sample in SAMPLES:
        shutil.copy(ROOT / sample, folder / sample)
        shutil.copy(ROOT / sample, folder / "run" / sample)
    for linked in LINKED:
        (folder / linked).symlink_to(ROOT / linked)
    return folder


def _environment(folder: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TERM", "CI")}
    return {**keep, "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(folder / "home"), "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


# pages whose commands need more than the samples (a git repository with history): a test of their
# own runs every command they show, against what the page says the reader has
RUN_BY_THEIR_OWN_TEST = {"docs/howto/review-calendar-changes.md": "tests/test_diff_docs.py"}
RUN_PAGES = [p for p in pages() if any(b.runs for b in blocks(p)) and name(p) not in RUN_BY_THEIR_OWN_TEST]


def test_a_page_left_to_its_own_test_has_one_that_runs_each_of_its_commands():
    for page, test in RUN_BY_THEIR_OWN_TEST.items():
        assert (ROOT / page).exists() and (ROOT / test).exists(), (page, test)
        assert page in (ROOT / test).read_text(encoding="utf-8"), f"{test} does not read {page}"


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN_PAGES, ids=_ids(RUN_PAGES))
def test_every_command_a_page_shows_runs(page, tmp_path):
    folder = sandbox(tmp_path / "reader")
    text = script(page, _rewrites(_runnable(page)))
    proc = subprocess.run(["bash", "-c", text], cwd=folder, env=_environment(folder), capture_output=True,
                          text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "Traceback (most recent call last)" not in output, output[-4000:]


# --- what needs no run: every page, in milliseconds -------------------------------------------


@pytest.mark.parametrize("page", pages(), ids=_ids(pages()))
def test_every_shell_block_runs_or_says_why_not(page):
    for block in blocks(page):
        assert block.lang not in ("bash", "shell", "console", "shell-session"), (
            f"{block.where}: a shell block is fenced as ```sh (run) or ```sh no-run: REASON")
        if block.lang == "sh":
            assert block.runs or block.no_run_reason, f"{block.where}: ```sh takes only `no-run: REASON`"
            for command in commands(block):
                assert "<<" not in command.text, f"{command.where}: save a file with ```LANG file=PATH instead"


def test_blocks_shown_and_not_run_are_few():
    not_run = [b.where for p in pages() for b in blocks(p) if b.no_run_reason]
    assert len(not_run) <= MAX_NOT_RUN, not_run


@pytest.mark.parametrize("page", pages(), ids=_ids(pages()))
def test_every_herald_command_shown_parses(page):
    """Also in blocks that are not run: an option the parser does not know fails here."""
    from scheduler.cli import build_parser

    parser = build_parser()
    for block in blocks(page):
        if block.lang != "sh":
            continue
        for command in commands(block):
            for argv in herald_argv(command.text) if command.exit != 2 else ():  # exit 2: shown refused
                try:
                    parser.parse_args(argv)
                except SystemExit as exc:  # --version and --help exit 0 as they parse
                    if exc.code:
                        pytest.fail(f"{command.where}: `herald {' '.join(argv)}` does not parse ({exc.code})")


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as '-'."""
    heads = [line.lstrip("#").strip() for line in page.read_text(encoding="utf-8").splitlines()
             if re.match(r"#{1,6} ", line)]
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in heads}


def _outside_code(text: str) -> str:
    return re.sub(r"`[^`\n]*`", "", re.sub(r"^ *```.*?^ *```", "", text, flags=re.S | re.M))


@pytest.mark.parametrize("page", pages(), ids=_ids(pages()))
def test_every_link_between_pages_leads_somewhere(page):
    for target in LINK.findall(_outside_code(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue  # an address outside the checkout
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{name(page)}: the link {target} leads to no file"
        if anchor:
            assert anchor in _anchors(file), f"{name(page)}: the link {target} leads to no heading"


def test_every_page_is_linked_from_the_index_or_the_readme():
    linked = set()
    for source in (ROOT / "README.md", ROOT / "docs" / "index.md"):
        for target in LINK.findall(source.read_text(encoding="utf-8")):
            linked.add((source.parent / target.partition("#")[0]).resolve())
    unlinked = [name(p) for p in pages()[1:] if p.resolve() not in linked and p.name != "index.md"]
    assert unlinked == []
    assert (ROOT / "docs" / "index.md").resolve() in linked


@pytest.mark.parametrize("page", pages(), ids=_ids(pages()))
def test_no_placeholder_is_left_in_a_page(page):
    """A literal FIGURES_HA once stood where the figures of bench/bench_ha.py belonged."""
    prose = _outside_code(page.read_text(encoding="utf-8"))
    assert not re.findall(r"\b[A-Z]{2,}_[A-Z_]{2,}\b", prose)
    assert not re.findall(r"\b(?:TODO|TBD|FIXME|XXX)\b", prose)


def _shown_json(page: str) -> list[dict]:
    return [json.loads(b.text) for b in blocks(ROOT / page) if b.lang == "json"]


def test_the_webhook_payloads_shown_are_the_ones_herald_sends():
    """docs/reference/webhooks.md shows a `webhook` account's body and a subscriber's notice:
    their keys are what the code sends, so a field added or renamed changes the page too."""
    from datetime import UTC, datetime

    from scheduler.clock import FakeClock
    from scheduler.networks.base import OutgoingPost, RemoteRef
    from scheduler.networks.webhook import WebhookPublisher
    from scheduler.subscribers.webhook import payload
    from status.notices import Notice

    at = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    post = OutgoingPost(key="k" * 32, source="incident:i", post="i", kind="incident", network="hooks",
                        network_type="webhook", scheduled_at=at, text="t", reply_to=RemoteRef("msg-1", None),
                        title="Checkout errors", thread_key="r" * 32,
                        extra={"incident": {"id": "i", "impact": "major", "state": "identified", "components": []}})
    sent = json.loads(WebhookPublisher("hooks", {"url": "http://127.0.0.1:9/in"}, FakeClock(at)).body(post))
    notice = Notice("k", "incident:i", at, "Identified: Checkout errors", "m", ("checkout",), "Checkout",
                    "incidents/i/")
    told = json.loads(payload(notice, "https://status.acme.example/", "Acme", "k.s"))
    account, subscriber = _shown_json("docs/reference/webhooks.md")
    assert set(account) == set(sent) and set(account["incident"]) == set(sent["incident"])
    assert set(subscriber) == set(told) and set(subscriber["notice"]) == set(told["notice"])
    assert set(subscriber["page"]) == set(told["page"])


def test_the_metrics_page_names_every_metric_herald_exports_and_no_other():
    code = "".join((ROOT / p).read_text(encoding="utf-8") for p in ("scheduler/metrics.py", "scheduler/web/metrics.py"))
    exported = set(re.findall(r'(?:GaugeMetricFamily|_histogram|Counter)\(\s*"(herald_\w+)"', code))
    counters = set(re.findall(r'Counter\(\s*"(herald_\w+)"', code))
    exported = {f"{m}_total" if m in counters else m for m in exported}  # a counter's samples end in _total
    page = (ROOT / "docs" / "reference" / "metrics.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"^\| `(herald_\w+)`", page, re.M))
    assert len(exported) >= 8 and shown == exported


def test_the_http_page_names_every_route_of_the_server():
    code = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "scheduler" / "web").glob("*.py")))
    normal = re.compile(r"\{[^}]*\}|[A-Z]{2,}|…|<[a-z]+>")  # /incidents/{id}/ is /incidents/ID/ on the page
    routes = {normal.sub("*", r) for r in re.findall(r'Route\(f?"(/[^"]*)"', code)}
    page = (ROOT / "docs" / "reference" / "http.md").read_text(encoding="utf-8")
    shown = {normal.sub("*", p.split("?")[0]) for row in re.findall(r"^\| (`/.*?) \|", page, re.M)
             for p in re.findall(r"`(/[^`]*)`", row)}
    assert len(routes) >= 20 and routes <= shown, sorted(routes - shown)


def test_the_readme_is_short_and_shows_the_two_commands_and_the_two_pictures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    assert "make run" in readme and "make test" in readme
    for picture in ("docs/img/status-page.png", "docs/img/review-room.png"):
        assert f"]({picture})" in readme and (ROOT / picture).stat().st_size < 200_000


def test_the_cli_reference_shows_every_command_run():
    """docs/reference/cli.md runs an example of every command and subcommand."""
    from tests.test_cli import _commands

    shown = set()
    for block in blocks(ROOT / "docs" / "reference" / "cli.md"):
        for argv in (a for c in commands(block) for a in herald_argv(c.text)) if block.runs else ():
            shown |= {argv[0], " ".join(argv[:2])}
    assert [name for name, _ in _commands() if name not in shown] == []


# an account or a setting written inline, as the tables show them: `{type: mastodon, instance: …}`
INLINE_FLOW_MAPPING = re.compile(r"(?<!`)`(\{ *[A-Za-z_][\w-]*: [^`\n]*\})`(?!`)")


def _yaml_problem(text: str, where: str) -> str | None:
    from campaigns.errors import InvalidInput
    from campaigns.yamlsource import load_text

    try:
        load_text(text, where)
    except InvalidInput as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("page", pages(), ids=_ids(pages()))
def test_every_yaml_example_a_page_shows_parses(page):
    """Every ```yaml block, and every YAML flow mapping written inline (the networks' table shows
    each account so), parses as Herald reads YAML: a reader copies them.  (Blocks saved as files
    were read by the commands after them, blocks only shown by nothing, and inline mappings by
    nothing: an unquoted URL in one did not parse, issue 27.)"""
    problems = []
    for block in blocks(page):
        content = [line for line in block.text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if block.lang in ("yaml", "yml") and content:
            problems.append(_yaml_problem(block.text, block.where))
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        for found in INLINE_FLOW_MAPPING.finditer(line):
            problems.append(_yaml_problem(found.group(1) + "\n", f"{name(page)}:{number}: `{found.group(1)}`"))
    assert [p for p in problems if p] == []
