"""Conditions of ``if``: tests of the values in scope, written as YAML data.

A recipe decides between branches (配偶者あり/なし, 転出/死亡) without any expression
language: a condition is a mapping, parsed once at load time into the small dataclasses
below and evaluated at run time against the scope. There is no ``eval`` and no expression
text to parse, so a recipe can never run code::

    if: spouse_name                                   # shorthand: the value is present
    if: {field: sex, equals: "2"}
    if: {field: reason, in: [転出, 死亡]}
    if: {field: age, greater_than: 64}                # numbers, compared as numbers
    if: {all: [{field: spouse_name, present: true},
               {not: {field: cohabit, equals: 別居}}]}
    if: {any: [...]}

Every evaluation returns a :class:`Verdict` that says *why* in words (for the audit
line), never the value itself: the audit says ``sex が「2」: 真``, not what the
application holds.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bots.errors import BusinessError, RecipeError, SourcePos
from bots.recipe.template import lookup
from bots.recipe.yamlpos import LocDict, LocList, pos_of

#: A literal a condition compares with (YAML scalars).
Scalar = str | int | float | bool

#: The tests of one value; exactly one of them beside ``field``.
TESTS = ("equals", "in", "present", "greater_than", "less_than")
#: The combinations; each alone in its mapping.
COMBINATIONS = ("all", "any", "not")
OPERATORS = (*TESTS, *COMBINATIONS)

#: Checks a field path at load time (the parse context's names) and returns it.
FieldCheck = Callable[[Any, SourcePos | None], str]


@dataclass(frozen=True)
class Verdict:
    """The result of a condition and the reason in words (no application value)."""

    result: bool
    why: str

    def __str__(self) -> str:
        return f"{self.why}: {'真' if self.result else '偽'}"


def is_present(value: Any) -> bool:
    """Present: not missing, not blank text, not an empty list or mapping, not false.

    The same as the shorthand ``if: field`` has always meant; ``0`` is present.
    """
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | Mapping):
        return bool(value)
    return True


def as_text(value: Any) -> str:
    """How a value compares with a literal: ``true``/``false``, numbers as written, text
    trimmed — so ``equals: false`` matches a form's boolean and ``equals: "2"`` its 2."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def as_number(value: Any) -> float | None:
    """A number from a value (full-width digits folded), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return float(text) if _NUMBER.fullmatch(text) else None


class Condition(ABC):
    """One parsed condition."""

    pos: SourcePos | None

    @abstractmethod
    def evaluate(self, scope: Mapping[str, Any]) -> Verdict: ...


@dataclass(frozen=True)
class Present(Condition):
    field: str
    wanted: bool
    pos: SourcePos | None = None

    def evaluate(self, scope: Mapping[str, Any]) -> Verdict:
        present = is_present(lookup(scope, self.field))
        return Verdict(
            present == self.wanted, f"{self.field} が{'入力あり' if self.wanted else '入力なし'}"
        )


@dataclass(frozen=True)
class Equals(Condition):
    field: str
    values: tuple[Scalar, ...]  # one for ``equals``, several for ``in``
    pos: SourcePos | None = None

    def evaluate(self, scope: Mapping[str, Any]) -> Verdict:
        value = lookup(scope, self.field)
        wanted = [as_text(v) for v in self.values]
        result = is_present(value) or value is False
        result = result and as_text(value) in wanted
        if len(wanted) == 1:
            return Verdict(result, f"{self.field} が「{wanted[0]}」")
        return Verdict(result, f"{self.field} が「{'・'.join(wanted)}」のいずれか")


@dataclass(frozen=True)
class Compare(Condition):
    field: str
    operator: str  # greater_than / less_than
    number: float
    pos: SourcePos | None = None

    def evaluate(self, scope: Mapping[str, Any]) -> Verdict:
        value = lookup(scope, self.field)
        shown = f"{self.number:g}"
        why = f"{self.field} が {shown} より{'大きい' if self.operator == 'greater_than' else '小さい'}"
        if not is_present(value):
            return Verdict(False, why + "（入力なし）")
        number = as_number(value)
        if number is None:
            raise BusinessError(
                f"条件を判定できません: {self.field} の値が数値ではありません（レシピ {self.pos}）"
            )
        result = number > self.number if self.operator == "greater_than" else number < self.number
        return Verdict(result, why)


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]
    pos: SourcePos | None = None

    def evaluate(self, scope: Mapping[str, Any]) -> Verdict:
        verdicts = [p.evaluate(scope) for p in self.parts]
        inner = "、".join(str(v) for v in verdicts)
        return Verdict(all(v.result for v in verdicts), f"すべて（{inner}）")


@dataclass(frozen=True)
class AnyOf(Condition):
    parts: tuple[Condition, ...]
    pos: SourcePos | None = None

    def evaluate(self, scope: Mapping[str, Any]) -> Verdict:
        verdicts = [p.evaluate(scope) for p in self.parts]
        inner = "、".join(str(v) for v in verdicts)
        return Verdict(any(v.result for v in verdicts), f"いずれか（{inner}）")


@dataclass(frozen=True)
class Not(Condition):
    part: Condition
    pos: SourcePos | None = None

    def evaluate(self, scope: Mapping[str, Any]) -> Verdict:
        verdict = self.part.evaluate(scope)
        return Verdict(not verdict.result, f"否定（{verdict}）")


# --- parsing ---------------------------------------------------------------------------


def parse_condition(
    node: Any,
    where: SourcePos | None,
    check_field: FieldCheck,
    groups: frozenset[str] = frozenset(),
) -> Condition:
    """Parse the YAML under ``if:`` (a field name, or a mapping); raises a located
    :class:`RecipeError` for anything else, with a did-you-mean for a misspelt operator.

    ``groups`` are the names that hold rows, not one value (児童, a loop's row): only
    ``present`` can test them.
    """
    at = pos_of(node, where)
    if isinstance(node, str):
        return Present(check_field(node, at), True, at)
    if not isinstance(node, LocDict) or not node:
        raise RecipeError(
            'a condition is a field name or a mapping like {field: sex, equals: "2"}', at
        )
    for key in node:
        if key != "field" and key not in OPERATORS:
            close = difflib.get_close_matches(key, ["field", *OPERATORS], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RecipeError(f"unknown condition '{key}'{hint}", node.pos_of(key))
    combined = [k for k in node if k in COMBINATIONS]
    if combined:
        return _combination(node, combined, check_field, groups)
    return _test(node, check_field, groups)


def _combination(
    node: LocDict, keys: list[str], check_field: FieldCheck, groups: frozenset[str]
) -> Condition:
    key = keys[0]
    if len(node) > 1:
        other = next(k for k in node if k != key)
        raise RecipeError(
            f"'{key}' stands alone in its mapping; '{other}' belongs in a condition inside it",
            node.pos_of(other),
        )
    value, at = node[key], node.pos_of(key)
    if key == "not":
        return Not(parse_condition(value, at, check_field, groups), at)
    if not isinstance(value, LocList) or not value:
        raise RecipeError(f"'{key}' takes a list of conditions", at)
    parts = tuple(parse_condition(item, pos_of(item, at), check_field, groups) for item in value)
    return All(parts, at) if key == "all" else AnyOf(parts, at)


def _test(node: LocDict, check_field: FieldCheck, groups: frozenset[str]) -> Condition:
    tests = [k for k in node if k in TESTS]
    if "field" not in node:
        raise RecipeError(f"'{tests[0]}' needs 'field': the value to test", node.pos_of(tests[0]))
    field = check_field(node["field"], node.pos_of("field"))
    if not tests:
        raise RecipeError(
            f"say what to test of '{field}': {', '.join(TESTS[:-1])} or {TESTS[-1]}",
            node.pos_of("field"),
        )
    if len(tests) > 1:
        raise RecipeError(
            f"one test per condition ('{tests[0]}' and '{tests[1]}'): combine them with 'all'",
            node.pos_of(tests[1]),
        )
    op, value, at = tests[0], node[tests[0]], node.pos_of(tests[0])
    if field in groups and op != "present":
        raise RecipeError(
            f"'{field}' holds rows, not one value: test one of its fields, or 'present'", at
        )
    if op == "present":
        if not isinstance(value, bool):
            raise RecipeError("'present' is true or false", at)
        return Present(field, value, at)
    if op in ("greater_than", "less_than"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecipeError(
                f"'{op}' takes a number, not '{value}' (write it without quotes)",
                pos_of(value, at),
            )
        return Compare(field, op, float(value), at)
    if op == "in":
        if not isinstance(value, LocList) or not value:
            raise RecipeError("'in' takes a list of values, e.g. [転出, 死亡]", at)
        return Equals(field, tuple(_scalar(v, pos_of(v, at)) for v in value), at)
    return Equals(field, (_scalar(value, pos_of(value, at)),), at)


def _scalar(value: Any, at: SourcePos | None) -> Scalar:
    if value is None:
        raise RecipeError("compare with a value; for an empty one use 'present: false'", at)
    if not isinstance(value, str | int | float | bool):
        raise RecipeError("compare with one value (text, a number, true or false)", at)
    if isinstance(value, str) and not value.strip():
        raise RecipeError("compare with a value; for an empty one use 'present: false'", at)
    return value
