"""児童手当 学校給食費等の徴収の申出: 受給者 have their children's school costs taken from it."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta
from typing import Any

PROCEDURE = "jidou_teate_kyuushoku"
PREFIX = "JC"
PEOPLE = "kosodate"
RECEIVED = "moushide_date"

LAST_DAY = date(2026, 11, 24)
NURSERIES = ("つくば市立竹園保育所", "並木こども園", "研究学園保育園", "吾妻さくら保育園")
PRIMARY = ("つくば市立竹園東小学校", "つくば市立並木小学校", "つくば市立学園の森義務教育学校")
JUNIOR = ("つくば市立竹園東中学校", "つくば市立並木中学校", "つくば市立谷田部中学校")
HIGH = ("茨城県立竹園高等学校", "茨城県立並木中等教育学校")


def _age(birth: date, at: date) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def _rows(child: dict[str, Any], birth: date, at: date, rng: random.Random) -> list[dict[str, Any]]:
    """What the child's school or nursery bills each month, one row per 費目."""
    base = {"name": child["name"].replace(" ", "\u3000"), "birth_date": birth.isoformat()}
    age = _age(birth, at)
    if age < 6:
        fee = rng.randrange(8000, 40000, 100)
        return [{**base, "school": rng.choice(NURSERIES), "item": "保育料", "monthly_amount": fee}]
    if age >= 15:
        fee = rng.randrange(1000, 3000, 100)
        return [{**base, "school": rng.choice(HIGH), "item": "学用品費", "monthly_amount": fee}]
    school = rng.choice(PRIMARY if age < 12 else JUNIOR)
    lunch = rng.randrange(4300, 5000, 10) if age < 12 else rng.randrange(4900, 5600, 10)
    rows = [{**base, "school": school, "item": "学校給食費", "monthly_amount": lunch}]
    if rng.random() < 0.3:
        supplies = rng.randrange(500, 2000, 100)
        rows.append({**base, "school": school, "item": "学用品費", "monthly_amount": supplies})
    return rows


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """A 申出 for the household's children born at least two months before it."""
    births = [
        date.fromisoformat(unicodedata.normalize("NFKC", c["birth_date"]))
        for c in household["children"]
    ]
    moushide = date(2026, rng.randint(3, 9), rng.randint(1, 28))
    if all(b > moushide - timedelta(days=60) for b in births):
        moushide = min(LAST_DAY, min(births) + timedelta(days=60))
    rows: list[dict[str, Any]] = []
    for child, birth in zip(household["children"], births, strict=True):
        if birth <= moushide - timedelta(days=60) or birth == min(births):
            rows += _rows(child, birth, moushide, rng)
    rows = rows[:5]
    start = date(moushide.year + moushide.month // 12, moushide.month % 12 + 1, 1)
    return {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "moushide_date": moushide.isoformat(),
        "start_date": start.isoformat(),
        "total": sum(r["monthly_amount"] for r in rows),
        "children": rows,
        "remarks": "",
    }
