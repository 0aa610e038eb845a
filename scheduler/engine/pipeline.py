""":meth:`Engine.fire` as an ordered list of named steps: each one decision (see ``steps`` and
``send``); the first step that decides ends the firing.  ``python -m scheduler.engine --steps``
prints the list, and docs/ARCHITECTURE.md shows exactly that print (a test compares them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import send, steps
from .model import Outcome
from .steps import Firing

Decide = Callable[[Firing], Outcome | None]


@dataclass(frozen=True)
class Step:
    name: str
    decide: Decide

    @property
    def summary(self) -> str:
        """What it decides: its function's docstring, on one line."""
        return " ".join((self.decide.__doc__ or "").split())


class Pipeline:
    def __init__(self, *steps: Step):
        self.steps = steps

    def run(self, firing: Firing) -> Outcome:
        """The outcome of the first step that decides; what a step set up to undo (the stop
        gate's in-flight mark) is undone when the firing ends, whatever happened."""
        try:
            for step in self.steps:
                outcome = step.decide(firing)
                if outcome is not None:
                    return outcome
        finally:
            for undo in reversed(firing.cleanup):
                undo()
        raise RuntimeError(f"no step decided on {firing.pub.key}: the last one must")

    def describe(self) -> str:
        width = max(len(s.name) for s in self.steps)
        return "\n".join(f"{i:2}. {s.name:<{width}}  {s.summary}" for i, s in enumerate(self.steps, 1))


FIRE = Pipeline(
    Step("account", steps.account),
    Step("stopped account", steps.stopped_account),
    Step("catch-up", steps.catch_up),
    Step("pause", steps.pause),
    Step("incident hold", steps.incident_hold),
    Step("dry run", steps.dry_run),
    Step("claim", steps.claim),
    Step("voice guide", steps.voice_guide),
    Step("thread root", steps.thread_root),
    Step("rate limit", steps.rate_limit),
    Step("stop gate", send.stop_gate),
    Step("reconcile", send.reconcile),
    Step("send", send.send),
    Step("record", send.record),
)
