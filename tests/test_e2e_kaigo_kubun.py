"""更新 and 区分変更 of 要介護認定 on the 介護 subsystem's own entry screen (KGM020), end to end.

Both are recipes on the screen of 要介護・要支援認定の申請 (kaigo_nintei) with another
申請区分: three good applications of each and their malformed ones go through one run of
the bot. Every value of a good one is compared with the mock's 介護 record, written from
the screen's manual (docs/mock-core-kaigo.md: 申請区分 2/3, 要介護度 codes, the 主治医
master's code, 本人の居所 codes) and what the 認定 clerk must find in 備考 (the 満了日 of
the current certification, the reason of the change: KGM020 has no item for them); each
malformed one ends 要確認 with exactly its reason, nothing registered.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import Core
from e2e_helpers import installation_settings, rows, set_data

from bots.demo import applications
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.service import run_once

GOOD = 3
KUBUN = {"更新": ("2", "更新"), "区分変更": ("3", "区分変更")}
LEVEL_CODE = {
    "要支援1": "12",
    "要支援2": "13",
    "要介護1": "21",
    "要介護2": "22",
    "要介護3": "23",
    "要介護4": "24",
    "要介護5": "25",
}
RESIDENCE_CODE = {"自宅": "1", "施設": "2", "入院中": "3"}


def _reiwa(iso: str) -> str:
    day = date.fromisoformat(iso)
    year = day.year - 2018
    return f"令和{'元' if year == 1 else year}年{day.month}月{day.day}日"


def _koushin_remarks(app_id: str, data: dict[str, Any]) -> str:
    until = _reiwa(data["previous_valid_until"])
    return f"電子申請 {app_id} 有効期間満了日：{until} [renkei:{app_id}]"


def _kubun_remarks(app_id: str, data: dict[str, Any]) -> str:
    since = _reiwa(data["changed_since"])
    return (
        f"電子申請 {app_id} 区分変更の理由：{data['change_reason']}（{since}から）"
        f" [renkei:{app_id}]"
    )


# --- 更新 ------------------------------------------------------------------------------


def _renewal_too_early(data: dict[str, Any]) -> None:
    data["application_date"] = "2026-11-02"
    data["previous_valid_until"] = "2027-03-31"


def _certification_already_ended(data: dict[str, Any]) -> None:
    data["application_date"] = "2026-11-16"
    data["previous_valid_until"] = "2026-10-31"


def _renewal_without_its_end(data: dict[str, Any]) -> None:
    data["previous_valid_until"] = None


def _filed_as_new(data: dict[str, Any]) -> None:
    data["kubun"] = "新規"  # the form of 更新, sent as 新規: a person decides which it is


KOUSHIN_MALFORMED = [
    (
        _renewal_too_early,
        "申請データに不備があります: 申請日: 更新の申請は有効期間の満了日（2027-03-31）の60日前から"
        "できます（2026-11-02）",
    ),
    (
        _certification_already_ended,
        "申請データに不備があります: 現在の認定の有効期間満了日: 有効期間（2026-10-31まで）が"
        "申請日（2026-11-16）より前に終わっています。更新ではなく新規の申請です",
    ),
    (
        _renewal_without_its_end,
        "申請データに不備があります: 現在の認定の有効期間満了日: 入力されていません",
    ),
    (_filed_as_new, "申請データに不備があります: 申請区分: 「更新」に限ります（新規）"),
]

# --- 区分変更 --------------------------------------------------------------------------


def _change_without_reason(data: dict[str, Any]) -> None:
    data["change_reason"] = "　"


def _changed_after_applying(data: dict[str, Any]) -> None:
    data["application_date"] = "2026-11-10"
    data["changed_since"] = "2026-11-20"


def _certification_over(data: dict[str, Any]) -> None:
    data["application_date"] = "2026-11-10"
    data["previous_valid_until"] = "2026-09-30"


def _level_beyond_the_scale(data: dict[str, Any]) -> None:
    data["previous_level"] = "要介護６"


KUBUN_MALFORMED = [
    (_change_without_reason, "申請データに不備があります: 区分変更の理由: 入力されていません"),
    (
        _changed_after_applying,
        "申請データに不備があります: 状態が変化した時期: 申請日（2026-11-10）より後の日付です"
        "（2026-11-20）",
    ),
    (
        _certification_over,
        "申請データに不備があります: 現在の認定の有効期間満了日: 申請日（2026-11-10）より前の"
        "日付です（2026-09-30）",
    ),
    (
        _level_beyond_the_scale,
        "申請データに不備があります: 現在の要介護度: 要介護度は要支援1・要支援2・要介護1・要介護2・"
        "要介護3・要介護4・要介護5のいずれかです（要介護6）",
    ),
]

CASES = {
    "kaigo_koushin": ("更新", KOUSHIN_MALFORMED, _koushin_remarks),
    "kaigo_kubun_henkou": ("区分変更", KUBUN_MALFORMED, _kubun_remarks),
}


def _module(procedure: str) -> Any:
    return next(m for m in applications.modules() if procedure == m.PROCEDURE)


def _ids(procedure: str) -> list[str]:
    n = GOOD + len(CASES[procedure][1])
    return [applications.application_id(_module(procedure), i) for i in range(n)]


class Keyed:
    def __init__(
        self,
        data: dict[str, dict[str, Any]],
        rows: dict[str, ApplicationRow],
        records: dict[str, dict[str, Any]],
        doctors: dict[str, dict[str, str]],
    ) -> None:
        self.data, self.rows, self.records, self.doctors = data, rows, records, doctors


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Keyed:
    core = Core(core_url)
    core.reset()
    base: Path = tmp_path_factory.mktemp("kaigo_kubun")
    settings = installation_settings(base, core_url)
    db = Database(settings.db_url)
    most = GOOD + max(len(m) for _, m, _ in CASES.values())
    core._call(
        "/kaigo/_testing/insured", "POST", [p for p, _ in applications.people("kaigo", most)]
    )
    for procedure, (_kubun, malformed, _remarks) in CASES.items():
        n = GOOD + len(malformed)
        assert applications.seed_applications(db, n, only=procedure) == {procedure: n}
        for app_id, (change, _reason) in zip(_ids(procedure)[GOOD:], malformed, strict=True):
            set_data(db, app_id, change)
    data = {app_id: row.data for app_id, row in rows(db).items()}

    run_once(settings, db=db)

    records: dict[str, dict[str, Any]] = {}
    for record in core.records("kaigo"):
        tag = (record["remarks"] or "").rsplit("[renkei:", 1)[-1].rstrip("]")
        assert tag not in records, f"{tag} registered twice"
        records[tag] = record
    doctors = {d["hospital"]: d for d in core._call("/kaigo/_testing/doctors")}
    after = rows(db)
    db.dispose()
    return Keyed(data, after, records, doctors)


@pytest.mark.parametrize("procedure", sorted(CASES))
def test_every_value_is_in_the_kaigo_record(procedure: str, keyed: Keyed) -> None:
    kubun, _malformed, remarks = CASES[procedure]
    for app_id in _ids(procedure)[:GOOD]:
        row, data = keyed.rows[app_id], keyed.data[app_id]
        assert row.status == "keyed", (app_id, row.reason)
        record = keyed.records[app_id]
        insured, doctor = data["insured"], keyed.doctors[data["doctor"]["hospital"]]
        want = {
            "receipt_no": row.receipt_no,
            "hihokensha_no": insured["hihokensha_no"],
            "name": insured["name"],
            "kana": insured["kana"],
            "birth_date": insured["birth_date"],
            "kubun": KUBUN[kubun][0],
            "kubun_name": KUBUN[kubun][1],
            "shinsei_date": data["application_date"],
            "prev_care_level_code": LEVEL_CODE[data["previous_level"]],
            "prev_care_level": data["previous_level"],
            "doctor_code": doctor["code"],
            "doctor_hospital": data["doctor"]["hospital"],
            "doctor_name": data["doctor"]["name"],
            "insurer_no": None,
            "insurer_symbol": None,
            "residence_code": RESIDENCE_CODE[data["residence"]],
            "residence": data["residence"],
            "facility_name": data["facility_name"],
            "remarks": remarks(app_id, data),
        }
        got = {k: record.get(k) for k in want}
        for key in ("insurer_no", "insurer_symbol", "facility_name"):
            got[key] = got[key] or None  # the vendor stores an empty input as ""
        assert got == want, app_id


@pytest.mark.parametrize("procedure", sorted(CASES))
def test_malformed_applications_wait_for_a_person_with_the_reason(
    procedure: str, keyed: Keyed
) -> None:
    malformed = CASES[procedure][1]
    assert len(malformed) >= 2
    for app_id, (_change, reason) in zip(_ids(procedure)[GOOD:], malformed, strict=True):
        row = keyed.rows[app_id]
        assert (row.status, row.reason) == ("needs_review", reason), app_id
        assert app_id not in keyed.records
