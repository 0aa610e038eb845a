"""Structural validation with jsonschema, reported at the line and column of the culprit.

jsonschema finds every structural problem (types, unknown keys, enums, patterns,
required keys); this module rewrites its findings in planner language with the
position from the located data and a "did you mean" where a near name exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import cached_property
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
    generated Python took 75 ms at every start) answers "is it valid?" quickly; only when it is
    not does jsonschema (imported then: it is slow to import) walk the document again to
    find and explain every problem."""

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self.fast = jsonschema_rs.Draft7Validator(_without_hints(schema))

    @cached_property
    def validator(self) -> Any:
        from jsonschema import Draft7Validator

        Draft7Validator.check_schema(self.schema)
        return Draft7Validator(self.schema)

    def problems(self, data: Any, path: str) -> tuple[list[Problem], set[tuple[Any, ...]]]:
        """Every structural problem, and the set of data paths that had one."""
        if self.fast.is_valid(data):
            return [], set()
        problems: list[Problem] = []
        bad: set[tuple[Any, ...]] = set()
        for error in self.validator.iter_errors(data):
            for where, message, hint, on_key in self._explain(error):
                loc = _locate(data, where, key=on_key)
                problems.append(Problem(path, loc.line, loc.col, message, hint))
                bad.add(tuple(where))
        return problems, bad

    def _explain(self, error: Any) -> list[tuple[list[Any], str, str, bool]]:
        where = list(error.absolute_path)
        name = str(where[-1]) if where and isinstance(where[-1], str) else None
        label = f"{name!r}" if name else "this value"
        kind, schema, instance = error.validator, error.schema, error.instance
        if kind == "additionalProperties":
            allowed = list(schema.get("properties", {}))
            out = []
            for extra in instance:
                if extra in schema.get("properties", {}):
                    continue
                hint = did_you_mean(extra, allowed) or (
                    "allowed: " + ", ".join(allowed) if allowed else "")
                out.append((where + [extra], f"unknown key {extra!r}", hint, True))
            return out
        if kind == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            return [(where, f"missing required key {missing!r}", "", False)]
        if kind == "type":
            wanted = schema.get("type")
            wanted_names = " or ".join(_TYPE_NAMES.get(t, t) for t in ([wanted] if isinstance(wanted, str) else wanted))
            return [(where, f"{label} must be {wanted_names}, not {describe(instance)}", "", False)]
        if kind == "enum":
            options = [str(o) for o in schema["enum"]]
            hint = did_you_mean(str(instance), options) or "one of: " + ", ".join(options)
            hint += f"; {schema['x-hint']}" if "x-hint" in schema else ""
            return [(where, f"{label} cannot be {instance!r}", hint, False)]
        if kind == "const":
            return [(where, f"{label} must be {schema['const']!r}", "", False)]
        if kind == "pattern":
            return [(where, f"{label}: {instance!r} is not in the expected form", schema.get("x-hint", ""), False)]
        if kind == "propertyNames":
            bad_name = instance if isinstance(instance, str) else error.message
            return [(where + [bad_name], f"{bad_name!r} is not a valid name here",
                     "use lower-case letters, digits, '-' and '_'", True)]
        if kind in ("minItems", "minProperties"):
            return [(where, f"{label} must not be empty", "", False)]
        if kind == "minLength":
            return [(where, f"{label} must not be empty", "", False)]
        if kind == "uniqueItems":
            return [(where, f"{label} lists the same item twice", "", False)]
        if kind in ("exclusiveMinimum", "minimum", "maximum"):
            return [(where, f"{label}: {error.message}", "", False)]
        return [(where, f"{label}: {error.message}", "", False)]


def _without_hints(schema: Any) -> Any:
    """The schema minus Herald's own ``x-hint`` keyword, which a strict validator could reject."""
    if isinstance(schema, dict):
        return {k: _without_hints(v) for k, v in schema.items() if k != "x-hint"}
    if isinstance(schema, list):
        return [_without_hints(v) for v in schema]
    return schema
