"""The layers hold: campaigns/ (the content model) imports neither status/ nor scheduler/,
status/ is pure (no scheduler/, no network or database library, no file writes), and no
package imports another that imports it back.  The web server (scheduler/web/) is served,
never used as a library: the renderers (scheduler/render/) serve nothing, and the parsers of
what outside tools send are all in status/formats/.

Every import in every module is read from its syntax tree: module-level ones, those inside
functions and ``if TYPE_CHECKING:`` blocks, and ``importlib.import_module("…")`` calls, so a
function-local import cannot hide a cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("campaigns", "status", "scheduler")
# What the pure layers must not import: the side-effect layer and the libraries that do I/O.
SIDE_EFFECTS = ("scheduler", "requests", "urllib3", "httpx", "watchdog", "sqlalchemy", "psycopg", "apscheduler",
                "tweepy", "mastodon", "atproto", "socket", "subprocess", "tempfile", "shutil",
                # the standard library's own ways out: HTTP, databases, processes, signals, threads
                "urllib.request", "http.client", "http.server", "ftplib", "smtplib", "ssl", "sqlite3", "dbm",
                "shelve", "multiprocessing", "signal", "threading", "asyncio", "selectors")
FILE_WRITING_CALLS = {"write_text", "write_bytes", "write_atomic", "mkdir", "makedirs", "touch", "unlink", "rmdir",
                      "removedirs", "symlink_to", "hardlink_to"}
FILE_WRITING_OS = {"replace", "rename", "renames", "remove", "unlink", "write", "open", "truncate", "chmod",
                   "mkfifo", "link", "symlink", "rmdir", "fsync", "ftruncate",
                   "system", "popen", "fork", "execv", "execvp", "spawnv", "kill"}  # and what starts or stops processes


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in it, as (line, absolute dotted name)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            out.append((node.lineno, prefix))
            out.extend((node.lineno, f"{prefix}.{alias.name}") for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in ("import_module",
                                                                                          "__import__")
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.append((node.lineno, node.args[0].value))
    return out


def imported_from(path: Path, roots: tuple[str, ...]) -> list[str]:
    return sorted({f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in imports(path)
                   if any(name == root or name.startswith(root + ".") for root in roots)})


def file_writes(path: Path) -> list[str]:
    """Calls in ``path`` that write, create or remove files."""
    found = []
    for node in ast.walk(tree(path)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        where = f"{path.relative_to(ROOT)}:{node.lineno}: {owner + '.' if owner else ''}{name}()"
        if (name in ("open", "FileIO") and owner in ("", "io", "codecs", "gzip", "bz2", "lzma")) or (
                name == "fdopen" and owner == "os"):
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), ast.Constant("r"))
            if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)) or set(mode.value) & set("wax+"):
                found.append(where)
        elif owner == "os" and name == "open":  # os.open: a write only with a flag that writes or creates
            flags = {n.attr for n in ast.walk(node.args[1]) if isinstance(n, ast.Attribute)} if len(node.args) > 1 else set()
            if "O_RDONLY" not in flags or flags & {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}:
                found.append(where)
        elif name in FILE_WRITING_CALLS or (owner in ("os", "shutil") and name in FILE_WRITING_OS | {"copy",
                                                                                                     "move"}):
            found.append(where)
        elif isinstance(func, ast.Attribute) and name == "open" and any(
                isinstance(a, ast.Constant) and isinstance(a.value, str) and set(a.value) & set("wax+")
                for a in [*node.args, *(k.value for k in node.keywords)]):
            found.append(where)  # Path(...).open("w")
    return sorted(found, key=lambda text: int(text.split(":")[1]))


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


# -- the rules ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", modules("campaigns"), ids=_ids(modules("campaigns")))
def test_campaigns_imports_neither_status_nor_the_side_effect_layer(path):
    assert imported_from(path, ("status", *SIDE_EFFECTS)) == []


@pytest.mark.parametrize("path", modules("campaigns"), ids=_ids(modules("campaigns")))
def test_campaigns_writes_no_file(path):
    assert file_writes(path) == []


STATUS_MODULES = modules("status")


@pytest.mark.parametrize("path", STATUS_MODULES, ids=_ids(STATUS_MODULES))
def test_status_imports_nothing_with_side_effects(path):
    assert imported_from(path, SIDE_EFFECTS) == []


@pytest.mark.parametrize("path", STATUS_MODULES, ids=_ids(STATUS_MODULES))
def test_status_writes_no_file(path):
    assert file_writes(path) == []


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for package in PACKAGES:
        for path in modules(package):
            graph[package].update(name.split(".")[0] for _, name in imports(path)
                                  if name.split(".")[0] in PACKAGES and name.split(".")[0] != package)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], dict.fromkeys(graph, 0)  # 0 new, 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt):], nxt])
            elif state.get(nxt, 2) == 0:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if state[node] == 0:
            visit(node, [node])
    return found


@pytest.mark.slow
def test_no_import_cycle_between_packages():
    assert cycles(package_graph()) == []


def module_graph(package: str) -> dict[str, set[str]]:
    """The imports between the modules of ``package`` (and its sub-packages): a name that is not
    a module (``campaigns.model.Calendar``) counts as its module.  A module's own parent packages
    are not edges: Python runs them before any module inside them (``from . import forked``)."""
    graph = {module_name(p): {n for _, n in imports(p) if n.startswith(package + ".")} for p in modules(package)}
    return {m: {n if n in graph else n.rpartition(".")[0] for n in deps} - {m} - _parents(m)
            for m, deps in graph.items()}


def _parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_between_the_modules_of_a_package(package):
    assert cycles(module_graph(package)) == []


# -- files are written in one place ----------------------------------------------------------------------------------

# What writes outside scheduler/files.py, and why it is not a file: the process's own standard streams
# pointed at /dev/null, and a forked child handing its result back through an anonymous in-memory file.
NOT_FILES = {"scheduler/cli/__init__.py": {"os.open()", "open()"}, "scheduler/forked.py": {"os.fdopen()"}}


PROCESS_CALLS = {"system", "popen", "fork", "execv", "execvp", "spawnv", "kill"}
THROUGH_FILES_PY = {"write_atomic()", "files.write_atomic()"}


@pytest.mark.parametrize("path", modules("scheduler"), ids=_ids(modules("scheduler")))
def test_files_are_written_only_through_files_py(path):
    relative = str(path.relative_to(ROOT))
    if relative == "scheduler/files.py":
        return
    allowed = NOT_FILES.get(relative, set()) | THROUGH_FILES_PY
    writes = [w.partition(": ")[2] for w in file_writes(path)]
    assert [w for w in writes if w not in allowed and w.removeprefix("os.").removesuffix("()") not in PROCESS_CALLS] \
        == []


# -- the web server is served, never used as a library ---------------------------------------------------------

# The commands that start the server (`herald serve`, `herald run` with engine.serve) and what they may take of it.
SERVER_STARTERS = {"scheduler/cli/web.py", "scheduler/daemon/hosting.py"}
SERVER_ENTRY = ("scheduler.web.app", "scheduler.web.context")
OUTSIDE_WEB = [p for p in modules("scheduler") if not p.is_relative_to(ROOT / "scheduler" / "web")]
RENDER_MODULES = modules("scheduler/render")


@pytest.mark.parametrize("path", OUTSIDE_WEB, ids=_ids(OUTSIDE_WEB))
def test_nothing_outside_the_web_server_imports_it(path):
    allowed = SERVER_ENTRY if str(path.relative_to(ROOT)) in SERVER_STARTERS else ()
    found = [line for line in imported_from(path, ("scheduler.web",))
             if not any(line.endswith(f": {entry}") or f": {entry}." in line for entry in allowed)]
    assert found == []


@pytest.mark.parametrize("path", RENDER_MODULES, ids=_ids(RENDER_MODULES))
def test_the_renderers_serve_nothing_and_write_nothing(path):
    assert imported_from(path, ("scheduler.web", "starlette", "uvicorn", "http.server", "socket", "scheduler.files")) \
        == []
    assert file_writes(path) == []


@pytest.mark.parametrize("path", modules("scheduler") + modules("status"),
                         ids=_ids(modules("scheduler") + modules("status")))
def test_http_frameworks_only_in_the_web_server_and_feed_parsing_only_in_status_formats(path):
    web = path.is_relative_to(ROOT / "scheduler" / "web")
    formats = path.is_relative_to(ROOT / "status" / "formats")
    assert imported_from(path, ("starlette", "uvicorn") if not web else ()) == []
    assert imported_from(path, ("feedparser",) if not formats else ()) == []


# -- the scanner itself finds what it must --------------------------------------------------------------------------

def test_the_scanner_sees_function_local_type_checking_and_dynamic_imports(tmp_path, monkeypatch):
    package = tmp_path / "campaigns"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sneaky.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from status.model import Status\n"
        "def f():\n    from ..scheduler import files\n    import importlib\n"
        "    importlib.import_module('requests')\n    open('x', 'w').write('')\n"
        "    import os\n    os.replace('a', 'b')\n    'text'.replace('a', 'b')\n    open('y').read()\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    path = package / "sneaky.py"
    assert imported_from(path, ("status", *SIDE_EFFECTS)) == [
        "campaigns/sneaky.py:3: status.model", "campaigns/sneaky.py:3: status.model.Status",
        "campaigns/sneaky.py:5: scheduler", "campaigns/sneaky.py:5: scheduler.files",
        "campaigns/sneaky.py:7: requests"]
    assert file_writes(path) == ["campaigns/sneaky.py:8: open()", "campaigns/sneaky.py:10: os.replace()"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# -- nothing heavy until it is used ----------------------------------------------------------------------------------

ENGINE_FACING = ("campaigns.calendar", "campaigns.plan", "campaigns.lint", "campaigns.model", "campaigns.voice",
                 "campaigns.similarity", "status.load", "status.announce", "status.lint", "scheduler.engine",
                 "scheduler.cli")


# numpy and scipy (through scikit-learn, for suggest): half a second; twitter-text: a quarter; jsonschema: a tenth; emoji 70 ms.
HEAVY = ("numpy", "scipy", "datasketch", "twitter_text", "jsonschema", "emoji")


@pytest.mark.slow
def test_the_engine_and_cli_modules_import_nothing_heavy():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in ENGINE_FACING)
            + f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


@pytest.mark.parametrize("text, loaded", [
    ("hi", []),  # far under X's limit whatever its links: nothing measured
    ("Track it at acme.com. " + "x" * 240, ["herald_twitter_text_urls.extract_urls"]),  # near it: the URL extractor only
    ("Café ☕ at acme.com. " + "x" * 200, ["twitter_text.regexp.emoji"]),  # the whole package: its own extractor
])
@pytest.mark.slow
def test_heavy_libraries_come_when_they_are_used(text, loaded):
    # Given a calendar with an X account and a voice guide: validating it measures X lengths only
    # when a text may be near the limit (emoji tables only for non-ASCII); linting its few texts
    # compares them with the exact index, importing nothing heavy (no datasketch, numpy or scipy)
    code = ("import sys\nfrom datetime import datetime, timedelta, UTC\n"
            "from campaigns.calendar import loads\nfrom campaigns.lint import lint\n"
            "from tests.conftest import calendar_text\n"
            f"calendar = loads(calendar_text('- {{id: a, kind: tip, networks: [x], at: \"2026-12-02T10:00\", "
            f"text: \"{text}\"}}'))\n"
            "start = datetime(2026, 12, 1, tzinfo=UTC)\n"
            "lint(calendar, start, start + timedelta(days=28))\n"
            "print(sorted(m for m in ('herald_twitter_text_urls.extract_urls', 'twitter_text.regexp.emoji', 'datasketch') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == str(loaded), out.stderr


# -- one error hierarchy --------------------------------------------------------------------------------------------

# Exceptions that are not errors for a person: signals between parts of the alert intake, caught where they are raised
# and never shown (each means "decide again" or "try again later").
SIGNALS = {"campaigns.errors.StatusChanged": "the status file changed under a decision: decide again",
           "scheduler.errors.Conflict": "another server stored an alert meanwhile: decide again",
           "scheduler.errors.NotSettled": "the status file is mid-save: answered 503, tried again"}


def exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined at the top of a module of the three packages, by dotted name."""
    import importlib
    import inspect

    found: dict[str, type[BaseException]] = {}
    for package in PACKAGES:
        for path in modules(package):
            if path.name == "__main__.py":
                continue
            name = module_name(path)
            defined = {node.name for node in tree(path).body if isinstance(node, ast.ClassDef)}
            module = importlib.import_module(name)
            for cls_name in defined:
                cls = getattr(module, cls_name)
                if inspect.isclass(cls) and issubclass(cls, BaseException):
                    found[f"{name}.{cls_name}"] = cls
    return found


def test_every_exception_is_a_herald_error_and_every_scheduler_error_is_in_scheduler_errors():
    from campaigns.errors import HeraldError

    classes = exception_classes()
    assert "campaigns.errors.TimeFormatError" in classes and "scheduler.errors.Transient" in classes  # it sees them
    assert {name for name, cls in classes.items() if not issubclass(cls, HeraldError)} == set(SIGNALS)
    assert [name for name in classes if name.startswith("scheduler.") and not name.startswith("scheduler.errors.")] \
        == []
    nested = [f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}" for package in PACKAGES for path in modules(package)
              for top in tree(path).body if not isinstance(top, ast.ClassDef)
              for node in ast.walk(top) if isinstance(node, ast.ClassDef)
              and any(getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception")) for b in node.bases)]
    assert nested == []  # an exception class defined inside a function would escape the checks above
