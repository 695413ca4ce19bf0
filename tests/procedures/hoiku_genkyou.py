"""保育 現況届 (HIK0310): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "hoiku_genkyou"
KUBUN = {"2号認定": "2", "3号認定": "3"}
SHUUROU = {
    "就労（外勤）": "1",
    "就労（自営）": "2",
    "育児休業中": "3",
    "求職中": "4",
    "疾病・障害": "5",
    "就学": "6",
    "その他": "9",
}
KEIZOKU = {"継続して利用する": "1", "退園する": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    child, work = data["child"], data["work"]
    spouse = data.get("spouse") or {}
    return {
        "todoke_date": data["todoke_date"],
        "nendo": str(data["nendo"]),
        "shisetsu_code": data["facility"]["code"],
        "shisetsu_name": data["facility"]["name"],
        "child_name": child["name"],
        "child_kana": child["kana"],
        "child_birth": child["birth_date"],
        "nintei_kubun": KUBUN[child["certification"]],
        "shuurou": SHUUROU[work["status"]],
        "kinmusaki": work.get("employer"),
        "shuurou_jikan": work.get("hours"),
        "haiguusha": "1" if spouse else "2",
        "haiguusha_name": spouse.get("name"),
        "haiguusha_shuurou": SHUUROU[spouse["status"]] if spouse else None,
        "haiguusha_kinmusaki": spouse.get("employer"),
        "haiguusha_jikan": spouse.get("hours"),
        "keizoku": KEIZOKU[data["continuation"]],
        "taien_date": data.get("leave_date"),
    }


def _working_without_hours(data: dict[str, Any]) -> None:
    data["work"] = {"status": "就労（外勤）", "employer": "株式会社つくば精機"}


def _leaving_without_date(data: dict[str, Any]) -> None:
    data["continuation"] = "退園する"
    data.pop("leave_date", None)


def _leave_before_todoke(data: dict[str, Any]) -> None:
    data["continuation"] = "退園する"
    data["todoke_date"] = "2026-06-20"
    data["leave_date"] = "2026-03-31"


MALFORMED = [
    (
        _working_without_hours,
        "申請データに不備があります: 届出者の就労時間（月）: "
        "届出者の就労状況が「就労（外勤）・就労（自営）」のときは入力が必要です",
    ),
    (
        _leaving_without_date,
        "申請データに不備があります: 退園予定日: 継続の意思が「退園する」のときは入力が必要です",
    ),
    (
        _leave_before_todoke,
        "申請データに不備があります: 退園予定日: 届出年月日（2026-06-20）より前の日付です（2026-03-31）",
    ),
]
