"""What the CLI prints: a run's progress (a bar in a terminal, plain lines otherwise) and
summary, and the operational log and tracebacks, masked (:mod:`bots.masking`)."""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Protocol, TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bots.audit.report import OUTCOME_LABELS
from bots.config import ja_time, jst
from bots.contracts import REMAINING_LABELS
from bots.engine.results import ItemResult, RunResult
from bots.masking import scrub_text


class ItemReporter(Protocol):
    def __call__(self, item: ItemResult) -> None: ...


def _line(item: ItemResult) -> str:
    label = OUTCOME_LABELS[item.outcome.value]
    tail = item.receipt_no or item.reason or ""
    return f"{item.application_id}  {label}  {tail}"


@contextmanager
def progress(total: int, *, tty: bool | None = None) -> Iterator[ItemReporter]:
    """Yield a callback for each finished application."""
    if tty is None:
        tty = sys.stdout.isatty()
    if not tty:
        yield lambda item: click.echo(_line(item))
        return
    console = Console()
    bar = Progress(
        TextColumn("連携中"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
    )
    with bar:
        task = bar.add_task("", total=total or None)

        def report(item: ItemResult) -> None:
            if item.outcome.value not in ("keyed", "already_keyed"):
                console.print(_line(item))
            bar.update(task, advance=1, description=item.application_id)

        yield report


def print_summary(result: RunResult) -> None:
    """The run's summary as staff read it (times in JST); problems to act on are also
    written to stderr, where cron mails and monitoring look."""
    locked, broken, windowed = result.locked, result.broken, result.outside_window
    for why in broken.values():
        click.echo(f"レシピを読み込めないため実行しませんでした: {why}", err=True)
    if result.skipped_reason:
        click.echo(result.skipped_reason, err=True)
        return
    c = result.counts
    failed = c["retry"] + c["stopped"]
    click.echo("")
    click.echo(f"renkei 実行結果  run {result.run_id}")
    click.echo(f"  開始 {ja_time(result.started_at)}  終了 {ja_time(result.ended_at)}（日本時間）")
    if not result.items:
        click.echo("  新たに連携する申請はありませんでした（連携待ちの申請がありません）")
    click.echo(f"  連携済 keyed:            {c['keyed']}")
    click.echo(f"  登録済を確認 already:     {c['already_keyed']}")
    click.echo(f"  要確認 needs review:     {c['needs_review']}")
    click.echo(f"  失敗 failed (retry/stop): {failed}")
    for system, why in result.stopped.items():
        click.echo(f"  停止 STOPPED {system}: {why}")
    for system, why in result.paused.items():
        if system not in windowed:
            click.echo(f"  休止 PAUSED {system}: {why}（後で再実行します）")
    for system, why in windowed.items():
        click.echo(f"  稼働時間外 OFFLINE {system}: {why}（連携待ちのまま残しました）")
    for procedure, holder in locked.items():
        click.echo(f"  実行中 LOCKED {procedure}: {holder} が実行中のため扱いませんでした")
    for file in broken:
        click.echo(f"  レシピ不備 BROKEN {file}（renkei recipe check で確認）")
    for d in result.drift:
        click.echo(
            f"  セレクタのずれ drift: {d.system} {d.element}: {d.first_strategy} → {d.strategy}"
        )
    click.echo(f"  {_waiting(result.queue)}")
    click.echo(f"  report:      {result.report_path}")
    click.echo(f"  screenshots: {result.screenshots_dir}")
    click.echo(f"  audit log:   {result.audit_path}")


def _waiting(queue: dict[str, dict[str, int]] | None) -> str:
    """What is still left in the queue after this run, all procedures together: a run that
    took none of them must not read as if nothing waited."""
    if queue is None:
        return "キューに残っている申請: （読み取っていません）"
    totals = {key: sum(counts.get(key, 0) for counts in queue.values()) for key in REMAINING_LABELS}
    parts = [f"{REMAINING_LABELS[k]} {n} 件" for k, n in totals.items() if n]
    return "キューに残っている申請: " + ("、".join(parts) if parts else "なし")


#: The operational log's lines: the time in Japan time, as staff read every other time.
LOG_FORMAT = "{extra[jst_time]} | {level: <8} | {name}:{function}:{line} - {message}\n{exception}"


def log_format(record: Any) -> str:
    """loguru's format for renkei's sinks: the record's time in JST (the host may be UTC)."""
    record["extra"]["jst_time"] = f"{jst(record['time']):%Y-%m-%d %H:%M:%S.%f}"[:-3] + " JST"
    return LOG_FORMAT


def scrubbed_sink(stream: TextIO) -> Callable[[str], None]:
    """A loguru sink writing each record scrubbed — message *and* traceback.

    loguru formats the exception inside the handler, after any patcher has run: only the
    final text, as the sink receives it, holds everything that will be printed. A callable
    sink is never colourised, which also keeps colour codes from splitting a value.
    """

    def write(message: str) -> None:
        stream.write(scrub_text(message))
        stream.flush()

    return write


def _print_scrubbed(
    kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
) -> None:
    sys.stderr.write(scrub_text("".join(traceback.format_exception(kind, value, tb))))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    _print_scrubbed(args.exc_type, args.exc_value, args.exc_traceback)


def mask_tracebacks() -> None:
    """Print an uncaught exception's traceback (any thread) scrubbed, as Python would.

    A bug's traceback is for IT staff and stays whole (the exception still ends the
    process with its usual exit status); only the values it repeats are masked.
    """
    sys.excepthook = _print_scrubbed
    threading.excepthook = _thread_hook
