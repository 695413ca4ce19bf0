"""Sources feed the queue (issue 16, items 1 and 3): a vendor's 申請管理システム and a drop folder.

Real parts throughout: a real PostgreSQL holding the vendor's own schema (Japanese table
and column names, a jsonb form: tests/shinsei_vendor.py), renkei's SQLite database, real
folders with CP932 CSV and Excel files, ``sources.yaml`` files, the real CLI through
``CliRunner``; one test keys the synced applications into the mock core system with the
real bot. What is asserted is what staff and IT would look at: the rows in renkei's
database and their status, the files in ``done/`` and ``rejected/`` and their reports, the
lines of the staff actions' log, the CLI's words and exit code.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shinsei_vendor as vendor
from click.testing import CliRunner
from conftest import Core
from e2e_helpers import installation_settings, rows, update_row
from pg import PostgresServer, postgres_server  # noqa: F401  (the session fixture)
from sqlalchemy import select

from bots.cli.main import cli
from bots.cli.sources import sources as sources_group
from bots.cli.sources import sync_cmd
from bots.demo import applications
from bots.demo.seed import post_residents
from bots.queue.db import Database
from bots.queue.schema import ImportRejectionRow, SourceFileRow
from bots.service import run_once
from bots.sources.service import sync_sources

REPO = Path(__file__).resolve().parents[1]
SECRET = "shinsei-Pa55-word"  # the source's password in these tests: never in any output

# the commands, as bots/cli/main.py registers them (a no-op once it does)
for command in (sources_group, sync_cmd):
    cli.commands.setdefault(command.name or "", command)


@pytest.fixture(scope="module")
def vendor_url(postgres_server: PostgresServer) -> str:  # noqa: F811
    return postgres_server.create_database("shinsei")


@pytest.fixture
def shinsei(vendor_url: str) -> str:
    """The vendor's table, empty, for one test."""
    vendor.create_schema(vendor_url)
    return vendor_url


def sql_yaml(url: str, *, password: str = "password_env: SHINSEI_PASSWORD", every: int = 0) -> str:
    return (
        "sources:\n"
        "  shinsei:\n"
        "    kind: sql\n"
        f"    url: {url}\n"
        f"    {password}\n"
        f"    every_minutes: {every}\n" + vendor.MAPPING_YAML
    )


@pytest.fixture(scope="module", autouse=True)
def _two_recipes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The CLI loads only the two recipes the sources map to (each call loads them all:
    the module stays fast); the end-to-end test uses the repo's full folder."""
    folder = tmp_path_factory.mktemp("recipes")
    for name in [*vendor.RECIPES.values(), "gaiji"]:
        suffix = ".txt" if name == "gaiji" else ".yaml"
        shutil.copy(REPO / "recipes" / f"{name}{suffix}", folder / f"{name}{suffix}")
    RECIPES_DIR.append(folder)
    yield
    RECIPES_DIR.clear()


RECIPES_DIR: list[Path] = []


def env_of(base: Path, **extra: str) -> dict[str, str]:
    return {
        "RENKEI_DB": f"sqlite:///{base / 'renkei.db'}",
        "RENKEI_RECIPES": str(RECIPES_DIR[0]),
        "RENKEI_SELECTORS": str(REPO / "selectors"),
        "RENKEI_AUDIT_DIR": str(base / "audit"),
        "RENKEI_SOURCES": str(base / "sources.yaml"),
        "SHINSEI_PASSWORD": SECRET,
        **extra,
    }


def renkei(base: Path, *args: str, **extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env_of(base, **extra))
    assert SECRET not in result.output
    return result.exit_code, result.output


def stored(base: Path) -> dict[str, Any]:
    db = Database(f"sqlite:///{base / 'renkei.db'}")
    try:
        return rows(db)
    finally:
        db.dispose()


def rejections(base: Path) -> list[ImportRejectionRow]:
    db = Database(f"sqlite:///{base / 'renkei.db'}")
    try:
        with db.session() as s:
            found = list(s.scalars(select(ImportRejectionRow)))
            s.expunge_all()
            return found
    finally:
        db.dispose()


def audit_lines(base: Path) -> list[dict[str, Any]]:
    path = base / "audit" / "review.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- the vendor's database ----------------------------------------------------------------


def test_sync_takes_the_resolved_rows_once_with_their_source_and_version(
    tmp_path: Path, shinsei: str
) -> None:
    good = vendor.demo_rows(vendor.JIDOU, 2) + vendor.demo_rows(vendor.KAIGO, 2)
    pending = vendor.demo_rows(vendor.KAIGO, 1, first=2)
    pending[0].update({"審査状態": vendor.IN_REVIEW})  # not resolved yet: not for renkei
    unknown = vendor.demo_rows(vendor.KAIGO, 1, first=3)
    unknown[0].update({"申請番号": "Z99-00001", "手続コード": "Z99"})
    vendor.insert_rows(shinsei, good + pending + unknown)
    (tmp_path / "sources.yaml").write_text(sql_yaml(shinsei), encoding="utf-8")

    code, out = renkei(tmp_path, "sync")

    assert code == 2, out  # a refused row
    apps = stored(tmp_path)
    assert sorted(apps) == sorted(r["申請番号"] for r in good)
    jidou = apps["A05-00001"]
    assert (jidou.procedure, jidou.status, jidou.source) == (
        "jidou_teate_shoumetsu",
        "resolved",
        "shinsei",
    )
    assert jidou.source_version == "2026-11-21T10:00:00"
    assert jidou.received_at == datetime(2026, 11, 20, 9, 0)  # naive from the source: JST kept
    form = good[0]["申請内容"]
    assert jidou.data["applicant"]["name"] == form["届出者"]["氏名"]  # the vendor's JSON unpacked
    assert jidou.data["reason"] == form["消滅事由"]
    assert apps["K07-00001"].data == good[2]["申請内容"]  # the whole form from the JSON column
    assert "取り込み 4 件" in out
    assert "shinsei:申請:" in out and "列『手続コード』の手続コード 'Z99'" in out
    [refused] = rejections(tmp_path)
    assert (refused.file, refused.application_id) == ("shinsei:申請", "Z99-00001")

    code, again = renkei(tmp_path, "sync")

    assert "取り込み 0 件" in again and "取り込み済みで変更のない行 4 件" in again
    assert sorted(stored(tmp_path)) == sorted(apps)
    assert len(rejections(tmp_path)) == 1  # the same refusal is not recorded at every sync


def test_a_changed_row_corrects_an_application_in_review_but_not_one_keyed(
    tmp_path: Path, shinsei: str
) -> None:
    rows_ = vendor.demo_rows(vendor.KAIGO, 2)
    rows_[0]["申請内容"] = rows_[0]["申請内容"] | {"reason": "その他", "reason_detail": None}
    vendor.insert_rows(shinsei, rows_)
    (tmp_path / "sources.yaml").write_text(sql_yaml(shinsei), encoding="utf-8")
    renkei(tmp_path, "sync")
    first, second = (stored(tmp_path)[r["申請番号"]] for r in rows_)
    assert first.status == "needs_review" and "その他の理由" in (first.reason or "")
    assert second.status == "resolved"
    db = Database(f"sqlite:///{tmp_path / 'renkei.db'}")
    update_row(db, second.id, status="keyed", receipt_no="KH00000077")  # keyed meanwhile
    db.dispose()
    fixed = rows_[0]["申請内容"] | {"reason_detail": "施設に預けたまま返却されていない"}
    vendor.change_row(shinsei, first.id, 申請内容=fixed)
    vendor.change_row(shinsei, second.id, 申請内容=rows_[1]["申請内容"] | {"delivery": "郵送"})

    code, out = renkei(tmp_path, "sync")

    after = stored(tmp_path)
    assert after[first.id].status == "resolved"  # corrected: back to the bot
    assert after[first.id].data["reason_detail"] == "施設に預けたまま返却されていない"
    assert after[first.id].source_version == "2026-12-01T09:00:00"
    assert after[second.id].status == "keyed" and after[second.id].data == second.data
    assert after[second.id].source_version == "2026-11-21T10:00:00"
    assert "訂正 1 件" in out and "連携済のため取り込みでは訂正できません" in out, out
    [line] = [a for a in audit_lines(tmp_path) if a.get("step") == "import_replace"]
    assert line["application"] == first.id and line["from"] == "needs_review"
    assert line["source"] == "shinsei" and line["detail"].startswith("shinsei:申請:")
    [change] = line["changes"]
    assert (change["item"], change["after"]) == ("reason_detail", fixed["reason_detail"])
    assert code == 0


def test_a_source_that_is_down_is_a_transient_error_with_the_password_hidden(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    dead = f"postgresql+psycopg://renkei@127.0.0.1:{_closed_port()}/shinsei"
    (tmp_path / "sources.yaml").write_text(sql_yaml(dead), encoding="utf-8")

    code, out = renkei(tmp_path, "sync")

    assert code == 5, out
    assert "ソース『shinsei』（postgresql+psycopg://renkei:***@127.0.0.1:" in out
    assert "接続できません" in out and "次の同期で再試行します" in out
    assert stored(tmp_path) == {}


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


def test_the_password_comes_from_the_environment_or_a_private_file_only(
    tmp_path: Path, shinsei: str
) -> None:
    vendor.insert_rows(shinsei, vendor.demo_rows(vendor.KAIGO, 1))
    secret_file = tmp_path / "shinsei.pw"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    secret_file.chmod(0o600)
    yaml_file = tmp_path / "sources.yaml"

    yaml_file.write_text(sql_yaml(shinsei, password=f"password_file: {secret_file}"))
    code, out = renkei(tmp_path, "sync")
    assert code == 0 and "取り込み 1 件" in out, out

    secret_file.chmod(0o644)
    code, out = renkei(tmp_path, "sync")
    assert code == 1 and f"chmod 600 {secret_file}" in out and "他の利用者も読めます" in out

    yaml_file.write_text(sql_yaml(shinsei))  # password_env: SHINSEI_PASSWORD
    code, out = renkei(tmp_path, "sync", SHINSEI_PASSWORD="")
    assert code == 1 and "環境変数 SHINSEI_PASSWORD が設定されていません" in out
    # the password reaches the driver (PostgreSQL of the tests trusts loopback: the URL is
    # what can be checked) and no output shows it (``renkei`` asserts that at every call)
    from bots.sources.credentials import source_url

    os.environ["SHINSEI_PASSWORD"] = SECRET
    try:
        assert source_url("shinsei", shinsei, "SHINSEI_PASSWORD", None).password == SECRET
    finally:
        del os.environ["SHINSEI_PASSWORD"]


def test_sources_check_locates_mistakes_and_connects_only_when_asked(
    tmp_path: Path, shinsei: str
) -> None:
    yaml_file = tmp_path / "sources.yaml"
    yaml_file.write_text(sql_yaml(shinsei).replace("    columns:", "    colums:"))
    code, out = renkei(tmp_path, "sources", "check")
    assert code == 1 and "sources.yaml:" in out
    line = 1 + sql_yaml(shinsei).splitlines().index("    columns:")
    assert f"sources.yaml:{line}:" in out and "colums" in out, out

    dead = f"postgresql+psycopg://renkei@127.0.0.1:{_closed_port()}/shinsei"
    yaml_file.write_text(sql_yaml(dead))
    code, out = renkei(tmp_path, "sources", "check")
    assert code == 0 and "パスワードあり（環境変数 SHINSEI_PASSWORD）" in out, out
    code, out = renkei(tmp_path, "sources", "check", "--connect")
    assert code == 1 and "接続できません" in out

    yaml_file.write_text(sql_yaml(shinsei))
    code, out = renkei(tmp_path, "sources", "check", "--connect")
    assert code == 0 and "接続できました: 0 行（申請）" in out, out


def test_a_query_source_reads_and_can_never_write_the_vendors_table(
    tmp_path: Path, shinsei: str
) -> None:
    vendor.insert_rows(shinsei, vendor.demo_rows(vendor.KAIGO, 2))
    table_yaml = sql_yaml(shinsei)
    as_query = table_yaml.replace(
        "    table: 申請\n    where: {審査状態: 審査完了}\n",
        "    query: SELECT * FROM 申請 WHERE 審査状態 = '審査完了' AND 申請番号 <> 'K07-00002'\n",
    )
    (tmp_path / "sources.yaml").write_text(as_query, encoding="utf-8")
    code, out = renkei(tmp_path, "sync")
    assert code == 0 and sorted(stored(tmp_path)) == ["K07-00001"], out

    sneaky = "WITH x AS (UPDATE 申請 SET 連携状態 = '9' RETURNING *) SELECT * FROM x"
    (tmp_path / "sources.yaml").write_text(
        as_query.replace(as_query.split("query: ")[1].splitlines()[0], sneaky), encoding="utf-8"
    )
    code, out = renkei(tmp_path, "sync")
    assert code == 1 and "read-only" in out, out  # PostgreSQL's own words, in a 1-line reason
    assert vendor.read_row(shinsei, "K07-00001")["連携状態"] is None

    plain_update = as_query.replace(
        as_query.split("query: ")[1].splitlines()[0], "UPDATE 申請 SET 連携状態 = '9'"
    )
    (tmp_path / "sources.yaml").write_text(plain_update, encoding="utf-8")
    code, out = renkei(tmp_path, "sources", "check")
    line = 1 + plain_update.splitlines().index("    query: UPDATE 申請 SET 連携状態 = '9'")
    assert code == 1 and "must be a SELECT" in out and f"sources.yaml:{line}:" in out, out


# --- a drop folder -----------------------------------------------------------------------

FOLDER_YAML = """\
sources:
  export:
    kind: folder
    path: drop
    pattern: "*"
    settle_seconds: 30
    columns: {id: 申請番号, procedure: 手続, atena_no: 宛名番号, received_at: 受付日時, version: 更新日時}
    procedures:
      "K07":
        recipe: kaigo_hihokenshashou
        items:
          insured.hihokensha_no: 被保険者番号
          insured.name: 氏名
          insured.kana: フリガナ
          insured.birth_date: 生年月日
          insured.address: 住所
          application_date: 申請日
          reason: 理由
          reason_detail: 理由の詳細
          delivery: 交付方法
          remarks: 備考
"""


def export_rows(first: int, n: int) -> list[dict[str, str]]:
    """Rows as the vendor's export writes them: one column per item, text everywhere."""
    out = []
    for row in vendor.demo_rows(vendor.KAIGO, n, first=first):
        form = row["申請内容"]
        insured = form["insured"]
        out.append(
            {
                "申請番号": row["申請番号"],
                "手続": "K07",
                "宛名番号": row["宛名番号"],
                "受付日時": "2026/11/20 09:00",
                "更新日時": "1",
                "被保険者番号": insured["hihokensha_no"],
                "氏名": insured["name"],
                "フリガナ": insured["kana"],
                "生年月日": insured["birth_date"],
                "住所": insured["address"],
                "申請日": form["application_date"],
                "理由": form["reason"],
                "理由の詳細": form["reason_detail"] or "",
                "交付方法": form["delivery"],
                "備考": "",
            }
        )
    return out


def settled(*paths: Path) -> None:
    """Files written a minute ago (the folder leaves younger ones for the next sync)."""
    for path in paths:
        old = path.stat().st_mtime - 60
        os.utime(path, (old, old))


@pytest.fixture
def drop(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "sources.yaml").write_text(FOLDER_YAML, encoding="utf-8")
    folder = tmp_path / "drop"
    folder.mkdir()
    yield folder


def test_a_cp932_csv_and_an_excel_file_are_taken_once_whatever_their_names(
    tmp_path: Path, drop: Path
) -> None:
    csv_file = drop / "申請_20261201.csv"
    pd.DataFrame(export_rows(0, 2)).to_csv(csv_file, index=False, encoding="cp932")
    xlsx = drop / "申請_20261202.xlsx"
    pd.DataFrame(export_rows(2, 2)).to_excel(xlsx, index=False)
    writing = drop / "申請_20261203.csv.part"
    writing.write_bytes(csv_file.read_bytes())
    young = drop / "申請_20261204.csv"
    pd.DataFrame(export_rows(4, 1)).to_csv(young, index=False, encoding="cp932")
    settled(csv_file, xlsx, writing)

    code, out = renkei(tmp_path, "sync")

    assert code == 0, out
    apps = stored(tmp_path)
    assert sorted(apps) == [f"K07-{i:05d}" for i in range(1, 5)]
    assert apps["K07-00001"].data["insured"]["name"] == export_rows(0, 1)[0]["氏名"]  # CP932 read
    assert {a.status for a in apps.values()} == {"resolved"}
    assert sorted(p.name for p in (drop / "done").iterdir()) == [csv_file.name, xlsx.name]
    assert writing.exists() and young.exists()  # still being written: left for later
    assert "次回に回しました" in out

    again = drop / "再送_申請.csv"
    shutil.copy(tmp_path / "drop" / "done" / csv_file.name, again)
    settled(again)
    code, out = renkei(tmp_path, "sync")

    assert code == 0 and "取り込み 0 件" in out
    assert len(stored(tmp_path)) == 4
    note = drop / "done" / f"{again.name}.note.txt"
    assert csv_file.name in note.read_text(encoding="utf-8")  # taken before, as that file
    db = Database(f"sqlite:///{tmp_path / 'renkei.db'}")
    with db.session() as s:
        taken = [(r.name, r.moved_to) for r in s.scalars(select(SourceFileRow))]
    db.dispose()
    assert sorted(taken) == sorted(
        [(csv_file.name, f"done/{csv_file.name}"), (xlsx.name, f"done/{xlsx.name}")]
    )


def test_malformed_files_and_bad_rows_go_to_rejected_with_a_row_numbered_report(
    tmp_path: Path, drop: Path
) -> None:
    broken = drop / "壊れた.json"
    broken.write_text('[{"申請番号": "K07-1"', encoding="utf-8")
    mixed = drop / "申請_1205.csv"
    good = export_rows(0, 4)
    bad = [dict(row) for row in good]
    bad[1]["宛名番号"] = "12A4"  # spreadsheet row 3
    bad[3]["宛名番号"] = "1234 5678 9018"  # a 個人番号 in the wrong column: row 5
    pd.DataFrame(bad).to_csv(mixed, index=False, encoding="cp932")
    settled(broken, mixed)

    code, out = renkei(tmp_path, "sync")

    assert code == 2, out
    rejected = drop / "rejected"
    assert sorted(p.name for p in rejected.iterdir()) == sorted(
        [broken.name, f"{broken.name}.report.txt", mixed.name, f"{mixed.name}.report.txt"]
    )
    whole = (rejected / f"{broken.name}.report.txt").read_text(encoding="utf-8").splitlines()
    assert whole == ["行番号\t申請ID\t理由", f"-\t-\t{broken.name}: JSON として読めません（1行目）"]
    report = (rejected / f"{mixed.name}.report.txt").read_text(encoding="utf-8").splitlines()
    assert report == [
        "行番号\t申請ID\t理由",
        "3\tK07-00002\t列『宛名番号』の宛名番号 '12A4' は半角数字ではありません",
        "5\tK07-00004\t列『宛名番号』の宛名番号 '************' は半角数字ではありません",
    ]
    assert "5678" not in out  # masked on the screen too
    assert sorted(stored(tmp_path)) == ["K07-00001", "K07-00003"]  # the good rows taken

    fixed = drop / "申請_1205_訂正.csv"
    pd.DataFrame(good).to_csv(fixed, index=False, encoding="cp932")
    settled(fixed)
    code, out = renkei(tmp_path, "sync")

    assert code == 0 and "取り込み 2 件" in out and "取り込み済みで変更のない行 2 件" in out, out
    assert sorted(stored(tmp_path)) == [f"K07-{i:05d}" for i in range(1, 5)]
    assert (drop / "done" / fixed.name).exists()
    assert not (drop / "done" / f"{fixed.name}.report.txt").exists()


# --- end to end ---------------------------------------------------------------------------


def test_synced_applications_are_keyed_into_the_core_system(
    tmp_path: Path, shinsei: str, core: Core
) -> None:
    post_residents(core.url, [p for p, _ in applications.people("kosodate", 2)])
    core._call("/kaigo/_testing/insured", "POST", [p for p, _ in applications.people("kaigo", 2)])
    vendor.insert_rows(
        shinsei, vendor.demo_rows(vendor.JIDOU, 2) + vendor.demo_rows(vendor.KAIGO, 2)
    )
    (tmp_path / "sources.yaml").write_text(sql_yaml(shinsei), encoding="utf-8")
    settings = installation_settings(tmp_path, core.url)
    settings.sources_file = tmp_path / "sources.yaml"
    os.environ["SHINSEI_PASSWORD"] = SECRET
    try:
        [report] = sync_sources(settings)
    finally:
        del os.environ["SHINSEI_PASSWORD"]
    assert report.error is None and len(report.taken) == 4

    db = Database(settings.db_url)
    try:
        run_once(settings, db=db)
        after = rows(db)
    finally:
        db.dispose()

    assert {a.id: a.status for a in after.values()} == dict.fromkeys(after, "keyed")
    for app in after.values():
        [record] = _form_records(core, app)  # registered once, with the receipt written back
        assert record["receipt_no"] == app.receipt_no


def _form_records(core: Core, app: Any) -> list[dict[str, Any]]:
    """The data-driven screens keep their records per procedure (tests/test_e2e_procedures)."""
    return [
        r
        for r in core._call(f"/_testing/forms/{app.procedure}")
        if r["remarks"].endswith(f"[renkei:{app.id}]")
    ]


def test_the_example_sources_file_is_valid() -> None:
    from bots.sources.config import load_sources

    found = load_sources(REPO / "sources.example.yaml")
    assert sorted(found) == ["export", "shinsei"]
    assert found["shinsei"].procedures["K07"].data == "申請内容"
