"""The alert intake of the web server (see :mod:`scheduler.web`): monitoring webhooks in,
``status.yaml`` edits out.

Each endpoint turns one tool's payload into :class:`status.alerts.AlertEvent` values with
that tool's parser in :mod:`status.formats` (pure); :func:`status.alerts.decide` (pure)
decides; every write goes through :func:`scheduler.statusfile.edit`, the lock and atomic swap
the CLI uses, so the running engine announces what the intake wrote exactly as if a person
had typed it.  What the intake remembers (fingerprints, firing-since times, the newest event
per fingerprint) is in the ledger (:mod:`scheduler.ledger.alerts`).  Each decision is one ledger transaction
holding the intake's database lock from before it reads the status file and the rows to
after it has written the file and stored the rows, so decisions take turns across every
server sharing the ledger and each is made on what the previous one left: every server
decides alike, and two servers never decide on the same rows at once.  Decisions are made
only on a settled status file (:func:`scheduler.daemon.read_settled`, the engine's rule):
an empty, mid-save or invalid one is answered 503 with Retry-After (a fixed sentence: the
details, which may name the database's host, go to the log).  A timer thread re-decides
every second while an alert waits out its ``for:``, so it acts without a further payload;
it is re-armed when the server starts (:meth:`Intake.start`).

Every request needs the token of ``HERALD_INTAKE_TOKEN`` (``Authorization: Bearer`` or
``?token=`` for tools that cannot set headers), compared in constant time; a body over
:data:`MAX_BODY` is refused with 413, a malformed one with 400/422, and nothing changes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from campaigns.errors import BadPayload, StatusChanged
from status.alerts import (
    AlertEvent,
    Decision,
    action_component,
    change,
    decide,
    forgotten,
    holds,
    suggestion,
)
from status.edit import visible
from status.formats import alertmanager, generic, grafana, statuspage, uptime_kuma

from ..daemon.settle import Settling, read_settled
from ..errors import Conflict, NotSettled, NotTogether, RuntimeFailure, StatusFileBusy, StatusFileRace
from ..files import read_bytes
from .context import WebContext

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.model import Status

log = logging.getLogger("herald.intake")

MAX_BODY = 1 << 20  # bytes: Alertmanager groups are small; anything bigger is a mistake or an attack
TICK = 1.0  # seconds between re-decisions while an alert waits out its for:
DECIDE_ATTEMPTS = 5  # decisions in a row that another server's may overtake before a request gets 503
MAX_WARNED = 1000  # label sets of unrouted alerts remembered (each is warned of once while remembered)
RETRY_AFTER = "5"  # seconds: a request answered 503 (the status file mid-save, busy) is sent again


PARSERS: dict[str, Callable[[Any], list[AlertEvent]]] = {  # /intake/<name> -> its payload's parser
    "alertmanager": alertmanager.parse_webhook, "grafana": grafana.parse_webhook,
    "uptime-kuma": uptime_kuma.parse_webhook, "statuspage": statuspage.parse_webhook, "generic": generic.parse_webhook,
}


# -- the intake: decide, write, remember ---------------------------------------------------

def _answers(batch: list[tuple[list[AlertEvent], Future[dict[str, Any]]]],
             decision: Decision) -> Iterator[tuple[Future[dict[str, Any]], dict[str, Any]]]:
    """Each request's share of a decision taken on its batch: its own events counted, and the
    failures of its own alerts only."""
    skipped, lost = {id(e) for e in decision.ignored}, {id(e) for e in decision.unrouted}
    for part, future in batch:
        ignored = sum(1 for e in part if id(e) in skipped)
        unrouted = sum(1 for e in part if id(e) in lost)
        result: dict[str, Any] = {"accepted": len(part) - ignored - unrouted, "ignored": ignored,
                                  "unrouted": unrouted, "changes": len(decision.actions)}
        failed = {e.fingerprint: decision.failed[e.fingerprint] for e in part if e.fingerprint in decision.failed}
        if failed:
            result["failed"] = failed
        yield future, result


def _line(exc: BaseException) -> str:
    """An error as one line for a log or an answer, secrets redacted."""
    from ..redaction import redact

    text = redact(str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


BUSY_ANSWER = "the status file is being saved or is not valid now; nothing was decided, try again"
TOGETHER_ANSWER = "the alerts' changes cannot be written together now; nothing was decided, try again"
DOWN_ANSWER = "the ledger is unavailable; nothing was decided, try again"


class Intake:
    """One server's intake: serialises its decisions (a lock here, the ledger's lock across
    servers: :func:`scheduler.ledger.alerts.deciding`), batches the requests that arrive
    meanwhile, and runs the ``for:`` timer.  What is tracked is read from the ledger for every
    decision, under that lock: the ledger, not this object, is the truth."""

    def __init__(self, ctx: WebContext, tick: float = TICK, *, settling: Settling | None = None,
                 wait: Callable[[float], bool] | None = None, monotonic: Callable[[], float] = time.monotonic):
        self.ctx, self.tick_every = ctx, tick
        self._lock = threading.Lock()  # one decision at a time
        self._queue_lock = threading.Lock()
        self._queue: list[tuple[list[AlertEvent], Future[dict[str, Any]]]] = []  # waiting for the next decision
        self._draining = False  # a thread decides what is queued
        self._waiting = False  # an alert waits out its for: (read and set under _timer_lock)
        self._timer_lock = threading.Lock()  # _waiting and _timer, between a decision and the timer thread
        self._warned: OrderedDict[str, None] = OrderedDict()  # label sets warned of (bounded, LRU)
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()
        self.settling = settling or Settling()
        self.wait = wait or self._stop.wait  # returns True to give up (shutdown)
        self.monotonic = monotonic

    def start(self) -> None:
        """At start-up: re-arm the ``for:`` timer when the ledger holds an alert that fires and
        has not acted yet (a restart during its ``for:`` must not lose it: Statuspage and Uptime
        Kuma may never send it again).  A ledger not created yet is not created here."""
        from ..ledger import alerts as stored

        try:
            ledger = self.ctx.existing_ledger()
            if ledger is not None and stored.waiting(ledger.db):
                self._set_waiting(True)
        except Exception as exc:  # the ledger down: the next payload or restart tries again
            log.warning("alert intake: could not read its memory at start-up: %s", _line(exc))

    def receive(self, events: list[AlertEvent]) -> dict[str, Any]:
        """Decide on ``events`` now; what was accepted, ignored (replays), unrouted, and which
        alerts' changes could not be written (``failed``: fingerprint -> why).

        :raises NotSettled, StatusFileBusy, StatusFileRace…: nothing was decided; try again."""
        answer: dict[str, Any] = self.submit(events).result()
        return answer

    def submit(self, events: list[AlertEvent]) -> Future[dict[str, Any]]:
        """Queue ``events`` for the next decision; the future holds :meth:`receive`'s answer.

        Requests that arrive while a decision is being written wait together, and the next
        decision takes them all (one file write, one ledger transaction): under a burst of
        alerts the intake keeps up instead of writing once per request.  A request waiting
        holds no thread (the endpoints await the future): when requests waited in threads, the
        server's pool of 40 was soon all waiting, the next requests could not even join the
        queue, and a burst of 100 cost dozens of writes of one or two alerts each."""
        future: Future[dict[str, Any]] = Future()
        with self._queue_lock:
            self._queue.append((list(events), future))
            lead, self._draining = not self._draining, True
        if lead:
            threading.Thread(target=self._drain, name="herald-intake-decide", daemon=True).start()
        return future

    def _drain(self) -> None:
        """Decide on what is queued, batch after batch, until nothing is."""
        while True:
            with self._lock:
                batch = self._take()
                if not batch:
                    return
                decision = self._decide_batch(batch)
            if decision is not None:
                for future, result in _answers(batch, decision):
                    future.set_result(result)

    def _take(self) -> list[tuple[list[AlertEvent], Future[dict[str, Any]]]]:
        """Every request queued, for one decision. None queued ends the drain (under the queue's
        lock, so a request queued after it starts the next one)."""
        with self._queue_lock:
            batch, self._queue = self._queue, []
            if not batch:
                self._draining = False
            return batch

    def _decide_batch(self, batch: list[tuple[list[AlertEvent], Future[dict[str, Any]]]]) -> Decision | None:
        """One decision on the events of every request of ``batch``. When it fails, every request
        gets the error (None: the drain goes on with the next batch); an error that is no
        ``Exception`` (an exit) also ends the drain, so the next request starts another."""
        try:
            return self._run([e for part, _ in batch for e in part])
        except BaseException as exc:  # every request of the batch gets the answer
            for _, future in batch:
                future.set_exception(exc)
            if not isinstance(exc, Exception):
                with self._queue_lock:
                    self._draining = False
                raise
            return None

    def tick(self) -> None:
        """Re-decide without news: alerts whose ``for:`` has passed act."""
        with self._lock:
            self._run([])

    def close(self) -> None:
        self._stop.set()

    # -- one decision ----------------------------------------------------------------------
    def _settled(self) -> tuple[Calendar, Status]:
        """The calendar and the status file as it is once settled (the engine's rule:
        :func:`scheduler.daemon.read_settled`); never an empty, mid-save or invalid one."""
        from status.load import check, loads

        calendar, path = self.ctx.calendar(), self.ctx.status_path
        if not os.path.exists(path):
            return calendar, loads("", calendar, path)
        data = read_settled(lambda: read_bytes(path), self.wait, self.monotonic, settling=self.settling)
        if data is None:
            raise NotSettled("the server is stopping; try again")
        if not data.strip():
            raise NotSettled(f"{path} is empty (a save in progress?); nothing was decided, try again")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise NotSettled(f"{path} is not UTF-8 now (a save in progress?); nothing was decided, try again") \
                from None
        result = check(path, calendar, text)
        if result.value is None:
            problem = (result.errors or result.problems)[0]
            raise NotSettled(f"{path} is not valid now ({problem}); nothing was decided, try again")
        return calendar, result.value

    def _run(self, events: list[AlertEvent]) -> Decision:
        from ..ledger import alerts as stored

        db = self.ctx.ledger().db
        for _attempt in range(DECIDE_ATTEMPTS):
            try:
                # The ledger's lock, from before anything is read to the commit: every server's
                # decisions take turns, each on the rows and the file the previous one left.
                with stored.deciding(db) as c:
                    decision = self._decide(c, events)
            except StatusChanged as exc:
                log.info("alert intake: %s", exc)
                continue
            except Conflict as exc:  # a server not taking the lock decided meanwhile: decide again
                log.info("alert intake: %s; deciding again", exc)
                continue
            self._set_waiting(decision.waiting)
            return decision
        raise RuntimeFailure(f"the alert intake's memory kept changing ({DECIDE_ATTEMPTS} decisions in a row); "
                             "try again")

    def _decide(self, c: Any, events: list[AlertEvent]) -> Decision:
        """Decide, write the file, store the rows: in the caller's transaction (its lock held).
        If the transaction then fails, the file's write is made again by the next decision,
        which finds it written: every write is idempotent (an incident declared under its id
        once, a resolved one not resolved again, a state set only when it differs)."""
        from ..ledger import alerts as stored

        calendar, status = self._settled()
        found = stored.rows(c)  # the truth, read for every decision: never a cache
        now = self.ctx.clock.now()
        decision = decide(status, {fp: item for fp, (item, _) in found.items()}, events, now, calendar)
        self._warn(decision, status)
        self._write(decision, status, calendar, now)
        gone = forgotten(decision.tracked, now, status)  # bounded memory: old tombstones, long-silent alerts
        for fingerprint in gone:
            item = decision.tracked.pop(fingerprint)
            if holds(item, status):
                log.error("alert %s (%s) is forgotten: more than %d alerts fire, each holding an open incident or "
                          "a marked component; its resolve will not undo %s: resolve or mark it by hand",
                          visible(item.alert), visible(fingerprint), len(decision.tracked),
                          visible(item.incident or item.component))
        touched = decision.touched | set(gone)
        stored.save(c, decision.tracked, touched, now,
                    expected={fp: found[fp][1] if fp in found else None for fp in touched})
        return decision

    def _warn(self, decision: Decision, status: Status) -> None:
        for event in decision.unrouted:
            key = json.dumps(sorted(event.labels.items()))
            if key in self._warned:
                self._warned.move_to_end(key)
                continue
            self._warned[key] = None
            while len(self._warned) > MAX_WARNED:
                self._warned.popitem(last=False)
            log.warning("%s: no alerts: entry in %s matches labels %s; to map it, add under alerts: %s",
                        visible(event.describe), self.ctx.status_path, visible(repr(dict(event.labels))),
                        visible(suggestion(status, event), 1000))
        for note in decision.notes:
            log.warning("%s", visible(note, 1000))

    def _write(self, decision: Decision, status: Status, calendar: Calendar, now: datetime) -> None:
        """Write the decision's changes in one edit.  If the edit is refused (a change that would
        not be valid), each action is checked alone: the good ones are written together, and the
        alerts named by each bad one (those it declares, raises, resolves or marks for) are
        reported (log, answer) and marked failed, never tried again: one bad alert never blocks
        the others.  When each is fine alone but not together, :class:`NotTogether` (nothing is
        written; the request is answered 503 and the decision made again)."""
        from campaigns.errors import StatusFileError, UsageError

        from ..statusfile import check_change, edit

        todo = change(decision, status, calendar, now)
        if todo is None:
            return
        path = self.ctx.status_path
        try:
            edit(path, calendar, todo)
            log.info("%s: %s", path, ", ".join(f"{kind} {args[0]}" for kind, args in decision.actions))
            return
        except (StatusFileError, UsageError) as exc:
            refused: Exception = exc
        self._settled()  # the file itself is broken now (not the change): NotSettled, nothing decided
        good: list[tuple[str, Any]] = []
        bad: list[tuple[tuple[str, Any], str]] = []
        for action in decision.actions:
            one = change(decision, status, calendar, now, [action])
            try:
                if one is not None:
                    check_change(path, calendar, one)
                good.append(action)
            except (StatusFileError, UsageError) as exc:
                bad.append((action, _line(exc)))
        if not bad:  # each alone is fine, together they are not: nothing is written, decided again later
            log.warning("alert intake: the changes (%s) can each be written but not together: %s; nothing was "
                        "written, deciding again later", ", ".join(f"{kind} {args[0]}" for kind, args in
                                                                   decision.actions), _line(refused))
            raise NotTogether("the alerts' changes can each be written but not together; nothing was decided, "
                              "try again")
        if good:
            written = change(decision, status, calendar, now, good)
            if written is not None:
                edit(path, calendar, written)
        for action, reason in bad:
            component = action_component(action, decision.tracked)
            for fingerprint in _named(action, decision):
                item = decision.tracked[fingerprint]
                decision.put(replace(item, failed=reason, incident="", opened=False))
                decision.failed[fingerprint] = reason
                log.warning("alert %s (%s): its change (%s on %s) could not be written and is not tried again: %s",
                            visible(item.alert), visible(fingerprint), action[0], component, reason)
        decision.actions = good
        log.info("%s: %s", path, ", ".join(f"{kind} {args[0]}" for kind, args in good) or "nothing written")

    def _set_waiting(self, waiting: bool) -> None:
        """Whether an alert waits out its ``for:``; the timer thread is started when it does and
        none runs.  The timer reads ``_waiting``, and clears ``_timer`` before it ends, under the
        same lock: a timer about to end is never taken for one that will tick."""
        with self._timer_lock:
            self._waiting = waiting
            if waiting and self._timer is None and not self._stop.is_set():
                self._timer = threading.Thread(target=self._loop, name="herald-intake-timer", daemon=True)
                self._timer.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_every):
            with self._timer_lock:
                if not self._waiting:
                    self._timer = None
                    return
            try:
                self.tick()
            except Exception as exc:  # a file mid-save, a broken file or ledger: the next tick tries again
                log.warning("alert intake timer: %s", _line(exc))

    # -- HTTP ------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [Route(f"/intake/{name}", self._endpoint(parse), methods=["POST"]) for name, parse in PARSERS.items()]

    def _endpoint(self, parse: Callable[[Any], list[AlertEvent]]) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            refused = self._refuse(request)
            if refused is not None:
                return refused
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BODY:
                return _error(413, f"the body is over {MAX_BODY} bytes")
            body = bytearray()
            try:
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > MAX_BODY:
                        return _error(413, f"the body is over {MAX_BODY} bytes")
            except ClientDisconnect:  # the sender went away mid-body: nothing to decide, nobody to answer
                log.info("alert intake: the client went away before its body was whole; nothing was decided")
                return _error(400, "the body ended early")
            try:
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                return _error(400, f"the body is not JSON: {exc}")
            except RecursionError:
                return _error(400, "the body is not JSON an alert tool sends: it is nested too deeply")
            try:
                events = parse(data)
            except BadPayload as exc:
                return _error(422, str(exc))
            except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
                # every shape a tool sends is checked field by field (BadPayload); this is a shape
                # nobody sends, answered as one, never as a 500
                log.warning("alert intake: a payload of an unexpected shape: %s: %s", type(exc).__name__, _line(exc))
                return _error(422, "the payload is not in the shape this tool sends "
                                   "(see docs/reference/alert-intake.md)")
            try:
                result = await asyncio.wrap_future(self.submit(events))
            except Exception as exc:  # the status file mid-save, broken or busy, the ledger down: nothing decided
                # The details go to the log only: a database's error names its host and port.
                log.warning("alert intake: nothing was decided: %s: %s", type(exc).__name__, _line(exc))
                return _error(503, _answer(exc), {"Retry-After": RETRY_AFTER})
            return JSONResponse(result)
        return endpoint

    def _refuse(self, request: Request) -> JSONResponse | None:
        token = self.ctx.intake_token
        if not token:
            return _error(503, "the alert intake is off: set HERALD_INTAKE_TOKEN")
        scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
        given = (credentials.strip() if scheme.lower() == "bearer" else scheme) \
            or request.query_params.get("token", "")  # an auth scheme is case-insensitive (RFC 9110 11.1)
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _error(401, "a valid intake token is needed (Authorization: Bearer TOKEN, or ?token=TOKEN)")
        return None


def _named(action: tuple[str, Any], decision: Decision) -> list[str]:
    """The fingerprints an action is for: those of the incident it declares, raises or resolves,
    or those that mark its component (touched by this decision)."""
    kind, args = action
    out = []
    for fingerprint in sorted(decision.touched):
        item = decision.tracked.get(fingerprint)
        if item is None:
            continue
        if kind == "mark" and not item.incident and item.component == args[0] \
                or kind != "mark" and item.incident == args[0]:
            out.append(fingerprint)
    return out


def _answer(exc: BaseException) -> str:
    """The 503's sentence: fixed, whatever the error says (see the endpoint)."""

    if isinstance(exc, NotTogether):
        return TOGETHER_ANSWER
    if isinstance(exc, (NotSettled, StatusFileBusy, StatusFileRace)):
        return BUSY_ANSWER
    return DOWN_ANSWER


def _error(code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=code, headers=headers)


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The intake's endpoints; its ``for:`` timer re-armed if the ledger holds an alert waiting
    (``herald serve``, and ``herald run`` with ``engine.serve``, build the app through here)."""
    intake = Intake(ctx)
    intake.start()
    return intake.routes()
