"""Web commands: serve (the status site, the review room, the intake) and export-site.

``herald serve`` renders every page from the files and the ledger (cached until what it shows
changes), so any number of servers show the same site; it binds 127.0.0.1 unless ``--bind``
says otherwise.
``herald export-site DIR`` writes the same pages, by the same renderer (:mod:`scheduler.render`,
without the server), as static files.
"""

from __future__ import annotations

import argparse
import errno
import socket
from typing import TYPE_CHECKING, Any

from campaigns.errors import UsageError

from ..errors import RuntimeFailure
from .common import (
    ExitStatus,
    calendar_option,
    ledger_exists,
    ledger_url,
    open_ledger,
    say,
    state_option,
    status_option,
)

if TYPE_CHECKING:
    from ..clock import Clock

DEFAULT_BIND = "127.0.0.1:8080"


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the status site (and the review room) over HTTP")
    calendar_option(p)
    status_option(p)
    state_option(p)
    p.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT",
                   help=f"where to listen (default {DEFAULT_BIND}: this machine only)")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("export-site", help="write the status site as static files for any web host")
    p.add_argument("-o", "--output", metavar="DIR", help="the folder to write (created; files in it are replaced)")
    p.add_argument("directory", metavar="DIR", nargs="?",
                   help="as -o DIR (the older form, still taken; give one of the two)")
    calendar_option(p)
    status_option(p)
    state_option(p)
    p.set_defaults(handler=cmd_export_site)


def can_serve(bind: str) -> None:
    """`herald run --serve HOST:PORT`: a bad address or a short token is refused before the engine
    starts anything (asked to serve, the site is not optional)."""
    from ..web.context import check_tokens

    parse_bind(bind, "--serve")
    check_tokens()


def parse_bind(text: str, option: str = "--bind") -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{option} {text!r}: write HOST:PORT, e.g. {DEFAULT_BIND}")
    return host.strip("[]"), int(port)


def listen(text: str, option: str = "--bind") -> socket.socket:
    """A socket bound at ``HOST:PORT``, for the server to accept on: an address this machine does
    not have is a UsageError (exit 2), a port in use or not ours to take a RuntimeFailure (exit 3),
    each in one line and before anything says it serves (the server is handed this socket, so
    nothing can take the port in between)."""
    host, port = parse_bind(text, option)
    if _dotted(host):  # 256.1.1.1 is no address, and no name to ask a resolver about
        raise UsageError(f"{option} {text!r}: {host} is not an IP address; write HOST:PORT, e.g. {DEFAULT_BIND}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError):
        raise UsageError(f"{option} {text!r}: {host} is neither an address nor a name of this machine; "
                         f"write HOST:PORT, e.g. {DEFAULT_BIND}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn would: a restart rebinds at once
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise _bind_error(text, option, host, port, exc) from None
    return sock


def _dotted(host: str) -> bool:
    """Digits and dots that are no IPv4 address."""
    import ipaddress

    if not host.replace(".", "").isdigit():
        return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return True
    return False


def _bind_error(text: str, option: str, host: str, port: int, exc: OSError) -> Exception:
    if exc.errno == errno.EADDRNOTAVAIL:
        return UsageError(f"{option} {text!r}: {host} is not an address of this machine; "
                          f"write HOST:PORT, e.g. {DEFAULT_BIND}")
    if exc.errno == errno.EADDRINUSE:
        return RuntimeFailure(f"{option} {text}: cannot listen there: port {port} is in use (another server "
                              "listens there)")
    if exc.errno == errno.EACCES:
        return RuntimeFailure(f"{option} {text}: cannot listen there: port {port} needs privileges this "
                              "user has not; choose one above 1023")
    return RuntimeFailure(f"{option} {text}: cannot listen there ({exc.strerror or exc})")


def chosen_folder(args: argparse.Namespace) -> str:
    """The folder export-site writes: ``-o DIR`` (as export-ical's ``-o FILE``) or, as before, a
    positional DIR; one of the two, never both."""
    if args.output is not None and args.directory is not None:
        raise UsageError(f"export-site: give the folder once, as -o DIR (not both -o {args.output} and "
                         f"{args.directory})")
    if args.output is None and args.directory is None:
        raise UsageError("export-site: which folder? write -o DIR, e.g. herald export-site -o public/")
    return str(args.output if args.output is not None else args.directory)


def usable_ledger(args: argparse.Namespace) -> None:
    """Open the ledger once before serving or exporting, as `herald run` does: a PostgreSQL
    ledger without the postgres extra is a MissingExtra (exit 2), one that does not answer a
    LedgerError (exit 3), a SQLite ledger that was deleted a BrokenLedger, each one line, instead
    of a warning and a site that shows nothing was sent.  A SQLite ledger not made yet is no
    error (reading never creates one)."""
    from ..ledger import WEB_TIMEOUTS

    if ledger_exists(ledger_url(args)):
        open_ledger(args, timeouts=WEB_TIMEOUTS).close()


def context(args: argparse.Namespace, clock: Clock) -> Any:
    from ..logformat import set_zone
    from ..web.context import WebContext

    ctx = WebContext.from_environment(args.calendar, args.status, ledger_url(args), clock)
    set_zone(ctx.calendar().brand.tz)  # a broken calendar stops here; its log is in the brand's zone, as the engine's
    ctx.status()
    return ctx


def cmd_serve(args: argparse.Namespace, clock: Clock) -> int:
    from ..web.app import create_app, serve

    host, port = parse_bind(args.bind)
    ctx = context(args, clock)  # a short review token, a broken calendar: refused before the port is taken
    try:
        usable_ledger(args)
        sock = listen(args.bind)
        try:
            server = serve(create_app(ctx), host, port)
            say(f"serving the status site at http://{host}:{port}/ (Ctrl-C stops)")
            server.run(sockets=[sock])
        finally:
            sock.close()
    finally:
        ctx.close()
    return ExitStatus.OK


def cmd_export_site(args: argparse.Namespace, clock: Clock) -> int:
    """The site's files, rendered as ``herald serve`` renders them (the renderers themselves,
    no server): the files' last good versions, and what the ledger beside them says."""
    args.directory = chosen_folder(args)  # before any work: a refusal writes nothing
    import os

    from campaigns.calendar import check

    from ..ledger import WEB_TIMEOUTS, Ledger
    from ..logformat import set_zone
    from ..render.site import Renderer, brand_css, logo_path
    from ..render.sitedata import site_data

    site_folder(args.directory, (args.calendar, args.status))
    calendar = _loaded(check(args.calendar))
    set_zone(calendar.brand.tz)  # its log in the brand's zone, as the engine's
    status = _status(args.status, calendar)
    usable_ledger(args)
    url, opened = ledger_url(args), []

    def ledger() -> Ledger | None:
        """The ledger beside the calendar, if an engine made one (reading never creates one)."""
        if not ledger_exists(url):
            return None
        opened.append(Ledger(url, timeouts=WEB_TIMEOUTS))
        return opened[-1]

    try:
        renderer = Renderer(site_data(calendar, status.public(), clock.now(), ledger, held_for="*"))
        files = write_site(args.directory, renderer, brand_css(calendar.brand.color),
                           logo_path(args.calendar, calendar.brand.logo))
    finally:
        for found in opened:
            found.close()
    say(f"wrote {len(files)} files to {os.path.abspath(args.directory)}")
    return ExitStatus.OK


def _status(path: str, calendar: Any) -> Any:
    """The status file read against ``calendar`` (none yet: an empty status), as the server reads it."""
    import os

    from status.load import check, loads

    if not os.path.exists(path):
        return loads("", calendar, path)
    return _loaded(check(path, calendar))


def _loaded(result: Any) -> Any:
    """The file a check loaded, or its problems raised as the server raises them (InvalidInput)."""
    from campaigns.errors import InvalidInput

    if not result.ok:
        raise InvalidInput(result.errors or result.problems)
    return result.value


SITE_MARKER = ".herald-site"  # in a folder export-site wrote: its files may be replaced


def site_names() -> frozenset[str]:
    """What an export writes at the folder's top: the renderer's names (its SITE_TOP) and the marker."""
    from ..render.site import SITE_TOP

    return SITE_TOP | {SITE_MARKER}


def site_folder(directory: str, inputs: tuple[str, ...]) -> None:
    """Refuse a folder export-site must not write into, before anything is read or written: no
    name, a file, a folder that cannot be made, the calendar's or status file's own folder, or
    a folder holding other files than a previous export's (one without :data:`SITE_MARKER`)."""
    import os

    if not directory.strip():
        raise UsageError("herald export-site: give the folder to write, e.g. herald export-site -o public/")
    if os.path.lexists(directory) and not os.path.isdir(directory):
        from campaigns.yamlsource import not_a_file

        kind = "a file" if os.path.isfile(directory) else not_a_file(os.lstat(directory).st_mode)
        raise UsageError(f"{directory}: is {kind}, not a folder")
    if not os.path.isdir(directory):  # made when the site is written (nothing is made for a refused command)
        return
    here = os.path.realpath(directory)
    held = [os.path.basename(p) for p in inputs if os.path.dirname(os.path.realpath(p)) == here]
    if held:
        raise UsageError(f"{directory}: holds {' and '.join(held)}; the site goes in a folder of its own, "
                         "e.g. herald export-site -o public/")
    other = sorted(set(os.listdir(directory)) - site_names())
    if other and not os.path.isfile(os.path.join(directory, SITE_MARKER)):
        listed = ", ".join(other[:3]) + (", …" if len(other) > 3 else "")
        raise UsageError(f"{directory}: holds other files than a site export ({listed}); give an empty or new "
                         "folder, e.g. herald export-site -o public/")


def write_site(directory: str, renderer: Any, css: str, logo: str | None) -> list[str]:
    """Every file of the site under ``directory`` (each written atomically), and its marker
    (:data:`SITE_MARKER`); the site's paths."""
    import os

    from ..files import make_folder, write_atomic

    image = None
    if logo:
        with open(logo, "rb") as fh:
            image = fh.read()
    files = renderer.site_files(css, image)
    try:
        make_folder(directory)
    except OSError as exc:
        raise UsageError(f"{directory}: cannot make this folder ({exc.strerror})") from None
    for name, body in files.items():
        write_atomic(os.path.join(directory, name), body)
    write_atomic(os.path.join(directory, SITE_MARKER), "written by herald export-site: its files are replaced "
                                                       "by the next export\n")
    return sorted(files)
