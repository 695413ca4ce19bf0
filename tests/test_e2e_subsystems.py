"""The two other vendor styles end to end: 要介護認定申請 (legacy frameset, Shift_JIS,
pop-up, alerts) and 妊娠の届出 (single-page app, random ids, spinner, toast)."""

from __future__ import annotations

from e2e_helpers import rows, set_data

from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.procedures import kaigo_dataset
from bots.demo.seed import seed, seed_boshi, seed_kaigo
from bots.queue.db import Database
from bots.service import run_once

KUBUN_CODE = {"新規": "1", "更新": "2", "区分変更": "3"}


def test_kaigo_applications_are_keyed_through_frames_and_the_lookup_popup(
    settings: Settings, db: Database, core
) -> None:
    seed_kaigo(db, 4, core.url)

    result = run_once(settings, "kaigo_nintei", db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.KEYED] * 4, [
        i.reason for i in result.items
    ]
    doctors = {d["hospital"]: d for d in core._call("/kaigo/_testing/doctors")}
    for app_id, row in rows(db).items():
        (record,) = core.records_for(app_id, "kaigo")
        data = row.data
        assert row.status == Status.KEYED.value and row.receipt_no == record["receipt_no"]
        assert record["hihokensha_no"] == data["insured"]["hihokensha_no"]
        assert record["kubun"] == KUBUN_CODE[data["kubun"]]
        assert record["shinsei_date"] == data["application_date"]
        assert record["prev_care_level"] == data["previous_level"]
        assert record["doctor_code"] == doctors[data["doctor"]["hospital"]]["code"]
        assert record["residence"] == data["residence"]
        assert (record["facility_name"] or None) == data["facility_name"]
    assert [e.label for e in result.items[0].evidence] == ["before_register", "result"]


def test_kaigo_rejection_by_alert_becomes_the_reason(
    settings: Settings, db: Database, core
) -> None:
    seed_kaigo(db, 1, core.url)
    # a 6-digit 国保 insurer number: valid for the application, refused by this core system
    insurance = {"insurer_no": "123456", "symbol": "12-34"}
    set_data(db, "KG-2026-000001", lambda d: d.update(medical_insurance=insurance))

    run_once(settings, "kaigo_nintei", db=db)

    row = rows(db)["KG-2026-000001"]
    assert row.status == Status.NEEDS_REVIEW.value
    assert row.core_message == "保険者番号は半角数字8桁で入力してください。"
    assert core.records("kaigo") == []


def test_kaigo_unknown_insured_number_is_reported_with_the_core_alert(
    settings: Settings, db: Database, core
) -> None:
    seed_kaigo(db, 1, core.url)
    set_data(db, "KG-2026-000001", lambda d: d["insured"].update(hihokensha_no="1999999999"))

    run_once(settings, "kaigo_nintei", db=db)

    row = rows(db)["KG-2026-000001"]
    assert row.status == Status.NEEDS_REVIEW.value and "見つかりません" in row.reason
    assert row.core_message == "該当する被保険者はありません。"


def test_boshi_notifications_are_keyed_in_the_single_page_app(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 12, core.url, problems=False)  # the residents
    expected = seed_boshi(db, 12)
    boshi = {k: v for k, v in rows(db).items() if k.startswith("BH-")}
    assert expected == len(boshi) >= 3

    result = run_once(settings, "boshi_ninshin", db=db)

    assert {i.outcome for i in result.items} == {OutcomeKind.KEYED}, [
        i.reason for i in result.items
    ]
    for app_id in boshi:
        row = rows(db)[app_id]
        (record,) = core.records_for(app_id, "boshi")
        assert row.receipt_no == record["receipt_no"] and record["receipt_no"].startswith("BH")
        assert record["atena_no"] == row.atena_no
        assert record["weeks"] == row.data["weeks"]
        assert record["due_date"] == row.data["due_date"]
        assert record["multiple"] == row.data["multiple"]
        assert record["fetus_count"] == row.data["fetus_count"]
    assert len(core.records("boshi")) == len(boshi)


def test_kaigo_demo_people_are_all_65_or_older() -> None:
    for insured, data in kaigo_dataset(30):
        assert int(data["application_date"][:4]) - int(insured["birth_date"][:4]) >= 66
