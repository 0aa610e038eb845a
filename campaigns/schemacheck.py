"""Structural validation with jsonschema-rs, reported at the line and column of the culprit.

jsonschema-rs finds every structural problem (types, unknown keys, enums, patterns,
required keys); this module rewrites its findings in planner language with the
position from the located data and a "did you mean" where a near name exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from .errors import Problem
from .yamlsource import Loc, LocDict, LocList

_TYPE_NAMES = {
    "string": "text",
    "array": "a list",
    "object": "a mapping of keys to values",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty"


def _locate(root: Any, path: list[Any], *, key: bool = False) -> Loc:
    """Position of the value at ``path`` (or of its key, with key=True)."""
    node, parent, last = root, None, None  # type: Any, Any, Any
    for part in path:
        parent, last = node, part
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(parent, LocDict):
        return parent.key_loc(last) if key else parent.value_loc(last)
    if isinstance(parent, LocList):
        return parent.item_loc(last)
    return getattr(root, "loc", Loc(1, 1))


class SchemaChecker:
    """jsonschema-rs (compiled in Rust: 2 ms for the calendar's schema, where fastjsonschema's
    generated Python took 75 ms at every start) answers "is it valid?"; only when it is not
    does it walk the document again, and each error it finds is explained here."""

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self.validator = jsonschema_rs.Draft7Validator(_without_hints(schema))

    def problems(self, data: Any, path: str) -> tuple[list[Problem], set[tuple[Any, ...]]]:
        """Every structural problem, and the set of data paths that had one."""
        if self.validator.is_valid(data):
            return [], set()
        problems: list[Problem] = []
        bad: set[tuple[Any, ...]] = set()
        for error in self.validator.iter_errors(data):
            for where, message, hint, on_key in self._explain(_found(error, self.schema)):
                loc = _locate(data, where, key=on_key)
                problems.append(Problem(path, loc.line, loc.col, message, hint))
                bad.add(tuple(where))
        return problems, bad

    def _explain(self, error: Found) -> list[Explained]:
        where = list(error.absolute_path)
        name = str(where[-1]) if where and isinstance(where[-1], str) else None
        label = f"{name!r}" if name else "this value"
        explain = _EXPLAIN.get(error.validator)
        if explain is None:
            return [(where, f"{label}: {error.message}", "", False)]
        return explain(error, where, label)


@dataclass(frozen=True, slots=True)
class Found:
    """One error of the validator, as the explanations read it: the keyword that failed, the
    (sub)schema holding it (with Herald's ``x-hint``), the value, its message and its place."""

    validator: str
    schema: dict[str, Any]
    instance: Any
    message: str
    absolute_path: list[Any]


def _found(error: Any, schema: dict[str, Any]) -> Found:
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.PropertyNames):
        error, kind = kind.error, kind.error.kind  # the error is about the key's name itself
    *parent, keyword = error.schema_path
    node: Any = schema
    for part in parent:
        node = node[part]
    message = error.message
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        message = f"{kind.property!r} is a required property"
    return Found(str(keyword), node, error.instance, message, list(error.instance_path))


# Each schema error in words: (where, message, hint, whether the place is the key rather than the value).
Explained = tuple[list[Any], str, str, bool]


def _unknown_keys(error: Found, where: list[Any], label: str) -> list[Explained]:
    known = error.schema.get("properties", {})
    allowed = list(known)
    return [(where + [extra], f"unknown key {extra!r}",
             did_you_mean(extra, allowed) or ("allowed: " + ", ".join(allowed) if allowed else ""), True)
            for extra in error.instance if extra not in known]


def _missing(error: Found, where: list[Any], label: str) -> list[Explained]:
    missing = error.message.split("'")[1] if "'" in error.message else error.message
    return [(where, f"missing required key {missing!r}", "", False)]


def _wrong_type(error: Found, where: list[Any], label: str) -> list[Explained]:
    wanted: str | list[str] = error.schema["type"]
    names = " or ".join(_TYPE_NAMES.get(t, t) for t in ([wanted] if isinstance(wanted, str) else wanted))
    return [(where, f"{label} must be {names}, not {describe(error.instance)}", "", False)]


def _not_listed(error: Found, where: list[Any], label: str) -> list[Explained]:
    options = [str(o) for o in error.schema["enum"]]
    hint = did_you_mean(str(error.instance), options) or "one of: " + ", ".join(options)
    hint += f"; {error.schema['x-hint']}" if "x-hint" in error.schema else ""
    return [(where, f"{label} cannot be {error.instance!r}", hint, False)]


def _bad_name(error: Found, where: list[Any], label: str) -> list[Explained]:
    bad = error.instance if isinstance(error.instance, str) else error.message
    return [(where + [bad], f"{bad!r} is not a valid name here", "use lower-case letters, digits, '-' and '_'", True)]


def _said(words: str) -> Callable[[Found, list[Any], str], list[Explained]]:
    """An explanation that is one fixed sentence about the value: "{label} must not be empty"."""
    def explain(error: Found, where: list[Any], label: str) -> list[Explained]:
        return [(where, words.format(label=label), "", False)]
    return explain


_EXPLAIN: dict[str, Callable[[Found, list[Any], str], list[Explained]]] = {
    "additionalProperties": _unknown_keys,
    "required": _missing,
    "type": _wrong_type,
    "enum": _not_listed,
    "const": lambda error, where, label: [(where, f"{label} must be {error.schema['const']!r}", "", False)],
    "pattern": lambda error, where, label: [(where, f"{label}: {error.instance!r} is not in the expected form",
                                             error.schema.get("x-hint", ""), False)],
    "propertyNames": _bad_name,
    "minItems": _said("{label} must not be empty"),
    "minProperties": _said("{label} must not be empty"),
    "minLength": _said("{label} must not be empty"),
    "uniqueItems": _said("{label} lists the same item twice"),
}


def _without_hints(schema: Any) -> Any:
    """The schema minus Herald's own ``x-hint`` keyword, which a strict validator could reject."""
    if isinstance(schema, dict):
        return {k: _without_hints(v) for k, v in schema.items() if k != "x-hint"}
    if isinstance(schema, list):
        return [_without_hints(v) for v in schema]
    return schema
