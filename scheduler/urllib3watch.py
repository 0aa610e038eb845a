"""The one place that reaches into urllib3's and requests' connection machinery (urllib3 2.x,
requests 2.x), for the total deadline of :mod:`scheduler.http`: every socket a request uses is
handed to an observer (the request's watch), which shuts it down when the deadline passes.

What it relies on, beyond their documented API:

- urllib3's ``HTTPConnection._new_conn`` (private): the one method that opens a connection's
  socket; overridden to hand the socket over;
- urllib3's ``PoolManager.pool_classes_by_scheme`` (undocumented): the pool class per scheme,
  replaced on the managers of a requests ``HTTPAdapter`` (``poolmanager``, ``proxy_manager``)
  and on those ``proxy_manager_for`` makes later (wrapped on the adapter instance).

``pyproject.toml`` bounds urllib3 (``<3``); :func:`check` says what a release no longer has,
:func:`instrument` refuses to go on without it (a deadline that silently stopped holding would be
worse than an error), and ``tests/test_adapters.py`` runs both, so the release that changes any
of it fails there, loudly.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from campaigns.errors import LibraryChanged

KNOWN = "urllib3 2.x with requests 2.x"


class Observer(Protocol):
    """A request's watch: told of each socket, and whether bytes may have left."""

    sent: bool

    def register(self, sock: Any) -> None: ...


Pools = dict[str, type[HTTPConnectionPool]]


def watched_pools(current: Callable[[], Observer | None]) -> Pools:
    """Pool classes (by scheme) whose connections hand each socket to ``current()``'s observer,
    when there is one (none: a plain connection)."""

    class Watched(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            observer = current()
            if observer is not None:
                observer.register(sock)
            return sock

        def request(self, *args: Any, **kwargs: Any) -> None:
            observer = current()
            if observer is not None:
                if self.sock is None:
                    self.connect()  # now, so that a failure to connect is known to have sent nothing
                else:  # a kept-alive connection: watch it for this request
                    observer.register(self.sock)
                observer.sent = True
            super().request(*args, **kwargs)

    class WatchedHTTPS(Watched, HTTPSConnection):
        pass

    class Pool(HTTPConnectionPool):
        ConnectionCls = Watched

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPS

    return {"http": Pool, "https": HTTPSPool}


def instrument(adapter: Any, pools: Pools) -> None:
    """Make a requests ``HTTPAdapter``'s pools (its proxies' too, later ones included) use
    ``pools`` (once per adapter; any other adapter is left as it is)."""
    if not isinstance(adapter, HTTPAdapter) or getattr(adapter, "_herald_watched", False):
        return
    require()
    for manager in [adapter.poolmanager, *adapter.proxy_manager.values()]:
        if manager is not None:
            manager.pool_classes_by_scheme = pools
            manager.clear()  # pools made before now have the plain connection class
    original = adapter.proxy_manager_for

    def proxy_manager_for(proxy: str, **kwargs: Any) -> Any:
        manager = original(proxy, **kwargs)
        if getattr(manager, "pool_classes_by_scheme", None) is not pools:
            manager.pool_classes_by_scheme = pools
        return manager

    adapter.proxy_manager_for = proxy_manager_for  # type: ignore[method-assign]
    adapter._herald_watched = True  # type: ignore[attr-defined]


def check() -> list[str]:
    """What the installed urllib3 and requests lack of what :func:`instrument` relies on (empty:
    all there)."""
    missing = []
    if not callable(getattr(HTTPConnection, "_new_conn", None)):
        missing.append("urllib3.connection.HTTPConnection._new_conn")
    for pool in (HTTPConnectionPool, HTTPSConnectionPool):
        if not isinstance(getattr(pool, "ConnectionCls", None), type):
            missing.append(f"urllib3.connectionpool.{pool.__name__}.ConnectionCls")
    schemes = getattr(PoolManager(), "pool_classes_by_scheme", None)
    if not isinstance(schemes, dict) or not {"http", "https"} <= set(schemes):
        missing.append("urllib3.PoolManager().pool_classes_by_scheme, a dict with http and https")
    adapter = HTTPAdapter()
    try:
        if not isinstance(getattr(adapter, "poolmanager", None), PoolManager):
            missing.append("requests.adapters.HTTPAdapter().poolmanager, a urllib3 PoolManager")
        if not isinstance(getattr(adapter, "proxy_manager", None), dict):
            missing.append("requests.adapters.HTTPAdapter().proxy_manager, a dict")
        if not callable(getattr(adapter, "proxy_manager_for", None)):
            missing.append("requests.adapters.HTTPAdapter.proxy_manager_for")
    finally:
        adapter.close()
    return missing


@lru_cache(maxsize=1)
def require() -> None:
    """Raise LibraryChanged, naming what is missing and the releases installed, if :func:`check`
    finds anything: without it no request would have its deadline."""
    missing = check()
    if missing:
        from importlib.metadata import version

        raise LibraryChanged(f"urllib3 {version('urllib3')} with requests {version('requests')} lacks what "
                             f"Herald's HTTP deadline relies on ({'; '.join(missing)}): it knows {KNOWN}; "
                             "pip install 'urllib3>=2.0,<3'")
