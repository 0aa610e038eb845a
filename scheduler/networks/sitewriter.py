"""The site channel's writer: only the files a change touches, off the caller's thread.

:class:`SiteWriter` turns a :class:`SiteState` (calendar, public status, the channel's items,
now) into files, comparing it with the state it last wrote:

- the first state (a fresh folder) or a changed brand, title, logo or feed
  settings: every file (a file whose bytes are unchanged is still left alone);
- changed items (a post): the home page and the channel's two feeds;
- a changed status: the pages of the incidents and maintenance windows whose data changed
  (an unchanged incident keeps its page, though a new rendering would differ in its "page as
  of" line), a maintenance window whose state moved on with the clock, the pages naming a
  renamed component, the home and history pages, ``status.ics`` and the API; the pages of
  removed incidents and windows are deleted.

A file is written only when its bytes differ from what was last written there: a hash of each
file is kept in memory (a file not yet known is read once, so a restart compares with the
folder).  What each page was made of (a fingerprint per incident and window, the brand's look:
:func:`marks`) is kept in ``.herald-pages.json`` in the folder, written after the pages, so a
restart writes only what changed while the engine was down (without it, or with a page
missing: every file).

:class:`Background` is the single writer thread of one site folder (:func:`acquire`: the
publisher a reload builds shares it with the one it replaces): :meth:`Background.submit` hands
it the newest state and returns at once (a state not yet started is replaced: the latest state
wins); :meth:`Background.wait` and :meth:`Background.flush` wait for a state to be written;
:meth:`Background.close` flushes and stops it (within a timeout, at a stop: the state not yet
started is dropped; the marks are written last, so the next start writes it).  The thread runs
only while there is work and is not a daemon thread, so a process that ends writes what it handed
over first (``herald run`` exits without it when a stop gave up on it).  A failed
write is logged and retried with the next state (the diff is against the last state written
in full).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import files
from ..files import write_atomic

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.model import Incident, Maintenance, Status

    from ..render.site import Renderer

log = logging.getLogger("herald.site")

HOME, HISTORY = "index.html", "history/index.html"
FEEDS = ("feed.atom", "feed.json")  # the channel's own feeds: its posts
MARKS = ".herald-pages.json"  # what the pages were made of: a restart writes only what changed since


@dataclass(frozen=True, eq=False)
class SiteState:
    """Everything the site's files are made of, at one moment."""

    calendar: Calendar  # its brand named as the site's title
    status: Status  # public: no drafts
    items: list[dict[str, Any]]  # the channel's posts, newest first (as in site.json)
    now: datetime
    logo: str | None = None  # the logo file, when the brand has one
    settings: tuple[Any, ...] = ()  # anything else every page or feed depends on (title, base_url, language)
    posts: list[dict[str, Any]] = field(default_factory=list)  # the items as the home page lists them
    feeds: Callable[[list[dict[str, Any]], datetime], Mapping[str, str | bytes]] | None = None  # the channel's


@dataclass
class Plan:
    """Which files a change touches."""

    full: bool = False
    posts: bool = False  # the home page and the feeds
    shared: bool = False  # home, history, status.ics and the API
    incidents: set[str] = field(default_factory=set)
    maintenance: set[str] = field(default_factory=set)
    removed: list[str] = field(default_factory=list)  # page paths to delete

    @property
    def empty(self) -> bool:
        return not (self.full or self.posts or self.shared or self.incidents or self.maintenance or self.removed)


def incident_page(incident_id: str) -> str:
    return f"incidents/{incident_id}/index.html"


def maintenance_page(maintenance_id: str) -> str:
    return f"maintenance/{maintenance_id}/index.html"


def _incidents(status: Status) -> dict[str, Incident]:
    by_id: dict[str, Incident] = {}
    for incident in status.incidents:  # the first of an id, as Status.incident finds it
        by_id.setdefault(incident.id, incident)
    return by_id


def _shown(item: Any) -> tuple[Any, ...]:
    """An incident's or a window's data, without where it was written in the file (an edit above it
    moves its lines, not its page)."""
    out = []
    for f in fields(item):
        if f.name in ("line", "col"):
            continue
        value = getattr(item, f.name)
        if f.name == "updates":
            value = tuple(_shown(u) for u in value)
        out.append(value)
    return tuple(out)


def _fingerprint(value: Any) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=12).hexdigest()


def _windows(status: Status) -> dict[str, Maintenance]:
    return {m.id: m for m in status.maintenance}  # the last of an id, as the renderer shows it


def _look(calendar: Calendar) -> list[str]:
    """The brand's fields the pages show (its links, voice guide or templates change no page)."""
    brand = calendar.brand
    return [brand.name, brand.timezone, brand.language, brand.logo, brand.color]


def status_marks(status: Status) -> dict[str, Any]:
    """What each page of ``status`` is made of, as JSON: a fingerprint per incident and window."""
    return {
        "components": {cid: [c.name, c.status, c.group] for cid, c in status.components.items()},
        "incidents": {iid: [_fingerprint(_shown(i)), list(i.affected)] for iid, i in _incidents(status).items()},
        "maintenance": {mid: [_fingerprint(_shown(m)), list(m.components)] for mid, m in _windows(status).items()},
    }


def marks(state: SiteState, of_status: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the files of ``state`` are made of (``of_status``: its :func:`status_marks`, if known).
    Equal marks: the same files (but for the "page as of" time)."""
    from status.maintenance import maintenance_state

    status = state.status
    out = {"version": 1, **(of_status or status_marks(status))}
    out["look"] = [*_look(state.calendar), status.timezone, status.status_page, state.logo or "",
                   *(str(s) for s in state.settings)]
    out["states"] = {m.id: maintenance_state(m, state.now) for m in _windows(status).values()}  # move with the clock
    out["items"] = _fingerprint(state.items)  # not kept across a restart: the home page and feeds are cheap
    return out


def plan(before: dict[str, Any] | None, after: dict[str, Any]) -> Plan:
    """The files that change from the state marked ``before`` (the last one written; None: nothing
    yet) to the one marked ``after`` (see :func:`marks`)."""
    if before is None or _new_look(before, after):
        return Plan(full=True)
    out = Plan(posts=before.get("items") != after["items"])
    renamed = _renamed(before["components"], after["components"])
    for kind, page, into in (("incidents", incident_page, out.incidents), ("maintenance", maintenance_page,
                                                                            out.maintenance)):
        into.update(_changed_pages(kind, before, after, renamed))
        out.removed += [page(key) for key in sorted(before[kind].keys() - after[kind].keys())]
    out.shared = _shared_changed(before, after, out)
    return out


def _new_look(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Marks of another version, or another brand, title, logo or feed settings: every page shows
    them, so every file is written."""
    return bool(before.get("version") != after["version"] or before["look"] != after["look"])


def _renamed(was: dict[str, Any], now: dict[str, Any]) -> set[str]:
    """The components whose name changed (or that came or went): every page naming one shows it."""
    return {cid for cid in set(was) | set(now) if (was.get(cid) or [None])[0] != (now.get(cid) or [None])[0]}


def _changed_pages(kind: str, before: dict[str, Any], after: dict[str, Any], renamed: set[str]) -> Iterator[str]:
    """The ids of ``kind`` ("incidents" or "maintenance") whose page changes: new ones, those whose
    data changed or that name a renamed component, and windows whose state moved on with the clock."""
    was = before[kind]
    for key, (fingerprint, components) in after[kind].items():
        old = was.get(key)
        if (old is None or old[0] != fingerprint or renamed.intersection(components)
                or (kind == "maintenance" and before["states"].get(key) != after["states"].get(key))):
            yield key


def _shared_changed(before: dict[str, Any], after: dict[str, Any], out: Plan) -> bool:
    """Whether the pages that show every component, incident and window (home, history,
    ``status.ics``, the API) change: any change to those does, and so does a window's state."""
    return (before["components"] != after["components"] or bool(out.incidents or out.maintenance or out.removed)
            or before["states"] != after["states"])


class _Indexed:
    """Lookups the renderer makes once per page, made once per state (a Status subclass is built
    on the fly: :func:`indexed`)."""

    incidents: tuple[Incident, ...]

    @cached_property
    def _by_id(self) -> dict[str, Incident]:
        by_id: dict[str, Incident] = {}
        for incident in self.incidents:
            by_id.setdefault(incident.id, incident)
        return by_id

    @cached_property
    def _open(self) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents if not i.resolved)

    def incident(self, incident_id: str) -> Incident | None:
        return self._by_id.get(incident_id)

    def open_incidents(self) -> list[Incident]:
        return list(self._open)


_INDEXED: dict[type, type] = {}


def indexed(status: Status) -> Status:
    """``status`` whose ``incident(id)`` and ``open_incidents()`` cost O(1) and O(open) after the
    first call (the renderer calls both once per page: quadratic over 2,000 incident pages)."""
    cls = type(status)
    if issubclass(cls, _Indexed):
        return status
    sub = _INDEXED.get(cls)
    if sub is None:
        sub = _INDEXED[cls] = type("Indexed" + cls.__name__, (_Indexed, cls), {})
    made: Status = sub(**{f.name: getattr(status, f.name) for f in fields(status) if f.init})
    return made


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class SiteWriter:
    """Writes the files of one site folder, each only when a change touches it and its bytes differ."""

    def __init__(self, directory: str):
        self.directory = directory
        self.hashes: dict[str, bytes] = {}  # path -> digest of what is there (written, or read once)
        self.shown: dict[str, Any] | None = None  # the marks of the state last written in full
        self._started = False
        self._status: tuple[Status, dict[str, Any]] | None = None  # the last status and its marks
        self.written = 0  # files written since start (tests, the bench)
        self.deleted = 0

    # -- the files --------------------------------------------------------------------------
    def files(self, state: SiteState, change: Plan) -> dict[str, str | bytes]:
        """The files ``change`` touches, by path, in the order they are written: the shared pages
        first, then the incidents' and windows' own pages, then the look's (a full change only)."""
        from ..render.site import Renderer, SiteData

        data = SiteData(state.calendar, indexed(state.status), state.now, posts=state.posts,
                        base_url=state.settings[1] if len(state.settings) > 1 else "")
        renderer = Renderer(data)
        out = _shared_files(renderer, state, change)
        out.update(_own_pages(renderer, data.status, change))
        if change.full:
            out.update(_look_files(state))
        return out

    def marks(self, state: SiteState) -> dict[str, Any]:
        if self._status is None or self._status[0] is not state.status:  # a post: the same status
            self._status = (state.status, status_marks(state.status))
        return marks(state, self._status[1])

    def write(self, state: SiteState) -> list[str]:
        """Write what changed since the last state written; the paths written (deletions not included)."""
        if not self._started:  # after a restart: what the folder's pages were made of
            self._started = True
            self.shown = self._kept()
        after = self.marks(state)
        try:
            change = plan(self.shown, after)
        except (KeyError, TypeError, ValueError, IndexError):  # marks in the folder not as written here
            change = Plan(full=True)
        if change.empty:
            self.shown = after
            return []
        files = self.files(state, change)
        written = [path for path, body in files.items() if self._put(path, body)]
        if change.full:
            change.removed += self._strays(state.status)
        for path in change.removed:
            self._delete(path)
        # last: after a crash before this, the next start renders again what changed since the marks
        kept = {k: v for k, v in after.items() if k != "items"}
        if self._put(MARKS, json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":"))):
            written.append(MARKS)
        self.shown = after
        return written

    def _kept(self) -> dict[str, Any] | None:
        """The marks the last writer left in the folder, if its pages are all there (else None: a complete write)."""
        try:
            with open(os.path.join(self.directory, MARKS), encoding="utf-8") as fh:
                kept = json.load(fh)
            if not isinstance(kept, dict) or kept.get("version") != 1:
                return None
            pages = [incident_page(i) for i in kept["incidents"]] + [maintenance_page(m) for m in kept["maintenance"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not all(os.path.isfile(os.path.join(self.directory, p)) for p in (HOME, HISTORY, *pages)):
            return None
        return kept

    def _put(self, path: str, body: str | bytes) -> bool:
        data = body.encode("utf-8") if isinstance(body, str) else body
        digest = _digest(data)
        known = self.hashes.get(path)
        full = os.path.join(self.directory, path)
        if known is None:  # not written by this process: what is in the folder (read once)
            with contextlib.suppress(OSError), open(full, "rb") as fh:
                known = _digest(fh.read())
        if known == digest:
            self.hashes[path] = digest
            return False
        write_atomic(full, data)
        self.hashes[path] = digest
        self.written += 1
        return True

    def _strays(self, status: Status) -> list[str]:
        """Pages in the folder of incidents and windows the status no longer has (after a restart)."""
        keep = {incident_page(i) for i in _incidents(status)} | {maintenance_page(m) for m in _windows(status)}
        found = []
        for kind in ("incidents", "maintenance"):
            with contextlib.suppress(OSError):
                for name in os.listdir(os.path.join(self.directory, kind)):
                    path = f"{kind}/{name}/index.html"
                    if path not in keep and os.path.isfile(os.path.join(self.directory, path)):
                        found.append(path)
        return found

    def _delete(self, path: str) -> None:
        self.hashes.pop(path, None)
        full = os.path.join(self.directory, path)
        if files.remove(full):
            self.deleted += 1
            files.remove_empty_folder(os.path.dirname(full))


def _shared_files(renderer: Renderer, state: SiteState, change: Plan) -> dict[str, str | bytes]:
    """The home page (a post or a status change shows there), the channel's feeds (posts only),
    and the history page, ``status.ics`` and the API (the status only)."""
    out: dict[str, str | bytes] = {}
    if change.full or change.posts or change.shared:
        out[HOME] = renderer.index("./")
    if (change.full or change.posts) and state.feeds is not None:
        out.update(state.feeds(state.items, state.now))
    if change.full or change.shared:
        out[HISTORY] = renderer.history_page("../")
        out["status.ics"] = renderer.status_ics()
        for name, body in renderer.api().items():
            out[f"api/v2/{name}"] = json.dumps(body, indent=1)
    return out


def _own_pages(renderer: Renderer, status: Status, change: Plan) -> dict[str, str | bytes]:
    """The pages of the incidents and windows that changed (all of them on a full change)."""
    out: dict[str, str | bytes] = {}
    incidents = _incidents(status).keys() if change.full else change.incidents
    for iid in incidents:
        out[incident_page(iid)] = renderer.incident_page(iid, "../../") or ""
    windows = _windows(status).keys() if change.full else change.maintenance
    for mid in windows:
        out[maintenance_page(mid)] = renderer.maintenance_page(mid, "../../") or ""
    return out


def _look_files(state: SiteState) -> dict[str, str | bytes]:
    """The files only a new look changes: the static assets, the brand's colours and its logo."""
    from ..render import STATIC, static_file
    from ..render.site import brand_css, favicon

    out: dict[str, str | bytes] = {f"static/{name}": static_file(name) for name in STATIC}
    out["brand.css"] = brand_css(state.calendar.brand.color)
    out["favicon.svg"] = favicon(state.calendar.brand.color)
    if state.logo:
        with open(state.logo, "rb") as fh:
            out["brand/logo"] = fh.read()
    return out


class Background:
    """One thread that runs ``work`` on the newest state handed to it; the latest state wins."""

    def __init__(self, name: str, work: Callable[[Any], Any]):
        self.name, self.work = name, work
        self._cond = threading.Condition()
        self._pending: Any = None
        self._has_pending = False
        self._submitted = 0  # generations: each submit is one more
        self._done = 0  # the newest generation whose state was written (or failed: logged)
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, state: Any) -> int:
        """Hand ``state`` to the thread; its generation, for :meth:`wait`."""
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self.name}: the site writer is closed")
            self._submitted += 1
            self._pending, self._has_pending = state, True
            if self._thread is None or not self._thread.is_alive():
                # not a daemon thread, and one only while there is work: a process that ends (``herald
                # run --once``) first writes what it handed over, and an idle writer holds nothing up
                self._thread = threading.Thread(target=self._run, name=f"herald-site-{self.name}")
                self._thread.start()
            self._cond.notify_all()
            return self._submitted

    def wait(self, generation: int, timeout: float | None = None) -> bool:
        """Until the state of ``generation`` (or a newer one) was written, or ``timeout`` seconds
        passed; True when it was (or nothing will ever write it: the thread died)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._done < generation:
                if self._thread is None or not self._thread.is_alive():
                    break  # nothing will write it (the thread died); do not wait forever
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def flush(self, timeout: float | None = None) -> bool:
        """Until every state submitted so far was written (False: ``timeout`` passed first)."""
        with self._cond:
            generation = self._submitted
        return self.wait(generation, timeout)

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._done < self._submitted

    def close(self, timeout: float | None = None) -> bool:
        """Write what is pending, then stop the thread; with ``timeout`` (a stop's budget), give up
        after that long: the state not yet started is dropped and the write under way is left to
        finish or die with the process (False).  Nothing is lost: the folder's marks file is the last
        file a write puts, so the next start writes again whatever this one did not finish."""
        deadline = None if timeout is None else time.monotonic() + timeout
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            if not done:
                self._pending, self._has_pending = None, False
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            done = done and not thread.is_alive()
        return done

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._has_pending:  # idle: the thread ends; the next state starts another
                    self._thread = None
                    self._cond.notify_all()
                    return
                state, generation = self._pending, self._submitted
                self._pending, self._has_pending = None, False
            try:
                self.work(state)
            except Exception:  # logged; the next state is diffed against the last one written
                log.exception("%s: could not write the site", self.name)
            with self._cond:
                self._done = max(self._done, generation)
                self._cond.notify_all()


class Shared:
    """The writer and writer thread of one folder, shared by the publishers that write there: the
    one a reload builds takes over from the one it replaces, in order, with the same memory."""

    def __init__(self, directory: str, name: str):
        self.key = os.path.realpath(directory)
        self.writer = SiteWriter(directory)
        self.background = Background(name, self.writer.write)
        self.users = 0


_SHARED: dict[str, Shared] = {}
_SHARED_LOCK = threading.Lock()


def acquire(directory: str, name: str) -> Shared:
    """The writer of ``directory``, for one more publisher (give it back with :func:`release`)."""
    with _SHARED_LOCK:
        shared = _SHARED.get(os.path.realpath(directory))
        if shared is None or shared.background.closed:
            shared = Shared(directory, name)
            _SHARED[shared.key] = shared
        shared.users += 1
        return shared


def release(shared: Shared, timeout: float | None = None) -> bool:
    """One publisher less: write what is pending; the last one stops the thread.  With ``timeout``,
    no longer than that (see :meth:`Background.close`); False when it gave up."""
    with _SHARED_LOCK:
        shared.users -= 1
        if shared.users > 0:
            last = False
        else:
            last = True
            if _SHARED.get(shared.key) is shared:
                del _SHARED[shared.key]
            return shared.background.close(timeout)  # under the lock: no second writer of the folder meanwhile
    return last or shared.background.flush(timeout)
