"""児童手当 寄附申出 (JTG0810): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_kifu"
KIFU_KUBUN = {"全額": "1", "一部": "2"}
KIFU_SAKI = {
    "市（使途を指定しない）": "1",
    "子育て支援事業": "2",
    "児童福祉施設の整備": "3",
    "教育振興事業": "4",
}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "moushide_date": data["moushide_date"],
        "kifu_kubun": KIFU_KUBUN[data["amount_kind"]],
        "kifu_getsugaku": data["monthly_amount"],
        "kikan_from": data["period_from"],
        "kikan_to": data["period_to"],
        "kifu_saki": KIFU_SAKI[data["recipient"]],
    }


def _part_without_amount(data: dict[str, Any]) -> None:
    data["amount_kind"] = "一部"
    data["monthly_amount"] = None


def _period_reversed(data: dict[str, Any]) -> None:
    """The 至 typed as the 年度末 of the year before."""
    data["moushide_date"] = "2026-05-20"
    data["period_from"] = "2026-06-01"
    data["period_to"] = "2026-03-31"


MALFORMED = [
    (
        _part_without_amount,
        "申請データに不備があります: 寄附する月額: 寄附する額が「一部」のときは入力が必要です",
    ),
    (
        _period_reversed,
        "申請データに不備があります: 寄附の対象期間（至）: 寄附の対象期間（自）（2026-06-01）より前の日付です（2026-03-31）",
    ),
]
