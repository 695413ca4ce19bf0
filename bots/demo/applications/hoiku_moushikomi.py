"""保育 利用申込: the 児童手当 demo's parents ask for a nursery place for a preschool child."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta
from typing import Any

import jaconv

PROCEDURE = "hoiku_moushikomi"
PREFIX = "HM"
PEOPLE = "kosodate"
RECEIVED = "application_date"

FULL_SPACE = "\u3000"
GIVEN = (
    ("陽翔", "ハルト"),
    ("蓮", "レン"),
    ("湊", "ミナト"),
    ("結菜", "ユイナ"),
    ("陽葵", "ヒマリ"),
    ("凛", "リン"),
    ("大和", "ヤマト"),
    ("紬", "ツムギ"),
)
FACILITIES = (
    ("10101", "市立さくら保育所"),
    ("10102", "市立ひまわり保育所"),
    ("10203", "つくしんぼ保育園"),
    ("10204", "認定こども園みどりの森"),
    ("10305", "竹園ふたば保育園"),
    ("10306", "小規模保育室こぐま"),
    ("10407", "あおぞら保育園"),
    ("10408", "研究学園こども園"),
)
SIBLINGS = (("颯太", "ソウタ"), ("咲良", "サクラ"), ("悠真", "ユウマ"), ("芽依", "メイ"))


def _clean(text: str) -> str:
    """The form's text as the core system holds it: NFKC, katakana, full-width spaces."""
    text = unicodedata.normalize("NFKC", text)
    return str(jaconv.hira2kata(jaconv.h2z(text))).replace(" ", FULL_SPACE)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _preschool_child(
    person: dict[str, Any], household: dict[str, Any], on: date, rng: random.Random
) -> dict[str, Any]:
    """The household's youngest child if not yet at school, else a younger sibling."""
    for child in sorted(household["children"], key=lambda c: _clean(c["birth_date"]))[::-1]:
        birth = date.fromisoformat(_clean(child["birth_date"]))
        if birth < on and _age(birth, on) <= 5:
            return {"name": _clean(child["name"]), "kana": _clean(child["kana"]), "birth": birth}
    family, family_kana = person["name"].split(FULL_SPACE)[0], person["kana"].split(FULL_SPACE)[0]
    given, given_kana = rng.choice(GIVEN)
    return {
        "name": f"{family}{FULL_SPACE}{given}",
        "kana": f"{family_kana}{FULL_SPACE}{given_kana}",
        "birth": on - timedelta(days=rng.randint(120, 5 * 365)),
    }


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """A place from a month's first day, one to five facilities in order of preference."""
    day = date(2026, rng.randint(1, 9), rng.randint(1, 28))
    start = date(2026, day.month + rng.randint(1, 2), 1)
    child = _preschool_child(person, household, day, rng)
    wanted = rng.sample(FACILITIES, rng.randint(1, 5))
    data: dict[str, Any] = {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "application_date": day.isoformat(),
        "start_date": start.isoformat(),
        "certification": "3号認定" if _age(child["birth"], start) < 3 else "2号認定",
        "child": {
            "name": child["name"],
            "kana": child["kana"],
            "birth_date": child["birth"].isoformat(),
        },
        "facilities": [{"code": code, "name": name} for code, name in wanted],
        "sibling": "在園していない",
        "remarks": "",
    }
    if rng.random() < 0.3:
        family = person["name"].split(FULL_SPACE)[0]
        data["sibling"] = "在園している"
        data["sibling_name"] = f"{family}{FULL_SPACE}{rng.choice(SIBLINGS)[0]}"
        data["sibling_facility"] = wanted[0][1]
    return data
