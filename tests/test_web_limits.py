"""`herald serve` against oversized requests (issue 27 attack): a request header too large is
answered 431 at once, and a body whose declared Content-Length is over the route's cap 413 at
once, before a byte of it is read, on every route that takes a POST; the real server on
127.0.0.1, as a client on the network would reach it."""

from __future__ import annotations

import socket

import pytest

from scheduler.web.intake import MAX_BODY, PARSERS
from scheduler.web.review import FORM_LIMIT
from scheduler.web.subscribe import BODY_LIMIT
from tests.test_web_resilience import _server, site  # noqa: F401 (a fixture)

POSTS = {"/review/login": FORM_LIMIT, "/subscribe/": BODY_LIMIT, "/subscribe/confirm": BODY_LIMIT,
         "/subscribe/unsubscribe": BODY_LIMIT, **{f"/intake/{name}": MAX_BODY for name in PARSERS}}


@pytest.fixture
def port(site):  # noqa: F811
    server, thread, ctx, port = _server(site)
    yield port
    server.should_exit = True
    thread.join(10)
    ctx.close()


def _exchange(port: int, request: bytes) -> bytes:
    """What the server answers ``request`` (sent whole, no body after it), until it closes."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(30)
        s.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := s.recv(65536)):
            answer += chunk
        return answer


@pytest.mark.slow
@pytest.mark.parametrize("size", [100_000, 20_000])
def test_a_header_too_large_is_a_431(port, size):
    answer = _exchange(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * size + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


@pytest.mark.slow
def test_many_headers_too_large_together_are_a_431(port):
    lines = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 4000) for i in range(20))
    answer = _exchange(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + lines + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


@pytest.mark.slow
def test_an_ordinary_header_is_served(port):
    answer = _exchange(port, b"GET /static/site.css HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fine: " + b"c" * 4000
                       + b"\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(POSTS))
@pytest.mark.parametrize("declared", ["999999999999", "cap+1"])
def test_a_declared_body_over_the_routes_cap_is_a_413_before_it_is_sent(port, path, declared):
    length = str(POSTS[path] + 1) if declared == "cap+1" else declared
    answer = _exchange(port, (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                              f"application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n").encode())
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"connection: close" in answer.lower()
