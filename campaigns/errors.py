"""Herald's errors: one root (:class:`HeraldError`), here at the base, for every layer.

This module holds the root and the errors of the pure layers (``campaigns/``, ``status/``);
the errors of side effects (the ledger, files, HTTP, publishing) are all in
:mod:`scheduler.errors`, under the same root.  Each class carries its ``exit_code``; the CLI
maps errors to exit codes by type and prints their one-line messages (tracebacks only with
``--traceback``):

    0 success · 1 invalid input (files, credentials, configuration) · 2 bad command line ·
    3 runtime failure (ledger, output file, network) · 130 interrupted

Every problem a planner can cause is a :class:`Problem`: a place in a file and a
message that says what is wrong and, where it helps, what would be right.  They
print as ``FILE:LINE:COL: message (hint)``, the form editors and CI logs link to; code that
decides on a problem reads its ``code`` (a :class:`Code`), never its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HeraldError(Exception):
    """Base of every error Herald reports to a person instead of a traceback."""

    exit_code = 1


class Code(StrEnum):
    """What kind of problem a :class:`Problem` is, for code that acts on some kinds only (the
    message is for people, and its wording may change)."""

    OTHER = ""  # every problem nothing decides on
    TOO_LONG = "too-long"  # a text longer than a network allows


class Severity(StrEnum):
    """How much a problem matters: an error refuses the file (or the text), a warning is said
    and let through.  A voice guide's rule may also be ``off`` (``rules:`` in the calendar),
    and then it finds nothing."""

    ERROR = "error"
    WARNING = "warning"
    OFF = "off"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in an input file, at a 1-based line and column (0 when unknown)."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: str = Severity.ERROR  # a Severity's value (a voice finding's arrives as its plain string)
    code: Code = Code.OTHER
    posts: tuple[str, ...] = ()  # the ids of the posts it is about, for code that acts on them (never the message)

    def __str__(self) -> str:
        where = self.path if not self.line else f"{self.path}:{self.line}:{self.col}"
        text = f"{where}: {self.message}"
        if self.severity != Severity.ERROR:
            text = f"{where}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class InvalidInput(HeraldError, ValueError):
    """An input file could not be accepted; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]


class CalendarError(InvalidInput):
    """The content calendar could not be accepted."""


class StatusFileError(InvalidInput):
    """The status file could not be accepted (or a change to it would make it invalid)."""


class UsageError(HeraldError, ValueError):
    """A command line that cannot be acted on (bad option value, missing file)."""

    exit_code = 2


class ConfigError(HeraldError):
    """A network account or another part of the set-up cannot be used as configured
    (a credential's environment variable not set, a secrets file readable by others)."""


class MissingExtra(ConfigError):
    """What was asked for needs an optional part of Herald's install that is not installed
    (:mod:`campaigns.extras`): the message names the extra and the command that installs it."""

    exit_code = 2


class LibraryChanged(ConfigError):
    """A library Herald reads the internals of (in one adapter each: ``campaigns/twittertext.py``,
    ``scheduler/urllib3watch.py``) is of a release laid out otherwise: the message names the
    release installed, what is missing, and the release to install."""

    exit_code = 2


class InvalidValue(HeraldError, ValueError):
    """A value of the pure layers that cannot be read; a ``ValueError`` too, so the code that
    reads values keeps catching it as one.  The located builders turn it into a :class:`Problem`."""


class TimeFormatError(InvalidValue):
    """A date or time that cannot be read; the message says why and what would be right."""


class DurationError(InvalidValue):
    """A duration or rate that cannot be read; the message says why and what would be right."""

    def __init__(self, text: object, what: str, hint: str):
        self.text, self.what, self.hint = text, what, hint
        super().__init__(f"{text!r} is not {what}; write {hint}")


class RuleError(InvalidValue):
    """An ``rrule:`` that cannot be used; ``hint`` says what would be right."""

    def __init__(self, message: str, hint: str = ""):
        self.message, self.hint = message, hint
        super().__init__(message)


class TemplateError(InvalidValue):
    """A template that cannot be rendered; the message says why."""


class HoursError(InvalidValue):
    """An opening-hours range or a closure (``brand.hours``, ``brand.closed``) that cannot be
    used; ``hint`` says what would be right."""

    def __init__(self, message: str, hint: str = ""):
        self.message, self.hint = message, hint
        super().__init__(message)


class AmbiguousDate(InvalidValue):
    """A date such as 05/08/2026 in a file whose other dates do not say which is the day."""


class FeedError(InvalidValue):
    """A feed answered something that is not a status feed."""


class BadPayload(InvalidValue):
    """A payload that is not what the tool sends (answered with 422 and the sentence)."""


class StatusChanged(RuntimeError):
    """The status file read under the lock is not the one the decision was made on (it lost a
    component the decision names: a save in progress, or a person's edit): decide again.
    A signal between the alert intake's parts, never shown to a person: not a HeraldError."""
