"""児童手当 未支払請求 (JTG0710): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_mishiharai"
ZOKUGARA = {"配偶者": "1", "子": "2", "父母": "3", "その他": "9"}
ACCOUNT_TYPE = {"普通": "1", "当座": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    deceased, bank = data["deceased"], data["bank"]
    return {
        "seikyuu_date": data["claim_date"],
        "zokugara": ZOKUGARA[data["relation"]],
        "shibou_name": deceased["name"],
        "shibou_kana": deceased["kana"],
        "shibou_birth": deceased["birth_date"],
        "shibou_date": data["death_date"],
        "children": [{"name": c["name"], "birth": c["birth_date"]} for c in data["children"]],
        "bank_code": bank["bank_code"],
        "branch_code": bank["branch_code"],
        "account_type": ACCOUNT_TYPE[bank["account_type"]],
        "account_no": bank["account_no"],
        "account_holder": bank["holder_kana"],
    }


def _too_late(data: dict[str, Any]) -> None:
    data["death_date"] = "2024-03-15"
    data["claim_date"] = "2026-10-01"


def _deceased_account(data: dict[str, Any]) -> None:
    data["bank"]["holder_kana"] = "ﾂｸﾊﾞ ｼﾞﾛｳ"


def _claim_before_death(data: dict[str, Any]) -> None:
    data["death_date"] = "2026-10-20"
    data["claim_date"] = "2026-10-05"


def _short_account(data: dict[str, Any]) -> None:
    data["bank"]["account_no"] = "12345"


MALFORMED = [
    (
        _too_late,
        "申請データに不備があります: 請求年月日: 受給者の死亡年月日（2024-03-15）から730日を"
        "過ぎています（2026-10-01、930日後）",
    ),
    (
        _deceased_account,
        "申請データに不備があります: 振込先口座名義: 請求者本人の名義の口座にしてください"
        "（口座名義「ﾂｸﾊﾞ ｼﾞﾛｳ」、請求者フリガナ「ナカジマ\u3000ツバサ」）",
    ),
    (
        _claim_before_death,
        "申請データに不備があります: 請求年月日: 受給者の死亡年月日（2026-10-20）より前の日付です"
        "（2026-10-05）",
    ),
    (
        _short_account,
        "申請データに不備があります: 振込先口座番号: 口座番号は7桁です（5桁）",
    ),
]
