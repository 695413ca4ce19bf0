"""No application can block the queue: every attempt counts, a failing one goes behind the
others and, out of attempts, to 要確認 with its history; an unexpected error (a crashed
browser tab) is that application's retry, never the end of the run.

Real Chromium against the real mock core system, real SQLite files, real processes. Time
passing (a retry time) is simulated by moving ``retry_at`` into the past, never by waiting.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from e2e_helpers import rows, set_data, update_row

from bots.clock import utcnow
from bots.config import Settings
from bots.contracts import OutcomeKind, Status
from bots.demo.seed import seed, seed_kaigo
from bots.engine.runner import retry_delay
from bots.queue.db import Database
from bots.queue.sql import SqlWorkQueue
from bots.results import ItemResult
from bots.service import engine_settings, load_recipes, new_engine, run_once


def _keyed_once(db: Database, core, app_ids: list[str], subsystem: str = "") -> None:
    stored = rows(db)
    for app_id in app_ids:
        assert stored[app_id].status == Status.KEYED.value, (app_id, stored[app_id].reason)
        found = core.records_for(app_id, subsystem)
        assert [r["receipt_no"] for r in found] == [stored[app_id].receipt_no]


def _poison_first(db: Database) -> str:
    """An application the 介護保険 screens cannot take: its 主治医 (佐藤 次郎) is not among the
    doctors the core system's 主治医検索 lists at that hospital. The data passes every
    check; the pop-up then has no choice for it, so the bot stops the subsystem on it
    (a screen it cannot work) — every time. Made the oldest, so it is claimed first."""
    poison = sorted(rows(db))[0]
    set_data(
        db, poison, lambda d: d.update(doctor={"hospital": "つくば中央病院", "name": "佐藤 次郎"})
    )
    update_row(db, poison, received_at=datetime(2026, 4, 1, 9, 0))
    return poison


def test_a_poison_application_ends_in_review_while_the_rest_is_keyed(
    settings: Settings, db: Database, core
) -> None:
    seed_kaigo(db, 3, core.url)
    poison = _poison_first(db)
    others = [k for k, r in sorted(rows(db).items(), key=lambda kv: kv[1].received_at)]
    others.remove(poison)
    settings.max_attempts = 2
    settings.timeout_ms = 3000  # the missing choice is waited for this long, then named
    settings.retry_later_s = 60

    first = run_once(settings, db=db)

    assert [(i.application_id, i.outcome) for i in first.items] == [(poison, OutcomeKind.STOPPED)]
    assert "画面 doctor_lookup、要素 pick" in first.stopped["kaigo"]
    held = rows(db)[poison]
    assert held.status == Status.RESOLVED.value and held.attempts == 1
    assert held.retry_at is not None  # backed off: about a minute from now
    assert timedelta(seconds=50) < held.retry_at - utcnow() <= timedelta(seconds=60)

    update_row(db, poison, retry_at=utcnow() - timedelta(seconds=1))  # the minute passes
    settings.retry_later_s = 0
    second = run_once(settings, db=db)

    # it waits its turn behind the others, and its second stop is its last
    assert [(i.application_id, i.outcome) for i in second.items] == [
        *((k, OutcomeKind.KEYED) for k in others),
        (poison, OutcomeKind.NEEDS_REVIEW),
    ]
    _keyed_once(db, core, others, "kaigo")
    stored = rows(db)[poison]
    assert stored.status == Status.NEEDS_REVIEW.value
    assert stored.reason is not None
    assert stored.reason.startswith("2回試行しても連携できませんでした: ")
    history = stored.reason.split(": ", 1)[1].split("; ")
    assert len(history) == 2 and all(" 停止（画面が想定と異なります" in h for h in history)
    assert all("画面 doctor_lookup、要素 pick" in h for h in history)
    assert core.records_for(poison, "kaigo") == []
    assert run_once(settings, db=db).items == []  # nothing left that could block anyone
    _keyed_once(db, core, others, "kaigo")


def _renderers() -> list[psutil.Process]:
    """Chromium's renderer processes started by this test process (its tabs)."""
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if "--type=renderer" in " ".join(p.cmdline())
    ]


@contextmanager
def _on_audit_line(out_root: Path, act: Callable[[dict[str, Any]], bool]) -> Iterator[None]:
    """Follow the run's audit log as it is written (a thread tailing the file, as an
    auditor's tool would) and call ``act`` on each line until it returns True."""
    done = threading.Event()

    def follow() -> None:
        while not done.is_set():
            logs = sorted(out_root.glob("*/audit.jsonl"))
            if logs:
                break
            time.sleep(0.01)
        if not logs:
            return
        with logs[-1].open("rb") as fh:
            while not done.is_set():
                line = fh.readline()
                if not line.endswith(b"\n"):  # not written whole yet: read it again
                    fh.seek(-len(line), 1)
                    time.sleep(0.005)
                    continue
                if act(json.loads(line)):
                    return

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        yield
    finally:
        done.set()
        follower.join(timeout=5)


def _kill_renderers() -> None:
    for renderer in _renderers():
        renderer.send_signal(signal.SIGKILL)


def test_a_tab_crashing_mid_application_is_a_retry_and_the_run_goes_on(
    settings: Settings, db: Database, core
) -> None:
    """The renderer dies while the second application is being typed (right after its
    宛名番号 went in): Playwright's own error reaches the engine, which makes it that
    application's retry, replaces the broken tab, and keys the others."""
    seed(db, 4, core.url, problems=False)
    second = sorted(rows(db))[1]
    killed: list[str] = []

    def kill_mid_application(event: dict[str, Any]) -> bool:
        if (event.get("application"), event.get("element")) != (second, "atena_search.atena_no"):
            return False
        killed.append(second)
        _kill_renderers()
        return True

    core.set_faults(latency_ms=150)  # the rest of the application is still to come
    with _on_audit_line(settings.out_root, kill_mid_application):
        result = run_once(settings, db=db)
    core.set_faults(latency_ms=0)

    assert killed == [second]
    outcomes = {i.application_id: i.outcome for i in result.items}
    assert outcomes.pop(second) is OutcomeKind.RETRY and result.stopped == {}
    assert set(outcomes.values()) == {OutcomeKind.KEYED} and len(outcomes) == 3
    stored = rows(db)[second]
    assert stored.status == Status.RESOLVED.value and stored.retry_at is not None
    assert stored.reason is not None and stored.reason.startswith("予期しないエラー（")
    assert result.counts[OutcomeKind.RETRY.value] == 1  # the run shows it
    audit = [json.loads(line) for line in result.audit_path.read_text().splitlines()]
    unexpected = [e for e in audit if e["step"] == "unexpected_error"]
    assert [e["application"] for e in unexpected] == [second]
    assert core.records_for(second) == []

    update_row(db, second, retry_at=None)  # staff, or the retry time, release it
    run_once(settings, db=db)
    _keyed_once(db, core, sorted(rows(db)))


def test_a_tab_crashed_between_applications_is_replaced_before_the_next(
    settings: Settings, db: Database, core
) -> None:
    """Killed after the first application: the next one's first page load fails (a
    transient error), the dead tab is replaced before the retry, and every one is keyed."""
    seed(db, 3, core.url, problems=False)
    crashed: list[str] = []

    def crash_after_first(item: ItemResult) -> None:
        if not crashed:
            crashed.append(item.application_id)
            _kill_renderers()

    result = run_once(settings, db=db, on_item=crash_after_first)

    assert len(crashed) == 1
    assert [i.outcome for i in result.items] == [OutcomeKind.KEYED] * 3
    _keyed_once(db, core, sorted(rows(db)))


def test_the_gate_stops_claiming_for_its_subsystem(settings: Settings, db: Database, core) -> None:
    seed(db, 3, core.url, problems=False)
    asked: list[str] = []

    def gate(system: str) -> str | None:
        asked.append(system)
        return "オンライン時間外です（17:00 まで）" if len(asked) > 1 else None

    queue = SqlWorkQueue(db, "run-gate")
    engine = new_engine(load_recipes(settings), queue, engine_settings(settings))
    result = engine.run("jidou_teate_nintei", gate=gate)

    assert [i.outcome for i in result.items] == [OutcomeKind.KEYED]
    assert result.paused == {"kosodate": "オンライン時間外です（17:00 まで）"}
    assert asked == ["kosodate", "kosodate"]
    statuses = sorted(r.status for r in rows(db).values())
    assert statuses == [Status.KEYED.value, Status.RESOLVED.value, Status.RESOLVED.value]
    assert len(core.records()) == 1


def test_back_off_doubles_and_is_capped() -> None:
    base, cap = timedelta(minutes=10), timedelta(hours=1)

    delays = [retry_delay(base, n, cap) for n in range(1, 6)]

    assert delays == [timedelta(minutes=m) for m in (10, 20, 40, 60, 60)]
    assert retry_delay(base, 10_000, cap) == cap
