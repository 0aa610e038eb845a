"""``herald diff``'s defects a cold review of issue 28 found: the forked and the in-process paths
disagreed on a template two posts share (a YAML alias), and a post whose kind or campaign
changed (same text, same time) did not count as touched."""

from __future__ import annotations

import json

import pytest

from bench.generate import generate
from scheduler import forked
from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.test_diff import NOW

VOICE = "  voice:\n    words: {cheap: affordable}\n    required: {tracking: [link]}\n"


def calendar(posts: str, pad: int = 0) -> str:
    base = generate(pad) if pad else generate(1)
    head, _, rest = base.partition("posts:\n")
    head = head.replace("networks:\n", VOICE + "networks:\n", 1)
    return head + "posts:\n" + posts + (rest if pad else "")


SHARED = ('  - {id: q, kind: tip, networks: [site], at: "2027-03-02T10:00", text: &t "Cheap sofas all week."}\n'
          '  - {id: p, kind: tip, networks: [site], at: "%s", text: *t}\n')


def run_diff(capsys, tmp_path, old: str, new: str, fork: bool, monkeypatch) -> dict:
    (tmp_path / "old.yaml").write_text(old)
    (tmp_path / "new.yaml").write_text(new)
    started: list[int] = []
    start = forked.Child.start
    monkeypatch.setattr(forked.Child, "start", classmethod(lambda cls, *a: started.append(1) or start(*a)))
    monkeypatch.setattr(forked, "can_fork", lambda: fork)
    code = main(["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "--from", "2027-03-01",
                 "--format", "json"], clock=FakeClock(NOW))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert started == ([1] if fork else []) or not fork and not started
    return json.loads(out)


@pytest.mark.parametrize("pad", [0, 1200])
def test_a_template_two_posts_share_gives_the_same_diff_forked_or_not(tmp_path, capsys, monkeypatch, pad):
    old = calendar(SHARED % "2027-03-03T10:00", pad)
    new = calendar(SHARED % "2027-03-04T10:00", pad)
    if pad:
        assert len(old) >= forked.PARALLEL_FROM_CHARS
    alone = run_diff(capsys, tmp_path, old, new, False, monkeypatch)
    assert [c["change"] for d in alone["days"] for c in d["changes"]] == ["moved"]
    assert alone["voice"] == []  # lint(new) - lint(old): nothing (the guide avoids 'Cheap' in both)
    if pad:
        parallel = run_diff(capsys, tmp_path, old, new, True, monkeypatch)
        assert parallel == alone


@pytest.mark.parametrize("fork", [False, True])
def test_a_kind_changed_with_the_same_text_and_time_is_checked(tmp_path, capsys, monkeypatch, fork):
    post = '  - {id: t, kind: %s, networks: [site], at: "2027-03-02T10:00", text: "Your sofa is on its way."}\n'
    pad = 1200 if fork else 0
    old, new = calendar(post % "tip", pad), calendar(post % "tracking", pad)
    document = run_diff(capsys, tmp_path, old, new, fork, monkeypatch)
    assert [(f["rule"], f["posts"]) for f in document["voice"]] == [("required", ["t"])], document["voice"]
    same = run_diff(capsys, tmp_path, old, old, fork, monkeypatch)
    assert same["voice"] == []


def test_a_campaign_changed_with_the_same_text_and_time_is_checked(tmp_path, capsys, monkeypatch):
    post = '  - {id: t, kind: tip, %snetworks: [site], at: "2027-03-02T10:00", text: "Sofas: {links.help}"}\n'
    old, new = calendar(post % ""), calendar(post % "campaign: c0, ")
    document = run_diff(capsys, tmp_path, old, new, False, monkeypatch)
    assert document["counts"]["voice"] == len(document["voice"])
    lint_new = main(["lint", "--calendar", str(tmp_path / "new.yaml"), "--from", "2027-03-01"], clock=FakeClock(NOW))
    out, _ = capsys.readouterr()
    assert ("utm" in out) == any("utm" in f["message"] for f in document["voice"]), (out, document["voice"])
    assert lint_new in (0, 1)
