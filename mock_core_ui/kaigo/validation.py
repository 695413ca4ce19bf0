"""Server-side checks of the 要介護・要支援認定の申請 entry screen.

Plain functions over the decoded form strings: every problem is gathered in screen order
(the clerk gets them all in one alert) and nothing is stored unless the list is empty.
Messages are the same in every layout variant.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from ..wareki import WarekiError, WarekiProblem, from_wareki
from .layout import (
    CARE_LEVEL_NAMES,
    DEFAULT_ERA_CODE,
    ERA_BY_CODE,
    HIDDEN_INSURED,
    KUBUN_NAMES,
    KUBUN_NEEDS_PREVIOUS,
    MADOGUCHI,
    MADOGUCHI_NAMES,
    RESIDENCE_AT_HOME,
    RESIDENCE_NAMES,
    Layout,
)
from .legacy import decode_browser_refs, non_jis_chars
from .store import Application, Doctor

MAX_REMARKS_LEN = 200
MAX_FACILITY_LEN = 40
MAX_SYMBOL_LEN = 20
HNO_RE = re.compile(r"[0-9]{10}")

NO_INSURED = "被保険者が存在しません。"
_DATE_MESSAGES: dict[WarekiProblem, str] = {
    WarekiProblem.MISSING: "申請日を入力してください。",
    WarekiProblem.INVALID: "申請日が正しくありません。",
    WarekiProblem.NONEXISTENT: "申請日は存在しない日付です。",
    WarekiProblem.OUT_OF_ERA: "申請日は{era}の期間外の日付です。",
}


@dataclass
class EntryForm:
    """The entry form as typed (raw strings, so it can come back exactly as entered)."""

    hihokensha_no: str = ""
    madoguchi: str = MADOGUCHI[0][0]
    kubun: str = ""
    era: str = DEFAULT_ERA_CODE
    year: str = ""
    month: str = ""
    day: str = ""
    prev_level: str = ""
    doc_code: str = ""
    doc_hospital: str = ""
    doc_name: str = ""
    insurer_no: str = ""
    insurer_symbol: str = ""
    residence: str = RESIDENCE_AT_HOME
    facility: str = ""
    remarks: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, str], layout: Layout) -> EntryForm:
        """Read a decoded post by the layout's input names; single-line fields trimmed."""
        form = cls(hihokensha_no=data.get(HIDDEN_INSURED, "").strip())
        names = {f.name for f in fields(cls)}
        for key, input_name in layout.entry.items():
            if key not in names or input_name not in data:
                continue
            value = decode_browser_refs(data[input_name])
            if key == "remarks":
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            else:
                value = value.strip()
            setattr(form, key, value)
        return form

    def value(self, key: str) -> str:
        """A field by its logical name (for the templates)."""
        return str(getattr(self, key))


def _check_text(item: str, value: str, limit: int, errors: list[str]) -> None:
    if len(value) > limit:
        errors.append(f"{item}は{limit}文字以内で入力してください。")
    bad = non_jis_chars(value)
    if bad:
        errors.append(f"{item}に使用できない文字が含まれています（{'、'.join(bad)}）。")


def _check_date(form: EntryForm, today: dt.date, errors: list[str]) -> dt.date | None:
    era = ERA_BY_CODE.get(form.era, "")
    if form.era and not era:
        errors.append(_DATE_MESSAGES[WarekiProblem.INVALID])
        return None
    try:
        day = from_wareki(era, form.year, form.month, form.day)
    except WarekiError as exc:
        errors.append(_DATE_MESSAGES[exc.problem].format(era=era))
        return None
    if day > today:
        errors.append("申請日に未来の日付は入力できません。")
        return None
    return day


def validate_entry(
    form: EntryForm,
    layout: Layout,
    *,
    insured_exists: bool,
    find_doctor: Callable[[str], Doctor | None],
    today: dt.date,
) -> tuple[Application | None, list[str]]:
    """Check the form in screen order; return the application only when there is no error."""
    errors: list[str] = []
    if not insured_exists:
        errors.append(NO_INSURED)

    madoguchi: str | None = None
    if layout.madoguchi:
        if form.madoguchi in MADOGUCHI_NAMES:
            madoguchi = form.madoguchi
        else:
            errors.append("受付窓口が正しくありません。")

    if not form.kubun:
        errors.append("申請区分を選択してください。")
    elif form.kubun not in KUBUN_NAMES:
        errors.append("申請区分が正しくありません。")

    shinsei_date = _check_date(form, today, errors)

    prev_level: str | None = None
    if form.kubun in KUBUN_NEEDS_PREVIOUS:
        if not form.prev_level:
            errors.append("前回の要介護度を選択してください。")
        elif form.prev_level not in CARE_LEVEL_NAMES:
            errors.append("前回の要介護度が正しくありません。")
        else:
            prev_level = form.prev_level

    doctor: Doctor | None = None
    if not form.doc_code:
        errors.append("主治医を選択してください。")
    else:
        doctor = find_doctor(form.doc_code)
        if doctor is None:
            errors.append("主治医の医療機関コードが存在しません。")

    if form.insurer_no and not re.fullmatch(r"[0-9]{8}", form.insurer_no):
        errors.append("保険者番号は半角数字8桁で入力してください。")
    if form.insurer_symbol and not form.insurer_no:
        errors.append("保険者番号を入力してください。")
    if form.insurer_no and not form.insurer_symbol:
        errors.append("記号・番号を入力してください。")
    _check_text("記号・番号", form.insurer_symbol, MAX_SYMBOL_LEN, errors)

    facility = ""
    if form.residence not in RESIDENCE_NAMES:
        errors.append("本人の居所が正しくありません。")
    elif form.residence != RESIDENCE_AT_HOME:
        facility = form.facility
        if not facility:
            errors.append("施設名を入力してください。")
        _check_text("施設名", facility, MAX_FACILITY_LEN, errors)

    _check_text("備考", form.remarks, MAX_REMARKS_LEN, errors)

    if errors or shinsei_date is None or doctor is None:
        return None, errors
    return (
        Application(
            hihokensha_no=form.hihokensha_no,
            madoguchi=madoguchi,
            kubun=form.kubun,
            shinsei_date=shinsei_date,
            prev_care_level=prev_level,
            doctor=doctor,
            insurer_no=form.insurer_no,
            insurer_symbol=form.insurer_symbol,
            residence=form.residence,
            facility_name=facility,
            remarks=form.remarks,
        ),
        errors,
    )
