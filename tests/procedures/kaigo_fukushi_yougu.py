"""福祉用具購入費支給申請 (KGM630): the manual's code lists, the 購入品目 as rows with ISO
dates and numbers, the account only for 償還払い, its 名義 in half-width kana."""

from __future__ import annotations

from typing import Any

import jaconv

PROCEDURE = "kaigo_fukushi_yougu"
SHUMOKU = {
    "腰掛便座": "1",
    "自動排泄処理装置の交換可能部品": "2",
    "入浴補助用具": "3",
    "簡易浴槽": "4",
    "移動用リフトのつり具": "5",
}
HOUHOU = {"償還払い": "1", "受領委任払い": "2"}
SHUBETSU = {"普通": "1", "当座": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    bank = data.get("bank") or {}
    return {
        "shinsei_date": data["application_date"],
        "hinmoku": [
            {
                "shumoku": SHUMOKU[it["category"]],
                "shouhin": it["product_name"],
                "kounyuu_date": it["purchase_date"],
                "kingaku": it["price"],
            }
            for it in data["items"]
        ],
        "goukei": data["total_price"],
        "jigyousha_name": data["dealer"]["name"],
        "jigyousho_no": data["dealer"]["office_no"],
        "ryoushuu_date": data["receipt_date"],
        "shikyuu_houhou": HOUHOU[data["payment_method"]],
        "kinyuu_code": bank.get("bank_code"),
        "shiten_code": bank.get("branch_code"),
        "shubetsu": SHUBETSU[bank["account_type"]] if bank else None,
        "kouza_no": bank.get("account_no"),
        "meigi": jaconv.z2h(bank["holder_kana"], kana=True, ascii=True, digit=False)
        if bank
        else None,
    }


def _item(category: str, product: str, day: str, price: int) -> dict[str, Any]:
    return {"category": category, "product_name": product, "purchase_date": day, "price": price}


def _total_mistyped(data: dict[str, Any]) -> None:
    data["items"] = [
        _item("腰掛便座", "補高便座", "2026-09-01", 12_800),
        _item("入浴補助用具", "シャワーチェア", "2026-09-01", 21_500),
    ]
    data["receipt_date"] = "2026-09-01"
    data["application_date"] = "2026-09-15"
    data["total_price"] = 43_300


def _same_category_twice(data: dict[str, Any]) -> None:
    data["items"] = [
        _item("入浴補助用具", "シャワーチェア", "2026-09-01", 21_500),
        _item("入浴補助用具", "浴槽用手すり", "2026-09-01", 9_800),
    ]
    data["receipt_date"] = "2026-09-01"
    data["application_date"] = "2026-09-15"
    data["total_price"] = 31_300


def _refund_without_account(data: dict[str, Any]) -> None:
    data["payment_method"] = "償還払い"
    data["bank"] = None


def _claimed_before_paid(data: dict[str, Any]) -> None:
    data["receipt_date"] = "2026-11-20"
    data["application_date"] = "2026-11-10"
    for it in data["items"]:
        it["purchase_date"] = "2026-11-01"


def _bought_after_receipt(data: dict[str, Any]) -> None:
    data["items"] = [_item("簡易浴槽", "空気式簡易浴槽", "2026-08-05", 29_800)]
    data["total_price"] = 29_800
    data["receipt_date"] = "2026-08-01"
    data["application_date"] = "2026-08-20"


MALFORMED = [
    (
        _total_mistyped,
        "申請データに不備があります: 購入金額合計: 品目ごとの金額の合計（34,300円）と一致しません（43,300円）",
    ),
    (_same_category_twice, "申請データに不備があります: 品目2: 品目1と同じ内容です（二重の記載）"),
    (
        _refund_without_account,
        "申請データに不備があります: 振込先: 支給方法が「償還払い」のときは入力が必要です",
    ),
    (
        _claimed_before_paid,
        "申請データに不備があります: 申請日: 領収日（2026-11-20）より前の日付です（2026-11-10）",
    ),
    (
        _bought_after_receipt,
        "申請データに不備があります: 品目1 購入日: 領収日（2026-08-01）より後の日付です（2026-08-05）",
    ),
]
