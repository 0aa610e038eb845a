"""The vocabulary's StrEnums and the JSON schemas say the same words: each enum's values are
exactly the strings its field's schema allows, so the two cannot drift apart."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from campaigns.errors import Severity
from campaigns.model import POST_KINDS, OnResume
from campaigns.networks import BUILTIN_NETWORKS, NETWORK_TYPES, BuiltinType
from campaigns.schema import calendar_schema
from status.model import AlertAction, AlertSource, ComponentState, Impact, MaintenanceState, UpdateState
from status.schema import status_schema


def at(schema: dict[str, Any], *path: str) -> list[str]:
    """The ``enum`` of the schema node at ``path`` (object keys; ``*`` for additionalProperties)."""
    node = schema
    for key in path:
        node = node["additionalProperties"] if key == "*" else node["properties"][key]
    return list(node["enum"])


CALENDAR, STATUS = calendar_schema(), status_schema()
ENUMS = [
    (OnResume, at(CALENDAR, "engine", "on_resume")),
    (ComponentState, at(STATUS, "components", "*", "status")),
    (AlertAction, at(STATUS["properties"]["alerts"]["items"], "severity", "*", "action")),
    (Impact, at(STATUS["properties"]["incidents"]["items"], "impact")),
    (UpdateState, at(STATUS["properties"]["incidents"]["items"]["properties"]["updates"]["items"], "state")),
    (MaintenanceState, at(STATUS["properties"]["maintenance"]["items"]["properties"]["updates"]["items"], "state")),
] + [(Severity, at(CALENDAR["properties"]["brand"]["properties"]["voice"]["properties"]["rules"], rule))
     for rule in CALENDAR["properties"]["brand"]["properties"]["voice"]["properties"]["rules"]["properties"]]


@pytest.mark.parametrize("enum, allowed", ENUMS, ids=lambda v: v.__name__ if isinstance(v, type) else "")
def test_each_enum_has_exactly_the_words_its_schema_allows(enum: type[StrEnum], allowed: list[str]):
    assert sorted(member.value for member in enum) == sorted(allowed)
    assert len(set(allowed)) == len(allowed)


def test_the_post_kinds_are_the_schemas():
    assert [k.value for k in POST_KINDS] == at(CALENDAR["properties"]["posts"]["items"], "kind")


def test_the_builtin_network_types_are_the_records_and_the_schema_lists_each():
    """Other packages add types (entry points): the schema lists those too, and nothing else."""
    assert [t.name for t in BUILTIN_NETWORKS] == [m.value for m in BuiltinType]
    assert all(type(t.name) is str for t in BUILTIN_NETWORKS)  # plain names: messages quote them as 'x'
    others = set(NETWORK_TYPES) - set(NETWORK_TYPES.builtins)
    assert set(at(CALENDAR["properties"]["networks"], "*", "type")) == {*BuiltinType, *others}


def test_each_alert_source_has_its_endpoint():
    from scheduler.web.intake import PARSERS

    assert set(PARSERS) == set(AlertSource)

