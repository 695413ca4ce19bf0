"""The recipe: which application data goes into which screen element, and in what order.

Loading has three stages, so that nothing is discovered while typing into a resident's
record: the YAML is read with positions (:mod:`bots.recipe.yamlpos`), its shape is checked
by pydantic (errors mapped back to file:line:column), and steps, elements, transforms and
``{placeholders}`` are resolved against the registries and the selector file.

Recipe file::

    procedure: jidou_teate_nintei
    title: 児童手当 認定請求
    selectors: kosodate                     # selectors/kosodate.yaml
    codes:                                  # the core system's code lists, code → label
      sex: {"1": 男性, "2": 女性}
    fields:                                 # application data → screen-ready values
      kana: {from: applicant.kana, transforms: [katakana_zenkaku], label: 請求者フリガナ}
      sex: {from: applicant.sex, transforms: [{code: sex}]}   # "2" → 女性 ({code_of: sex}: back)
      children:                             # a repeated group
        each: children
        label: 児童
        fields:
          name: {from: name, transforms: [jis_x0208], max_length: 30, label: 氏名}
    already_keyed: [ ...steps that look for the application in the core system... ]
    steps: [ ...steps that key it... ]

A core system without an inquiry screen says ``already_keyed: none``, one that gives no
受付番号 ``receipt: none``: both keys stay required, so a forgotten inquiry never reads as
"none" (:data:`NONE`). Without an inquiry an application whose attempt may have pressed 登録
is never keyed again automatically: the engine sends it to 要確認 for a person to check.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    model_validator,
)

from bots import transforms
from bots.errors import RecipeError, SourcePos
from bots.masking import protect_keys
from bots.recipe.selectors import SelectorSet, load_selectors
from bots.recipe.yamlpos import LocDict, LocList, load_located, pos_of
from bots.schema import (
    ApplicationSpec,
    ItemSpec,
    Schema,
    find_item,
    load_gaiji,
    load_schema,
    walk_items,
)
from bots.steps import ParseContext, Step, parse_steps
from bots.transforms.choices import CodeList

#: The municipality's 外字 list, beside the recipes (one character or more per line).
GAIJI_FILE = "gaiji.txt"

#: Values the engine provides for every application, besides the recipe's own fields.
BUILTIN_NAMES = {"application_id", "atena_no", "procedure", "received_at"}

#: What ``already_keyed:`` / ``receipt:`` say for a core system without an inquiry screen /
#: without a 受付番号. Only this word: an empty key (``receipt:``) is an error, not "none".
NONE = "none"
#: What each of the two keys takes, for the loader's message when it is missing or wrong.
REQUIRED_HINTS = {
    "already_keyed": "steps ending in 'find_existing' that look the application up on the "
    "inquiry screen, or 'already_keyed: none' for a core system without one (an application "
    "that may have been registered then goes to 要確認)",
    "receipt": "the 受付番号's {pattern, example}, or 'receipt: none' for a core system that "
    "gives no receipt number",
}


class CodeRef(BaseModel):
    """A code list lookup among a field's transforms: ``{code: sex}`` turns a code into its
    label (``"2"`` → 女性), ``{code_of: sex}`` a label into its code (女性 → ``"2"``).

    The loader binds it to the recipe's own list (:meth:`bind`); it is then called like a
    registered transform.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str | None = None
    code_of: str | None = None
    _lookup: Callable[[object], str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_list(self) -> CodeRef:
        if (self.code is None) == (self.code_of is None):
            raise ValueError("give exactly one of 'code' or 'code_of'")
        return self

    @property
    def key(self) -> str:
        return "code" if self.code is not None else "code_of"

    @property
    def list_name(self) -> str:
        return str(self.code if self.code is not None else self.code_of)

    def bind(self, codes: CodeList) -> None:
        self._lookup = codes.label if self.code is not None else codes.code

    def __call__(self, value: object) -> str:
        if self._lookup is None:  # a programming error: only the loader makes these
            raise RuntimeError(f"code list '{self.list_name}' was not bound")
        return self._lookup(value)


def _transform_kind(value: Any) -> str:
    """A mapping among the transforms is a code list lookup; anything else a name."""
    return "code_list" if isinstance(value, dict) else "transform_name"


TransformRef = Annotated[
    Annotated[str, Tag("transform_name")] | Annotated[CodeRef, Tag("code_list")],
    Discriminator(_transform_kind),
]
#: pydantic's names of union branches: not part of the path an author wrote.
_BRANCH_TAGS = ("field", "group", "transform_name", "code_list", "none", "given")


class FieldSpec(BaseModel):
    """One value for the screen, computed from the application's data."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str | None = Field(default=None, alias="from")
    value: str | None = None  # a template over built-ins, e.g. "[renkei:{application_id}]"
    transforms: list[TransformRef] = []
    label: str | None = None
    required: bool = True
    when: str | None = None  # computed only when this data path is present
    max_length: int | None = None
    sensitive: bool = False  # masked in the audit log

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        if (self.source is None) == (self.value is None):
            raise ValueError("give exactly one of 'from' or 'value'")
        return self


class GroupSpec(BaseModel):
    """A repeated group of the form (児童): a list in the data, rows on the screen."""

    model_config = ConfigDict(extra="forbid")

    each: str
    label: str
    min_items: int = 0
    max_items: int | None = None
    fields: dict[str, FieldSpec]


def _field_kind(value: Any) -> str:
    """A mapping with ``each`` is a repeated group; anything else a single field."""
    return "group" if isinstance(value, dict) and "each" in value else "field"


FieldOrGroup = Annotated[
    Annotated[FieldSpec, Tag("field")] | Annotated[GroupSpec, Tag("group")],
    Discriminator(_field_kind),
]


class ReceiptSpec(BaseModel):
    """The core system's 受付番号 of this procedure: what a clerk keying by hand must give."""

    model_config = ConfigDict(extra="forbid")

    pattern: str
    example: str | None = None


def _none_or_given(value: Any) -> str:
    """A string is the word ``none`` (or a mistake pydantic names); anything else is given."""
    return "none" if isinstance(value, str) else "given"


ReceiptOrNone = Annotated[
    Annotated[ReceiptSpec, Tag("given")] | Annotated[Literal["none"], Tag("none")],
    Discriminator(_none_or_given),
]
StepsOrNone = Annotated[
    Annotated[list[Any], Tag("given")] | Annotated[Literal["none"], Tag("none")],
    Discriminator(_none_or_given),
]


class RecipeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    selectors: str
    receipt: ReceiptOrNone = Field(
        description="the shape of the core system's 受付番号 (`pattern`, `example`), or "
        "`none` for a system that gives none (keyed applications are 連携済 without one, "
        "and 手入力済 asks for none)."
    )
    codes: dict[str, dict[str, str]] = {}
    application: ApplicationSpec
    fields: dict[str, FieldOrGroup]
    already_keyed: StepsOrNone = Field(
        description="steps that look for the application in the core system before keying "
        "(an attempt may have pressed 登録 already), ending in `find_existing`; or `none` "
        "for a system without an inquiry screen: an application that may have been "
        "registered is then never keyed again automatically but goes to 要確認."
    )
    steps: list[Any]


@dataclass(frozen=True)
class Recipe:
    """A loaded, validated recipe, ready to run."""

    procedure: str
    title: str
    path: Path
    selectors: SelectorSet
    fields: dict[str, FieldSpec]
    groups: dict[str, GroupSpec]
    already_keyed: list[Step]
    steps: list[Step]
    schema: Schema
    receipt: ReceiptSpec | None = None  # None: ``receipt: none``, the system gives none
    inquiry: bool = True  # False: ``already_keyed: none``, no inquiry screen to look it up

    @property
    def system(self) -> str:
        return self.selectors.system

    @property
    def gives_receipt(self) -> bool:
        """Whether the core system gives a 受付番号 (the recipe does not say ``none``)."""
        return self.receipt is not None

    @property
    def sensitive_fields(self) -> set[str]:
        names = {n for n, f in self.fields.items() if f.sensitive}
        for group in self.groups.values():
            names |= {n for n, f in group.fields.items() if f.sensitive}
        return names

    @property
    def sensitive_keys(self) -> set[str]:
        """Keys of the application data whose values are masked wherever data is shown."""
        return self.schema.sensitive_keys()

    def receipt_problem(self, receipt_no: str) -> str | None:
        """Why ``receipt_no`` is not a 受付番号 of this procedure, or None when it is."""
        if self.receipt is None or re.fullmatch(self.receipt.pattern, receipt_no):
            return None
        example = f"（例: {self.receipt.example}）" if self.receipt.example else ""
        return f"受付番号「{receipt_no}」は{self.title}の受付番号の形式ではありません{example}"


def _locate(doc: Any, loc: tuple[int | str, ...]) -> tuple[SourcePos | None, str]:
    """Follow a pydantic error location through the located YAML.

    Returns the position and the path as written in the YAML (pydantic's own location
    also names union branches and validators, which mean nothing to a recipe author).
    """
    node, best, path = doc, pos_of(doc), []
    for part in loc:
        if isinstance(node, LocDict) and isinstance(part, str) and part in node:
            best = node.pos_of(part)
            node = node[part]
            path.append(part)
        elif isinstance(node, LocList) and isinstance(part, int) and part < len(node):
            node = node[part]
            best = pos_of(node, best)
            path.append(str(part))
        elif (
            isinstance(node, LocDict)
            and isinstance(part, str)
            and part[:1].isalpha()
            and "[" not in part
            and part not in _BRANCH_TAGS
        ):
            path.append(part)  # a missing key: name it, keep the mapping's position
    return best, ".".join(path)


def _shown(path: Path, root: Path | None) -> str:
    return str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)


def _check_transforms(
    spec: FieldSpec, node: Any, where: SourcePos | None, codes: dict[str, CodeList]
) -> None:
    """Every transform is registered, every code list declared; bind the lookups."""
    items = node.get("transforms") if isinstance(node, LocDict) else None
    for index, ref in enumerate(spec.transforms):
        if isinstance(ref, str):
            try:
                transforms.get(ref)
            except KeyError as exc:
                raise RecipeError(str(exc.args[0]), where) from None
            continue
        item = items[index] if isinstance(items, LocList) and index < len(items) else None
        at = item.pos_of(ref.key) if isinstance(item, LocDict) else where
        table = codes.get(ref.list_name)
        if table is None:
            close = difflib.get_close_matches(ref.list_name, sorted(codes), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else " (declare it under 'codes:')"
            raise RecipeError(f"unknown code list '{ref.list_name}'{hint}", at)
        twice = table.duplicate_labels()
        if ref.code_of is not None and twice:
            raise RecipeError(
                f"code list '{ref.list_name}' gives '{twice[0]}' to more than one code: "
                "'code_of' could not choose",
                at,
            )
        ref.bind(table)


def _code_lists(spec: RecipeSpec, doc: LocDict) -> dict[str, CodeList]:
    """The recipe's ``codes:``, each a non-empty mapping of code → label."""
    lists: dict[str, CodeList] = {}
    for name, codes in spec.codes.items():
        if not codes:
            raise RecipeError(f"code list '{name}' is empty", doc["codes"].pos_of(name))
        lists[name] = CodeList(name, dict(codes))
    return lists


def _check_source(
    items: dict[str, ItemSpec], spec: FieldSpec, node: Any, where: SourcePos | None
) -> None:
    """A field reads a declared item of the application (a typo would read nothing)."""
    for attr, path in (("from", spec.source), ("when", spec.when)):
        if path is not None and find_item(items, path) is None:
            close = difflib.get_close_matches(path, [p for p, _ in walk_items(items)], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            at = node.pos_of(attr) if isinstance(node, LocDict) else where
            raise RecipeError(f"'{path}' is not an item of the application{hint}", at)


def _check_fields(
    spec: RecipeSpec, schema: Schema, fields_node: LocDict, codes: dict[str, CodeList]
) -> tuple[dict[str, FieldSpec], dict[str, GroupSpec]]:
    fields: dict[str, FieldSpec] = {}
    groups: dict[str, GroupSpec] = {}
    for name, item in spec.fields.items():
        where = fields_node.pos_of(name)
        if name in BUILTIN_NAMES:
            raise RecipeError(f"'{name}' is a built-in value; choose another name", where)
        if isinstance(item, GroupSpec):
            group_node = fields_node[name]
            listed = schema.item(item.each)
            if listed is None or listed.type != "list" or listed.each is None:
                raise RecipeError(
                    f"'each: {item.each}' is not a list item of the application",
                    group_node.pos_of("each"),
                )
            entry = listed.each.items or {}
            for sub_name, sub in item.fields.items():
                sub_where = group_node["fields"].pos_of(sub_name)
                _check_transforms(sub, group_node["fields"].get(sub_name), sub_where, codes)
                _check_source(entry, sub, group_node["fields"].get(sub_name), sub_where)
            groups[name] = item
        else:
            _check_transforms(item, fields_node.get(name), where, codes)
            _check_source(schema.items, item, fields_node.get(name), where)
            fields[name] = item
    return fields, groups


def load_recipe(
    path: Path,
    selectors_dir: Path,
    display_root: Path | None = None,
    gaiji: frozenset[str] = frozenset(),
) -> Recipe:
    """Load, validate and resolve a recipe file. Raises a located :class:`RecipeError`."""
    doc = load_located(path, _shown(path, display_root))
    try:
        spec = RecipeSpec.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where, yaml_path = _locate(doc, first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        hint = _required_hint(doc, first)
        if hint:
            raise RecipeError(hint, where) from None
        raise RecipeError(f"{yaml_path}: {message}" if yaml_path else message, where) from None
    sel_path = selectors_dir / f"{spec.selectors}.yaml"
    if not sel_path.exists():
        raise RecipeError(f"no selector file {sel_path}", doc.pos_of("selectors"))
    selectors = load_selectors(sel_path, _shown(sel_path, display_root))
    schema = load_schema(doc["application"], spec.application, gaiji)
    if isinstance(spec.receipt, ReceiptSpec):
        try:
            re.compile(spec.receipt.pattern)
        except re.error as exc:
            raise RecipeError(f"bad pattern: {exc}", doc["receipt"].pos_of("pattern")) from None
    fields, groups = _check_fields(spec, schema, doc["fields"], _code_lists(spec, doc))

    ctx = ParseContext(
        selectors,
        names=set(fields) | set(groups) | BUILTIN_NAMES,
        groups={g: set(spec_.fields) for g, spec_ in groups.items()},
    )
    inquiry = spec.already_keyed != NONE
    already = parse_steps(doc["already_keyed"], ctx, doc.pos_of("already_keyed")) if inquiry else []
    steps = parse_steps(doc["steps"], ctx, doc.pos_of("steps"))
    if not any(s.name == "register" for s in _walk(steps)):
        raise RecipeError("the steps never 'register': nothing would be keyed", doc.pos_of("steps"))
    if inquiry and not any(s.name == "find_existing" for s in _walk(already)):
        raise RecipeError(
            "'already_keyed' must end in 'find_existing': without it a retry could key twice",
            doc.pos_of("already_keyed"),
        )
    recipe = Recipe(
        spec.procedure,
        spec.title,
        path,
        selectors,
        fields,
        groups,
        already,
        steps,
        schema,
        spec.receipt if isinstance(spec.receipt, ReceiptSpec) else None,
        inquiry,
    )
    # One masking rule for the process (bots/masking.py): what this recipe marks sensitive
    # is masked in every output from now on, whoever prints it.
    protect_keys(recipe.sensitive_keys | recipe.sensitive_fields)
    return recipe


def _required_hint(doc: Any, error: Any) -> str | None:
    """The message for a missing or empty ``already_keyed`` / ``receipt``: it names the
    ``none`` alternative, since a system without an inquiry or a 受付番号 must say so."""
    loc = error["loc"]
    key = str(loc[0]) if loc else ""
    if key not in REQUIRED_HINTS:
        return None
    missing = error["type"] == "missing" and len(loc) == 1
    if missing or (isinstance(doc, LocDict) and key in doc and doc[key] is None):
        return f"'{key}' is required: {REQUIRED_HINTS[key]}"
    if error["type"] == "literal_error":  # a word, but not 'none'
        return f"{key}: '{error['input']}' is not understood: give {REQUIRED_HINTS[key]}"
    return None


def _walk(steps: list[Step]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        out.append(step)
        out += _walk(step.children())
    return out


def load_each(
    recipes_dir: Path, selectors_dir: Path, root: Path | None = None
) -> tuple[dict[str, Recipe], dict[Path, RecipeError]]:
    """Every recipe of the folder that loads, keyed by procedure, and the error of each
    file that does not: one broken file must not stop the runs of every other procedure.

    The municipality's 外字 list belongs to every recipe: a broken one still raises.
    """
    recipes: dict[str, Recipe] = {}
    errors: dict[Path, RecipeError] = {}
    gaiji = load_gaiji(recipes_dir / GAIJI_FILE)
    for path in sorted(recipes_dir.glob("*.yaml")):
        try:
            recipe = load_recipe(path, selectors_dir, root, gaiji)
        except RecipeError as exc:
            errors[path] = exc
            continue
        if recipe.procedure in recipes:
            errors[path] = RecipeError(
                f"procedure '{recipe.procedure}' defined twice (also in "
                f"{_shown(recipes[recipe.procedure].path, root)})",
                SourcePos(_shown(path, root), 1, 1),
            )
            continue
        recipes[recipe.procedure] = recipe
    return recipes, errors


def load_all(recipes_dir: Path, selectors_dir: Path, root: Path | None = None) -> dict[str, Recipe]:
    """Every recipe of the folder, keyed by procedure; the first bad file raises."""
    recipes, errors = load_each(recipes_dir, selectors_dir, root)
    for error in errors.values():
        raise error
    return recipes
