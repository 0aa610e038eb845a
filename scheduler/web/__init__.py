"""Herald's web server (``herald serve``): the status site, the planners' review room and
the alert intake, one Starlette application over the ledger and the two files.

Layout: :mod:`.context` (what every page reads: the files, the ledger, the clock, the
secrets), :mod:`.app` (the application: each part contributes its routes), :mod:`.site`
(the public status site: caching, ETags, health, metrics), :mod:`.review` (the review room:
sign-in, queries), :mod:`.intake` (alert webhooks).  The pages themselves are rendered by
:mod:`scheduler.render`, which ``herald export-site`` and the ``site`` channel call directly;
nothing outside this package imports it but the commands that start the server.
"""
