"""Demo applications of the procedures beyond 児童手当, built on the same residents.

Household *i* of :func:`bots.demo.fake.make_dataset` is always the same person, so each
procedure's demo application for a resident is deterministic too.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from bots.demo.fake import REFERENCE_DATE

CLINICS = (
    "つくば中央レディースクリニック",
    "筑波大学附属病院",
    "土浦協同病院",
    "つくばセントラル病院",
)
OCCUPATIONS = ("会社員", "自営業", "パート・アルバイト", "学生", "無職", "その他")


def boshi_application(
    resident: dict[str, Any], index: int, reference_date: date = REFERENCE_DATE
) -> dict[str, Any]:
    """妊娠の届出 as sent from the online form (dates ISO, 多胎 as a flag)."""
    rng = random.Random(f"boshi-{index}")
    notified = reference_date - timedelta(days=rng.randint(0, 20))
    weeks = rng.randint(8, 20)
    due = notified + timedelta(days=(40 - weeks) * 7)
    multiple = rng.random() < 0.15
    return {
        "applicant": {k: resident[k] for k in ("name", "kana", "birth_date")},
        "notification_date": notified.isoformat(),
        "weeks": weeks,
        "due_date": due.isoformat(),
        "multiple": multiple,
        "fetus_count": 2 if multiple else None,
        "clinic": rng.choice(CLINICS),
        "occupation": rng.choice(OCCUPATIONS),
        "remarks": "",
    }
