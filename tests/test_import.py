"""``renkei import FILE``: applications from CSV, Excel or JSON into the management DB.

A clerk's file is never all good or all bad: good rows are loaded as ``resolved``, each bad
row is reported with the row number the clerk sees in Excel (the header is row 1) and a
reason. Files are built here with the csv/json modules, pandas and openpyxl.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bots.cli.main import cli
from bots.intake.importer import ImportFileError, import_file, list_rejections
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.recipe.model import load_all

PROCEDURE = "jidou_teate_nintei"
JST = ZoneInfo("Asia/Tokyo")
REPO = Path(__file__).resolve().parents[1]
RECIPES = load_all(REPO / "recipes", REPO / "selectors", REPO)
KNOWN = {PROCEDURE: RECIPES[PROCEDURE]}  # the recipes rows are checked with

#: A complete, valid 児童手当 application in flat columns (it passes the bot's checks).
VALID_FLAT = {
    "id": "A-0",
    "procedure": PROCEDURE,
    "atena_no": "000123",
    "received_at": "2026-11-20T09:00",
    "applicant.name": "山田　太郎",
    "applicant.kana": "ヤマダ　タロウ",
    "applicant.birth_date": "1985-04-01",
    "applicant.my_number": "123456789018",
    "applicant.postal_code": "305-0031",
    "applicant.address": "茨城県つくば市吾妻1丁目2番3号",
    "applicant.phone": "029-851-1234",
    "claim_date": "2026-11-17",
    "children.1.name": "山田　一郎",
    "children.1.kana": "ヤマダ　イチロウ",
    "children.1.birth_date": "2019-02-28",
    "children.1.relation": "子",
    "children.1.cohabiting": "同居",
    "children.2.name": "山田　二郎",
    "children.2.kana": "ヤマダ　ジロウ",
    "children.2.birth_date": "2021-07-07",
    "children.2.relation": "子",
    "children.2.cohabiting": "同居",
    "bank.bank_code": "0131",
    "bank.branch_code": "952",
    "bank.account_type": "普通",
    "bank.account_no": "1234567",
    "bank.holder_kana": "ヤマダ　タロウ",
}
FLAT_HEADER = list(VALID_FLAT)


def flat_row(app_id: str, **changes: str) -> dict[str, str]:
    return VALID_FLAT | {"id": app_id} | changes


def write_csv(
    path: Path, rows: list[dict[str, str]], header: list[str] = FLAT_HEADER, encoding: str = "utf-8"
) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding=encoding)
    return path


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    yield db
    db.dispose()


def stored(db: Database) -> dict[str, ApplicationRow]:
    with db.session() as s:
        return {row.id: row for row in s.scalars(select(ApplicationRow))}


# --- good files -----------------------------------------------------------------------


def test_flat_dotted_columns_become_nested_data(database: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("A-1")])

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["A-1"]
    assert report.rejected == []
    app = stored(database)["A-1"]
    assert app.procedure == PROCEDURE
    assert app.atena_no == "000123"
    assert app.status == "resolved"
    assert app.received_at.isoformat() == "2026-11-20T09:00:00"
    assert app.data["applicant"]["name"] == "山田　太郎"
    assert app.data["applicant"]["kana"] == "ヤマダ　タロウ"
    assert [c["name"] for c in app.data["children"]] == ["山田　一郎", "山田　二郎"]
    assert app.data["children"][1]["birth_date"] == "2021-07-07"
    assert app.data["bank"]["account_no"] == "1234567"
    assert app.data["claim_date"] == "2026-11-17"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"], ids=["utf8-bom", "shift_jis"])
def test_csv_in_japanese_encodings_loads(database: Database, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("A-1")], encoding=encoding)

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["A-1"]
    data = stored(database)["A-1"].data
    assert data["applicant"]["name"] == "山田　太郎"
    assert data["children"][1]["name"] == "山田　二郎"


@pytest.mark.parametrize("name", ["山田 太郎", "佐藤 花子"], ids=["names-a", "names-b"])
def test_csv_in_utf16_is_rejected_with_an_encoding_message(
    database: Database, tmp_path: Path, name: str
) -> None:
    """Excel's "Unicode text" is UTF-16: the whole file is refused, whatever the names in it."""
    header = ["id", "procedure", "atena_no", "applicant.name"]
    row = {"id": "A-1", "procedure": PROCEDURE, "atena_no": "000123", "applicant.name": name}
    path = write_csv(tmp_path / "apps.csv", [row], header=header, encoding="utf-16")

    with pytest.raises(ImportFileError) as caught:
        import_file(database, path, KNOWN)

    assert "文字コード" in str(caught.value)
    assert "Shift_JIS" in str(caught.value)
    assert stored(database) == {}


def test_excel_file_loads(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "apps.xlsx"
    pd.DataFrame([flat_row("A-1"), flat_row("A-2", atena_no="000456")]).to_excel(path, index=False)

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["A-1", "A-2"]
    apps = stored(database)
    assert apps["A-2"].atena_no == "000456"
    assert [c["name"] for c in apps["A-1"].data["children"]] == ["山田　一郎", "山田　二郎"]


def test_json_array_loads(database: Database, tmp_path: Path) -> None:
    form = {"applicant": {"name": "山田 花子"}, "children": [{"name": "山田 桜"}]}
    path = tmp_path / "apps.json"
    path.write_text(
        json.dumps(
            [
                {"id": "J-1", "procedure": PROCEDURE, "atena_no": "000777", "data": form},
                {
                    "id": "J-2",
                    "procedure": PROCEDURE,
                    "atena_no": "000778",
                    "received_at": "2026-11-21T10:30:00",
                    "data": form,
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["J-1", "J-2"]
    apps = stored(database)
    assert apps["J-1"].data == form
    assert apps["J-2"].received_at.isoformat() == "2026-11-21T10:30:00"


def test_csv_with_a_data_json_column(database: Database, tmp_path: Path) -> None:
    form = {"applicant": {"kana": "ヤマダ ハナコ"}, "children": [{"name": "山田 桜"}]}
    header = ["id", "procedure", "atena_no", "data"]
    row = {"id": "D-1", "procedure": PROCEDURE, "atena_no": "000900", "data": json.dumps(form)}
    path = write_csv(tmp_path / "apps.csv", [row], header=header)

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["D-1"]
    assert stored(database)["D-1"].data == form


# --- bad rows, good rows kept ---------------------------------------------------------

BAD_ROWS = [
    pytest.param(flat_row(""), "id が空です", id="missing-id"),
    pytest.param(flat_row("B-1", procedure="kaigo_nintei"), "kaigo_nintei", id="unknown-procedure"),
    pytest.param(flat_row("B-1", atena_no="12A4"), "宛名番号 '12A4'", id="letter-in-atena_no"),
    pytest.param(
        flat_row("B-1", atena_no="０１２３"), "宛名番号 '０１２３'", id="full-width-atena"
    ),
    pytest.param(
        flat_row("B-1", received_at="きのう"), "received_at 'きのう'", id="bad-received_at"
    ),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS)
def test_bad_row_is_reported_with_its_row_number(
    database: Database, tmp_path: Path, bad: dict[str, str], reason: str
) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("G-1"), bad, flat_row("G-2")])

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["G-1", "G-2"]
    [(row, message)] = report.rejected
    assert row == 3  # header = 1, first data row = 2
    assert reason in message
    assert set(stored(database)) == {"G-1", "G-2"}


# An id names the application's evidence folder: one that is a path must never get in.
UNSAFE_IDS = [
    pytest.param("../../x", "'../../x'", id="parent-dirs"),
    pytest.param("/etc/passwd", "'/etc/passwd'", id="absolute"),
    pytest.param("a/b", "'a/b'", id="slash"),
    pytest.param("a\x00b", "'a\\x00b'", id="nul"),
    pytest.param("a b", "'a b'", id="space"),
    pytest.param(".hidden", "'.hidden'", id="leading-dot"),
    pytest.param("申請1", "'申請1'", id="not-ascii"),
]


@pytest.mark.parametrize(("app_id", "shown"), UNSAFE_IDS)
def test_an_id_that_is_not_a_plain_identifier_is_refused_and_recorded(
    database: Database, tmp_path: Path, app_id: str, shown: str
) -> None:
    form = {"applicant": {"name": "山田 花子"}}
    path = tmp_path / "apps.json"
    rows = [
        {"id": "JT-2026-000001", "procedure": PROCEDURE, "atena_no": "000777", "data": form},
        {"id": app_id, "procedure": PROCEDURE, "atena_no": "000778", "data": form},
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["JT-2026-000001"]
    [(row, reason)] = report.rejected
    assert row == 2  # the second element of the array
    assert f"申請ID {shown} は使えません" in reason and "半角英数字" in reason
    assert set(stored(database)) == {"JT-2026-000001"}
    [refused] = list_rejections(database)
    assert (refused.row, refused.reason) == (2, reason)
    assert refused.application_id is not None and "\x00" not in refused.application_id


def test_cli_import_names_the_row_and_the_refused_id(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("G-1"), flat_row("../../x")])

    code, output = invoke(tmp_path, "import", str(path))

    assert code == 2
    assert f"{path}:3行目: 申請ID '../../x' は使えません" in output
    code, listed = invoke(tmp_path, "import", "--report")
    assert code == 0 and f"{path}:3行目  申請ID ../../x" in listed


def test_invalid_json_in_data_column(database: Database, tmp_path: Path) -> None:
    header = ["id", "procedure", "atena_no", "data"]
    rows = [
        {"id": "D-1", "procedure": PROCEDURE, "atena_no": "1", "data": '{"a": 1}'},
        {"id": "D-2", "procedure": PROCEDURE, "atena_no": "2", "data": '{"a": '},
    ]
    path = write_csv(tmp_path / "apps.csv", rows, header=header)

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["D-1"]
    [(row, message)] = report.rejected
    assert row == 3
    assert "data 列が JSON として読めません" in message


def test_duplicate_id_within_the_file(database: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("A-1"), flat_row("A-2"), flat_row("A-1")])

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["A-1", "A-2"]
    assert report.rejected == [(4, "申請ID A-1 がファイル内で重複しています")]


def test_second_import_of_the_same_file_loads_nothing(database: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("A-1"), flat_row("A-2")])
    import_file(database, path, KNOWN)

    again = import_file(database, path, KNOWN)

    assert again.loaded == []
    assert again.rejected == [
        (2, "申請ID A-1 は既に取り込まれています"),
        (3, "申請ID A-2 は既に取り込まれています"),
    ]
    assert set(stored(database)) == {"A-1", "A-2"}


# --- files that cannot be read at all -------------------------------------------------

UNREADABLE: list[Any] = [
    pytest.param(b"", "ファイルが空です", id="empty-file"),
    pytest.param(b"id,procedure,atena_no,received_at\n", "データ行がありません", id="header-only"),
    pytest.param(
        f"id,procedure,received_at\nA-1,{PROCEDURE},2026-11-20\n".encode(),
        "必要な列がありません: atena_no",
        id="missing-column",
    ),
]


@pytest.mark.parametrize(("content", "message"), UNREADABLE)
def test_unreadable_file(database: Database, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "apps.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as caught:
        import_file(database, path, KNOWN)

    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert stored(database) == {}


# --- the command ----------------------------------------------------------------------


def run_import(tmp_path: Path, file: Path) -> tuple[int, str]:
    env = {
        "RENKEI_DB": f"sqlite:///{tmp_path / 'm.db'}",
        "RENKEI_RECIPES": str(REPO / "recipes"),
        "RENKEI_SELECTORS": str(REPO / "selectors"),
    }
    result = CliRunner().invoke(cli, ["import", str(file)], env=env)
    return result.exit_code, result.output


def test_cli_import_all_good(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("A-1"), flat_row("A-2")])

    code, output = run_import(tmp_path, path)

    assert code == 0, output
    assert "取り込み 2 件、不備 0 行" in output
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    statuses = {a.id: a.status for a in stored(db).values()}
    db.dispose()
    assert statuses == {"A-1": "resolved", "A-2": "resolved"}


def test_cli_import_lists_rejected_rows_and_exits_2(tmp_path: Path) -> None:
    rows = [flat_row("A-1"), flat_row("A-2", atena_no="12-3"), flat_row("", atena_no="1")]
    path = write_csv(tmp_path / "apps.csv", rows)

    code, output = run_import(tmp_path, path)

    assert code == 2
    assert "取り込み 1 件、不備 2 行" in output
    assert f"{path}:3行目: 宛名番号 '12-3' は半角数字ではありません" in output
    assert f"{path}:4行目: id が空です" in output


def test_cli_import_unreadable_file_fails_with_message(tmp_path: Path) -> None:
    path = tmp_path / "apps.csv"
    path.write_bytes(b"")

    code, output = run_import(tmp_path, path)

    assert code not in (0, 2)
    assert "ファイルが空です" in output


# --- the schema's checks at import, corrections (--replace), refused rows on record ----------


def cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        "RENKEI_DB": f"sqlite:///{tmp_path / 'm.db'}",
        "RENKEI_RECIPES": str(REPO / "recipes"),
        "RENKEI_SELECTORS": str(REPO / "selectors"),
        "RENKEI_AUDIT_DIR": str(tmp_path / "audit"),
    }


def invoke(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=cli_env(tmp_path))
    return result.exit_code, result.output


def stored_cli(tmp_path: Path) -> dict[str, ApplicationRow]:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        return stored(db)
    finally:
        db.dispose()


def set_row(tmp_path: Path, app_id: str, **values: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        with db.session() as s:
            row = s.get(ApplicationRow, app_id)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
    finally:
        db.dispose()


def review_entries(tmp_path: Path) -> list[dict[str, Any]]:
    log = tmp_path / "audit" / "review.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_unknown_items_are_reported_and_kept(tmp_path: Path) -> None:
    header = [*FLAT_HEADER, "applicant.email"]
    rows = [flat_row("U-1") | {"applicant.email": "taro@example.jp"}, flat_row("U-2")]
    rows[1]["applicant.email"] = ""
    path = write_csv(tmp_path / "apps.csv", rows, header=header)

    code, output = invoke(tmp_path, "import", str(path))

    assert code == 0, output
    assert output.splitlines()[0] == "取り込み 2 件、不備 0 行"
    assert f"{path}:2行目: 定義にない項目 applicant.email（申請とともに保存しました）" in output
    assert f"{path}:3行目" not in output
    apps = stored_cli(tmp_path)
    assert apps["U-1"].data["applicant"]["email"] == "taro@example.jp"
    # the recipe says an unknown item goes to a person (unknown_items: review), as in a run
    assert apps["U-1"].status == "needs_review"
    assert apps["U-2"].status == "resolved"


def test_a_row_with_bad_data_is_stored_for_review_with_the_bots_reason(
    settings: Any, db: Database, core: Any
) -> None:
    from bots.service import run_once

    path = write_csv(
        settings.out_root.parent / "apps.csv",
        [flat_row("R-1", **{"children.1.birth_date": "2019-02-30"}), flat_row("R-2")],
    )

    report = import_file(db, path, load_all(settings.recipes_dir, settings.selectors_dir))

    assert report.loaded == ["R-1", "R-2"] and report.rejected == []
    [(row, reason)] = report.needs_review
    assert row == 2
    assert reason.startswith("申請データに不備があります: ") and "児童1 生年月日" in reason
    app = stored(db)["R-1"]
    assert (app.status, app.reason, app.data["children"][0]["birth_date"]) == (
        "needs_review",
        reason,
        "2019-02-30",
    )
    with db.session() as s:  # what the bot says of the same data
        row_r1 = s.get(ApplicationRow, "R-1")
        assert row_r1 is not None
        row_r1.status, row_r1.reason = "resolved", None
        s.get(ApplicationRow, "R-2").status = "rejected"  # type: ignore[union-attr]
    run_once(settings, db=db)
    assert stored(db)["R-1"].status == "needs_review"
    assert stored(db)["R-1"].reason == reason
    assert core.records_for("R-1") == []


def test_cli_import_counts_rows_stored_for_review(tmp_path: Path) -> None:
    rows = [flat_row("C-1"), flat_row("C-2", **{"children.2.relation": "兄弟"})]
    path = write_csv(tmp_path / "apps.csv", rows)

    code, output = invoke(tmp_path, "import", str(path))

    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "取り込み 2 件、不備 0 行"
    assert lines[1] == "  うち要確認 1 件（申請データに不備）"
    assert any(line.startswith(f"  {path}:3行目: 要確認として保存: ") for line in lines)
    assert stored_cli(tmp_path)["C-2"].status == "needs_review"


def test_replace_corrects_only_what_cannot_be_in_the_core_system(tmp_path: Path) -> None:
    bad = {"children.1.birth_date": "2019-02-30", "applicant.my_number": "123456789012"}
    first = [flat_row("X-1", **bad), flat_row("X-2"), flat_row("X-3"), flat_row("X-4")]
    path = write_csv(tmp_path / "apps.csv", first)
    assert invoke(tmp_path, "import", str(path))[0] == 0
    set_row(tmp_path, "X-2", status="keyed", receipt_no="JT00000002")
    set_row(tmp_path, "X-3", status="needs_review", needs_verification=True)
    set_row(tmp_path, "X-4", status="rejected", reason="対象外（重複）")
    corrected = [
        flat_row("X-1", atena_no="000124"),
        flat_row("X-2", **{"applicant.phone": "029-851-9999"}),
        flat_row("X-3", **{"applicant.phone": "029-851-9999"}),
        flat_row("X-4"),
    ]
    fix = write_csv(tmp_path / "fix.csv", corrected)

    plain_code, plain = invoke(tmp_path, "import", str(fix))

    assert plain_code == 2
    assert (
        f"{fix}:2行目: 申請ID X-1 は既に取り込まれています（訂正として取り込むには --replace"
        in plain
    )
    assert f"{fix}:3行目: 申請ID X-2 は既に取り込まれています\n" in plain

    code, output = invoke(tmp_path, "import", "--replace", "--by", "yamada", str(fix))

    assert code == 2, output
    assert output.splitlines()[0] == "取り込み 2 件、不備 2 行"
    assert f"{fix}:3行目: 申請ID X-2 は連携済のため取り込みでは訂正できません" in output
    assert f"{fix}:4行目: 申請ID X-3 は基幹システムに登録された可能性がある" in output
    apps = stored_cli(tmp_path)
    assert apps["X-1"].status == "resolved" and apps["X-1"].atena_no == "000124"
    assert apps["X-1"].data["children"][0]["birth_date"] == "2019-02-28"
    assert apps["X-1"].reason == "取り込みで訂正（fix.csv:2行目）"
    assert apps["X-4"].status == "resolved"
    assert (
        apps["X-2"].status == "keyed" and apps["X-2"].data["applicant"]["phone"] == "029-851-1234"
    )
    assert apps["X-3"].data["applicant"]["phone"] == "029-851-1234"
    entries = [e for e in review_entries(tmp_path) if e["step"] == "import_replace"]
    assert [e["application"] for e in entries] == ["X-1", "X-4"]
    x1 = entries[0]
    assert x1["by"] == "yamada" and x1["from"] == "needs_review"
    assert {c["item"]: (c["label"], c["before"], c["after"]) for c in x1["changes"]} == {
        "atena_no": ("宛名番号", "000123", "000124"),
        "applicant.my_number": ("請求者個人番号", "************", "************"),
        "children.1.birth_date": ("児童1 生年月日", "2019-02-30", "2019-02-28"),
    }
    log = (tmp_path / "audit" / "review.jsonl").read_text()
    assert "123456789012" not in log and "123456789018" not in log


def test_refused_rows_are_recorded_listed_and_counted(tmp_path: Path) -> None:
    rows = [flat_row("F-1"), flat_row("F-2", atena_no="1234 5678 9018"), flat_row("", atena_no="1")]
    path = write_csv(tmp_path / "apps.csv", rows)
    assert invoke(tmp_path, "import", "--by", "kato", str(path))[0] == 2

    code, report = invoke(tmp_path, "import", "--report")

    assert code == 0, report
    lines = report.splitlines()
    assert len(lines) == 2
    assert "1234 5678 9018" not in report and "************" in report
    assert (
        f"{path}:3行目  申請ID F-2  宛名番号" in report and f"{path}:4行目  id が空です" in report
    )
    stamp = datetime.strptime(lines[0][:16], "%Y-%m-%d %H:%M").replace(tzinfo=JST)
    assert abs(datetime.now(JST) - stamp) < timedelta(minutes=2)
    assert "（kato）" in lines[0]

    code, listed = invoke(tmp_path, "review", "list")

    assert code == 0
    assert "取り込みで受け付けなかった行（2 件）: renkei import --report で詳細" in listed
    assert f"{path}:4行目" in listed


def test_report_without_refused_rows(tmp_path: Path) -> None:
    code, output = invoke(tmp_path, "import", "--report")

    assert code == 0 and output.strip() == "取り込みで受け付けなかった行はありません"
