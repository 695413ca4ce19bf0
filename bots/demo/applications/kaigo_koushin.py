"""要介護・要支援更新認定の申請: some of the 介護 demo's insured renew their certification,
within the 60 days before it ends; same 主治医 and 居所 as their 認定申請."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_koushin"
PREFIX = "KU"
PEOPLE = "kaigo"
RECEIVED = "application_date"

LEVELS = ("要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    applied = date(2026, 11, 24) - timedelta(days=rng.randint(0, 30))
    valid_until = _month_end(applied + timedelta(days=rng.randint(1, 59)))
    while (valid_until - applied).days > 60:
        valid_until = _month_end(valid_until.replace(day=1) - timedelta(days=1))
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "kubun": "更新",
        "previous_level": household["previous_level"] or rng.choice(LEVELS),
        "previous_valid_until": valid_until.isoformat(),
        "specified_disease": None,
        "doctor": household["doctor"],
        "medical_insurance": None,
        "residence": household["residence"],
        "facility_name": household["facility_name"],
        "remarks": "",
    }


def _month_end(day: date) -> date:
    """Certifications end on the last day of a month."""
    first_of_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_of_next - timedelta(days=1)
