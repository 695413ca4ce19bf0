"""One sync of one source: its rows mapped, stored through the import's storing stage.

Every row becomes an application exactly as a ``renkei import`` row would (checked with its
procedure's schema; problems → 要確認 with the bot's reason, never lost), with ``source``
and ``source_version`` set. The rule for an application already in the queue
(:func:`source_policy`):

* never taken twice: the same row again (same version, or no ``version`` column at all)
  is skipped quietly — it is counted, not listed;
* a row whose ``version`` changed, of an application in 要確認 that nothing was, or may
  have been, pressed for, is taken as its correction: audited with masked before/after
  exactly like ``renkei import --replace`` (step ``import_replace``, the place
  ``<source>:<table or file>:<row>行目``);
* in any other status (連携済, 連携中, 対象外, a possible registration…) the changed row is
  not taken and the report says why, at every sync while the source keeps it so;
* an application of the same id from elsewhere (``renkei import``, another source) is not
  taken, with why.

Refused rows (a row that cannot be mapped, a duplicate id in one read) are recorded like
the importer's (``import_rejections``, file ``<source>:<table or file>``). A table's rows
are re-read at every sync and re-refused: a refused row is in the source still.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bots.contracts import Status
from bots.intake.importer import is_blank
from bots.intake.reading import ImportFileError, read_table
from bots.intake.storing import ImportReport, Policy, Store, Verdict, not_replaceable
from bots.queue.db import Database
from bots.queue.schema import ApplicationRow
from bots.recipe.model import Recipe
from bots.sources import folder
from bots.sources.config import FolderSource, SqlSource
from bots.sources.mapping import RowRefused, map_row, version_text
from bots.sources.sql import SourceBroken, read_rows


@dataclass
class PartReport:
    """What one table read or one file gave."""

    place: str  # <source>:<table or file>
    report: ImportReport = field(default_factory=ImportReport)
    moved_to: str | None = None  # a file: done/… or rejected/… (relative to the folder)
    note: str | None = None  # a file as a whole: unreadable, the same content taken before


@dataclass
class SyncReport:
    """One source's sync: its parts, or why it was not synced (``error``)."""

    source: str
    parts: list[PartReport] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # files left for the next sync, why
    error: str | None = None
    transient: bool = False  # the error will likely pass (unreachable, another sync going)

    def _all(self, attr: str) -> list[Any]:
        return [x for p in self.parts for x in getattr(p.report, attr)]

    @property
    def taken(self) -> list[str]:
        corrected = set(self.corrections)
        return [a for a in self._all("loaded") if a not in corrected]

    @property
    def corrections(self) -> list[str]:
        return self._all("replaced")

    @property
    def needs_review(self) -> int:
        return len(self._all("needs_review"))

    @property
    def refused(self) -> int:
        return len(self._all("rejected"))

    @property
    def skipped(self) -> int:
        return len(self._all("skipped")) + sum(p.report.unchanged for p in self.parts)


def source_policy(name: str, versioned: bool) -> Policy:
    """The rule for a row of an application already stored (see the module doc)."""

    def decide(existing: ApplicationRow, app: ApplicationRow) -> Verdict:
        if existing.source != name:
            where = f"取り込み元『{existing.source}』" if existing.source else "renkei import など"
            return Verdict("skip", f"申請ID {app.id} は{where}から取り込み済みのため取り込みません")
        if not versioned or existing.source_version == app.source_version:
            return Verdict("unchanged")
        changed = f"申請ID {app.id} の版が変わりました（{existing.source_version} → {app.source_version}）が、"
        why = not_replaceable(existing)
        if why is None and existing.status != Status.NEEDS_REVIEW.value:
            why = (
                f"{Status(existing.status).label}のため訂正として取り込みません"
                "（訂正として取り込むのは要確認の申請だけです）"
            )
        return Verdict("skip", changed + why) if why else Verdict("correct")

    return decide


def _known(db: Database, name: str, ids: Sequence[str]) -> dict[str, str | None]:
    """This source's applications among ``ids``: id → the version taken (one query per 500)."""
    known: dict[str, str | None] = {}
    with db.session() as s:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            q = select(ApplicationRow.id, ApplicationRow.source_version).where(
                ApplicationRow.id.in_(chunk), ApplicationRow.source == name
            )
            known.update({app_id: version for app_id, version in s.execute(q)})
    return known


def store_rows(
    db: Database,
    name: str,
    config: SqlSource | FolderSource,
    recipes: Mapping[str, Recipe],
    part: PartReport,
    rows: Sequence[tuple[int, Any]],
    *,
    by: str,
    audit_dir: Path,
) -> Store:
    """Map and store every row; an unchanged row is skipped before it is even mapped."""
    cols = config.columns
    store = Store(
        db,
        recipes,
        place=part.place,
        policy=source_policy(name, cols.version is not None),
        by=by,
        audit_dir=audit_dir,
        record_once=True,
    )
    store.report = part.report
    ids = [
        str(r[cols.id]).strip()
        for _, r in rows
        if isinstance(r, dict) and not is_blank(r.get(cols.id))
    ]
    known = _known(db, name, ids)
    for number, row in rows:
        if not isinstance(row, dict):
            store.refuse(number, None, "申請がオブジェクトではありません")
            continue
        app_id = "" if is_blank(row.get(cols.id)) else str(row[cols.id]).strip()
        if (
            app_id in known
            and app_id not in store.seen
            and _same_version(known[app_id], row, cols.version)
        ):
            store.seen.add(app_id)
            store.report.unchanged += 1
            continue
        try:
            app = map_row(name, config, row, recipes)
        except RowRefused as exc:
            store.refuse(number, app_id[:64] or None, str(exc))
            continue
        store.take(number, app)
    store.save_refused()
    return store


def _same_version(taken: str | None, row: Mapping[str, Any], column: str | None) -> bool:
    return column is None or (column in row and version_text(row[column]) == taken)


def sync_sql(
    db: Database,
    name: str,
    config: SqlSource,
    recipes: Mapping[str, Recipe],
    *,
    by: str,
    audit_dir: Path,
) -> SyncReport:
    """Read the source's table or query and store its rows (errors: see :mod:`.sql`)."""
    read = read_rows(name, config)
    part = PartReport(f"{name}:{read.place}")
    store_rows(db, name, config, recipes, part, read.rows, by=by, audit_dir=audit_dir)
    return SyncReport(name, [part])


def sync_folder(
    db: Database,
    name: str,
    config: FolderSource,
    recipes: Mapping[str, Recipe],
    *,
    by: str,
    audit_dir: Path,
) -> SyncReport:
    """Take every settled file of the folder once (see :mod:`bots.sources.folder`)."""
    try:
        ready, waiting = folder.candidates(config)
    except FileNotFoundError:
        raise SourceBroken(
            f"ソース『{name}』のフォルダ {config.path} がありません（sources.yaml の path）"
        ) from None
    report = SyncReport(name, waiting=[f"{p.name}: {why}" for p, why in waiting])
    for path in ready:
        shot = folder.snapshot(path)
        if shot is None:
            report.waiting.append(f"{path.name}: 読み取り中に変更されました（書き込み中）")
            continue
        report.parts.append(_take_file(db, name, config, recipes, shot, by=by, audit_dir=audit_dir))
    return report


def _take_file(
    db: Database,
    name: str,
    config: FolderSource,
    recipes: Mapping[str, Recipe],
    shot: folder.Snapshot,
    *,
    by: str,
    audit_dir: Path,
) -> PartReport:
    """One file: a duplicate noted, an unreadable one rejected, else its rows stored."""
    path = shot.path
    part = PartReport(f"{name}:{path.name}")
    before = folder.taken_before(db, name, shot.sha256)
    if before is not None:
        target = folder.note_duplicate(path, before)
        part.moved_to, part.note = _relative(target), f"同じ内容を取り込み済み（{before.name}）"
        return part
    try:
        # named by its name alone in the messages (the report lies beside it)
        table = read_table(Path(path.name), raw=shot.raw, encoding=config.encoding)
        _columns_present(path, table.kind, table.columns, table.rows, config)
    except ImportFileError as exc:
        target = folder.move(path, folder.destination(path, folder.REJECTED))
        folder.write_report(target, [(None, None, str(exc))])
        part.moved_to, part.note = _relative(target), str(exc)
        return part
    store = store_rows(db, name, config, recipes, part, table.rows, by=by, audit_dir=audit_dir)
    where = folder.REJECTED if store.refused else folder.DONE
    target = folder.destination(path, where)
    folder.record_taken(db, name, shot, target, len(table.rows), len(store.refused))
    folder.move(path, target)
    lines = sorted(store.refused + store.not_taken, key=lambda line: line[0])
    if lines:
        folder.write_report(target, lines)
    part.moved_to = _relative(target)
    return part


def _columns_present(
    path: Path, kind: str, columns: list[str], rows: list[Any], config: FolderSource
) -> None:
    """A file without data rows, or without a mapped column, is refused as a whole."""
    if not rows:
        raise ImportFileError(f"{path.name}: データ行がありません")
    if kind == "json":
        return
    wanted = [c for c in config.columns.model_dump().values() if c]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ImportFileError(
            f"{path.name}: 列『{'』『'.join(missing)}』がありません（sources.yaml の columns）"
        )


def _relative(target: Path) -> str:
    return target.relative_to(target.parent.parent).as_posix()
