"""児童扶養手当 現況届: the 児童手当 demo's parents send the August 現況届 ahead online."""

from __future__ import annotations

import random
import unicodedata
from datetime import date
from typing import Any

PROCEDURE = "jidou_fuyou_genkyou"
PREFIX = "FG"
PEOPLE = "kosodate"
RECEIVED = "todoke_date"

FULL_SPACE = "\u3000"
ELIGIBILITY = (
    "父母の婚姻解消",
    "父又は母の死亡",
    "婚姻によらないで出生",
    "父又は母の障害",
    "保護命令",
)
PENSIONS = ("遺族年金", "障害年金", "労災年金")


def _clean(text: str) -> str:
    """The form's text as the core system holds it: NFKC, full-width spaces."""
    return unicodedata.normalize("NFKC", text).replace(" ", FULL_SPACE)


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """This year's 現況届, sent in late July or August: income, 養育費, pension, children."""
    eligibility = rng.choices(ELIGIBILITY, weights=(80, 6, 10, 2, 2))[0]
    data: dict[str, Any] = {
        "applicant": {k: person[k] for k in ("name", "kana", "birth_date", "address")},
        "todoke_date": date(2026, 8, rng.randint(1, 31)).isoformat(),
        "nendo": 2026,
        "certificate_no": f"{rng.randint(1, 99_999):07d}",
        "eligibility": eligibility,
        "married": "していない",
        "income": rng.randrange(0, 2_300_000, 1000),
        "child_support": "受け取っていない",
        "pension": "受給していない",
        "children": [
            {
                "name": _clean(child["name"]),
                "birth_date": _clean(child["birth_date"]),
                "relation": child["relation"],
                "cohabitation": "同居" if child["cohabiting"] else "別居",
            }
            for child in household["children"][:5]
        ],
        "remarks": "",
    }
    if eligibility == "父母の婚姻解消" and rng.random() < 0.4:
        data["child_support"] = "受け取っている"
        data["child_support_amount"] = rng.randrange(120_000, 960_000, 10_000)
    if eligibility == "父又は母の死亡" or rng.random() < 0.1:
        data["pension"] = "受給している"
        data["pension_kind"] = (
            "遺族年金" if eligibility == "父又は母の死亡" else rng.choice(PENSIONS)
        )
        data["pension_amount"] = rng.randrange(300_000, 1_500_000, 100)
    return data
