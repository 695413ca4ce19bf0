"""Schedules in words: every accepted form to cron and back, full-width input, and the
Japanese error that shows the accepted forms. Each cron line is also fed to the store's
own parser and its next fire time checked, so a phrase cannot map to a cron line that
means something else."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bots.cli.main import cli
from bots.queue.db import Database
from bots.scheduling.calendar import JST
from bots.scheduling.store import ScheduleError, list_schedules, parse_cron
from bots.scheduling.words import EXAMPLES, WhenError, describe, parse_when

#: Thursday 2026-12-03 10:00 JST: the moment the next fire times below are counted from.
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=JST)


@pytest.mark.parametrize(
    ("words", "cron", "shown", "next_fire"),
    [
        ("平日 18:00", "0 18 * * mon-fri", "平日 18:00", datetime(2026, 12, 3, 18, 0)),
        ("毎日 8:30", "30 8 * * *", "毎日 8:30", datetime(2026, 12, 4, 8, 30)),
        ("毎週月曜 7:00", "0 7 * * mon", "毎週月曜 7:00", datetime(2026, 12, 7, 7, 0)),
        ("月・水・金 12:00", "0 12 * * mon,wed,fri", "月・水・金 12:00", datetime(2026, 12, 4, 12)),
        ("毎月1日 9:00", "0 9 1 * *", "毎月1日 9:00", datetime(2027, 1, 1, 9, 0)),
        ("毎月末日 17:00", "0 17 last * *", "毎月末日 17:00", datetime(2026, 12, 31, 17, 0)),
        ("土日 10:00", "0 10 * * sat,sun", "土日 10:00", datetime(2026, 12, 5, 10, 0)),
    ],
)
def test_every_accepted_form(words: str, cron: str, shown: str, next_fire: datetime) -> None:
    assert parse_when(words) == cron
    assert describe(cron) == shown
    fire = parse_cron(cron).get_next_fire_time(None, NOW)
    assert fire == next_fire.replace(tzinfo=JST)


@pytest.mark.parametrize(
    ("words", "cron"),
    [
        ("平日　１８：００", "0 18 * * mon-fri"),  # full-width space, digits and colon
        ("毎月１５日 ９：０５", "5 9 15 * *"),
        ("毎日8:30", "30 8 * * *"),  # no space
        ("  毎日   8:30 ", "30 8 * * *"),
        ("毎週月曜日 7:00", "0 7 * * mon"),
        ("月曜 7時", "0 7 * * mon"),
        ("水曜日 9時15分", "15 9 * * wed"),
        ("日曜 9時半", "30 9 * * sun"),
        ("月水金 6:05", "5 6 * * mon,wed,fri"),
        ("月、水、金 6:05", "5 6 * * mon,wed,fri"),
        ("毎週土日 10:00", "0 10 * * sat,sun"),
        ("月火水木金 18:00", "0 18 * * mon-fri"),  # the five days are 平日
        ("毎月末 17:00", "0 17 last * *"),
        ("毎日 0:00", "0 0 * * *"),
        ("毎日 23:59", "59 23 * * *"),
    ],
)
def test_variants_people_write(words: str, cron: str) -> None:
    assert parse_when(words) == cron


@pytest.mark.parametrize(
    ("words", "why"),
    [
        ("毎時", "は読み取れません"),
        ("18:00", "は読み取れません"),  # no days
        ("平日", "は読み取れません"),  # no time
        ("明日 9:00", "は読み取れません"),
        ("", "（空）」は読み取れません"),
        ("平日 25:00", "の時刻「25:00」は 0:00〜23:59 の範囲ではありません"),
        ("毎日 8:60", "の時刻「8:60」は 0:00〜23:59 の範囲ではありません"),
        ("毎月32日 9:00", "の日「32日」は 1〜31 の範囲ではありません"),
        ("毎月0日 9:00", "の日「0日」は 1〜31 の範囲ではありません"),
        ("0 18 * * 1-5", "は読み取れません"),  # cron is not words: --cron is for that
    ],
)
def test_what_cannot_be_read_is_one_japanese_line_with_the_forms(words: str, why: str) -> None:
    with pytest.raises(WhenError) as raised:
        parse_when(words)
    message = str(raised.value)
    assert why in message
    assert all(example in message for example in EXAMPLES)
    assert "全角" in message
    assert isinstance(raised.value, ScheduleError)  # the CLI's one-line error handling


@pytest.mark.parametrize(
    ("cron", "shown"),
    [
        ("0 18 * * 1-5", "平日 18:00"),  # crontab numbers, as the CLI's --cron takes them
        ("0 8 * * 0,6", "土日 8:00"),
        ("0 8 * * 7", "毎週日曜 8:00"),
        ("0 8 * * 0", "毎週日曜 8:00"),
        ("0 8 * * 1-7", "毎日 8:00"),
        ("0 8 * * 1,3,5", "月・水・金 8:00"),
        ("15 6 * * tue-thu", "火・水・木 6:15"),
        ("*/10 * * * * *", "*/10 * * * * *"),  # seconds: the cron text
        ("0 */2 * * *", "0 */2 * * *"),
        ("0 9 1 4 *", "0 9 1 4 *"),  # a month: the cron text
        ("0 9 1 * mon", "0 9 1 * mon"),
        ("0 9 1-5 * *", "0 9 1-5 * *"),
    ],
)
def test_cron_back_to_words_or_the_cron_text(cron: str, shown: str) -> None:
    assert describe(cron) == shown


def test_cli_add_when_in_words_and_exactly_one_of_when_and_cron(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'renkei.db'}"
    audit = tmp_path / "audit"
    runner = CliRunner(env={"RENKEI_AUDIT_DIR": str(audit)})

    def renkei(*args: str) -> Result:
        return runner.invoke(cli, ["--db", db_url, "schedule", "add", *args])

    added = renkei("--when", "平日　１８：００")
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith("run:all: 平日 18:00（0 18 * * mon-fri） を追加しました  次回 ")
    db = Database(db_url)
    assert [(s.id, s.cron) for s in list_schedules(db)] == [("run:all", "0 18 * * mon-fri")]
    lines = [json.loads(x) for x in (audit / "review.jsonl").read_text("utf-8").splitlines()]
    assert [(a["step"], a["by"], a["cron"]) for a in lines] == [
        ("schedule_add", getpass.getuser(), "0 18 * * mon-fri")
    ]

    for args in (("--id", "b", "--when", "毎日 9:00", "--cron", "0 9 * * *"), ("--id", "n")):
        refused = renkei(*args)
        assert refused.exit_code == 2
        assert "--when か --cron のどちらか一方を指定してください" in refused.output
    bad = renkei("--id", "x", "--when", "毎時")
    assert bad.exit_code == 1
    assert bad.output.startswith(
        "Error: 実行日時「毎時」は読み取れません。次の形で書いてください: 平日 18:00"
    )
    assert [s.id for s in list_schedules(db)] == ["run:all"]
    assert len((audit / "review.jsonl").read_text("utf-8").splitlines()) == 1
    db.dispose()
