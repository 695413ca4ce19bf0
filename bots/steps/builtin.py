"""The built-in steps. Each is small: validate at load time, act through the driver.

Steps never catch errors: a missing element, a rejection or a mismatch propagates to the
engine, which alone maps it to an outcome.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bots.errors import BusinessError, CoreRejected, IdentityMismatch, RecipeError, ScreenChanged
from bots.recipe.selectors import Element, Screen
from bots.recipe.template import Template
from bots.recipe.yamlpos import LocDict, pos_of
from bots.steps.registry import ParseContext, Runtime, Step, check_keys, parse_steps, register


def _mapping(arg: Any, node: LocDict, step: str) -> LocDict:
    if not isinstance(arg, LocDict) or not arg:
        raise RecipeError(f"'{step}' takes a mapping", node.pos_of(step))
    return arg


def compare_key(text: str) -> str:
    """Normalise screen text and data for identity comparison.

    NFKC folds half-width kana and full-width digits; spaces of either width are dropped,
    because core systems differ in how they separate family and given names.
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


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
        mapping = _mapping(arg, node, cls.name)
        pairs = [
            (ctx.element(key, mapping.pos_of(key)), ctx.template(value, mapping.pos_of(key)))
            for key, value in mapping.items()
        ]
        return cls(pairs)

    def act(self, rt: Runtime, element: Element, value: str) -> None:
        raise NotImplementedError

    def run(self, rt: Runtime) -> None:
        for element, template in self.pairs:
            bound = rt.bind(element)
            value = template.render(rt.scope)
            self.act(rt, bound, value)
            rt.record(self, element=bound, value=value)


@register
class Fill(_Assign):
    """``fill: {screen.element: "{field}"}`` — type values into inputs."""

    name = "fill"

    def act(self, rt: Runtime, element: Element, value: str) -> None:
        rt.driver.fill(element, value)


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
class If(Step):
    """``if: field`` with ``then:`` / ``else:`` — branch on whether a value is present."""

    name = "if"
    field: str
    then: list[Step]
    otherwise: list[Step]

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name, "then", "else"})
        if "then" not in node:
            raise RecipeError("'if' needs 'then'", node.pos_of(cls.name))
        then = parse_steps(node["then"], ctx, node.pos_of("then"))
        otherwise = parse_steps(node["else"], ctx, node.pos_of("else")) if "else" in node else []
        return cls(ctx.name(arg, node.pos), then, otherwise)

    def children(self) -> list[Step]:
        return [*self.then, *self.otherwise]

    def run(self, rt: Runtime) -> None:
        chosen = self.then if rt.scope.get(self.field) else self.otherwise
        rt.record(self, detail=f"{self.field}: {'then' if chosen is self.then else 'else'}")
        for step in chosen:
            step.run(rt)


@register
@dataclass
class ForEach(Step):
    """``for_each: group`` with ``as: item`` and ``steps:`` — one pass per repeated row.

    Inside, ``{item.field}`` and ``{index}`` (1-based) are in scope, and elements with an
    ``{index}`` parameter (``child_name_{index}``) address the row.
    """

    name = "for_each"
    group: str
    alias: str
    steps: list[Step]

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name, "as", "steps"})
        group = str(arg)
        if group not in ctx.groups:
            raise RecipeError(
                f"'{group}' is not a repeated group of the recipe", pos_of(arg, node.pos)
            )
        alias = str(node.get("as", "item"))
        inner = ctx.child(**{alias: ctx.groups[group]})
        return cls(group, alias, parse_steps(node.get("steps"), inner, node.pos_of(cls.name)))

    def children(self) -> list[Step]:
        return list(self.steps)

    def run(self, rt: Runtime) -> None:
        for index, item in enumerate(rt.scope.get(self.group) or [], start=1):
            with rt.nested({self.alias: item, "index": index}):
                for step in self.steps:
                    step.run(rt)


@register
@dataclass
class EnsureRows(Step):
    """``ensure_rows: {rows: el, add: button, count: group}`` — add rows until enough.

    Forms with a variable number of rows (児童) start with one; the add button is pressed
    until the screen has one row per item, and the count is checked after each press.
    """

    name = "ensure_rows"
    rows: Element
    add: Element
    group: str

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = _mapping(arg, node, cls.name)
        check_keys(spec, {"rows", "add", "count"})
        group = str(spec.get("count"))
        if group not in ctx.groups:
            raise RecipeError(f"'{group}' is not a repeated group", spec.pos_of("count"))
        return cls(
            ctx.element(spec.get("rows"), spec.pos), ctx.element(spec.get("add"), spec.pos), group
        )

    def run(self, rt: Runtime) -> None:
        wanted = len(rt.scope.get(self.group) or [])
        have = rt.driver.count(self.rows)
        while have < wanted:
            rt.driver.click(self.add)
            now = rt.driver.count(self.rows)
            if now <= have:
                raise ScreenChanged(self.rows.screen, self.add.name, "行追加ボタンで行が増えません")
            have = now
        rt.record(self, element=self.rows, detail=f"{have} rows for {wanted} items")


@register
@dataclass
class VerifyIdentity(Step):
    """``verify_identity: {rows: el, checks: {el: template}}`` — 本人確認.

    The core system must show exactly one resident, and every checked value on screen must
    equal the applicant's. Otherwise the application goes to a person: the bot never types
    into a record it is not sure of. Without ``rows`` the checks read single elements.
    """

    name = "verify_identity"
    rows: Element | None
    checks: list[tuple[Element, Template]]
    labels: dict[str, str]  # element name → what staff call the item

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = _mapping(arg, node, cls.name)
        check_keys(spec, {"rows", "checks"})
        rows = ctx.element(spec["rows"], spec.pos) if "rows" in spec else None
        checks_node = _mapping(spec.get("checks"), spec, "checks")
        checks, labels = [], {}
        for key, value in checks_node.items():
            where = checks_node.pos_of(key)
            element = ctx.element(key, where)
            if isinstance(value, LocDict):  # {equals: "{kana}", label: カナ氏名}
                check_keys(value, {"equals", "label"})
                labels[element.name] = str(value.get("label") or element.name)
                value = value.get("equals")
            checks.append((element, ctx.template(value, where)))
        for element, _ in checks:
            if rows and element.within != rows.name:
                raise RecipeError(
                    f"'{element.qualified}' is not a column of '{rows.qualified}'", element.pos
                )
        return cls(rows, checks, labels)

    def run(self, rt: Runtime) -> None:
        if self.rows is not None:
            found = rt.driver.read_rows(self.rows, {e.name: e for e, _ in self.checks})
            if not found:
                said = "／".join(rt.driver.take_alerts())
                raise IdentityMismatch(
                    "基幹システムに該当する住民が見つかりません（宛名番号を確認してください）",
                    said or None,
                )
            if len(found) > 1:
                raise IdentityMismatch(
                    f"基幹システムで住民が{len(found)}件該当し、一人に特定できません"
                )
            shown = found[0]
        else:
            shown = {e.name: rt.driver.read_text(e) for e, _ in self.checks}
        for element, template in self.checks:
            expected = template.render(rt.scope)
            on_screen = shown.get(element.name, "")
            if compare_key(on_screen) != compare_key(expected):
                raise IdentityMismatch(
                    f"基幹システムの住民と申請者が一致しません（{self.labels.get(element.name, element.name)}: "
                    f"画面「{on_screen}」、申請「{expected}」）"
                )
        rt.record(self, detail=f"{len(self.checks)} items match")


@register
@dataclass
class FindExisting(Step):
    """``find_existing: {rows, receipt, remarks, tag}`` — 二重登録防止.

    After searching the inquiry screen for the application's own tag (written into 備考
    when keying), a row whose remarks contain the exact tag means the application is already
    in the core system: the engine records it as keyed and types nothing.
    """

    name = "find_existing"
    rows: Element
    receipt: Element
    remarks: Element
    tag: Template

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = _mapping(arg, node, cls.name)
        check_keys(spec, {"rows", "receipt", "remarks", "tag"})
        return cls(
            ctx.element(spec.get("rows"), spec.pos),
            ctx.element(spec.get("receipt"), spec.pos),
            ctx.element(spec.get("remarks"), spec.pos),
            ctx.template(spec.get("tag"), spec.pos),
        )

    def run(self, rt: Runtime) -> None:
        tag = self.tag.render(rt.scope)
        rows = rt.driver.read_rows(self.rows, {"receipt": self.receipt, "remarks": self.remarks})
        rt.driver.take_alerts()  # a legacy "nothing found" alert is an answer, not an error
        matches = [r["receipt"].strip() for r in rows if tag in r["remarks"]]
        rt.record(self, detail=f"{len(matches)} existing")
        if len(matches) > 1:
            raise BusinessError(
                f"基幹システムにこの申請が{len(matches)}件登録されています（受付番号 {', '.join(matches)}）。"
                "二重登録の可能性があります"
            )
        if matches:
            rt.existing_found(matches[0])


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
class Register(Step):
    """``register: {button, confirm, errors, success}`` — press 登録, the point of no return.

    The engine is told first (the queue records ``keying``), the confirm dialog must say
    exactly ``confirm``, and then the driver waits for the outcome: the ``success`` screen
    (or element, e.g. a toast), or the core system's rejection — the ``errors`` element's
    texts, or alert dialogs on legacy systems — which becomes the reason for review.
    """

    name = "register"
    button: Element
    confirm: str | None
    errors: Element | None
    success: Element
    success_screen: Screen | None

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = _mapping(arg, node, cls.name)
        check_keys(spec, {"button", "confirm", "errors", "success"})
        for key in ("button", "success"):
            if key not in spec:
                raise RecipeError(f"'register' needs '{key}'", spec.pos)
        confirm = str(spec["confirm"]) if spec.get("confirm") else None
        errors = ctx.element(spec["errors"], spec.pos_of("errors")) if "errors" in spec else None
        target = str(spec["success"])
        screen: Screen | None = None
        if "." in target:  # an element, e.g. a toast
            success = ctx.element(spec["success"], spec.pos_of("success"))
        else:
            screen = ctx.screen(spec["success"], spec.pos_of("success"))
            if screen.marker is None:
                raise RecipeError(
                    f"screen '{screen.name}' has no marker to recognise it", spec.pos_of("success")
                )
            success = screen.marker
        return cls(
            ctx.element(spec["button"], spec.pos_of("button")), confirm, errors, success, screen
        )

    def run(self, rt: Runtime) -> None:
        rt.before_register()
        messages = rt.driver.submit(self.button, self.confirm, self.success, self.errors)
        rt.record(self, element=self.button, detail="rejected" if messages else "accepted")
        if messages:
            raise CoreRejected("基幹システムが登録を受け付けませんでした", " / ".join(messages))
        if self.success_screen is not None:
            rt.driver.expect_screen(self.success_screen)


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
        spec = _mapping(arg, node, cls.name)
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
class Popup(Step):
    """``popup: screen`` with ``open: element`` and ``steps:`` — work in a pop-up window.

    Legacy lookups (主治医検索) open a window whose choice fills the parent form and
    closes it; the steps inside act on the pop-up, and the step waits for it to close.
    """

    name = "popup"
    screen: Screen
    opener: Element
    steps: list[Step]

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name, "open", "steps"})
        screen = ctx.screen(arg, node.pos)
        if not screen.window:
            raise RecipeError(
                f"screen '{screen.name}' is not a pop-up window (set 'window:')",
                pos_of(arg, node.pos),
            )
        if "open" not in node:
            raise RecipeError(
                "'popup' needs 'open': the element that opens it", node.pos_of(cls.name)
            )
        opener = ctx.element(node["open"], node.pos_of("open"))
        return cls(screen, opener, parse_steps(node.get("steps"), ctx, node.pos_of(cls.name)))

    def children(self) -> list[Step]:
        return list(self.steps)

    def run(self, rt: Runtime) -> None:
        with rt.driver.popup(rt.bind(self.opener), self.screen):
            rt.record(self, element=self.opener, detail=f"opened {self.screen.name}")
            for step in self.steps:
                step.run(rt)
        rt.record(self, detail=f"closed {self.screen.name}")


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
        spec = _mapping(arg, node, cls.name)
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
