"""How an on-call command changes ``status.yaml``: pure transforms of its text and data.

ruamel.yaml's round trip keeps comments, key order, quoting and flow style; the file's
own indentation is detected and reused.  :func:`apply` turns a file's text and a change
into the new text; reading, locking, validating and writing the file is
:mod:`scheduler.statusfile`'s job (this module does no I/O).

A change is a function of the file's data *and* of the status that data means
(``change(data, status)``), so it can compute what it writes, such as an update's time,
from the freshly read file.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from campaigns.errors import UsageError
from campaigns.schemacheck import did_you_mean
from campaigns.timeparse import local_time_kind, zone

from .model import Incident, Status, UpdateState

Change = Callable[[CommentedMap, Status], None]

HEADER = """\
# Herald status file: components, incidents and their updates.
# Edit by hand or with `herald incident declare|update|resolve`; Herald announces every
# change on the incident's networks within a second of the save. See docs/reference/status.md.
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


def apply(text: str, status: Status, change: Change, path: str = "status.yaml") -> str:
    """The file's new text: ``change`` applied to the data of ``text`` (which means ``status``),
    comments and layout kept; a new or empty file gets :data:`HEADER`.  The file's byte order
    mark and line breaks (CRLF when its first line ends so) are kept: the change is written
    through with LF breaks, which the round trip would otherwise mix with the comments' CRLF."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    crlf = text.find("\n") > 0 and text[text.find("\n") - 1] == "\r"
    new = _apply(text[len(bom):].replace("\r\n", "\n"), status, change, path)
    return bom + (new.replace("\n", "\r\n") if crlf else new)


def _apply(text: str, status: Status, change: Change, path: str) -> str:
    yaml, data = _yaml(text)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise UsageError(f"{path}: the status file must be a mapping; fix it by hand first")
    change(data, status)
    out = io.StringIO()
    if not text.strip():
        out.write(HEADER)
    yaml.dump(data, out)
    return out.getvalue()


class WrittenTime(str):
    """A time as written into the file, with what its end-of-line comment says (or "")."""

    note: str = ""


def written_time(at: datetime, tz: ZoneInfo, timespec: str = "seconds") -> WrittenTime:
    """``at`` as the CLI writes it into ``status.yaml``: the wall-clock time in the file's zone
    (its ``timezone:``, else the brand's), which the loader reads back in that zone, never as a
    bare offset that calendar apps cannot name.  A time DST makes ambiguous (it happens twice) is
    written in UTC (``Z``), the one named form that says which of the two is meant, with its
    wall-clock time in a comment (see :func:`set_time`)."""
    local = at.astimezone(tz)
    naive = local.replace(tzinfo=None)
    if local_time_kind(naive, tz) == "ok":
        return WrittenTime(naive.isoformat(timespec=timespec))
    written = WrittenTime(at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=timespec) + "Z")
    written.note = f"{local:%H:%M %Z}" + repeated_hour(local)
    return written


def repeated_hour(local: datetime) -> str:
    """`` (the second 02:30 that night)`` for a time its zone has twice (a DST change), else ""."""
    naive, tz = local.replace(tzinfo=None), local.tzinfo
    if not isinstance(tz, ZoneInfo) or local_time_kind(naive, tz) != "fold":
        return ""
    which = "first" if local.utcoffset() == naive.replace(tzinfo=tz, fold=0).utcoffset() else "second"
    return f" (the {which} {local:%H:%M} that night)"


def set_time(node: CommentedMap, key: str, value: str) -> None:
    """``node[key] = value``, with the comment a :class:`WrittenTime` carries at the line's end."""
    node[key] = str(value)
    note = getattr(value, "note", "")
    if note:
        node.yaml_add_eol_comment(f"# {note}", key, column=0)


def stamp(now: datetime, status: Status, after: datetime | None = None) -> str:
    """``now`` as written in the file; a second past ``after`` if now is not later (two
    updates in the same second must still be in order)."""
    now = now.replace(microsecond=0)
    if after is not None and now <= after:
        now = after.replace(microsecond=0) + timedelta(seconds=1)
    return written_time(now, zone(status.timezone))


def next_stamp(now: datetime, status: Status, incident: Incident | None) -> str:
    """The time of a new update on ``incident``: now, or a second past its last update."""
    return stamp(now, status, incident.updates[-1].at if incident is not None else None)


# letters Unicode does not decompose into a base letter and marks, spelled as their languages do
_SPELLED = str.maketrans({"ł": "l", "ø": "o", "œ": "oe", "æ": "ae", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
                          "ħ": "h", "ŋ": "ng"})


def slug(title: str, fallback: str = "incident") -> str:
    """An id from a title: ASCII letters and digits (accents dropped, "ä" is "a", "ß" is "ss")
    joined by single hyphens, at most 40 characters, never ending in one (an id is the slug, "-"
    and a time); ``fallback`` (what it names) for a title with no such letter."""
    import unicodedata

    spelled = title.casefold().translate(_SPELLED)
    ascii_title = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")[:40].strip("-") or fallback


def find_incident(data: CommentedMap, incident_id: str) -> CommentedMap:
    incidents = data.get("incidents") or []
    for incident in incidents:
        if isinstance(incident, CommentedMap) and incident.get("id") == incident_id:
            return incident
    ids = [i.get("id") for i in incidents if isinstance(i, dict)]
    hint = did_you_mean(incident_id, [i for i in ids if isinstance(i, str)])
    raise UsageError(f"no incident {incident_id!r} in the status file" + (f"; {hint}" if hint else
                     f" (incidents: {', '.join(map(str, ids))})" if ids else ""))


def add_update(incident: CommentedMap, at: str, state: str, message: str, next_update: str | None,
               states: dict[str, str] | None = None) -> None:
    """A new update on ``incident``: ``states`` are the components' states it sets ({} or None: none)."""
    updates = incident.get("updates")
    last = updates[-1] if updates else None
    if last is not None and last.get("state") == UpdateState.RESOLVED:
        raise UsageError(f"incident {incident.get('id')!r} was resolved at {last.get('at')}; if the problem is back, "
                         "declare a new incident")
    update = CommentedMap()
    set_time(update, "at", at)
    update["state"] = str(state)
    update["message"] = message
    if next_update:
        update["next_update"] = next_update
    if states:
        update["components"] = flow({str(component): str(value) for component, value in states.items()})
    if updates is None:
        incident["updates"] = CommentedSeq([update])
    else:
        append(updates, update)


def append(seq: CommentedSeq, item: Any) -> None:
    """Append ``item`` to a block sequence, keeping comments with what they describe.

    ruamel.yaml attaches a comment block that introduces the *next* section (``# Planned
    maintenance: …`` above ``maintenance:``) to the deepest last value of the sequence before it.
    A plain append would leave that block between the old last item and the new one, describing
    the wrong section; so the part of it after the old item's own lines moves to the new item.
    The old item keeps an inline comment on its last line and the comment lines right below it
    that are indented as its keys are (``    # the vendor may run this one long``)."""
    old = _deepest_last(seq) if seq else None
    last = seq[-1] if seq else None
    own_column = last.lc.col if isinstance(last, CommentedMap) and last.lc.col is not None else None
    seq.append(item)
    if old is None:
        return
    node, key, at = old
    slot = node.ca.items.get(key)
    token = slot[at] if slot and len(slot) > at else None
    if token is None or "#" not in token.value:
        return
    head, move = _split_comment(token.value, own_column)
    if "#" not in move:
        return
    new = _deepest_last(seq)
    if new is None:
        return
    moved = copy.copy(token)
    moved.value = move
    if "#" in head:
        token.value = head
    else:
        slot[at] = None
    target, target_key, target_at = new
    target.ca.items[target_key] = [moved if n == target_at else None for n in range(4)]


def _split_comment(value: str, own_column: int | None) -> tuple[str, str]:
    """A comment block after a sequence's last item, split into what stays with that item (its
    line's inline comment and the comment lines below it indented as its keys are) and what
    moves to the item appended after it."""
    cut = value.index("\n") + 1 if "\n" in value else len(value)  # the old line's end, its inline comment
    lines = value[cut:].split("\n")
    own = 0
    while own < len(lines) and own_column is not None and lines[own].lstrip().startswith("#") \
            and len(lines[own]) - len(lines[own].lstrip()) >= own_column:
        own += 1
    return value[:cut] + "".join(line + "\n" for line in lines[:own]), "\n" + "\n".join(lines[own:])


def _deepest_last(node: Any) -> tuple[CommentedMap | CommentedSeq, Any, int] | None:
    """Where ruamel.yaml keeps the comments that follow a block collection: the container of the
    last scalar-or-flow value at the end of ``node``, that value's key (or index), and the slot
    of its comment entry (2 in a mapping, 0 in a sequence)."""
    found: tuple[CommentedMap | CommentedSeq, Any, int] | None = None
    while isinstance(node, (CommentedMap, CommentedSeq)) and node and not node.fa.flow_style():
        if isinstance(node, CommentedMap):
            key = list(node.keys())[-1]
            found = (node, key, 2)
            node = node[key]
        else:
            found = (node, len(node) - 1, 0)
            node = node[-1]
    return found


def flow(values: dict[str, str]) -> CommentedMap:
    """A mapping written on one line: ``{checkout: operational}``."""
    out = CommentedMap(values)
    out.fa.set_flow_style()
    return out


def declare(data: CommentedMap, *, incident_id: str, title: str, impact: str, components: list[str],
            networks: list[str], at: str, message: str, next_update: str | None,
            states: dict[str, str] | None = None) -> None:
    incidents = data.get("incidents")
    if incidents is None:
        incidents = data["incidents"] = CommentedSeq()
    if any(isinstance(i, dict) and i.get("id") == incident_id for i in incidents):
        raise UsageError(f"an incident {incident_id!r} already exists; give another --id")
    incident = CommentedMap()
    incident["id"] = incident_id
    incident["title"] = title
    incident["impact"] = str(impact)
    if components:
        incident["components"] = CommentedSeq(components)
        incident["components"].fa.set_flow_style()
    if networks:
        incident["networks"] = CommentedSeq(networks)
        incident["networks"].fa.set_flow_style()
    add_update(incident, at, UpdateState.INVESTIGATING, message, next_update, states)
    append(incidents, incident)


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
    set_time(window, "starts", starts)
    set_time(window, "ends", ends)
    for key, values in (("components", components), ("networks", networks), ("remind", remind)):
        if values:
            window[key] = CommentedSeq(values)
            window[key].fa.set_flow_style()
    if message:
        window["message"] = message
    append(windows, window)


def find_maintenance(data: CommentedMap, maintenance_id: str) -> CommentedMap:
    windows = data.get("maintenance") or []
    for window in windows:
        if isinstance(window, CommentedMap) and window.get("id") == maintenance_id:
            return window
    ids = [w.get("id") for w in windows if isinstance(w, dict)]
    hint = did_you_mean(maintenance_id, [i for i in ids if isinstance(i, str)])
    raise UsageError(f"no maintenance window {maintenance_id!r} in the status file" + (f"; {hint}" if hint else ""))


def cancel_maintenance(data: CommentedMap, maintenance_id: str) -> None:
    window = find_maintenance(data, maintenance_id)
    if window.get("cancelled") is True:
        raise UsageError(f"maintenance {maintenance_id!r} is already cancelled")
    window["cancelled"] = True


def add_window_update(window: CommentedMap, at: str, state: str, message: str, ends: str | None = None) -> None:
    """A new update on a maintenance window (``ends``: a delay's new end)."""
    update = CommentedMap()
    set_time(update, "at", at)
    update["state"] = str(state)
    update["message"] = message
    if ends is not None:
        set_time(update, "ends", ends)
    updates = window.get("updates")
    if updates is None:
        window["updates"] = CommentedSeq([update])
    else:
        append(updates, update)


# -- text from outside: the one writer -----------------------------------------------------------

# Every character that ends a YAML line (\n \r \x85 \u2028 \u2029, and \x0b \x0c \x1c-\x1e, which
# Python's str.splitlines() takes for line breaks too), every other C0/C1 control, DEL, the BOM,
# non-characters and lone surrogates (a JSON "\ud800" is not UTF-8): none is ever written as is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
MAX_OUTSIDE = 300  # characters of an outside text kept (an alert name is a line, not a book)


def unsafe(text: str, allowed: str = "") -> list[str]:
    """The characters of ``text`` that :func:`outside` never writes as they are (it folds them to
    escapes), each once, in order; those in ``allowed`` excepted.  The command line refuses the
    same characters in a text it writes (``-m``, ``--title``): one rule for both ways in."""
    return [char for char in dict.fromkeys(_UNSAFE.findall(text)) if char not in allowed]


def visible(text: str, limit: int = MAX_OUTSIDE) -> str:
    """``text`` on one line with nothing invisible: a tab becomes a space, every line break and
    control character its visible escape (``\\u2028``), and at most ``limit`` characters are kept
    (then "…")."""
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return " " if char == "\t" else f"\\u{ord(char):04x}"

    folded = _UNSAFE.sub(escape, text)
    return folded if len(folded) <= limit else folded[:limit - 1] + "…"


def outside(text: str, *, comment: bool = False, limit: int = MAX_OUTSIDE) -> str:
    """The one way a text from outside Herald (an alert's name, labels, a monitor's or a provider's
    words) goes into ``status.yaml``: as a comment's text (``comment=True``), or as a value, a
    double-quoted scalar.  Either way it is one line with every line break and control character
    folded to a visible escape (:func:`visible`), so it can never end a comment or a scalar and
    become YAML of its own."""
    folded = visible(text, limit)
    return folded if comment else DoubleQuotedScalarString(folded)


def plain(data: Any) -> Any:
    """YAML data as plain Python (dicts, lists, str, int, float, bool, datetime, None), to compare
    what a change meant to write with what the written text reads back as.

    Round-trip data is unwrapped to what the safe loader makes of the same text: an explicitly
    tagged scalar (``!!str 2024``, a :class:`~ruamel.yaml.comments.TaggedScalar`) becomes the
    value its tag constructs, ruamel's scalar types (:class:`ScalarBoolean`, an int subclass;
    :class:`ScalarFloat`, the ``ScalarString`` kinds) their plain type; a merge key's mapping is
    read with the merged keys and an alias as a copy of its anchor's value, as both loaders do."""
    if isinstance(data, TaggedScalar):
        return plain(_tagged(data))
    if isinstance(data, dict):
        return {plain(k): plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain(v) for v in data]
    if isinstance(data, ScalarBoolean):
        return bool(data)
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, str):
        return str(data)
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return repr(float(data))  # NaN is not equal to itself; its repr is
    if isinstance(data, datetime):
        return datetime.isoformat(data)  # a round-trip TimeStamp and a plain datetime alike
    return data


def _tagged(node: TaggedScalar) -> Any:
    """The value the safe loader constructs for a scalar with an explicit tag."""
    tag = str(getattr(node.tag, "value", node.tag) or "")
    value = "" if node.value is None else str(node.value)
    if tag == "tag:yaml.org,2002:str":
        return value
    try:
        return YAML(typ="safe").load(f"!<{tag}> {json.dumps(value)}")
    except Exception:  # a tag the safe loader does not know: its text (it then does not read back)
        return value


def render(text: str, status: Status, change: Change, path: str = "status.yaml") -> tuple[str, Any]:
    """:func:`apply`, and the data the change meant the new text to hold (as :func:`plain`)."""
    intended: list[Any] = []

    def keep(data: CommentedMap, fresh: Status) -> None:
        change(data, fresh)
        intended.append(plain(data))

    return apply(text, status, keep, path), intended[0]


def reads_back(new_text: str, intended: Any) -> bool:
    """Whether ``new_text`` parses to exactly ``intended`` (see :func:`render`): nothing a change
    wrote became YAML structure of its own (an injected key, a second document)."""
    try:
        data = YAML(typ="safe").load(new_text)  # the C parser when there is one: a second, independent reading
    except Exception:  # any parser error: it does not read back
        return False
    return bool(plain(data if data is not None else {}) == intended)
