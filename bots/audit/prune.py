"""Retention: removing old runs' evidence, leaving a signed record of exactly what went.

A run's folder (``audit.jsonl``, screenshots, report, summary) is its evidence; after the
municipality's retention period it may go. What must not go is the proof that it existed
and was intact: pruning keeps the management database's rows (applications, attempts,
runs, anchors: the business record) and, per removed run, a removal record
(:class:`bots.queue.schema.AuditPruneRow`) holding the chain's every line hash, signed
with the installation's key, and one line of the ``retention`` audit chain
(``retention.jsonl`` beside the review log, anchored like it). So ``renkei audit verify``
still checks the run's anchors — and an auditor's earlier checkpoint — against what was
removed, and a removal recorded only in the database (or only in the chain) is a finding.

A run is removed only when it verifies right before: pruning a tampered run would
launder it, so such a run is refused (and kept) with the findings. A run still going is
never removed: its end is its final anchor; a run without one counts as ended (killed)
only when it has written nothing for a run lock's lease and holds no run lock.

Steps: :func:`plan` (what would go, checked), :func:`record` (records and chain, one
transaction), :func:`delete` (the folders, after the records are committed).
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from bots.audit.anchors import (
    RETENTION,
    load_anchors,
    load_prunes,
    prune_message,
    session_anchor,
)
from bots.audit.keys import InstallationKey, public_pem
from bots.audit.trail import JST, AuditTrail
from bots.audit.verify import REVIEW, Finding, check_anchors, read_chain
from bots.config import ja_date, jst
from bots.contracts import AuditEvent
from bots.errors import RenkeiError
from bots.masking import scrub_text
from bots.queue.db import Database
from bots.queue.schema import AuditAnchorRow, AuditPruneRow, RunLockRow

#: A run without a final anchor that wrote nothing for this long may be a killed run;
#: the run lock's lease (bots.service.RUN_LOCK_LEASE), after which its lock is free too.
QUIET = timedelta(minutes=15)


class PruneError(RenkeiError):
    """The prune cannot go on (a date out of range, a folder that cannot be removed)."""


@dataclass
class Candidate:
    """One run that ended before the date: its folder, what it holds, whether it verified."""

    run_id: str
    folder: Path
    ended_at: datetime  # naive UTC, from its last anchor
    killed: bool = False
    hashes: list[str] = field(default_factory=list)
    screenshots: int = 0
    files: int = 0
    bytes: int = 0
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Plan:
    """What ``prune --before`` would do: ``prunable`` goes, ``refused`` stays (findings),
    ``leftovers`` are folders of runs already recorded as removed (a prune cut short)."""

    before: date
    prunable: list[Candidate] = field(default_factory=list)
    refused: list[Candidate] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)


def check_date(before: date, min_days: int = 0, now: datetime | None = None) -> None:
    """A date up to tomorrow (JST): ``--before`` tomorrow takes every run ended so far;
    a later date would name runs that have not ended yet. With ``min_days`` (the
    installation's retention floor, ``RENKEI_RETENTION_MIN_DAYS``), no later than that many
    days ago."""
    today = jst(now or datetime.now(UTC)).date()
    if min_days > 0 and before > today - timedelta(days=min_days):
        latest = today - timedelta(days=min_days)
        raise PruneError(
            f"保存期間の下限（RENKEI_RETENTION_MIN_DAYS={min_days} 日）より新しい証跡は"
            f"削除できません: --before には{ja_date(latest)}以前の日付を指定してください"
            f"（指定: {ja_date(before)}）"
        )
    tomorrow = today + timedelta(days=1)
    if before > tomorrow:
        raise PruneError(
            f"--before には明日（{ja_date(tomorrow)}）以前の日付を指定してください"
            f"（指定: {ja_date(before)}）"
        )


def cutoff(before: date) -> datetime:
    """The start of ``before`` in Japan, as the database stores times (naive UTC)."""
    start = datetime.combine(before, time(0), tzinfo=JST)
    return start.astimezone(UTC).replace(tzinfo=None)


def plan(
    db: Database, out_root: Path, before: date, key: InstallationKey, now: datetime | None = None
) -> Plan:
    """Every anchored run that ended before ``before`` (JST), each verified as it is now."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    result, limit, key_pem = Plan(before), cutoff(before), public_pem(key.public)
    prunes = load_prunes(db)
    by_chain: dict[str, list[AuditAnchorRow]] = {}
    for a in load_anchors(db):
        by_chain.setdefault(a.chain, []).append(a)
    held = _held_locks(db, now)
    for run, anchors in sorted(by_chain.items()):
        if run in (REVIEW, RETENTION):
            continue
        folder = out_root / run
        if run in prunes:
            if folder.exists() and _inside(folder, out_root):
                result.leftovers.append(folder)
            continue
        anchors.sort(key=lambda a: a.seq)
        last = anchors[-1]
        if not last.final and (now - last.at < QUIET or _runner_of(folder) in held):
            result.running.append(run)
            continue
        if last.at >= limit:
            continue
        candidate = Candidate(run, folder, last.at, killed=not last.final)
        _check(candidate, out_root, anchors, key_pem)
        (result.refused if candidate.findings else result.prunable).append(candidate)
    return result


def _held_locks(db: Database, now: datetime) -> set[str]:
    with db.session() as s:
        q = select(RunLockRow.holder).where(RunLockRow.acquired_until > now)
        return set(s.scalars(q))


def _runner_of(folder: Path) -> str | None:
    """The runner (``host:pid``) a run's log names, to tell its run lock."""
    log = folder / "audit.jsonl"
    if not log.is_file():
        return None
    with log.open(encoding="utf-8") as fh:
        first = fh.readline()
    try:
        runner = json.loads(first).get("runner")
    except (json.JSONDecodeError, AttributeError):
        return None  # a broken first line: the check that follows reports it
    return str(runner) if runner else None


def _inside(folder: Path, out_root: Path) -> bool:
    """A run folder proper: directly in the evidence root, not a link (chain names come
    from the database, and nothing outside the run folders may ever be removed)."""
    return not folder.is_symlink() and folder.resolve().parent == out_root.resolve()


def _check(
    candidate: Candidate, out_root: Path, anchors: list[AuditAnchorRow], key_pem: str
) -> None:
    """Verify the run as ``renkei audit verify`` would, and count what its folder holds."""
    folder, log = candidate.folder, candidate.folder / "audit.jsonl"
    if not _inside(folder, out_root):
        where = Finding(str(folder), None, "実行フォルダが証跡の保存場所の外を指しています")
        candidate.findings.append(where)
        return
    if not log.is_file():
        candidate.findings.append(
            Finding(str(log), None, "実行フォルダの監査記録がありません（削除記録もありません）")
        )
        return
    chain = read_chain(log)
    findings, _ = check_anchors(chain, anchors, key_pem, closes=True)
    candidate.findings = chain.findings + findings
    candidate.hashes = chain.hashes
    candidate.screenshots = sum(1 for p in (folder / "screenshots").rglob("*.png") if p.is_file())
    for base, _dirs, names in os.walk(folder):
        for name in names:
            candidate.files += 1
            candidate.bytes += (Path(base) / name).lstat().st_size


def record(
    db: Database,
    audit_dir: Path,
    candidates: list[Candidate],
    before: date,
    note: str,
    key: InstallationKey,
) -> list[AuditPruneRow]:
    """One signed removal record and one ``retention`` line per run, in one transaction
    with the chain's anchor: committed before any folder is touched, so a removal
    cut short leaves a record (and a leftover folder), never a folder gone unrecorded."""
    if not note.strip():
        raise PruneError("理由（--note）を入力してください: 削除の記録に必要です")
    if not candidates:
        return []  # (only leftovers to finish: recorded already)
    who, host = getpass.getuser(), socket.gethostname()
    at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    rows = []
    with db.session() as s:
        trail = AuditTrail(
            audit_dir / "retention.jsonl", RETENTION, f"{who}@{host}", anchor=session_anchor(s, key)
        )
        try:
            for c in candidates:
                row = AuditPruneRow(
                    run_id=c.run_id,
                    lines=len(c.hashes),
                    head=c.hashes[-1],
                    hashes=c.hashes,
                    ended_at=c.ended_at,
                    screenshots=c.screenshots,
                    files=c.files,
                    bytes=c.bytes,
                    before=before,
                    note=scrub_text(note),  # a number typed in the note is no exception
                    by=who,
                    host=host,
                    at=at,
                    key_id=key.key_id,
                    signature="",
                )
                s.add(row)
                s.flush()  # its number, which the signature covers
                row.signature = key.sign(prune_message(row))
                trail.emit(_line(row))
                rows.append(row)
        finally:
            trail.close()
    return rows


def _line(row: AuditPruneRow) -> AuditEvent:
    """The retention chain's line of one removal (the hashes stay in the signed record)."""
    return AuditEvent(
        step="audit_prune",
        outcome="removed",
        detail=scrub_text(row.note),
        extra={
            "record": row.number,
            "pruned_run": row.run_id,
            "lines": row.lines,
            "screenshots": row.screenshots,
            "files": row.files,
            "bytes": row.bytes,
            "before": row.before.isoformat(),
            "by": row.by,
            "host": row.host,
        },
    )


def delete(folders: list[Path]) -> None:
    """Remove the folders (of recorded runs only); the first that cannot go is named."""
    for folder in folders:
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise PruneError(
                f"実行フォルダ {folder} を削除できません: {exc.strerror or exc}"
                "（削除記録は残っています。原因を取り除いてもう一度実行してください）"
            ) from exc
