"""Editing ``status.yaml`` for the on-call commands, preserving the file as people wrote it.

ruamel.yaml's round trip keeps comments, key order, quoting and flow style; the file's
own indentation is detected and reused.  The new text is validated like any saved file
*before* it is written, and written atomically (a crash leaves the old file or the new
one, never a torn one), so a running engine only ever sees a whole, valid file.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from campaigns.errors import CalendarError, UsageError
from campaigns.model import Calendar
from campaigns.schemacheck import did_you_mean
from scheduler.files import write_atomic

from .load import check
from .model import Status

HEADER = """\
# Herald status file: components, incidents and their updates.
# Edit by hand or with `herald incident declare|update|resolve`; Herald announces every
# change on the incident's networks within a second of the save. See README.md.
"""


_KEY_LINE = re.compile(r"^( *)[^\s#-][^:#]*:(\s|$)")
_DASH_LINE = re.compile(r"^( *)- ")


def indentation(text: str) -> tuple[int, int]:
    """(mapping indent, dash offset) as the file uses them: the first nested key's indent,
    and how far the first block-sequence dash stands in from its parent key."""
    mapping, offset = 0, -1
    parent = 0
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, dash = _KEY_LINE.match(line), _DASH_LINE.match(line)
        if dash and offset < 0:
            offset = len(dash.group(1)) - parent
        elif key:
            indent = len(key.group(1))
            if indent > parent and not mapping and not dash:
                mapping = indent - parent
            parent = indent
        if mapping and offset >= 0:
            break
    return mapping or 2, max(offset, 0) if offset >= 0 else 2


def _yaml(text: str) -> tuple[YAML, Any]:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, offset = indentation(text)
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml, (yaml.load(text) if text.strip() else None)


def edit(path: str, calendar: Calendar, change: Callable[[CommentedMap], None]) -> Status:
    """Apply ``change`` to the file's data, validate the result, write it atomically."""
    text = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        status, problems = check(path, calendar)
        if status is None:
            raise CalendarError([p for p in problems if p.severity == "error"])
    yaml, data = _yaml(text)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise UsageError(f"{path}: the status file must be a mapping; fix it by hand first")
    change(data)
    out = io.StringIO()
    if not text.strip():
        out.write(HEADER)
    yaml.dump(data, out)
    new_text = out.getvalue()
    status, problems = check(path, calendar, text=new_text)
    if status is None:
        raise CalendarError([p for p in problems if p.severity == "error"])
    write_atomic(path, new_text)
    return status


def stamp(now: datetime, calendar: Calendar, after: datetime | None = None) -> str:
    """``now`` as written in the file; a second past ``after`` if now is not later (two
    updates in the same second must still be in order)."""
    now = now.replace(microsecond=0)
    if after is not None and now <= after:
        now = after.replace(microsecond=0) + timedelta(seconds=1)
    return now.astimezone(calendar.brand.tz).isoformat(timespec="seconds")


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "incident"


def find_incident(data: CommentedMap, incident_id: str) -> CommentedMap:
    incidents = data.get("incidents") or []
    for incident in incidents:
        if isinstance(incident, dict) and incident.get("id") == incident_id:
            return incident
    ids = [i.get("id") for i in incidents if isinstance(i, dict)]
    hint = did_you_mean(incident_id, [i for i in ids if isinstance(i, str)])
    raise UsageError(f"no incident {incident_id!r} in the status file" + (f"; {hint}" if hint else
                     f" (incidents: {', '.join(map(str, ids))})" if ids else ""))


def add_update(incident: CommentedMap, at: str, state: str, message: str, next_update: str | None) -> None:
    updates = incident.get("updates")
    last = updates[-1] if updates else None
    if last is not None and last.get("state") == "resolved":
        raise UsageError(f"incident {incident.get('id')!r} was resolved at {last.get('at')}; if the problem is back, "
                         "declare a new incident")
    update = CommentedMap()
    update["at"] = at
    update["state"] = state
    update["message"] = message
    if next_update:
        update["next_update"] = next_update
    if updates is None:
        incident["updates"] = CommentedSeq([update])
    else:
        updates.append(update)


def declare(data: CommentedMap, *, incident_id: str, title: str, impact: str, components: list[str],
            networks: list[str], at: str, message: str, next_update: str | None) -> None:
    incidents = data.get("incidents")
    if incidents is None:
        incidents = data["incidents"] = CommentedSeq()
    if any(isinstance(i, dict) and i.get("id") == incident_id for i in incidents):
        raise UsageError(f"an incident {incident_id!r} already exists; give another --id")
    incident = CommentedMap()
    incident["id"] = incident_id
    incident["title"] = title
    incident["impact"] = impact
    if components:
        incident["components"] = CommentedSeq(components)
        incident["components"].fa.set_flow_style()
    if networks:
        incident["networks"] = CommentedSeq(networks)
        incident["networks"].fa.set_flow_style()
    add_update(incident, at, "investigating", message, next_update)
    incidents.append(incident)


def add_maintenance(data: CommentedMap, *, maintenance_id: str, title: str, starts: str, ends: str,
                    components: list[str], networks: list[str], message: str, remind: list[str]) -> None:
    windows = data.get("maintenance")
    if windows is None:
        windows = data["maintenance"] = CommentedSeq()
    if any(isinstance(m, dict) and m.get("id") == maintenance_id for m in windows):
        raise UsageError(f"a maintenance window {maintenance_id!r} already exists; give another --id")
    window = CommentedMap()
    window["id"] = maintenance_id
    window["title"] = title
    window["starts"] = starts
    window["ends"] = ends
    for key, values in (("components", components), ("networks", networks), ("remind", remind)):
        if values:
            window[key] = CommentedSeq(values)
            window[key].fa.set_flow_style()
    if message:
        window["message"] = message
    windows.append(window)


def cancel_maintenance(data: CommentedMap, maintenance_id: str) -> None:
    windows = data.get("maintenance") or []
    for window in windows:
        if isinstance(window, dict) and window.get("id") == maintenance_id:
            if window.get("cancelled") is True:
                raise UsageError(f"maintenance {maintenance_id!r} is already cancelled")
            window["cancelled"] = True
            return
    ids = [w.get("id") for w in windows if isinstance(w, dict)]
    hint = did_you_mean(maintenance_id, [i for i in ids if isinstance(i, str)])
    raise UsageError(f"no maintenance window {maintenance_id!r} in the status file" + (f"; {hint}" if hint else ""))
