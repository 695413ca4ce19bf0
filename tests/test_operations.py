"""What a run does around the engine, as operators and monitoring see it: the exit code of
each class of outcome, the run locks per procedure, the online windows, broken recipes,
a management database that cannot be used, a busy demo port, and times in JST.

Every run is the real ``renkei`` command (click's runner, or a process where the host's
time zone matters) against the real mock core system and real SQLite files.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from bots.cli.main import cli
from bots.config import Settings
from bots.contracts import Outcome, OutcomeKind, Status
from bots.demo.seed import seed, seed_boshi
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow, RunLockRow
from bots.queue.sql import RunLock, SqlWorkQueue
from bots.scheduling.calendar import set_window
from bots.service import run_once

ROOT = Path(__file__).resolve().parents[1]
JST = ZoneInfo("Asia/Tokyo")
JT = "jidou_teate_nintei"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """The environment of a ``renkei`` command on the test's database and the mock."""
    return {
        "RENKEI_DB": settings.db_url,
        "RENKEI_CORE_URL": settings.core_url,
        "RENKEI_OUT": str(settings.out_root),
        "RENKEI_AUDIT_DIR": str(settings.audit_dir),
    }


def renkei(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, args, env=env)


def statuses(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {r.id: r.status for r in s.query(ApplicationRow)}


def summary_times(output: str) -> list[datetime]:
    """The times a list shows (``2026-12-01 18:02:11 JST``) or a run summary
    (``2026年12月1日 18:02:11（日本時間）``), as naive JST wall times."""
    listed = [
        datetime.strptime(m, "%Y-%m-%d %H:%M:%S")
        for m in re.findall(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) JST", output)
    ]
    return listed + report_times(output)


def log_times(stderr: str) -> list[datetime]:
    """The times at the start of the operational log's lines (``2026-12-01 18:02:11.123 JST``)."""
    return [
        datetime.strptime(m, "%Y-%m-%d %H:%M:%S")
        for m in re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.\d{3} JST \|", stderr, re.M)
    ]


def report_times(html: str) -> list[datetime]:
    """The times report.html shows (JST, as people write them: 2026年12月1日 18:02:11)."""
    return [
        datetime.strptime(m, "%Y年%m月%d日 %H:%M:%S")
        for m in re.findall(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d", html)
    ]


# --- exit codes -------------------------------------------------------------------------


def test_nothing_to_do_is_exit_0_and_a_wrong_option_exit_2(env: dict[str, str], core) -> None:
    ran = renkei(["run"], env)
    assert ran.exit_code == 0, ran.output
    assert "新たに連携する申請はありませんでした" in ran.output

    wrong = renkei(["run", "--no-such-option"], env)
    assert wrong.exit_code == 2


def test_a_stopped_subsystem_is_exit_3(env: dict[str, str], db: Database, core) -> None:
    """A log-in the core system refuses stops the subsystem, as a changed screen does."""
    seed(db, 3, core.url, problems=False)

    ran = renkei(["run", "-p", JT], env | {"RENKEI_CORE_PASSWORD": "not-the-password"})

    assert ran.exit_code == 3, ran.output
    assert "停止 STOPPED kosodate" in ran.output and "ログインできません" in ran.output
    assert set(statuses(db).values()) == {Status.RESOLVED.value}
    assert core.records() == []


def test_core_system_unreachable_is_exit_5_and_nothing_is_lost(
    env: dict[str, str], db: Database, core
) -> None:
    seed_boshi(db, 4)
    nowhere = f"http://127.0.0.1:{_free_port()}"  # nothing listens there

    ran = renkei(["run"], env | {"RENKEI_CORE_URL": nowhere, "RENKEI_TRANSIENT_TRIES": "1"})

    assert ran.exit_code == 5, ran.output
    assert "基幹システムに接続できません" in ran.output
    assert set(statuses(db).values()) == {Status.RESOLVED.value}


# --- broken recipes ---------------------------------------------------------------------


@pytest.fixture
def broken_boshi(tmp_path: Path, env: dict[str, str]) -> tuple[dict[str, str], str]:
    """A copy of the recipes with a YAML error in boshi_ninshin.yaml; (env, its location)."""
    recipes = tmp_path / "recipes"
    shutil.copytree(ROOT / "recipes", recipes)
    path = recipes / "boshi_ninshin.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "title: [unclosed\n")  # line 3: a flow sequence that never ends
    path.write_text("".join(lines), encoding="utf-8")
    env = env | {"RENKEI_RECIPES": str(recipes), "RENKEI_SELECTORS": str(ROOT / "selectors")}
    return env, "boshi_ninshin.yaml:"


def test_one_broken_recipe_stops_only_its_own_procedure(
    broken_boshi: tuple[dict[str, str], str], db: Database, core
) -> None:
    env, where = broken_boshi
    seed(db, 2, core.url, problems=False)
    seed_boshi(db, 2)

    ran = renkei(["run"], env)

    assert ran.exit_code == 4, ran.output
    assert where in ran.stderr and "レシピを読み込めない" in ran.stderr
    assert "レシピ不備 BROKEN" in ran.stdout
    keyed = {k for k, v in statuses(db).items() if v == Status.KEYED.value}
    assert keyed == {k for k in statuses(db) if k.startswith("JT-")}
    for app_id in keyed:
        assert len(core.records_for(app_id)) == 1
    assert core.records("boshi") == []

    alone = renkei(["run", "-p", "boshi_ninshin"], env)
    assert alone.exit_code == 4
    assert "レシピを読み込めないため実行しません" in alone.output and where in alone.output

    check = renkei(["recipe", "check"], env)
    assert check.exit_code == 4
    assert f"ok  {JT}" in check.stdout and "ok  boshi_ninshin" not in check.stdout
    assert "NG  " in check.stderr and where in check.stderr


# --- run locks --------------------------------------------------------------------------


def test_a_procedure_another_run_holds_is_left_to_it(
    env: dict[str, str], db: Database, core
) -> None:
    seed(db, 2, core.url, problems=False)
    seed_boshi(db, 4)
    other = RunLock(db, f"run:{JT}", "other-host:4242", timedelta(hours=1))
    assert other.acquire()

    everything = renkei(["run"], env)

    assert everything.exit_code == 6, everything.output
    assert f"実行中 LOCKED {JT}: other-host:4242" in everything.output
    by_procedure = statuses(db)
    assert {v for k, v in by_procedure.items() if k.startswith("JT-")} == {"resolved"}
    assert {v for k, v in by_procedure.items() if not k.startswith("JT-")} == {"keyed"}
    assert core.records() == []
    with db.session() as s:  # this run's locks are released, the other one's kept
        assert [(r.name, r.holder) for r in s.query(RunLockRow)] == [
            (f"run:{JT}", "other-host:4242")
        ]

    alone = renkei(["run", "-p", JT], env)
    assert alone.exit_code == 6
    assert "other-host:4242" in alone.output and "継続中のため、開始しませんでした" in alone.output
    assert core.records() == []

    joined = renkei(["run", "-p", JT, "--parallel"], env)
    assert joined.exit_code == 0, joined.output
    assert set(statuses(db).values()) == {"keyed"}
    assert len(core.records()) == 2


# --- online windows ---------------------------------------------------------------------


def test_a_run_outside_the_online_window_keys_nothing_and_says_why(
    env: dict[str, str], db: Database, core
) -> None:
    seed(db, 2, core.url, problems=False)
    now = datetime.now(JST)
    set_window(db, "kosodate", (now + timedelta(hours=2)).time(), (now + timedelta(hours=3)).time())

    ran = renkei(["run"], env)

    assert ran.exit_code == 7, ran.output
    assert "稼働時間外 OFFLINE kosodate" in ran.output and "基幹システム kosodate" in ran.output
    assert set(statuses(db).values()) == {Status.RESOLVED.value}
    assert core.records() == []


def test_a_subsystem_stops_claiming_when_its_window_closes_within_the_margin(
    settings: Settings, db: Database, core
) -> None:
    seed(db, 8, core.url, problems=False)
    settings.window_margin_s = 60
    now = datetime.now(JST)
    closes = now + timedelta(seconds=settings.window_margin_s + 3)  # the gate flips in 3 s
    set_window(db, "kosodate", (now - timedelta(hours=1)).time(), closes.time())

    result = run_once(settings, JT, db=db)

    assert "kosodate" in result.outside_window
    keyed = {i.application_id for i in result.items}
    assert keyed and {i.outcome for i in result.items} == {OutcomeKind.KEYED}
    left = {k for k, v in statuses(db).items() if v == Status.RESOLVED.value}
    assert left and left | keyed == set(statuses(db))
    for app_id in keyed:
        assert len(core.records_for(app_id)) == 1
    for app_id in left:
        assert core.records_for(app_id) == []
    with db.session() as s:
        assert {s.get(ApplicationRow, a).attempts for a in left} == {0}  # never claimed


# --- the management database ------------------------------------------------------------


@pytest.fixture
def read_only_file(tmp_path: Path) -> Iterator[Path]:
    """A database file this process cannot write: read-only, and immutable for root."""
    path = tmp_path / "ro.db"
    Database(f"sqlite:///{path}").dispose()
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    yield path
    if immutable:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize(
    "command",
    [["run"], ["status"], ["review", "list"], ["import", "--report"], ["demo", "seed", "1"]],
    ids=lambda c: "-".join(c),
)
def test_an_unusable_database_is_one_line_naming_the_setting(
    env: dict[str, str], tmp_path: Path, read_only_file: Path, command: list[str]
) -> None:
    missing = tmp_path / "no-such-folder" / "renkei.db"
    cases = {
        str(missing): "フォルダ",
        "/proc/renkei.db": "開けません",
        str(read_only_file): "読み取り専用",
        str(tmp_path): "フォルダです",
    }
    for path, why in cases.items():
        result = renkei(command, env | {"RENKEI_DB": f"sqlite:///{path}"})

        assert result.exit_code == 1, (path, result.output)
        [line] = result.output.strip().splitlines()
        assert "RENKEI_DB" in line and path in line and why in line
        assert "Traceback" not in result.output
    assert not missing.parent.exists()  # nothing created

    via_option = renkei(["--db", f"sqlite:///{missing}", *command], env)
    assert via_option.exit_code == 1 and "--db" in via_option.output


def test_demo_run_never_keys_into_a_server_it_did_not_start(
    env: dict[str, str], db: Database
) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]

        ran = renkei(["--core-url", f"http://127.0.0.1:{port}", "demo", "run", "-n", "1"], env)

        assert ran.exit_code == 1, ran.output
        assert f"ポート {port}" in ran.output and "使用中" in ran.output
        other.setblocking(False)
        with pytest.raises(BlockingIOError):
            other.accept()  # nobody even connected to it
    assert statuses(db) == {}


# --- times in JST -----------------------------------------------------------------------


def _renkei_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``renkei`` as its own process on a host whose zone is UTC."""
    full = os.environ | env | {"TZ": "UTC"}
    return subprocess.run(
        [sys.executable, "-m", "bots.cli", *args], env=full, capture_output=True, text=True
    )


def test_times_staff_read_are_japan_time_on_a_utc_host(
    env: dict[str, str], db: Database, settings: Settings, tmp_path: Path
) -> None:
    seed(db, 1, None, problems=False)
    queue = SqlWorkQueue(db, "by-hand")
    claim = queue.claim("clerk-pc", procedure=JT, lease=timedelta(minutes=5))
    assert claim is not None
    queue.release(claim, Outcome(OutcomeKind.NEEDS_REVIEW, reason="続柄を確認してください"))
    before = datetime.now(JST).replace(tzinfo=None, microsecond=0)

    # a new key folder: the key's creation is a warning line, logged whatever else runs
    ran = _renkei_process(["run"], env | {"RENKEI_KEY_DIR": str(tmp_path / "new-keys")})
    status = _renkei_process(["status"], env)
    shown = _renkei_process(["review", "show", claim.application.id], env)

    after = datetime.now(JST).replace(tzinfo=None)
    assert ran.returncode == 0, ran.stderr
    for output in (ran.stdout, status.stdout, shown.stdout):
        times = summary_times(output)
        assert times and all(before - timedelta(minutes=5) <= t <= after for t in times), output
    assert "最終実行" in status.stdout
    logged = log_times(ran.stderr)
    assert logged and all(before - timedelta(minutes=5) <= t <= after for t in logged), ran.stderr
    assert "キューに残っている申請: 要確認 1 件" in ran.stdout  # this run took none of it
    report = next(settings.out_root.glob("*/report.html")).read_text(encoding="utf-8")
    assert report_times(report) and all(before <= t <= after for t in report_times(report))


def test_runners_upgrading_one_old_database_at_once_all_start(tmp_path: Path) -> None:
    """After an upgrade, several runners (or the console and a runner) may open an older
    SQLite database at the same moment: each adds the new nullable columns it misses, and
    the ones that lose the race must look again, not stop with 'duplicate column name'."""
    import sqlite3
    import subprocess
    import sys

    path = tmp_path / "old.db"
    Database(f"sqlite:///{path}").dispose()
    code = f"from bots.queue.db import Database; Database('sqlite:///{path}').dispose()"
    for _ in range(8):  # the race is lost about once in ten rounds without the retry
        with sqlite3.connect(path) as old:  # the table as an older renkei made it
            old.execute("ALTER TABLE console_users DROP COLUMN must_change")
        starting = [
            subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        errors = [p.communicate(timeout=60)[1] for p in starting]
        assert [p.returncode for p in starting] == [0, 0, 0, 0], errors
        with sqlite3.connect(path) as upgraded:
            columns = {row[1] for row in upgraded.execute("PRAGMA table_info(console_users)")}
        assert "must_change" in columns
