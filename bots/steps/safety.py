"""The steps that keep residents safe: 本人確認, 二重登録防止 and the register click.

Steps never catch errors: a missing element, a rejection or a mismatch propagates to the
engine, which alone maps it to an outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bots.errors import (
    RecipeError,
)
from bots.recipe.template import Template
from bots.recipe.yamlpos import LocDict
from bots.screens import Element
from bots.steps.matching import KINDS
from bots.steps.registry import ParseContext, Step, check_keys, register
from bots.steps.util import as_mapping


@register
@dataclass
class VerifyIdentity(Step):
    """``verify_identity: {rows: el, checks: {el: {equals: template, label, allow}}}`` — 本人確認.

    The core system must show exactly one resident, and every checked value on screen must
    equal the applicant's exactly (check every identity item the screen shows: 氏名, カナ,
    生年月日, 住所). Otherwise the application goes to a person: the bot never types into a
    record it is not sure of. A value equal only up to spacing, width or 異体字 is named as
    such, with both forms (:mod:`bots.steps.matching`); ``allow: [spacing]`` on a check
    accepts that documented difference for that item. Without ``rows`` the checks read
    single elements.

    ``subject:`` is what the core system calls the person it shows (被保険者, 申請者;
    default 住民) and ``searched_by:`` the number the search used (default 宛名番号): every
    message of the step uses these words, so a clerk of another system reads their own.
    """

    name = "verify_identity"
    rows: Element | None
    checks: list[tuple[Element, Template]]
    labels: dict[str, str]  # element name → what staff call the item
    allowed: dict[str, frozenset[str]]  # element name → differences the recipe accepts
    subject: str = "住民"
    searched_by: str = "宛名番号"

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = as_mapping(arg, node, cls.name)
        check_keys(spec, {"rows", "checks", "subject", "searched_by"})
        words = {key: cls._word(spec, key) for key in ("subject", "searched_by") if key in spec}
        rows = ctx.element(spec["rows"], spec.pos) if "rows" in spec else None
        checks_node = as_mapping(spec.get("checks"), spec, "checks")
        checks, labels, allowed = [], {}, {}
        for key, value in checks_node.items():
            where = checks_node.pos_of(key)
            element = ctx.element(key, where)
            if isinstance(value, LocDict):  # {equals: "{kana}", label: カナ氏名, allow: [..]}
                check_keys(value, {"equals", "label", "allow"})
                labels[element.name] = str(value.get("label") or element.name)
                allowed[element.name] = cls._allow(value)
                value = value.get("equals")
            checks.append((element, ctx.template(value, where)))
        for element, _ in checks:
            if rows and element.within != rows.name:
                raise RecipeError(
                    f"'{element.qualified}' is not a column of '{rows.qualified}'", element.pos
                )
        return cls(rows, checks, labels, allowed, **words)

    @staticmethod
    def _word(spec: LocDict, key: str) -> str:
        value = spec[key]
        if not isinstance(value, str) or not value.strip() or "{" in value:
            raise RecipeError(
                f"'{key}' is a word for the messages, e.g. 被保険者", spec.pos_of(key)
            )
        return value.strip()

    @staticmethod
    def _allow(value: LocDict) -> frozenset[str]:
        kinds = value.get("allow") or []
        if not isinstance(kinds, list):
            raise RecipeError("'allow' is a list, e.g. [spacing]", value.pos_of("allow"))
        for kind in kinds:
            if kind not in KINDS:
                raise RecipeError(
                    f"unknown difference '{kind}' (known: {', '.join(KINDS)})",
                    value.pos_of("allow"),
                )
        return frozenset(str(k) for k in kinds)


@register
@dataclass
class FindExisting(Step):
    """``find_existing: {rows, receipt, remarks, tag}`` — 二重登録防止.

    After searching the inquiry screen for the application's own tag (written into 備考
    when keying), a row whose remarks contain the exact tag means the application is already
    in the core system: the engine records it as keyed and types nothing. ``receipt`` (the
    row's 受付番号) is left out only by a recipe whose system gives none (``receipt: none``);
    the loader holds every other recipe to it.
    """

    name = "find_existing"
    rows: Element
    receipt: Element | None
    remarks: Element
    tag: Template

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = as_mapping(arg, node, cls.name)
        check_keys(spec, {"rows", "receipt", "remarks", "tag"})
        return cls(
            ctx.element(spec.get("rows"), spec.pos),
            ctx.element(spec["receipt"], spec.pos) if "receipt" in spec else None,
            ctx.element(spec.get("remarks"), spec.pos),
            ctx.template(spec.get("tag"), spec.pos),
        )


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
    success: Element  # an element (a toast) or a screen's marker

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        spec = as_mapping(arg, node, cls.name)
        check_keys(spec, {"button", "confirm", "errors", "success"})
        for key in ("button", "success"):
            if key not in spec:
                raise RecipeError(f"'register' needs '{key}'", spec.pos)
        confirm = str(spec["confirm"]) if spec.get("confirm") else None
        errors = ctx.element(spec["errors"], spec.pos_of("errors")) if "errors" in spec else None
        target = str(spec["success"])
        if "." in target:  # an element, e.g. a toast
            success = ctx.element(spec["success"], spec.pos_of("success"))
        else:
            screen = ctx.screen(spec["success"], spec.pos_of("success"))
            if screen.marker is None:
                raise RecipeError(
                    f"screen '{screen.name}' has no marker to recognise it", spec.pos_of("success")
                )
            success = screen.marker
        return cls(ctx.element(spec["button"], spec.pos_of("button")), confirm, errors, success)
