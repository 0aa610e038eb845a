"""What checking an input file gives: the value (when it is usable) and every problem found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from .errors import InvalidInput, Problem, Severity

T = TypeVar("T")


@dataclass
class LoadResult(Generic[T]):
    value: T | None
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        # In line order wherever they are listed (validate, the engine's log), whichever check found them.
        self.problems = sorted(self.problems, key=lambda p: (p.path, p.line, p.col))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != Severity.ERROR]

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.errors

    def unwrap(self, error: type[InvalidInput] = InvalidInput) -> T:
        """The value, or ``error`` listing every error (the one "load or raise" there is)."""
        if self.value is None or self.errors:
            raise error(self.errors or self.problems)
        return self.value
