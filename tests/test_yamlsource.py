"""The YAML loader: strict, safe, and precise about where a problem is."""

from __future__ import annotations

import time

import pytest

from campaigns.errors import CalendarError
from campaigns.yamlsource import decode, load_text


def problems_of(text: str) -> list[str]:
    with pytest.raises(CalendarError) as info:
        load_text(text, "f.yaml")
    return [str(p) for p in info.value.problems]


def test_duplicate_key_is_reported_at_the_second_key():
    assert problems_of("a: 1\nb: 2\na: 3\n") == ["f.yaml:3:1: duplicate key 'a' (first at line 1) (remove one of them)"]


def test_object_constructing_tags_are_refused():
    (message,) = problems_of("x: !!python/object/apply:os.system ['echo pwned']\n")
    assert message.startswith("f.yaml:1:4: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'")


def test_custom_tags_are_refused():
    assert problems_of("x: !secret abc\n")[0].startswith("f.yaml:1:4: unsupported YAML tag '!secret'")


def test_syntax_error_names_line_and_column():
    (message,) = problems_of("a:\n  - b: 1\n   c: 2\n")
    assert message.startswith("f.yaml:3:4: YAML syntax error:")


def test_alias_bomb_is_refused_quickly():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    started = time.process_time()
    (message,) = problems_of("\n".join(lines) + "\n")
    assert "expand to more than" in message
    assert time.process_time() - started < 5  # generous: the point is that it does not expand 9**10 values


def test_moderate_aliases_and_merge_keys_work():
    data = load_text("base: &b {kind: tip, networks: [site]}\npost:\n  <<: *b\n  kind: reminder\n", "f.yaml")
    assert data["post"] == {"kind": "reminder", "networks": ["site"]}


def test_dates_stay_as_written_and_yaml_1_2_scalars():
    data = load_text("d: 2026-02-30\nt: 10:00\nno: no\nn: 12\nf: 1.5\nb: true\nz: ~\n", "f.yaml")
    assert data == {"d": "2026-02-30", "t": "10:00", "no": "no", "n": 12, "f": 1.5, "b": True, "z": None}


def test_positions_of_keys_and_values_are_kept():
    data = load_text("posts:\n  - id: a\n    kind: tip\n", "f.yaml")
    post = data["posts"][0]
    assert (post.key_loc("kind").line, post.key_loc("kind").col) == (3, 5)
    assert (post.value_loc("kind").line, post.value_loc("kind").col) == (3, 11)


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file_has_a_clear_message(text):
    assert problems_of(text) == ["f.yaml:1:1: the file is empty; expected a calendar (see docs/tutorial.md for an example)"]


def test_binary_file_is_refused():
    with pytest.raises(CalendarError) as info:
        decode(b"\x89PNG\r\n\x1a\n\x00\x00", "f.yaml")
    # (at its line and column: CRLF and LF end the PNG signature's lines)
    assert str(info.value) == "f.yaml:3:1: NUL byte (U+0000): not a text file (save it as UTF-8 YAML)"


def test_invalid_utf8_names_its_position():
    with pytest.raises(CalendarError) as info:
        decode(b"a: 1\nb: caf\xe9\n", "f.yaml")
    assert str(info.value).startswith("f.yaml:2:7: not valid UTF-8 text")


def test_second_document_is_an_error():
    assert problems_of("a: 1\n---\nb: 2\n")[0].startswith("f.yaml:2:1: YAML syntax error: but found another document")


def test_explicit_core_tags_are_checked():
    assert load_text('a: !!int "12"\nb: !!str 12\nc: !!float 1\n', "f.yaml") == {"a": 12, "b": "12", "c": 1}
    assert problems_of('a: !!int "twelve"\n') == ["f.yaml:1:4: 'twelve' is not a valid int"]


@pytest.mark.parametrize("style", ["flow", "block"])
@pytest.mark.slow
def test_deep_nesting_is_a_located_error_not_a_recursion_error(style):
    # Given a document nested 20,000 levels deep
    depth = 20_000
    if style == "flow":
        text = "a: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "".join("  " * i + "k:\n" for i in range(depth)) + "  " * depth + "v\n"
    # When it is loaded, Then one problem names where the nesting goes too deep
    (message,) = problems_of(text)
    where = "f.yaml:1:67:" if style == "flow" else "f.yaml:65:129:"
    assert message.startswith(where + " YAML nesting is deeper than 64 levels"), message


def test_an_alias_cannot_smuggle_in_deep_nesting():
    # Given an anchor 40 levels deep used 40 levels deep (80 in all)
    inner = "[" * 40 + "1" + "]" * 40
    text = f"a: &x {inner}\nb: " + "[" * 40 + "*x" + "]" * 40 + "\n"
    (message,) = problems_of(text)
    # (an alias is its anchor's node: the place named is the anchor's)
    assert message.startswith("f.yaml:1:4: YAML nesting is deeper than 64 levels"), message


def test_nesting_up_to_the_limit_loads():
    text = "a: " + "[" * 63 + "1" + "]" * 63 + "\n"
    value = load_text(text, "f.yaml")["a"]
    for _ in range(62):
        value = value[0]
    assert value == [1]


# -- control characters ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ('a: "x\\ay"\n', "f.yaml:1:6: U+0007 (bell) is not allowed"),
    ('a: "x\\x1b[31m"\n', "f.yaml:1:6: U+001B (escape) is not allowed"),
    ('a: "x\\vy"\n', "f.yaml:1:6: U+000B (vertical tab) is not allowed"),
    ('a: "x\\0y"\n', "f.yaml:1:6: U+0000 (NUL) is not allowed"),
    ('a: "x\\ry"\n', "f.yaml:1:6: U+000D (carriage return) is not allowed"),
    ('a: "\\u00e9\\uffff"\n', "f.yaml:1:11: U+FFFF (noncharacter) is not allowed"),
    ('a: "x\\x7f"\n', "f.yaml:1:6: U+007F (DEL) is not allowed"),
    ('a: x\x07y\n', "f.yaml:1:5: U+0007 (bell) is not allowed"),
    ("b: 1\na: 'x\x1by'\n", "f.yaml:2:6: U+001B (escape) is not allowed"),
    ("a: |\n  line\n  x\x0by\n", "f.yaml:3:4: U+000B (vertical tab) is not allowed"),
    ('a: x\x7f\n', "f.yaml:1:5: U+007F (DEL) is not allowed"),
    ('a: x\ufffe\n', "f.yaml:1:5: U+FFFE (noncharacter) is not allowed"),
    ('"k\\a": 1\n', "f.yaml:1:3: U+0007 (bell) is not allowed"),
    ('a: "folded\n  over lines \\a"\n', "f.yaml:1:4: U+0007 (bell) is not allowed at character 19 of the text"),
    ('a: "x\\Ny"\n', "f.yaml:1:6: U+0085 (next line, NEL) is not allowed"),  # found by the attack: published as is
    ('a: "x\\x9b[2J"\n', "f.yaml:1:6: U+009B (control character) is not allowed"),
], ids=["bell escape", "ansi escape", "vertical tab", "nul escape", "carriage return escape", "U+FFFF",
        "DEL escape", "raw bell", "raw escape on line 2", "raw vertical tab in a block", "raw DEL", "raw U+FFFE",
        "in a key", "multi-line quoted", "NEL escape", "C1 control sequence introducer"])
def test_control_characters_are_located_errors_naming_the_character(text, expected):
    messages = problems_of(text)
    assert any(m.startswith(expected) for m in messages), messages


def test_tabs_newlines_and_crlf_files_are_fine():
    assert load_text('a: "\\tindented\\nnext"\r\nb: |\r\n  two\r\n  lines\r\n', "f.yaml") == {
        "a": "\tindented\nnext", "b": "two\nlines\n"}


def test_a_control_character_in_a_post_fails_validation_where_it_is(write_calendar):
    from campaigns.calendar import check

    path = write_calendar('- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: "ding\\a"\n')
    result = check(str(path))
    assert result.value is None
    assert [str(p).replace(str(path), "cal.yaml") for p in result.errors] == [
        "cal.yaml:19:16: U+0007 (bell) is not allowed "
        "(remove it: invisible control characters break posts on some networks)"]


def test_a_control_character_in_the_status_file_is_a_located_error():
    with pytest.raises(CalendarError) as info:
        load_text('incidents:\n- id: a\n  title: "Checkout \\x1b[2J down"\n', "s.yaml", what="status file")
    assert str(info.value).startswith("s.yaml:3:20: U+001B (escape) is not allowed")


@pytest.mark.parametrize("text, found", [
    ("plain text, tabs\tand\nnewlines", []),
    ("a\x07b\x1bc", [(1, "\x07"), (3, "\x1b")]),
    ("\x00\x7f\ufffe\uffff", [(0, "\x00"), (1, "\x7f"), (2, "\ufffe"), (3, "\uffff")]),
    ("lone \ud800 surrogate", [(5, "\ud800")]),
    ("cr\r", [(2, "\r")]),
])
def test_forbidden_characters_are_found_with_their_index(text, found):
    from campaigns.textsafety import forbidden

    assert forbidden(text) == found


def test_strip_control_removes_them_and_counts_them_but_keeps_line_breaks():
    from campaigns.textsafety import describe, strip_control

    assert strip_control("Checkout\x1b[2J is\x07 down\r\nagain\rand\x00 again\ud800") == (
        "Checkout[2J is down\nagain\nand again", 4)
    assert strip_control("fine\tas\nis") == ("fine\tas\nis", 0)
    assert describe("\x07") == "U+0007 (bell)" and describe("\udc00") == "U+DC00 (lone surrogate)"


# -- scanner errors reported where the mistake is, not where the scanner gave up ---------------
@pytest.mark.parametrize("text, expected", [
    ('a: 1\nb: "never closed\nc: 3\nd: 4\n', 'f.yaml:2:4: unclosed quote: the " here is never closed'),
    ("a: 1\nb: 'never closed\nc: 3\n", "f.yaml:2:4: unclosed quote: the ' here is never closed"),
    ('posts:\n  - id: x\n    text: "hello\n  - id: y\n    text: ok\n',
     'f.yaml:3:11: unclosed quote: the " here is never closed'),
])
def test_an_unclosed_quote_is_reported_where_it_opens(text, expected):
    (message,) = problems_of(text)
    assert message.startswith(expected)
    assert "end of stream" not in message


@pytest.mark.parametrize("text, expected", [
    ('posts:\n  - id: a\n    text: "hello\n  - id: b\n    text: "world"\n  - id: c\n    text: ok\n',
     'f.yaml:3:11: unclosed quote: the " here is never closed on its line (YAML read on to the " at 5:11)'),
    ("posts:\n  - id: a\n    text: 'hello\n  - id: b\n    text: 'world'\n  - id: c\n    text: ok\n",
     "f.yaml:3:11: unclosed quote: the ' here is never closed on its line (YAML read on to the ' at 5:11)"),
    ('a: "one\nb: "two"\nc: 3\n', 'f.yaml:1:4: unclosed quote: the " here is never closed on its line'),
    ('a: [x, "y]\nb: "z"\n', 'f.yaml:1:8: unclosed quote: the " here is never closed on its line'),
])
def test_an_unclosed_quote_followed_by_other_quotes_is_reported_where_it_opens(text, expected):
    """The scanner pairs the open quote with the next one in the file and fails lines later."""
    (message,) = problems_of(text)
    assert message.startswith(expected)


def test_a_quote_that_runs_into_a_comment_is_reported_where_it_opens():
    text = ('posts:\n  - id: a\n    variants:\n      - "one"\n      - "two\n\n  # A countdown: "in 9 days"\n'
            '  - id: b\n    text: ok\n')
    (message,) = problems_of(text)
    assert message.startswith('f.yaml:5:9: unclosed quote: the " here is never closed on its line'), message


def test_a_valid_quoted_text_over_lines_is_not_blamed_for_a_later_error():
    text = ('posts:\n  - id: a\n    text: "Moving house? Before the sofa arrives:\n    - measure the door\n'
            '    note: lifts too"\n  - id: b\n    networks: [site\n')
    (message,) = problems_of(text)
    assert "unclosed quote" not in message and "'['" in message, message


def _sample_lines() -> tuple[list[str], int, int]:
    """The sample's lines, and the line numbers of its storm post's text and of its last text."""
    from tests.conftest import ROOT

    lines = (ROOT / "content_calendar.yaml").read_text().split("\n")
    storm = next(n for n, line in enumerate(lines, 1) if "Heads-up: the storm" in line)
    last = next(n for n, line in enumerate(lines, 1) if line.startswith('    text: "Something new is coming'))
    return lines, storm, last


def _sample_with(storm_end: str, last_text: str) -> str:
    lines, storm, last = _sample_lines()
    assert lines[storm - 1].endswith('{links.help}"') and lines[last - 1].startswith("    text: ")
    lines[storm - 1] = lines[storm - 1][:-1] + storm_end
    lines[last - 1] = "    text: " + last_text
    return "\n".join(lines)


def test_a_quote_closed_by_one_followed_by_a_colon_is_still_found():
    (message,) = problems_of(_sample_with("", '":: Something new is coming."'))
    assert message.startswith(f'f.yaml:{_sample_lines()[1]}:11: unclosed quote: the " here'), message


def test_a_quote_closed_by_a_later_one_is_refused_even_when_the_file_still_loads():
    """ruamel reads `"#NewIn…` after a closing quote as a comment: the open quote swallowed a whole
    post and the file loaded with one post fewer. Its lines are less indented than the key: refused."""
    (message,) = problems_of(_sample_with("", '"#NewIn: something new is coming."'))
    _, storm, last = _sample_lines()
    assert message.startswith(f'f.yaml:{storm}:11: unclosed quote: the " here is closed only at {last}:11, and line '
                              f"{storm + 2}, which it takes in, is less indented than its key"), message


@pytest.mark.parametrize("text", [
    'posts:\n  - id: a\n    text:\n        "Hello there,\n      world"\n',  # below its key, continued left of the quote
    'voice:\n  phrases:\n    stock: ["at acme we believe",\n                "we go above\n        and beyond"]\n',
    'posts:\n  - id: a\n    image: {url: "https://x.example/a.jpg",\n            alt: "a long alt\n      text here"}\n',
    'posts:\n  - id: a\n    text: "Hello,\n\t\tworld"\n',  # tabs between the words of a folded line
    'a: "one\n  two"\nb: 2\n',
    'sig: &s "Hello\n world"\nposts:\n  - id: a\n    text: *s\n',  # an alias used deeper than its anchor
    '? a\n: "x\n y"\n',  # the value of an explicit key
    '{posts: [{id: a, text: "Hello\nworld: today"}]}\n',  # a flow collection at the root (JSON style)
])
def test_valid_quoted_texts_over_lines_load(text):
    load_text(text, "f.yaml")


@pytest.mark.parametrize("text", [
    'hashtags: [\n  "#sofa,\n  "#winter",\n]\n',  # a flow list over lines: the next text's quote closed it
    'posts:\n  - {id: a,\n     text: "Hello,\n     notes: "#draft"\n     }\n',
    'a:\r\n  b: "x\r\n  c:\r\n    "#y"\r\n',  # CRLF, a bare key
    "- text: 'Hello world\n  \"notes\": \"draft\"\n  \"title\": '#x'\n",  # a quoted key taken in
    'base:\n  <<: {a: "x\n  b: y"}\n',  # a merge source
    'a: "x"#c\n',  # no space before the comment: YAML does not allow it, ruamel reads it as one
])
def test_a_quote_that_takes_in_what_follows_is_refused_when_the_file_loads(text):
    problems = problems_of(text)
    assert len(problems) == 1 and "quote" in problems[0], problems


def test_an_aliased_runaway_is_reported_once():
    assert len(problems_of('a: &x "p\nb: "#q"\nc: *x\nd: *x\n')) == 1


def test_a_quote_that_swallows_a_key_at_its_own_indentation_is_refused_even_when_the_file_loads():
    text = ('posts:\n  - id: a\n    text: "Hello world, our showroom opens at nine\n'
            '    notes: "#draft check with legal"\n')
    (message,) = problems_of(text)
    assert message.startswith('f.yaml:3:11: unclosed quote: the " here is closed only at 4:12, and line 4, which it '
                              "takes in, reads like a key at its key's indentation"), message


def test_text_after_a_quote_closed_on_purpose_is_not_called_an_unclosed_quote():
    (message,) = problems_of('posts:\n  - id: a\n    text: "Hello\n      world" {links.help}\n')
    assert "unclosed quote" not in message, message


def test_a_quoted_text_folded_over_lines_on_purpose_is_not_called_unclosed():
    assert load_text('a: "one\n  two"\nb: 2\n', "f.yaml") == {"a": "one two", "b": 2}
    (message,) = problems_of('a: "one\n  two"\nb: 2\n  c: 3\n')
    assert "unclosed quote" not in message


@pytest.mark.parametrize("text, expected", [
    ("a: 1\nb: [1, 2\nc: 3\n", "f.yaml:2:4: YAML syntax error: the '[' here is never closed (expected ',' or ']' at 3:2)"),
    ("a: 1\nb: {x: 1\nc: 3\n", "f.yaml:2:4: YAML syntax error: the '{' here is never closed (expected ',' or '}' at 3:2)"),
    ("a: {x: [1, 2}\n", "f.yaml:1:8: YAML syntax error: the '[' here is never closed (expected ',' or ']' at 1:13)"),
])
def test_an_unclosed_bracket_is_reported_where_it_opens(text, expected):
    assert problems_of(text) == [expected]


def test_a_key_without_its_colon_is_reported_at_the_key_not_at_the_end():
    (message,) = problems_of("a: 1\nb\nc: 3\n")
    assert message.startswith("f.yaml:2:1: YAML syntax error: could not find expected ':'")


def test_a_tab_in_the_indentation_is_named_with_its_hint():
    assert problems_of("a:\n\tb: 1\n") == [
        "f.yaml:2:1: YAML syntax error: found character that cannot start any token "
        "(while scanning for the next token) (indent with spaces, not tabs)"]


def test_an_unclosed_quote_in_the_status_file_is_reported_where_it_opens(tmp_path, capsys):
    from scheduler.cli import main
    from tests.conftest import ROOT

    status = tmp_path / "status.yaml"
    status.write_text('components:\n  - id: checkout\n    name: "Checkout\nincidents: []\n')
    assert main(["validate", str(ROOT / "content_calendar.yaml"), "--status", str(status)]) == 1
    assert f"{status}:3:11: unclosed quote: the \" here is never closed" in capsys.readouterr().err
