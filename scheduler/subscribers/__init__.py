"""The status page's subscribers: email (double opt-in, one-click unsubscribe) and webhooks (signed),
each notice delivered exactly once per subscriber through the ledger.

- :mod:`.secrets` — the signing key and SMTP credentials, from the environment or a secrets file;
- :mod:`.tokens` — links, webhook secrets and the form's CSRF token, all keyed by the signing key;
- :mod:`.mail` — the messages (plain text and HTML, ``List-Unsubscribe``) and the SMTP sender;
- :mod:`.webhook` — a signed POST through :mod:`scheduler.http`;
- :mod:`.dispatch` — the engine's duty: notices made from the status, claimed, sent, recorded.

The rows are :mod:`scheduler.ledger.subscribers`'; the form is :mod:`scheduler.web.subscribe`'.
"""
