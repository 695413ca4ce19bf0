"""高額介護サービス費の支給申請: the 介護 demo's insured paid more than their ceiling one month."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_kougaku"
PREFIX = "KK"
PEOPLE = "kaigo"
RECEIVED = "application_date"

#: 所得区分 as the form names it, with its 世帯 ceiling (負担限度額, 円/月) and its weight.
CLASSES = (
    ("現役並み所得者（課税所得690万円以上）", 140_100, 1),
    ("現役並み所得者（課税所得380万円以上690万円未満）", 93_000, 1),
    ("現役並み所得者（課税所得145万円以上380万円未満）", 44_400, 2),
    ("一般", 44_400, 8),
    ("世帯全員が市町村民税非課税", 24_600, 4),
    ("世帯非課税（年金収入等80万円以下）", 24_600, 3),
    ("生活保護受給者", 15_000, 1),
)
#: 金融機関コード of banks near つくば (常陽, 筑波, 関東つくば, 水戸信金, ＪＡつくば市)
BANKS = ("0130", "0131", "0522", "1240", "3031")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """One month's claim: the insured's share over the ceiling, sometimes a spouse's too."""
    applied = date(2026, 11, 20) - timedelta(days=rng.randint(0, 200))
    back = rng.randint(1, 4)  # 申請 comes after the month's bills
    year, month = divmod(applied.year * 12 + applied.month - 1 - back, 12)
    name, ceiling, _ = rng.choices(CLASSES, weights=[c[2] for c in CLASSES])[0]
    own = ceiling + rng.randrange(1_000, 60_000, 10)
    spouse = rng.choice((0, 0, rng.randrange(5_000, 40_000, 10)))
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "service_month": f"{year}{month + 1:02d}",
        "income_class": name,
        "own_burden": own,
        "household_burden": own + spouse,
        "bank": {
            "bank_code": rng.choice(BANKS),
            "branch_code": f"{rng.randint(1, 399):03d}",
            "account_type": rng.choices(("普通", "当座"), weights=(9, 1))[0],
            "account_no": f"{rng.randint(0, 9_999_999):07d}",
            "holder_kana": person["kana"],  # the insured's own account, as the form types it
        },
        "remarks": "",
    }
