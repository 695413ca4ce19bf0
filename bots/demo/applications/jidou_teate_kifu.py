"""児童手当 寄附の申出: some 受給者 of the 児童手当 demo give all or part of their allowance."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

PROCEDURE = "jidou_teate_kifu"
PREFIX = "JF"
PEOPLE = "kosodate"
RECEIVED = "moushide_date"

RECIPIENTS = ("市（使途を指定しない）", "子育て支援事業", "児童福祉施設の整備", "教育振興事業")
MONTH_END = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}


def _month_end(year: int, month: int) -> date:
    return date(year, month, MONTH_END.get(month, 31))


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """A 寄附 from the month after the 申出, to the end of the 年度 or for a few months."""
    month = rng.randint(4, 10)
    moushide = date(2026, month, rng.randint(1, 28))
    start = date(2026, month + 1, 1)
    if rng.random() < 0.6:
        end = date(2027, 3, 31)  # 年度末
    else:
        last = rng.randint(month + 1, 12)
        end = _month_end(2026, last)
    whole = rng.random() < 0.4
    return {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "moushide_date": moushide.isoformat(),
        "amount_kind": "全額" if whole else "一部",
        "monthly_amount": None if whole else rng.choice((1000, 2000, 3000, 5000, 10000)),
        "period_from": start.isoformat(),
        "period_to": end.isoformat(),
        "recipient": rng.choices(RECIPIENTS, weights=(4, 3, 1, 2))[0],
        "remarks": "",
    }
