"""The correction form of a 要確認 application, built from its procedure's schema.

Every item of the recipe's ``application:`` block becomes an input with its Japanese label
(``児童1 生年月日``), holding the value as stored; a list (児童) becomes one group per
entry, each removable, plus one empty group to add an entry; an optional group
(配偶者) can be removed, or filled in when the application has none. Sensitive items
(個人番号, 口座番号) show only the mask and an empty input: the stored value is kept
unless the person types a new one, and nothing typed into them is ever sent back to
the page.

A submitted form becomes a :class:`bots.review.DataEdit` of exactly the items the person
changed (compared with what the page showed), so ``ReviewQueue.edit`` checks and audits
the correction as ``renkei review edit --set`` does. Nothing here checks a value: the
bot's rules do, in the service.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bots import transforms
from bots.review import MASKS, DataEdit, item_label
from bots.schema.model import ItemSpec

if TYPE_CHECKING:
    from bots.recipe.model import Recipe

#: Prefix of the items' inputs (``f.children.1.birth_date``), apart from note and token.
FIELD = "f."
#: Prefix of the boxes that remove an entry, an optional group or an unknown item.
REMOVE = "remove."
YES, NO = "はい", "いいえ"


@dataclass(frozen=True)
class Field:
    """One input: ``shown`` is the stored value as the page showed it (the mask for a
    sensitive item); ``value`` what the input holds (what the person typed, on a refusal)."""

    path: str
    label: str
    kind: str  # text, textarea, choice
    shown: str
    value: str
    required: bool
    sensitive: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""

    @property
    def name(self) -> str:
        return FIELD + self.path


@dataclass
class Group:
    """An object or a list entry: its inputs, and whether it may be removed or is new
    (not in the data yet: ignored when left empty)."""

    path: str
    label: str
    entries: list[Field | Group] = field(default_factory=list)
    removable: bool = False
    removed: bool = False
    new: bool = False
    is_list: bool = False

    @property
    def remove_name(self) -> str:
        return REMOVE + self.path

    def fields(self) -> list[Field]:
        out: list[Field] = []
        for entry in self.entries:
            out.extend(entry.fields() if isinstance(entry, Group) else [entry])
        return out


@dataclass
class CorrectionForm:
    """The whole form: the schema's items, and the items the schema does not know."""

    root: Group
    unknown: list[tuple[str, str]]  # (path, masked value) the person may remove
    removed_unknown: set[str]

    def edit(self, typed: Mapping[str, str]) -> DataEdit:
        """The items the person changed, as the service takes them."""
        sets: dict[str, Any] = {}
        unsets: list[str] = [p for p, _ in self.unknown if REMOVE + p in typed]
        _collect(self.root, typed, sets, unsets)
        unsets.sort(key=_order, reverse=True)  # a later entry first: positions stay right
        return DataEdit(set=sets, unset=unsets)


def _order(path: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in path.split("."))


# --- showing values ------------------------------------------------------------------------


def shown_value(value: Any) -> str:
    """A stored (masked) value as text: はい/いいえ for true/false, JSON for containers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _choice_shown(spec: ItemSpec, value: Any, text: str) -> str:
    """The option a stored value stands for (``true`` is 同居 once normalised), if any."""
    if not spec.choices or text in spec.choices or value is None:
        return text
    try:
        normal = transforms.apply(spec.normalize, value)
    except Exception:  # a value the transform refuses: shown as it is (the check says why)
        return text
    return str(normal) if str(normal) in spec.choices else text


def _field(
    recipe: Recipe, spec: ItemSpec, value: Any, path: str, typed: Mapping[str, str] | None
) -> Field:
    label = item_label(recipe, path) or path
    sensitive = spec.sensitive or (isinstance(value, str) and value in MASKS)
    text = shown_value(value)
    hint = f"例: {shown_value(spec.example)}" if spec.example is not None and not sensitive else ""
    kind, choices = "text", tuple(spec.choices or ())
    if spec.type == "boolean":
        kind, choices, hint = "choice", (YES, NO), ""
    elif choices:  # the options say what is allowed
        kind, text, hint = "choice", _choice_shown(spec, value, text), ""
    elif spec.multiline:
        kind = "textarea"
    elif spec.type == "date":
        hint = hint or "例: 2019-02-28"
    if sensitive:  # never echoed: what was typed stays with the person, not in the page
        hint = "安全のため表示しません。変更するときだけ入力してください"
        return Field(path, label, "text", text, "", spec.required, True, (), hint)
    current = typed.get(FIELD + path, text) if typed is not None else text
    return Field(path, label, kind, text, current, spec.required, False, choices, hint)


# --- building the form ---------------------------------------------------------------------


def _node(
    recipe: Recipe,
    spec: ItemSpec,
    value: Any,
    path: str,
    typed: Mapping[str, str] | None,
) -> Field | Group:
    if spec.type == "object" and spec.items is not None:
        group = Group(path, item_label(recipe, path) or "")
        node = value if isinstance(value, dict) else {}
        for key, inner in spec.items.items():
            group.entries.append(_node(recipe, inner, node.get(key), f"{path}.{key}", typed))
        group.new = not isinstance(value, dict)
        group.removable = not spec.required and not group.new
        return group
    if spec.type == "list" and spec.each is not None:
        return _list(recipe, spec, spec.each, value, path, typed)
    return _field(recipe, spec, value, path, typed)


def _list(
    recipe: Recipe,
    spec: ItemSpec,
    each: ItemSpec,
    value: Any,
    path: str,
    typed: Mapping[str, str] | None,
) -> Group:
    """One group per entry (removable), and one empty entry to add (up to the maximum)."""
    group = Group(path, item_label(recipe, path) or "", is_list=True)
    entries = value if isinstance(value, list) else []
    count = len(entries) + (1 if spec.max_items is None or len(entries) < spec.max_items else 0)
    for position in range(1, count + 1):
        at = f"{path}.{position}"
        current = entries[position - 1] if position <= len(entries) else None
        entry = _node(recipe, each, current, at, typed)
        if not isinstance(entry, Group):
            entry = Group(at, item_label(recipe, at) or at, [entry])
        entry.new = position > len(entries)
        entry.removable = not entry.new
        if entry.new:
            entry.label = f"{group.label or path}（追加する場合）"
        group.entries.append(entry)
    return group


def _unknown(items: dict[str, ItemSpec], data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The outermost items of ``data`` the schema does not declare (whole subtrees)."""
    found: list[tuple[str, Any]] = []
    if not isinstance(data, dict):
        return found
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        spec = items.get(str(key))
        if spec is None:
            found.append((path, value))
        elif spec.items is not None:
            found += _unknown(spec.items, value, path)
        elif spec.each is not None and spec.each.items is not None and isinstance(value, list):
            for position, entry in enumerate(value, start=1):
                found += _unknown(spec.each.items, entry, f"{path}.{position}")
    return found


def build_form(
    recipe: Recipe, shown: Mapping[str, Any], typed: Mapping[str, str] | None = None
) -> CorrectionForm:
    """The form of one application from its masked data (``ReviewDetail.data``); with
    ``typed`` (the refused submission) every input holds what the person typed."""
    root = Group("", "")
    for key, spec in recipe.schema.items.items():
        root.entries.append(_node(recipe, spec, shown.get(key), key, typed))
    if typed is not None:
        _mark_removed(root, typed)
    unknown = [(p, shown_value(v)) for p, v in _unknown(recipe.schema.items, dict(shown))]
    removed = {p for p, _ in unknown if typed is not None and REMOVE + p in typed}
    return CorrectionForm(root, unknown, removed)


def _mark_removed(group: Group, typed: Mapping[str, str]) -> None:
    group.removed = group.removable and group.remove_name in typed
    for entry in group.entries:
        if isinstance(entry, Group):
            _mark_removed(entry, typed)


# --- reading it back -------------------------------------------------------------------------


def _typed_value(f: Field, text: str) -> Any:
    """What the person typed, as the schema expects it (はい/いいえ → true/false)."""
    if f.choices == (YES, NO):
        return {YES: True, NO: False}.get(text, text or None)
    return text


def _collect(
    group: Group, typed: Mapping[str, str], sets: dict[str, Any], unsets: list[str]
) -> None:
    if group.removable and group.remove_name in typed:
        unsets.append(group.path)
        return
    if group.new:
        inputs = group.fields()
        given = {f.path: _text(typed.get(f.name)) for f in inputs}
        if any(given.values()):  # a new entry: all its items, so a missing one is reported
            sets.update({f.path: _typed_value(f, given[f.path]) for f in inputs})
        return
    for entry in group.entries:
        if isinstance(entry, Group):
            _collect(entry, typed, sets, unsets)
            continue
        text = typed.get(entry.name)
        if text is None:
            continue  # not on the page that was sent: unchanged
        text = text.replace("\r\n", "\n")
        if entry.sensitive:
            if text.strip() and text.strip() not in MASKS:
                sets[entry.path] = text.strip()
        elif text != entry.shown:
            sets[entry.path] = _typed_value(entry, text)


def _text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()
