"""Values for the core screens' select boxes (同別居, 続柄), and recipes' code lists.

A select only takes one of its options; a value that is not an option would make the
driver fail on the screen, after the browser has been used, so it is checked here first.
The built-in choices below are for the mock's screens; a recipe declares its own system's
code lists under ``codes:`` (:class:`CodeList`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True)
class CodeList:
    """A recipe's code list (``codes:``): code → label, e.g. ``{"1": 男性, "2": 女性}``.

    Code lists belong to a municipality's core system, not to renkei, so they are data in
    the recipe. A value outside the list is never guessed: :meth:`label` and :meth:`code`
    raise :class:`InvalidValue` naming the allowed codes, and the application goes to a
    person before anything is typed.
    """

    name: str
    codes: Mapping[str, str]

    def label(self, value: object) -> str:
        """The label of a code (the application holds ``2``, the screen shows 女性)."""
        code = _code_text(value)
        if code not in self.codes:
            raise InvalidValue(
                f"コード表「{self.name}」にないコードです（{code}）。{self._allowed()}"
            )
        return self.codes[code]

    def code(self, value: object) -> str:
        """The code of a label (the application holds 女性, the screen takes ``2``)."""
        text = as_text(value).strip()
        for code, label in self.codes.items():
            if label == text:
                return code
        raise InvalidValue(f"コード表「{self.name}」にない値です（{text}）。{self._allowed()}")

    def _allowed(self) -> str:
        listed = "、".join(f"{code}（{label}）" for code, label in self.codes.items())
        return f"使えるコード: {listed}"

    def duplicate_labels(self) -> list[str]:
        """Labels given to more than one code: a reverse lookup could not choose."""
        seen: dict[str, int] = {}
        for label in self.codes.values():
            seen[label] = seen.get(label, 0) + 1
        return [label for label, n in seen.items() if n > 1]


def _code_text(value: object) -> str:
    """A code as text: booleans as ``true``/``false`` (a form's flag), digits half-width."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return half_ascii(as_text(value)).strip()
