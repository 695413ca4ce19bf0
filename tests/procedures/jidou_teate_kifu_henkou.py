"""児童手当 寄附変更等申出 (JTG0820): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_kifu_henkou"
MOUSHIDE_KUBUN = {"変更": "1", "撤回": "2"}
KIFU_KUBUN = {"全額": "1", "一部": "2"}
RIYUU = {"家計の状況の変化": "1", "寄附額の見直し": "2", "寄附先の事業終了": "3", "その他": "9"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    new_kind = data["new_amount_kind"]
    return {
        "moushide_date": data["moushide_date"],
        "touso_date": data["original_date"],
        "moushide_kubun": MOUSHIDE_KUBUN[data["kind"]],
        "henkou_date": data["effective_date"],
        "henkougo_kubun": KIFU_KUBUN[new_kind] if new_kind else None,
        "henkougo_getsugaku": data["new_monthly_amount"],
        "riyuu": RIYUU[data["reason"]],
        "riyuu_sonota": data["reason_detail"] or None,
    }


def _withdrawal_with_amount(data: dict[str, Any]) -> None:
    data["kind"] = "撤回"
    data["reason"] = "家計の状況の変化"
    data["reason_detail"] = None
    data["new_amount_kind"] = "一部"
    data["new_monthly_amount"] = 3000


def _other_without_detail(data: dict[str, Any]) -> None:
    data["reason"] = "その他"
    data["reason_detail"] = ""


MALFORMED = [
    (
        _withdrawal_with_amount,
        "申請データに不備があります: 変更後の寄附する額: 申出区分が「撤回」のときは入力できません（一部）／変更後の月額: 申出区分が「撤回」のときは入力できません（3000）",
    ),
    (
        _other_without_detail,
        "申請データに不備があります: その他の理由: 変更・撤回の理由が「その他」のときは入力が必要です",
    ),
]
