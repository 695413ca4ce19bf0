"""Core systems without an inquiry screen (``already_keyed: none``) or a 受付番号
(``receipt: none``), end to end against the real mock.

The 子育て recipe is copied into tmp_path and changed as an IT officer would for such a
system (``RENKEI_RECIPES`` points at the copy). The safe rule is checked where a user would:
an application whose attempt may have pressed 登録 is never keyed again by the bot — the
mock keeps one record — but waits in 要確認 with a reason the clerk can act on, and their
再実行 is what lets the bot key it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from e2e_helpers import ROOT, rows, update_row

from bots.cli.main import cli
from bots.cli.output import progress
from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import application_id, seed
from bots.engine.runner import MAY_BE_KEYED, NO_RECEIPT, UNVERIFIABLE
from bots.errors import RecipeError
from bots.queue.db import Database
from bots.recipe.model import load_recipe
from bots.review import ReviewError, ReviewQueue
from bots.service import load_recipes, run_once

RECIPE = ROOT / "recipes" / "jidou_teate_nintei.yaml"
INQUIRY = re.compile(r"(?ms)^already_keyed:\n.*?(?=^steps:)")
RECEIPT = re.compile(r"(?m)^receipt: .*$")
#: ``install(inquiry=…, receipt=…)`` (the fixture below)
Install = Callable[..., None]


RECEIPT_COLUMN = "      receipt: inquiry.result_receipt_no\n"


def _changed(*, inquiry: bool = True, receipt: bool = True, column: bool = True) -> str:
    text = RECIPE.read_text(encoding="utf-8")
    if not column:  # an inquiry screen that shows no 受付番号
        assert text.count(RECEIPT_COLUMN) == 1
        text = text.replace(RECEIPT_COLUMN, "")
    if not inquiry:
        text, n = INQUIRY.subn("already_keyed: none   # no inquiry screen\n\n", text)
        assert n == 1
    if not receipt:
        text, n = RECEIPT.subn("receipt: none   # no receipt number", text)
        assert n == 1
    return text


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(inquiry=…, receipt=…)``: the changed copy becomes the installation's only
    recipe (for runs, the CLI and review alike)."""

    def make(*, inquiry: bool = True, receipt: bool = True, column: bool = True) -> None:
        folder = tmp_path / "recipes"
        folder.mkdir(exist_ok=True)
        shutil.copy(ROOT / "recipes" / "gaiji.txt", folder / "gaiji.txt")
        text = _changed(inquiry=inquiry, receipt=receipt, column=column)
        (folder / RECIPE.name).write_text(text, "utf-8")
        monkeypatch.setenv("RENKEI_RECIPES", str(folder))

    yield make


def _env(settings: Settings) -> dict[str, str]:
    return {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_AUDIT_DIR": str(settings.audit_dir),
    }


def _left_keying(db: Database, app_id: str) -> None:
    """What a run killed after pressing 登録 leaves: ``keying``, marked, its lease held by a
    runner that is gone, no outcome written."""
    update_row(
        db,
        app_id,
        status=Status.KEYING.value,
        needs_verification=True,
        receipt_no=None,
        keyed_at=None,
        reason=None,
        acquired_by="dead-runner:1",
        acquired_until=datetime.utcnow() - timedelta(minutes=1),
    )


def _review(settings: Settings, db: Database) -> ReviewQueue:
    """The exception queue with the installation's recipes as they are now."""
    return ReviewQueue(db, settings.audit_dir, settings.out_root, load_recipes(settings))


def _goto_screens(audit_path: Path) -> list[str]:
    events = [json.loads(line) for line in audit_path.read_text().splitlines()]
    return [e["detail"] for e in events if e["step"] == "goto"]


# --- already_keyed: none -----------------------------------------------------------------


def test_without_an_inquiry_screen_applications_are_keyed_as_usual(
    install: Install, settings: Settings, db: Database, core: Any
) -> None:
    install(inquiry=False)
    seed(db, 2, core.url, problems=False)

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.KEYED] * 2
    for i in range(2):
        row = rows(db)[application_id(i)]
        [record] = core.records_for(application_id(i))
        assert row.status == Status.KEYED.value and row.receipt_no == record["receipt_no"]
    assert "inquiry" not in _goto_screens(result.audit_path)


def test_an_application_a_killed_run_left_is_sent_to_review_not_keyed_twice(
    install: Install, settings: Settings, db: Database, core: Any
) -> None:
    install(inquiry=False)
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    run_once(settings, db=db)
    assert len(core.records_for(app_id)) == 1
    _left_keying(db, app_id)  # the run died after 登録, before writing 連携済

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.NEEDS_REVIEW]
    row = rows(db)[app_id]
    assert row.status == Status.NEEDS_REVIEW.value
    assert row.reason == MAY_BE_KEYED["marked"] + UNVERIFIABLE
    assert row.reason.startswith("前回の処理で登録ボタンを押した可能性があります。")
    assert "『手入力済』" in row.reason and "『再実行』" in row.reason
    assert len(core.records_for(app_id)) == 1  # not keyed a second time
    assert _goto_screens(result.audit_path) == []  # the browser never typed anything
    report = result.report_path.read_text(encoding="utf-8")
    assert "照会画面がないため" in report

    again = run_once(settings, db=db)  # 要確認 waits for a person: no run takes it

    assert again.items == [] and len(core.records_for(app_id)) == 1


def test_the_clerks_retry_lets_the_bot_key_one_that_was_not_registered(
    install: Install, settings: Settings, db: Database, core: Any
) -> None:
    install(inquiry=False)
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    _left_keying(db, app_id)  # killed after marking keying, before the core system wrote
    run_once(settings, db=db)
    assert rows(db)[app_id].status == Status.NEEDS_REVIEW.value
    assert core.records_for(app_id) == []

    retried = CliRunner().invoke(
        cli,
        ["review", "retry", app_id, "--note", "基幹システムに未登録を確認", "--by", "sato"],
        env=_env(settings),
    )
    assert retried.exit_code == 0, retried.output
    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.KEYED]
    row = rows(db)[app_id]
    [record] = core.records_for(app_id)
    assert row.status == Status.KEYED.value and row.receipt_no == record["receipt_no"]


def test_a_failure_after_pressing_register_goes_to_review_within_the_same_claim(
    install: Install, settings: Settings, db: Database, core: Any
) -> None:
    install(inquiry=False)
    core.set_faults(register_500_rate=1.0)  # every 登録 answered 500
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.NEEDS_REVIEW]
    row = rows(db)[app_id]
    assert row.reason == MAY_BE_KEYED["pressed"] + UNVERIFIABLE
    assert row.attempts == 1  # one claim: the retry inside it stopped before typing
    assert core.records_for(app_id) == []


def test_verify_all_on_a_system_without_inquiry_leaves_each_to_a_person(
    install: Install, settings: Settings, db: Database, core: Any
) -> None:
    install(inquiry=False)
    seed(db, 1, core.url, problems=False)
    settings.verify = "always"  # after restoring the management database

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.NEEDS_REVIEW]
    assert rows(db)[application_id(0)].reason == MAY_BE_KEYED["verify_always"] + UNVERIFIABLE
    assert core.records() == []


def test_with_an_inquiry_screen_a_left_application_is_still_looked_up(
    settings: Settings, db: Database, core: Any
) -> None:
    """The shipped recipe (no ``none``): the same leftover is found, not sent to review."""
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    run_once(settings, db=db)
    _left_keying(db, app_id)

    result = run_once(settings, db=db)

    assert [i.outcome for i in result.items] == [OutcomeKind.ALREADY_KEYED]
    assert len(core.records_for(app_id)) == 1


# --- receipt: none -----------------------------------------------------------------------


def test_without_a_receipt_number_keyed_is_recorded_and_reported_as_such(
    install: Install,
    settings: Settings,
    db: Database,
    core: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    install(receipt=False)
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)

    result = run_once(settings, db=db)

    [item] = result.items
    assert (item.outcome, item.receipt_no) == (OutcomeKind.KEYED, None)
    row = rows(db)[app_id]
    assert (row.status, row.receipt_no, row.reason) == (Status.KEYED.value, None, NO_RECEIPT)
    assert len(core.records_for(app_id)) == 1
    summary = json.loads((result.out_dir / "summary.json").read_text(encoding="utf-8"))
    [shown] = summary["items"]
    assert (shown["receipt_no"], shown["receipt_display"]) == (None, "受付番号なし")
    report = result.report_path.read_text(encoding="utf-8")
    assert "<td>受付番号なし</td>" in report
    with progress(1, tty=False) as report_item:
        report_item(item)
    assert capsys.readouterr().out.strip() == f"{app_id}  連携済  受付番号なし"


def test_an_inquiry_without_a_receipt_column_still_finds_what_was_keyed(
    install: Install, settings: Settings, db: Database, core: Any
) -> None:
    """``receipt: none`` with an inquiry screen: find_existing needs no 受付番号 column, and
    an application a killed run left is found there and recorded 連携済 without one."""
    install(receipt=False, column=False)
    seed(db, 1, core.url, problems=False)
    app_id = application_id(0)
    run_once(settings, db=db)
    _left_keying(db, app_id)

    result = run_once(settings, db=db)

    [item] = result.items
    assert (item.outcome, item.receipt_no) == (OutcomeKind.ALREADY_KEYED, None)
    assert rows(db)[app_id].status == Status.KEYED.value
    assert len(core.records_for(app_id)) == 1  # not keyed twice


def test_find_existing_without_a_receipt_column_is_refused_where_the_system_gives_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / RECIPE.name
    path.write_text(_changed(column=False), "utf-8")
    text = path.read_text(encoding="utf-8")

    with pytest.raises(RecipeError) as caught:
        load_recipe(path, ROOT / "selectors")

    line = text[: text.index("  - find_existing:")].count("\n") + 1
    assert str(caught.value) == (
        f"{path}:{line}:5: find_existing needs 'receipt', the column with the 受付番号: this "
        "core system gives one ('receipt:'), and a found application is recorded with it"
    )


def test_done_by_hand_needs_no_receipt_only_where_the_system_gives_none(
    install: Install, settings: Settings, db: Database, core: Any
) -> None:
    seed(db, 2, None, problems=False)
    first, second = application_id(0), application_id(1)
    for app_id in (first, second):
        update_row(db, app_id, status=Status.NEEDS_REVIEW.value, reason="基幹システムのエラー")

    assert _review(settings, db).receipt_required(first)
    with pytest.raises(ReviewError, match=r"^受付番号（--receipt）を入力してください$"):
        _review(settings, db).done(first, None, "窓口で入力")  # the shipped recipe gives one
    with pytest.raises(ReviewError, match="受付番号の形式ではありません"):
        _review(settings, db).done(first, "JT123", "窓口で入力")
    assert rows(db)[first].status == Status.NEEDS_REVIEW.value

    install(receipt=False)
    assert not _review(settings, db).receipt_required(first)
    _review(settings, db).done(first, None, "窓口で入力", who="sato")
    _review(settings, db).done(second, "  ", "窓口で入力", who="sato")

    for app_id in (first, second):
        row = rows(db)[app_id]
        assert (row.status, row.receipt_no, row.keyed_by) == (Status.KEYED.value, None, "sato")
        assert row.reason == "手入力で連携済（受付番号なし、窓口で入力）"
    log = (settings.audit_dir / "review.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["receipt_no"] is None


# --- the loader --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        pytest.param(
            lambda t: INQUIRY.sub("", t),
            None,
            "'already_keyed' is required: steps ending in 'find_existing' that look the "
            "application up on the inquiry screen, or 'already_keyed: none' for a core system "
            "without one (an application that may have been registered then goes to 要確認)",
            id="already_keyed-missing",
        ),
        pytest.param(
            lambda t: INQUIRY.sub("already_keyed:\n\n", t),
            124,
            "'already_keyed' is required: steps ending in 'find_existing'",
            id="already_keyed-empty",
        ),
        pytest.param(
            lambda t: INQUIRY.sub("already_keyed: nothing\n\n", t),
            124,
            "already_keyed: 'nothing' is not understood: give steps ending in 'find_existing'",
            id="already_keyed-other-word",
        ),
        pytest.param(
            lambda t: RECEIPT.sub("", t),
            None,
            "'receipt' is required: the 受付番号's {pattern, example}, or 'receipt: none' for "
            "a core system that gives no receipt number",
            id="receipt-missing",
        ),
        pytest.param(
            lambda t: RECEIPT.sub("receipt:", t),
            12,
            "'receipt' is required: the 受付番号's {pattern, example}, or 'receipt: none'",
            id="receipt-empty",
        ),
        pytest.param(
            lambda t: RECEIPT.sub("receipt: None", t),
            12,
            "receipt: 'None' is not understood: give the 受付番号's {pattern, example}, or "
            "'receipt: none'",
            id="receipt-capitalised",
        ),
    ],
)
def test_a_missing_or_wrong_key_names_the_none_alternative(
    tmp_path: Path, change: Callable[[str], str], line: int | None, message: str
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(change(RECIPE.read_text(encoding="utf-8")), encoding="utf-8")

    with pytest.raises(RecipeError) as caught:
        load_recipe(path, ROOT / "selectors")

    where, _, text = str(caught.value).partition(": ")
    assert where.startswith(f"{path}:{line}:" if line else f"{path}:")  # None: the file's
    assert text.startswith(message)


def test_both_none_load_and_say_so(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(_changed(inquiry=False, receipt=False), encoding="utf-8")

    recipe = load_recipe(path, ROOT / "selectors")

    assert (recipe.inquiry, recipe.already_keyed, recipe.receipt) == (False, [], None)
    assert not recipe.gives_receipt
    assert recipe.receipt_problem("anything") is None
