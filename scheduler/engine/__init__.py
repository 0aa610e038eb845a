"""The engine decides what is due and acts on it, with no timer in it: every call takes ``now``.

One path in, the way huey and rq have one obvious job path:

- :meth:`Engine.due` what is due at ``now`` (for one account, or all): planned publications
  without a ledger row, retries whose time came, expired claims and claims of engines that
  died (on this host, or whose heartbeat and lock session the daemon saw end), and held rows
  that no pause or incident holds any more;
- :meth:`Engine.run_due` acts on them: the only way anything is sent (``herald run --once``
  calls it once, the daemon per account whenever the timer fires, ``herald simulate`` on a
  fake clock);
- :meth:`Engine.next_wakeup` says when something next becomes due: what the daemon waits for;
- :meth:`Engine.swap` puts a reloaded calendar, status or set of publishers in place at once,
  under the engine's lock.
- :meth:`Engine.stop` (SIGTERM) closes the gate every send passes: no new send starts, however
  long the backlog; the sends on the wire finish and are recorded; the rest stays due.

Every policy is here, none in ``scheduler.daemon`` (which waits, watches the files, keeps
company with its peers and hosts the site, and calls :meth:`Engine.run_due`), so every policy
is tested in milliseconds with a fake clock and the in-memory network.

For one due publication, :meth:`Engine.fire` runs the named steps of :data:`pipeline.FIRE` in
order, each one decision, the first that decides ending it (``python -m scheduler.engine
--steps`` prints them).  Its outcome is published on :attr:`Engine.events`, where any number
of listeners subscribe.

The modules: ``model`` (timings, :class:`Result`, :class:`Outcome`, :class:`Due`, :class:`View`),
``planning`` (the plan, :meth:`Engine.swap`, what is due), ``pipeline`` (the steps in order),
``steps`` and ``send`` (the steps), ``voice`` (the voice guide), ``gate`` (stopping),
``events`` (the listeners), ``core`` (:class:`Engine` and acting on what is due).
"""

from .core import Engine, release_one
from .events import Event, Events, Listener
from .model import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    HORIZON,
    LEASE,
    LOOKBACK_CAP,
    QUIET,
    REPLAN,
    SETTLE,
    THREAD_WAIT,
    Cause,
    Due,
    Outcome,
    Result,
    View,
    backoff,
    item_of,
)
from .planning import owner_is_gone

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "Cause", "HORIZON", "LEASE", "LOOKBACK_CAP", "QUIET", "REPLAN", "SETTLE",
           "THREAD_WAIT", "Due", "Engine", "Event", "Events", "Listener", "Outcome", "Result", "View", "backoff",
           "item_of", "owner_is_gone", "release_one"]
