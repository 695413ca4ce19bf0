"""Steps that act on one screen: go, click, type, choose, read, check, take evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bots.errors import RecipeError, ScreenChanged
from bots.recipe.selectors import Element, Screen
from bots.recipe.template import Template
from bots.recipe.yamlpos import LocDict, pos_of
from bots.steps.registry import ParseContext, Runtime, Step, check_keys, register
from bots.steps.util import as_mapping, compare_key


@register
@dataclass
class Goto(Step):
    """``goto: screen`` — open a screen by its URL."""

    name = "goto"
    screen: Screen

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        screen = ctx.screen(arg, node.pos)
        if not screen.url:
            raise RecipeError(f"screen '{screen.name}' has no url to go to", pos_of(arg, node.pos))
        if screen.frame or screen.window:
            raise RecipeError(
                f"screen '{screen.name}' lives in a frame or pop-up: open it the way a clerk "
                "does (click its menu entry)",
                pos_of(arg, node.pos),
            )
        return cls(screen)

    def run(self, rt: Runtime) -> None:
        rt.driver.goto(self.screen)
        rt.record(self, detail=self.screen.name)


@register
@dataclass
class ExpectScreen(Step):
    """``expect_screen: screen`` — stop unless the page is that screen."""

    name = "expect_screen"
    screen: Screen

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        return cls(ctx.screen(arg, node.pos))

    def run(self, rt: Runtime) -> None:
        rt.driver.expect_screen(self.screen)
        rt.record(self, detail=self.screen.name)


@register
@dataclass
class Click(Step):
    """``click: screen.element``."""

    name = "click"
    element: Element

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        return cls(ctx.element(arg, node.pos))

    def run(self, rt: Runtime) -> None:
        element = rt.bind(self.element)
        rt.driver.click(element)
        rt.record(self, element=element)


@dataclass
class _Assign(Step):
    """Shared shape of ``fill`` and ``select``: ``{element: template, ...}`` in order."""

    pairs: list[tuple[Element, Template]]

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        mapping = as_mapping(arg, node, cls.name)
        pairs = [
            (ctx.element(key, mapping.pos_of(key)), ctx.template(value, mapping.pos_of(key)))
            for key, value in mapping.items()
        ]
        return cls(pairs)

    def act(self, rt: Runtime, element: Element, value: str) -> None:
        raise NotImplementedError

    def settle(self, rt: Runtime, done: list[tuple[Element, str]]) -> None:
        """After all pairs: a check of what the screen now shows, if the step has one."""

    def run(self, rt: Runtime) -> None:
        done = []
        for element, template in self.pairs:
            bound = rt.bind(element)
            value = template.render(rt.scope)
            self.act(rt, bound, value)
            rt.record(self, element=bound, value=value)
            done.append((bound, value))
        self.settle(rt, done)


@register
class Fill(_Assign):
    """``fill: {screen.element: "{field}"}`` — type values into inputs."""

    name = "fill"

    def act(self, rt: Runtime, element: Element, value: str) -> None:
        rt.driver.fill(element, value)

    def settle(self, rt: Runtime, done: list[tuple[Element, str]]) -> None:
        # Read back once all are typed: this also catches a script that rewrites an
        # earlier field when a later one changes, which a check per field would miss.
        rt.driver.check_values(done)


@register
class Select(_Assign):
    """``select: {screen.element: "{field}"}`` — choose an option by its visible label."""

    name = "select"

    def act(self, rt: Runtime, element: Element, value: str) -> None:
        rt.driver.select(element, value)


@register
@dataclass
class Check(Step):
    """``check: screen.element`` — tick a radio button or checkbox."""

    name = "check"
    element: Element

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        return cls(ctx.element(arg, node.pos))

    def run(self, rt: Runtime) -> None:
        element = rt.bind(self.element)
        rt.driver.check(element)
        rt.record(self, element=element)


@register
@dataclass
class Screenshot(Step):
    """``screenshot: label`` — evidence of the current screen, sensitive fields masked."""

    name = "screenshot"
    label: str
    screen: Screen | None

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name, "screen"})
        if not isinstance(arg, str) or not re.fullmatch(r"[a-z0-9_]+", arg):
            raise RecipeError("a screenshot label is lower_snake_case", node.pos_of(cls.name))
        screen = ctx.screen(node["screen"], node.pos_of("screen")) if "screen" in node else None
        return cls(str(arg), screen)

    def run(self, rt: Runtime) -> None:
        rt.screenshot(self.label, self.screen)


@register
@dataclass
class Read(Step):
    """``read: {screen.element: name}`` — take a value off the screen (受付番号).

    The value may be ``{into: name, pattern: "BH[0-9]{8}"}`` to pick the part of the text
    that matters (a toast says more than the number); no match is a screen change.
    """

    name = "read"
    pairs: list[tuple[Element, str, re.Pattern[str] | None]]

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = as_mapping(arg, node, cls.name)
        pairs = []
        for key, value in spec.items():
            pattern = None
            if isinstance(value, LocDict):
                check_keys(value, {"into", "pattern"})
                try:
                    pattern = re.compile(str(value["pattern"])) if "pattern" in value else None
                except re.error as exc:
                    raise RecipeError(f"bad pattern: {exc}", value.pos_of("pattern")) from None
                value = value.get("into")
            if not value:
                raise RecipeError("say which value to read into", spec.pos_of(key))
            pairs.append((ctx.element(key, spec.pos_of(key)), str(value), pattern))
            ctx.names.add(str(value))
        return cls(pairs)

    def run(self, rt: Runtime) -> None:
        for element, name, pattern in self.pairs:
            text = rt.driver.read_text(element).strip()
            if pattern is not None:
                found = pattern.search(text)
                text = found.group(0) if found else ""
            if not text:
                raise ScreenChanged(element.screen, element.name, "値が読み取れません")
            rt.set_value(name, text)
            rt.record(self, element=element, value=text)


@register
@dataclass
class Expect(Step):
    """``expect: {screen.element: "{value}"}`` — read values back; a difference stops the run.

    For values the screen fills by itself (a lookup pop-up's choice): if what shows is not
    what the recipe chose, the screen does not behave as the recipe assumes.
    """

    name = "expect"
    pairs: list[tuple[Element, Template]]

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = as_mapping(arg, node, cls.name)
        return cls(
            [
                (ctx.element(k, spec.pos_of(k)), ctx.template(v, spec.pos_of(k)))
                for k, v in spec.items()
            ]
        )

    def run(self, rt: Runtime) -> None:
        for element, template in self.pairs:
            bound = rt.bind(element)
            expected = template.render(rt.scope)
            shown = rt.driver.read_text(bound)
            if compare_key(shown) != compare_key(expected):
                raise ScreenChanged(
                    bound.screen, bound.name, f"画面の値「{shown}」が想定「{expected}」と異なります"
                )
            rt.record(self, element=bound, value=shown)
