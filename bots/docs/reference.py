"""``docs/recipe-application.md``: everything a recipe's ``application:`` block may say.

:func:`schema_reference` reads the item attributes from
:class:`~bots.schema.model.ItemSpec`'s fields, the item types and character sets from
their ``Literal`` types, every registered rule with its parameters (the rule's pydantic
fields), every registered transform and the 本人確認 differences. What the code has but
the descriptions below lack refuses to generate, so the page can only be complete.
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo

from bots import transforms
from bots.docs.text import REGENERATE, cell
from bots.schema.model import ApplicationSpec, Charset, ItemSpec, ItemType
from bots.schema.rules import RULES, Rule
from bots.steps.matching import KINDS

GAIJI_PATH = "recipes/gaiji.txt"

#: What each attribute of an item means; every field of ItemSpec must have a line here
#: (:func:`schema_reference` refuses to generate a page with an undocumented attribute).
ATTRIBUTES: dict[str, str] = {
    "type": "what kind of value the item holds (see *Item types*).",
    "label": "what the form calls the item (日本語); an object's label is put in front of "
    "its items' labels (請求者 + フリガナ → 請求者フリガナ), a list's label is numbered "
    "(児童1 氏名). Every message to a clerk names the item by this label.",
    "description": "a longer explanation, shown in the import layout (docs/import.md).",
    "example": "a valid value: shown in the docs, and in the message when a value does not "
    "match `pattern` (not for sensitive items).",
    "required": "the item must be present and not empty. Inside an optional object, the "
    "items are required only when the object is given.",
    "sensitive": "the value is masked in every message, log, screenshot and report.",
    "normalize": "transforms by name (see *Transforms*), applied left to right before the "
    "checks; every change is written to the audit log. A value a transform refuses is a "
    "problem of the item.",
    "min_length": "text: at least this many characters.",
    "max_length": "text: at most this many characters (after `normalize`).",
    "pattern": "text: a regular expression the whole value must match.",
    "charset": "text: the characters allowed (see *Character sets*).",
    "multiline": "text: line breaks are allowed (備考).",
    "choices": "text: the value must be one of these.",
    "min": "date (an ISO date YYYY-MM-DD) or integer: the smallest value allowed.",
    "max": "date (an ISO date YYYY-MM-DD) or integer: the largest value allowed.",
    "not_future": "date: a day after today (Japan time) is impossible.",
    "not_before": "date: the path of another date item this one may not be before "
    "(請求年月日 not before 生年月日).",
    "not_after": "date: the path of another date item this one may not be after.",
    "items": "object: its items, by key (each an item with these same attributes).",
    "each": "list: the shape of one entry (usually an object with `items`).",
    "min_items": "list: at least this many entries.",
    "max_items": "list: at most this many entries.",
}

ITEM_TYPES: dict[str, str] = {
    "text": "a string (numbers given as text are taken as text). Checked for control and "
    "invisible characters, markup (HTML tags, character references), the character set, "
    "length, pattern and choices.",
    "date": "a real calendar day as `YYYY-MM-DD` (use `normalize: [iso_date]` to accept "
    "和暦 and full-width digits), on or after 明治 (1868); `min`/`max`, `not_future`, "
    "`not_before`/`not_after`.",
    "integer": "whole number, as a number or half-width digits; `min`/`max`.",
    "boolean": "`true`/`false` (also `1`/`0`, `はい`/`いいえ`, `yes`/`no`: what a CSV cell holds).",
    "object": "a group of items under one key (`applicant.kana`); needs `items`.",
    "list": "repeated entries (児童); needs `each`; `min_items`/`max_items`.",
}

CHARSETS: dict[str, str] = {
    "jis_x0208": "JIS X 0208 (JIS第1・第2水準) and JIS X 0201, plus the municipality's 外字 "
    f"(`{GAIJI_PATH}`). The default: the core systems store names in it.",
    "ascii": "half-width letters, digits and symbols only.",
    "any": "no character-set check (control characters and markup are still refused).",
}

UNKNOWN_POLICIES: dict[str, str] = {
    "review": "an item the application carries but the schema does not declare sends it "
    "to a person (要確認), naming the items: the form changed, or the data is not this "
    "procedure's. The default.",
    "keep": "such items are kept with the application and otherwise ignored.",
}

APPLICATION_KEYS: dict[str, str] = {
    "unknown_items": "what happens to items the schema does not declare (see *Unknown items*).",
    "items": "the items of the form, by key.",
    "rules": "the procedure's cross-item rules, `- {rule: name, parameter: value, …}`.",
}


def _literal_values(annotation: Any) -> list[str]:
    return [str(v) for v in get_args(annotation)]


def _require_documented(what: str, names: Iterable[str], documented: Mapping[str, str]) -> None:
    """Refuse to generate a page missing something the code has (the point of generating)."""
    missing = [n for n in names if n not in documented]
    if missing:
        raise ValueError(
            f"{what} {', '.join(missing)} not described in bots/docs/reference.py: add a line"
        )


def type_text(annotation: Any) -> str:
    """A field's type as a recipe writer reads it: ``str | None``, ``list[str]``."""
    origin = get_origin(annotation)
    if origin is Annotated:  # constraints and union tags: not part of the type as written
        return type_text(get_args(annotation)[0])
    if origin is Literal:
        return " / ".join(json.dumps(a, ensure_ascii=False) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        return " | ".join(type_text(a) for a in get_args(annotation))
    if origin is not None:
        args = ", ".join(type_text(a) for a in get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if annotation is type(None):
        return "None"
    if annotation is Any:
        return "Any"
    return getattr(annotation, "__name__", str(annotation))


def default_text(info: FieldInfo) -> str:
    """``required`` or the default as YAML would write it (``default null``)."""
    if info.is_required():
        return "required"
    default = info.get_default(call_default_factory=True)
    return f"default {json.dumps(default, ensure_ascii=False)}"


def first_paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line (the transform's summary)."""
    text = inspect.cleandoc(doc or "")
    return " ".join(text.split("\n\n", 1)[0].split())


def _attributes_section() -> list[str]:
    fields = ItemSpec.model_fields
    _require_documented("ItemSpec attribute", fields, ATTRIBUTES)
    lines = ["## Item attributes", ""]
    for name, info in fields.items():
        lines.append(
            f"- `{name}` ({type_text(info.annotation)}, {default_text(info)}): {ATTRIBUTES[name]}"
        )
    lines += ["", "## Item types", ""]
    type_names = _literal_values(ItemType)
    _require_documented("item type", type_names, ITEM_TYPES)
    lines += [f"- `{name}`: {ITEM_TYPES[name]}" for name in type_names]
    lines += ["", "## Character sets (`charset`)", ""]
    charsets = _literal_values(Charset)
    _require_documented("charset", charsets, CHARSETS)
    lines += [f"- `{name}`: {CHARSETS[name]}" for name in charsets]
    return [*lines, ""]


def _application_section() -> list[str]:
    fields = ApplicationSpec.model_fields
    _require_documented("application key", fields, APPLICATION_KEYS)
    lines = ["## The `application:` block", ""]
    lines += [
        f"- `{name}` ({type_text(info.annotation)}, {default_text(info)}): {APPLICATION_KEYS[name]}"
        for name, info in fields.items()
    ]
    policies = _literal_values(ApplicationSpec.model_fields["unknown_items"].annotation)
    _require_documented("unknown_items policy", policies, UNKNOWN_POLICIES)
    lines += ["", "## Unknown items (`unknown_items`)", ""]
    lines += [f"- `{name}`: {UNKNOWN_POLICIES[name]}" for name in policies]
    lines += [
        "",
        "## 外字 (`recipes/gaiji.txt`)",
        "",
        f"`{GAIJI_PATH}` lists the characters the municipality has registered in its core "
        "systems as 外字. They are accepted beside JIS X 0208 by every text item with "
        "`charset: jis_x0208`; any other character outside JIS X 0208 sends the application "
        "to a person, naming the character. One or more characters per line, `#` starts a "
        "comment; the list is shared by every recipe of the folder. Keep it in step with "
        "the core systems' 外字 tables: a character listed here that a core system does not "
        "know is refused by that system at 登録.",
        "",
    ]
    return lines


def rule_params(cls: type[Rule]) -> list[str]:
    entry_parents = cls.entry_paths
    lines = []
    for name, info in cls.model_fields.items():
        if name in cls.paths:
            role = "; the path of an item"
        elif name in entry_parents:
            parents = ", ".join(f"`{p}`" for p in entry_parents[name])
            role = f"; an item inside the entries of {parents}"
        else:
            role = ""
        lines.append(f"- `{name}` ({type_text(info.annotation)}, {default_text(info)}{role})")
    return lines


def _rules_section() -> list[str]:
    lines = [
        "## Rules",
        "",
        "Cross-item rules under `rules:`, by name. Parameters naming items are checked "
        "against the schema when the recipe loads (a wrong path is an error with file:line). "
        "A rule reads the checked values: an item that already failed its own checks counts "
        "as missing, so one mistake is reported once.",
        "",
    ]
    for name in sorted(RULES):
        cls = RULES[name]
        lines += [f"### `{name}`", "", inspect.cleandoc(cls.__doc__ or ""), "", "Parameters:", ""]
        lines += [*rule_params(cls), ""]
    return lines


def _transforms_section() -> list[str]:
    lines = [
        "## Transforms",
        "",
        "Named, pure functions usable under an item's `normalize:` (before the checks) and a "
        "field's `transforms:` (the value keyed into a screen). A value a transform cannot "
        "turn into something the core system accepts is refused with a message, never "
        "guessed.",
        "",
        "| name | what it does |",
        "| --- | --- |",
    ]
    for name in sorted(transforms.TRANSFORMS):
        summary = first_paragraph(transforms.TRANSFORMS[name].__doc__)
        lines.append(f"| `{name}` | {cell(summary)} |")
    return [*lines, ""]


def _identity_section() -> list[str]:
    lines = [
        "## 本人確認: differences `allow:` may accept",
        "",
        "`verify_identity` compares what the core system shows with the application: only an "
        "exact match passes (ends trimmed). A value equal only once a known difference is "
        "ignored is named as such, with both forms, and the application goes to a person — "
        "unless the check lists that kind under `allow:` "
        '(`atena_search.result_name: {equals: "{name}", label: 氏名, allow: [spacing]}`). '
        "Allow a kind only for an item where it cannot hide a different person, and say why "
        "in the recipe.",
        "",
        "| kind | difference |",
        "| --- | --- |",
    ]
    lines += [f"| `{kind}` | {cell(text)} |" for kind, text in KINDS.items()]
    return [*lines, ""]


def schema_reference() -> str:
    """``docs/recipe-application.md``: everything a recipe's ``application:`` may say."""
    lines = [
        "# Application schema reference",
        "",
        f"<!-- Generated by `{REGENERATE}` from the code; do not edit by hand. -->",
        "",
        "A recipe's `application:` block declares every item of the procedure's online form "
        "(keyed or not) and the cross-item rules of its law. Each application is checked "
        "against it before the browser is touched: every problem at once, each naming the "
        "item by its label, sends the application to 要確認. Item checks, in order: empty / "
        "`required`; the `normalize` transforms; the type; then the type's constraints.",
        "",
        "```yaml",
        "application:",
        "  unknown_items: review",
        "  items:",
        "    applicant:",
        "      type: object",
        "      label: 請求者",
        "      items:",
        "        kana: {label: フリガナ, normalize: [katakana_zenkaku], max_length: 30}",
        "    children:",
        "      type: list",
        "      label: 児童",
        "      min_items: 1",
        "      each: {type: object, items: {birth_date: {type: date, label: 生年月日}}}",
        "  rules:",
        "    - {rule: distinct_entries, items: children, keys: [birth_date]}",
        "```",
        "",
    ]
    lines += _application_section()
    lines += _attributes_section()
    lines += _rules_section()
    lines += _transforms_section()
    lines += _identity_section()
    return "\n".join(lines).rstrip() + "\n"
