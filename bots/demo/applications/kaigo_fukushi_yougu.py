"""福祉用具購入費の支給申請: the 介護 demo's insured bought bath and toilet aids this year."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

PROCEDURE = "kaigo_fukushi_yougu"
PREFIX = "KF"
PEOPLE = "kaigo"
RECEIVED = "application_date"

#: 種目 as the form names it → products a 指定販売事業者 sells, with the range a price is
#: drawn from (円; any three stay under the 10万円 a year).
PRODUCTS = {
    "腰掛便座": (
        ("補高便座　ソフトタイプ", 8_000, 20_000),
        ("ポータブルトイレ　木製", 30_000, 50_000),
    ),
    "自動排泄処理装置の交換可能部品": (("自動排泄処理装置　レシーバー", 15_000, 30_000),),
    "入浴補助用具": (
        ("シャワーチェア　背付き", 12_000, 30_000),
        ("浴槽用手すり", 8_000, 20_000),
        ("入浴台　バスボード", 10_000, 25_000),
    ),
    "簡易浴槽": (("空気式簡易浴槽", 25_000, 35_000),),
    "移動用リフトのつり具": (("スリングシート　シート型", 20_000, 35_000),),
}
DEALERS = (
    ("株式会社つくば福祉用具", "0870100123"),
    ("ケアショップ筑波", "0870200457"),
    ("有限会社みどり介護用品", "0870300981"),
)
#: 金融機関コード of banks near つくば (常陽, 筑波, 関東つくば, 水戸信金, ＪＡつくば市)
BANKS = ("0130", "0131", "0522", "1240", "3031")


def application(
    person: dict[str, Any], household: dict[str, Any], i: int, rng: random.Random
) -> dict[str, Any]:
    """One to three 種目 from one seller, paid on one day, claimed weeks later."""
    paid = date(2026, 10, 31) - timedelta(days=rng.randint(0, 200))
    applied = paid + timedelta(days=rng.randint(3, 20))
    items = []
    for category in rng.sample(sorted(PRODUCTS), rng.choice((1, 1, 2, 3))):
        product, low, high = rng.choice(PRODUCTS[category])
        items.append(
            {
                "category": category,
                "product_name": product,
                "purchase_date": (paid - timedelta(days=rng.choice((0, 0, 0, 7, 14)))).isoformat(),
                "price": rng.randrange(low, high // 2 + low // 2, 100),
            }
        )
    dealer, office_no = rng.choice(DEALERS)
    refund = rng.random() < 0.7
    return {
        "insured": household["insured"],
        "application_date": applied.isoformat(),
        "items": items,
        "total_price": sum(it["price"] for it in items),
        "dealer": {"name": dealer, "office_no": office_no},
        "receipt_date": paid.isoformat(),
        "payment_method": "償還払い" if refund else "受領委任払い",
        "bank": {
            "bank_code": rng.choice(BANKS),
            "branch_code": f"{rng.randint(1, 399):03d}",
            "account_type": rng.choices(("普通", "当座"), weights=(9, 1))[0],
            "account_no": f"{rng.randint(0, 9_999_999):07d}",
            "holder_kana": person["kana"],  # the insured's own account
        }
        if refund
        else None,
        "remarks": "",
    }
