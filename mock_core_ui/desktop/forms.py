"""The two 介護 procedures of the client, from the web mock's specs, laid out the desktop way.

The items (names, labels, code lists, checks) are those of
``mock_core_ui/forms/specs/kaigo_hihokenshashou.yaml`` and ``kaigo_futan_wariai.yaml``, so
one application can be keyed on the web mock or on this client alike; the checks are the
web mock's own (``forms.check.validate``), with its messages naming the item.

The layout variant ``v2`` stands for a vendor update of the 入力 screens: 交付方法 moves up
to just below 申請日, 再交付理由 is relabelled 再交付の理由 (its messages follow), and the
buttons swap sides. A bot's visual drift check has to notice and stop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..forms.check import validate
from ..forms.spec import FormSpec, Item, all_specs
from ..wareki import ERA_NAMES, era_of

# 元号 list: the vendor's era codes, as the web mock's 介護 screens use them (明治=1 … 令和=5).
ERA_CHOICES: dict[str, str] = {str(i): name for i, name in enumerate(ERA_NAMES, start=1)}
DEFAULT_ERA = "5"
ERA_SHORT = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}


@dataclass(frozen=True)
class Procedure:
    """One procedure of the client: its spec and its screens' names and ids."""

    key: str
    short: str  # the menu's wording: 被保険者証再交付
    entry_id: str
    result_id: str
    inquiry_id: str

    @property
    def spec(self) -> FormSpec:
        return all_specs()[self.key]


PROCEDURES: dict[str, Procedure] = {
    p.key: p
    for p in (
        Procedure("kaigo_hihokenshashou", "被保険者証再交付", "KDS410", "KDS411", "KDS419"),
        Procedure("kaigo_futan_wariai", "負担割合証再交付", "KDS420", "KDS421", "KDS429"),
    )
}

V2_LABELS = {"riyuu": "再交付の理由"}
V2_HINTS = {"riyuu_sonota": "（再交付の理由がその他のとき）"}


def spec_for(procedure: str, layout: str) -> FormSpec:
    """The spec as this layout shows it: ``v2`` moves 交付方法 and renames 再交付理由."""
    spec = PROCEDURES[procedure].spec
    if layout != "v2":
        return spec
    sections = []
    for section in spec.sections:
        items = [
            i.model_copy(
                update={
                    "label": V2_LABELS.get(i.name, i.label),
                    "hint": V2_HINTS.get(i.name, i.hint),
                }
            )
            for i in section.items
        ]
        names = [i.name for i in items]
        if "koufu" in names and "shinsei_date" in names:
            koufu = items.pop(names.index("koufu"))
            items.insert(names.index("shinsei_date") + 1, koufu)
        sections.append(section.model_copy(update={"items": items}))
    return spec.model_copy(update={"sections": sections})


def choice_text(code: str, text: str) -> str:
    """How a code list shows a choice: its code, a space, its text ("1 紛失")."""
    return f"{code} {text}"


def code_of(shown: str) -> str:
    return shown.split(" ", 1)[0] if shown else ""


def field_width(item: Item) -> int:
    """An Entry's width in characters: the item's length, within what fits the screen."""
    if item.kind == "digits" and item.length:
        return item.length + 2
    return min(max(item.max_length or 20, 8), 36)


def standard(raw: dict[str, str]) -> dict[str, str]:
    """The fields' strings under the web mock's standard keys, the era as its name."""
    return {k: ERA_CHOICES.get(v, v) if k.endswith("_era") else v for k, v in raw.items()}


def check(
    procedure: str, layout: str, raw: dict[str, str], today: dt.date
) -> tuple[dict[str, Any] | None, list[str]]:
    """The checked record (dates as dates, codes) or every problem, in screen order."""
    return validate(spec_for(procedure, layout), standard(raw), today)


def short_date(day: dt.date) -> str:
    """A date as the vendor's lists show it: era initial and two digits each (S12.03.03)."""
    era, year = era_of(day)
    return f"{ERA_SHORT[era.name]}{year:02d}.{day.month:02d}.{day.day:02d}"


def long_date(day: dt.date) -> str:
    """A date as the header shows it: 昭和12年03月03日 (fixed width, 元年 as 01)."""
    era, year = era_of(day)
    return f"{era.name}{year:02d}年{day.month:02d}月{day.day:02d}日"
