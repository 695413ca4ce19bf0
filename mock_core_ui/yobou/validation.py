"""Server-side checks of the 接種記録入力 form (確認 and again at 登録).

Every problem is gathered in screen order (the clerk fixes them in one go) and each message
names the item as the screen labels it. The vendor's own rules, as documented in
``docs/mock-core-yobou.md``: 全角 only for names (a half-width space or ｶﾅ is refused),
the 接種日 as 8 half-width digits of the Western year, 生年月日 as 元号 + 年/月/日 selects,
and a few cross-checks between the vaccine and the dose, site and 接種区分.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..validation import non_jis_chars
from ..wareki import WarekiError, WarekiProblem, from_wareki
from .codes import (
    CATCH_UP,
    CATEGORIES,
    DOSES,
    ERAS,
    HPV,
    ORAL,
    ROTA,
    SEXES,
    SITES,
    VACCINE_BY_CODE,
)
from .store import Vaccination

#: Form field name → item name on the screen, in screen order.
LABELS: dict[str, str] = {
    "JUMIN_CD": "住民コード",
    "SHIMEI": "氏名",
    "KANA": "カナ氏名",
    "SEIBETSU": "性別",
    "SEI_GENGO": "生年月日",
    "WAKUCHIN": "ワクチン種別",
    "SESSHU_KBN": "接種区分",
    "SESSHU_KAI": "接種回数",
    "BUI": "接種部位",
    "SESSHU_YMD": "接種日",
    "LOT_NO": "ロット番号",
    "IRYO_CD": "接種医療機関コード",
    "ISHI": "接種医師名",
    "BIKOU": "備考",
}
BIRTH_PARTS = ("SEI_GENGO", "SEI_NEN", "SEI_TSUKI", "SEI_HI")
FIELDS: tuple[str, ...] = (*LABELS, *BIRTH_PARTS[1:])
MAX_LEN = {"SHIMEI": 30, "KANA": 60, "ISHI": 30, "BIKOU": 200}

_TEN_DIGITS = re.compile(r"[0-9]{10}")
_EIGHT_DIGITS = re.compile(r"[0-9]{8}")
_LOT = re.compile(r"[A-Za-z0-9-]{1,20}")
_KATAKANA = re.compile(r"[ァ-ヶー　]+")
_BIRTH_TEXT = {
    WarekiProblem.MISSING: "生年月日を選択してください。",
    WarekiProblem.INVALID: "生年月日が正しくありません。",
    WarekiProblem.NONEXISTENT: "生年月日は存在しない日付です。",
    WarekiProblem.OUT_OF_ERA: "生年月日は元号の範囲外の日付です。",
}


@dataclass
class Problems:
    """Messages in screen order, and the fields to mark in red."""

    messages: list[str] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)

    def add(self, key: str, message: str) -> None:
        """Record one message against a form field."""
        self.messages.append(message)
        self.fields.add(key)


def posted_values(form: Mapping[str, str]) -> dict[str, str]:
    """Every field of the form as posted (missing ones empty), for redisplay and checks."""
    values = {key: form.get(key, "") for key in FIELDS}
    return {k: v.replace("\r\n", "\n") if k == "BIKOU" else v.strip() for k, v in values.items()}


def _is_zenkaku(text: str) -> bool:
    return all(unicodedata.east_asian_width(ch) in ("F", "W") for ch in text)


def _required(values: dict[str, str], key: str, problems: Problems, *, select: bool) -> str:
    value = values[key]
    if not value:
        verb = "選択" if select else "入力"
        problems.add(key, f"{LABELS[key]}を{verb}してください。")
    return value


def _code(values: dict[str, str], key: str, codes: Mapping[str, object], p: Problems) -> str:
    """A select or radio: required, and one of the codes the screen offers."""
    value = _required(values, key, p, select=True)
    if value and value not in codes:
        p.add(key, f"{LABELS[key]}が正しくありません。")
        return ""
    return value


def _zenkaku(values: dict[str, str], key: str, p: Problems, *, required: bool) -> None:
    value = values[key] if not required else _required(values, key, p, select=False)
    if not value:
        return
    label = LABELS[key]
    if len(value) > MAX_LEN[key]:
        p.add(key, f"{label}は{MAX_LEN[key]}文字以内で入力してください。")
    if key == "KANA":
        if not _KATAKANA.fullmatch(value):
            p.add(key, f"{label}は全角カタカナで入力してください。")
    elif not _is_zenkaku(value):
        p.add(key, f"{label}は全角で入力してください。")
    else:
        bad = non_jis_chars(value)
        if bad:
            p.add(key, f"{label}に使用できない文字が含まれています（{'、'.join(bad)}）。")


def _digits(values: dict[str, str], key: str, p: Problems) -> None:
    value = _required(values, key, p, select=False)
    if value and not _TEN_DIGITS.fullmatch(value):
        p.add(key, f"{LABELS[key]}は半角数字10桁で入力してください。")


def _birth(values: dict[str, str], p: Problems) -> dt.date | None:
    era, year, month, day = (values[k] for k in BIRTH_PARTS)
    try:
        return from_wareki(ERAS.get(era, "?" if era else ""), year, month, day)
    except WarekiError as exc:
        p.add("SEI_GENGO", _BIRTH_TEXT[exc.problem])
        return None


def _vaccinated_on(values: dict[str, str], p: Problems, today: dt.date) -> dt.date | None:
    text = _required(values, "SESSHU_YMD", p, select=False)
    if not text:
        return None
    if not _EIGHT_DIGITS.fullmatch(text):
        p.add("SESSHU_YMD", "接種日は西暦8桁の半角数字（例：20250401）で入力してください。")
        return None
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        p.add("SESSHU_YMD", "接種日は存在しない日付です。")
        return None
    if day > today:
        p.add("SESSHU_YMD", "接種日に未来の日付は入力できません。")
        return None
    return day


def _cross_checks(vaccine: str, category: str, dose: str, site: str, p: Problems) -> None:
    """The vendor's rules between the vaccine and the dose, the site and the 接種区分."""
    known = VACCINE_BY_CODE.get(vaccine)
    if known is None:
        return
    if dose and int(dose) > known.max_dose:
        p.add("SESSHU_KAI", f"{known.label}の接種回数は{known.max_dose}回目までです。")
    if site and (vaccine == ROTA) != (site == ORAL):
        text = "ロタウイルスの接種部位は「経口」を選択してください。"
        p.add("BUI", text if vaccine == ROTA else "「経口」はロタウイルスのみ選択できます。")
    if category == CATCH_UP and vaccine != HPV:
        p.add("SESSHU_KBN", "接種区分「定期（キャッチアップ）」はＨＰＶのみ選択できます。")


def validate(
    values: dict[str, str], today: dt.date | None = None
) -> tuple[Vaccination | None, Problems]:
    """Check the posted values in screen order; the record only when nothing is wrong."""
    today = today or dt.date.today()
    p = Problems()
    _digits(values, "JUMIN_CD", p)
    _zenkaku(values, "SHIMEI", p, required=True)
    _zenkaku(values, "KANA", p, required=True)
    _code(values, "SEIBETSU", SEXES, p)
    birth = _birth(values, p)
    vaccine = _code(values, "WAKUCHIN", VACCINE_BY_CODE, p)
    category = _code(values, "SESSHU_KBN", CATEGORIES, p)
    dose = _code(values, "SESSHU_KAI", DOSES, p)
    site = _code(values, "BUI", SITES, p)
    _cross_checks(vaccine, category, dose, site, p)
    vaccinated_on = _vaccinated_on(values, p, today)
    if birth and vaccinated_on and vaccinated_on < birth:
        p.add("SESSHU_YMD", "接種日が生年月日より前の日付です。")
    lot = _required(values, "LOT_NO", p, select=False)
    if lot and not _LOT.fullmatch(lot):
        p.add("LOT_NO", "ロット番号は半角英数字20文字以内で入力してください。")
    _digits(values, "IRYO_CD", p)
    _zenkaku(values, "ISHI", p, required=False)
    remarks = values["BIKOU"]
    if len(remarks) > MAX_LEN["BIKOU"]:
        p.add("BIKOU", f"備考は{MAX_LEN['BIKOU']}文字以内で入力してください。")
    bad = non_jis_chars(remarks.replace("\n", ""))
    if bad:
        p.add("BIKOU", f"備考に使用できない文字が含まれています（{'、'.join(bad)}）。")
    if p.messages or birth is None or vaccinated_on is None:
        return None, p
    return _record(values, birth, vaccinated_on), p


def _record(values: dict[str, str], birth: dt.date, vaccinated_on: dt.date) -> Vaccination:
    return Vaccination(
        jumin_cd=values["JUMIN_CD"],
        name=values["SHIMEI"],
        kana=values["KANA"],
        sex=values["SEIBETSU"],
        birth_era=values["SEI_GENGO"],
        birth_year=int(values["SEI_NEN"]),
        birth_month=int(values["SEI_TSUKI"]),
        birth_day=int(values["SEI_HI"]),
        birth_date=birth,
        vaccine=values["WAKUCHIN"],
        category=values["SESSHU_KBN"],
        dose=values["SESSHU_KAI"],
        site=values["BUI"],
        vaccinated_on=vaccinated_on,
        lot_no=values["LOT_NO"],
        clinic_code=values["IRYO_CD"],
        doctor=values["ISHI"],
        remarks=values["BIKOU"],
    )
