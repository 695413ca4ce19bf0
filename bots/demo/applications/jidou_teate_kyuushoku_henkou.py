"""児童手当 学校給食費等の徴収の変更・取りやめ, for one child of the 児童手当 demo."""

from __future__ import annotations

import random
import unicodedata
from datetime import date
from typing import Any

PROCEDURE = "jidou_teate_kyuushoku_henkou"
PREFIX = "JD"
PEOPLE = "kosodate"
RECEIVED = "moushide_date"

CHANGE_REASONS = ("金額の改定", "転校・転園", "その他")
STOP_REASONS = ("卒業・退園", "転校・転園", "他の納付方法への切替", "その他")
DETAILS = ("家庭の事情によるため", "兄弟姉妹の分とまとめて申し出るため")


def _age(birth: date, at: date) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """A 変更 (new monthly amount) or 取りやめ for the household's eldest child."""
    child = household["children"][0]
    birth = date.fromisoformat(unicodedata.normalize("NFKC", child["birth_date"]))
    moushide = max(date(2026, rng.randint(4, 10), rng.randint(1, 28)), birth)
    age = _age(birth, moushide)
    if age < 6:
        school, item, amount = "並木こども園", "保育料", rng.randrange(8000, 40000, 100)
    elif age < 12:
        school, item, amount = "つくば市立竹園東小学校", "学校給食費", rng.randrange(4300, 5000, 10)
    elif age < 15:
        school, item, amount = "つくば市立並木中学校", "学校給食費", rng.randrange(4900, 5600, 10)
    else:
        school, item, amount = "茨城県立竹園高等学校", "学用品費", rng.randrange(1000, 3000, 100)
    change = rng.random() < 0.5
    if change:
        reason = rng.choices(CHANGE_REASONS, weights=(6, 2, 1))[0]
    else:
        reason = rng.choices(STOP_REASONS, weights=(3, 2, 2, 1))[0]
    next_month = date(2026 + moushide.month // 12, moushide.month % 12 + 1, 1)
    return {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "moushide_date": moushide.isoformat(),
        "kind": "変更" if change else "取りやめ",
        "effective_date": next_month.isoformat(),
        "reason": reason,
        "reason_detail": rng.choice(DETAILS) if reason == "その他" else None,
        "child": {
            "name": child["name"].replace(" ", "\u3000"),
            "birth_date": birth.isoformat(),
            "school": school,
            "item": item,
        },
        "new_monthly_amount": amount if change else None,
        "remarks": "",
    }
