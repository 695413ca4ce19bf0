"""From the application's form data to the values the screens take.

All of an application's data is checked *before* the core system is touched — every item
of the procedure's application schema and its rules (:mod:`bots.schema`), then the
recipe's fields — and every problem is reported at once, named the way the form names it
(``児童2 フリガナ: …``), so a clerk can fix the application in one go. An application
that fails here is never half keyed: the browser has not been used for it. Fields read
the *checked* data: what the schema's named transforms normalised, nothing else.

Each application's sensitive values — as stored, as normalised and as keyed — are recorded
(:func:`bots.masking.protect_data`) before any message about it is made, so an error text,
the core system's answer or a traceback that repeats one is masked wherever it is printed.
"""

from __future__ import annotations

from typing import Any

from bots import transforms
from bots.contracts import Application
from bots.errors import InvalidApplication
from bots.masking import protect_data
from bots.recipe.model import FieldSpec, Recipe
from bots.recipe.template import Template, lookup
from bots.schema import CheckedApplication
from bots.transforms import InvalidValue

DATA_PROBLEM = "申請データに不備があります: "


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


def check_application(recipe: Recipe, application: Application) -> CheckedApplication:
    """The application checked against its procedure's schema (never raises).

    Its sensitive values are recorded first (as stored) and after (as normalised): the
    check's own messages and everything said about the application later are masked.
    """
    keys = recipe.sensitive_keys
    protect_data(application.data, keys)
    checked = recipe.schema.check(application.data)
    protect_data(checked.data, keys)
    return checked


def data_problems(checked: CheckedApplication, atena_no: str) -> list[str]:
    """The schema's problems, and the one the queue itself needs: an identified applicant."""
    problems: list[str] = []
    if not atena_no or not atena_no.isascii() or not atena_no.isdigit():
        problems.append("宛名番号: 申請者が特定されていません（数字の宛名番号が必要です）")
    return problems + [str(p) for p in checked.problems]


def compute_values(
    recipe: Recipe, application: Application, checked: CheckedApplication | None = None
) -> dict[str, Any]:
    """The scope for the recipe's steps; raises :class:`InvalidApplication` listing all problems."""
    scope = builtins(application)
    checked = checked or check_application(recipe, application)
    data = checked.data
    problems = data_problems(checked, application.atena_no)
    if problems:  # fields would only repeat them, in screen terms
        raise InvalidApplication(DATA_PROBLEM + "／".join(dict.fromkeys(problems)))
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
    protect_data(scope, recipe.sensitive_fields)  # as keyed, before a problem names them
    if problems:
        unique = list(dict.fromkeys(problems))  # a bad date fails era, year, month and day alike
        raise InvalidApplication(DATA_PROBLEM + "／".join(unique))
    return scope
