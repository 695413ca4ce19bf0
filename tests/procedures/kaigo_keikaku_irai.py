"""居宅サービス計画作成依頼届 (KGM510): the manual's code lists (要介護状態区分 as 厚労省 codes),
dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "kaigo_keikaku_irai"
KUBUN = {"新規": "1", "変更": "2"}
KEIKAKU = {"居宅サービス計画": "1", "介護予防サービス計画": "2"}
KAIGODO = {
    "要支援1": "12",
    "要支援2": "13",
    "要介護1": "21",
    "要介護2": "22",
    "要介護3": "23",
    "要介護4": "24",
    "要介護5": "25",
    "認定申請中": "99",
}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    office = data["office"]
    return {
        "todoke_date": data["notification_date"],
        "kubun": KUBUN[data["kubun"]],
        "keikaku": KEIKAKU[data["plan_type"]],
        "kaigodo": KAIGODO[data["care_level"]],
        "jigyousho_no": office["number"],
        "jigyousho_name": office["name"],
        "jigyousho_address": office["address"],
        "jigyousho_tel": office["tel"],
        "senmonin": data["care_manager"],
        "henkou_date": data["change_date"],
        "henkou_riyuu": data["change_reason"],
    }


def _yobou_plan_for_kaigo(data: dict[str, Any]) -> None:
    data["plan_type"] = "介護予防サービス計画"
    data["care_level"] = "要介護2"


def _change_without_date(data: dict[str, Any]) -> None:
    data["kubun"] = "変更"
    data["change_date"] = None
    data["change_reason"] = "本人・家族の希望による"


def _office_no_short(data: dict[str, Any]) -> None:
    data["office"]["number"] = "870100123"


MALFORMED = [
    (
        _yobou_plan_for_kaigo,
        "申請データに不備があります: 要介護状態区分: 計画の種類が「介護予防サービス計画」のときは"
        "「要支援1・要支援2・認定申請中」に限ります（要介護2）",
    ),
    (
        _change_without_date,
        "申請データに不備があります: 変更年月日: 届出区分が「変更」のときは入力が必要です",
    ),
    (
        _office_no_short,
        "申請データに不備があります: 事業所番号: 形式が正しくありません（870100123）。例: 0870100123",
    ),
]
