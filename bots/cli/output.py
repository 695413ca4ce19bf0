"""What the CLI prints: a run's progress (a bar in a terminal, plain lines otherwise) and
summary, the operational log and tracebacks, masked (:mod:`bots.masking`), and the help
pages, wrapped by terminal columns (Japanese characters are two wide)."""

from __future__ import annotations

import re
import sys
import threading
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Protocol, TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bots.audit.report import OUTCOME_LABELS, receipt_display
from bots.config import ja_time, jst
from bots.contracts import REMAINING_LABELS
from bots.masking import scrub_text
from bots.results import ItemResult, RunResult


class ItemReporter(Protocol):
    def __call__(self, item: ItemResult) -> None: ...


def _line(item: ItemResult) -> str:
    label = OUTCOME_LABELS[item.outcome.value]
    tail = receipt_display(item.outcome.value, item.receipt_no) or item.reason or ""
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
    for procedure, why in result.disabled.items():
        click.echo(f"  停止中 DISABLED {procedure}: {why}（この実行では扱いませんでした）")
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


# --- help pages ---------------------------------------------------------------------------

#: Characters a Japanese line does not start with (kept on the line before) and does not
#: end with (taken to the next line): 行頭・行末禁則, as staff expect printed text to break.
_NO_START = frozenset(
    "、。，．）」』】］〕｝〉》・ー：；！？ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々,.)]:;!?"
)
_NO_END = frozenset("（「『【［〔｛〈《([")

#: The headings click writes, with the Japanese before them as everywhere else.
_HEADINGS = {"Options": "オプション / Options", "Commands": "コマンド / Commands"}
#: click's own help texts, likewise (the help option of every command).
_TEXTS = {"Show this message and exit.": "このヘルプを表示して終了 / Show this message and exit."}


def cells(text: str) -> int:
    """Terminal columns ``text`` takes: a full-width (Japanese) character takes two.

    click counts characters, so a Japanese help line it wraps at 78 would run to twice that
    on the screen; every width on a help page is measured with this instead.
    """
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _chunks(text: str) -> list[str]:
    """Words and spaces, with Japanese split between characters (not before 、。）…)."""
    chunks: list[str] = []
    for run in re.split(r"(\s+)", text):
        if not run or run.isspace():
            chunks.extend([run] if run else [])
            continue
        piece = run[0]
        for before, char in zip(run, run[1:], strict=False):
            breakable = _wide(before) or _wide(char)
            if breakable and char not in _NO_START and before not in _NO_END:
                chunks.append(piece)
                piece = ""
            piece += char
        chunks.append(piece)
    return chunks


def _fill(text: str, width: int, first: str, rest: str) -> str:
    """One paragraph wrapped to ``width`` columns; spaces at a break are dropped."""
    lines: list[str] = []
    line, used, space = "", 0, ""
    for chunk in _chunks(text):
        if chunk.isspace():
            space = chunk if line else ""
            continue
        indent = rest if lines else first
        if line and cells(indent) + used + cells(space) + cells(chunk) > width:
            lines.append(indent + line)
            line, used, space = "", 0, ""
        line += space + chunk
        used += cells(space) + cells(chunk)
        space = ""
    if line or not lines:
        lines.append((rest if lines else first) + line)
    return "\n".join(lines)


def _paragraphs(text: str) -> list[tuple[int, bool, str]]:
    """click's paragraphs: (indent, kept as written — after a ``\\b`` line —, text)."""
    found: list[tuple[int, bool, str]] = []
    lines: list[str] = []
    indent: int | None = None
    for line in [*text.expandtabs().splitlines(), ""]:
        if line:
            if indent is None:
                indent = len(line) - len(line.lstrip())
            lines.append(line if lines and lines[0].strip() == "\b" else line.lstrip())
            continue
        if lines:
            raw = lines[0].strip() == "\b"
            found.append((indent or 0, raw, "\n".join(lines[1:]) if raw else _joined(lines)))
        lines, indent = [], None
    return found


def _joined(lines: list[str]) -> str:
    """A paragraph's lines as one: Japanese broken across lines joins with no space."""
    text = lines[0]
    for line in lines[1:]:
        text += line if text and _wide(text[-1]) and _wide(line[0]) else " " + line
    return text


def wrap_help(text: str, width: int, indent: str = "") -> str:
    """Wrap help text as click does (paragraphs; ``\\b`` keeps a block's lines), in columns."""
    shown = []
    for extra, raw, para in _paragraphs(text):
        lead = indent + " " * extra
        if raw:
            shown.append("\n".join(lead + line for line in para.splitlines()))
        else:
            shown.append(_fill(para, width, lead, lead))
    return "\n\n".join(shown)


class HelpFormatter(click.HelpFormatter):
    """click's help pages, wrapped by terminal columns so that Japanese fits in 80."""

    def write_heading(self, heading: str) -> None:
        super().write_heading(_HEADINGS.get(heading, heading))

    def write_text(self, text: str) -> None:
        self.write(wrap_help(text, self.width, " " * self.current_indent) + "\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_col = min(max((cells(first) for first, _ in rows), default=0), col_max)
        first_col += col_spacing
        margin = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(" " * self.current_indent + first)
            if not second:
                self.write("\n")
                continue
            if cells(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cells(first)))
            else:
                self.write("\n" + margin)
            second = _TEXTS.get(second, second)
            lines = wrap_help(second, max(self.width - first_col - 2, 10)).splitlines() or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write((margin + line if line else "") + "\n")
