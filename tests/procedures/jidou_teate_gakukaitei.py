"""児童手当 額改定請求・届 (JTG0410): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_gakukaitei"
KUBUN = {"額改定請求（増額）": "1", "額改定届（減額）": "2"}
JIYUU = {
    "出生": "11",
    "監護開始（養子縁組等）": "12",
    "児童との同居": "13",
    "児童の死亡": "21",
    "児童を監護しなくなった": "22",
    "児童の施設入所": "23",
    "その他": "99",
}
ZOKUGARA = {"子": "1", "孫": "2", "その他": "9"}
KANGO = {"監護・同居": "1", "監護・別居": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "seikyuu_date": data["claim_date"],
        "kubun": KUBUN[data["kind"]],
        "jiyuu": JIYUU[data["reason"]],
        "jiyuu_sonota": None,
        "jiyuu_date": data["reason_date"],
        "changes": [
            {"name": c["name"], "birth": c["birth_date"], "zokugara": ZOKUGARA[c["relation"]]}
            for c in data["changed_children"]
        ],
        "children": [
            {"name": c["name"], "birth": c["birth_date"], "kango": KANGO[c["custody"]]}
            for c in data["children"]
        ],
    }


def _birth_as_decrease(data: dict[str, Any]) -> None:
    data["kind"] = "額改定届（減額）"
    data["reason"] = "出生"


def _reason_after_claim(data: dict[str, Any]) -> None:
    data["reason_date"] = "2026-11-20"
    data["claim_date"] = "2026-11-10"


def _other_without_detail(data: dict[str, Any]) -> None:
    data["reason"] = "その他"


MALFORMED = [
    (
        _birth_as_decrease,
        "申請データに不備があります: 事由: 区分が「額改定届（減額）」のときは"
        "「児童の死亡・児童を監護しなくなった・児童の施設入所・その他」に限ります（出生）",
    ),
    (
        _reason_after_claim,
        "申請データに不備があります: 事由発生年月日: 請求・届出年月日（2026-11-10）より後の日付です"
        "（2026-11-20）",
    ),
    (
        _other_without_detail,
        "申請データに不備があります: その他の事由: 事由が「その他」のときは入力が必要です",
    ),
]
