"""From the application's form data to the values the screens take.

All of an application's data is transformed and validated *before* the core system is
touched, and every problem is reported at once, named the way the form names it
(``児童2 フリガナ: …``), so a clerk can fix the application in one go. An application
that fails here is never half keyed: the browser has not been used for it.
"""

from __future__ import annotations

from typing import Any

from bots import transforms
from bots.contracts import Application
from bots.errors import InvalidApplication
from bots.recipe.model import FieldSpec, Recipe
from bots.recipe.template import Template, lookup
from bots.transforms import InvalidValue


def builtins(application: Application) -> dict[str, Any]:
    return {
        "application_id": application.id,
        "atena_no": application.atena_no,
        "procedure": application.procedure,
        "received_at": application.received_at.isoformat(),
    }


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _one(
    name: str,
    spec: FieldSpec,
    data: Any,
    scope: dict[str, Any],
    problems: list[str],
    prefix: str = "",
) -> Any:
    label = prefix + (spec.label or name)
    if spec.when is not None and not lookup(data, spec.when):  # absent, empty, or false
        return None
    raw = (
        Template(spec.value).render(scope)
        if spec.value is not None
        else lookup(data, spec.source or "")
    )
    if _empty(raw):
        if spec.required:
            problems.append(f"{label}: 入力されていません")
        return None
    try:
        value = transforms.apply(spec.transforms, raw)
    except InvalidValue as exc:
        problems.append(f"{label}: {exc}")
        return None
    if spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
        problems.append(f"{label}: {spec.max_length}文字以内で入力してください（{len(value)}文字）")
        return None
    return value


def compute_values(recipe: Recipe, application: Application) -> dict[str, Any]:
    """The scope for the recipe's steps; raises :class:`InvalidApplication` listing all problems."""
    scope = builtins(application)
    data = application.data
    problems: list[str] = []
    if not application.atena_no or not application.atena_no.isdigit():
        problems.append("宛名番号: 申請者が特定されていません（数字の宛名番号が必要です）")
    for name, spec in recipe.fields.items():
        scope[name] = _one(name, spec, data, scope, problems)
    for name, group in recipe.groups.items():
        items = lookup(data, group.each) or []
        if not isinstance(items, list):
            problems.append(f"{group.label}: 一覧の形式ではありません")
            items = []
        if len(items) < group.min_items:
            problems.append(f"{group.label}: {group.min_items}件以上必要です（{len(items)}件）")
        if group.max_items is not None and len(items) > group.max_items:
            problems.append(f"{group.label}: {group.max_items}件までです（{len(items)}件）")
        rows = []
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                problems.append(f"{group.label}{index}: 形式が正しくありません")
                continue
            rows.append(
                {
                    sub: _one(sub, spec, item, scope, problems, prefix=f"{group.label}{index} ")
                    for sub, spec in group.fields.items()
                }
            )
        scope[name] = rows
    if problems:
        unique = list(dict.fromkeys(problems))  # a bad date fails era, year, month and day alike
        raise InvalidApplication("申請データに不備があります: " + "／".join(unique))
    return scope
