"""保育 支給認定申請 (HIK0110): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "hoiku_shikyuu_nintei"
KUBUN = {"1号認定": "1", "2号認定": "2", "3号認定": "3"}
SEX = {"男": "1", "女": "2"}
JIYUU = {
    "就労": "01",
    "妊娠・出産": "02",
    "疾病・障害": "03",
    "介護・看護": "04",
    "求職活動": "05",
    "就学": "06",
    "その他": "99",
}
RYOU = {"保育標準時間": "1", "保育短時間": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    child = data["child"]
    reason = data.get("reason")
    return {
        "shinsei_date": data["application_date"],
        "nintei_kubun": KUBUN[data["certification"]],
        "child_name": child["name"],
        "child_kana": child["kana"],
        "child_birth": child["birth_date"],
        "child_sex": SEX[child["sex"]],
        "jiyuu": JIYUU[reason] if reason else None,
        "kinmusaki": data.get("employer"),
        "shuurou_jikan": data.get("work_hours"),
        "jiyuu_sonota": data.get("reason_detail"),
        "hitsuyouryou": RYOU[data["care_hours"]] if data.get("care_hours") else None,
    }


def _working_without_hours(data: dict[str, Any]) -> None:
    data["certification"] = "2号認定"
    data["reason"] = "就労"
    data["employer"] = "株式会社つくば精機"
    data.pop("work_hours", None)
    data.pop("reason_detail", None)
    data["care_hours"] = "保育標準時間"


def _child_at_school(data: dict[str, Any]) -> None:
    data["child"]["birth_date"] = "2018-05-10"


def _hours_for_kindergarten(data: dict[str, Any]) -> None:
    for key in ("reason", "employer", "work_hours", "reason_detail"):
        data.pop(key, None)
    data["certification"] = "1号認定"
    data["care_hours"] = "保育短時間"


MALFORMED = [
    (
        _working_without_hours,
        "申請データに不備があります: 就労時間（月）: 保育を必要とする事由が「就労」のときは入力が必要です",
    ),
    (
        _child_at_school,
        "申請データに不備があります: 子ども生年月日: 申請年月日（2026-05-12）時点で8歳です。"
        "この手続で想定する年齢（0〜6歳）ではありません",
    ),
    (
        _hours_for_kindergarten,
        "申請データに不備があります: 保育の必要量: 認定区分が「1号認定」のときは入力できません（保育短時間）",
    ),
]
