"""負担割合証の再交付申請: some of the 介護 demo's insured lost or damaged this year's 証."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_futan_wariai"
PREFIX = "KW"
PEOPLE = "kaigo"
RECEIVED = "application_date"

REASONS = ("紛失", "破損", "汚損", "その他")
OTHER_REASONS = (
    "施設への入所時に預けたまま返却されていない",
    "転居の際に他の書類と一緒に処分した",
    "洗濯して文字が読めなくなった",
)
FAMILY = (("長男", "一郎"), ("長女", "恵子"), ("次男", "健二"), ("妻", "和子"), ("夫", "博"))
OTHERS = (("成年後見人", "佐藤\u3000誠"), ("担当介護支援専門員", "鈴木\u3000美香"))


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    reason = rng.choices(REASONS, weights=(6, 2, 1, 1))[0]
    applied = date(2026, 11, 20) - timedelta(days=rng.randint(0, 240))
    kind = rng.choices(("本人", "家族", "その他"), weights=(5, 4, 1))[0]
    if kind == "家族":
        relation, given = rng.choice(FAMILY)
        name = f"{person['name'].split(chr(0x3000))[0]}\u3000{given}"
    elif kind == "その他":
        relation, name = rng.choice(OTHERS)
    else:
        relation, name = None, None
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        # the 年度 of the card: 8月1日 to 7月31日
        "nendo": applied.year if applied.month >= 8 else applied.year - 1,
        "reason": reason,
        "reason_detail": rng.choice(OTHER_REASONS) if reason == "その他" else None,
        "delivery": rng.choice(("窓口交付", "郵送")),
        "applicant_kind": kind,
        "applicant_name": name,
        "applicant_relation": relation,
        "remarks": "",
    }
