"""Every command and every option of ``renkei`` is described, Japanese first, English beside.

The whole command tree is walked, the groups other modules register included (schedule,
calendar, scheduler, console, procedure, audit): a command added without help, or with help
in one language only, fails here. Each failure names the command and the option, all of
them in one message, so that one run shows everything left to write.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

import click
from click.testing import CliRunner

from bots.cli.main import RUN_HELP, cli
from bots.cli.output import wrap_help

#: Hiragana, katakana and kanji: Japanese.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
#: An English word: lower-case letters in it (`JSON` or `URL` alone is no English help).
ENGLISH = re.compile(r"[A-Za-z]*[a-z]{2}[A-Za-z]*")
#: English prose: two words in a row. Japanese comes before it (`Web コンソール` is Japanese).
PROSE = re.compile(r"[A-Za-z]+[ ,;:]+[A-Za-z]+")


def _commands() -> Iterator[tuple[str, click.Command]]:
    """Every command under ``renkei``, as typed (``renkei audit key init``)."""

    def walk(path: str, command: click.Command) -> Iterator[tuple[str, click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=path.rsplit(" ", 1)[-1])
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"{path} {name}"
                yield from walk(f"{path} {name}", sub)

    yield from walk("renkei", cli)


def _problem(text: str | None) -> str | None:
    """What is missing from one help text, or None when it reads Japanese, then English."""
    if not text or not text.strip():
        return "no help"
    japanese, prose = JAPANESE.search(text), PROSE.search(text)
    if japanese is None:
        return "no Japanese"
    if ENGLISH.search(text) is None:
        return "no English"
    if prose is not None and prose.start() < japanese.start():
        return "English before the Japanese"
    return None


def _cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _help_page(args: list[str]) -> str:
    shown = CliRunner().invoke(cli, [*args, "--help"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, (args, shown.output)
    return shown.output


def test_the_walk_reaches_every_command_group() -> None:
    """The check below sees the commands other modules add, down to the leaves."""
    paths = {path for path, _ in _commands()}
    for group in ("schedule", "calendar", "scheduler", "console", "procedure", "audit"):
        assert f"renkei {group}" in paths
    for leaf in ("renkei run", "renkei review edit", "renkei audit key init", "renkei demo seed"):
        assert leaf in paths
    assert len(paths) > 30


def test_every_command_and_option_has_japanese_and_english_help() -> None:
    offenders: list[str] = []
    for path, command in _commands():
        if (problem := _problem(command.help)) is not None:
            offenders.append(f"{path}: {problem}")
        for param in command.params:
            if isinstance(param, click.Option) and (problem := _problem(param.help)) is not None:
                offenders.append(f"{path} {max(param.opts, key=len)}: {problem}")
    assert not offenders, f"{len(offenders)} help texts to write:\n" + "\n".join(offenders)


def test_every_argument_is_described_in_its_commands_help() -> None:
    """click shows no help for an argument: the command's help names it (`APP_ID: 申請ID`)."""
    offenders = [
        f"{path}: argument {param.human_readable_name} is not described in its help"
        for path, command in _commands()
        for param in command.params
        if isinstance(param, click.Argument)
        and param.human_readable_name not in (command.help or "")
    ]
    assert not offenders, f"{len(offenders)} arguments to describe:\n" + "\n".join(offenders)


def test_every_help_page_fits_an_80_column_terminal() -> None:
    """Japanese characters take two columns: a help page wrapped by characters would not fit."""
    offenders: list[str] = []
    for path, _ in _commands():
        page = _help_page(path.split()[1:])
        for number, line in enumerate(page.splitlines(), 1):
            if _cells(line) > 80:
                offenders.append(f"{path} --help, line {number} ({_cells(line)} columns): {line}")
    assert not offenders, "\n".join(offenders)


def test_renkei_help_lists_every_option_and_command_in_both_languages() -> None:
    page = _help_page([])
    text = " ".join(page.split())
    assert "審査済の申請を基幹システムに入力します" in text
    assert "Keys resolved applications into the core system" in text
    assert "オプション / Options:" in page and "コマンド / Commands:" in page
    assert "管理データベースの URL" in page and "このヘルプを表示して終了" in page
    for param in cli.params:
        for opt in param.opts:
            assert opt in page, opt
    for name in cli.list_commands(click.Context(cli)):
        assert f"\n  {name} " in page, name


def test_run_help_gives_the_exit_codes_in_japanese_and_english() -> None:
    page = _help_page(["run"])
    text = " ".join(page.split())
    assert "連携待ちの申請を 1 件ずつ基幹システムに入力し" in text
    assert "終了コード（docs/operations.md" in text and "Exit codes (docs/operations.md" in text
    for code, japanese in [
        (0, "正常"),
        (1, "実行を開始できない"),
        (3, "基幹システムのサブシステムを停止"),
        (4, "レシピファイルの不備"),
        (5, "休止"),
        (6, "別の実行が手続の実行ロックを持っている"),
        (7, "稼働時間外"),
    ]:
        line = next(line for line in page.splitlines() if line.startswith(f"    {code}  "))
        assert japanese in line, line
    assert "この手続だけ（レシピ名）/ Only this procedure" in text
    run = cli.commands["run"]
    for param in run.params:
        for opt in param.opts:
            assert opt in page, opt
    # The exit codes' block keeps its lines, each readable on its own.
    assert "  0  正常（連携する申請がなかったときも）\n" in RUN_HELP


def test_japanese_wraps_between_characters_never_before_punctuation() -> None:
    text = (
        "申請を基幹システムに入力し、結果を表示します。受付番号（基幹システムが付ける番号）を記録"
    )
    wrapped = wrap_help(text, 20).splitlines()
    assert len(wrapped) > 2
    assert "".join(wrapped) == text
    for line in wrapped:
        assert _cells(line) <= 20, line
        assert line[0] not in "、。）", line
        assert line[-1] != "（", line
    english = "Key every resolved application once, then print the summary."
    assert wrap_help(english, 30).splitlines() == [
        "Key every resolved application",
        "once, then print the summary.",
    ]


def test_the_check_tells_one_language_from_both() -> None:
    assert _problem("この手続だけ（レシピ名）/ Only this procedure (recipe name).") is None
    assert _problem("理由 / Why, e.g. 庁舎点検.") is None
    assert _problem("Only this procedure (recipe name).") == "no Japanese"
    assert _problem("JSON で出力（URL）") == "no English"
    assert _problem("Only this procedure / この手続だけ") == "English before the Japanese"
    assert _problem(None) == "no help" and _problem("  ") == "no help"
