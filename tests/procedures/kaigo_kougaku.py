"""高額介護サービス費支給申請 (KGM610): the manual's code lists, amounts as numbers, the
提供年月 as 6 digits, the 口座名義 in half-width kana as banks keep it."""

from __future__ import annotations

from typing import Any

import jaconv

PROCEDURE = "kaigo_kougaku"
SHOTOKU = {
    "現役並み所得者（課税所得690万円以上）": "1",
    "現役並み所得者（課税所得380万円以上690万円未満）": "2",
    "現役並み所得者（課税所得145万円以上380万円未満）": "3",
    "一般": "4",
    "世帯全員が市町村民税非課税": "5",
    "世帯非課税（年金収入等80万円以下）": "6",
    "生活保護受給者": "7",
}
SHUBETSU = {"普通": "1", "当座": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    bank = data["bank"]
    return {
        "shinsei_date": data["application_date"],
        "teikyou_ym": data["service_month"],
        "shotoku_kubun": SHOTOKU[data["income_class"]],
        "futan": data["own_burden"],
        "setai_futan": data["household_burden"],
        "kinyuu_code": bank["bank_code"],
        "shiten_code": bank["branch_code"],
        "shubetsu": SHUBETSU[bank["account_type"]],
        "kouza_no": bank["account_no"],
        "meigi": jaconv.z2h(bank["holder_kana"], kana=True, ascii=True, digit=False),
    }


def _household_less_than_own(data: dict[str, Any]) -> None:
    data["own_burden"] = 61_200
    data["household_burden"] = 16_200


def _account_no_short(data: dict[str, Any]) -> None:
    data["bank"]["account_no"] = "12345"


def _month_as_date(data: dict[str, Any]) -> None:
    data["service_month"] = "2026-08"


MALFORMED = [
    (
        _household_less_than_own,
        "申請データに不備があります: 利用者負担額: 世帯の利用者負担額合計（16,200円）を超えています"
        "（61,200円）",
    ),
    (_account_no_short, "申請データに不備があります: 口座番号: 口座番号は7桁です（5桁）"),
    (
        _month_as_date,
        "申請データに不備があります: サービス提供年月: 数字以外の文字があります（-）",
    ),
]
