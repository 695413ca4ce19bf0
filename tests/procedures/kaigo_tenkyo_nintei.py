"""転入者認定申請 (KGM050): the manual's code lists (要介護状態区分 as 厚労省 codes), dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "kaigo_tenkyo_nintei"
KAIGODO = {
    "要支援1": "12",
    "要支援2": "13",
    "要介護1": "21",
    "要介護2": "22",
    "要介護3": "23",
    "要介護4": "24",
    "要介護5": "25",
}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    insurer = data["previous_insurer"]
    return {
        "shinsei_date": data["application_date"],
        "tennyu_date": data["moved_in"],
        "zen_jusho": data["previous_address"],
        "zen_hokensha_name": insurer["name"],
        "zen_hokensha_no": insurer["number"],
        "zen_hihokensha_no": data["previous_hihokensha_no"],
        "shoumei_date": data["certificate_date"],
        "kaigodo": KAIGODO[data["care_level"]],
        "yuukou_from": data["valid_from"],
        "yuukou_to": data["valid_until"],
    }


def _applied_too_late(data: dict[str, Any]) -> None:
    data["moved_in"] = "2026-10-01"
    data["application_date"] = "2026-10-20"
    data["certificate_date"] = "2026-09-25"


def _insurer_no_with_prefecture_only(data: dict[str, Any]) -> None:
    data["previous_insurer"]["number"] = "08201"


def _certification_ended_before_moving(data: dict[str, Any]) -> None:
    data["valid_until"] = "2026-10-31"
    data["moved_in"] = "2026-11-02"
    data["application_date"] = "2026-11-10"


MALFORMED = [
    (
        _applied_too_late,
        "申請データに不備があります: 申請日: 転入日（2026-10-01）から14日を過ぎています"
        "（2026-10-20、19日後）",
    ),
    (
        _insurer_no_with_prefecture_only,
        "申請データに不備があります: 前保険者番号: 形式が正しくありません（08201）。例: 082016",
    ),
    (
        _certification_ended_before_moving,
        "申請データに不備があります: 認定有効期間の終了日: 転入日（2026-11-02）より前の日付です"
        "（2026-10-31）",
    ),
]
