"""The first check of a recipe file: its shape, by pydantic (:mod:`bots.recipe.spec`),
every mistake in words IT staff read — the YAML path as written, ``did you mean``, a hint
for a section of the wrong kind — and each top-level section that is valid on its own, so
the checks after it still run on the rest of the file.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from bots.errors import Problems, RecipeError, SourcePos
from bots.recipe.spec import (
    _BRANCH_TAGS,
    REQUIRED_HINTS,
    CodeRef,
    FieldSpec,
    GroupSpec,
    ReceiptSpec,
    RecipeSpec,
)
from bots.recipe.yamlpos import LocDict, LocList, pos_of
from bots.schema import ApplicationSpec, ItemSpec

#: Each top-level key validated on its own, for the checks after a failed whole-file shape.
_SECTIONS: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]
    for name, info in RecipeSpec.model_fields.items()
}
#: Every key the recipe format knows, for "did you mean" on an unknown one.
_KNOWN_KEYS = sorted(
    {
        key
        for model in (
            RecipeSpec,
            FieldSpec,
            GroupSpec,
            ReceiptSpec,
            CodeRef,
            ApplicationSpec,
            ItemSpec,
        )
        for name, info in model.model_fields.items()
        for key in (info.alias or name,)
    }
)
#: What a wrong-shaped section should look like (pydantic says only "a valid list").
_SHAPE_HINTS = {
    ("steps", "list_type"): "each step on its own line, starting with '- '",
    ("already_keyed", "list_type"): "each step on its own line, starting with '- '",
    ("fields", "dict_type"): "one 'name: {from: item, …}' per line under 'fields:'",
    ("codes", "dict_type"): 'one list per line: \'sex: {"1": 男性, "2": 女性}\'',
}


def shape(doc: LocDict, problems: Problems) -> tuple[RecipeSpec | None, dict[str, Any]]:
    """The validated file, or None; and each top-level section that is valid on its own."""
    try:
        spec = RecipeSpec.model_validate(doc)
    except ValidationError as exc:
        failed = set()
        errors = exc.errors()
        for error in errors:
            failed.add(str(error["loc"][0]) if error["loc"] else "")
            if not _explained(error, errors):
                problems.add([_shape_problem(doc, error)])
        return None, _sections(doc, failed, errors)
    return spec, {name: getattr(spec, name) for name in RecipeSpec.model_fields}


def _sections(doc: LocDict, failed: set[str], errors: list[ErrorDetails]) -> dict[str, Any]:
    """Each section valid on its own, for the checks after the shape: a section whose only
    mistakes are unknown keys is taken without them (a misspelt key must not hide the
    mistakes further down that section); any other mistake leaves the section out."""
    sections = {}
    for name, adapter in _SECTIONS.items():
        info = RecipeSpec.model_fields[name]
        if name not in doc:
            if not info.is_required():
                sections[name] = info.get_default(call_default_factory=True)
            continue
        node = doc[name]
        if name in failed:
            own = [e for e in errors if e["loc"] and e["loc"][0] == name]
            if any(e["type"] != "extra_forbidden" for e in own):
                continue
            for error in own:
                node = _pruned(node, error["loc"][1:])
        try:
            sections[name] = adapter.validate_python(node)
        except ValidationError:
            continue  # reported already, as the first pass saw it
    return sections


def _pruned(node: Any, loc: tuple[int | str, ...]) -> Any:
    """A copy of ``node`` without the key at ``loc`` (pydantic's union tags skipped)."""
    if not loc:
        return node
    head, rest = loc[0], loc[1:]
    if isinstance(node, LocDict) and isinstance(head, str) and head in node:
        copy = LocDict(node)
        copy.pos, copy.key_pos = node.pos, dict(node.key_pos)
        if rest:
            copy[head] = _pruned(node[head], rest)
        else:
            del copy[head]
        return copy
    if isinstance(node, LocList) and isinstance(head, int) and head < len(node):
        seq = LocList(node)
        seq.pos = node.pos
        seq[head] = _pruned(node[head], rest)
        return seq
    return _pruned(node, rest) if isinstance(head, str) else node


def _explained(error: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    """A missing key beside an unknown one that is its misspelling (``titel:``): the
    unknown key's "did you mean" says it all."""
    if error["type"] != "missing":
        return False
    key, parent = str(error["loc"][-1]), error["loc"][:-1]
    return any(
        other["type"] == "extra_forbidden"
        and other["loc"][:-1] == parent
        and difflib.get_close_matches(str(other["loc"][-1]), _KNOWN_KEYS, n=1) == [key]
        for other in errors
    )


def _shape_problem(doc: LocDict, error: ErrorDetails) -> RecipeError:
    """pydantic's error as IT staff read it: the YAML path as written, and a hint."""
    where, yaml_path = _locate(doc, error["loc"])
    hint = _required_hint(doc, error)
    if hint:
        return RecipeError(hint, where)
    kind, loc = error["type"], error["loc"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
        suggestion = f" (did you mean '{close[0]}'?)" if close else ""
        container = _locate(doc, loc[:-1])[1]
        at = f"{container}: " if container else ""
        return RecipeError(f"{at}unknown key '{key}'{suggestion}", where)
    if kind == "missing":
        parent = yaml_path.rpartition(".")[0]
        return RecipeError(f"missing '{loc[-1]}'" + (f" in {parent}" if parent else ""), where)
    message = error["msg"].removeprefix("Value error, ")
    shape = _SHAPE_HINTS.get((yaml_path, kind))
    if shape:
        message = f"{message} ({shape})"
    return RecipeError(f"{yaml_path}: {message}" if yaml_path else message, where)


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
