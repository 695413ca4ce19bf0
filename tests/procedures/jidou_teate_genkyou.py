"""児童手当 現況届 (JTG0310): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_genkyou"
NENKIN = {"国民年金": "1", "厚生年金": "2", "共済組合": "3"}
KYOJUU = {"市内": "1", "市外": "2"}
KANGO = {"監護・同居": "1", "監護・別居": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "todoke_date": data["todoke_date"],
        "nendo": str(data["nendo"]),
        "nenkin": NENKIN[data["nenkin"]],
        "shotoku": data["income"],
        "kyojuu": KYOJUU[data["residence"]],
        "children": [
            {"name": c["name"], "birth": c["birth_date"], "kango": KANGO[c["custody"]]}
            for c in data["children"]
        ],
    }


def _child_too_old(data: dict[str, Any]) -> None:
    data["children"][0]["birth_date"] = "2005-04-01"


def _bad_income(data: dict[str, Any]) -> None:
    data["income"] = "三百万円"


MALFORMED = [
    (
        _bad_income,
        "申請データに不備があります: 前年の所得額: 半角の整数で入力してください（三百万円）",
    ),
    (
        _child_too_old,
        "申請データに不備があります: 児童1 生年月日: 18歳に達した後の最初の3月31日"
        "（2023年3月31日）を過ぎているため児童手当の対象ではありません（生年月日 2005-04-01）",
    ),
]
