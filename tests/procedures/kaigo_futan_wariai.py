"""負担割合証再交付 (KGM420): the manual's code lists, the date ISO, the 年度 as digits."""

from __future__ import annotations

from typing import Any

PROCEDURE = "kaigo_futan_wariai"
RIYUU = {"紛失": "1", "破損": "2", "汚損": "3", "その他": "4"}
KOUFU = {"窓口交付": "1", "郵送": "2"}
SHINSEISHA = {"本人": "1", "家族": "2", "その他": "3"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "shinsei_date": data["application_date"],
        "nendo": str(data["nendo"]),
        "riyuu": RIYUU[data["reason"]],
        "riyuu_sonota": data["reason_detail"],
        "koufu": KOUFU[data["delivery"]],
        "shinseisha": SHINSEISHA[data["applicant_kind"]],
        "shinseisha_name": data["applicant_name"],
        "kankei": data["applicant_relation"],
    }


def _family_without_name(data: dict[str, Any]) -> None:
    data["applicant_kind"] = "家族"
    data["applicant_name"] = None
    data["applicant_relation"] = "長女"


def _year_in_wareki(data: dict[str, Any]) -> None:
    data["nendo"] = "令和8年度"


MALFORMED = [
    (
        _family_without_name,
        "申請データに不備があります: 申請者氏名: 申請者の区分が「家族・その他」のときは入力が必要です",
    ),
    (
        _year_in_wareki,
        "申請データに不備があります: 対象年度: 半角の整数で入力してください（令和8年度）",
    ),
]
