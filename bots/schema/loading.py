"""From a recipe's located ``application:`` block to a :class:`Schema` ready to check.

pydantic has checked the shape already (:mod:`bots.schema.model`); what is resolved here
needs the registries and the schema as a whole, and every error keeps the file:line of
the node it is about: transform names, patterns, dates, the items ``not_before`` and the
rules refer to, the rules' names and parameters.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bots import transforms
from bots.errors import Problems, RecipeError, SourcePos
from bots.recipe.yamlpos import LocDict, LocList, pos_of
from bots.schema import amounts, law, rules  # noqa: F401  (register the built-in rules)
from bots.schema.model import ApplicationSpec, ItemSpec
from bots.schema.rules import Rule, as_paths, rule_class
from bots.schema.validate import UNKNOWN_LABEL, CheckedApplication, Checker, Problem

JST = ZoneInfo("Asia/Tokyo")


def today_jst() -> date:
    """Today in Japan, whatever the host's time zone: "not in the future" means this."""
    return datetime.now(UTC).astimezone(JST).date()


@dataclass(frozen=True)
class Schema:
    """A procedure's application schema, resolved: check applications with :meth:`check`."""

    spec: ApplicationSpec
    rules: tuple[Rule, ...]
    gaiji: frozenset[str] = frozenset()

    @property
    def items(self) -> dict[str, ItemSpec]:
        return self.spec.items

    def item(self, path: str) -> ItemSpec | None:
        return find_item(self.spec.items, path)

    def check(self, data: Mapping[str, Any], today: date | None = None) -> CheckedApplication:
        """Every item and rule; never raises for bad data (see :class:`CheckedApplication`)."""
        checker = Checker(self.spec.items, self.gaiji, today or today_jst())
        result = checker.run(data if isinstance(data, Mapping) else {}, list(self.rules))
        if result.unknown and self.spec.unknown_items == "review":
            result.problems.append(
                Problem(
                    "",
                    UNKNOWN_LABEL,
                    f"この手続の申請項目にない項目があります（{'、'.join(result.unknown)}）。"
                    "申請内容か、レシピの申請項目の定義を確認してください",
                )
            )
        return result

    def sensitive_keys(self) -> set[str]:
        """Names of the sensitive items (for masking stored data by key)."""
        return {
            path.rsplit(".", 1)[-1] for path, spec in walk_items(self.spec.items) if spec.sensitive
        }


def walk_items(items: dict[str, ItemSpec], prefix: str = "") -> Iterator[tuple[str, ItemSpec]]:
    """Every item with its path (list entries' items as ``children.name``)."""
    for key, spec in items.items():
        path = f"{prefix}.{key}" if prefix else key
        yield path, spec
        inner = spec.each.items if spec.each is not None else spec.items
        if inner:
            yield from walk_items(inner, path)


def find_item(items: dict[str, ItemSpec], path: str) -> ItemSpec | None:
    """The item at ``a.b.c``; a list's entries are stepped into (``children.name``)."""
    spec: ItemSpec | None = None
    current: dict[str, ItemSpec] | None = items
    for part in path.split("."):
        if current is None or part not in current:
            return None
        spec = current[part]
        inner = spec.each if spec.each is not None else spec
        current = inner.items
    return spec


def _unknown_item(items: dict[str, ItemSpec], path: str, what: str) -> str:
    known = [p for p, _ in walk_items(items)]
    close = difflib.get_close_matches(path, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{what}: '{path}' is not an item of the application{hint}"


def load_gaiji(path: Path | None) -> frozenset[str]:
    """The municipality's 外字 list: the characters of the file, ``#`` starts a comment."""
    if path is None or not path.exists():
        return frozenset()
    chars: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        chars |= {ch for ch in line.split("#", 1)[0] if not ch.isspace()}
    return frozenset(chars)


def load_schema(node: LocDict, spec: ApplicationSpec, gaiji: frozenset[str]) -> Schema:
    """Resolve names and paths of a validated ``application:`` block.

    Raises a located RecipeError — every problem of the block at once (each item and each
    rule is checked even after a broken one)."""
    schema, problems = read_schema(node, spec, gaiji)
    problems.raise_any()
    return schema


def read_schema(
    node: LocDict, spec: ApplicationSpec, gaiji: frozenset[str]
) -> tuple[Schema, Problems]:
    """The schema without the rules that do not resolve, and every problem of the block:
    a recipe check goes on to the fields that read these items."""
    problems = Problems()
    _check_items(spec.items, spec.items, node.get("items"), node.pos_of("items"), problems)
    rules_node = node.get("rules") or LocList()
    parsed = []
    for rule_node in rules_node:
        with problems.collect():
            parsed.append(_rule(spec.items, rule_node, pos_of(rule_node, node.pos_of("rules"))))
    return Schema(spec, tuple(parsed), gaiji), problems


def _check_items(
    root: dict[str, ItemSpec],
    items: dict[str, ItemSpec],
    node: Any,
    where: SourcePos | None,
    problems: Problems,
) -> None:
    for key, spec in items.items():
        with problems.collect():
            _check_item(root, spec, node, key, where, problems)


def _check_item(
    root: dict[str, ItemSpec],
    spec: ItemSpec,
    node: Any,
    key: str,
    where: SourcePos | None,
    problems: Problems,
) -> None:
    """One item: its transforms, pattern, dates and the items inside it."""
    item_node = node.get(key) if isinstance(node, LocDict) else None
    at = node.pos_of(key) if isinstance(node, LocDict) else where

    def pos(attr: str, item_node: Any = item_node, at: SourcePos | None = at) -> SourcePos | None:
        return item_node.pos_of(attr) if isinstance(item_node, LocDict) else at

    for name in spec.normalize:
        try:
            transforms.get(name)
        except KeyError as exc:
            raise RecipeError(str(exc.args[0]), pos("normalize")) from None
    if spec.pattern is not None:
        try:
            re.compile(spec.pattern)
        except re.error as exc:
            raise RecipeError(f"bad pattern: {exc}", pos("pattern")) from None
    if spec.type == "date":
        for attr in ("min", "max"):
            value = getattr(spec, attr)
            if value is not None:
                try:
                    date.fromisoformat(str(value))
                except ValueError:
                    raise RecipeError(f"'{attr}' is a date YYYY-MM-DD", pos(attr)) from None
        for attr in ("not_before", "not_after"):
            other = getattr(spec, attr)
            target = find_item(root, other) if other else None
            if other and (target is None or target.type != "date"):
                raise RecipeError(
                    _unknown_item(root, other, f"'{attr}' needs a date item"), pos(attr)
                )
    if spec.items is not None:
        _check_items(
            root,
            spec.items,
            item_node.get("items") if isinstance(item_node, LocDict) else None,
            at,
            problems,
        )
    if spec.each is not None and spec.each.items is not None:
        each = item_node.get("each") if isinstance(item_node, LocDict) else None
        each_items = each.get("items") if isinstance(each, LocDict) else None
        _check_items(root, spec.each.items, each_items, at, problems)


def _rule(items: dict[str, ItemSpec], node: Any, where: SourcePos | None) -> Rule:
    if not isinstance(node, LocDict) or "rule" not in node:
        raise RecipeError("a rule is a mapping like '- {rule: required_if, item: …}'", where)
    try:
        cls = rule_class(str(node["rule"]))
    except KeyError as exc:
        raise RecipeError(str(exc.args[0]), node.pos_of("rule")) from None
    params = {k: v for k, v in node.items() if k != "rule"}
    try:
        rule = cls.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "rule"
        message = first["msg"].removeprefix("Value error, ")
        raise RecipeError(f"rule '{cls.name}': {key}: {message}", node.pos_of(key)) from None
    for param in cls.paths:
        for path in as_paths(getattr(rule, param)):
            if find_item(items, path) is None:
                raise RecipeError(
                    _unknown_item(items, path, f"rule '{cls.name}'"), node.pos_of(param)
                )
    for param, parents in cls.entry_paths.items():
        for name in as_paths(getattr(rule, param)):
            for parent_param in parents:
                for parent in as_paths(getattr(rule, parent_param)):
                    spec = find_item(items, parent)
                    inner = spec.each if spec and spec.each else spec
                    if inner is None or not inner.items or name not in inner.items:
                        raise RecipeError(
                            _unknown_item(items, f"{parent}.{name}", f"rule '{cls.name}'"),
                            node.pos_of(param),
                        )
    return rule
