"""A post's fields only some networks take: Mastodon's content warning, Bluesky's link card
(campaigns.networks.POST_FIELDS, a type's ``post_fields``)."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.calendar import check
from campaigns.plan import JsonLines, plan

START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)


def _post(extra: str, networks: str = "[masto, sky, x]", text: str = "Deliveries are late today.") -> str:
    return (f"- id: a\n  kind: announcement\n  networks: {networks}\n  at: 2026-12-01T10:00\n"
            f"  text: {text!r}\n{extra}")


def _messages(result, path) -> list[str]:
    return [str(p).replace(str(path), "cal.yaml") for p in (*result.errors, *result.warnings)]


def test_a_post_level_content_warning_goes_only_where_the_network_shows_one(write_calendar):
    path = write_calendar(_post("  content_warning: Delivery delays\n"))
    result = check(str(path))
    assert result.errors == [], result.errors
    (post,) = result.value.posts
    assert post.options == {"masto": {"content_warning": "Delivery delays"}}
    pubs = {p.network: p for p in plan(result.value, START, END)}
    assert pubs["masto"].content_warning == "Delivery delays"
    assert pubs["sky"].content_warning == "" and pubs["x"].content_warning == ""
    assert pubs["masto"].as_json()["content_warning"] == "Delivery delays"
    assert "content_warning" not in pubs["x"].as_json()
    line = JsonLines().line(pubs["masto"])
    assert '"content_warning":"Delivery delays"' in line


def test_per_network_fields_override_the_posts_and_the_account_wins_over_its_type(write_calendar):
    path = write_calendar(_post("  content_warning: General\n  link_card: {title: Post card}\n"
                                "  per_network:\n    mastodon: {content_warning: By type}\n"
                                "    sky: {link_card: {title: Sky card, description: Why}}\n"))
    result = check(str(path))
    assert result.errors == [], result.errors
    (post,) = result.value.posts
    assert post.option("masto", "content_warning") == "By type"
    assert post.option("sky", "link_card") == {"title": "Sky card", "description": "Why"}
    assert post.option("x", "link_card") is None


def test_a_per_network_field_the_network_does_not_show_is_an_error_where_it_is_written(write_calendar):
    path = write_calendar(_post("  per_network:\n    x: {content_warning: Nope}\n"))
    result = check(str(path))
    assert result.value is None
    assert any("cal.yaml:21:11: content_warning is not something X shows" in m
               and "only Mastodon shows it" in m for m in _messages(result, path)), _messages(result, path)


def test_a_post_field_none_of_its_networks_shows_is_a_warning(write_calendar):
    path = write_calendar(_post("  content_warning: Nope\n", networks="[x, site]"))
    result = check(str(path))
    assert result.errors == []
    assert any("content_warning of post 'a' goes nowhere" in m for m in _messages(result, path))


def test_a_content_warning_must_be_one_line(write_calendar):
    path = write_calendar(_post('  content_warning: "two\\u2028lines"\n'))
    assert check(str(path)).value is None


def test_the_content_warning_counts_toward_mastodons_500(write_calendar):
    text = "x" * 480
    fits = check(str(write_calendar(_post("  content_warning: Short\n", networks="[masto]", text=text))))
    assert fits.errors == []
    (pub,) = plan(fits.value, START, END)
    assert pub.length == 480 + 5
    over = check(str(write_calendar(_post("  content_warning: " + "w" * 25 + "\n", networks="[masto]", text=text))))
    messages = [p.message for p in over.errors]
    assert any("too long for masto (Mastodon): text with its content warning is 505/500 characters (5 over)" in m
               for m in messages), messages
