"""負担限度額認定申請 (KGM620): the manual's code lists, dates ISO, the 預貯金等 as rows of
numbers; the 配偶者 items only when there is one."""

from __future__ import annotations

from typing import Any

PROCEDURE = "kaigo_futan_gendo"
DANKAI = {"第1段階": "1", "第2段階": "2", "第3段階①": "3", "第3段階②": "4"}
HAIGUUSHA = {"有": "1", "無": "2"}
KAZEI = {"課税": "1", "非課税": "2"}
SHURUI = {"普通預金": "1", "定期預金": "2", "有価証券": "3", "その他": "4"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    spouse = data.get("spouse") or {}
    return {
        "shinsei_date": data["application_date"],
        "dankai": DANKAI[data["stage"]],
        "shisetsu_name": data.get("facility_name"),
        "nyuusho_date": data.get("admission_date"),
        "haiguusha": HAIGUUSHA[data["has_spouse"]],
        "haiguusha_name": spouse.get("name"),
        "haiguusha_birth": spouse.get("birth_date"),
        "haiguusha_kazei": KAZEI[spouse["tax"]] if spouse else None,
        "haiguusha_yokin": spouse.get("savings"),
        "yokin": [
            {"shurui": SHURUI[a["kind"]], "kikan": a["institution"], "kingaku": a["amount"]}
            for a in data["assets"]
        ],
        "yokin_goukei": data["savings_total"],
    }


def _total_mistyped(data: dict[str, Any]) -> None:
    data["stage"] = "第2段階"
    data["assets"] = [
        {"kind": "普通預金", "institution": "常陽銀行", "amount": 1_250_000},
        {"kind": "定期預金", "institution": "筑波銀行", "amount": 2_000_000},
    ]
    data["savings_total"] = 3_520_000


def _over_the_limit(data: dict[str, Any]) -> None:
    data["stage"] = "第3段階②"
    data["has_spouse"] = "無"
    data["spouse"] = None
    data["assets"] = [
        {"kind": "普通預金", "institution": "ゆうちょ銀行", "amount": 1_800_000},
        {"kind": "定期預金", "institution": "ゆうちょ銀行", "amount": 4_000_000},
    ]
    data["savings_total"] = 5_800_000


def _spouse_taxed(data: dict[str, Any]) -> None:
    data["has_spouse"] = "有"
    data["spouse"] = {
        "name": "山田\u3000博",
        "birth_date": "1950-06-01",
        "tax": "課税",
        "savings": 1_000_000,
    }


def _spouse_missing(data: dict[str, Any]) -> None:
    data["has_spouse"] = "有"
    data["spouse"] = None


MALFORMED = [
    (
        _total_mistyped,
        "申請データに不備があります: 本人の預貯金等合計: 預貯金等ごとの金額の合計（3,250,000円）"
        "と一致しません（3,520,000円）",
    ),
    (
        _over_the_limit,
        "申請データに不備があります: 本人の預貯金等合計: 第3段階②の預貯金等の上限（単身 500万円）"
        "を超えています（5,800,000円）。負担限度額認定の対象ではありません",
    ),
    (
        _spouse_taxed,
        "申請データに不備があります: 配偶者住民税: 配偶者の有無が「有」のときは「非課税」に限ります（課税）",
    ),
    (
        _spouse_missing,
        "申請データに不備があります: 配偶者: 配偶者の有無が「有」のときは入力が必要です",
    ),
]
