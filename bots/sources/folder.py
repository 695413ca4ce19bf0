"""A drop folder: the files an export of the 申請管理システム writes, each taken exactly once.

Files directly in ``path`` matching ``pattern`` are candidates (``done/`` and ``rejected/``
are below it, so never candidates again). A file that may still be being written is left
for the next sync: a temporary name (``.tmp``, ``.part``, ``~$…``, a dot file…), a change
within the last ``settle_seconds``, or a size or time that changes while it is read. A
file is read from the very bytes that are hashed (SHA-256), and recorded in
``source_files`` by that hash: the same content dropped again, under any name, is not
taken again — it is moved to ``done/`` with a note beside it saying when it was taken.

After its rows are stored: all taken → ``done/``; a file that cannot be read at all, or
with refused rows → ``rejected/`` with ``<name>.report.txt`` beside it (UTF-8, a header
line, then one line per row: 行番号 — as the clerk sees it in Excel, header row 1 — 申請ID
and 理由, tab-separated, masked). Its good rows are taken all the same, so a corrected file
dropped again takes only what was refused (the rows already in the queue with the same
version are skipped quietly). Rows not taken for a reason that is not the row's fault (a
correction of an application already 連携済) are listed in a report beside the file in
``done/``. Moves are ``os.replace`` within the folder (one file system: atomic); a name
already in ``done/`` or ``rejected/`` gets a suffix (``申請-2.csv``).

A file whose content cannot be read is not recorded as taken (nothing of it was): a fixed
file with the same name is read when dropped again.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bots.clock import utcnow
from bots.config import ja_time
from bots.masking import scrub_text
from bots.queue.db import Database
from bots.queue.schema import SourceFileRow
from bots.sources.config import FolderSource

DONE, REJECTED = "done", "rejected"
#: Names editors, browsers and copy tools give files they are still writing.
TEMP_PREFIXES = (".", "~$", "~")
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")
REPORT_HEADER = "行番号\t申請ID\t理由"


@dataclass(frozen=True)
class Snapshot:
    """A file read whole, as it was while it did not change."""

    path: Path
    raw: bytes
    sha256: str


def temporary(name: str) -> bool:
    """A name a file has while it is written (and renamed when complete)."""
    lower = name.lower()
    return lower.startswith(TEMP_PREFIXES) or lower.endswith(TEMP_SUFFIXES)


def candidates(config: FolderSource) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to read now (oldest first), and those left for later with why."""
    if not config.path.is_dir():
        raise FileNotFoundError(config.path)
    ready: list[tuple[float, Path]] = []
    waiting: list[tuple[Path, str]] = []
    now = time.time()
    for path in config.path.glob(config.pattern):
        if not path.is_file() or path.is_symlink():
            continue
        if temporary(path.name):
            waiting.append((path, "一時ファイルの名前のため（書き込み中）"))
            continue
        age = now - path.stat().st_mtime
        if age < config.settle_seconds:
            waiting.append((path, f"最後の書き込みから {config.settle_seconds:g} 秒たっていません"))
            continue
        ready.append((path.stat().st_mtime, path))
    return [p for _, p in sorted(ready, key=lambda t: (t[0], t[1].name))], waiting


def snapshot(path: Path) -> Snapshot | None:
    """The file's bytes and their hash, or None when it changed while it was read."""
    before = path.stat()
    raw = path.read_bytes()
    after = path.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(
        raw
    ) != after.st_size:
        return None
    return Snapshot(path, raw, hashlib.sha256(raw).hexdigest())


def taken_before(db: Database, source: str, sha256: str) -> SourceFileRow | None:
    """The record of this content taken before from this source, if it was."""
    with db.session() as s:
        row = s.get(SourceFileRow, (source, sha256))
        if row is not None:
            s.expunge(row)
        return row


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while target.exists() or (folder / f"{target.name}.report.txt").exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def destination(path: Path, where: str) -> Path:
    """Where ``path`` goes in ``done/`` or ``rejected/`` beside it: never over a file."""
    folder = path.parent / where
    folder.mkdir(exist_ok=True)
    return _free_name(folder, path.name)


def move(path: Path, target: Path) -> Path:
    """``path`` to ``target`` atomically (one file system: ``os.replace``)."""
    os.replace(path, target)
    return target


def write_report(target: Path, lines: Iterable[tuple[int | None, str | None, str]]) -> Path:
    """``<target>.report.txt``: a header, then ``行番号\\t申請ID\\t理由`` per row (masked)."""
    report = target.with_name(f"{target.name}.report.txt")
    body = [REPORT_HEADER]
    for number, app_id, reason in lines:
        shown = scrub_text(reason).replace("\t", " ").replace("\n", " ")
        body.append(f"{'-' if number is None else number}\t{app_id or '-'}\t{shown}")
    report.write_text("\n".join(body) + "\n", encoding="utf-8")
    return report


def note_duplicate(path: Path, before: SourceFileRow) -> Path:
    """The same content taken before: into ``done/`` with a note saying when, as what."""
    target = move(path, destination(path, DONE))
    note = target.with_name(f"{target.name}.note.txt")
    note.write_text(
        f"このファイルは、同じ内容のファイル『{before.name}』を {ja_time(before.taken_at)} に"
        "取り込み済みのため、取り込んでいません（内容の SHA-256 が同じです）。\n",
        encoding="utf-8",
    )
    return target


def record_taken(
    db: Database, source: str, shot: Snapshot, moved_to: Path, rows: int, refused: int
) -> None:
    """The content is taken (by hash): recorded before the file is moved to ``moved_to``,
    so a crash in between leaves it recorded and the next sync only moves it away."""
    relative = moved_to.relative_to(moved_to.parent.parent).as_posix()
    with db.session() as s:
        s.merge(
            SourceFileRow(
                source=source,
                sha256=shot.sha256,
                name=shot.path.name,
                taken_at=utcnow(),
                moved_to=relative,
                rows=rows,
                refused=refused,
            )
        )
