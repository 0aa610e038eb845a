"""A review-room request with an address far longer than any page of the room makes (an attack
sent 100,000 characters of query string) is answered at once with a one-line reason, before the
sign-in, the files or the ledger are read; a bad value is named in a 400 without being echoed whole."""

from __future__ import annotations

from tests.test_web_review import room, signed_in  # noqa: F401 - the fixture, shared


def test_a_huge_query_string_is_a_414_with_one_line(room):  # noqa: F811
    for path in ("/review?view=month&x=", "/review/diff?base=", "/?x="):
        answer = room.get(path + "a" * 60_000)
        assert answer.status_code == 414, (path, answer.status_code)
        assert answer.text.count("\n") <= 1 and len(answer.text) < 300 and "query string" in answer.text
    signed_in(room)
    answer = room.get("/review?view=month&x=" + "a" * 60_000)
    assert answer.status_code == 414 and len(answer.text) < 300
    assert room.get("/review?view=month&x=" + "a" * 1000).status_code == 200  # an ordinary long address


def test_a_bad_value_is_named_not_echoed_whole(room):  # noqa: F811
    signed_in(room)
    for name in ("campaign", "network", "kind", "view", "from"):
        answer = room.get(f"/review?{name}=" + "b" * 3000)
        assert answer.status_code == 400 and len(answer.text) < 600 and "\n" not in answer.text.strip(), name
