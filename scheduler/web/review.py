"""The planners' review room: ``/review`` (a month grid, a week by hours, or a day of every
publication as its network will show it), ``/review/media`` (a post's image file, only from the
calendar's folder), ``/review/diff`` (what saving the calendar on disk would change, or what it
changes against a git revision: ``?base=main``) and
``/review/status`` (the status site's ops side: where each update was announced, what was held
and why, the alerts; none of it is on a public page).

Behind ``HERALD_REVIEW_TOKEN``: a sign-in form POSTs the token (never in an address, so never
in a proxy's log or the browser's history) with a CSRF token (a double-submit cookie, and the
browser's Origin must name this server); it sets an HttpOnly, SameSite=Strict session cookie
scoped to ``/review`` (Secure over https) holding an HMAC under the token, valid 12 hours, and
redirects to a relative address; comparisons are constant-time.  Bad query values (an unknown
view, a date that is not one or is too far away) are a 400 with a sentence.  Read-only: no endpoint
here changes anything.  The pages are rendered by :mod:`scheduler.render.review` from the
calendar and status files' last good versions (the calendar as planners left it, when it
loads: checked again only when its text changed) and the ledger, read here; filters by
campaign, network and kind (an unknown value is a 400 with a suggestion).  The pages' policy
is the site's, but for images: a post's image may come from its URL.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import threading
import weakref
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import BadFilter
from ..render.review import (
    VIEWS,
    Diff,
    Filters,
    Room,
    Window,
    diff_page,
    login_page,
    plan_page,
    publications,
    status_page,
)
from .context import REVIEW_TOKEN_ENV, WebContext, calendar_token

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.model import Status

COOKIE = "herald_review"
WINDOW_YEARS = 10  # /review?from= within this many years of today (planning further is not reviewing)


SESSION_HOURS = 12  # a sign-in lasts this long
# the site's policy, but a post's image may come from its URL (shown with referrerpolicy=no-referrer)
REVIEW_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; "
              "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
              "frame-ancestors 'none'")
MEDIA_CSP = "default-src 'none'; sandbox"  # an image file, opened on its own, runs nothing
CSRF_COOKIE = "herald_review_csrf"
FORM_LIMIT = 8192  # bytes of a sign-in form


def routes(ctx: WebContext) -> list[BaseRoute]:
    def off() -> Response:
        return PlainTextResponse(f"The review room is off: set {REVIEW_TOKEN_ENV} in the server's environment.",
                                 status_code=503)

    def guarded(page: Any) -> Any:
        def endpoint(request: Request) -> Response:
            if not ctx.review_token:
                return off()
            if "token" in request.query_params:  # never from an address (proxy logs, history, Referer)
                return _login(request, 400, "The token is not taken from the address: type it in the form below "
                                            "(and consider changing it, since it was in a link).",
                              next_path=_here(request, without="token"))
            if not _valid_session(request.cookies.get(COOKIE, ""), ctx.review_token, ctx.clock.now()):
                return _login(request, 401, "", next_path=_here(request))
            try:
                _once(request)
                body = page(ctx, request)
            except BadFilter as exc:
                return PlainTextResponse(str(exc), status_code=400)
            if isinstance(body, Response):
                return body
            return HTMLResponse(body, headers={"cache-control": "no-store", "content-security-policy": REVIEW_CSP})
        return endpoint

    async def login(request: Request) -> Response:
        if not ctx.review_token:
            return off()
        form = await _form(request)
        if form is None:
            return PlainTextResponse("Send the sign-in form (application/x-www-form-urlencoded, at most 8 KB).",
                                     status_code=400)
        next_path = _safe_next(form.get("next", ""))
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not _same(form.get("csrf", ""), cookie) or not _same_origin(request, _public_origins(ctx)):
            return _login(request, 403, "The form had expired or came from another site: sign in again.",
                          next_path=next_path)
        if not _same(form.get("token", ""), ctx.review_token):
            return _login(request, 401, "That token is not the review room's.", next_path=next_path)
        response = RedirectResponse(next_path, status_code=303)  # relative: never built from the Host header
        secure = request.url.scheme == "https"
        response.set_cookie(COOKIE, _session(ctx.review_token, ctx.clock.now()), max_age=SESSION_HOURS * 3600,
                            httponly=True, samesite="strict", path="/review", secure=secure)
        response.delete_cookie(CSRF_COOKIE, path="/review", httponly=True, samesite="strict", secure=secure)
        return response

    return [Route("/review", guarded(review)), Route("/review/diff", guarded(diff)),
            Route("/review/status", guarded(deliveries)), Route("/review/media", guarded(media)),
            Route("/review/login", login, methods=["POST"])]


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def _session(token: str, now: datetime) -> str:
    """A session cookie: when it was issued and an HMAC of that under the token (the token itself
    never leaves the form; changing it ends every session)."""
    issued = str(int(now.timestamp()))
    return issued + "." + hmac.new(token.encode(), f"herald-review-session:{issued}".encode(), "sha256").hexdigest()


def _valid_session(value: str, token: str, now: datetime) -> bool:
    issued, _, _mac = value.partition(".")
    if not issued.isdigit() or not 0 <= now.timestamp() - int(issued) <= SESSION_HOURS * 3600:
        return False
    return _same(value, _session(token, datetime.fromtimestamp(int(issued), UTC)))


def _same_origin(request: Request, public: frozenset[str] = frozenset()) -> bool:
    """The browser says the form came from this site: ``Sec-Fetch-Site`` (when sent) is
    same-origin, and ``Origin`` (when sent and not "null", which a no-referrer page sends) names
    this server: the ``Host`` it was asked by, or one of its configured ``public`` origins (a
    reverse proxy may pass its own upstream address as Host).  The CSRF token must match besides."""
    from urllib.parse import urlsplit

    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "") or _origin(origin) in public


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, lower-cased, without the scheme's default port ("" if none)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _public_origins(ctx: WebContext) -> frozenset[str]:
    """The origins the site is published at: the status file's ``status_page`` and the calendar's
    site accounts' ``base_url`` (their last good versions)."""
    urls: list[str] = []
    try:
        calendar = ctx.calendar()
        urls += [str(a.options.get("base_url") or "") for a in calendar.networks.values() if a.type == "site"]
        urls.append(ctx.status().status_page or "")
    except Exception:  # noqa: BLE001 - a file that never loaded: the Host alone
        pass
    return frozenset(o for o in map(_origin, urls) if o)


def _here(request: Request, without: str = "") -> str:
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != without])
    return request.url.path + (f"?{query}" if query else "")


def _safe_next(target: str) -> str:
    """Where a sign-in returns to: a page of the review room, as a relative address."""
    if not target.startswith("/review") or "\\" in target or any(c in target for c in "\r\n") \
            or target.startswith("//"):
        return "/review"
    return target


async def _form(request: Request) -> dict[str, str] | None:
    from urllib.parse import parse_qsl

    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            return None
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        return None


def _login(request: Request, status: int, message: str, next_path: str = "/review") -> Response:
    import secrets

    csrf = secrets.token_urlsafe(32)
    html = login_page(message, csrf, _safe_next(next_path))
    response = HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/review",
                        secure=request.url.scheme == "https")
    return response


SHOWN = 100  # characters of a bad query value a 400 repeats


def _shown(value: str) -> str:
    """A query value as a 400 names it: the first :data:`SHOWN` characters of a longer one, one line."""
    value = " ".join(value.splitlines())
    return value if len(value) <= SHOWN else f"{value[:SHOWN]}... ({len(value):,} characters)"


def _choice(request: Request, name: str, known: list[str]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in known:
        from campaigns.schemacheck import did_you_mean

        hint = (did_you_mean(value, known) if len(value) <= SHOWN else None) or f"known: {', '.join(known) or 'none'}"
        raise BadFilter(f"{name}={_shown(value)}: not in the calendar ({hint})")
    return value


# -- the week or month -------------------------------------------------------------------
def review(ctx: WebContext, request: Request) -> str:
    """The week or month the query asks for, of the calendar as planners left it on disk."""
    now = ctx.clock.now()
    calendar, refused, loads = _draft(ctx)
    shown = refused or loads  # the file on disk is what the page shows: not "broken on disk"
    room = Room(calendar, _status(ctx, calendar), now, _window(request, calendar, now), _filters(request, calendar),
                refused, {k: v for k, v in ctx.problems().items() if not (shown and k == ctx.calendar_path)},
                "/calendar.ics?" + urlencode({"token": calendar_token(ctx.review_token or "")}),
                folder=os.path.dirname(os.path.abspath(ctx.calendar_path)))
    pubs = publications(room)
    return plan_page(room, pubs, _ledger_rows(ctx, [p.key for p in pubs]))


_drafts: dict[str, tuple[str, Any]] = {}  # calendar path -> (digest of the text read, its draft check)


def _draft(ctx: WebContext) -> tuple[Calendar, list[Any], bool]:
    """The calendar file as planners left it, why the engine refuses it, and whether it loads: a
    post too long for its network is shown with its overflow (the engine refuses such a file and
    keeps its last good calendar, which is shown when the file does not load at all).  A file that
    loads is not "broken on disk", whatever the server's own last good copy last said (it is read
    again only when asked for: a fixed file left its banner up)."""
    from campaigns.errors import Code

    _digest, disk = _checked(ctx)
    if disk.value is None or disk.errors:
        return ctx.calendar(), [], False
    return disk.value, [p for p in disk.warnings if p.code == Code.TOO_LONG], True  # errors to the engine


def _checked(ctx: WebContext) -> tuple[str, Any]:
    """The digest of the calendar file's text and its draft check (None when it cannot be read),
    checked again only when its text changed.  A version the engine would run (no error, no post
    too long) becomes the server's last good calendar: a broken save after it shows it, not the
    copy the server started with."""
    import hashlib

    from campaigns.calendar import CalendarResult, check
    from campaigns.errors import CalendarError, Code
    from campaigns.yamlsource import read_file

    from .context import _stamp

    path = ctx.calendar_path
    stamp = _stamp(path)  # before the read: a save after it is read again by the server's copy
    try:
        text = read_file(path)
    except CalendarError as exc:
        return "", CalendarResult(None, exc.problems)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    known = _drafts.get(path)
    if known is not None and known[0] == digest:
        return digest, known[1]
    with _checking:  # one check at a time: a request that comes while one runs waits for its result
        known = _drafts.get(path)
        if known is not None and known[0] == digest:
            return digest, known[1]
        disk = check(path, text=text, draft=True, incremental=True)  # each unchanged post reused
        _drafts.clear()  # one file's last draft: a server serves one calendar
        _drafts[path] = (digest, disk)
    if disk.value is not None and not disk.errors and not any(p.code == Code.TOO_LONG for p in disk.warnings):
        ctx.adopt_calendar(stamp, disk.value)
    return digest, disk


_checking = threading.Lock()


class Warm:
    """The calendar check of :func:`_checked` (or ``check``), run in a thread of its own when the
    server starts and again after each save (the file's stamp polled every :attr:`interval`
    seconds), so that a page finds it done, or waits for the one under way.  ``ready`` is set
    after each run.  Closing the context stops the thread (:meth:`close`)."""

    interval = 1.0
    patience = 2.0  # seconds a close waits for a check under way (it ends on its own after it)

    def __init__(self, ctx: WebContext, check: Callable[[WebContext], Any] | None = None):
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._kick = threading.Event()
        self.check = check or _checked
        self.thread = threading.Thread(target=_warm_loop, args=(weakref.ref(ctx), self), name="herald-review-warm",
                                       daemon=True)
        self.thread.start()

    def poke(self) -> None:
        """Look at the file now (not at the next poll)."""
        self._kick.set()

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()

    def close(self) -> None:
        """Stop the thread and wait for it, at most :attr:`patience` seconds (a check under way
        is not cut short: it ends, then the thread, on its own)."""
        self.stop()
        if self.thread is not threading.current_thread():
            self.thread.join(self.patience)


def _warm_loop(ref: weakref.ref[WebContext], warm: Warm) -> None:
    from .context import _stamp

    seen: object = ()
    while not warm._stop.is_set():
        ctx = ref()
        if ctx is None:
            return
        stamp = _stamp(ctx.calendar_path)
        if stamp != seen:
            seen = stamp
            try:
                warm.check(ctx)
            except Exception as exc:  # noqa: BLE001 - a page will say it; the log says the warm-up failed
                logging.getLogger("herald.web").warning("the review room could not check the calendar ahead: %s",
                                                        f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            warm.ready.set()
        del ctx
        warm._kick.wait(warm.interval)
        warm._kick.clear()


def warm(ctx: WebContext, check: Callable[[WebContext], Any] | None = None) -> Warm | None:
    """The review room's warm-up (None when the room is off), stopped when ``ctx`` closes."""
    if not ctx.review_token:
        return None
    found = Warm(ctx, check)
    ctx.on_close(found.close)
    return found


def _window(request: Request, calendar: Calendar, now: datetime) -> Window:
    view = request.query_params.get("view", "week")
    if view not in VIEWS:
        raise BadFilter(f"view={_shown(view)}: choose {', '.join(sorted(VIEWS))}")
    text = request.query_params.get("from")
    today = now.astimezone(calendar.brand.tz).date()
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        raise BadFilter(f"from={_shown(text or '')}: not a date; write a date like {today.isoformat()}") from None
    if abs((day - today).days) > WINDOW_YEARS * 366:
        raise BadFilter(f"from={_shown(text or '')}: too far from today; choose a date within {WINDOW_YEARS} years of "
                        f"{today.isoformat()}")
    return Window.around(view, day)


def _filters(request: Request, calendar: Calendar) -> Filters:
    from campaigns.model import STATUS_KINDS

    kinds = sorted({str(p.kind) for p in calendar.posts} | {str(k) for k in STATUS_KINDS})
    return Filters(_choice(request, "campaign", sorted(calendar.campaigns)),
                   _choice(request, "network", list(calendar.networks)), _choice(request, "kind", kinds))


def _status(ctx: WebContext, calendar: Calendar) -> Status:
    """The status file's last good version; read against ``calendar`` when no engine-valid
    calendar has been loaded yet (a first draft still shows its incidents and maintenance)."""
    from campaigns.errors import InvalidInput
    from status.load import check, loads

    try:
        return ctx.status()
    except InvalidInput:
        checked = check(ctx.status_path, calendar) if os.path.exists(ctx.status_path) else None
        return checked.value if checked is not None and checked.value is not None else loads("", calendar)


def _ledger_rows(ctx: WebContext, keys: list[str]) -> dict[str, Any]:
    import logging

    try:
        ledger = ctx.existing_ledger()
        if ledger is None or not keys:
            return {}
        from ..ledger.reads import records

        return records(ledger.db, keys)
    except Exception as exc:  # the ledger down: the plan is still worth reviewing
        logging.getLogger("herald.web").warning("ledger unavailable for the review room: %s", exc)
        return {}


def media(ctx: WebContext, request: Request) -> Response:
    """A post's image file, for its preview: only an image file inside the calendar's folder
    (:func:`scheduler.render.previews.media_path`), behind the room's sign-in."""
    from ..render.previews import MEDIA_LIMIT, MEDIA_TYPES, media_path

    found = media_path(os.path.dirname(os.path.abspath(ctx.calendar_path)), request.query_params.get("path", ""))
    if found is None or os.path.getsize(found) > MEDIA_LIMIT:
        return PlainTextResponse("No such image next to the calendar.", status_code=404)
    with open(found, "rb") as fh:
        data = fh.read(MEDIA_LIMIT + 1)
    return Response(data, media_type=MEDIA_TYPES[os.path.splitext(found)[1].lower()],
                    headers={"cache-control": "private, max-age=60", "content-security-policy": MEDIA_CSP})


# -- the status site's ops side: deliveries, holds, alerts ----------------------------------
def deliveries(ctx: WebContext, request: Request) -> str:
    """Per incident (drafts too) and window, what the ledger says of its announcements and of the
    posts held during it, and the pauses in force: what the public pages leave out."""
    from ..render.sitedata import site_data

    now = ctx.clock.now()
    pauses: list[Any] = []

    def ledger() -> Any:
        found = ctx.existing_ledger()
        if found is not None:
            pauses.extend(found.active_pauses(now))
        return found

    data = site_data(ctx.calendar(), ctx.status(), now, ledger, held_for="*", posts=False)
    return status_page(data, pauses)


# -- the diff: the file on disk against the running calendar, or against a git revision --------------
_diff_pages: dict[str, str] = {}  # what the pages were made of (see diff) -> the page
_other_sides: dict[str, tuple[Calendar | None, list[str]]] = {}  # the other side's text's digest -> it, checked
DIFF_PAGES = 4  # pages kept: a few bases (the running calendar, main, a tag) over one file


def diff(ctx: WebContext, request: Request) -> str:
    """The file on disk against the calendar the engine runs, or, with ``?base=REV``, against the
    calendar file in that git revision of the repository holding it (a branch, tag or commit: the
    engine reloads a saved file within a second, so while it runs the first diff is empty).  The
    page is made once for each file text, other side's text, maintenance windows and minute (the
    window starts at the minute): a repeated request, nothing changed, is the page made before."""
    import hashlib

    from campaigns.yamlparts import keep_newest

    base = _base(request)
    digest_disk, disk = _checked(ctx)
    loaded = disk.value if disk.value is not None and not disk.errors else None
    now = ctx.clock.now().replace(second=0, microsecond=0)
    base_name, digest, text, base_errors = _other_text(ctx, base)
    windows = _maintenance(ctx) if loaded is not None else []
    other_digest = hashlib.sha256((text or "").encode("utf-8", "surrogatepass")).hexdigest()
    key = repr((ctx.calendar_path, digest_disk, base_name, digest, other_digest, base_errors, now.isoformat(),
                windows))
    made = _diff_pages.get(key) if loaded is not None else None  # one read: another thread may evict it
    if made is not None:
        return made
    other, errors = _other_side(ctx, base_name, other_digest, text)
    if base is None and errors:
        digest = errors[0]
    base_errors = base_errors or (errors if base is not None else [])
    shown = loaded or other or _last_good(ctx)
    page = diff_page(Diff(ctx.calendar_path, now, loaded, [str(p) for p in disk.errors], other, digest,
                          shown, base_name, base_errors, windows))
    if loaded is not None:
        keep_newest(_diff_pages, key, page, DIFF_PAGES)
    return page


def _other_text(ctx: WebContext, base: str | None) -> tuple[str, str, str | None, list[str]]:
    """The other side as read: its name ("" for the running calendar), the running calendar's
    digest, its text and why it cannot be read."""
    if base is None:
        return ("", *_running_text(ctx), [])
    return _revision_text(ctx, base)


def _other_side(ctx: WebContext, name: str, digest: str, text: str | None) -> tuple[Calendar | None, list[str]]:
    """The other side's text checked (once per text): the calendar, or why it does not load (for
    the running calendar, "unreadable (the error's type)")."""
    from campaigns.calendar import check
    from campaigns.yamlparts import keep_newest

    if text is None:
        return None, []
    key = f"{name}\n{digest}"
    found = _other_sides.get(key)  # one read: another thread may evict it between a test and a read
    if found is None:
        try:
            result = check(name or ctx.calendar_path, text, draft=bool(name))
        except Exception as exc:  # an unreadable record: say so instead of guessing
            found = None, [f"unreadable ({type(exc).__name__})"]
        else:
            if result.value is None or result.errors:
                problems = [str(p) for p in result.errors or result.problems]
                found = None, problems if name else ["unreadable (CalendarError)"]
            else:
                found = result.value, []
        keep_newest(_other_sides, key, found, DIFF_PAGES)
    return found


_ABSOLUTE = re.compile(r"(?<![\w.~-])/[^\s'\"()]*")


def _unplaced(message: str, folder: str) -> str:
    """A git error as a 400 says it: without where the server keeps the calendar (its folder,
    or any absolute path)."""
    message = message.replace(f"the git repository at {folder}", "the calendar's git repository")
    return _ABSOLUTE.sub("(the calendar's folder)", message.replace(folder, "(the calendar's folder)"))


def _once(request: Request) -> None:
    """A 400 for a query parameter given more than once (the page would otherwise take one of them)."""
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name in seen:
            raise BadFilter(f"{_shown(name)}: given more than once; give it once")
        seen.add(name)


def _base(request: Request) -> str | None:
    """``?base=``: a revision name (:data:`scheduler.gitrev.REVISION`: never an option, never a
    range), or None; anything else is a 400."""
    from ..gitrev import is_revision_name

    value = request.query_params.get("base") or None
    if value is not None and not is_revision_name(value):
        raise BadFilter(f"base={_shown(value)}: not a revision name; give a branch, tag or commit such as main, "
                        "HEAD~1 or v1.2")
    return value


def _revision_text(ctx: WebContext, rev: str) -> tuple[str, str, str | None, list[str]]:
    """The calendar file in revision ``rev`` of the repository holding it: its name (REV:PATH), "",
    its text (None when the revision has no such file) and why it cannot be read.  A revision the
    repository does not have, or a calendar outside any repository, is a 400."""
    from campaigns.errors import InvalidInput, UsageError
    from campaigns.yamlsource import MAX_BYTES, decode

    from .. import gitrev
    from ..errors import RevisionNotFound, RuntimeFailure

    folder = os.path.dirname(os.path.abspath(ctx.calendar_path))
    try:
        where = gitrev.revision(rev, folder, os.path.basename(ctx.calendar_path))
        gitrev.commit_of(rev, folder)  # (an unknown revision is the query's mistake: a 400)
    except (UsageError, RevisionNotFound, RuntimeFailure) as exc:
        raise BadFilter(f"base={_shown(rev)}: {_unplaced(str(exc), folder)}") from None
    try:
        return where.name, "", decode(gitrev.read(where, MAX_BYTES), where.name), []
    except RevisionNotFound:
        return where.name, "", None, []  # the revision has no calendar yet: everything is new
    except InvalidInput as exc:
        return where.name, "", None, [str(p) for p in exc.problems]


def _maintenance(ctx: WebContext) -> list[Any]:
    """The maintenance windows the status file announces (its last good version; none if it never loaded)."""
    from campaigns.calendardiff import Window

    try:
        status = ctx.status()
    except Exception:  # noqa: BLE001 - a status file that never loaded: no windows to flag
        return []
    return [Window(m.id, m.title, m.starts, m.ends) for m in status.maintenance if not m.cancelled]


def _running_text(ctx: WebContext) -> tuple[str, str | None]:
    """The digest and text of the calendar an engine last recorded that it runs (or why it is unreadable)."""
    try:
        ledger = ctx.existing_ledger()
        if ledger is not None:
            from ..ledger.reads import running_calendar

            found = running_calendar(ledger.db)
            if found is not None:
                return found
    except Exception as exc:  # an unreadable record: say so instead of guessing
        return f"unreadable ({type(exc).__name__})", None
    return "", None


def _last_good(ctx: WebContext) -> Calendar | None:
    try:
        return ctx.calendar()
    except Exception:  # nothing loads at all: the page still says why
        return None
