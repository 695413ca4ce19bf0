"""The recipe: which application data goes into which screen element, and in what order.

Loading has three stages, so that nothing is discovered while typing into a resident's
record: the YAML is read with positions (:mod:`bots.recipe.yamlpos`), its shape is checked
by pydantic (:mod:`bots.recipe.spec`; errors mapped back to file:line:column), and steps,
elements, transforms and ``{placeholders}`` are resolved against the registries and the
selector file. Every check runs even after a failed one, so one pass reports every problem
of the file: a section whose shape is wrong is left out of the checks that need it (each
mistake is reported once, not again as the consequences it has further down).

A recipe may ``extends: <procedure>`` a recipe of the same procedure (the same application
keyed into another client of the core system, e.g. its desktop version): the base's
procedure, title, receipt, code lists, application items and rules, and fields are taken
as they are, and this file gives its own ``selectors``, ``already_keyed`` and ``steps``
(and may add ``codes`` and ``fields``). The base is looked for beside the file, then in the
folder above it (``recipes/desktop/x.yaml`` extends ``recipes/x.yaml``).

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
from pathlib import Path
from typing import Any

from bots import transforms
from bots.errors import Problems, RecipeError, SourcePos
from bots.masking import protect_keys
from bots.recipe.selectors import read_selectors, unreadable_selectors
from bots.recipe.shape import shape
from bots.recipe.spec import (
    BUILTIN_NAMES,
    EXTENDS_ADDS,
    EXTENDS_OWN,
    GAIJI_FILE,
    NONE,
    CodeRef,
    FieldSpec,
    GroupSpec,
    ReceiptSpec,
    Recipe,
    RecipeSpec,
)
from bots.recipe.yamlpos import LocDict, LocList, pos_of, read_located
from bots.schema import (
    ItemSpec,
    Schema,
    find_item,
    load_gaiji,
    walk_items,
)
from bots.schema.loading import read_schema
from bots.screens import SelectorSet
from bots.steps import ParseContext, Step, parse_steps
from bots.steps.safety import FindExisting
from bots.transforms.choices import CodeList

__all__ = [
    "BUILTIN_NAMES",
    "GAIJI_FILE",
    "NONE",
    "CodeRef",
    "FieldSpec",
    "GroupSpec",
    "ReceiptSpec",
    "Recipe",
    "RecipeSpec",
    "load_all",
    "load_each",
    "load_recipe",
]


def load_recipe(
    path: Path,
    selectors_dir: Path,
    display_root: Path | None = None,
    gaiji: frozenset[str] = frozenset(),
) -> Recipe:
    """Load, validate and resolve a recipe file.

    Raises a located :class:`RecipeError` — a :class:`~bots.errors.RecipeErrors` with every
    problem of the file and of the selector file it names, the recipe's first.
    """
    shown = _shown(path, display_root)
    doc, found = read_located(path, shown)
    if not isinstance(doc, LocDict):
        raise RecipeError(
            "a recipe is a mapping of procedure, title, selectors, receipt, application, "
            "fields, already_keyed and steps",
            pos_of(doc),
        )
    problems = Problems()
    problems.add(found)
    if "extends" in doc:
        doc = _extended(doc, path, display_root, problems)
    spec, sections = shape(doc, problems)
    selectors = _selectors(doc, sections, selectors_dir, display_root, problems)
    schema = _schema(doc, sections, gaiji, problems)
    with problems.collect():
        _check_receipt(doc, sections)
    codes = _code_lists(doc, sections, problems)
    fields, groups = _check_fields(doc, sections, schema, codes, problems)
    already, steps = _steps(doc, sections, selectors, problems)
    problems.raise_any(shown)
    assert spec is not None and schema is not None  # no problems: every stage ran
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
        spec.already_keyed != NONE,
    )
    # One masking rule for the process (bots/masking.py): what this recipe marks sensitive
    # is masked in every output from now on, whoever prints it.
    protect_keys(recipe.sensitive_keys | recipe.sensitive_fields)
    return recipe


def _extended(doc: LocDict, path: Path, root: Path | None, problems: Problems) -> LocDict:
    """The base recipe's document with this file's own sections (see the module doc)."""
    where = doc.pos_of("extends")
    for key in doc:
        if key != "extends" and key not in (*EXTENDS_OWN, *EXTENDS_ADDS):
            problems.add(
                [
                    RecipeError(
                        f"'{key}' is the base recipe's: a recipe that extends another gives"
                        f" only {', '.join(EXTENDS_OWN + EXTENDS_ADDS)}",
                        doc.pos_of(key),
                    )
                ]
            )
    for key in EXTENDS_OWN:
        if key not in doc:
            problems.add([RecipeError(f"missing '{key}' (this client's own)", doc.pos)])
    name = str(doc["extends"])
    candidates = [path.with_name(f"{name}.yaml"), path.parent.parent / f"{name}.yaml"]
    base_path = next((c for c in candidates if c.is_file() and c != path), None)
    if base_path is None:
        shown = ", ".join(_shown(c, root) for c in candidates)
        problems.add([RecipeError(f"extends: no recipe '{name}' ({shown})", where)])
        return _own(doc, LocDict(), problems)
    base, found = read_located(base_path, _shown(base_path, root))
    problems.add(found)
    if not isinstance(base, LocDict) or "extends" in base:
        problems.add([RecipeError(f"extends: '{name}' must be a recipe of its own", where)])
        return _own(doc, LocDict(), problems)
    return _own(doc, base, problems)


def _own(doc: LocDict, base: LocDict, problems: Problems) -> LocDict:
    """``base`` with ``doc``'s own sections put in and its additions merged (a name of
    ``codes``/``fields`` the base has already is a problem: the base is not rewritten)."""
    merged = LocDict(base)
    merged.pos, merged.key_pos = doc.pos, dict(getattr(base, "key_pos", {}))
    for key in EXTENDS_OWN:
        if key in doc:
            merged[key], merged.key_pos[key] = doc[key], doc.pos_of(key)
    for key in EXTENDS_ADDS:
        added = doc.get(key)
        if not isinstance(added, LocDict):
            continue
        section = LocDict(base.get(key) or {})
        section.pos = added.pos
        section.key_pos = dict(getattr(base.get(key), "key_pos", {}))
        for name, value in added.items():
            if name in section:
                problems.add(
                    [
                        RecipeError(
                            f"'{name}' is in the base recipe's {key} already", added.pos_of(name)
                        )
                    ]
                )
                continue
            section[name], section.key_pos[name] = value, added.pos_of(name)
        merged[key] = section
        merged.key_pos.setdefault(key, doc.pos_of(key))
    return merged


def _shown(path: Path, root: Path | None) -> str:
    return str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)


def _selectors(
    doc: LocDict,
    sections: dict[str, Any],
    selectors_dir: Path,
    display_root: Path | None,
    problems: Problems,
) -> SelectorSet:
    """The selector file the recipe names, as far as it loads (its problems are the
    recipe's too); an unreadable stand-in when it cannot be read, so steps are still checked."""
    name = sections.get("selectors")
    path = selectors_dir / f"{name or doc.get('selectors') or 'unnamed'}.yaml"
    if name is None:
        return unreadable_selectors(path)
    if not path.exists():
        problems.add([RecipeError(f"no selector file {path}", doc.pos_of("selectors"))])
        return unreadable_selectors(path)
    try:
        selectors, found = read_selectors(path, _shown(path, display_root))
    except RecipeError as exc:
        problems.add(exc.problems)
        return unreadable_selectors(path)
    problems.add(found)
    return selectors


def _schema(
    doc: LocDict, sections: dict[str, Any], gaiji: frozenset[str], problems: Problems
) -> Schema | None:
    spec = sections.get("application")
    if spec is None:
        return None
    schema, found = read_schema(doc["application"], spec, gaiji)
    problems.add(found.found)
    return schema


def _check_receipt(doc: LocDict, sections: dict[str, Any]) -> None:
    receipt = sections.get("receipt")
    if isinstance(receipt, ReceiptSpec):
        try:
            re.compile(receipt.pattern)
        except re.error as exc:
            raise RecipeError(f"bad pattern: {exc}", doc["receipt"].pos_of("pattern")) from None


def _code_lists(doc: LocDict, sections: dict[str, Any], problems: Problems) -> dict[str, CodeList]:
    """The recipe's ``codes:``, each a non-empty mapping of code → label."""
    lists: dict[str, CodeList] = {}
    for name, codes in (sections.get("codes") or {}).items():
        if not codes:
            problems.add([RecipeError(f"code list '{name}' is empty", doc["codes"].pos_of(name))])
        lists[name] = CodeList(name, dict(codes))
    return lists


def _check_transforms(
    spec: FieldSpec, node: Any, where: SourcePos | None, codes: dict[str, CodeList]
) -> None:
    """Every transform is registered, every code list declared; bind the lookups."""
    problems = Problems()
    items = node.get("transforms") if isinstance(node, LocDict) else None
    for index, ref in enumerate(spec.transforms):
        item = items[index] if isinstance(items, LocList) and index < len(items) else None
        with problems.collect():
            _check_transform(ref, item, where, codes)
    problems.raise_any()


def _check_transform(
    ref: str | CodeRef, item: Any, where: SourcePos | None, codes: dict[str, CodeList]
) -> None:
    if isinstance(ref, str):
        try:
            transforms.get(ref)
        except KeyError as exc:
            raise RecipeError(str(exc.args[0]), pos_of(item, where)) from None
        return
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


def _check_field(
    spec: FieldSpec,
    node: Any,
    where: SourcePos | None,
    items: dict[str, ItemSpec] | None,
    codes: dict[str, CodeList],
) -> None:
    """One field's transforms and, when the application loaded, its source."""
    problems = Problems()
    with problems.collect():
        _check_transforms(spec, node, where, codes)
    if items is not None:
        with problems.collect():
            _check_source(items, spec, node, where)
    problems.raise_any()


def _check_fields(
    doc: LocDict,
    sections: dict[str, Any],
    schema: Schema | None,
    codes: dict[str, CodeList],
    problems: Problems,
) -> tuple[dict[str, FieldSpec], dict[str, GroupSpec]]:
    fields: dict[str, FieldSpec] = {}
    groups: dict[str, GroupSpec] = {}
    if "fields" not in sections:
        return fields, groups  # its shape is reported
    fields_node: LocDict = doc["fields"]
    items = schema.items if schema is not None else None
    for name, item in sections["fields"].items():
        where = fields_node.pos_of(name)
        with problems.collect():
            if name in BUILTIN_NAMES:
                raise RecipeError(f"'{name}' is a built-in value; choose another name", where)
            if isinstance(item, GroupSpec):
                _check_group(item, fields_node[name], schema, codes, problems)
                groups[name] = item
            else:
                _check_field(item, fields_node.get(name), where, items, codes)
                fields[name] = item
    return fields, groups


def _check_group(
    group: GroupSpec,
    node: LocDict,
    schema: Schema | None,
    codes: dict[str, CodeList],
    problems: Problems,
) -> None:
    entry: dict[str, ItemSpec] | None = None
    if schema is not None:
        listed = schema.item(group.each)
        if listed is None or listed.type != "list" or listed.each is None:
            raise RecipeError(
                f"'each: {group.each}' is not a list item of the application", node.pos_of("each")
            )
        entry = listed.each.items or {}
    for sub_name, sub in group.fields.items():
        sub_node = node["fields"].get(sub_name)
        with problems.collect():
            _check_field(sub, sub_node, node["fields"].pos_of(sub_name), entry, codes)


def _scope(doc: LocDict, selectors: SelectorSet) -> ParseContext:
    """Names in scope for the steps: the fields as written (a field with a problem of its
    own is still a name, so a step using it adds no second problem)."""
    fields_node = doc.get("fields")
    written = fields_node if isinstance(fields_node, LocDict) else {}
    groups = {
        str(name): set(node["fields"]) if isinstance(node.get("fields"), LocDict) else set()
        for name, node in written.items()
        if isinstance(node, LocDict) and "each" in node
    }
    names = set(map(str, written)) | BUILTIN_NAMES
    return ParseContext(selectors, names, groups, any_name=not isinstance(fields_node, LocDict))


def _steps(
    doc: LocDict, sections: dict[str, Any], selectors: SelectorSet, problems: Problems
) -> tuple[list[Step], list[Step]]:
    """``already_keyed`` and ``steps``, resolved; the whole-recipe checks once they parse."""
    ctx = _scope(doc, selectors)
    already: list[Step] = []
    steps: list[Step] = []
    inquiry = sections.get("already_keyed") not in (None, NONE)
    before = len(problems.found)
    if inquiry:
        with problems.collect():
            already = parse_steps(doc["already_keyed"], ctx, doc.pos_of("already_keyed"))
    if "steps" in sections:
        with problems.collect():
            steps = parse_steps(doc["steps"], ctx, doc.pos_of("steps"))
    if len(problems.found) > before:
        return already, steps  # a step left out could be the 'register' looked for below
    if "steps" in sections and not any(s.name == "register" for s in _walk(steps)):
        problems.add(
            [RecipeError("the steps never 'register': nothing would be keyed", doc.pos_of("steps"))]
        )
    gives_receipt = isinstance(sections.get("receipt"), ReceiptSpec)
    for step in _walk(already):
        if isinstance(step, FindExisting) and step.receipt is None and gives_receipt:
            problems.add(
                [
                    RecipeError(
                        "find_existing needs 'receipt', the column with the 受付番号: this "
                        "core system gives one ('receipt:'), and a found application is "
                        "recorded with it",
                        step.pos,
                    )
                ]
            )
    if inquiry and not any(s.name == "find_existing" for s in _walk(already)):
        problems.add(
            [
                RecipeError(
                    "'already_keyed' must end in 'find_existing': without it a retry could "
                    "key twice",
                    doc.pos_of("already_keyed"),
                )
            ]
        )
    return already, steps


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
