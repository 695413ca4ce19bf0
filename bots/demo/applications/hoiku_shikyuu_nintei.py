"""保育 支給認定申請: the 児童手当 demo's parents apply for the 認定 of a preschool child."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta
from typing import Any

import jaconv

PROCEDURE = "hoiku_shikyuu_nintei"
PREFIX = "HN"
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
REASONS = ("就労", "妊娠・出産", "疾病・障害", "介護・看護", "求職活動", "就学", "その他")
EMPLOYERS = ("株式会社つくば精機", "筑波総合病院", "市役所", "有限会社さくら商店", "自営（農業）")
OTHER = ("災害復旧に従事", "虐待・DVのおそれ", "育児休業中の継続利用")


def _clean(text: str) -> str:
    """The form's text as the core system holds it: NFKC, katakana, full-width spaces."""
    text = unicodedata.normalize("NFKC", text)
    return str(jaconv.hira2kata(jaconv.h2z(text))).replace(" ", FULL_SPACE)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def preschool_child(
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
    """A 認定 of the youngest preschool child: 3号 under 3, else mostly 2号, some 1号."""
    day = date(2026, rng.randint(1, 10), rng.randint(1, 28))
    child = preschool_child(person, household, day, rng)
    if i % 4 == 1:  # an older brother or sister at 幼稚園 age (満3〜5歳)
        child["birth"] = day - timedelta(days=rng.randint(3 * 365 + 30, 5 * 365))
    if _age(child["birth"], day) < 3:
        certification = "3号認定"
    else:
        certification = "1号認定" if rng.random() < 0.3 else "2号認定"
    data: dict[str, Any] = {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "application_date": day.isoformat(),
        "certification": certification,
        "child": {
            "name": child["name"],
            "kana": child["kana"],
            "birth_date": child["birth"].isoformat(),
            "sex": rng.choice(("男", "女")),
        },
        "remarks": "",
    }
    if certification == "1号認定":
        return data
    reason = "就労" if i % 3 != 2 else rng.choice(REASONS)
    data["reason"] = reason
    if reason == "就労":
        data["employer"] = rng.choice(EMPLOYERS)
        data["work_hours"] = rng.choice((64, 80, 96, 120, 140, 160, 176))
        data["care_hours"] = "保育標準時間" if data["work_hours"] >= 120 else "保育短時間"
    else:
        data["care_hours"] = rng.choice(("保育標準時間", "保育短時間"))
    if reason == "その他":
        data["reason_detail"] = rng.choice(OTHER)
    return data
