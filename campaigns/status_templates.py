"""The status announcements' templates as the calendar knows them: the fields a template
may use and the built-in wording.  Here, in the content model, because the calendar's
``brand.status_templates`` are validated (and linted) against them; :mod:`status.announce`
fills them in."""

from __future__ import annotations

TEMPLATE_FIELDS = ("title", "affected", "message", "next_update", "status_page", "impact", "state", "help",
                   "window", "when", "end_time")

DEFAULT_TEMPLATES = {
    "investigating": "We're investigating a problem with {affected}: {title}. We're sorry for the disruption. "
                     "{message} Next update by {next_update}.",
    "investigating.critical": "{affected}: {title}. We know, we're on it, and we're sorry. {message} "
                              "Next update by {next_update}.",
    "identified": "Update on {title}: we've found the cause. {message} Next update by {next_update}.",
    "monitoring": "Update on {title}: a fix is in place and we're watching it closely. {message} "
                  "Next update by {next_update}.",
    "resolved": "Resolved: {title}. {message} Sorry again for the trouble this caused.",
    "follow_up": "Following up on {title}: is everything working for you again? If not, reply here or tell us "
                 "at {help} and we'll look into it.",
    "maintenance.reminder": "Planned maintenance {when}: {title}, {window}. {message}",
    "maintenance.start": "Maintenance has started: {title}. {message} We expect to be done by {end_time}.",
    "maintenance.end": "Maintenance is complete: {title}. Everything should work as usual; if anything doesn't, "
                       "tell us at {help}.",
    "maintenance.changed": "Change to planned maintenance: {title} now runs {window}. {message}",
    "maintenance.cancelled": "Cancelled: the planned maintenance \"{title}\" ({window}) will not take place.",
    # the updates ops post during a window (`herald maintenance update|delay|complete`)
    "maintenance.scheduled": "Update on planned maintenance: {title}, {window}. {message}",
    "maintenance.in_progress": "Maintenance update: {title}. {message} We expect to be done by {end_time}.",
    "maintenance.verifying": "Maintenance update: {title}. The work is done and we're checking that everything "
                             "works. {message}",
    "maintenance.delayed": "Maintenance update: {title} is taking longer than planned; we now expect to be done by "
                           "{end_time}. {message}",
    "maintenance.completed": "Maintenance is complete: {title}. {message} If anything doesn't work as usual, tell us "
                             "at {help}.",
}
