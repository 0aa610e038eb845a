"""The whole analysis of ``herald suggest`` as one JSON document (``--json``): per request
its topic, language and answer score (with its file, line and id, so anyone can check it),
per topic its counts, languages, peaks, trend, answers with their scores, and its draft."""

from __future__ import annotations

from typing import Any

from .draft import Draft
from .topics import WEEKDAY_NAMES, Topic, TopicReport

__all__ = ["analysis"]


def _topic(i: int, t: Topic, posts: dict[str, Any]) -> dict[str, Any]:
    answered = bool(t.key)
    return {
        "topic": i,  # what a request's "topic" says
        "rank": i + 1,
        "label": t.label,
        "count": t.count,
        "share": round(t.share, 4),
        "languages": t.languages,
        "gap": not answered,
        "examples": list(t.examples),
        "peak_hours": list(t.hours),
        "peak_weekdays": [WEEKDAY_NAMES[d] for d in t.weekdays],
        "trend": t.trend,
        "weekly": list(t.weekly),
        "answers": [{"title": m.answer.title, "url": m.answer.url, "language": m.answer.language,
                     "link": m.answer.link, "score": m.score, "good": m.good} for m in t.matches[:5]],
        "draft": posts.get(t.key) if answered else None,
    }


def analysis(report: TopicReport, draft: Draft | None, shown: int) -> dict[str, Any]:
    """``report`` and ``draft`` as plain data (``shown``: how many topics the run drafted for)."""
    posts: dict[str, Any] = {}
    for p in draft.posts if draft is not None else []:
        posts[p.suggestion.topic.key] = {"id": p.id, "kind": p.kind, "rrule": p.rrule, "variants": p.variants,
                                         "left_out": p.dropped}
    return {
        "total": report.total,
        "in_no_topic": report.noise,
        "first": report.first.isoformat() if report.first else None,
        "last": report.last.isoformat() if report.last else None,
        "drafted_for_top": shown,
        "ignored_tags": report.ignored_tags,
        "topics": [_topic(i, t, posts) for i, t in enumerate(report.topics)],
        "warnings": [str(w) for w in draft.warnings] if draft is not None else [],
        "requests": [{"id": r.ref, "file": r.source, "line": r.line, "topic": r.topic, "language": r.language,
                      "score": r.score, "noise": r.noise} for r in report.rows],
    }
