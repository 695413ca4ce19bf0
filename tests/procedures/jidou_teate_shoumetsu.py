"""児童手当 受給事由消滅届 (JTG0610): codes from the manual's lists, dates ISO."""

from __future__ import annotations

from typing import Any

PROCEDURE = "jidou_teate_shoumetsu"
JIYUU = {
    "市外転出": "1",
    "児童を監護しなくなった": "2",
    "受給者の死亡": "3",
    "公務員になった": "4",
    "その他": "9",
}
ZOKUGARA = {"配偶者": "1", "子": "2", "父母": "3", "その他": "9"}


def expected(data: dict[str, Any]) -> dict[str, Any]:
    destination = data.get("destination") or {}
    notifier = data.get("notifier") or {}
    return {
        "todoke_date": data["notification_date"],
        "shoumetsu_jiyuu": JIYUU[data["reason"]],
        "jiyuu_sonota": data.get("reason_detail"),
        "shoumetsu_date": data["end_date"],
        "tenshutsu_postal": destination.get("postal_code"),
        "tenshutsu_address": destination.get("address"),
        "kinmusaki": data.get("employer"),
        "todokesha_name": notifier.get("name"),
        "todokesha_zokugara": ZOKUGARA.get(notifier.get("relation", "")),
    }


def _moved_without_destination(data: dict[str, Any]) -> None:
    for key in ("destination", "employer", "notifier"):
        data.pop(key, None)
    data["reason"] = "市外転出"


def _civil_servant_with_destination(data: dict[str, Any]) -> None:
    data["employer"] = "茨城県教育委員会"
    data["destination"] = {"postal_code": "310-0011", "address": "茨城県水戸市三の丸1丁目3番2号"}
    data.pop("notifier", None)
    data["reason"] = "公務員になった"


def _bad_postal(data: dict[str, Any]) -> None:
    data.pop("employer", None)
    data.pop("notifier", None)
    data["reason"] = "市外転出"
    data["destination"] = {"postal_code": "300-043", "address": "茨城県土浦市中央2丁目5番8号"}


MALFORMED = [
    (
        _moved_without_destination,
        "申請データに不備があります: 転出先: 消滅事由が「市外転出」のときは入力が必要です",
    ),
    (
        _civil_servant_with_destination,
        "申請データに不備があります: 転出先住所: 消滅事由が「児童を監護しなくなった・受給者の死亡・"
        "公務員になった・その他」のときは入力できません（茨城県水戸市三の丸1丁目3番2号）",
    ),
    (
        _bad_postal,
        "申請データに不備があります: 転出先郵便番号: 郵便番号は7桁の数字です（300-043）",
    ),
]
