"""保育 現況届: the 児童手当 demo's parents of a child at a nursery send this year's 現況届."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta
from typing import Any

import jaconv

PROCEDURE = "hoiku_genkyou"
PREFIX = "HG"
PEOPLE = "kosodate"
RECEIVED = "todoke_date"

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
    ("10407", "あおぞら保育園"),
)
EMPLOYERS = (
    "株式会社つくば精機",
    "筑波総合病院",
    "市役所",
    "有限会社さくら商店",
    "研究学園クリニック",
)
OTHER_STATUS = ("育児休業中", "求職中", "疾病・障害", "就学", "その他")


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
        if birth < on - timedelta(days=180) and _age(birth, on) <= 5:
            return {"name": _clean(child["name"]), "kana": _clean(child["kana"]), "birth": birth}
    family, family_kana = person["name"].split(FULL_SPACE)[0], person["kana"].split(FULL_SPACE)[0]
    given, given_kana = rng.choice(GIVEN)
    return {
        "name": f"{family}{FULL_SPACE}{given}",
        "kana": f"{family_kana}{FULL_SPACE}{given_kana}",
        "birth": on - timedelta(days=rng.randint(300, 5 * 365)),
    }


def _work(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.8:
        return {
            "status": rng.choices(("就労（外勤）", "就労（自営）"), weights=(5, 1))[0],
            "employer": rng.choice(EMPLOYERS),
            "hours": rng.choice((64, 96, 120, 140, 160, 168, 176)),
        }
    return {"status": rng.choice(OTHER_STATUS)}


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """This year's 現況届: both parents' work, most children staying, a few leaving."""
    day = date(2026, 6, rng.randint(1, 30))
    child = _preschool_child(person, household, day, rng)
    code, name = rng.choice(FACILITIES)
    data: dict[str, Any] = {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "todoke_date": day.isoformat(),
        "nendo": 2026,
        "facility": {"code": code, "name": name},
        "child": {
            "name": child["name"],
            "kana": child["kana"],
            "birth_date": child["birth"].isoformat(),
            "certification": "3号認定" if _age(child["birth"], date(2026, 4, 1)) < 3 else "2号認定",
        },
        "work": _work(rng),
        "continuation": "継続して利用する",
        "remarks": "",
    }
    if household.get("spouse"):
        data["spouse"] = {"name": _clean(household["spouse"]["name"])} | _work(rng)
    if rng.random() < 0.15:
        data["continuation"] = "退園する"
        data["leave_date"] = date(2026, rng.randint(7, 10), 1).isoformat()
    return data
