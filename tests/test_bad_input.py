"""Bad input: malformed applications and unreadable import files are never keyed, never lost.

Two corpora under ``tests/corpus/``:

* ``applications.yaml`` — malformed 児童手当 認定請求 applications. Each one spoils a valid
  seeded application; the whole corpus goes through ONE end-to-end run (real Chromium, the
  real mock core system), and every case is then checked on its own: 要確認 with a precise
  reason, and nothing of it in the core system. A few controls in the same run (values the
  bot normalises) must be keyed.
* ``import/`` — files for ``renkei import``: each is refused as a whole with a message that
  names the file and the problem, or each bad row is reported with its row number; nothing
  of a refused row reaches the management database. Files that cannot be kept as text in
  the repository (UTF-16, EUC-JP, binary) are written by the tests.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jaconv
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, Core
from corpus_edits import (
    case_ids as _ids,
)
from corpus_edits import (
    convert_path as _convert,
)
from corpus_edits import (
    delete_path as _delete,
)
from corpus_edits import (
    set_path as _set,
)
from e2e_helpers import rows, set_data, update_row
from sqlalchemy import select

from bots import transforms
from bots.cli.main import cli
from bots.config import Settings
from bots.contracts import Status
from bots.demo.fake import make_dataset
from bots.demo.seed import application_id, post_residents, seed
from bots.intake.importer import ImportFileError, import_file
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.recipe.model import load_all
from bots.results import ItemResult, RunResult
from bots.service import run_once

CORPUS = Path(__file__).resolve().parent / "corpus"
IMPORTS = CORPUS / "import"
PROCEDURE = "jidou_teate_nintei"

SPEC = yaml.safe_load((CORPUS / "applications.yaml").read_text(encoding="utf-8"))
CONTROLS: list[dict[str, Any]] = SPEC["controls"]
CASES: list[dict[str, Any]] = SPEC["cases"]
ALL = CONTROLS + CASES  # the claim order of the run
STAGES = {"data", "resident", "core"}
DATA_PREFIX = "申請データに不備があります"


# --- applying a case's change to a seeded application ------------------------------------


def apply_change(change: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """The edit of the form data a corpus case describes (see the corpus's header)."""
    known = {"set", "delete", "children_count", "hankaku_kana", "hiragana", "atena_no"}
    unknown = set(change) - known
    assert not unknown, f"unknown change keys {unknown} in the corpus"

    def edit(data: dict[str, Any]) -> None:
        for path, value in (change.get("set") or {}).items():
            _set(data, path, value)
        for path in change.get("delete") or []:
            _delete(data, path)
        if "children_count" in change:
            first = data["children"][0]
            data["children"] = [copy.deepcopy(first) for _ in range(change["children_count"])]
        for path in change.get("hankaku_kana") or []:
            _convert(data, path, lambda s: str(jaconv.z2h(s, kana=True, ascii=True)))
        for path in change.get("hiragana") or []:
            _convert(data, path, lambda s: str(jaconv.kata2hira(s)))

    return edit


def test_corpus_is_well_formed() -> None:
    ids = _ids(ALL)
    assert len(set(ids)) == len(ids), "case ids must be unique"
    assert len(CASES) >= 40
    for case in CASES:
        assert set(case) <= {"id", "why", "change", "stage", "expect_reason", "expect_core"}
        assert case["why"] and case["stage"] in STAGES, case["id"]
        assert case.get("expect_reason"), f"{case['id']}: say what the reason must contain"
        assert (case["stage"] == "core") == bool(case.get("expect_core")), case["id"]
        apply_change(case["change"])  # checks the keys


# --- one run over the whole corpus -------------------------------------------------------


@dataclass
class CorpusRun:
    result: RunResult
    app_ids: dict[str, str]  # case id → application id
    rows: dict[str, ApplicationRow]
    items: dict[str, ItemResult]
    records: list[dict[str, Any]]  # everything the core system holds after the run
    secrets: dict[str, str]  # application id → its personal number as keyed

    def records_for(self, app_id: str) -> list[dict[str, Any]]:
        tag = f"[renkei:{app_id}]"
        return [r for r in self.records if tag in (r.get("remarks") or "")]


def _seed(db: Database, core_url: str, n: int) -> str:
    """``n`` valid resolved applications and their residents; returns a spare resident's 宛名番号.

    What ``bots.demo.seed.seed(db, n, core_url, problems=False)`` does; it cannot be used
    here because it fails for n ≥ 38 (see test_demo_seed_takes_full_width_dates).
    """
    households = make_dataset(n + 1, seed=2026)  # the last resident has no application
    with db.session() as s:
        for index, (resident, data) in enumerate(households[:n]):
            s.add(
                ApplicationRow(
                    id=application_id(index),
                    procedure=PROCEDURE,
                    received_at=datetime(2026, 11, 20, 9, 0),
                    status=Status.RESOLVED.value,
                    atena_no=resident["atena_no"],
                    data=data,
                    attempts=0,
                    needs_verification=False,
                )
            )
    post_residents(core_url, [resident for resident, _ in households])
    return str(households[n][0]["atena_no"])


def test_demo_seed_takes_full_width_dates(tmp_path: Path) -> None:
    """Household 38 of the demo data arrives with a full-width claim date (２０２６－１０－２４),
    as residents type it; seeding it must not fail (the bot itself normalises such dates)."""
    db = Database(f"sqlite:///{tmp_path / 'seed.db'}")
    try:
        report = seed(db, len(ALL), None, problems=False)
    finally:
        db.dispose()
    assert report.created == len(ALL)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[CorpusRun]:
    base = tmp_path_factory.mktemp("bad_input")
    settings = Settings(
        root=ROOT,
        db_url=f"sqlite:///{base / 'renkei.db'}",
        core_url=core_url,
        out_root=base / "runs",
    )
    core = Core(core_url)
    core.reset()
    db = Database(settings.db_url)
    try:
        neighbour = _seed(db, core_url, len(ALL))
        first = datetime(2026, 11, 20, 9, 0)
        app_ids: dict[str, str] = {}
        secrets: dict[str, str] = {}
        seeded = rows(db)
        for index, case in enumerate(ALL):
            app_id = application_id(index)
            app_ids[case["id"]] = app_id
            my_number = seeded[app_id].data["applicant"]["my_number"]
            secrets[app_id] = str(transforms.apply(["my_number"], my_number))
            set_data(db, app_id, apply_change(case["change"]))
            values: dict[str, Any] = {"received_at": first + timedelta(minutes=index)}
            if "atena_no" in case["change"]:
                atena = case["change"]["atena_no"]
                values["atena_no"] = neighbour if atena == "@neighbour" else atena
            update_row(db, app_id, **values)

        result = run_once(settings, db=db)

        yield CorpusRun(
            result=result,
            app_ids=app_ids,
            rows=rows(db),
            items={item.application_id: item for item in result.items},
            records=core.records(),
            secrets=secrets,
        )
    finally:
        db.dispose()


def test_the_run_went_through_every_application(corpus_run: CorpusRun) -> None:
    """No bad application may stop the run: the ones after it would wait for nothing."""
    result = corpus_run.result
    assert result.stopped == {}, f"the run stopped: {result.stopped}"
    processed = [item.application_id for item in result.items]
    assert sorted(processed) == sorted(corpus_run.app_ids.values())


@pytest.mark.parametrize("case", CONTROLS, ids=_ids(CONTROLS))
def test_control_is_keyed_once(corpus_run: CorpusRun, case: dict[str, Any]) -> None:
    app_id = corpus_run.app_ids[case["id"]]
    row = corpus_run.rows[app_id]
    assert row.status == Status.KEYED.value, (row.status, row.reason, row.core_message)
    [record] = corpus_run.records_for(app_id)
    assert record["receipt_no"] == row.receipt_no
    assert record["atena_no"] == row.atena_no


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_bad_application_needs_review_and_is_not_keyed(
    corpus_run: CorpusRun, case: dict[str, Any]
) -> None:
    app_id = corpus_run.app_ids[case["id"]]
    row = corpus_run.rows[app_id]
    item = corpus_run.items.get(app_id)
    what = f"{case['id']} ({case['why']})"

    assert corpus_run.records_for(app_id) == [], f"{what}: keyed into the core system"
    assert row.status == Status.NEEDS_REVIEW.value, (
        f"{what}: status {row.status}, reason {row.reason!r}, core {row.core_message!r}"
    )
    reason = row.reason or ""
    for expected in case["expect_reason"]:
        assert expected in reason, f"{what}: {expected!r} not in the reason {reason!r}"
    for expected in case.get("expect_core") or []:
        assert expected in (row.core_message or ""), (
            f"{what}: {expected!r} not in the core message {row.core_message!r}"
        )
    assert corpus_run.secrets[app_id] not in reason + (row.core_message or "")
    assert row.receipt_no is None

    assert item is not None
    shots = [e.label for e in item.evidence]
    if case["stage"] == "data":  # caught before the browser was used for it
        assert reason.startswith(DATA_PREFIX), f"{what}: {reason!r}"
        assert shots == []
    elif case["stage"] == "resident":  # 本人確認 failed: nothing was typed
        assert not reason.startswith(DATA_PREFIX)
        assert "before_register" not in shots
    else:  # the core system refused it: the evidence shows the form and the refusal
        assert shots == ["before_register", "needs_review"]


# --- renkei import -----------------------------------------------------------------------

# the recipes import_file checks rows with: only this procedure's
KNOWN = {PROCEDURE: load_all(ROOT / "recipes", ROOT / "selectors", ROOT)[PROCEDURE]}
CSV_TEXT = (
    "id,procedure,atena_no,applicant.name,applicant.kana,children.1.name\n"
    f"EN-0001,{PROCEDURE},0000100001,山田　太郎,ヤマダ　タロウ,山田　花子\n"
    f"EN-0002,{PROCEDURE},0000100002,高橋　一郎,タカハシ　イチロウ,高橋　桜\n"
)
CSV_EUC_DECODABLE = (
    "id,procedure,atena_no,applicant.name,applicant.kana\n"
    f"EN-0001,{PROCEDURE},0000100001,山田　太郎,ヤマダ　タロウ\n"
)
# A PNG's first bytes: what a clerk gets by saving a screenshot under the wrong name.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(
    range(256)
)


def _stored(db_url: str) -> dict[str, ApplicationRow]:
    db = Database(db_url)
    try:
        with db.session() as s:
            return {row.id: row for row in s.scalars(select(ApplicationRow))}
    finally:
        db.dispose()


def _cli_import(db_url: str, path: Path) -> Any:
    env = {
        "RENKEI_DB": db_url,
        "RENKEI_RECIPES": str(ROOT / "recipes"),
        "RENKEI_SELECTORS": str(ROOT / "selectors"),
    }
    return CliRunner().invoke(cli, ["import", str(path)], env=env)


def _file(tmp_path: Path, name: str, content: bytes | None) -> Path:
    """A corpus file as is, or a generated one written under ``tmp_path``."""
    if content is None:
        return IMPORTS / name
    path = tmp_path / name
    path.write_bytes(content)
    return path


# (file name, generated content or None for the corpus file, substrings of the message,
#  substrings the message must NOT contain)
REFUSED_FILES: list[Any] = [
    pytest.param("empty.csv", None, ["ファイルが空です"], [], id="empty-file"),
    pytest.param("header_only.csv", None, ["データ行がありません"], [], id="header-only"),
    pytest.param(
        "utf16.csv",
        CSV_TEXT.encode("utf-16"),
        ["文字コード", "UTF-16", "Shift_JIS"],
        [],
        id="utf16-with-bom",
    ),
    pytest.param(
        "utf16be.csv",
        CSV_TEXT.encode("utf-16-be"),
        ["文字コード", "UTF-16", "Shift_JIS"],
        [],
        id="utf16-without-bom",
    ),
    pytest.param(
        "eucjp.csv",
        CSV_TEXT.encode("euc_jp"),
        ["文字コード", "Shift_JIS"],
        [],
        id="euc-jp",
    ),
    pytest.param(  # these EUC-JP bytes happen to be valid cp932 too: 山田 becomes ｻｳﾅﾄ
        "eucjp_decodable.csv",
        CSV_EUC_DECODABLE.encode("euc_jp"),
        ["文字コード", "Shift_JIS"],
        [],
        id="euc-jp-that-decodes-as-cp932",
    ),
    pytest.param(
        "latin1.csv",
        f"id,procedure,atena_no,applicant.name\nEN-1,{PROCEDURE},1,José\n".encode("latin-1"),
        ["文字コード"],
        [],
        id="latin-1",
    ),
    pytest.param("screenshot.csv", PNG, [], ["UTF-16"], id="binary-named-csv"),
    pytest.param("not_excel.xlsx", None, ["Excel"], [], id="text-named-xlsx"),
    pytest.param("form.pdf", b"%PDF-1.4\n", ["対応していない形式"], [], id="pdf"),
    pytest.param(
        "sjis.json",
        json.dumps([{"id": "名前"}], ensure_ascii=False).encode("cp932"),
        ["UTF-8"],
        [],
        id="json-in-shift-jis",
    ),
    pytest.param("object.json", b'{"id": "J-1"}', ["申請の配列"], [], id="json-not-a-list"),
    pytest.param("broken.json", b'[{"id": "J-1",', ["JSON として読めません"], [], id="json-broken"),
    pytest.param(
        "no_atena.csv",
        f"id,procedure,data\nEN-1,{PROCEDURE},{{}}\n".encode(),
        ["必要な列がありません", "atena_no"],
        [],
        id="missing-column",
    ),
]


@pytest.mark.parametrize(("name", "content", "says", "never"), REFUSED_FILES)
def test_unreadable_file_is_refused_as_a_whole(
    tmp_path: Path, name: str, content: bytes | None, says: list[str], never: list[str]
) -> None:
    path = _file(tmp_path, name, content)
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    db = Database(db_url)
    try:
        with pytest.raises(ImportFileError) as caught:
            import_file(db, path, KNOWN)
    finally:
        db.dispose()
    message = str(caught.value)
    assert str(path) in message
    for text in says:
        assert text in message, f"{text!r} not in {message!r}"
    for text in never:
        assert text not in message, f"{message!r} misdiagnoses the file ({text})"
    assert _stored(db_url) == {}

    cli_db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = _cli_import(cli_db, path)

    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert result.exit_code == 1
    assert message in result.output
    assert _stored(cli_db) == {}


# Files whose rows cannot be read the ordinary way: the file may be refused as a whole
# (the message names the file and the line), or the bad row reported — never a crash.
MALFORMED_FILES: list[Any] = [
    pytest.param("ragged.csv", 3, id="row-with-extra-fields"),
    pytest.param("unclosed_quote.csv", 3, id="unclosed-quote"),
    pytest.param("zero_based_column.csv", 2, id="column-children-0"),
    pytest.param("conflicting_columns.csv", 2, id="columns-bank-and-bank-code"),
]


@pytest.mark.parametrize(("name", "bad_row"), MALFORMED_FILES)
def test_malformed_csv_is_refused_or_its_bad_row_reported(
    tmp_path: Path, name: str, bad_row: int
) -> None:
    path = IMPORTS / name
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    db = Database(db_url)
    try:
        try:
            report = import_file(db, path, KNOWN)
        except ImportFileError as exc:
            assert str(path) in str(exc) and str(bad_row) in str(exc), str(exc)
            assert _stored(db_url) == {}
        else:
            assert bad_row in [number for number, _ in report.rejected], report.rejected
            assert len(_stored(db_url)) == len(report.loaded)
    finally:
        db.dispose()

    result = _cli_import(f"sqlite:///{tmp_path / 'cli.db'}", path)

    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert result.exit_code in (1, 2) and str(path) in result.output


# row number (header = 1) → what the reason must say
BAD_CSV_ROWS = {
    3: "id が空です",
    4: "宛名番号 '00001-00003' は半角数字ではありません",
    5: "手続 'jidou_teate_nintel' のレシピがありません",
    6: "data 列が JSON として読めません",
    7: "申請ID IM-0001 がファイル内で重複しています",
    8: "received_at '令和8年11月20日' は日時として読めません",
    9: "申請内容（data）がありません",
}
# position in the array (1-based) → what the reason must say
BAD_JSON_ITEMS = {
    2: "申請がオブジェクトではありません",
    3: "宛名番号 '０００００１０００３' は半角数字ではありません",
    4: "申請内容（data）がありません",
    5: "status 'keyed' は取り込めません",
    6: "のレシピがありません",
}
BAD_ROW_FILES: list[Any] = [
    pytest.param("bad_rows.csv", BAD_CSV_ROWS, ["IM-0001", "IM-0009"], id="csv"),
    pytest.param("bad_items.json", BAD_JSON_ITEMS, ["JS-0001"], id="json"),
]


@pytest.mark.parametrize(("name", "bad", "good"), BAD_ROW_FILES)
def test_each_bad_row_is_reported_with_its_number(
    tmp_path: Path, name: str, bad: dict[int, str], good: list[str]
) -> None:
    path = IMPORTS / name
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    db = Database(db_url)
    try:
        report = import_file(db, path, KNOWN)
    finally:
        db.dispose()

    assert report.loaded == good
    assert [number for number, _ in report.rejected] == sorted(bad)
    for number, reason in report.rejected:
        assert bad[number] in reason, (number, reason)
    stored = _stored(db_url)
    assert sorted(stored) == sorted(good)
    # the duplicate row (IM-0001 again, another resident) did not overwrite the first
    for app in stored.values():
        assert app.status == Status.RESOLVED.value
    if "IM-0001" in stored:
        assert stored["IM-0001"].atena_no == "0000100001"

    cli_db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = _cli_import(cli_db, path)

    assert result.exit_code == 2, result.output
    assert f"取り込み {len(good)} 件、不備 {len(bad)} 行" in result.output
    for number, reason in bad.items():
        line = next(line for line in result.output.splitlines() if f":{number}行目: " in line)
        assert line.strip().startswith(f"{path}:{number}行目: ") and reason in line, line
    assert sorted(_stored(cli_db)) == sorted(good)


def test_no_corpus_file_is_left_out() -> None:
    named = {"empty.csv", "header_only.csv", "not_excel.xlsx", "bad_rows.csv", "bad_items.json"}
    named |= {p.values[0] for p in MALFORMED_FILES}
    assert {p.name for p in IMPORTS.iterdir()} == named
    assert os.path.getsize(IMPORTS / "empty.csv") == 0
