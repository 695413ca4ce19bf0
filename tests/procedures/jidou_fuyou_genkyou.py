"""児童扶養手当 現況届 (JFG0110): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_fuyou_genkyou"
JIYUU = {
    "父母の婚姻解消": "01",
    "父又は母の死亡": "02",
    "父又は母の障害": "03",
    "婚姻によらないで出生": "04",
    "父又は母の遺棄": "05",
    "保護命令": "06",
    "父又は母の拘禁": "07",
    "その他": "99",
}
KON_IN = {"していない": "1", "している": "2"}
YOUIKUHI = {"受け取っている": "1", "受け取っていない": "2"}
NENKIN = {"受給している": "1", "受給していない": "2"}
SHURUI = {"遺族年金": "1", "障害年金": "2", "老齢年金": "3", "労災年金": "4", "その他": "9"}
ZOKUGARA = {"子": "1", "孫": "2", "その他": "9"}
DOUKYO = {"同居": "1", "別居": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    kind = data.get("pension_kind")
    return {
        "todoke_date": data["todoke_date"],
        "nendo": str(data["nendo"]),
        "shousho_no": data["certificate_no"],
        "shikaku_jiyuu": JIYUU[data["eligibility"]],
        "kon_in": KON_IN[data["married"]],
        "shotoku": data["income"],
        "youikuhi": YOUIKUHI[data["child_support"]],
        "youikuhi_gaku": data.get("child_support_amount"),
        "nenkin": NENKIN[data["pension"]],
        "nenkin_shurui": SHURUI[kind] if kind else None,
        "nenkin_gaku": data.get("pension_amount"),
        "children": [
            {
                "name": c["name"],
                "birth": c["birth_date"],
                "zokugara": ZOKUGARA[c["relation"]],
                "doukyo": DOUKYO[c["cohabitation"]],
            }
            for c in data["children"]
        ],
    }


def _support_without_amount(data: dict[str, Any]) -> None:
    data["child_support"] = "受け取っている"
    data.pop("child_support_amount", None)


def _pension_amount_but_none(data: dict[str, Any]) -> None:
    data["pension"] = "受給していない"
    data.pop("pension_kind", None)
    data["pension_amount"] = 840000


def _certificate_too_short(data: dict[str, Any]) -> None:
    data["certificate_no"] = "12345"


MALFORMED = [
    (
        _support_without_amount,
        "申請データに不備があります: 養育費の年額: 養育費の受取が「受け取っている」のときは入力が必要です",
    ),
    (
        _pension_amount_but_none,
        "申請データに不備があります: 公的年金の年額: 公的年金の受給が「受給していない」のときは"
        "入力できません（840000）",
    ),
    (
        _certificate_too_short,
        "申請データに不備があります: 証書番号: 形式が正しくありません（12345）。例: 0012345",
    ),
]
