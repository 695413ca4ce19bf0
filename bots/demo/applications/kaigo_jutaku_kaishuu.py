"""住宅改修費の支給申請: the 介護 demo's insured had handrails put in or steps removed."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_jutaku_kaishuu"
PREFIX = "KJ"
PEOPLE = "kaigo"
RECEIVED = "application_date"

#: 改修の種類 as the form names it → where such work is usually done, and its cost (円).
WORKS = {
    "手すりの取付け": (("玄関", "廊下", "トイレ", "浴室"), 30_000, 150_000),
    "段差の解消": (("玄関", "浴室出入口", "居室"), 50_000, 250_000),
    "床又は通路面の材料の変更": (("居室", "廊下", "浴室"), 80_000, 300_000),
    "引き戸等への扉の取替え": (("トイレ", "浴室", "居室"), 60_000, 200_000),
    "洋式便器等への便器の取替え": (("トイレ",), 150_000, 350_000),
}
CONTRACTORS = (
    ("株式会社筑波リフォーム", "029-851"),
    ("有限会社さくら工務店", "029-864"),
    ("つくば住まいの工房", "029-855"),
)
#: 金融機関コード of banks near つくば (常陽, 筑波, 関東つくば, 水戸信金, ＪＡつくば市)
BANKS = ("0130", "0131", "0522", "1240", "3031")
LIMIT = 200_000  # 支給限度基準額


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """One to three kinds of work, finished, paid, and claimed a few weeks later."""
    started = date(2026, 10, 1) - timedelta(days=rng.randint(0, 250))
    finished = started + timedelta(days=rng.randint(0, 14))
    paid = finished + timedelta(days=rng.randint(0, 10))
    applied = paid + timedelta(days=rng.randint(3, 30))
    kinds = rng.sample(sorted(WORKS), rng.choice((1, 1, 2, 3)))
    places: list[str] = []
    cost = 0
    for kind in kinds:
        where, low, high = WORKS[kind]
        places += [
            p for p in rng.sample(where, rng.randint(1, min(2, len(where)))) if p not in places
        ]
        cost += rng.randrange(low, high, 1_000)
    # most use the whole 20万円 at once; some used part of it before
    left = LIMIT if rng.random() < 0.8 else rng.randrange(50_000, LIMIT, 10_000)
    contractor, area = rng.choice(CONTRACTORS)
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "work_types": [{"kind": k} for k in kinds],
        "place": "・".join(places),
        "start_date": started.isoformat(),
        "completion_date": finished.isoformat(),
        "cost": cost,
        "covered_cost": min(cost, left),
        "contractor": {"name": contractor, "phone": f"{area}-{rng.randint(1000, 9999)}"},
        "receipt_date": paid.isoformat(),
        "bank": {
            "bank_code": rng.choice(BANKS),
            "branch_code": f"{rng.randint(1, 399):03d}",
            "account_type": rng.choices(("普通", "当座"), weights=(9, 1))[0],
            "account_no": f"{rng.randint(0, 9_999_999):07d}",
            "holder_kana": person["kana"],  # the insured's own account
        },
        "remarks": "",
    }
