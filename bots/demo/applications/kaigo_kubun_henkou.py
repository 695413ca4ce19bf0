"""要介護・要支援状態区分変更認定の申請: some of the 介護 demo's insured got worse (or
better) during their certification and ask for a new 区分."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_kubun_henkou"
PREFIX = "KB"
PEOPLE = "kaigo"
RECEIVED = "application_date"

#: Worse: any level below 要介護5 may go up.
WORSE = (
    "自宅で転倒して大腿骨を骨折し、歩行が困難になった",
    "脳梗塞で入院し、右半身にまひが残った",
    "認知症の症状が進み、日中も見守りが必要になった",
    "肺炎で入院した後、体力が落ちて入浴に介助が要る",
)
#: Better: only a 要介護 level may go down.
BETTER = ("リハビリの効果で歩行が安定し、介助が減った",)


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    applied = date(2026, 11, 24) - timedelta(days=rng.randint(0, 40))
    changed = applied - timedelta(days=rng.randint(7, 90))
    if rng.random() < 0.8:
        reason = rng.choice(WORSE)
        level = rng.choice(("要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4"))
    else:
        reason = rng.choice(BETTER)
        level = rng.choice(("要介護2", "要介護3", "要介護4", "要介護5"))
    valid_until = date(2027 + rng.randint(0, 2), rng.randint(1, 12), 1) - timedelta(days=1)
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "kubun": "区分変更",
        "previous_level": level,
        "previous_valid_until": valid_until.isoformat() if rng.random() < 0.7 else None,
        "change_reason": reason,
        "changed_since": changed.isoformat(),
        "specified_disease": None,
        "doctor": household["doctor"],
        "medical_insurance": None,
        "residence": household["residence"],
        "facility_name": household["facility_name"],
        "remarks": "",
    }
