"""``docs/recipe-reference.md``: every word a recipe or selector file may use, from the code.

Nothing here lists steps, transforms, rules or conditions by hand: they are read from
their registries (:data:`bots.steps.STEPS`, :data:`bots.transforms.TRANSFORMS`,
:data:`bots.schema.RULES`, the operators of :mod:`bots.recipe.conditions`) with their
docstrings, and the keys of the recipe and selector files from their pydantic models.
A step registered tomorrow appears on the page the next time it is generated, and
``tests/test_recipe_reference.py`` fails until the committed page is regenerated.

The keys each step accepts are read from its ``check_keys`` calls (:func:`step_keys`),
the one place the loader itself decides them, so the page cannot claim a key the loader
refuses. What the code cannot say in words — what a recipe key or an operator *means* —
is in the small tables below; :func:`undescribed` names every key or operator without a
line, and the reference test requires it to be empty.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from bots import transforms
from bots.docs.reference import default_text, first_paragraph, rule_params, type_text
from bots.docs.text import REGENERATE, cell
from bots.recipe import conditions, selector_schema
from bots.recipe.model import (
    BUILTIN_NAMES,
    CodeRef,
    FieldSpec,
    GroupSpec,
    ReceiptSpec,
    RecipeSpec,
)
from bots.schema.rules import RULES
from bots.steps import STEPS, ParseContext, Step

#: What each key of the recipe file's models means (pydantic's ``description`` wins).
KEYS: dict[str, str] = {
    "RecipeSpec.procedure": "the procedure's id (lower_snake_case), as the management "
    "database names it.",
    "RecipeSpec.title": "the procedure's name in Japanese (児童手当 認定請求), in every report.",
    "RecipeSpec.selectors": "the selector file of the core system's subsystem "
    "(`kosodate` → `selectors/kosodate.yaml`).",
    "RecipeSpec.codes": "the core system's code lists by name, code → label "
    '(`sex: {"1": 男性, "2": 女性}`), used by `{code: …}` / `{code_of: …}` transforms.',
    "RecipeSpec.application": "the application schema: every item of the online form and "
    "the rules (docs/recipe-application.md).",
    "RecipeSpec.fields": "the values the steps key, each computed from the application "
    "(`from`) or a template (`value`); a mapping with `each` is a repeated group.",
    "RecipeSpec.steps": "the steps that key the application, in order.",
    "FieldSpec.from": "the path of the application item (`applicant.kana`).",
    "FieldSpec.value": "a template instead of an item (`[renkei:{application_id}]`).",
    "FieldSpec.transforms": "transforms applied left to right: names, or `{code: list}` / "
    "`{code_of: list}` (see *Transforms*).",
    "FieldSpec.label": "the item's name in messages to a clerk.",
    "FieldSpec.required": "an empty value is a problem of the application (要確認).",
    "FieldSpec.when": "computed only when this item of the application is present.",
    "FieldSpec.max_length": "the longest value the screen takes, after the transforms.",
    "FieldSpec.sensitive": "masked in the audit log, screenshots and messages.",
    "GroupSpec.each": "the path of the application's list (児童: `children`).",
    "GroupSpec.label": "the group's name in messages (児童).",
    "GroupSpec.min_items": "at least this many entries.",
    "GroupSpec.max_items": "at most this many entries (the rows the screen has).",
    "GroupSpec.fields": "the fields of one entry, as under `fields:`.",
    "ReceiptSpec.pattern": "a regular expression the whole 受付番号 must match.",
    "ReceiptSpec.example": "a valid 受付番号, shown when a clerk types a wrong one.",
    "CodeRef.code": "the name of a code list: the code becomes its label (`2` → 女性).",
    "CodeRef.code_of": "the name of a code list: the label becomes its code (女性 → `2`).",
    "SelectorFileModel.system": "the subsystem's name (the file's name without `.yaml`).",
    "SelectorFileModel.title": "the subsystem's name in Japanese.",
    "SelectorFileModel.kind": "the kind of screens, which picks the driver: `web` (a browser "
    "application, found in the DOM) or `desktop` (a thick client, found on pixels); a file "
    "that `extends` another is of the other's kind.",
    "SelectorFileModel.login": "`{screen, user, password, submit}`: the log-in screen and "
    "its elements; leave it out for a system without a log-in.",
    "SelectorFileModel.screens": "the screens by name.",
    "SelectorFileModel.busy": "an element (a spinner) to wait for until it is gone.",
    "SelectorFileModel.interrupts": "overlays to close whenever they show (`{detect, close}`).",
    "SelectorFileModel.single_page": "a JavaScript application: clicks never load a page.",
    "SelectorFileModel.home": "`kind: desktop`: the screen the client returns to (its menu); "
    "a session starts there and `goto` reaches only it.",
    "SelectorFileModel.confirm": "`kind: desktop`: the confirm pop-up `{screen, message, button}`: "
    "its text is read and must be the recipe's `confirm` before `button` (yes) is pressed.",
    "SelectorFileModel.alert": "`kind: desktop`: the error pop-up `{screen, message, button}`: "
    "its text is read as the core system's message and `button` closes it.",
    "ScreenModel.url": "the screen's path under the core system's address (`/menu`), or a "
    "full http(s) URL; leave it out for a screen reached only by clicking.",
    "ScreenModel.title": "the screen's name, for people.",
    "ScreenModel.marker": "an element that shows only on this screen: proof of where we are.",
    "ScreenModel.elements": "the screen's elements by name: a CSS string, a mapping of "
    "strategies and flags, or a list of them in order of preference.",
    "ScreenModel.frame": "the frame of a legacy frameset the screen is shown in.",
    "ScreenModel.window": "the pop-up window the screen opens in.",
    "LoginModel.screen": "the log-in screen's name.",
    "LoginModel.user": "the element for the 職員ID.",
    "LoginModel.password": "the element for the password.",
    "LoginModel.submit": "the button that submits the log-in form.",
    "StrategyMapping.css": "a CSS selector.",
    "StrategyMapping.label": "the text of the field's `<label>`.",
    "StrategyMapping.role": "an ARIA role (`button`, `link`), with `name`.",
    "StrategyMapping.text": "the element's visible text.",
    "StrategyMapping.placeholder": "the field's placeholder text.",
    "StrategyMapping.xpath": "an XPath expression.",
    "StrategyMapping.cell": "the form control in the table cell right of the cell with this text.",
    "StrategyMapping.cell_text": "the table cell right of the cell with this text.",
    "StrategyMapping.column": "inside a row (`within`), the cell under the header with this text.",
    "StrategyMapping.name": "the accessible name of a `role` strategy.",
    "StrategyMapping.exact": "match label, role name, text or placeholder exactly.",
    "StrategyMapping.sensitive": "masked in screenshots, never logged.",
    "StrategyMapping.within": "the rows element this one is a column of.",
    "StrategyMapping.latest": "several may show (toasts): the last one in the page counts.",
    "StrategyMapping.navigates": "a button whose script loads a new page.",
}

#: What each operator of ``if`` tests.
OPERATORS: dict[str, str] = {
    "field": "the value the test reads: a field, a group's field inside `for_each`, or a "
    "value `read` earlier.",
    "equals": 'the value equals this literal (`{field: sex, equals: "2"}`); compared as text.',
    "in": "the value is one of the list (`{field: reason, in: [転出, 死亡]}`).",
    "present": "`true`: the value is present (not missing, not empty, not false); `false`: "
    "it is not. `if: name` alone means `{field: name, present: true}`.",
    "greater_than": "the value, as a number, is greater (the literal must be a number).",
    "less_than": "the value, as a number, is smaller (the literal must be a number).",
    "all": "every condition of the list holds.",
    "any": "at least one condition of the list holds.",
    "not": "the condition under it does not hold.",
}

#: What the engine's built-in values hold.
BUILTINS: dict[str, str] = {
    "application_id": "the application's id in the management database (for the remarks "
    "tag `[renkei:{application_id}]`).",
    "atena_no": "the 宛名番号 of the person the application is about.",
    "procedure": "the procedure's id.",
    "received_at": "when the application was received (ISO date and time).",
}

#: What a name the scope gains inside a step means, by the name the parser gives it.
SCOPE_NAMES: dict[str, str] = {
    "index": "inside `for_each`: the entry's number, from 1 (element parameters such as "
    '`"#child_name_{index}"` are filled from it).',
}

_RECIPE_MODELS: tuple[type[BaseModel], ...] = (
    RecipeSpec,
    FieldSpec,
    GroupSpec,
    ReceiptSpec,
    CodeRef,
)
_SELECTOR_MODELS: tuple[type[BaseModel], ...] = (
    selector_schema.SelectorFileModel,
    selector_schema.ScreenModel,
    selector_schema.LoginModel,
    selector_schema.StrategyMapping,
)


#: Sphinx roles in docstrings (:mod:`x`, :class:`~a.b.C`): plain code on the page.
_ROLE = re.compile(r":(?:mod|class|func|meth|data|attr|exc):`~?([^`]+)`")


def doc_text(doc: str | None) -> str:
    """A docstring as the page shows it: dedented, Sphinx roles as plain code."""
    return _ROLE.sub(lambda m: f"``{m.group(1)}``", inspect.cleandoc(doc or ""))


def _key_name(name: str, info: Any) -> str:
    return str(info.alias or name)


def undescribed() -> list[str]:
    """Keys and operators the page would show without a word of explanation."""
    missing = [
        f"{model.__name__}.{_key_name(name, info)}"
        for model in (*_RECIPE_MODELS, *_SELECTOR_MODELS)
        for name, info in model.model_fields.items()
        if not info.description and f"{model.__name__}.{_key_name(name, info)}" not in KEYS
    ]
    missing += [f"if: {op}" for op in ("field", *conditions.OPERATORS) if op not in OPERATORS]
    missing += [f"built-in {{{n}}}" for n in sorted(BUILTIN_NAMES) if n not in BUILTINS]
    missing += [f"scope name {{{n}}}" for n in sorted(_scope_names()) if n not in SCOPE_NAMES]
    return missing


def _model_section(model: type[BaseModel]) -> list[str]:
    lines = []
    for name, info in model.model_fields.items():
        key = _key_name(name, info)
        text = info.description or KEYS.get(f"{model.__name__}.{key}", "")
        lines.append(f"- `{key}` ({type_text(info.annotation)}, {default_text(info)}): {text}")
    return [*lines, ""]


def _constants(node: ast.expr, cls: type[Step]) -> list[str]:
    """The key names an argument of ``check_keys`` spells: literals, and names of
    constants (module or class) holding them; ``cls.name`` is the step itself."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        return [k for item in node.elts for k in _constants(item, cls)]
    if isinstance(node, ast.Starred):
        return _constants(node.value, cls)
    if isinstance(node, ast.Attribute) and node.attr != "name":
        value = getattr(cls, node.attr, None)
    elif isinstance(node, ast.Name):
        value = vars(sys.modules[cls.__module__]).get(node.id)
    else:
        return []
    return [str(v) for v in value] if isinstance(value, Iterable) else []


def step_keys(cls: type[Step]) -> dict[str, list[str]]:
    """The keys the step's parser accepts, by where: ``beside`` its name in the step's
    mapping, ``value`` in the mapping under its name, ``entry`` in each entry of that."""
    found: dict[str, list[str]] = {"beside": [], "value": [], "entry": []}
    for klass in cls.__mro__:
        if klass is Step or not issubclass(klass, Step):
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        for call in ast.walk(tree):
            func = call.func if isinstance(call, ast.Call) else None
            if not isinstance(func, ast.Name) or func.id != "check_keys":
                continue
            assert isinstance(call, ast.Call)
            target = call.args[0]
            where = getattr(target, "id", "")
            bucket = "beside" if where == "node" else "value" if where == "spec" else "entry"
            for key in _constants(call.args[1], cls):
                if key not in found[bucket]:
                    found[bucket].append(key)
    return found


def _steps_section() -> list[str]:
    lines = [
        "## Steps",
        "",
        "A step is a mapping whose first key is the step's name: `- click: menu.search`. "
        "Elements are written `screen.element` (from the selector file), values "
        "`{placeholders}` (see *Placeholders*). Every name is checked when the recipe loads.",
        "",
    ]
    where_text = {
        "beside": "keys beside the step's name",
        "value": "keys of the mapping under the step's name",
        "entry": "keys of each entry inside it",
    }
    for name in sorted(STEPS):
        cls = STEPS[name]
        lines += [f"### `{name}`", "", doc_text(cls.__doc__), ""]
        keys = step_keys(cls)
        shown = [
            f"- {where_text[w]}: " + ", ".join(f"`{k}`" for k in ks) for w, ks in keys.items() if ks
        ]
        lines += [*(shown or ["- no keys beside the step's name."]), ""]
    return lines


def _conditions_section() -> list[str]:
    lines = [
        "## Conditions (`if`)",
        "",
        doc_text(conditions.__doc__).split("\n\n", 1)[0],
        "",
        "A test is a mapping of `field` and exactly one test; `all`, `any` and `not` stand "
        "alone in their mapping and hold conditions.",
        "",
        "| key | meaning |",
        "| --- | --- |",
    ]
    for op in ("field", *conditions.OPERATORS):
        lines.append(f"| `{op}` | {cell(OPERATORS.get(op, ''))} |")
    return [*lines, ""]


def _transforms_section() -> list[str]:
    lines = [
        "## Transforms",
        "",
        "Under a field's `transforms:` (and an application item's `normalize:`), applied "
        "left to right; a value a transform cannot convert is refused with a message, never "
        "guessed.",
        "",
        "| name | what it does |",
        "| --- | --- |",
    ]
    for name in sorted(transforms.TRANSFORMS):
        summary = first_paragraph(doc_text(transforms.TRANSFORMS[name].__doc__))
        lines.append(f"| `{name}` | {cell(summary)} |")
    lines += ["", "### Code lists", "", first_paragraph(CodeRef.__doc__), ""]
    return [*lines, *_model_section(CodeRef)]


def _rules_section() -> list[str]:
    lines = [
        "## Rules of the application schema",
        "",
        "Under `application: rules:` as `- {rule: name, …}`; details in "
        "docs/recipe-application.md.",
        "",
    ]
    for name in sorted(RULES):
        cls = RULES[name]
        lines += [f"### `{name}`", "", first_paragraph(doc_text(cls.__doc__)), ""]
        lines += [*rule_params(cls), ""]
    return lines


def _scope_names() -> set[str]:
    """Names a nested block adds by itself (``for_each``'s ``index``), asked of the parser."""
    outer = ParseContext(selectors=None, names=set())  # type: ignore[arg-type]
    return outer.child().names


def _placeholders_section() -> list[str]:
    lines = [
        "## Placeholders",
        "",
        "`{name}` in a value is replaced by a value in scope; `{group.item}` walks into a "
        "mapping. There is no other syntax: no indexing, no arithmetic, no code. In scope:",
        "",
        "- every field of `fields:` by its key (`{kana}`);",
        "- inside `for_each: group` with `as: child`, the entry's fields (`{child.name}`);",
        "- a value taken off the screen by `read` (`into: receipt_no`), from that step on;",
    ]
    lines += [f"- `{{{n}}}`: {BUILTINS.get(n, '')}" for n in sorted(BUILTIN_NAMES)]
    lines += [f"- `{{{n}}}`: {SCOPE_NAMES.get(n, '')}" for n in sorted(_scope_names())]
    return [*lines, ""]


def _selectors_section() -> list[str]:
    lines = [
        "## Selector files (`selectors/*.yaml`)",
        "",
        doc_text(selector_schema.__doc__).split("\n\n", 1)[0],
        "",
    ]
    titles = {
        "SelectorFileModel": "The file",
        "ScreenModel": "A screen (under `screens:`)",
        "LoginModel": "The log-in (`login:`)",
        "StrategyMapping": "An element given as a mapping: strategies (tried in order) and flags",
    }
    for model in _SELECTOR_MODELS:
        lines += [f"### {titles.get(model.__name__, model.__name__)}", ""]
        lines += _model_section(model)
    return lines


def _recipe_section() -> list[str]:
    titles: Mapping[str, str] = {
        "RecipeSpec": "The recipe file",
        "FieldSpec": "A field (under `fields:`)",
        "GroupSpec": "A repeated group (a field with `each`)",
        "ReceiptSpec": "The 受付番号 (`receipt:`)",
    }
    lines = ["## Recipe files (`recipes/*.yaml`)", ""]
    for model in _RECIPE_MODELS[:-1]:  # CodeRef: with the transforms
        lines += [f"### {titles[model.__name__]}", ""]
        lines += _model_section(model)
    return lines


def recipe_reference() -> str:
    """``docs/recipe-reference.md``: every key, step, condition, transform, rule and name."""
    lines = [
        "# Recipe reference",
        "",
        f"<!-- Generated by `{REGENERATE}` from the code; do not edit by hand. -->",
        "",
        "Every word a recipe or selector file may use, generated from the registries and "
        "schemas the loader checks against — a name missing here is refused when the file "
        "loads. How to write a recipe, with a worked example: docs/recipes.md. The "
        "`application:` block: docs/recipe-application.md.",
        "",
    ]
    lines += _recipe_section()
    lines += _steps_section()
    lines += _conditions_section()
    lines += _transforms_section()
    lines += _rules_section()
    lines += _placeholders_section()
    lines += _selectors_section()
    return "\n".join(lines).rstrip() + "\n"
