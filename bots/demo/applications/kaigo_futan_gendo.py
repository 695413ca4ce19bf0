"""負担限度額認定申請: 介護 demo insured in a facility (or short stays) with little savings."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_futan_gendo"
PREFIX = "KL"
PEOPLE = "kaigo"
RECEIVED = "application_date"

#: 段階 as the form names it, with its weight and its 預貯金等 limit (単身, 円).
STAGES = (
    ("第1段階", 1, 10_000_000),
    ("第2段階", 4, 6_500_000),
    ("第3段階①", 3, 5_500_000),
    ("第3段階②", 3, 5_000_000),
)
FACILITIES = (
    "特別養護老人ホーム筑波の里",
    "介護老人保健施設つくばケアセンター",
    "特別養護老人ホーム桜の園",
    "介護医療院みどりの",
)
#: 種類 → where such money is kept
PLACES = {
    "普通預金": ("常陽銀行", "筑波銀行", "ゆうちょ銀行", "水戸信用金庫", "ＪＡつくば市"),
    "定期預金": ("常陽銀行", "筑波銀行", "ゆうちょ銀行"),
    "有価証券": ("野村證券", "大和証券", "ＳＢＩ証券"),
    "その他": ("手元現金", "金・貴金属"),
}
HUSBANDS = ("博", "茂", "清", "勇", "進")
WIVES = ("和子", "幸子", "節子", "恵子", "洋子")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """Savings spread over a few accounts, always under the 段階's limit."""
    applied = date(2026, 11, 20) - timedelta(days=rng.randint(0, 220))
    stage, _, limit = rng.choices(STAGES, weights=[s[1] for s in STAGES])[0]
    kinds = ["普通預金"] + rng.sample(("定期預金", "有価証券", "その他"), rng.randint(1, 3))
    budget = rng.randrange(100_000, limit, 1_000)
    assets = []
    for n, kind in enumerate(kinds):
        last = n == len(kinds) - 1
        amount = budget if last else rng.randrange(0, budget + 1, 1_000)
        budget -= amount
        assets.append({"kind": kind, "institution": rng.choice(PLACES[kind]), "amount": amount})
    in_facility = rng.random() < 0.7
    married = rng.random() < 0.4
    spouse = None
    if married:
        birth = date.fromisoformat(household["insured"]["birth_date"])
        family = person["name"].split("\u3000")[0]
        spouse = {
            "name": f"{family}\u3000{rng.choice(HUSBANDS + WIVES)}",
            "birth_date": (birth + timedelta(days=rng.randint(-1800, 1800))).isoformat(),
            "tax": "非課税",
            "savings": rng.randrange(0, 8_000_000, 1_000),
        }
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "stage": stage,
        "facility_name": rng.choice(FACILITIES) if in_facility else None,
        "admission_date": (applied - timedelta(days=rng.randint(0, 900))).isoformat()
        if in_facility
        else None,
        "has_spouse": "有" if married else "無",
        "spouse": spouse,
        "assets": assets,
        "savings_total": sum(a["amount"] for a in assets),
        "remarks": "",
    }
