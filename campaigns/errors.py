"""Herald's errors: one module, one root (:class:`HeraldError`), for every layer.

Each class carries its ``exit_code``; the CLI maps errors to exit codes by type and
prints their one-line messages (tracebacks only with ``--traceback``):

    0 success · 1 invalid input (files, credentials, configuration) · 2 bad command line ·
    3 runtime failure (ledger, output file, network) · 130 interrupted

Every problem a planner can cause is a :class:`Problem`: a place in a file and a
message that says what is wrong and, where it helps, what would be right.  They
print as ``FILE:LINE:COL: message (hint)``, the form editors and CI logs link to.
"""

from __future__ import annotations

from dataclasses import dataclass


class HeraldError(Exception):
    """Base of every error Herald reports to a person instead of a traceback."""

    exit_code = 1


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in an input file, at a 1-based line and column (0 when unknown)."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path if not self.line else f"{self.path}:{self.line}:{self.col}"
        text = f"{where}: {self.message}"
        if self.severity != "error":
            text = f"{where}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class InvalidInput(HeraldError, ValueError):
    """An input file could not be accepted; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.col, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


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


class RuntimeFailure(HeraldError):
    """Something outside the input failed: an output file that cannot be written, a lock."""

    exit_code = 3


class LedgerError(RuntimeFailure):
    """The ledger cannot be opened or used (bad URL, unreachable database, a ledger file that
    is empty, damaged or gone); the message names the file or database and what to do."""
