"""The alert intake of the web server (see :mod:`scheduler.web`): monitoring webhooks in,
``status.yaml`` edits out.

Each endpoint turns one tool's payload into :class:`status.alerts.AlertEvent` values;
:func:`status.alerts.decide` (pure) decides; every write goes through
:func:`scheduler.statusfile.edit`, the lock and atomic swap the CLI uses, so the running
engine announces what the intake wrote exactly as if a person had typed it.  What the
intake remembers (fingerprints, firing-since times, the newest event per fingerprint) is
in the ledger (:mod:`scheduler.ledger.alerts`).  A timer thread re-decides every second
while an alert waits out its ``for:``, so it acts without a further payload.

Every request needs the token of ``HERALD_INTAKE_TOKEN`` (``Authorization: Bearer`` or
``?token=`` for tools that cannot set headers), compared in constant time; a body over
:data:`MAX_BODY` is refused with 413, a malformed one with 400/422, and nothing changes.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from status.alerts import FIRING, RESOLVED, AlertEvent, Decision, Tracked, change, decide, forgotten, suggestion

from .context import WebContext

log = logging.getLogger("herald.intake")

MAX_BODY = 1 << 20  # bytes: Alertmanager groups are small; anything bigger is a mistake or an attack
TICK = 1.0  # seconds between re-decisions while an alert waits out its for:
FORGET_EVERY = timedelta(minutes=1)


class BadPayload(ValueError):
    """A payload that is not what the tool sends (answered with 422 and the sentence)."""


# -- payloads -> events --------------------------------------------------------------------

def _get(obj: Any, key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    if not isinstance(obj, dict):
        raise BadPayload(f"{where or 'the body'}: expected a JSON object")
    if key not in obj or obj[key] is None:
        if default is ...:
            raise BadPayload(f"{where + '.' if where else ''}{key}: missing")
        return default
    if not isinstance(obj[key], kind):
        raise BadPayload(f"{where + '.' if where else ''}{key}: expected {getattr(kind, '__name__', kind)}")
    return obj[key]


def _time(text: str, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadPayload(f"{where}: {text!r} is not an ISO 8601 time") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _strings(obj: Any, where: str) -> dict[str, str]:
    if not isinstance(obj, dict) or not all(isinstance(v, str) for v in obj.values()):
        raise BadPayload(f"{where}: expected an object of strings")
    return {str(k): v for k, v in obj.items()}


def alertmanager(body: Any, source: str = "alertmanager") -> list[AlertEvent]:
    """Alertmanager's webhook (version 4) and Grafana's, which has the same shape: grouped alerts."""
    if source == "alertmanager" and _get(body, "version", str, "") != "4":
        raise BadPayload(f"version: {body['version']!r} is not supported; Alertmanager's webhook version 4 is")
    events = []
    for index, alert in enumerate(_get(body, "alerts", list, "")):
        where = f"alerts[{index}]"
        status = _get(alert, "status", str, where)
        if status not in (FIRING, RESOLVED):
            raise BadPayload(f"{where}.status: {status!r} is neither firing nor resolved")
        labels = _strings(_get(alert, "labels", dict, where), f"{where}.labels")
        at = _time(_get(alert, "startsAt" if status == FIRING else "endsAt", str, where),
                   f"{where}.{'startsAt' if status == FIRING else 'endsAt'}")
        fingerprint = _get(alert, "fingerprint", str, where)
        events.append(AlertEvent(source, f"{source}:{fingerprint}", status, at, labels.get("alertname", fingerprint),
                                 labels))
    return events


def grafana(body: Any) -> list[AlertEvent]:
    return alertmanager(body, "grafana")


def uptime_kuma(body: Any) -> list[AlertEvent]:
    """Uptime Kuma's webhook: one heartbeat (status 0 down, 1 up) of one monitor; a test message
    (no heartbeat) and pending/maintenance beats (2, 3) are news of nothing."""
    beat = _get(body, "heartbeat", dict, "", None)
    if beat is None:
        return []
    monitor = _get(body, "monitor", dict, "")
    state = _get(beat, "status", int, "heartbeat")
    if state not in (0, 1):
        return []
    name = _get(monitor, "name", str, "monitor")
    at = _time(_get(beat, "time", str, "heartbeat"), "heartbeat.time")  # Uptime Kuma sends UTC
    ident = _get(monitor, "id", (int, str), "monitor", name)
    return [AlertEvent("uptime-kuma", f"uptime-kuma:{ident}", FIRING if state == 0 else RESOLVED, at, name,
                       {"monitor": name})]


UPSTREAM_SEVERITY = {"major_outage": "critical", "partial_outage": "major", "degraded_performance": "minor"}
UPSTREAM_IMPACT = {"none": "minor", "minor": "minor", "major": "major", "critical": "critical"}


def statuspage(body: Any) -> list[AlertEvent]:
    """Atlassian Statuspage subscriber webhooks: a component update, or an incident update."""
    page = _get(_get(body, "page", dict, ""), "id", str, "page")
    if isinstance(body.get("component_update"), dict):
        update = body["component_update"]
        component = _get(body, "component", dict, "")
        new = _get(update, "new_status", str, "component_update")
        if new == "under_maintenance":
            return []
        ident = _get(update, "component_id", str, "component_update")
        name = _get(component, "name", str, "component")
        return [AlertEvent("statuspage", f"statuspage:{page}:component:{ident}",
                           RESOLVED if new == "operational" else FIRING,
                           _time(_get(update, "created_at", str, "component_update"), "component_update.created_at"),
                           name, {"upstream": name, "severity": UPSTREAM_SEVERITY.get(new, "minor")})]
    incident = _get(body, "incident", dict, "")
    ident = _get(incident, "id", str, "incident")
    name = _get(incident, "name", str, "incident")
    done = _get(incident, "status", str, "incident") in ("resolved", "postmortem", "completed")
    if done:
        when = _get(incident, "resolved_at", str, "incident", None) or _get(incident, "updated_at", str, "incident")
    else:
        when = _get(incident, "created_at", str, "incident")
    at = _time(when, "incident.resolved_at" if done else "incident.created_at")
    severity = UPSTREAM_IMPACT.get(str(incident.get("impact") or "none"), "minor")
    names = [c.get("name") for c in incident.get("components") or [] if isinstance(c, dict)]
    subjects = [n for n in names if isinstance(n, str)] or [page]
    return [AlertEvent("statuspage", f"statuspage:{page}:incident:{ident}:{subject}", RESOLVED if done else FIRING,
                       at, name, {"upstream": subject, "severity": severity}) for subject in subjects]


def generic(body: Any) -> list[AlertEvent]:
    """The documented generic form (README): ``{"id", "status", "labels", "severity"?, "at"?, "name"?}``,
    or a list of them."""
    items = body if isinstance(body, list) else [body]
    events = []
    for index, item in enumerate(items):
        where = f"[{index}]" if isinstance(body, list) else ""
        ident = _get(item, "id", str, where)
        status = _get(item, "status", str, where)
        if status not in (FIRING, RESOLVED):
            raise BadPayload(f"{where + '.' if where else ''}status: {status!r} is neither firing nor resolved")
        labels = _strings(_get(item, "labels", dict, where, {}), f"{where}labels")
        severity = _get(item, "severity", str, where, "")
        if severity:
            labels["severity"] = severity
        at = _time(_get(item, "at", str, where), f"{where}at")
        events.append(AlertEvent("generic", f"generic:{ident}", status, at, _get(item, "name", str, where, ident),
                                 labels))
    return events


PARSERS: dict[str, Callable[[Any], list[AlertEvent]]] = {
    "alertmanager": alertmanager, "grafana": grafana, "uptime-kuma": uptime_kuma, "statuspage": statuspage,
    "generic": generic,
}


# -- the intake: decide, write, remember ---------------------------------------------------

class Intake:
    """One server's intake: serialises decisions (a lock), keeps the tracked alerts (read once
    from the ledger, written through), and runs the ``for:`` timer."""

    def __init__(self, ctx: WebContext, tick: float = TICK):
        self.ctx, self.tick_every = ctx, tick
        self._lock = threading.Lock()  # one decision at a time
        self._queue_lock = threading.Lock()
        self._queue: list[list[AlertEvent]] = []  # requests waiting for the next decision
        self._results: dict[int, dict[str, int]] = {}
        self._waiting = False  # an alert waits out its for:
        self._next_forget = datetime.min.replace(tzinfo=UTC)
        self._tracked: dict[str, Tracked] | None = None
        self._warned: set[str] = set()
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()

    def receive(self, events: list[AlertEvent]) -> dict[str, int]:
        """Decide on ``events`` now; what was accepted, ignored (replays) and unrouted.

        Requests that arrive while a decision is being written wait together and are decided
        in one batch (one file write, one ledger transaction): under a burst of alerts the
        intake keeps up instead of queueing a write per request."""
        mine = list(events)
        with self._queue_lock:
            self._queue.append(mine)
        with self._lock:
            with self._queue_lock:
                batch, self._queue = self._queue, []
            if batch:
                decision = self._run([e for part in batch for e in part])
                skipped, lost = {id(e) for e in decision.ignored}, {id(e) for e in decision.unrouted}
                for part in batch:
                    ignored = sum(1 for e in part if id(e) in skipped)
                    unrouted = sum(1 for e in part if id(e) in lost)
                    self._results[id(part)] = {"accepted": len(part) - ignored - unrouted, "ignored": ignored,
                                               "unrouted": unrouted, "changes": len(decision.actions)}
            return self._results.pop(id(mine))

    def tick(self) -> None:
        """Re-decide without news: alerts whose ``for:`` has passed act."""
        with self._lock:
            self._run([])


    def close(self) -> None:
        self._stop.set()

    def _run(self, events: list[AlertEvent]) -> Decision:
        from ..ledger import alerts as stored
        from ..statusfile import edit

        ctx = self.ctx
        db = ctx.ledger().db
        if self._tracked is None:
            self._tracked = stored.load(db)
        now = ctx.clock.now()
        calendar, status = ctx.calendar(), ctx.status()
        decision = decide(status, self._tracked, events, now, calendar)
        for event in decision.unrouted:
            key = json.dumps(sorted(event.labels.items()))
            if key not in self._warned:
                self._warned.add(key)
                log.warning("%s: no alerts: entry in %s matches labels %s; to map it, add under alerts: %s",
                            event.describe, ctx.status_path, dict(event.labels), suggestion(status, event))
        for note in decision.notes:
            log.warning("%s", note)
        todo = change(decision, status, calendar, now)
        if todo is not None:
            edit(ctx.status_path, calendar, todo)
            log.info("%s: %s", ctx.status_path, ", ".join(f"{kind} {args[0]}" for kind, args in decision.actions))
        touched = decision.touched
        if now >= self._next_forget:  # once a minute: forget old resolved alerts (flat memory)
            gone = forgotten(decision.tracked, now)
            for fingerprint in gone:
                del decision.tracked[fingerprint]
            touched = touched | set(gone)
            self._next_forget = now + FORGET_EVERY
        stored.save(db, decision.tracked, touched, now)
        self._tracked = decision.tracked
        self._waiting = decision.waiting
        if self._waiting:
            self._start_timer()
        return decision

    def _start_timer(self) -> None:
        if self._timer is not None and self._timer.is_alive():
            return
        self._timer = threading.Thread(target=self._loop, name="herald-intake-timer", daemon=True)
        self._timer.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_every):
            if not self._waiting:
                return
            try:
                self.tick()
            except Exception:  # a broken file or ledger: logged, the next tick tries again
                log.exception("the alert intake's timer could not decide")

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
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY:
                    return _error(413, f"the body is over {MAX_BODY} bytes")
            try:
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                return _error(400, f"the body is not JSON: {exc}")
            try:
                events = parse(data)
            except BadPayload as exc:
                return _error(422, str(exc))
            try:
                result = await run_in_threadpool(self.receive, events)
            except Exception as exc:  # the status file is broken or busy: nothing was written
                log.warning("alert intake: %s", exc)
                return _error(503, str(exc).splitlines()[0])
            return JSONResponse(result)
        return endpoint

    def _refuse(self, request: Request) -> JSONResponse | None:
        token = self.ctx.intake_token
        if not token:
            return _error(503, "the alert intake is off: set HERALD_INTAKE_TOKEN")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip() or request.query_params.get(
            "token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _error(401, "a valid intake token is needed (Authorization: Bearer TOKEN, or ?token=TOKEN)")
        return None


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=code)


def routes(ctx: WebContext) -> list[BaseRoute]:
    return Intake(ctx).routes()
