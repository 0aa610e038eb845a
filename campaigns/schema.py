"""The JSON Schema of ``content_calendar.yaml``, built from the same tables validation uses.

``herald schema`` prints it; ``schema/content_calendar.schema.json`` is the committed copy
that editors pick up (VS Code's YAML extension reads the ``# yaml-language-server:
$schema=…`` comment at the top of the sample calendar).  Draft-07, which every editor
integration understands.  The ``x-hint`` keyword carries the friendly explanation
that Herald prints when a value does not match a pattern; validators ignore it.
"""

from __future__ import annotations

from typing import Any

from .days import CLOSED_HINT, CLOSED_PATTERN, HOURS_HINT, HOURS_PATTERN, WEEKDAY_KEYS
from .model import POST_KINDS, STATUS_KINDS
from .networks import COMMON_NETWORK_FIELDS, NETWORK_TYPES, POST_FIELDS
from .subscribers import schema as subscribers_schema
from .voice import ELEMENTS, REQUIRED_KEYS, RULES, SEVERITIES

KINDS = tuple(k.value for k in POST_KINDS)
_ALL_KINDS = (*KINDS, *sorted(k.value for k in STATUS_KINDS))
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,49}$"
WHEN_PATTERN = (
    r"^\d{4}-\d{1,2}-\d{1,2}([Tt ]+\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?)?$"
)
DATETIME_HINT = "write a date like 2026-12-01, a local time like 2026-12-01T10:00, or add an offset: +01:00"

_WHEN = {"type": "string", "pattern": WHEN_PATTERN, "x-hint": DATETIME_HINT}
DURATION_PATTERN = r"^\d+\s*(s|m|h|d)$"
_DURATION = {"type": "string", "pattern": DURATION_PATTERN, "x-hint": "a duration like 90s, 30m, 6h or 2d"}
_TEXT = {"type": "string", "minLength": 1}
_TEMPLATE = {**_TEXT, "description": "text with {fields}: {brand.name}, {links.NAME}, {weekday}, {date}…"}
_VARIANTS = {"type": "array", "items": _TEMPLATE, "minItems": 1}
_NAMES = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "uniqueItems": True,
    "minItems": 1,
}


def _object(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def _network_account() -> dict[str, Any]:
    """One account: the keys every account has, then every type's own (a key some type does not
    take is refused by the builder, naming the types it belongs to)."""
    type_: dict[str, Any] = {"enum": list(NETWORK_TYPES)}
    if NETWORK_TYPES.problems:  # said with the error of an account whose type is one of them
        type_["x-hint"] = "not loaded: " + "; ".join(NETWORK_TYPES.problems)
    properties = {"type": type_, **COMMON_NETWORK_FIELDS}
    for kind in NETWORK_TYPES.values():
        properties.update(kind.fields)
    rules = [
        {"if": {"properties": {"type": {"const": kind.name}}}, "then": {"required": list(kind.required)}}
        for kind in NETWORK_TYPES.values()
        if kind.required
    ]
    return _object(properties, ("type",), allOf=rules)


def voice_schema() -> dict[str, Any]:
    phrases = {"type": "array", "items": _TEXT, "uniqueItems": True}
    count = {"type": "integer", "minimum": 0, "maximum": 50}
    return _object(
        {
            "persona": {**_TEXT, "description": "who speaks, in a sentence"},
            "tone": {**_TEXT, "description": "e.g. warm, plain, never salesy (for people; not checked)"},
            "register": {"enum": ["formal", "informal"],
                         "description": "how customers are addressed (checked for en, de and fr)"},
            "language": {"type": "string", "pattern": r"^[a-z]{2}(-[A-Z]{2})?$"},
            "words": {"type": "object", "additionalProperties": {"type": ["string", "null"]},
                      "description": "words to avoid -> what to write instead (null: just leave it out)"},
            "phrases": _object({"stock": phrases, "blame": phrases, "argumentative": phrases},
                               description="phrases added to the built-in lists"),
            "limits": _object({"exclamations": count, "caps_words": count, "emoji": count, "hashtags": count},
                              description="at most this many per post"),
            "acronyms": {**phrases, "description": "upper-case words that are not shouting, e.g. DIY"},
            "required": _object({k: {"type": "array", "items": {"enum": list(ELEMENTS)}, "uniqueItems": True}
                                 for k in REQUIRED_KEYS},
                                description="what each kind of post must contain"),
            "cues": _object({k: phrases for k in ELEMENTS},
                            description="more words that count as each required element"),
            "repetition": _object({"window": _DURATION,
                                   "similarity": {"type": "number", "minimum": 0.3, "maximum": 1}},
                                  description="similar posts on one account must be this far apart"),
            "links": _object({"hosts": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9.-]+$"}},
                              "utm": {"enum": ["campaign", "required", "off"]}}),
            "rules": _object({r: {"enum": list(SEVERITIES)} for r in RULES},
                             description="a rule's severity: error, warning or off"),
        },
        description="the brand's voice guide: herald lint checks every post against it",
    )


def calendar_schema() -> dict[str, Any]:
    text_choice = {"text": _TEMPLATE, "variants": _VARIANTS}
    image = _object(
        {"url": {"type": "string", "pattern": r"^https?://\S+$"}, "path": _TEXT,
         "alt": {**_TEXT, "description": "what the image shows, for people who cannot see it"}},
        ("alt",),
    )
    post = _object(
        {
            "id": {"type": "string", "pattern": ID_PATTERN,
                   "x-hint": "letters, digits, '.', '_' and '-', starting with a letter or digit"},
            "kind": {"enum": list(KINDS)},
            "campaign": {"type": "string"},
            "networks": _NAMES,
            "at": {**_WHEN, "description": "a one-off post: when it goes out"},
            "rrule": {"type": "string", "minLength": 1,
                      "description": "a recurring post: an RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=10"},
            "starts": _WHEN,
            "ends": _WHEN,
            "timezone": {"type": "string", "minLength": 1},
            "exdates": {"type": "array", "items": _WHEN},
            "enabled": {"type": "boolean"},
            **text_choice,
            **POST_FIELDS,  # each taken only by the networks whose type lists it (post_fields)
            "per_network": {
                "type": "object",
                "additionalProperties": _object({**text_choice, "enabled": {"type": "boolean"}, **POST_FIELDS}),
            },
            "image": image,
            "components": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True,
                           "description": "status components this post is about: held while they have a "
                                          "major incident"},
            "notes": {"type": "string", "description": "for planners; never published"},
        },
        ("id", "kind"),
    )
    campaign = _object(
        {
            "title": _TEXT,
            "starts": _WHEN,
            "ends": _WHEN,
            "networks": _NAMES,
            "utm_campaign": {"type": "string", "pattern": r"^[A-Za-z0-9._-]+$",
                             "x-hint": "letters, digits, '.', '_' and '-'"},
            "enabled": {"type": "boolean"},
            "notes": {"type": "string"},
        }
    )
    brand = _object(
        {
            "name": _TEXT,
            "timezone": {"type": "string", "minLength": 1, "description": "IANA zone, e.g. Europe/Berlin"},
            "links": {
                "type": "object",
                "propertyNames": {"pattern": r"^[a-z][a-z0-9_]*$"},
                "additionalProperties": {"type": "string", "pattern": r"^https?://\S+$",
                                         "x-hint": "a full link starting with https://"},
            },
            "domains": {"type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9.-]+$"}},
            "events": {
                "type": "object",
                "propertyNames": {"pattern": r"^[a-z][a-z0-9_]*$"},
                "additionalProperties": {"type": "string", "pattern": r"^(\d{4}-)?\d{2}-\d{2}$",
                                         "x-hint": "YYYY-MM-DD for one day, or MM-DD for every year"},
                "description": "dates posts can count down to: {days_until.NAME}, {countdown.NAME}",
            },
            "voice": voice_schema(),
            "hours": _object({day: {"type": "string", "pattern": HOURS_PATTERN, "x-hint": HOURS_HINT}
                              for day in WEEKDAY_KEYS},
                             description="regular opening hours by weekday, e.g. mon: 10:00-19:00, sun: closed "
                                         "(a weekday not listed is not checked); herald lint flags posts that "
                                         "contradict them"),
            "closed": {"type": "array", "uniqueItems": True,
                       "items": {"type": "string", "pattern": CLOSED_PATTERN, "x-hint": CLOSED_HINT},
                       "description": "days the shop is closed: 2026-12-24, 12-25 (every year), "
                                      "2026-12-24/2026-12-26 (a range)"},
            "language": {"type": "string", "pattern": r"^[a-z]{2}(-[A-Z]{2})?$"},
            "utm": _object({"source": _TEXT, "medium": _TEXT}),
            "logo": {"type": "string", "pattern": r"^[^/\\:][^\\:]*\.(png|svg|webp|jpg|jpeg|gif)$",
                     "x-hint": "an image file next to the calendar, e.g. logo.svg (served by Herald itself)"},
            "color": {"type": "string", "pattern": r"^#[0-9a-fA-F]{6}$", "x-hint": "a colour like #0b5fff",
                      "description": "the status site's accent colour"},
            "status_templates": {
                "type": "object",
                "propertyNames": {"pattern": r"^((investigating|identified|monitoring|resolved|follow_up)"
                                             r"(\.(none|minor|major|critical))?"
                                             r"|maintenance\.(reminder|start|end|changed|cancelled|scheduled|in_progress|verifying"
                                             r"|delayed|completed))$"},
                "additionalProperties": _TEMPLATE,
                "description": "wording of incident announcements per state (or state.impact); fields: "
                               "{title} {affected} {message} {next_update} {status_page} {impact} {brand.name}",
            },
        },
        ("name", "timezone"),
    )
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://herald.example/schema/content_calendar.schema.json",
        "title": "Herald content calendar",
        "description": "Posts that Herald publishes, when, and where. See docs/reference/calendar.md.",
        **_object(
            {
                "version": {"const": 1},
                "brand": brand,
                "networks": {
                    "type": "object",
                    "propertyNames": {"pattern": NAME_PATTERN},
                    "additionalProperties": _network_account(),
                    "minProperties": 1,
                },
                "campaigns": {"type": "object", "propertyNames": {"pattern": ID_PATTERN},
                              "additionalProperties": campaign},
                "posts": {"type": "array", "items": post},
                "engine": _object({
                    "catch_up": _object({k: _DURATION for k in (*_ALL_KINDS, "default")},
                                        description="how late a post may still go out after downtime, per kind"),
                    "on_resume": {"enum": ["release", "skip"],
                                  "description": "held posts on resume: release those still within catch_up, "
                                                 "or skip all"},
                    "max_attempts": {"type": "integer", "minimum": 1, "maximum": 100},
                    "hold_during_incidents": {"type": "array", "items": {"enum": list(KINDS)}, "uniqueItems": True,
                                              "description": "kinds held while a major or critical incident "
                                                             "is open (default: tip, announcement)"},
                    "serve": {"type": "string", "pattern": r"^[^\s:]+:[0-9]{1,5}$",
                              "x-hint": "HOST:PORT, e.g. 127.0.0.1:8080",
                              "description": "herald run also serves the status site at this address"},
                    "subscribers": subscribers_schema(),
                }),
            },
            ("brand", "networks"),
        ),
    }
