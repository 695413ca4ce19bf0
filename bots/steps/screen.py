"""Steps that act on one screen: go, click, type, choose, read, check, take evidence."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from bots.errors import RecipeError
from bots.recipe.template import Template
from bots.recipe.yamlpos import LocDict, pos_of
from bots.screens import Element, Screen
from bots.steps.registry import ParseContext, Step, check_keys, register
from bots.steps.util import as_mapping


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


@register
@dataclass
class Click(Step):
    """``click: screen.element`` — press a button or link; or ``click: {element:
    screen.element, errors: screen.messages}`` to hear the core system's answer.

    With ``errors``, the core system's messages shown in that element once the click's
    page has loaded (or its busy indicator is gone) are its refusal: the application goes
    to 要確認 with the product's own words beside the reason (「ＢＣＧの接種回数は1回目までです。」),
    as ``register`` keeps a refusal at 登録. Use it on a button before 登録 (確認) that
    checks the input: nothing was registered, so this is a clean 要確認 and the run goes
    on with the next application. No message there: the click went through. The page is
    read once, after the navigation the click causes — never after a fixed wait — so a
    screen that draws its messages later by a script, with neither a page load nor a busy
    indicator, needs ``expect … otherwise: review`` instead.
    """

    name = "click"
    element: Element
    errors: Element | None = None

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        if not isinstance(arg, LocDict):
            return cls(ctx.element(arg, node.pos))
        spec = arg
        check_keys(spec, {"element", "errors"})
        if "element" not in spec:
            raise RecipeError("'click' needs 'element' (the button to press)", spec.pos)
        errors = ctx.element(spec["errors"], spec.pos_of("errors")) if "errors" in spec else None
        return cls(ctx.element(spec["element"], spec.pos_of("element")), errors)


@dataclass
class _Assign(Step):
    """The shape of ``fill``: ``{element: template, ...}`` in order."""

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


@register
class Fill(_Assign):
    """``fill: {screen.element: "{field}"}`` — type values into inputs."""

    name = "fill"


@register
@dataclass
class Select(Step):
    """``select: {screen.element: "{field}"}`` — choose an option by its visible label; or
    ``{screen.element: {value: "{code}"}}`` by its value (the code the screen sends).

    A code select shows 「05：四種混合」 for the value ``05``: by value, the recipe names the
    code from its code list and need not spell the label (nor know that year 1 shows as
    「元」). Either way an option that is not there stops the subsystem (the screen is not
    what the recipe assumes); an option chosen by value is read back once all are chosen,
    so a script that resets a select when another changes is caught before 登録.
    """

    name = "select"
    pairs: list[tuple[Element, Template]]  # (select, option), as ``fill`` has them
    by_value: frozenset[int] = frozenset()  # the indexes of pairs chosen by value

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name})
        mapping = as_mapping(arg, node, cls.name)
        pairs: list[tuple[Element, Template]] = []
        by_value: set[int] = set()
        for key, option in mapping.items():
            where = mapping.pos_of(key)
            if isinstance(option, LocDict):
                check_keys(option, {"value"})
                if "value" not in option:
                    raise RecipeError(
                        "an option is a label, or {value: ...} to choose it by value", where
                    )
                option = option["value"]
                by_value.add(len(pairs))
            pairs.append((ctx.element(key, where), ctx.template(option, where)))
        return cls(pairs, frozenset(by_value))


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


#: What a mismatch of ``expect`` means: the default, the screen is not what the recipe
#: assumes (stop the subsystem); or this application needs a person (要確認).
EXPECT_OTHERWISE = ("stop", "review")


@register
@dataclass
class Expect(Step):
    """``expect: {screen.element: "{value}"}`` — read values back and compare.

    By default a difference stops the subsystem: for values the screen fills by itself (a
    lookup pop-up's choice), if what shows is not what the recipe chose, the screen does not
    behave as the recipe assumes. With ``otherwise: review`` beside it, a difference is a
    fact about this one application (the core system shows 資格喪失 for this person): it
    goes to 要確認 with ``message:`` (or a default) and the run goes on with the next.
    A value may be ``{equals: "{value}", label: 資格状態}`` to name the item for the clerk.
    """

    name = "expect"
    pairs: list[tuple[Element, Template]]
    labels: dict[str, str] = field(default_factory=dict)
    otherwise: str = "stop"
    message: str | None = None

    @classmethod
    def parse(cls, arg: Any, node: LocDict, ctx: ParseContext) -> Step:
        check_keys(node, {cls.name, "otherwise", "message"})
        spec = as_mapping(arg, node, cls.name)
        otherwise = str(node.get("otherwise", "stop"))
        if otherwise not in EXPECT_OTHERWISE:
            close = difflib.get_close_matches(otherwise, EXPECT_OTHERWISE, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RecipeError(
                f"'otherwise' is stop or review, not '{otherwise}'{hint}", node.pos_of("otherwise")
            )
        message = node.get("message")
        if message is not None and (otherwise != "review" or not isinstance(message, str)):
            raise RecipeError(
                "'message' is the clerk's text of 'otherwise: review'", node.pos_of("message")
            )
        pairs, labels = [], {}
        for key, value in spec.items():
            element = ctx.element(key, spec.pos_of(key))
            if isinstance(value, LocDict):
                check_keys(value, {"equals", "label"})
                labels[element.name] = str(value.get("label") or element.name)
                value = value.get("equals")
            pairs.append((element, ctx.template(value, spec.pos_of(key))))
        return cls(pairs, labels, otherwise, message)
