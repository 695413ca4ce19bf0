"""Values for the core screens' select boxes (同別居, 続柄).

A select only takes one of its options; a value that is not an option would make the
driver fail on the screen, after the browser has been used, so it is checked here first.
"""

from __future__ import annotations

from bots.transforms.errors import InvalidValue
from bots.transforms.registry import register
from bots.transforms.text import as_text, half_ascii

_COHABITATION: dict[str, str] = {
    "同居": "同居",
    "別居": "別居",
    "true": "同居",
    "false": "別居",
    "yes": "同居",
    "no": "別居",
    "1": "同居",
    "0": "別居",
}

RELATIONS: tuple[str, ...] = ("子", "孫", "その他")


@register("cohabitation")
def cohabitation(value: object) -> str:
    """同別居: the form's ``cohabiting`` flag (``true``/``false``) as ``同居``/``別居``."""
    if isinstance(value, bool):
        return "同居" if value else "別居"
    text = half_ascii(as_text(value)).strip()
    try:
        return _COHABITATION[text.lower()]
    except KeyError:
        raise InvalidValue(f"同別居は同居または別居です（{text}）") from None


@register("relation")
def relation(value: object) -> str:
    """続柄: one of the core select's options ``子``, ``孫``, ``その他``, unchanged."""
    text = as_text(value).strip()
    if text not in RELATIONS:
        raise InvalidValue(f"続柄は{'・'.join(RELATIONS)}のいずれかです（{text}）")
    return text


_KUBUN = {"新規": "1", "更新": "2", "区分変更": "3"}
CARE_LEVELS: tuple[str, ...] = (
    "要支援1",
    "要支援2",
    "要介護1",
    "要介護2",
    "要介護3",
    "要介護4",
    "要介護5",
)
RESIDENCES: tuple[str, ...] = ("自宅", "施設", "入院中")


@register("shinsei_kubun")
def shinsei_kubun(value: object) -> str:
    """申請区分 of 要介護認定 as the screen's code: 新規 → 1, 更新 → 2, 区分変更 → 3."""
    text = as_text(value).strip()
    try:
        return _KUBUN[text]
    except KeyError:
        raise InvalidValue(f"申請区分は新規・更新・区分変更のいずれかです（{text}）") from None


@register("care_level")
def care_level(value: object) -> str:
    """要介護度 as the select shows it (全角/半角 digits accepted)."""
    text = half_ascii(as_text(value)).strip()
    if text not in CARE_LEVELS:
        raise InvalidValue(f"要介護度は{'・'.join(CARE_LEVELS)}のいずれかです（{text}）")
    return text


@register("residence")
def residence(value: object) -> str:
    """本人の居所: 自宅, 施設 or 入院中."""
    text = as_text(value).strip()
    if text not in RESIDENCES:
        raise InvalidValue(f"本人の居所は{'・'.join(RESIDENCES)}のいずれかです（{text}）")
    return text
