"""Herald's web server (``herald serve``): the status site, the planners' review room and
the alert intake, one Starlette application rendered from the ledger and the two files.

Layout: :mod:`.context` (what every page reads: the files, the ledger, the clock, the
secrets), :mod:`.app` (the application: each part contributes its routes), :mod:`.site`
(the public status site), :mod:`.review` (the review room), :mod:`.intake` (alert webhooks).
"""
