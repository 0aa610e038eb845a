"""The planners' review room: ``/review`` (a week or a month of every publication, per network,
as it will look) and ``/review/diff`` (what saving the calendar on disk would change).

Behind ``HERALD_REVIEW_TOKEN``: a sign-in form POSTs the token (never in an address, so never
in a proxy's log or the browser's history) with a CSRF token (a double-submit cookie, and the
browser's Origin must name this server); it sets an HttpOnly, SameSite=Strict session cookie
scoped to ``/review`` (Secure over https) holding an HMAC under the token, valid 12 hours, and
redirects to a relative address; comparisons are constant-time.  Bad query values (an unknown
view, a date that is not one or is too far away) are a 400 with a sentence.  Read-only: no endpoint
here changes anything.  Every page is rendered on the server in the brand's time zone (correct
without JavaScript) from the calendar and status files' last good versions and the ledger:

- each publication: time, network, post, kind, campaign, variant *n/m*, the rendered text
  (links with their UTM tags), image and alt text, thread position, its length against the
  network's budget with the overflow marked, the voice guide's findings, and what the ledger
  says (sent with a link to the remote post, held, skipped, dead, and why), or that an open
  major incident will hold it;
- incidents and maintenance windows overlaid on the days they touch;
- filters by campaign, network and kind (an unknown value is a 400 with a suggestion).
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from .context import REVIEW_TOKEN_ENV, WebContext, calendar_token

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from campaigns.plan import Publication
    from status.model import Status

COOKIE = "herald_review"
VIEWS = {"week": 7, "month": 0}  # a month's length depends on the month
DIFF_DAYS = 28
WINDOW_YEARS = 10  # /review?from= within this many years of today (planning further is not reviewing)


SESSION_HOURS = 12  # a sign-in lasts this long
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
                body = page(ctx, request)
            except BadFilter as exc:
                return PlainTextResponse(str(exc), status_code=400)
            return HTMLResponse(body, headers={"cache-control": "no-store"})
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

    return [Route("/review", guarded(review_page)), Route("/review/diff", guarded(diff_page)),
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

    from .render import _environment

    csrf = secrets.token_urlsafe(32)
    html = _environment().get_template("review_login.html").render(message=message, csrf=csrf,
                                                                   next=_safe_next(next_path))
    response = HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/review",
                        secure=request.url.scheme == "https")
    return response


class BadFilter(ValueError):
    """A query parameter that names nothing the calendar has (a 400 with a suggestion)."""


def _choice(request: Request, name: str, known: list[str]) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in known:
        from campaigns.schemacheck import did_you_mean

        hint = did_you_mean(value, known) or f"known: {', '.join(known) or 'none'}"
        raise BadFilter(f"{name}={value}: not in the calendar ({hint})")
    return value


# -- the week or month -------------------------------------------------------------------
@dataclass
class Card:
    """One publication as the review room shows it."""

    pub: Publication
    local: datetime
    origin: str  # calendar or status
    fits: str  # the text up to the budget
    overflow: str  # what goes past it (marked)
    budget: str  # "144/280 characters", or "212 characters" where there is no limit
    over: bool
    findings: list[Any] = field(default_factory=list)
    ledger: str = ""  # sent, held, skipped, dead, retrying, claimed; "" when not yet due
    why: str = ""
    remote_url: str = ""
    hold: str = ""  # an open incident that will hold it
    image: dict[str, str] | None = None
    thread: str = ""


def _window(request: Request, calendar: Calendar, now: datetime) -> tuple[str, date, date]:
    view = request.query_params.get("view", "week")
    if view not in VIEWS:
        raise BadFilter(f"view={view}: choose week or month")
    text = request.query_params.get("from")
    today = now.astimezone(calendar.brand.tz).date()
    try:
        day = date.fromisoformat(text) if text else today
    except ValueError:
        raise BadFilter(f"from={text}: not a date; write a date like {today.isoformat()}") from None
    if abs((day - today).days) > WINDOW_YEARS * 366:
        raise BadFilter(f"from={text}: too far from today; choose a date within {WINDOW_YEARS} years of "
                        f"{today.isoformat()}")
    if view == "week":
        first = day - timedelta(days=day.weekday())
        return view, first, first + timedelta(days=7)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return view, first, following


def review_page(ctx: WebContext, request: Request) -> str:
    from campaigns.calendar import check
    from campaigns.lint import checker_for
    from campaigns.model import STATUS_KINDS
    from campaigns.plan import plan
    from status.announce import announcements, holding_incident

    from .render import _environment

    now = ctx.clock.now()
    # the file as planners left it: a post too long for its network is shown with its overflow
    # (the engine refuses such a file and keeps its last good calendar, which shows otherwise)
    disk = check(ctx.calendar_path, draft=True)
    calendar = disk.value if disk.value is not None and not disk.errors else ctx.calendar()
    refused = [str(p) for p in disk.warnings if "is too long for" in p.message] if calendar is disk.value else []
    status = _status(ctx, calendar)
    tz = calendar.brand.tz
    view, first, following = _window(request, calendar, now)
    start = datetime.combine(first, time(0), tz)
    end = datetime.combine(following, time(0), tz)
    campaign = _choice(request, "campaign", sorted(calendar.campaigns))
    network = _choice(request, "network", list(calendar.networks))
    kind = _choice(request, "kind", sorted({str(p.kind) for p in calendar.posts} | {str(k) for k in STATUS_KINDS}))
    pubs = sorted([*plan(calendar, start, end), *announcements(calendar, status, start, end, now=now)],
                  key=lambda p: (p.at.timestamp(), p.network, p.post))
    pubs = [p for p in pubs if (campaign is None or p.campaign == campaign)
            and (network is None or p.network == network) and (kind is None or str(p.kind) == kind)]
    rows = _ledger_rows(ctx, [p.key for p in pubs])
    checker = checker_for(calendar)
    checked: dict[tuple[str, str], list[Any]] = {}
    cards = []
    for pub in pubs:
        origin = "status" if pub.kind in STATUS_KINDS else "calendar"
        findings: list[Any] = []
        if origin == "calendar":
            key = (pub.text, str(pub.kind))
            if key not in checked:
                camp = calendar.campaigns.get(pub.campaign) if pub.campaign else None
                checked[key] = checker.check(pub.text, pub.kind,
                                             campaign_utm=(camp.utm_campaign or camp.id) if camp else None)
            findings = checked[key]
        cards.append(_card(calendar, status, pub, origin, findings, rows.get(pub.key), now, holding_incident))
    days = []
    for n in range((following - first).days):
        day = first + timedelta(days=n)
        day_start = datetime.combine(day, time(0), tz)
        day_end = day_start + timedelta(days=1)
        days.append({
            "date": day, "label": f"{day:%a %-d %b}", "today": day == now.astimezone(tz).date(),
            "cards": [c for c in cards if c.local.date() == day],
            "incidents": [i for i in status.incidents if i.started < day_end and
                          (not i.resolved or i.updates[-1].at >= day_start)],
            "maintenance": [(m, f"{m.starts.astimezone(tz):%H:%M}–{m.ends.astimezone(tz):%H:%M}")
                            for m in status.maintenance if m.starts < day_end and m.ends > day_start],
        })
    step = timedelta(days=7) if view == "week" else timedelta(days=31)
    base = {k: v for k, v in (("view", view), ("campaign", campaign), ("network", network), ("kind", kind)) if v}

    def link(**changes: Any) -> str:
        query = {**base, **{k: v for k, v in changes.items() if v is not None}}
        query = {k: v for k, v in query.items() if v != ""}
        return "/review" + (f"?{urlencode(query)}" if query else "")

    return _environment().get_template("review.html").render(
        title=f"{calendar.brand.name}: review", brand=calendar.brand, view=view, days=days, zone=tz.key,
        first=first, last=following - timedelta(days=1), count=len(cards),
        over=sum(1 for c in cards if c.over), flagged=sum(1 for c in cards if c.findings),
        held=sum(1 for c in cards if c.hold or c.ledger == "held"),
        previous=link(**{"from": (first - step).isoformat()}), following=link(**{"from": (first + step).isoformat()}),
        week=link(view="week", **{"from": first.isoformat()}), month=link(view="month", **{"from": first.isoformat()}),
        campaigns=sorted(calendar.campaigns), networks=list(calendar.networks),
        kinds=sorted({str(p.kind) for p in calendar.posts}), chosen=base, refused=refused,
        problems={k: v for k, v in ctx.problems().items() if not (refused and k == ctx.calendar_path)},
        subscription="/calendar.ics?" + urlencode({"token": calendar_token(ctx.review_token or "")}),
    )


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


def _card(calendar: Calendar, status: Status, pub: Publication, origin: str, findings: list[Any],
          record: Any, now: datetime, holding: Any) -> Card:
    length = pub.length if pub.limit is not None else None
    text = pub.text
    if length is not None and pub.limit is not None and length > pub.limit:
        excess = length - pub.limit
        cut = max(0, len(text) - excess)  # weighted lengths differ from characters: an honest marker
        fits, overflow, over = text[:cut], text[cut:], True
        budget = f"{length}/{pub.limit} ({excess} over)"
    else:
        fits, overflow, over = text, "", False
        budget = f"{length}/{pub.limit}" if length is not None else f"{len(text)} characters"
    card = Card(pub, pub.at.astimezone(calendar.brand.tz), origin, fits, overflow, budget, over, findings)
    if record is not None:
        card.ledger = str(record.state)
        card.why = record.last_error or ""
        card.remote_url = record.remote_url or ""
    elif origin == "calendar" and pub.at >= now - timedelta(hours=1):
        post = calendar.post(pub.post)
        components = tuple(post.components) if post is not None and hasattr(post, "components") else ()
        incident = holding(calendar, status, str(pub.kind), components, max(now, pub.at))
        if incident is not None and not incident.resolved:
            card.hold = f"held while {incident.title} ({incident.impact}) is open"
    post = calendar.post(pub.post) if origin == "calendar" else None
    if post is not None and post.image:
        card.image = post.image
    if pub.thread_root:
        account = calendar.networks.get(pub.network)
        card.thread = ("a reply in the thread of the first post" if account is None or account.rules.threads
                       else "a separate post that links to the first post")
    elif origin == "status" and pub.incident_state:
        card.thread = "starts the thread"
    return card


# -- the diff between the running calendar and the file on disk ----------------------------
def diff_page(ctx: WebContext, request: Request) -> str:
    from campaigns.calendar import check, loads
    from campaigns.plan import plan

    from .render import _environment

    now = ctx.clock.now()
    disk = check(ctx.calendar_path)
    running = None
    digest = ""
    try:
        ledger = ctx.existing_ledger()
        if ledger is not None:
            from ..ledger.reads import running_calendar

            found = running_calendar(ledger.db)
            if found is not None:
                digest, text = found
                running = loads(text, ctx.calendar_path)
    except Exception as exc:  # an unreadable record: say so instead of guessing
        running, digest = None, f"unreadable ({type(exc).__name__})"
    added: list[Any] = []
    removed: list[Any] = []
    reworded: list[tuple[Any, Any]] = []
    end = now + timedelta(days=DIFF_DAYS)
    if disk.value is not None and not disk.errors:
        new = {p.key: p for p in plan(disk.value, now, end)}
        old = {p.key: p for p in plan(running, now, end)} if running is not None else {}
        added = [p for k, p in new.items() if k not in old]
        removed = [p for k, p in old.items() if k not in new]
        reworded = [(old[k], p) for k, p in new.items() if k in old and old[k].text != p.text]
    calendar = disk.value or running or check(ctx.calendar_path, draft=True).value
    if calendar is None:
        try:
            calendar = ctx.calendar()
        except Exception:  # nothing loads at all: the page still says why
            calendar = None
    brand = calendar.brand if calendar is not None else None
    tz = brand.tz if brand is not None else UTC
    return _environment().get_template("review_diff.html").render(
        title=f"{brand.name if brand else 'Herald'}: what a save would change",
        brand={"name": brand.name if brand else "Herald"}, zone=getattr(tz, "key", "UTC"), tz=tz, days=DIFF_DAYS,
        errors=[str(p) for p in disk.errors], running=running is not None,
        digest=digest, added=added, removed=removed, reworded=reworded, path=ctx.calendar_path,
    )
