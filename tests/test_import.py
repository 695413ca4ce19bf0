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
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bots.cli.main import cli
from bots.intake.importer import ImportFileError, import_file
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow

PROCEDURE = "jidou_teate_nintei"
KNOWN = {PROCEDURE}
REPO = Path(__file__).resolve().parents[1]

FLAT_HEADER = [
    "id",
    "procedure",
    "atena_no",
    "received_at",
    "applicant.name",
    "applicant.kana",
    "children.1.name",
    "children.2.name",
    "bank.account_no",
]


def flat_row(app_id: str, **changes: str) -> dict[str, str]:
    row = {
        "id": app_id,
        "procedure": PROCEDURE,
        "atena_no": "000123",
        "received_at": "2026-11-20T09:00",
        "applicant.name": "山田 太郎",
        "applicant.kana": "ヤマダ タロウ",
        "children.1.name": "山田 一郎",
        "children.2.name": "山田 二郎",
        "bank.account_no": "1234567",
    }
    return row | changes


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
    assert app.data == {
        "applicant": {"name": "山田 太郎", "kana": "ヤマダ タロウ"},
        "children": [{"name": "山田 一郎"}, {"name": "山田 二郎"}],
        "bank": {"account_no": "1234567"},
    }


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"], ids=["utf8-bom", "shift_jis"])
def test_csv_in_japanese_encodings_loads(database: Database, tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "apps.csv", [flat_row("A-1")], encoding=encoding)

    report = import_file(database, path, KNOWN)

    assert report.loaded == ["A-1"]
    data = stored(database)["A-1"].data
    assert data["applicant"]["name"] == "山田 太郎"
    assert data["children"][1]["name"] == "山田 二郎"


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
    assert apps["A-1"].data["children"] == [{"name": "山田 一郎"}, {"name": "山田 二郎"}]


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
