"""児童手当 学校給食費等徴収変更等申出 (JTG0920): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_kyuushoku_henkou"
MOUSHIDE_KUBUN = {"変更": "1", "取りやめ": "2"}
RIYUU = {
    "金額の改定": "1",
    "卒業・退園": "2",
    "転校・転園": "3",
    "他の納付方法への切替": "4",
    "その他": "9",
}
HIMOKU = {"学校給食費": "1", "保育料": "2", "学用品費": "3"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    child = data["child"]
    return {
        "moushide_date": data["moushide_date"],
        "moushide_kubun": MOUSHIDE_KUBUN[data["kind"]],
        "henkou_date": data["effective_date"],
        "riyuu": RIYUU[data["reason"]],
        "riyuu_sonota": data["reason_detail"] or None,
        "jidou_name": child["name"],
        "jidou_birth": child["birth_date"],
        "school": child["school"],
        "himoku": HIMOKU[child["item"]],
        "henkougo_getsugaku": data["new_monthly_amount"],
    }


def _change_without_amount(data: dict[str, Any]) -> None:
    data["kind"] = "変更"
    data["reason"] = "金額の改定"
    data["reason_detail"] = None
    data["new_monthly_amount"] = None


def _graduation_but_change(data: dict[str, Any]) -> None:
    data["kind"] = "変更"
    data["reason"] = "卒業・退園"
    data["reason_detail"] = None
    data["new_monthly_amount"] = 4500


MALFORMED = [
    (
        _change_without_amount,
        "申請データに不備があります: 変更後の月額: 申出区分が「変更」のときは入力が必要です",
    ),
    (
        _graduation_but_change,
        "申請データに不備があります: 申出区分: 理由が「卒業・退園」のときは「取りやめ」に限ります（変更）",
    ),
]
