"""What people read after a run: report.html, summary.json and the screenshots' metadata.

One real run per module (real Chromium against the mock core system, a real SQLite
management database) over two procedures: a 妊娠の届出 keyed, a 児童手当 認定請求 the core
system rejects (要確認), and — left by "earlier runs" — three more 要確認 and one 再試行待ち
that this run does not take. Every test reads the files as staff or an auditor would.
"""

from __future__ import annotations

import getpass
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from e2e_helpers import clean, installation_settings, rows, set_data, update_row
from PIL import Image

from bots import transforms
from bots.clock import utcnow
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import application_id, seed, seed_boshi
from bots.engine.runner import runner_name
from bots.queue.db import Database
from bots.queue.sql import holder_is_dead
from bots.results import RunResult
from bots.service import run_once

ROOT = Path(__file__).resolve().parent.parent
JST = ZoneInfo("Asia/Tokyo")
PEOPLE_TIME = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}:\d{2}")
REJECTED = application_id(0)  # its bank code does not exist: the core system refuses it
EARLIER_REVIEW = [application_id(1), application_id(2)]  # 要確認, left by an earlier run
BACKING_OFF = application_id(3)  # 再試行待ち: its retry time is two hours ahead


@dataclass
class Run:
    result: RunResult
    report: str
    summary: dict[str, Any]
    secrets: set[str]
    atena: dict[str, str]
    keyed_boshi: str
    boshi_review: int


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, core_url: str) -> Iterator[Run]:
    base = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RENKEI_KEY_DIR", str(base / "keys"))
        settings = installation_settings(base, core_url)
        db = Database(settings.db_url)
        from conftest import Core

        Core(core_url).reset()
        seed(db, 4, core_url, problems=False)
        seed_boshi(db, 4)
        boshi = sorted(k for k in rows(db) if k.startswith("BH-"))
        assert boshi, "the demo data has a woman among its first four residents"
        set_data(db, REJECTED, lambda d: d["bank"].update(bank_code="1234"))
        for app_id in [*EARLIER_REVIEW, *boshi[1:]]:
            update_row(db, app_id, status=Status.NEEDS_REVIEW.value, reason="前回の実行で要確認")
        update_row(db, BACKING_OFF, attempts=1, retry_at=utcnow() + timedelta(hours=2))
        secrets = set()
        for row in rows(db).values():
            if row.data.get("applicant", {}).get("my_number"):
                secrets.add(clean(row.data["applicant"]["my_number"]))
            if "bank" in row.data:
                secrets.add(transforms.apply(["account_no"], row.data["bank"]["account_no"]))
        atena = {k: r.atena_no for k, r in rows(db).items()}

        result = run_once(settings, db=db)

        db.dispose()
        outcomes = {i.application_id: i.outcome for i in result.items}
        assert outcomes == {
            REJECTED: OutcomeKind.NEEDS_REVIEW,
            boshi[0]: OutcomeKind.KEYED,
        }, [(i.application_id, i.reason) for i in result.items]
        yield Run(
            result,
            result.report_path.read_text(encoding="utf-8"),
            json.loads((result.out_dir / "summary.json").read_text(encoding="utf-8")),
            secrets,
            atena,
            boshi[0],
            len(boshi) - 1,
        )


@dataclass
class Cell:
    classes: str
    texts: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """The report as a person sees it: its table rows (cell texts, nested tables' text
    included in the cell around them) and its links (text, href)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, list[str]]] = []  # (the row's class, its cells' texts)
        self.links: list[tuple[str, str]] = []
        self._rows: list[tuple[str, list[list[str]]]] = []
        self._cells: list[list[str]] = []
        self._link: tuple[str, list[str]] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("br", "td", "th"):  # what a person sees apart stays apart
            self.handle_data(" ")
        if tag == "tr":
            self._rows.append((a.get("class", ""), []))
        elif tag in ("td", "th") and self._rows:
            cell: list[str] = []
            self._rows[-1][1].append(cell)
            self._cells.append(cell)
        elif tag == "a":
            self._link = (a.get("href", ""), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cells:
            self._cells.pop()
        elif tag == "tr" and self._rows:
            cls, cells = self._rows.pop()
            self.rows.append((cls, [" ".join("".join(c).split()) for c in cells]))
        elif tag == "a" and self._link is not None:
            self.links.append(("".join(self._link[1]).strip(), self._link[0]))
            self._link = None

    def handle_data(self, data: str) -> None:
        for cell in self._cells:  # a nested table's text belongs to its outer cell too
            cell.append(data)
        if self._link is not None:
            self._link[1].append(data)

    def row_of(self, first_cell: str) -> list[str]:
        [found] = [cells for _, cells in self.rows if cells and cells[0] == first_cell]
        return found


def people_time(moment: Any) -> str:
    j = moment.astimezone(JST)
    return f"{j.year}年{j.month}月{j.day}日 {j:%H:%M:%S}"


def test_header_names_times_in_jst_the_runner_account_and_host(run: Run) -> None:
    result = run.result
    assert f"開始 {people_time(result.started_at)}" in run.report
    assert f"終了 {people_time(result.ended_at)}" in run.report
    assert "（時刻は日本時間）" in run.report
    assert f"実行者 {getpass.getuser()}（ホスト {socket.gethostname()}、プロセス " in run.report
    account_host = f"{getpass.getuser()}@{socket.gethostname()}"
    assert re.fullmatch(rf"{re.escape(account_host)}:\d+", result.runner)
    assert run.summary["runner"] == result.runner
    assert not re.search(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", run.report)  # no ISO, no UTC


def test_each_application_shows_title_atena_no_and_the_values_keyed_masked(run: Run) -> None:
    page = Page(run.report)
    rejected = page.row_of(REJECTED)
    assert rejected[1] == run.atena[REJECTED]  # 宛名番号
    assert rejected[2] == "児童手当 認定請求 jidou_teate_nintei"
    assert PEOPLE_TIME.fullmatch(rejected[3])
    assert rejected[4] == "要確認" and "金融機関コードが存在しません" in rejected[6]
    values = rejected[7]
    assert f"宛名番号 {run.atena[REJECTED]}" in values
    assert "個人番号 ****" in values and "口座番号 ****" in values
    assert "金融機関コード 1234" in values
    assert re.search(r"児童1 氏名 \S+", values)
    # a date the screen takes in parts (元号・年・月・日) reads as one date
    assert re.search(r"請求年月日 令和\d+年\d+月\d+日", values)
    assert re.search(r"児童2 生年月日 (令和|平成)\d+年\d+月\d+日", values)
    keyed = page.row_of(run.keyed_boshi)
    assert keyed[1] == run.atena[run.keyed_boshi]
    assert keyed[2] == "妊娠の届出 boshi_ninshin" and keyed[4] == "連携済"
    assert keyed[5].startswith("BH")  # 受付番号
    assert "妊娠週数" in keyed[7] and "項目" in keyed[7]
    [item] = [i for i in run.summary["items"] if i["application_id"] == REJECTED]
    assert item["title"] == "児童手当 認定請求" and item["atena_no"] == run.atena[REJECTED]
    shown = {v["label"]: v["value"] for v in item["keyed"]}
    assert shown["個人番号"] == "****" and shown["口座番号"] == "****"


def test_no_sensitive_value_in_report_or_summary(run: Run) -> None:
    assert run.secrets
    for name in ("report.html", "summary.json"):
        text = (run.result.out_dir / name).read_text(encoding="utf-8")
        for secret in run.secrets:
            assert secret not in text, f"{secret} unmasked in {name}"


def test_links_and_screenshot_captions_are_japanese(run: Run) -> None:
    links = Page(run.report).links
    shots = [(text, href) for text, href in links if href.startswith("screenshots/")]
    assert {text for text, _ in shots} == {"登録前", "登録結果", "要確認となった画面"}
    assert any(href.endswith("/01_before_register.png") for _, href in shots)  # names kept
    assert ("監査ログを開く（audit.jsonl）", "audit.jsonl") in links
    assert "試行 " in run.report and "回目" in run.report


def test_run_counts_beside_what_is_left_in_the_queue(run: Run) -> None:
    page = Page(run.report)
    header = next(cells for _, cells in page.rows if cells[:1] == ["連携済"])
    assert header == [
        *["連携済", "登録済みを確認", "要確認", "再試行待ち", "停止"],
        *["連携待ち", "再試行待ち", "処理中", "登録処理中", "要確認", "連携エラー"],
    ]
    assert "この実行の件数" in run.report and "キューに残っている件数" in run.report
    jidou = page.row_of("児童手当 認定請求（jidou_teate_nintei）")
    # this run: one 要確認 ... the queue: 3 要確認 (1 of this run, 2 before), 1 再試行待ち
    assert jidou[1:] == ["0", "0", "1", "0", "0", "0", "1", "0", "0", "3", "0"]
    boshi = page.row_of("妊娠の届出（boshi_ninshin）")
    assert boshi[1:] == ["1", "0", "0", "0", "0", "0", "0", "0", "0", str(run.boshi_review), "0"]
    waiting = 3 + run.boshi_review
    assert (
        f"要確認 {waiting} 件が担当職員の対応を待っています（うちこの実行で要確認となったもの 1 件）"
        in (" ".join(re.sub(r"<[^>]+>", "", run.report).split()))
    )
    queue = run.summary["queue"]
    assert queue["jidou_teate_nintei"] == {
        "resolved": 0,
        "retry_wait": 1,
        "claimed": 0,
        "keying": 0,
        "needs_review": 3,
        "failed": 0,
    }
    assert queue.get("boshi_ninshin", {}).get("needs_review", 0) == run.boshi_review
    assert run.summary["titles"]["boshi_ninshin"] == "妊娠の届出"


def test_every_screenshot_names_its_run_application_screen_and_time(run: Run) -> None:
    item = next(i for i in run.result.items if i.application_id == run.keyed_boshi)
    first = item.evidence[0]
    assert first.label == "before_register"
    text = Image.open(first.path).text
    assert text["renkei:run"] == run.result.run_id
    assert text["renkei:application"] == run.keyed_boshi
    assert text["renkei:caption"] == "登録前" and text["renkei:label"] == "before_register"
    assert text["renkei:screen"] == "entry"
    assert re.fullmatch(r"試行 \d+・1回目", text["renkei:try"])
    assert PEOPLE_TIME.fullmatch(text["renkei:time"])
    taken = datetime.strptime(text["renkei:time"], "%Y年%m月%d日 %H:%M:%S").replace(tzinfo=JST)
    assert run.result.started_at.replace(microsecond=0) <= taken <= run.result.ended_at  # JST
    [error] = [
        e
        for i in run.result.items
        if i.application_id == REJECTED
        for e in i.evidence
        if e.label == "needs_review"
    ]
    err = Image.open(error.path).text
    assert err["renkei:caption"] == "要確認となった画面" and err["renkei:screen"]
    # the chain's SHA-256 covers the metadata: the hash recorded is the stamped file's
    lines = [json.loads(x) for x in run.result.audit_path.read_text().splitlines()]
    recorded = {x["screenshot"]: x["sha256"] for x in lines if x.get("screenshot")}
    assert recorded[first.path.relative_to(run.result.out_dir.resolve()).as_posix()] == first.sha256


def test_a_killed_runner_of_this_machine_is_known_dead_by_its_new_name() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = runner_name(int(child.stdout))
    assert re.fullmatch(r"[^@]+@[^:]+:\d+", dead)
    assert holder_is_dead(dead)
    assert holder_is_dead(f"{socket.gethostname()}:{int(child.stdout)}")  # the old form
    assert not holder_is_dead(runner_name())  # this process lives
    assert not holder_is_dead(f"someone@another-host:{int(child.stdout)}")
