"""Herald reads two libraries' internals, each in one small adapter: twitter-text's file layout
(``campaigns/twittertext.py``) and urllib3's connection machinery (``scheduler/urllib3watch.py``).
Each adapter checks what it relies on; these tests run the checks against the installed releases,
prove the adapter's hook really runs, and keep the internals out of every other module, so the
release that changes any of it fails here, loudly, naming what moved."""

from __future__ import annotations

import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from campaigns.errors import LibraryChanged
from tests.conftest import ROOT

# a library's internal -> the one module that may use it
INTERNALS = {
    r"\b_new_conn\b": "scheduler/urllib3watch.py",
    r"\bpool_classes_by_scheme\b": "scheduler/urllib3watch.py",
    r"\bproxy_manager_for\b": "scheduler/urllib3watch.py",
    r"^\s*(?:from|import)\s+twitter_text\b|[\"']twitter_text[\"']": "campaigns/twittertext.py",
    r"\bclient\._session\b": None,  # atproto's: the session comes through on_session_change
    r"\brrule\._by|\._by(?:weekday|monthday|month|setpos|hour|minute|second)\b": None,  # dateutil's
}


def _sources() -> list[Path]:
    return sorted(p for package in ("campaigns", "status", "scheduler") for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("pattern", INTERNALS)
def test_each_librarys_internals_are_read_in_its_adapter_only(pattern):
    where = {str(p.relative_to(ROOT)) for p in _sources()
             if re.search(pattern, p.read_text(encoding="utf-8"), re.M)}
    allowed = INTERNALS[pattern]
    assert where <= ({allowed} if allowed else set()), where
    if allowed:
        assert where == {allowed}  # the pattern still finds what it guards


# -- twitter-text ------------------------------------------------------------------------------


def test_twitter_text_is_laid_out_as_the_adapter_reads_it():
    from campaigns import twittertext

    assert twittertext.check() == []


def test_counting_an_emoji_in_a_fresh_process_needs_pkg_resources_and_says_nothing():
    """twitter-text 3.0 reads its emoji table with pkg_resources, which it does not declare and
    setuptools 81 dropped (a fresh venv from a lock with setuptools 84 could not count X lengths):
    Herald depends on setuptools <81 itself, and the deprecation warning of that import is not a
    word on a command's standard error."""
    import subprocess

    code = "from campaigns import xlength; print(xlength.weighted_length('caf\u00e9 \U0001f600 https://acme.com/x'))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "(31, True)\n", "")


def test_a_twitter_text_laid_out_otherwise_is_named_with_the_release_to_install(monkeypatch):
    from campaigns import twittertext

    monkeypatch.setitem(sys.modules, "twitter_text.regexp.emoji", None)  # a release that moved it
    with pytest.raises(LibraryChanged) as caught:
        twittertext.layout()
    message = str(caught.value)
    assert message.startswith(f"twitter-text-parser {twittertext.installed()} is not laid out as 3.0 is")
    assert "twitter_text.regexp.emoji" in message and "pip install 'twitter-text-parser>=3.0,<3.1'" in message
    assert "\n" not in message and caught.value.exit_code == 2
    assert twittertext.check() == [message]


# -- urllib3 -----------------------------------------------------------------------------------


def test_urllib3_and_requests_have_what_the_deadline_relies_on():
    from scheduler import urllib3watch

    assert urllib3watch.check() == []


class _Seen:
    def __init__(self) -> None:
        self.sockets: list[object] = []
        self.sent = False

    def register(self, sock: object) -> None:
        self.sockets.append(sock)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_every_socket_a_request_opens_reaches_the_observer():
    """The hook itself: urllib3 opens the connection's socket through _new_conn, which the
    adapter overrides; a release that opened it elsewhere would leave requests without a deadline."""
    import requests
    from requests.adapters import HTTPAdapter

    from scheduler import urllib3watch

    seen = _Seen()
    pools = urllib3watch.watched_pools(lambda: seen)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with requests.Session() as session:
            adapter = HTTPAdapter()
            session.mount("http://", adapter)
            urllib3watch.instrument(adapter, pools)
            answer = session.get(f"http://127.0.0.1:{server.server_address[1]}/", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.content == b"ok" and seen.sent
    assert len(seen.sockets) == 1 and hasattr(seen.sockets[0], "shutdown")


def test_a_urllib3_without_the_hook_is_refused_in_one_line(monkeypatch):
    from urllib3.connection import HTTPConnection

    from scheduler import urllib3watch

    monkeypatch.delattr(HTTPConnection, "_new_conn")  # a release that renamed it
    urllib3watch.require.cache_clear()
    try:
        assert urllib3watch.check() == ["urllib3.connection.HTTPConnection._new_conn"]
        with pytest.raises(LibraryChanged) as caught:
            urllib3watch.instrument(__import__("requests").adapters.HTTPAdapter(), {})
    finally:
        urllib3watch.require.cache_clear()
    assert "HTTPConnection._new_conn" in str(caught.value) and "urllib3>=2.0,<3" in str(caught.value)
    assert "\n" not in str(caught.value)
