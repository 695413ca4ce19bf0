"""児童手当 学校給食費等徴収申出 (JTG0910): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_kyuushoku"
HIMOKU = {"学校給食費": "1", "保育料": "2", "学用品費": "3"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "moushide_date": data["moushide_date"],
        "kaishi_date": data["start_date"],
        "goukei": data["total"],
        "children": [
            {
                "name": c["name"],
                "birth": c["birth_date"],
                "school": c["school"],
                "himoku": HIMOKU[c["item"]],
                "getsugaku": c["monthly_amount"],
            }
            for c in data["children"]
        ],
    }


def _total_mistyped(data: dict[str, Any]) -> None:
    """One row's amount typed again as 5,000円 instead of what the school bills."""
    data["children"] = data["children"][:1]
    data["children"][0]["monthly_amount"] = 4700
    data["total"] = 5000


def _start_before_the_application(data: dict[str, Any]) -> None:
    data["moushide_date"] = "2026-09-10"
    data["start_date"] = "2026-04-01"


MALFORMED = [
    (
        _total_mistyped,
        "申請データに不備があります: 徴収額合計（月額）: 児童ごとの金額の合計（4,700円）と一致しません（5,000円）",
    ),
    (
        _start_before_the_application,
        "申請データに不備があります: 徴収開始年月日: 申出年月日（2026-09-10）より前の日付です（2026-04-01）",
    ),
]
