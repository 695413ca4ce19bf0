"""保育 利用申込 (HIK0210): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "hoiku_moushikomi"
KUBUN = {"2号認定": "2", "3号認定": "3"}
KYOUDAI = {"在園している": "1", "在園していない": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    child = data["child"]
    return {
        "moushikomi_date": data["application_date"],
        "kaishi_date": data["start_date"],
        "nintei_kubun": KUBUN[data["certification"]],
        "child_name": child["name"],
        "child_kana": child["kana"],
        "child_birth": child["birth_date"],
        "kibou": [
            {"shisetsu_code": f["code"], "shisetsu_name": f["name"]} for f in data["facilities"]
        ],
        "kyoudai": KYOUDAI[data["sibling"]],
        "kyoudai_name": data.get("sibling_name"),
        "kyoudai_shisetsu": data.get("sibling_facility"),
    }


def _start_before_application(data: dict[str, Any]) -> None:
    data["application_date"] = "2026-10-20"
    data["start_date"] = "2026-10-01"


def _same_facility_twice(data: dict[str, Any]) -> None:
    data["facilities"] = [
        {"code": "10101", "name": "市立さくら保育所"},
        {"code": "10203", "name": "つくしんぼ保育園"},
        {"code": "10101", "name": "市立さくら保育所"},
    ]


def _sibling_without_facility(data: dict[str, Any]) -> None:
    data["sibling"] = "在園している"
    data["sibling_name"] = "山田　颯太"
    data.pop("sibling_facility", None)


MALFORMED = [
    (
        _start_before_application,
        "申請データに不備があります: 利用開始希望日: 申込年月日（2026-10-20）より前の日付です（2026-10-01）",
    ),
    (
        _same_facility_twice,
        "申請データに不備があります: 希望施設3: 希望施設1と同じ内容です（二重の記載）",
    ),
    (
        _sibling_without_facility,
        "申請データに不備があります: 在園施設名: 兄弟姉妹の在園が「在園している」のときは入力が必要です",
    ),
]
