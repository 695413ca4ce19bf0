"""児童手当 寄附の変更・撤回: 受給者 who offered a 寄附 change its amount or withdraw it."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

PROCEDURE = "jidou_teate_kifu_henkou"
PREFIX = "JV"
PEOPLE = "kosodate"
RECEIVED = "moushide_date"

CHANGE_REASONS = ("家計の状況の変化", "寄附額の見直し", "その他")
WITHDRAW_REASONS = ("家計の状況の変化", "寄附先の事業終了", "その他")
DETAILS = ("転職のため", "世帯の事情によるため", "他の団体へ寄附するため", "子の進学のため")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """A 変更 (new amount) or 撤回 of a 寄附 offered this spring, from the next month."""
    original = date(2026, rng.randint(4, 6), rng.randint(1, 28))
    month = rng.randint(7, 10)
    moushide = date(2026, month, rng.randint(1, 28))
    change = rng.random() < 0.6
    reason = rng.choices(CHANGE_REASONS if change else WITHDRAW_REASONS, weights=(4, 4, 1))[0]
    whole = change and rng.random() < 0.3
    amount = rng.choice((1000, 2000, 3000, 5000)) if change and not whole else None
    return {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "moushide_date": moushide.isoformat(),
        "original_date": original.isoformat(),
        "kind": "変更" if change else "撤回",
        "effective_date": date(2026, month + 1, 1).isoformat(),
        "new_amount_kind": ("全額" if whole else "一部") if change else None,
        "new_monthly_amount": amount,
        "reason": reason,
        "reason_detail": rng.choice(DETAILS) if reason == "その他" else None,
        "remarks": "",
    }
