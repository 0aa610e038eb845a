"""Installing only what is used, the same way every time.

- A command or network whose extra is not installed says which one, in one line, exit code 2.
  The missing package is simulated in a child process: a finder at the head of ``sys.meta_path``
  refuses to import it, as if pip had never installed it.
- The core dependencies hold no scientific stack and no SDK of an optional network.
- The lock files are current with ``pyproject.toml`` (checked offline, by the digest they record).
- The container recipe builds from the lock as a non-root user, with a volume and a health check.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DEPENDENCIES = PYPROJECT["project"]["dependencies"]
EXTRAS = PYPROJECT["project"]["optional-dependencies"]

CHILD = """\
import sys

BLOCKED = set(sys.argv[1].split(","))


class Uninstalled:
    '''Every module of the blocked distributions is "not installed".'''

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Uninstalled())
sys.argv = ["herald", *sys.argv[2:]]
from scheduler.cli import entry

entry()
"""

CALENDAR = """\
brand: {{name: Acme, timezone: Europe/Berlin}}
networks:
  site: {{type: site}}
{accounts}
posts:
  - {{id: hello, kind: tip, networks: [site], at: "2027-01-04T10:00", text: Hello}}
"""


def herald_without(blocked: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")} | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", CHILD, blocked, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env)


def calendar(tmp_path: Path, accounts: str) -> Path:
    path = tmp_path / "cal.yaml"
    path.write_text(CALENDAR.format(accounts=accounts), encoding="utf-8")
    return path


LOG_LINE = re.compile(r"\d{4}-\d\d-\d\dT\S+ (INFO|WARNING) ")


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The error a person sees: exit code 2, one line on stderr (besides the log's lines of what
    went before, for the engine), no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not LOG_LINE.match(line)]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_herald_suggest_without_scikit_learn_names_the_suggest_extra(tmp_path):
    path = calendar(tmp_path, "")
    proc = herald_without("sklearn", "suggest", "--requests", str(tmp_path / "tickets.csv"), "--calendar", str(path))
    assert one_line(proc) == "herald suggest needs the suggest extra: pip install 'herald[suggest]'"


@pytest.mark.parametrize("blocked, account, line", [
    ("mastodon", "masto: {type: mastodon, instance: 'https://social.example'}",
     "herald: network 'masto' (Mastodon) needs the mastodon extra: pip install 'herald[mastodon]'"),
    ("atproto", "sky: {type: bluesky, handle: acme.example}",
     "herald: network 'sky' (Bluesky) needs the bluesky extra: pip install 'herald[bluesky]'"),
    ("tweepy", "x: {type: x}",
     "herald: network 'x' (X) needs the x extra: pip install 'herald[x]'"),
], ids=["mastodon", "bluesky", "x"])
@pytest.mark.slow
def test_validate_names_the_extra_an_account_needs(tmp_path, blocked, account, line):
    path = calendar(tmp_path, "  " + account)
    proc = herald_without(blocked, "validate", str(path), "--status", str(tmp_path / "none.yaml"))
    assert one_line(proc) == line


@pytest.mark.slow
def test_two_accounts_without_their_sdks_are_named_in_one_line(tmp_path):
    path = calendar(tmp_path, "  masto: {type: mastodon, instance: 'https://social.example'}\n"
                              "  sky: {type: bluesky, handle: acme.example}")
    proc = herald_without("mastodon,atproto", "validate", str(path), "--status", str(tmp_path / "none.yaml"))
    assert one_line(proc) == ("herald: networks 'masto' (Mastodon), 'sky' (Bluesky) need the mastodon and bluesky "
                              "extras: pip install 'herald[mastodon,bluesky]'")


def test_an_account_that_sends_nothing_needs_no_extra(tmp_path):
    # a dry-run account is built as a stand-in and a disabled one not at all: neither imports its SDK
    path = calendar(tmp_path, "  masto: {type: mastodon, instance: 'https://social.example', dry_run: true}\n"
                              "  sky: {type: bluesky, handle: acme.example, enabled: false}")
    proc = herald_without("mastodon,atproto", "validate", str(path), "--status", str(tmp_path / "none.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "ok (1 post, 3 networks" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_the_engine_refuses_to_start_without_an_accounts_extra(tmp_path):
    path = calendar(tmp_path, "  masto: {type: mastodon, instance: 'https://social.example'}")
    proc = herald_without("mastodon", "run", "--once", "--calendar", str(path), "--status", str(tmp_path / "no.yaml"),
                          cwd=tmp_path)
    assert one_line(proc) == "herald: network 'masto' (Mastodon) needs the mastodon extra: pip install 'herald[mastodon]'"


@pytest.mark.slow
def test_a_postgresql_ledger_without_psycopg_names_the_postgres_extra(tmp_path):
    path = calendar(tmp_path, "")
    proc = herald_without("psycopg", "history", "--calendar", str(path),
                          "--state", "postgresql://herald:s3cret@127.0.0.1:1/ledger")
    line = one_line(proc)
    assert line == ("herald: the PostgreSQL ledger postgresql://***@127.0.0.1:1/ledger needs the postgres extra: "
                    "pip install 'herald[postgres]'")


def test_an_import_no_check_foresaw_still_names_its_extra(capsys):
    from scheduler.cli import report

    assert report(ModuleNotFoundError("No module named 'sklearn.cluster'", name="sklearn.cluster")) == 2
    assert capsys.readouterr().err.strip() == ("herald: sklearn.cluster is not installed; this needs the suggest extra: "
                                               "pip install 'herald[suggest]'")


# -- what the extras hold --------------------------------------------------------------------

def name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_core_holds_no_scientific_stack_and_no_optional_sdk():
    core = {name(r) for r in DEPENDENCIES}
    optional = {"scikit-learn", "scipy", "numpy", "lingua-language-detector", "snowballstemmer", "rank-bm25",
                "stop-words", "atproto", "mastodon.py", "psycopg", "jsonschema"}
    assert core & optional == set()
    assert "tweepy" in core  # the project's choice: X in every install


def test_the_core_leaves_uvloop_to_the_fast_extra_and_feeds_need_no_lxml():
    # issue 27: the core venv <= 120 MB; uvloop (14 MB) is an extra, the container keeps it
    core = {name(r) for r in DEPENDENCIES}
    assert not core & {"uvloop", "feedgen", "lxml"}
    assert [name(r) for r in EXTRAS["fast"]] == ["uvloop"]
    container = (ROOT / "requirements" / "container.txt").read_text(encoding="utf-8")
    assert re.search(r"^uvloop==", container, re.M) and not re.search(r"^lxml==", container, re.M)


def test_without_uvloop_the_server_runs_on_asyncios_loop(monkeypatch):
    import asyncio

    from scheduler.web.app import serve

    monkeypatch.setitem(sys.modules, "uvloop", None)  # not installed: the core without herald[fast]
    loop = serve(object(), "127.0.0.1", 0).config.get_loop_factory()()
    try:
        assert type(loop).__module__.startswith("asyncio")
        assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
    finally:
        loop.close()


def test_every_extra_herald_names_is_declared_and_in_all():
    from campaigns.extras import EXTRAS as NAMED
    from campaigns.networks import BUILTIN_NETWORKS

    declared = set(EXTRAS) - {"all", "test"}
    assert {extra.name for extra in NAMED} == declared
    assert [re.fullmatch(r"herald\[(.+)\]", r) and set(r[7:-1].split(",")) for r in EXTRAS["all"]] == [declared]
    assert {t.name: t.extra.name for t in BUILTIN_NETWORKS if t.extra} == {"x": "x", "mastodon": "mastodon",
                                                                            "bluesky": "bluesky"}


@pytest.mark.parametrize("package", ["python-dateutil", "twitter-text-parser", "urllib3", "apscheduler", "atproto",
                                     "mastodon.py"])
def test_what_herald_uses_the_internals_or_unstable_api_of_has_an_upper_bound(package):
    found = [r for r in [*DEPENDENCIES, *(r for reqs in EXTRAS.values() for r in reqs)] if name(r) == package]
    assert found and all("<" in r.split(";")[0] for r in found), found


# -- the lock --------------------------------------------------------------------------------

def test_the_lock_files_are_current_with_pyproject():
    proc = subprocess.run([sys.executable, str(ROOT / "requirements" / "lock.py"), "--check"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_a_changed_dependency_makes_the_lock_stale_and_a_comment_does_not(tmp_path):
    sys.path.insert(0, str(ROOT / "requirements"))
    try:
        import lock
    finally:
        sys.path.remove(str(ROOT / "requirements"))
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    commented = tmp_path / "commented.toml"
    commented.write_text(text.replace('"regex>=2024.4",', '"regex>=2024.4",  # a new comment'), encoding="utf-8")
    bumped = tmp_path / "bumped.toml"
    bumped.write_text(text.replace('"regex>=2024.4",', '"regex>=2025.1",'), encoding="utf-8")
    assert lock.digest(commented) == lock.digest()
    assert lock.digest(bumped) != lock.digest()


def test_every_locked_requirement_is_pinned_with_a_hash():
    for path in (ROOT / "requirements").glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        pins = re.findall(r"^([A-Za-z0-9._-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", text, re.M)
        lines = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
        assert pins and len(pins) == len(lines), path


def test_make_installs_from_the_lock_and_checks_it():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK)" in makefile and "--no-deps -e ." in makefile
    assert re.search(r"^test: lock-check ", makefile, re.M) and re.search(r"^check: lock-check ", makefile, re.M)
    assert 'pytest -m "not slow"' in makefile


# -- the container ---------------------------------------------------------------------------

CONTAINERFILE = (ROOT / "Containerfile").read_text(encoding="utf-8")


def test_the_container_recipe_runs_as_a_user_with_a_volume_and_a_health_check():
    users = re.findall(r"^USER\s+(\S+)", CONTAINERFILE, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert re.search(r"^VOLUME\s+\[\"/data\"\]", CONTAINERFILE, re.M)
    health = re.search(r"^HEALTHCHECK .*\n(.*)", CONTAINERFILE, re.M)
    assert health and "/healthz" in health.group(1) and "curl" not in health.group(0) + health.group(1)
    assert "pip install --require-hashes -r /tmp/container.txt" in CONTAINERFILE
    assert "COPY requirements/container.txt" in CONTAINERFILE and "--no-deps" in CONTAINERFILE


def test_every_base_image_is_pinned_by_tag_and_digest():
    # a tag moves; the digest is the image. Both lines the same image (renewed together, see the recipe's comment)
    bases = re.findall(r"^FROM\s+(\S+)", CONTAINERFILE, re.M)
    assert len(bases) == 2 and len(set(bases)) == 1, bases
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", bases[0]), bases[0]


def test_herald_is_built_from_the_locked_build_backend_without_build_isolation():
    from packaging.requirements import Requirement

    install = re.search(r"^RUN .*pip install (.*) /src$", CONTAINERFILE, re.M)
    assert install and "--no-deps" in install.group(1) and "--no-build-isolation" in install.group(1)
    assert "--check-build-dependencies" in install.group(1)  # a backend missing from the lock fails the build
    locked = dict(re.findall(r"^([a-z0-9._-]+)==(\S+) \\$", (ROOT / "requirements" / "container.txt")
                             .read_text(encoding="utf-8"), re.M))
    for wanted in map(Requirement, PYPROJECT["build-system"]["requires"]):
        assert wanted.name in locked and wanted.specifier.contains(locked[wanted.name]), (wanted, locked.get(wanted.name))


def test_the_container_runs_the_engine_and_the_site_on_port():
    # the site whatever the calendar's engine.serve says, where PORT says, and the health check asks there
    cmd = re.search(r"^CMD (.*)$", CONTAINERFILE, re.M)
    assert cmd, CONTAINERFILE
    argv = json.loads(cmd.group(1))
    assert argv[:2] == ["sh", "-c"] and argv[2].startswith("exec herald run ")
    assert '--serve "0.0.0.0:${PORT}"' in argv[2]
    port = re.search(r"^ENV .*\bPORT=(\d+)", CONTAINERFILE, re.M)
    assert port and re.search(rf"^EXPOSE {port.group(1)}$", CONTAINERFILE, re.M)
    health = re.search(r"^HEALTHCHECK .*\n(.*)", CONTAINERFILE, re.M)
    assert health and "os.environ.get('PORT'" in health.group(1)


def test_the_build_context_leaves_out_the_virtualenv_the_state_and_the_caches():
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".venv", ".git", "run", "**/node_modules", "**/__pycache__", ".pytest_cache", ".mypy_cache"} <= ignored
    assert {".env", "*.env", "site"} <= ignored  # secrets.env and the data folder of the deploy how-to
    # and nothing the recipe copies is ignored
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", CONTAINERFILE, re.M):
        assert not set(copied.split()) & ignored, copied


def container_tool() -> str | None:
    for tool in ("docker", "podman"):
        path = shutil.which(tool)
        if path and subprocess.run([path, "info"], capture_output=True, timeout=30).returncode == 0:
            return path
    return None


@pytest.mark.slow
def test_the_container_builds_where_a_container_tool_works():
    tool = container_tool()
    if tool is None:
        pytest.skip("no usable docker or podman here: the recipe's content is checked above")
    proc = subprocess.run([tool, "build", "-f", "Containerfile", "-t", "herald-test", "."], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    user = subprocess.run([tool, "run", "--rm", "herald-test", "id", "-u"], capture_output=True, text=True, timeout=120)
    assert user.stdout.strip() == "10001"


# -- tests that need a tool -----------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("ci, outcome", [("true", "1 failed"), ("", "1 skipped")])
def test_a_missing_tool_fails_in_ci_and_is_skipped_with_its_reason_elsewhere(tmp_path, ci, outcome):
    (tmp_path / "test_tool.py").write_text(
        "from tests.conftest import missing_tool\n\n"
        "def test_needs_a_browser():\n"
        "    missing_tool('Chromium', 'make browser installs it')\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTHONPATH": str(ROOT), "CI": ci}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rsf", "-o", "addopts=",
                           str(tmp_path / "test_tool.py")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert outcome in proc.stdout, proc.stdout
    reason = "Chromium is required in CI: make browser installs it" if ci else \
        "Chromium is not installed (make browser installs it)"
    assert reason in proc.stdout, proc.stdout
