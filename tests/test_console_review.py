"""要確認 in the console, in real Chromium against the real server, the real bot and DB.

The installation's queue is filled by the bot itself: the demo seeder spoils four
applications the way real ones go wrong (an impossible date, the wrong resident, a bank
the core system does not know, a 外字) and one real run against the mock core system
sends them to 要確認. Staff then resolve them through the pages, and the tests check what
the person sees, what is stored, what the core system got and what the audit trail says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from console_helpers import console_server, make_users, sign_in
from e2e_helpers import clean, installation_settings, rows, update_row
from playwright.sync_api import expect

from bots.audit.history import Sources, trail_of
from bots.audit.keys import load_key
from bots.config import Settings
from bots.contracts import Status
from bots.demo.seed import application_id, seed
from bots.queue.db import Database
from bots.service import load_recipes, run_once

PROCEDURE = "jidou_teate_nintei"
SEEDED = 25
BAD_DATE, WRONG_RESIDENT, UNKNOWN_BANK, GAIJI, BAD_DATE_2 = (
    application_id(i) for i in (4, 9, 14, 19, 24)
)
KEPT = {application_id(0), application_id(1)}  # two good ones the bot keys too
STAFF, AUDITOR = "suzuki", "tanaka"


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Settings:
    """Twenty-five demo applications, five spoiled; the bot's real run fills the queue."""
    settings = installation_settings(tmp_path_factory.mktemp("console-review"), core_url)
    make_users(settings, {STAFF: "staff", AUDITOR: "auditor"})
    db = Database(settings.db_url)
    report = seed(db, SEEDED, core_url, problems=True)
    assert set(report.problems) == {BAD_DATE, WRONG_RESIDENT, UNKNOWN_BANK, GAIJI, BAD_DATE_2}
    for i in range(SEEDED):  # keep the run short: the other good ones are not this test's
        app_id = application_id(i)
        if app_id not in report.problems and app_id not in KEPT:
            update_row(db, app_id, status=Status.REJECTED.value)
    _run_bot(settings, db)
    stored = rows(db)
    assert {i for i, r in stored.items() if r.status == Status.NEEDS_REVIEW.value} == set(
        report.problems
    )
    assert all(stored[i].status == Status.KEYED.value for i in KEPT)
    db.dispose()
    return settings


@pytest.fixture(scope="module")
def url(installation: Settings) -> Iterator[str]:
    with console_server(installation) as running:
        yield running


@pytest.fixture(scope="module")
def secrets(installation: Settings) -> set[str]:
    """Every 個人番号 and 口座番号 of the seeded applications, as typed and as keyed."""
    database = Database(installation.db_url)
    found = set()
    for row in rows(database).values():
        number, account = row.data["applicant"]["my_number"], row.data["bank"]["account_no"]
        found |= {number, clean(number), account}
    database.dispose()
    return found


@pytest.fixture
def db(installation: Settings) -> Iterator[Database]:
    database = Database(installation.db_url)
    yield database
    database.dispose()


def _run_bot(settings: Settings, db: Database | None = None) -> None:
    """One run of the bot, as the scheduler starts it: in its own thread, because this
    thread drives the test's Chromium through Playwright's sync API (one per thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run_once, settings, PROCEDURE, db=db).result()


def _actions(settings: Settings, app_id: str) -> list[dict[str, Any]]:
    """The staff actions recorded for one application (review.jsonl)."""
    log = Path(settings.audit_dir) / "review.jsonl"
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return [e for e in entries if e.get("application") == app_id]


def _open(page: Any, url: str, app_id: str) -> None:
    """From the list to the application, as a person clicks."""
    page.goto(url + "/review/")
    page.locator(f"tr[data-app='{app_id}']").get_by_role("link", name=app_id).click()
    expect(page.locator("h1")).to_have_text(f"申請 {app_id}")


def test_a_staff_member_resolves_an_exception_end_to_end(
    url: str, installation: Settings, db: Database, console_page: Any, core: Any
) -> None:
    page = console_page
    before = rows(db)[BAD_DATE]
    sign_in(page, url, STAFF)
    page.goto(url + "/review/")
    row = page.locator(f"tr[data-app='{BAD_DATE}']")
    expect(row).to_contain_text("児童1 生年月日: 2019-02-30 は存在しない日付です")
    expect(row).to_contain_text("要確認")
    expect(row).to_contain_text("児童手当")
    _open(page, url, BAD_DATE)
    expect(page.get_by_test_id("history")).to_contain_text("要確認")

    form = page.get_by_test_id("edit-form")
    birth = form.get_by_label("児童1 生年月日")
    expect(birth).to_have_value("2019-02-30")
    expect(form.get_by_label("請求者個人番号")).to_have_value("")  # the mask, never the number
    birth.fill("2019-02-28")
    form.get_by_label("理由・メモ").fill("申請者に電話で確認し、生年月日を訂正")
    form.get_by_role("button", name="訂正して連携待ちに戻す").click()

    expect(page.get_by_role("status")).to_have_text(
        f"申請 {BAD_DATE} を訂正し、連携待ちに戻しました（児童1 生年月日）。次の実行でボットが登録します"
    )
    expect(page.get_by_test_id("status")).to_have_text("連携待ち")
    stored = rows(db)[BAD_DATE]
    assert stored.status == Status.RESOLVED.value
    assert stored.data["children"][0]["birth_date"] == "2019-02-28"
    assert stored.data["applicant"] == before.data["applicant"]  # the number kept as stored
    assert stored.data["bank"] == before.data["bank"]

    seed(db, SEEDED, core.url, problems=True)  # the residents again (each test resets the mock)
    _run_bot(installation)  # as the scheduler would
    assert rows(db)[BAD_DATE].status == Status.KEYED.value
    records = core.records_for(BAD_DATE)
    assert len(records) == 1
    assert records[0]["children"][0]["birth_date"] == "2019-02-28"
    assert records[0]["my_number"] == clean(before.data["applicant"]["my_number"])

    sources = Sources(db, installation.out_root, installation.audit_dir, load_recipes(installation))
    trail = trail_of(sources, BAD_DATE, load_key())
    assert trail.verified, trail.findings
    steps = [(e.step, e.who, e.outcome) for e in trail.events]
    edit_at = steps.index(("hand", STAFF, "連携待ち"))
    edit = trail.events[edit_at]
    assert edit.what == "訂正" and edit.detail == "申請者に電話で確認し、生年月日を訂正"
    assert edit.changes == ("児童1 生年月日: 2019-02-30 → 2019-02-28",)
    keyed = [i for i, e in enumerate(trail.events) if e.step == "outcome" and e.outcome == "連携済"]
    assert len(keyed) == 1 and keyed[0] > edit_at
    assert trail.events[keyed[0]].receipt_no == rows(db)[BAD_DATE].receipt_no

    # and the console's own trail page shows the same: the person's edit, then the keying
    page.goto(url + f"/audit/applications/{BAD_DATE}")
    hand = page.get_by_test_id("hand-actions").locator("tbody tr").first
    expect(hand.locator("[data-field=who]")).to_have_text(STAFF)
    expect(hand.locator("[data-field=note]")).to_have_text("申請者に電話で確認し、生年月日を訂正")
    expect(hand.locator("[data-field=change]")).to_have_text(
        "児童1 生年月日: 2019-02-30 → 2019-02-28"
    )
    attempts = page.get_by_test_id("attempts").locator("tbody tr")
    expect(attempts.last).to_contain_text(rows(db)[BAD_DATE].receipt_no or "no receipt")


def test_a_correction_the_rules_refuse_is_explained_and_nothing_is_stored(
    url: str, installation: Settings, db: Database, console_page: Any, secrets: set[str]
) -> None:
    page = console_page
    before = rows(db)[GAIJI]
    sign_in(page, url, STAFF)
    _open(page, url, GAIJI)
    form = page.get_by_test_id("edit-form")
    form.get_by_label("児童1 生年月日").fill("2019-13-01")  # 髙 left in 児童1 氏名
    form.get_by_label("理由・メモ").fill("生年月日を訂正")
    form.get_by_role("button", name="訂正して連携待ちに戻す").click()

    expect(page.locator(".flash.error")).to_have_text(
        "訂正後も申請データに不備があるため、保存していません。次の項目を直してください"
    )
    problems = page.get_by_test_id("problems").locator("li")
    expect(problems).to_have_text(
        [
            "児童1 氏名: 使用できない文字が含まれています（髙）。"
            "JIS第1・第2水準にない文字のため、外字での登録か表記の確認が必要です",
            "児童1 生年月日: 2019-13-01 は存在しない日付です",
        ]
    )
    form = page.get_by_test_id("edit-form")  # what the person typed is still there
    expect(form.get_by_label("児童1 生年月日")).to_have_value("2019-13-01")
    expect(
        form.locator("[data-item='children.1.birth_date'] [data-testid=item-problem]")
    ).to_have_text("児童1 生年月日: 2019-13-01 は存在しない日付です")  # beside the item too
    expect(form.get_by_label("理由・メモ")).to_have_value("生年月日を訂正")
    _no_numbers(page.content(), secrets)
    after = rows(db)[GAIJI]
    assert after.data == before.data and after.status == Status.NEEDS_REVIEW.value
    assert not [e for e in _actions(installation, GAIJI) if e["step"] == "review_edit"]

    # 再実行 is refused too while the data still has its problem, with the reason
    retry = page.get_by_test_id("retry-form")
    retry.get_by_label("理由・メモ").fill("もう一度")
    retry.get_by_role("button", name="再実行する").click()
    expect(page.locator(".flash.error")).to_contain_text(
        "申請データの不備が残っているため再実行できません"
    )
    expect(page.locator(".flash.error")).to_contain_text("児童1 氏名: 使用できない文字")
    assert rows(db)[GAIJI].status == Status.NEEDS_REVIEW.value


def test_keyed_by_hand_needs_a_well_formed_receipt_and_can_be_taken_back(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, STAFF)
    _open(page, url, WRONG_RESIDENT)
    expect(page.get_by_test_id("reason")).to_contain_text(
        "基幹システムの住民と申請者が一致しません"
    )
    done = page.get_by_test_id("done-form")
    done.get_by_label("受付番号").fill("JT-123")
    done.get_by_label("理由・メモ").fill("窓口で入力")
    done.get_by_role("button", name="手入力済にする").click()
    expect(page.locator(".flash.error")).to_have_text(
        "受付番号「JT-123」は児童手当 認定請求の受付番号の形式ではありません（例: JT00001234）"
    )
    done = page.get_by_test_id("done-form")
    expect(done.get_by_label("受付番号")).to_have_value("JT-123")  # kept to correct
    stored = rows(db)[WRONG_RESIDENT]
    assert stored.status == Status.NEEDS_REVIEW.value and stored.receipt_no is None

    done.get_by_label("受付番号").fill("JT00004321")
    done.get_by_role("button", name="手入力済にする").click()
    expect(page.get_by_role("status")).to_have_text(
        f"申請 {WRONG_RESIDENT} を手入力で連携済にしました（受付番号 JT00004321）。"
        "誤りのときは「申請IDで開く」から取り消せます"
    )
    expect(page.locator("h1")).to_have_text("要確認")
    expect(page.locator(f"tr[data-app='{WRONG_RESIDENT}']")).to_have_count(0)
    stored = rows(db)[WRONG_RESIDENT]
    assert stored.status == Status.KEYED.value and stored.receipt_no == "JT00004321"
    assert stored.keyed_by == STAFF

    page.goto(f"{url}/review/{WRONG_RESIDENT}")  # a mistake: taken back
    undo = page.get_by_test_id("undo-form")
    undo.get_by_label("理由・メモ").fill("別の申請の受付番号だった")
    undo.get_by_role("button", name="手入力済を取り消す").click()
    expect(page.get_by_role("status")).to_have_text(
        f"申請 {WRONG_RESIDENT} の手入力の連携済を取り消し、要確認に戻しました"
    )
    stored = rows(db)[WRONG_RESIDENT]
    assert stored.status == Status.NEEDS_REVIEW.value and stored.receipt_no is None
    steps = [(e["step"], e["by"], e["detail"]) for e in _actions(installation, WRONG_RESIDENT)]
    assert steps == [
        ("review_done", STAFF, "窓口で入力"),
        ("review_undo", STAFF, "別の申請の受付番号だった"),
    ]


def test_reject_takes_it_out_of_the_queue_with_who_and_why(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, STAFF)
    page.goto(url + "/review/")
    expect(page.locator(f"tr[data-app='{UNKNOWN_BANK}']")).to_contain_text(
        "金融機関コードが存在しません。"
    )
    _open(page, url, UNKNOWN_BANK)
    expect(page.get_by_test_id("core-message")).to_have_text("金融機関コードが存在しません。")
    shot = page.locator(".shots img").first  # the screen the core system answered with
    expect(shot).to_be_visible()
    assert page.request.get(url + shot.get_attribute("src")).headers["content-type"] == "image/png"

    reject = page.get_by_test_id("reject-form")
    reject.get_by_label("理由・メモ").fill("申請者から取下げの連絡")
    reject.get_by_role("button", name="対象外にする").click()
    expect(page.get_by_role("status")).to_have_text(
        f"申請 {UNKNOWN_BANK} を対象外にしました（登録しません）"
    )
    expect(page.locator(f"tr[data-app='{UNKNOWN_BANK}']")).to_have_count(0)
    assert rows(db)[UNKNOWN_BANK].status == Status.REJECTED.value
    last = _actions(installation, UNKNOWN_BANK)[-1]
    assert (last["step"], last["by"], last["detail"]) == (
        "review_reject",
        STAFF,
        "申請者から取下げの連絡",
    )


def test_children_are_corrected_as_groups_one_removed_one_added(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    before = rows(db)[BAD_DATE_2].data["children"]
    sign_in(page, url, STAFF)
    _open(page, url, BAD_DATE_2)
    form = page.get_by_test_id("edit-form")
    added = len(before) + 1  # the empty group after the last child
    expect(form.locator(f"fieldset[data-group='children.{added}'] legend")).to_have_text(
        "児童（追加する場合）"
    )
    form.get_by_label("児童1を削除する").check()  # the child with the impossible date
    form.get_by_label(f"児童{added} 氏名").fill("中村　花子")
    form.get_by_label(f"児童{added} フリガナ").fill("ナカムラ　ハナコ")
    form.get_by_label(f"児童{added} 生年月日").fill("2021-04-01")
    form.get_by_label(f"児童{added} 続柄").select_option("子")
    form.get_by_label(f"児童{added} 同別居").select_option("別居")
    form.get_by_label("理由・メモ").fill("誤って登録された児童を削除し、正しい児童を追加")
    form.get_by_role("button", name="訂正して連携待ちに戻す").click()

    expect(page.get_by_role("status")).to_contain_text(f"申請 {BAD_DATE_2} を訂正し")
    stored = rows(db)[BAD_DATE_2]
    assert stored.status == Status.RESOLVED.value
    new = {
        "name": "中村　花子",
        "kana": "ナカムラ　ハナコ",
        "birth_date": "2021-04-01",
        "relation": "子",
        "cohabiting": "別居",
    }
    assert stored.data["children"] == [*before[1:], new]
    edit = _actions(installation, BAD_DATE_2)[-1]
    assert edit["step"] == "review_edit" and edit["by"] == STAFF
    assert edit["detail"] == "誤って登録された児童を削除し、正しい児童を追加"
    assert "中村　花子" in [c["after"] for c in edit["changes"]]  # compared position by position


# --- masking and roles -------------------------------------------------------------------


def _no_numbers(html: str, secrets: set[str]) -> None:
    shown = [n for n in secrets if n in html]
    assert not shown, f"{len(shown)} unmasked numbers in the page"


def test_no_review_page_shows_a_personal_or_account_number(
    url: str, db: Database, console_page: Any, secrets: set[str]
) -> None:
    page = console_page
    sign_in(page, url, STAFF)
    page.goto(url + "/review/")
    expect(page.get_by_test_id("review-list")).to_be_visible()
    _no_numbers(page.content(), secrets)
    assert len(secrets) >= 2 * SEEDED
    page.get_by_label("手続").select_option("kaigo_nintei")  # no 要介護認定 in this queue
    page.get_by_role("button", name="絞り込む").click()
    expect(page.get_by_test_id("review-empty")).to_have_text("要確認の申請はありません。")
    page.get_by_label("申請IDで開く").fill(GAIJI)
    page.get_by_role("button", name="開く").click()
    expect(page.locator("h1")).to_have_text(f"申請 {GAIJI}")
    for app_id in sorted(rows(db)):  # every application, whatever its status now
        page.goto(f"{url}/review/{app_id}")
        expect(page.locator("h1")).to_have_text(f"申請 {app_id}")
        html = page.content()
        _no_numbers(html, secrets)
        assert "************" in html and "*******" in html  # shown as masks


def test_an_auditor_reads_the_pages_but_cannot_act(
    url: str, installation: Settings, db: Database, console_page: Any
) -> None:
    page = console_page
    sign_in(page, url, AUDITOR)
    page.goto(url + "/review/")
    expect(page.locator(f"tr[data-app='{GAIJI}']")).to_be_visible()
    _open(page, url, GAIJI)
    expect(page.get_by_test_id("data")).to_contain_text("児童1 氏名")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.locator("main form[method='post']")).to_have_count(0)
    for name in ("訂正して連携待ちに戻す", "再実行する", "手入力済にする", "対象外にする"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)

    token = page.locator("meta[name='csrf-token']").get_attribute("content")
    before = rows(db)[GAIJI]
    done_before = len(_actions(installation, GAIJI))
    posts = {
        "edit": {"f.children.1.birth_date": "2019-01-01", "note": "監査"},
        "retry": {"note": "監査"},
        "done": {"receipt_no": "JT00001111", "note": "監査"},
        "reject": {"note": "監査"},
        "undo": {"note": "監査"},
    }
    for name, form in posts.items():
        response = page.request.post(
            f"{url}/review/{GAIJI}/{name}", form={"csrf_token": str(token), **form}
        )
        assert response.status == 403, name
        assert "監査の権限では" in response.text()
    after = rows(db)[GAIJI]
    assert (after.status, after.data, after.receipt_no) == (
        before.status,
        before.data,
        before.receipt_no,
    )
    assert len(_actions(installation, GAIJI)) == done_before  # no action recorded for it
    refused = [
        e
        for e in map(
            json.loads,
            (Path(installation.audit_dir) / "review.jsonl").read_text("utf-8").splitlines(),
        )
        if e["step"] == "console_refused" and re.search(f"/review/{GAIJI}/", e["detail"])
    ]
    assert len(refused) == len(posts) and {e["by"] for e in refused} == {AUDITOR}
