"""The steps of :meth:`Engine.fire` from the send on: through the stop gate, reconcile an
ambiguous claim, send, record.  A failure of the network (or a bug in a publisher) raised by
``reconcile`` or ``send`` is kept in the :class:`Firing` and recorded by ``record``: transient
errors retry with exponential backoff and jitter, 429s at the reset time, permanent errors go
``dead`` with the API's message, auth errors stop the account."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from campaigns.model import STATUS_KINDS, Account
from campaigns.networks import LINK_CARD
from campaigns.plan import Publication
from status.announce import headline
from status.model import Incident

from ..errors import AuthFailed, Permanent, PublishError, RateLimited, Transient
from ..ledger import Ledger, Record, State
from ..networks.base import OutgoingPost, RemoteRef
from .model import Cause, Outcome, Result, View, backoff
from .steps import Firing, thread_roots

log = logging.getLogger("herald.engine")


def stop_gate(f: Firing) -> Outcome | None:
    """the engine is stopping: its claim given back unsent, due again at the next start"""
    gate = f.engine.gate
    if gate.enter(f.pub):
        # in flight until its outcome is recorded; the undo holds the publication, never the firing
        # (that would be a cycle: each send's firing, claim and post then wait for the cyclic collector)
        f.cleanup.append(partial(gate.leave, f.pub))
        return None
    # its attempt not counted; an ambiguous claim stays ambiguous, to be reconciled at the next start
    f.engine.ledger.release(f.pub.key, f.engine.owner, f.now)
    return f.announce(Result.STOPPED, "the engine is stopping: due again at its next start", cause=Cause.STOPPING)


def reconcile(f: Firing) -> Outcome | None:
    """an ambiguous claim: reconciled if it arrived; dead if the network cannot tell and must not get it twice"""
    assert f.claim is not None and f.publisher is not None
    post = f.post = outgoing(f.engine.ledger, f.pub, f.view)
    if not f.claim.ambiguous:
        return None
    try:
        found = f.publisher.find_recent(post)
        if found is not None:
            return sent(f, found, Result.RECONCILED)
        if not f.publisher.safe_to_resend:  # cannot be asked, and a re-send could post twice
            return unknown(f, f.claim.record.last_error or "the engine stopped while sending")
    except Exception as exc:  # recorded by ``record``, the way a failed send is
        f.failure = exc
    return None


def send(f: Firing) -> Outcome | None:
    """publish (what the network answers or raises is for record)"""
    assert f.claim is not None and f.publisher is not None and f.post is not None
    if f.failure is not None:
        return None
    log.debug("sending %s to %s (attempt %d)", f.pub.post, f.pub.network, f.claim.record.attempts)
    try:
        f.ref = f.publisher.publish(f.post)
    except Exception as exc:  # every failure, a publisher's bug too, is recorded: never lost
        f.failure = exc
    return None


def record(f: Firing) -> Outcome:
    """sent (remote id); retrying (transient, 429); dead (permanent, out of attempts); blocked (auth)"""
    if f.failure is not None:
        return failed(f, f.failure)
    assert f.ref is not None
    return sent(f, f.ref, Result.SENT)


def failed(f: Firing, exc: Exception) -> Outcome:
    assert f.claim is not None and f.publisher is not None
    engine, pub, now = f.engine, f.pub, f.now
    if isinstance(exc, RateLimited):
        engine.ledger.mark_retry(pub.key, engine.owner, now, exc.detail, exc.retry_at)
        return f.announce(Result.RETRYING, exc.detail, retry_at=exc.retry_at, cause=Cause.NETWORK_RATE_LIMITED)
    if isinstance(exc, Transient):
        if exc.ambiguous and not f.publisher.safe_to_resend:
            return unknown(f, exc.detail)
        return transient(f, exc.detail, exc.retry_after, exc.ambiguous)
    if isinstance(exc, Permanent):
        engine.ledger.mark_dead(pub.key, engine.owner, now, exc.detail)
        log.error("%s on %s is dead: %s", pub.post, pub.network, exc.detail)
        return f.announce(Result.DEAD, exc.detail, cause=Cause.PERMANENT)
    if isinstance(exc, AuthFailed):
        engine.stopped[pub.network] = f"stopped: {exc.detail}"
        engine.ledger.mark_retry(pub.key, engine.owner, now, f"account stopped: {exc.detail}", now)
        log.critical("ACCOUNT %s STOPPED: %s. Nothing more goes to it until its credentials are fixed "
                     "and Herald is restarted; other accounts continue.", pub.network, exc.detail)
        return f.announce(Result.BLOCKED, exc.detail, cause=Cause.AUTH_FAILED)
    if isinstance(exc, PublishError):
        return transient(f, exc.detail, None, True)
    # a bug or an unexpected library error: retry, carefully
    log.error("unexpected error sending %s to %s", pub.post, pub.network, exc_info=exc)
    return transient(f, f"unexpected {type(exc).__name__}: {exc}", None, True)


def unknown(f: Firing, detail: str) -> Outcome:
    """A send that may or may not have arrived, on a network where re-sending could duplicate
    it: dead-lettered for a person to check, never re-sent blindly and never dropped silently."""
    pub = f.pub
    message = (f"delivery unknown ({detail}); {pub.network} cannot be asked and a re-send could post "
               f"twice: check it, and run `herald retry {pub.key}` if it did not arrive")
    f.engine.ledger.mark_dead(pub.key, f.engine.owner, f.now, message)
    log.error("%s on %s: %s", pub.post, pub.network, message)
    return f.announce(Result.DEAD, message, cause=Cause.DELIVERY_UNKNOWN)


def sent(f: Firing, ref: RemoteRef, result: Result) -> Outcome:
    pub = f.pub
    if not f.engine.ledger.mark_sent(pub.key, f.engine.owner, f.now, ref.id, ref.url):
        log.error("sent %s to %s but lost the claim before recording it (remote %s)", pub.post, pub.network, ref.id)
    return f.announce(result, remote_id=ref.id)


def transient(f: Firing, message: str, retry_after: float | None, ambiguous: bool) -> Outcome:
    assert f.claim is not None
    engine, pub, now = f.engine, f.pub, f.now
    attempts = f.claim.record.attempts
    if attempts >= f.view.calendar.engine.max_attempts:
        final = f"gave up after {attempts} attempts: {message}"
        engine.ledger.mark_dead(pub.key, engine.owner, now, final)
        log.error("%s on %s is dead: %s", pub.post, pub.network, final)
        return f.announce(Result.DEAD, final, cause=Cause.OUT_OF_ATTEMPTS)
    delay = backoff(attempts, engine.rng)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    at = now + delay
    engine.ledger.mark_retry(pub.key, engine.owner, now, message, at, ambiguous=ambiguous)
    return f.announce(Result.RETRYING, message, retry_at=at, cause=Cause.TRANSIENT)


def outgoing(ledger: Ledger, pub: Publication, view: View) -> OutgoingPost:
    """What the publisher is given for ``pub``: its text (a reply on a network without threads
    links back to its first post, if that fits), the post it replies to, its incident's fields."""
    calendar = view.calendar
    post = calendar.post(pub.post) if pub.kind not in STATUS_KINDS else None
    incident = view.status.incident(pub.post) if pub.kind == "incident" else None
    reply_to = None
    text = pub.text
    root = sent_root(ledger, pub)
    if root is not None and root.remote_id:
        reply_to = RemoteRef(root.remote_id, root.remote_url)
        text = _linked_back(text, root.remote_url, calendar.networks.get(pub.network))
    return OutgoingPost(
        key=pub.key, source=pub.source, post=pub.post, kind=pub.kind, network=pub.network,
        network_type=pub.network_type, scheduled_at=pub.at, text=text, campaign=pub.campaign,
        links=dict(calendar.brand.links), image=post.image if post else None, reply_to=reply_to,
        title=incident.title if incident else "",
        headline=headline(pub, view.status, calendar.brand.tz) if pub.kind in STATUS_KINDS else "",
        thread_key=_thread_key(pub, root),
        extra=_incident_fields(pub, incident), content_warning=pub.content_warning,
        link_card=post.option(pub.network, LINK_CARD) if post else None,
    )


def sent_root(ledger: Ledger, pub: Publication) -> Record | None:
    """The first post of ``pub``'s thread that the account sent: ``thread_root``, else the first of its
    stand-ins that went out (None: nothing sent yet, and the post goes out on its own)."""
    for key in thread_roots(pub):
        root = ledger.get(key)
        if root is not None and root.state == State.SENT:
            return root
    return None


def _thread_key(pub: Publication, root: Record | None) -> str | None:
    """The key that names ``pub``'s thread: its first post sent; an incident's update names its first
    update; a status post with nothing sent before it starts its own thread."""
    if root is not None:
        return root.key
    if pub.kind == "incident" and pub.thread_root:
        return pub.thread_root
    return pub.key if pub.kind in STATUS_KINDS else None


def _linked_back(text: str, root_url: str | None, account: Account | None) -> str:
    """``text`` with a link to its first post, on a network without threads (a reply there would
    stand alone): only when the first post has a web address and the link still fits the limit."""
    rules = account.rules if account else None
    if rules is None or rules.threads or not root_url or not root_url.startswith("http"):
        return text
    linked = f"{text}\nFirst post: {root_url}"
    if rules.limit is None or rules.limit.overflow(linked) is None:
        return linked
    return text


def _incident_fields(pub: Publication, incident: Incident | None) -> dict[str, Any]:
    """What a status network needs of an incident beyond the text (its id, impact, state and
    components); nothing for a post."""
    if incident is None:
        return {}
    return {"incident": {"id": incident.id, "impact": incident.impact, "state": pub.incident_state,
                         "components": list(incident.affected)}}
