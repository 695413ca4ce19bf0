"""被保険者証の再交付申請: some of the 介護 demo's insured lost or damaged their 証."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_hihokenshashou"
PREFIX = "KH"
PEOPLE = "kaigo"
RECEIVED = "application_date"

REASONS = ("紛失", "破損", "汚損", "その他")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    reason = rng.choices(REASONS, weights=(6, 2, 1, 1))[0]
    applied = date(2026, 11, 20) - timedelta(days=rng.randint(0, 14))
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "reason": reason,
        "reason_detail": "施設への入所時に預けたまま返却されていない"
        if reason == "その他"
        else None,
        "delivery": rng.choice(("窓口交付", "郵送")),
        "remarks": "",
    }
