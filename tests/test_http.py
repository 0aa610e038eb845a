"""The one HTTP client layer, against local servers on 127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from scheduler.errors import (
    BadResponse,
    Cancelled,
    ConnectFailed,
    ConnectionLost,
    DeadlineExceeded,
    RedirectRefused,
    ResponseTooLarge,
    TooManyRedirects,
)
from scheduler.http import HttpClient, SdkSession, Verdict, classify, httpx_transport, retry_at, same_host
from tests.badserver import MB, Server, body_trickle, bomb, huge, redirect, reply

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def other():
    s = Server()
    yield s
    s.close()


def elapsed(fn: Callable[[], object]) -> tuple[float, BaseException | None]:
    start = time.monotonic()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


# -- deadline ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_header_trickle_is_cut_at_the_deadline(server):
    def trickle(h):
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40 + b"\r\nContent-Length: 0\r\n\r\n":  # ~3.5 s
            if server.stop.wait(0.05):
                return
            h.wfile.write(bytes([byte]))

    server.routes["/slow"] = trickle
    took, error = elapsed(lambda: HttpClient(deadline=0.5).get(server.url("/slow")))
    assert isinstance(error, DeadlineExceeded) and error.ambiguous  # the request had gone out
    assert 0.4 < took < 1.5


@pytest.mark.parametrize("length", [True, False], ids=["with-length", "close-delimited"])
@pytest.mark.slow
def test_a_body_trickle_is_cut_at_the_deadline(server, length):
    server.routes["/slow"] = body_trickle(server.stop, length)
    took, error = elapsed(lambda: HttpClient(deadline=0.5).get(server.url("/slow")))
    assert isinstance(error, DeadlineExceeded), error  # never a truncated body passed off as complete
    assert 0.4 < took < 1.5


@pytest.mark.slow
def test_the_deadline_holds_over_tls_too(tmp_path):
    """Over HTTPS the socket the watch shuts is the TLS one: a trickle is cut all the same."""
    import ssl

    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1")
    tls = Server()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    tls.server.socket = context.wrap_socket(tls.server.socket, server_side=True)

    tls.routes["/slow"] = body_trickle(tls.stop)
    tls.routes["/ok"] = reply(b"fine")
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    session = requests.Session()
    session.verify = str(tmp_path / "ca.pem")
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins over session.verify
    client = HttpClient(session, deadline=0.5)
    try:
        url = tls.url("/ok").replace("http://", "https://")
        assert client.get(url).content == b"fine"
        took, error = elapsed(lambda: client.get(url.replace("/ok", "/slow")))
        assert isinstance(error, DeadlineExceeded) and 0.4 < took < 1.5
    finally:
        tls.close()


def test_a_fast_answer_is_read_whole_and_the_connection_is_kept(server):
    server.routes["/ok"] = reply(b'{"id": "42"}', headers={"Content-Type": "application/json", "X-Thing": "y"})
    client = HttpClient(deadline=2)
    first, second = client.get(server.url("/ok")), client.get(server.url("/ok"))
    assert first.json() == {"id": "42"} and second.status == 200 and first.ok and first.verdict is Verdict.OK
    assert first.headers["x-thing"] == "y" and first.url == server.url("/ok")
    assert server.peers[0] == server.peers[1]  # one connection, kept alive


# -- size caps ---------------------------------------------------------------------------------------------------


def test_a_declared_50_mb_body_is_refused_before_reading(server):
    server.routes["/huge"] = huge(server)
    with pytest.raises(ResponseTooLarge) as caught:
        HttpClient(max_bytes=2 * MB).get(server.url("/huge"))
    assert caught.value.limit == 2 * MB and not caught.value.decoded and caught.value.status == 200
    assert "larger than 2097152 bytes" in str(caught.value)


def test_an_undeclared_50_mb_body_is_refused_at_the_cap_without_reading_it_all(server):
    server.routes["/huge"] = huge(server, declared=False)
    with pytest.raises(ResponseTooLarge):
        HttpClient(max_bytes=2 * MB).get(server.url("/huge"))
    assert server.written < 20 * MB


@pytest.mark.slow
def test_a_gzip_bomb_is_refused_with_memory_bounded(server):
    body = bomb(200 * MB)  # ~200 KB on the wire
    server.routes["/bomb"] = reply(body, headers={"Content-Encoding": "gzip"})
    client = HttpClient(max_bytes=2 * MB, max_decoded=5 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge) as caught:
            client.get(server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.decoded and caught.value.limit == 5 * MB
    assert peak < 20 * MB, peak


def test_gzip_and_deflate_answers_are_decoded(server):
    text = b"hello " * 1000
    server.routes["/gz"] = reply(gzip.compress(text), headers={"Content-Encoding": "gzip"})
    server.routes["/zlib"] = reply(zlib.compress(text), headers={"Content-Encoding": "deflate"})
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    server.routes["/raw"] = reply(raw.compress(text) + raw.flush(), headers={"Content-Encoding": "deflate"})
    server.routes["/two"] = reply(gzip.compress(text[:10]) + gzip.compress(text[10:]),
                                  headers={"Content-Encoding": "gzip"})
    client = HttpClient()
    assert [client.get(server.url(p)).content for p in ("/gz", "/zlib", "/raw", "/two")] == [text] * 4


def test_an_unknown_or_corrupt_encoding_is_a_clear_error(server):
    server.routes["/br"] = reply(b"abc", headers={"Content-Encoding": "br"})
    server.routes["/bad"] = reply(b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(BadResponse, match="unsupported Content-Encoding 'br'"):
        HttpClient().get(server.url("/br"))
    with pytest.raises(BadResponse, match="not valid gzip data"):
        HttpClient().get(server.url("/bad"))


# -- redirects ---------------------------------------------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused_and_never_fetched(server, other):
    other.routes["/meta"] = reply(b"secret metadata")
    server.routes["/feed"] = redirect(other.url("/meta", host="localhost"))
    with pytest.raises(RedirectRefused) as caught:
        HttpClient().get(server.url("/feed?token=abcdefghijklmnop"))
    assert caught.value.from_host == f"127.0.0.1:{server.server.server_address[1]}"
    assert caught.value.to_host == f"localhost:{other.server.server_address[1]}"
    assert "abcdefghijklmnop" not in str(caught.value) and "localhost" in str(caught.value)
    assert other.hits == []


def test_a_redirect_to_another_port_on_the_same_address_is_refused(server, other):
    other.routes["/x"] = reply(b"x")
    server.routes["/feed"] = redirect(other.url("/x"), 301)
    with pytest.raises(RedirectRefused):
        HttpClient().get(server.url("/feed"))
    assert other.hits == []


def test_a_same_host_redirect_is_followed_and_posts_become_gets_on_303(server):
    server.routes["/old"] = redirect("/new", 301)
    server.routes["/new"] = reply(b"here")
    server.routes["/form"] = redirect("/done", 303)
    server.routes["/done"] = reply(b"done")
    client = HttpClient()
    answer = client.get(server.url("/old"))
    assert answer.content == b"here" and answer.url == server.url("/new") and answer.history == (server.url("/old"),)
    assert client.post(server.url("/form"), data=b"x").content == b"done"


def test_redirect_loops_stop(server):
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect("/a")
    with pytest.raises(TooManyRedirects):
        HttpClient(max_redirects=3).get(server.url("/a"))
    assert len(server.hits) == 4


@pytest.mark.parametrize(("source", "target", "followed"), [
    ("http://a.example/x", "http://a.example/y", True),
    ("http://a.example/x", "https://a.example/y", True),  # an upgrade
    ("https://a.example/x", "http://a.example/y", False),  # a downgrade
    ("http://a.example/x", "http://A.EXAMPLE:80/y", True),
    ("http://a.example/x", "http://b.example/y", False),
    ("http://a.example/x", "http://169.254.169.254/latest/meta-data", False),
    ("http://a.example/x", "ftp://a.example/y", False),
    ("http://a.example:8080/x", "https://a.example/y", False),
])
def test_which_redirects_are_followed(source, target, followed):
    assert same_host(source, target) is followed


# -- cancellation and transport failures -------------------------------------------------------------------------------


def test_a_request_in_progress_is_cancelled_promptly(server):
    def hang(h):
        server.stop.wait(30)

    server.routes["/hang"] = hang
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    took, error = elapsed(lambda: HttpClient(deadline=30).get(server.url("/hang"), cancel=cancel))
    assert isinstance(error, Cancelled) and error.ambiguous
    assert took < 1.0


def test_a_request_cancelled_before_it_starts_sends_nothing(server):
    server.routes["/x"] = reply(b"x")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled) as caught:
        HttpClient().get(server.url("/x"), cancel=cancel)
    assert not caught.value.ambiguous and server.hits == []


def test_a_refused_connection_delivered_nothing():
    free = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = free.server_address[1]
    free.server_close()
    with pytest.raises(ConnectFailed) as caught:
        HttpClient().post(f"http://127.0.0.1:{port}/bot123456:AAbbccddeeffgghhiijjkkllmmnnoo/sendMessage", data=b"x")
    assert not caught.value.ambiguous and "connection refused" in str(caught.value)
    assert "AAbbccddeeff" not in str(caught.value)


def test_a_connection_dropped_after_the_request_is_ambiguous(server):
    def drop(h):
        h.rfile.read(int(h.headers.get("Content-Length") or 0))
        h.close_connection = True
        h.connection.shutdown(2)

    server.routes["/drop"] = drop
    with pytest.raises(ConnectionLost) as caught:
        HttpClient().post(server.url("/drop?access_token=s3cr3tvalue"), data=b"hello")
    assert caught.value.ambiguous and "s3cr3tvalue" not in str(caught.value)


@pytest.mark.slow
def test_a_session_is_the_seam_and_a_mounted_adapter_is_watched_too(server):
    """A test (or a publisher) may mount its own adapter: the deadline still holds."""
    server.routes["/slow"] = body_trickle(server.stop)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter())
    took, error = elapsed(lambda: HttpClient(session, deadline=0.5, user_agent="T/1").get(server.url("/slow")))
    assert isinstance(error, DeadlineExceeded) and took < 1.5
    assert session.headers["User-Agent"] == "T/1"


# -- the SDKs' session and transport (every network's limits: tests/test_network_limits.py) ------------------------


def test_an_sdk_session_hands_back_a_whole_decoded_requests_response(server):
    text = b'{"id": "42", "text": "caf\xc3\xa9"}'
    server.routes["/gz"] = reply(gzip.compress(text), 201, {"Content-Encoding": "gzip",
                                                            "Content-Type": "application/json", "X-Thing": "y"})
    session = SdkSession(deadline=2)
    with session.post(server.url("/gz"), json={"a": 1}, timeout=60, proxies={}) as answer:  # as tweepy sends
        pass
    assert answer.json() == {"id": "42", "text": "café"} and answer.content == text  # read before it was closed
    assert (answer.status_code, answer.reason, answer.ok) == (201, "Created", True)
    assert answer.headers["x-thing"] == "y" and "Content-Encoding" not in answer.headers
    assert answer.headers["Content-Length"] == str(len(text)) and answer.url == server.url("/gz")


def test_an_sdk_session_keeps_the_deadline_and_refuses_what_it_cannot_honour(server):
    server.routes["/slow"] = body_trickle(server.stop)
    session = SdkSession(deadline=0.5)
    took, error = elapsed(lambda: session.get(server.url("/slow"), timeout=300))  # the SDK's timeout: replaced
    assert isinstance(error, DeadlineExceeded) and 0.4 < took < 1.5
    with pytest.raises(TypeError, match="does not support proxies, verify"):
        session.get(server.url("/slow"), proxies={"https": "http://proxy.example"}, verify=False)
    assert server.hits == ["/slow"]


def test_an_httpx_client_on_herald_s_transport_gets_herald_s_rules(server, other):
    import httpx

    text = b"hello " * 100
    server.routes["/old"] = redirect("/new", 301)
    server.routes["/new"] = reply(gzip.compress(text), headers={"Content-Encoding": "gzip"})
    server.routes["/away"] = redirect(other.url("/meta", host="localhost"))
    server.routes["/bomb"] = reply(bomb(50 * MB), headers={"Content-Encoding": "gzip"})
    with httpx.Client(transport=httpx_transport(HttpClient(max_decoded=5 * MB)), follow_redirects=True) as client:
        answer = client.get(server.url("/old"))
        assert answer.status_code == 200 and answer.content == text and answer.history == []  # followed inside
        with pytest.raises(RedirectRefused):
            client.get(server.url("/away"))
        with pytest.raises(ResponseTooLarge):
            client.get(server.url("/bomb"))
    assert server.hits == ["/old", "/new", "/away", "/bomb"] and other.hits == []


# -- status codes and Retry-After -------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "verdict"), [
    (200, Verdict.OK), (201, Verdict.OK), (204, Verdict.OK),
    (429, Verdict.RATE_LIMITED),
    (408, Verdict.TRANSIENT), (425, Verdict.TRANSIENT),
    (500, Verdict.TRANSIENT_AMBIGUOUS), (502, Verdict.TRANSIENT_AMBIGUOUS), (503, Verdict.TRANSIENT_AMBIGUOUS),
    (401, Verdict.AUTH), (403, Verdict.AUTH),
    (400, Verdict.PERMANENT), (404, Verdict.PERMANENT), (409, Verdict.PERMANENT), (422, Verdict.PERMANENT),
    (301, Verdict.PERMANENT),
])
def test_status_classifier(status, verdict):
    assert classify(status) is verdict
    assert verdict.transient is (verdict in (Verdict.TRANSIENT, Verdict.TRANSIENT_AMBIGUOUS))
    assert verdict.ambiguous is (status >= 500)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "120"}, NOW + timedelta(seconds=120)),
    ({"retry-after": "1.5"}, NOW + timedelta(seconds=1.5)),
    ({"Retry-After": "-5"}, NOW),
    ({"Retry-After": "Tue, 01 Dec 2026 09:05:00 GMT"}, NOW + timedelta(minutes=5)),
    ({"Retry-After": "Tue, 01 Dec 2026 08:00:00 GMT"}, NOW),  # in the past: now
    ({"Retry-After": "soon"}, NOW + timedelta(seconds=60)),
    ({"Retry-After": "inf"}, NOW + timedelta(seconds=60)),
    ({"Retry-After": "nan"}, NOW + timedelta(seconds=60)),
    ({"Retry-After": "1e300"}, NOW + timedelta(seconds=60)),
    ({"X-RateLimit-Reset": str(int((NOW + timedelta(minutes=15)).timestamp()))}, NOW + timedelta(minutes=15)),
    ({"x-rate-limit-reset": str(int((NOW + timedelta(minutes=1)).timestamp()))}, NOW + timedelta(minutes=1)),
    ({"X-RateLimit-Reset": "30"}, NOW + timedelta(seconds=30)),  # seconds from now
    ({"X-RateLimit-Reset": "1e300"}, NOW + timedelta(seconds=60)),
    ({"X-RateLimit-Reset": "later"}, NOW + timedelta(seconds=60)),
    ({"Retry-After": "10", "X-RateLimit-Reset": "999"}, NOW + timedelta(seconds=10)),  # Retry-After first
    ({}, NOW + timedelta(seconds=60)),
])
def test_retry_at(headers, expected):
    assert retry_at(headers, NOW) == expected


def test_retry_at_default_and_a_real_response(server):
    server.routes["/limited"] = reply(b"{}", 429, {"Retry-After": "7"})
    answer = HttpClient().get(server.url("/limited"))
    assert answer.verdict is Verdict.RATE_LIMITED and retry_at(answer.headers, NOW) == NOW + timedelta(seconds=7)
    assert retry_at({}, NOW, default=5) == NOW + timedelta(seconds=5)
