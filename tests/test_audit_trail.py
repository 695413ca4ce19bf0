"""``renkei audit trail`` and ``renkei audit export`` as an auditor uses them.

One real installation per module: a first real run (Chromium against the mock) sends an
application with an impossible birth date to 要確認 and keys another; a clerk corrects it
with ``renkei review edit``; a second run keys it. The auditor then follows it (by id, by
宛名番号, as JSON), takes the export of the period (CSV and Excel, read back with pandas),
and — on a copy — finds a deleted screenshot reported.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from e2e_helpers import clean, installation_settings, rows, update_row

from bots.cli.main import cli
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.queue.schema import AttemptRow
from bots.service import run_once

ROOT = Path(__file__).resolve().parent.parent
TOKYO = ZoneInfo("Asia/Tokyo")
BAD = application_id(4)  # seed(..., problems=True): an impossible child birth date
OTHER = application_id(0)  # keyed on the first run
SAME_ATENA = application_id(1)  # not resolved yet, filed under BAD's 宛名番号 (a sibling's)
HEADERS = [
    "種別",
    "日時",
    "終了日時",
    "申請ID",
    "宛名番号",
    "手続",
    "手続名",
    "実行ID",
    "実行者・操作者",
    "結果・操作",
    "理由・メモ",
    "受付番号",
    "画面写真（枚）",
    "訂正した項目",
    "記録",
]


@dataclass
class Installation:
    base: Path
    runs: list[str]
    receipt: str  # what the mock's record of BAD holds
    atena: str
    secrets: list[str]  # BAD's and OTHER's 個人番号 and 口座番号, as stored and as keyed
    attempts: list[AttemptRow]  # BAD's, in order
    day: date  # the JST day of the runs

    def env(self) -> dict[str, str]:
        return {
            "RENKEI_DB": f"sqlite:///{self.base / 'renkei.db'}",
            "RENKEI_OUT": str(self.base / "runs"),
            "RENKEI_AUDIT_DIR": str(self.base / "audit"),
            "RENKEI_KEY_DIR": str(self.base / "keys"),
        }

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env())

    def export(self, *args: str) -> tuple[Result, Path]:
        fmt = args[args.index("--format") + 1] if "--format" in args else "csv"
        out = self.base / f"export-{len(list(self.base.glob('export-*')))}.{fmt}"
        return self.cli("audit", "export", *args, "--out", str(out)), out


def _secrets(data: dict[str, Any]) -> list[str]:
    my_number, account = data["applicant"]["my_number"], data["bank"]["account_no"]
    return [my_number, clean(my_number), account]


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[Installation]:
    base = tmp_path_factory.mktemp("trail")
    settings = installation_settings(base, core_url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RENKEI_KEY_DIR", str(base / "keys"))
        from conftest import Core

        core = Core(core_url)
        core.reset()
        db = Database(settings.db_url)
        seed(db, 5, core_url, problems=True)
        atena = rows(db)[BAD].atena_no
        for index in (1, 2, 3):  # only BAD and OTHER go to the bot
            update_row(db, application_id(index), status=Status.RECEIVED.value)
        update_row(db, SAME_ATENA, atena_no=atena)
        first = run_once(settings, db=db)
        assert rows(db)[BAD].status == Status.NEEDS_REVIEW.value
        edited = CliRunner().invoke(
            cli,
            ["review", "edit", BAD, "--set", "children.1.birth_date=2019-02-28"]
            + ["--note", "申請者に電話で確認", "--by", "suzuki"],
            env={"RENKEI_DB": settings.db_url, "RENKEI_AUDIT_DIR": str(settings.audit_dir)},
        )
        assert edited.exit_code == 0, edited.output
        second = run_once(settings, db=db)
        assert rows(db)[BAD].status == Status.KEYED.value
        [record] = core.records_for(BAD)
        with db.session() as s:
            attempts = list(s.query(AttemptRow).filter_by(application_id=BAD).order_by("id"))
        secrets = _secrets(rows(db)[BAD].data) + _secrets(rows(db)[OTHER].data)
        db.dispose()
        day = attempts[0].started_at.replace(tzinfo=UTC).astimezone(TOKYO).date()
        yield Installation(
            base,
            [first.run_id, second.run_id],
            record["receipt_no"],
            atena,
            secrets,
            attempts,
            day,
        )


def _shown(moment: datetime) -> str:
    """A database time (naive UTC) as the trail shows it, computed here independently."""
    t = moment.replace(tzinfo=UTC).astimezone(TOKYO)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M:%S}"


def _no_secret(text: str, inst: Installation) -> None:
    for value in inst.secrets:
        assert value not in text


# --- the trail ------------------------------------------------------------------------------


def test_trail_follows_the_application_across_both_runs_and_the_edit(
    origin: Installation,
) -> None:
    result = origin.cli("audit", "trail", BAD)

    assert result.exit_code == 0, result.output
    out = result.output
    assert f"申請 {BAD}  児童手当 認定請求（jidou_teate_nintei）" in out
    assert f"宛名番号: {origin.atena}  現在の状態: 連携済" in out
    assert f"受付番号: {origin.receipt}（" in out
    first, second = origin.attempts
    assert f"試行 {first.id}  {_shown(first.started_at)}" in out
    assert f"試行 {second.id}  {_shown(second.started_at)}" in out
    lines = out.splitlines()

    def where(*parts: str) -> int:
        return next(i for i, line in enumerate(lines) if all(p in line for p in parts))

    refused = where(f"実行 {origin.runs[0]}", "結果", "［要確認］", "2019-02-30 は存在しない日付")
    edit = where("操作記録", "訂正", "操作者: suzuki", "「申請者に電話で確認」")
    assert lines[edit + 1].strip() == "訂正: 児童1 生年月日: 2019-02-30 → 2019-02-28"
    pressed = where(f"実行 {origin.runs[1]}", "登録", "［押下］")
    accepted = where(f"実行 {origin.runs[1]}", "登録", "［受付］")
    keyed = where(f"実行 {origin.runs[1]}", "結果", "［連携済］", f"受付番号 {origin.receipt}")
    assert refused < edit < pressed < accepted < keyed
    stamps = [re.match(r"  (\d{4}年\d+月\d+日 \d\d:\d\d:\d\d)  ", line) for line in lines]
    times = [m[1] for m in stamps if m]
    assert len(times) > 20 and times == sorted(times, key=_order)  # time order, JST
    assert "入力  nintei_entry.my_number  値: ************" in out
    assert OTHER not in out  # the other application of the same runs is not in this trail
    shots = [line for line in lines if line.endswith("…）") and ".png" in line]
    assert len(shots) == 2 and all("  一致（SHA-256 " in s for s in shots)
    assert lines[-1].strip() == "検証結果: 改ざんは見つかりませんでした（実行 2 件、操作記録 1 件）"
    _no_secret(out, origin)


def _order(stamp: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", stamp))


def test_a_deleted_screenshot_is_said_in_the_trail(origin: Installation, tmp_path: Path) -> None:
    copy = Installation(**{**origin.__dict__, "base": tmp_path / "inst"})
    shutil.copytree(origin.base, copy.base)
    [shot] = (copy.base / "runs" / origin.runs[1]).glob(f"screenshots/{BAD}/*/01_*.png")
    shot.unlink()

    result = copy.cli("audit", "trail", BAD)

    assert result.exit_code == 1
    assert f"{shot}  ファイルがありません" in result.output
    assert "画面写真 01_before_register.png（ファイルがありません）" in result.output
    assert "がありません（削除の疑い）" in result.output and "検証結果: 問題 1 件" in result.output


def test_trail_by_atena_and_as_json(origin: Installation) -> None:
    by_atena = origin.cli("audit", "trail", "--atena", origin.atena)
    as_json = origin.cli("audit", "trail", BAD, "--json")

    assert by_atena.exit_code == 0, by_atena.output
    assert f"申請 {BAD}  " in by_atena.output and f"申請 {SAME_ATENA}  " in by_atena.output
    assert "現在の状態: 受付" in by_atena.output  # the sibling's, not yet resolved
    document = json.loads(as_json.output)
    assert document["id"] == BAD and document["status"] == "連携済"
    assert document["receipt_no"] == origin.receipt and document["verified"] is True
    assert [a["outcome"] for a in document["attempts"]] == ["要確認", "連携済"]
    assert [a["run_id"] for a in document["attempts"]] == origin.runs
    [edit] = [e for e in document["events"] if e["step"] == "hand"]
    assert (edit["who"], edit["detail"], edit["outcome"]) == (
        "suzuki",
        "申請者に電話で確認",
        "連携待ち",
    )
    assert edit["changes"] == ["児童1 生年月日: 2019-02-30 → 2019-02-28"]
    assert len(document["shots"]) == 2 and all(s["intact"] for s in document["shots"])
    assert datetime.fromisoformat(document["events"][0]["at"]).utcoffset() == timedelta(hours=9)
    _no_secret(as_json.output + by_atena.output, origin)
    atena_json = json.loads(origin.cli("audit", "trail", "--atena", origin.atena, "--json").output)
    assert [d["id"] for d in atena_json] == [SAME_ATENA, BAD]  # by received time


def test_unknown_application_or_atena_is_an_error(origin: Installation) -> None:
    unknown = origin.cli("audit", "trail", "JT-2099-000001")
    nobody = origin.cli("audit", "trail", "--atena", "9999999999")
    both = origin.cli("audit", "trail", BAD, "--atena", origin.atena)

    assert unknown.exit_code == 1
    assert "申請 JT-2099-000001 の記録はありません" in unknown.output
    assert nobody.exit_code == 1 and "宛名番号 9999999999 の申請は" in nobody.output
    assert both.exit_code == 2 and "どちらか一つ" in both.output


# --- the export -----------------------------------------------------------------------------


def _period(inst: Installation, start: date, end: date) -> list[str]:
    return ["--from", start.isoformat(), "--to", end.isoformat()]


def test_export_csv_has_every_attempt_and_the_edit_masked(origin: Installation) -> None:
    result, out = origin.export(*_period(origin, origin.day, origin.day), "--format", "csv")

    assert result.exit_code == 0, result.output
    assert "ボットの試行 3 行、手作業 1 行" in result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so Excel reads the Japanese
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == HEADERS
    mine = table[table["申請ID"] == BAD]
    assert list(mine["種別"]) == ["ボットの試行", "手作業", "ボットの試行"]
    refused, edit, keyed = (row for _, row in mine.iterrows())
    first, second = origin.attempts
    assert (refused["実行ID"], refused["結果・操作"]) == (origin.runs[0], "要確認")
    assert "2019-02-30 は存在しない日付" in refused["理由・メモ"]
    assert refused["日時"] == _shown(first.started_at) and refused["画面写真（枚）"] == "0"
    assert (edit["実行者・操作者"], edit["結果・操作"]) == ("suzuki", "訂正（→ 連携待ち）")
    assert edit["理由・メモ"] == "申請者に電話で確認"
    assert edit["訂正した項目"] == "児童1 生年月日: 2019-02-30 → 2019-02-28"
    assert (keyed["受付番号"], keyed["画面写真（枚）"]) == (origin.receipt, "2")
    assert keyed["日時"] == _shown(second.started_at) and keyed["宛名番号"] == origin.atena
    assert set(table["手続名"]) == {"児童手当 認定請求"}
    assert table[table["申請ID"] == OTHER]["結果・操作"].tolist() == ["連携済"]
    _no_secret(raw.decode("utf-8-sig"), origin)


def test_export_xlsx_reads_back_with_times_and_no_secret(origin: Installation) -> None:
    result, out = origin.export(*_period(origin, origin.day, origin.day), "--format", "xlsx")

    assert result.exit_code == 0, result.output
    table = pd.read_excel(out, dtype={"宛名番号": str, "受付番号": str})
    assert list(table.columns) == HEADERS and len(table) == 4
    keyed = table[(table["申請ID"] == BAD) & (table["種別"] == "ボットの試行")].iloc[-1]
    started = origin.attempts[1].started_at.replace(tzinfo=UTC).astimezone(TOKYO)
    assert keyed["日時"] == pd.Timestamp(started.replace(tzinfo=None, microsecond=0))
    assert keyed["受付番号"] == origin.receipt and keyed["宛名番号"] == origin.atena
    with zipfile.ZipFile(out) as book:  # every part of the file, not only what pandas reads
        text = "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    _no_secret(text, origin)
    assert "申請者に電話で確認" in text


def test_export_filters_by_day_and_procedure(origin: Installation) -> None:
    day, one = origin.day, timedelta(days=1)
    before, _ = origin.export(*_period(origin, day - one, day - one))
    after, _ = origin.export(*_period(origin, day + one, day + one))
    kaigo, empty = origin.export(*_period(origin, day - one, day + one), "-p", "kaigo_nintei")
    jidou, _ = origin.export(*_period(origin, day - one, day + one), "-p", "jidou_teate_nintei")

    for result in (before, after, kaigo):
        assert result.exit_code == 0 and "ボットの試行 0 行、手作業 0 行" in result.output
    assert list(pd.read_csv(empty, encoding="utf-8-sig").columns) == HEADERS
    assert "ボットの試行 3 行、手作業 1 行" in jidou.output


def test_export_refuses_bad_dates(origin: Installation) -> None:
    impossible, _ = origin.export("--from", "2026-02-30", "--to", "2026-03-01")
    reversed_, _ = origin.export("--from", "2026-12-05", "--to", "2026-12-01")
    unknown, _ = origin.export("--from", "2026-12-01", "--to", "2026-12-01", "-p", "nothing")

    assert impossible.exit_code == 1
    assert "--from の日付「2026-02-30」が読めません" in impossible.output
    assert reversed_.exit_code == 1
    assert "期間の開始（--from 2026-12-05）が終了（--to 2026-12-01）より後" in reversed_.output
    assert unknown.exit_code == 1 and "手続 'nothing' はありません" in unknown.output
