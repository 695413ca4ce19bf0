"""住宅改修費支給申請 (KGM640): one check box per kind of work (ticked: true, else nothing
stored), dates ISO, amounts as numbers, the 口座名義 in half-width kana."""

from __future__ import annotations

from typing import Any

import jaconv

PROCEDURE = "kaigo_jutaku_kaishuu"
CHECKS = {
    "手すりの取付け": "tesuri",
    "段差の解消": "dansa",
    "床又は通路面の材料の変更": "yukazai",
    "引き戸等への扉の取替え": "tobira",
    "洋式便器等への便器の取替え": "benki",
}
SHUBETSU = {"普通": "1", "当座": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    ticked = {w["kind"] for w in data["work_types"]}
    bank = data["bank"]
    return {
        "shinsei_date": data["application_date"],
        **{name: True if kind in ticked else None for kind, name in CHECKS.items()},
        "kaishuu_basho": data["place"],
        "chakkou_date": data["start_date"],
        "kansei_date": data["completion_date"],
        "hiyou": data["cost"],
        "taishou_hiyou": data["covered_cost"],
        "sekou_name": data["contractor"]["name"],
        "sekou_tel": data["contractor"]["phone"],
        "ryoushuu_date": data["receipt_date"],
        "kinyuu_code": bank["bank_code"],
        "shiten_code": bank["branch_code"],
        "shubetsu": SHUBETSU[bank["account_type"]],
        "kouza_no": bank["account_no"],
        "meigi": jaconv.z2h(bank["holder_kana"], kana=True, ascii=True, digit=False),
    }


def _finished_before_started(data: dict[str, Any]) -> None:
    data["start_date"] = "2026-09-10"
    data["completion_date"] = "2026-09-01"
    data["receipt_date"] = "2026-09-12"
    data["application_date"] = "2026-09-20"


def _paid_before_finished(data: dict[str, Any]) -> None:
    data["start_date"] = "2026-07-01"
    data["completion_date"] = "2026-07-08"
    data["receipt_date"] = "2026-06-25"
    data["application_date"] = "2026-07-20"


def _covered_over_the_limit(data: dict[str, Any]) -> None:
    data["cost"] = 320_000
    data["covered_cost"] = 320_000


def _covered_more_than_paid(data: dict[str, Any]) -> None:
    data["cost"] = 98_000
    data["covered_cost"] = 200_000


def _no_kind_ticked(data: dict[str, Any]) -> None:
    data["work_types"] = []


MALFORMED = [
    (
        _finished_before_started,
        "申請データに不備があります: 完成日: 着工日（2026-09-10）より前の日付です（2026-09-01）",
    ),
    (
        _paid_before_finished,
        "申請データに不備があります: 領収日: 完成日（2026-07-08）より前の日付です（2026-06-25）",
    ),
    (
        _covered_over_the_limit,
        "申請データに不備があります: 支給対象費用額: 1〜200000の範囲で入力してください（320000）",
    ),
    (
        _covered_more_than_paid,
        "申請データに不備があります: 支給対象費用額: 改修に要した費用（98,000円）を超えています（200,000円）",
    ),
    (_no_kind_ticked, "申請データに不備があります: 改修の種類: 1件以上必要です（0件）"),
]
