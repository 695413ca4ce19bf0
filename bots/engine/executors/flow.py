"""Running the steps that shape the flow: branches, repeated rows, pop-up windows.

A flow step runs its children through :func:`~bots.engine.executors.run_step`, like the
engine runs a recipe's steps. What each step means is its class in :mod:`bots.steps.flow`.
"""

from __future__ import annotations

from bots.engine.executors import Runtime, executes, run_steps
from bots.errors import ScreenChanged
from bots.steps.flow import EnsureRows, ForEach, If, Popup


@executes(If)
def if_(step: If, rt: Runtime) -> None:
    verdict = step.condition.evaluate(rt.scope)
    chosen = step.then if verdict.result else step.otherwise
    rt.record(step, detail=f"{'then' if verdict.result else 'else'}（{verdict}）")
    run_steps(chosen, rt)


@executes(ForEach)
def for_each(step: ForEach, rt: Runtime) -> None:
    for index, item in enumerate(rt.scope.get(step.group) or [], start=1):
        with rt.nested({step.alias: item, "index": index}):
            run_steps(step.steps, rt)


@executes(EnsureRows)
def ensure_rows(step: EnsureRows, rt: Runtime) -> None:
    wanted = len(rt.scope.get(step.group) or [])
    have = rt.driver.count(step.rows)
    while have < wanted:
        rt.driver.click(step.add)
        now = rt.driver.count(step.rows)
        if now <= have:
            raise ScreenChanged(step.rows.screen, step.add.name, "行追加ボタンで行が増えません")
        have = now
    rt.record(step, element=step.rows, detail=f"{have} rows for {wanted} items")


@executes(Popup)
def popup(step: Popup, rt: Runtime) -> None:
    with rt.driver.popup(rt.bind(step.opener), step.screen):
        rt.record(step, element=step.opener, detail=f"opened {step.screen.name}")
        run_steps(step.steps, rt)
    rt.record(step, detail=f"closed {step.screen.name}")
