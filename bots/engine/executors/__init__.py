"""How each recipe step runs: one executor per step kind, looked up by the engine.

The step classes (:mod:`bots.steps`) are what a recipe *says* — parsed and checked at load
time, with no code that touches a screen — and an executor here is what the step *does*
against a :class:`Runtime` (the driver, the values in scope, the hooks that record
evidence). Kept apart the way Robot Framework keeps its parsing model from its running
one: loading, checking and documenting a recipe never import the execution, and the
execution is the engine's (a run, ``renkei recipe try``, a flow step running its
children all go through :func:`run_step`).

:func:`executes` registers an executor for a step class; ``tests/test_step_executors.py``
checks that every registered step (:data:`bots.steps.STEPS`) has one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bots.contracts import Driver
from bots.screens import Element, Screen, SelectorSet
from bots.steps.registry import Step


class Runtime(Protocol):
    """What the engine offers a running step."""

    driver: Driver
    selectors: SelectorSet

    @property
    def scope(self) -> Mapping[str, Any]:
        """Values visible to templates now."""

    def bind(self, element: Element) -> Element:
        """Fill element parameters (``{index}``) from the scope."""

    @contextmanager
    def nested(self, values: Mapping[str, Any]) -> Iterator[None]:
        """Add loop variables to the scope for the duration of a block."""
        yield  # pragma: no cover

    def set_value(self, name: str, value: Any) -> None:
        """Make a value read from the screen available (``receipt_no``)."""

    def record(
        self,
        step: Step,
        *,
        element: Element | None = None,
        value: Any = None,
        detail: str | None = None,
        outcome: str = "ok",
    ) -> None:
        """Write an audit line for this step (values masked by the runtime); ``outcome``
        says how it ended (``register``: pressed, accepted, rejected, http_error …)."""

    def screenshot(self, label: str, screen: Screen | None) -> Path:
        """Take the evidence screenshot ``label``, masking the screen's sensitive elements."""

    def before_register(self) -> None:
        """The point of no return: called right before the register button is pressed."""

    def existing_found(self, receipt_no: str) -> None:
        """The application is already in the core system with this 受付番号."""


S = TypeVar("S", bound=Step)
Executor = Callable[[Any, Runtime], None]

#: step class → the function that runs it
EXECUTORS: dict[type[Step], Executor] = {}


def executes(
    step: type[S],
) -> Callable[[Callable[[S, Runtime], None]], Callable[[S, Runtime], None]]:
    """Decorator: ``run(step, rt)`` is how steps of class ``step`` run."""

    def register(run: Callable[[S, Runtime], None]) -> Callable[[S, Runtime], None]:
        if step in EXECUTORS:
            raise ValueError(f"step '{step.name}' has two executors")
        EXECUTORS[step] = run
        return run

    return register


def run_step(step: Step, rt: Runtime) -> None:
    """Run one step with the executor of its class."""
    try:
        run = EXECUTORS[type(step)]
    except KeyError:
        raise LookupError(f"step '{step.name}' has no executor") from None
    run(step, rt)


def run_steps(steps: Iterable[Step], rt: Runtime) -> None:
    for step in steps:
        run_step(step, rt)


def _register_builtins() -> None:
    """The built-in steps' executors register on import (after the names above exist)."""
    from bots.engine.executors import flow, safety, screen  # noqa: F401


_register_builtins()
