"""被保険者証再交付 (KGM410): the manual's code lists, the date ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "kaigo_hihokenshashou"
RIYUU = {"紛失": "1", "破損": "2", "汚損": "3", "その他": "4"}
KOUFU = {"窓口交付": "1", "郵送": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "shinsei_date": data["application_date"],
        "riyuu": RIYUU[data["reason"]],
        "riyuu_sonota": data["reason_detail"],
        "koufu": KOUFU[data["delivery"]],
    }


def _other_without_detail(data: dict[str, Any]) -> None:
    data["reason"] = "その他"
    data["reason_detail"] = None


def _unknown_reason(data: dict[str, Any]) -> None:
    data["reason"] = "盗難"


MALFORMED = [
    (
        _other_without_detail,
        "申請データに不備があります: その他の理由: 再交付理由が「その他」のときは入力が必要です",
    ),
    (
        _unknown_reason,
        "申請データに不備があります: 再交付理由: 紛失・破損・汚損・その他のいずれかです（盗難）",
    ),
]
