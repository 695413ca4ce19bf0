"""Steps that shape the flow: branches, repeated rows, pop-up windows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bots.errors import RecipeError
from bots.recipe.conditions import Condition, parse_condition
from bots.recipe.yamlpos import LocDict, pos_of
from bots.screens import Element, Screen
from bots.steps.registry import ParseContext, Step, check_keys, parse_steps, register
from bots.steps.util import as_mapping


@register
@dataclass
class If(Step):
    """``if: condition`` with ``then:`` / ``else:`` — branch on the values in scope.

    The condition is a value's name (present: not empty) or a mapping of
    :mod:`bots.recipe.conditions` (``{field: sex, equals: "2"}``, ``in``, ``present``,
    ``greater_than``, ``less_than``, ``all``, ``any``, ``not``), parsed here at load time.
    The audit line says which branch was taken and why.
    """

    name = "if"
    condition: Condition
    then: list[Step]
    otherwise: list[Step]

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name, "then", "else"})
        if "then" not in node:
            raise RecipeError("'if' needs 'then'", node.pos_of(cls.name))
        condition = parse_condition(arg, node.pos_of(cls.name), ctx.path, frozenset(ctx.groups))
        then = parse_steps(node["then"], ctx, node.pos_of("then"))
        otherwise = parse_steps(node["else"], ctx, node.pos_of("else")) if "else" in node else []
        return cls(condition, then, otherwise)

    def children(self) -> list[Step]:
        return [*self.then, *self.otherwise]


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
        if group not in ctx.groups and not ctx.any_name:
            raise RecipeError(
                f"'{group}' is not a repeated group of the recipe", pos_of(arg, node.pos)
            )
        alias = str(node.get("as", "item"))
        inner = ctx.child(**{alias: ctx.groups.get(group, set())})
        return cls(group, alias, parse_steps(node.get("steps"), inner, node.pos_of(cls.name)))

    def children(self) -> list[Step]:
        return list(self.steps)


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
        spec = as_mapping(arg, node, cls.name)
        check_keys(spec, {"rows", "add", "count"})
        group = str(spec.get("count"))
        if group not in ctx.groups and not ctx.any_name:
            raise RecipeError(f"'{group}' is not a repeated group", spec.pos_of("count"))
        return cls(
            ctx.element(spec.get("rows"), spec.pos), ctx.element(spec.get("add"), spec.pos), group
        )


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
