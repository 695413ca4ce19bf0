"""児童手当 氏名・住所等変更届 (JTG0510): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_henkou"
SHURUI = {"氏名": "1", "住所": "2", "口座": "3", "その他": "9"}
ACCOUNT_TYPE = {"普通": "1", "当座": "2"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    bank = data.get("bank") or {}
    return {
        "todoke_date": data["notification_date"],
        "henkou_shurui": SHURUI[data["kind"]],
        "henkou_date": data["change_date"],
        "sonota_koumoku": data.get("changed_item"),
        "henkou_mae": data.get("before"),
        "henkou_go": data.get("after"),
        "bank_code": bank.get("bank_code"),
        "branch_code": bank.get("branch_code"),
        "account_type": ACCOUNT_TYPE.get(bank.get("account_type", "")),
        "account_no": bank.get("account_no"),
        "account_holder": bank.get("holder_kana"),
    }


def _late(data: dict[str, Any]) -> None:
    data["change_date"] = "2026-08-01"
    data["notification_date"] = "2026-09-30"


def _account_of_someone_else(data: dict[str, Any]) -> None:
    data["kind"] = "口座"
    data.pop("before", None)
    data.pop("after", None)
    data.pop("changed_item", None)
    data["bank"] = {
        "bank_code": "0130",
        "branch_code": "021",
        "account_type": "普通",
        "account_no": "1234567",
        "holder_kana": "ﾂｸﾊﾞ ﾊﾅｺ",
    }


def _address_without_new(data: dict[str, Any]) -> None:
    data["kind"] = "住所"
    data.pop("bank", None)
    data.pop("changed_item", None)
    data["before"] = "茨城県つくば市吾妻1丁目8番3号"
    data.pop("after", None)


def _account_without_bank(data: dict[str, Any]) -> None:
    data["kind"] = "口座"
    for key in ("before", "after", "changed_item", "bank"):
        data.pop(key, None)


MALFORMED = [
    (
        _late,
        "申請データに不備があります: 届出年月日: 変更年月日（2026-08-01）から14日を過ぎています"
        "（2026-09-30、60日後）",
    ),
    (
        _account_of_someone_else,
        "申請データに不備があります: 振込先口座名義: 受給者本人の名義の口座にしてください"
        "（口座名義「ﾂｸﾊﾞ ﾊﾅｺ」、受給者フリガナ「ナカジマ\u3000ツバサ」）",
    ),
    (
        _address_without_new,
        "申請データに不備があります: 変更後: 変更の種類が「氏名・住所・その他」のときは入力が必要です",
    ),
    (
        _account_without_bank,
        "申請データに不備があります: 振込先: 変更の種類が「口座」のときは入力が必要です",
    ),
]
