"""Running the steps that act on one screen: go, click, type, choose, read, check, evidence.

What each step means, and what its YAML may say, is its class in :mod:`bots.steps.screen`.
"""

from __future__ import annotations

from bots.engine.executors import Runtime, executes
from bots.errors import BusinessError, CoreRejected, ScreenChanged
from bots.masking import VALUE_MASK
from bots.screens import Element
from bots.steps.screen import (
    Check,
    Click,
    Expect,
    ExpectScreen,
    Fill,
    Goto,
    Read,
    Screenshot,
    Select,
)
from bots.steps.util import compare_key


@executes(Goto)
def goto(step: Goto, rt: Runtime) -> None:
    rt.driver.goto(step.screen)
    rt.record(step, detail=step.screen.name)


@executes(ExpectScreen)
def expect_screen(step: ExpectScreen, rt: Runtime) -> None:
    rt.driver.expect_screen(step.screen)
    rt.record(step, detail=step.screen.name)


@executes(Click)
def click(step: Click, rt: Runtime) -> None:
    element = rt.bind(step.element)
    rt.driver.click(element)
    if step.errors is None:
        rt.record(step, element=element)
        return
    errors = rt.bind(step.errors)
    said = _messages(rt, errors)
    if not said:
        rt.record(step, element=element, detail="メッセージなし")
        return
    rt.record(step, element=element, outcome="rejected", detail=" / ".join(said))
    raise CoreRejected(
        "基幹システムが入力内容を受け付けませんでした（何も登録されていません）",
        " / ".join(said),
    )


def _messages(rt: Runtime, errors: Element) -> list[str]:
    """The texts the ``errors`` element shows now (one per match); an element that shows
    but says nothing is still a refusal, as ``register`` counts it."""
    if not rt.driver.count(errors):
        return []
    texts = [r["_text"] for r in rt.driver.read_rows(errors, {}) if r["_text"]]
    return texts or ["（内容なし）"]


@executes(Fill)
def fill(step: Fill, rt: Runtime) -> None:
    done = []
    for element, template in step.pairs:
        bound = rt.bind(element)
        value = template.render(rt.scope)
        rt.driver.fill(bound, value)
        rt.record(step, element=bound, value=value)
        done.append((bound, value))
    # Read back once all are typed: this also catches a script that rewrites an
    # earlier field when a later one changes, which a check per field would miss.
    rt.driver.check_values(done)


@executes(Select)
def select(step: Select, rt: Runtime) -> None:
    chosen = []
    for index, (element, template) in enumerate(step.pairs):
        bound = rt.bind(element)
        option = template.render(rt.scope)
        rt.driver.select(bound, option, by_value=index in step.by_value)
        rt.record(step, element=bound, value=option)
        if index in step.by_value:
            chosen.append((bound, option))
    if chosen:
        rt.driver.check_values(chosen)  # a select's value is its chosen option's


@executes(Check)
def check(step: Check, rt: Runtime) -> None:
    element = rt.bind(step.element)
    rt.driver.check(element)
    rt.record(step, element=element)


@executes(Screenshot)
def screenshot(step: Screenshot, rt: Runtime) -> None:
    rt.screenshot(step.label, step.screen)


@executes(Read)
def read(step: Read, rt: Runtime) -> None:
    for element, name, pattern in step.pairs:
        text = rt.driver.read_text(element).strip()
        if pattern is not None:
            found = pattern.search(text)
            text = found.group(0) if found else ""
        if not text:
            raise ScreenChanged(element.screen, element.name, "値が読み取れません")
        rt.set_value(name, text)
        rt.record(step, element=element, value=text)


@executes(Expect)
def expect(step: Expect, rt: Runtime) -> None:
    for element, template in step.pairs:
        bound = rt.bind(element)
        expected = template.render(rt.scope)
        shown = rt.driver.read_text(bound)
        if compare_key(shown) != compare_key(expected):
            _differs(step, rt, bound, shown, expected)
        rt.record(step, element=bound, value=shown)


def _differs(step: Expect, rt: Runtime, element: Element, shown: str, expected: str) -> None:
    if step.otherwise == "stop":
        raise ScreenChanged(
            element.screen, element.name, f"画面の値「{shown}」が想定「{expected}」と異なります"
        )
    if element.sensitive:
        shown = expected = VALUE_MASK
    label = step.labels.get(element.name, element.name)
    rt.record(
        step,
        element=element,
        value=shown,
        outcome="warning",
        detail=f"{label}: 想定と異なる表示",
    )
    said = step.message or "基幹システムの画面表示が申請の内容と異なります"
    raise BusinessError(f"{said}（{label}: 画面「{shown}」、想定「{expected}」）")
