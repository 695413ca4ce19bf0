"""Verification of every audit chain against what was recorded outside it.

A chain's lines prove only that they agree with each other. This module checks each run's
``audit.jsonl`` and the staff actions' ``review.jsonl``:

* line by line (JSON, sequence numbers, ``prev``/``hash``), naming the first bad line;
* every screenshot a line names, hashed again (changed or deleted);
* against the signed anchors in the management database (:mod:`bots.audit.anchors`): a
  tail cut off, a chain rewritten with recomputed hashes, a forged anchor, a run folder
  deleted (anchors without a folder), a run whose anchors were deleted (a gap in the
  installation's anchor numbers, or a ``runs`` row without anchors);
* against a checkpoint an auditor kept outside the installation (:func:`make_checkpoint`):
  what was recorded before it must still hash to the heads it holds, even if the anchors
  were rewritten with the installation's own key;
* a run whose evidence was removed after its retention (``renkei audit prune``) against its
  signed removal record: the record's line hashes must meet the run's anchors (and any
  checkpoint), and the record must be a line of the ``retention`` chain, and the reverse.

Findings name the file, the line and what is wrong, in Japanese; times are JST.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bots.audit.anchors import RETENTION, load_anchors, load_prunes, prune_message, row_message
from bots.audit.keys import InstallationKey, load_public, public_pem, verify_signature
from bots.audit.trail import GENESIS, JST
from bots.config import ja_time
from bots.masking import scrub_text
from bots.queue.db import Database
from bots.queue.schema import AttemptRow, AuditAnchorRow, AuditPruneRow, RunRow
from bots.results import sha256_file

REVIEW = "review"
ANCHORS = "audit_anchors"


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, line) and what."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class Chain:
    """What one audit file holds: its lines' hashes while the chain is intact."""

    path: Path
    lines: int = 0
    hashes: list[str] = field(default_factory=list)  # of the intact prefix
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return len(self.hashes) == self.lines

    def head_at(self, n: int) -> str | None:
        """The hash of line ``n`` if the chain is intact up to it."""
        return self.hashes[n - 1] if 0 < n <= len(self.hashes) else None


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs: int = 0
    reviews: int = 0
    unsigned: int = 0  # runs from before the installation signed anything (an upgrade)
    pruned: int = 0  # runs whose evidence was removed, each with a valid removal record
    retention: int = 0  # the retention chain (renkei audit prune's log), when checked

    def verdict(self) -> str:
        if self.findings:
            return f"検証結果: 問題 {len(self.findings)} 件"
        legacy = f"、うち署名開始前の実行 {self.unsigned} 件は連鎖のみ" if self.unsigned else ""
        pruned = f"、うち削除済み（保存期間経過）の実行 {self.pruned} 件" if self.pruned else ""
        retention = f"、削除記録 {self.retention} 件" if self.retention else ""
        return (
            f"検証結果: 改ざんは見つかりませんでした（実行 {self.runs} 件{legacy}{pruned}、"
            f"操作記録 {self.reviews} 件{retention}）"
        )


def _jst(at: datetime) -> str:
    return at.replace(tzinfo=UTC).astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")


# --- one file ---------------------------------------------------------------------------


def read_chain(path: Path) -> Chain:
    """Check a file's lines and screenshots; ``hashes`` stops at the first broken line."""
    chain = Chain(path)
    raw = path.read_text(encoding="utf-8").splitlines()
    chain.lines = len(raw)
    entries: list[dict[str, Any] | None] = []
    for line in raw:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            entries.append(None)
    prev, broken = GENESIS, False
    for number, entry in enumerate(entries, start=1):
        if entry is None:
            if not broken:
                chain.findings.append(Finding(str(path), number, "行がJSONとして読めません"))
            broken = True
            continue
        if not broken:
            problem = _line_problem(entry, number, prev, entries)
            if problem:
                chain.findings.append(Finding(str(path), number, problem))
                broken = True
            else:
                prev = str(entry["hash"])
                chain.hashes.append(prev)
        chain.findings.extend(_shot_problems(path, number, entry))
    return chain


def _line_problem(
    entry: dict[str, Any], number: int, prev: str, entries: list[dict[str, Any] | None]
) -> str | None:
    body = {k: v for k, v in entry.items() if k != "hash"}
    seq = entry.get("seq")
    if entry.get("prev") != prev:
        return "前の行との連鎖が切れています: " + _why_unlinked(seq, number, entries)
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, default=str)
    if hashlib.sha256((prev + text).encode("utf-8")).hexdigest() != entry.get("hash"):
        return "行の内容が改変されています（行のハッシュが一致しません）"
    return None


def _why_unlinked(seq: Any, number: int, entries: list[dict[str, Any] | None]) -> str:
    """Deleted, swapped or inserted, told from the lines' sequence numbers."""
    if not isinstance(seq, int) or seq == number:
        return "行が挿入されたか、前の行が改変されています"
    later = [
        i for i, e in enumerate(entries[number:], start=number + 1) if e and e.get("seq") == number
    ]
    if later:
        return f"行の順序が入れ替わっています（連番 {number} の行が {later[0]} 行目にあります）"
    if seq > number:
        missing = f"{number}" if seq == number + 1 else f"{number}〜{seq - 1}"
        return f"行が削除されています（連番 {missing} がありません）"
    return f"行が挿入されたか重複しています（連番 {seq} の行がもう一度あります）"


def _shot_problems(path: Path, number: int, entry: dict[str, Any]) -> list[Finding]:
    shot, recorded = entry.get("screenshot"), entry.get("sha256")
    if not shot:
        return []
    file = Path(shot) if Path(shot).is_absolute() else path.parent / shot
    if not file.is_file():
        return [Finding(str(path), number, f"画面写真 {shot} がありません（削除の疑い）")]
    if sha256_file(file) != recorded:
        return [
            Finding(
                str(path),
                number,
                f"画面写真 {shot} の内容が記録時と異なります（SHA-256 が一致しません。差し替えの疑い）",
            )
        ]
    return []


# --- a chain against its anchors ----------------------------------------------------------


def check_anchors(
    chain: Chain, anchors: list[AuditAnchorRow], key_pem: str, *, closes: bool
) -> tuple[list[Finding], list[str]]:
    """Findings and notes of one chain against its anchors (``closes``: a run's chain,
    whose final anchor ends it; the review log goes on after each anchor)."""
    file, findings, notes = str(chain.path), [], []
    public = load_public(key_pem)
    if not anchors:
        return [
            Finding(file, None, "アンカーがありません（管理データベースに記録のない監査記録です）")
        ], []
    for expected, a in enumerate(anchors, start=1):
        if not verify_signature(public, a.signature, row_message(a)):
            findings.append(
                Finding(
                    file,
                    a.lines,
                    f"アンカー（番号 {a.number}、{_jst(a.at)}）の署名が正しくありません（偽造・書き換えの疑い）",
                )
            )
        if a.seq != expected:
            findings.append(
                Finding(file, None, f"アンカー（この記録の {expected} 番目）が欠けています")
            )
            break
    last = max(anchors, key=lambda a: a.lines)
    if last.lines > chain.lines:
        findings.append(
            Finding(
                file,
                chain.lines + 1,
                f"末尾の行が削除されています（アンカー番号 {last.number} では {last.lines} 行、"
                f"ファイルは {chain.lines} 行）",
            )
        )
    findings.extend(_head_mismatch(chain, anchors))
    notes.extend(_tail_notes(chain, last, closes, findings))
    return findings, notes


def _head_mismatch(chain: Chain, anchors: list[AuditAnchorRow]) -> list[Finding]:
    """The first anchor whose head the (intact) line no longer has: rewritten consistently."""
    for a in anchors:
        head = chain.head_at(a.lines)
        if head is not None and head != a.head:
            return [
                Finding(
                    str(chain.path),
                    a.lines,
                    f"アンカー（番号 {a.number}、{_jst(a.at)}）に記録されたハッシュと一致しません"
                    "（記録が書き換えられ、ハッシュが再計算された疑い）",
                )
            ]
    return []


def _tail_notes(
    chain: Chain, last: AuditAnchorRow, closes: bool, findings: list[Finding]
) -> list[str]:
    file, notes = str(chain.path), []
    if closes and not last.final:
        notes.append(
            f"{file}: 実行の終了が記録されていません（強制終了された実行）。"
            f"{last.lines} 行目までをアンカー（{_jst(last.at)}）で確認しました"
        )
    extra = chain.lines - last.lines
    if extra > 0 and closes and last.final:
        findings.append(
            Finding(file, last.lines + 1, f"実行の終了後に {extra} 行が追加されています")
        )
    elif extra > 0:
        notes.append(f"{file}: {last.lines + 1} 行目以降の {extra} 行はアンカーで確認できません")
    return notes


# --- the installation ---------------------------------------------------------------------


@dataclass
class Scope:
    """What to verify: every chain (``runs`` None), or some runs; with the review log or not."""

    out_root: Path
    audit_dir: Path
    runs: set[str] | None = None
    review: bool = True
    application: str | None = None
    # what verify_all learnt, for a checkpoint checked after it on the same scope: the
    # removal records, and the report's notes (the CLI prints them after the checkpoint's)
    prunes: dict[str, AuditPruneRow] | None = None
    notes: list[str] | None = None


def runs_of_application(db: Database, out_root: Path, app_id: str) -> set[str]:
    """Every run that touched the application: its attempts, and the logs that name it."""
    with db.session() as s:
        runs = set(s.scalars(select(AttemptRow.run_id).where(AttemptRow.application_id == app_id)))
    needle = json.dumps(app_id, ensure_ascii=False)
    for log in out_root.glob("*/audit.jsonl"):
        if f'"application": {needle}' in log.read_text(encoding="utf-8", errors="replace"):
            runs.add(log.parent.name)
    return runs


def verify_all(db: Database, scope: Scope, key: InstallationKey) -> Report:
    """Every chain in scope against the anchors; installation-wide checks when unscoped."""
    report = Report()
    scope.notes = report.notes
    anchors = load_anchors(db)
    by_chain: dict[str, list[AuditAnchorRow]] = {}
    for a in anchors:
        by_chain.setdefault(a.chain, []).append(a)
    for chain_anchors in by_chain.values():
        chain_anchors.sort(key=lambda a: a.seq)
    folders = {p.parent.name for p in scope.out_root.glob("*/audit.jsonl")}
    prunes = scope.prunes = load_prunes(db)
    everything = folders | (set(by_chain) - {REVIEW, RETENTION}) | set(prunes)
    runs = scope.runs if scope.runs is not None else everything
    key_pem = public_pem(key.public)
    signed_since = _signing_began(anchors)
    started = _run_starts(db)
    for run in sorted(runs):
        path = scope.out_root / run / "audit.jsonl"
        if run in prunes:
            narrowed = scope.runs is not None
            _pruned(report, path, prunes[run], by_chain.get(run, []), key_pem, narrowed=narrowed)
        elif run not in by_chain and _before_signing(path, started.get(run), signed_since):
            _legacy(report, path, signed_since)
        else:
            _one(report, path, by_chain.get(run, []), key_pem, closes=True)
        report.runs += 1
    review = scope.audit_dir / "review.jsonl"
    if scope.review and (review.exists() or REVIEW in by_chain):
        _one(report, review, by_chain.get(REVIEW, []), key_pem, closes=False)
        report.reviews += 1
    retention = scope.audit_dir / "retention.jsonl"
    if scope.runs is None and (retention.exists() or RETENTION in by_chain or prunes):
        _one(report, retention, by_chain.get(RETENTION, []), key_pem, closes=False, what="削除記録")
        report.findings.extend(_retention_cross_check(retention, prunes))
        report.retention += 1
    if scope.runs is None:
        report.findings.extend(_numbering(anchors))
        report.findings.extend(_runs_without_anchors(started, set(by_chain), signed_since))
    return report


def _signing_began(anchors: list[AuditAnchorRow]) -> datetime | None:
    """When the installation anchored its first chain (anchor number 1): runs without
    anchors from before then are an upgrade's, not deletions. None when nothing was ever
    anchored; the earliest time there is when anchor 1 itself is missing (deleted), so
    that no run can pass as older than signing."""
    if not anchors:
        return None
    first = [a.at for a in anchors if a.number == 1]
    return first[0] if first else datetime.min


def _run_starts(db: Database) -> dict[str, datetime]:
    with db.session() as s:
        return {run_id: at for run_id, at in s.execute(select(RunRow.id, RunRow.started_at))}


def _before_signing(path: Path, started: datetime | None, signed_since: datetime | None) -> bool:
    """Whether a run without anchors predates the installation's first anchor (a renkei
    older than signing wrote it): by its ``runs`` row, else by its log's time on disk.
    Deleting anchors cannot make a later run look older: anchors are numbered without
    gaps, and an auditor's checkpoint holds every chain it saw."""
    if signed_since is None:
        return True
    if started is not None:
        return started < signed_since
    if not path.exists():
        return False
    written = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    return written < signed_since


def _legacy(report: Report, path: Path, signed_since: datetime | None) -> None:
    """A run from before signing: its chain is checked, and the note says it is unsigned."""
    report.unsigned += 1
    if not path.exists():
        return
    chain = read_chain(path)
    report.findings.extend(chain.findings)
    since = f"（{_jst(signed_since)} より前）" if signed_since else ""
    report.notes.append(
        f"{path}: 署名を始める前{since}の実行です。行の連鎖と画面写真のみ確認しました"
    )


def _one(
    report: Report,
    path: Path,
    anchors: list[AuditAnchorRow],
    key_pem: str,
    *,
    closes: bool,
    what: str | None = None,
) -> None:
    if not path.exists():
        if anchors:
            last = max(anchors, key=lambda a: a.lines)
            what = what or ("実行フォルダ" if closes else "操作記録")
            report.findings.append(
                Finding(
                    str(path),
                    None,
                    f"{what}の監査記録がありません（アンカー {len(anchors)} 件、"
                    f"最後は {_jst(last.at)} に {last.lines} 行。削除の疑い）",
                )
            )
        return
    chain = read_chain(path)
    report.findings.extend(chain.findings)
    findings, notes = check_anchors(chain, anchors, key_pem, closes=closes)
    report.findings.extend(findings)
    report.notes.extend(notes)


# --- runs whose evidence was removed (renkei audit prune) -------------------------------------


def describe_removal(record: AuditPruneRow) -> str:
    """When, by whom and why a run's evidence was removed, as the auditor reads it."""
    return (
        f"{ja_time(record.at)} に {record.by}（{record.host}）が削除（{record.before.year}年"
        f"{record.before.month}月{record.before.day}日より前に終了した実行として。"
        f"理由: {scrub_text(record.note)}）"
    )


def removal_problems(
    record: AuditPruneRow, anchors: list[AuditAnchorRow], key_pem: str, file: str
) -> tuple[list[Finding], list[str]]:
    """A removal record against its signature and the run's anchors: the line hashes it
    kept stand for the removed file, so the anchors are checked against them as against
    the file (a chain rewritten before it was removed no longer meets its anchors)."""
    label = f"削除記録（番号 {record.number}、{ja_time(record.at)}）"
    if not verify_signature(load_public(key_pem), record.signature, prune_message(record)):
        return [Finding(file, None, f"{label}の署名が正しくありません（偽造・書き換えの疑い）")], []
    hashes = [str(h) for h in record.hashes]
    if len(hashes) != record.lines or (hashes and hashes[-1] != record.head):
        return [Finding(file, None, f"{label}の行数と最終ハッシュが食い違っています")], []
    kept = Chain(Path(file), lines=record.lines, hashes=hashes)
    findings, notes = check_anchors(kept, anchors, key_pem, closes=True)
    return [Finding(f.file, f.line, f"{label}と照合: {f.message}") for f in findings], notes


def _pruned(
    report: Report,
    path: Path,
    record: AuditPruneRow,
    anchors: list[AuditAnchorRow],
    key_pem: str,
    *,
    narrowed: bool,
) -> None:
    """A removed run: its record must hold; the folder's absence is then no finding."""
    findings, notes = removal_problems(record, anchors, key_pem, str(path))
    report.findings.extend(findings)
    if findings:
        return
    report.pruned += 1
    if path.parent.exists():
        report.notes.append(
            f"{path.parent}: 削除記録（番号 {record.number}）がありますが、実行フォルダが残って"
            "います（削除が途中で止まった可能性）。renkei audit prune を再度実行すると削除します"
        )
    if narrowed:
        report.notes.append(
            f"{path.parent}: 保存期間の経過により証跡を削除した実行です。"
            f"{describe_removal(record)}。削除記録の署名と、アンカー {len(anchors)} 件の"
            f"ハッシュを確認しました（{record.lines} 行、画面写真 {record.screenshots} 枚）"
        )
        report.notes.extend(notes)


def _retention_cross_check(path: Path, prunes: dict[str, AuditPruneRow]) -> list[Finding]:
    """Every removal record is a line of the retention chain, and every line a record:
    a record added, replaced or deleted in the database alone is seen."""
    lines: dict[int, tuple[int, str, int]] = {}  # record number → (line, run, lines)
    if path.exists():
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                entry = json.loads(raw)
            except json.JSONDecodeError:
                continue  # already a finding of the chain
            if entry.get("step") == "audit_prune" and isinstance(entry.get("record"), int):
                lines[entry["record"]] = (number, str(entry.get("pruned_run")), entry.get("lines"))
    findings = []
    for run, record in sorted(prunes.items()):
        seen = lines.pop(record.number, None)
        if seen is None or seen[1:] != (run, record.lines):
            findings.append(
                Finding(
                    str(path),
                    seen[0] if seen else None,
                    f"削除記録（番号 {record.number}、実行 {run}）と一致する行がありません"
                    "（管理データベースだけで削除記録が追加・書き換えられた疑い）",
                )
            )
    for number, (line, run, _) in sorted(lines.items()):
        findings.append(
            Finding(
                str(path),
                line,
                f"削除記録（番号 {number}、実行 {run}）が管理データベースにありません"
                "（削除記録が消された疑い）",
            )
        )
    return findings


def _numbering(anchors: Iterable[AuditAnchorRow]) -> list[Finding]:
    """Anchors are numbered 1, 2, 3… per installation: a gap is a deleted anchor."""
    numbers = sorted(a.number for a in anchors)
    findings, expected = [], 1
    for n in numbers:
        if n > expected:
            gap = f"{expected}" if n == expected + 1 else f"{expected}〜{n - 1}"
            findings.append(
                Finding(
                    ANCHORS,
                    None,
                    f"アンカー番号 {gap} が欠けています（実行の記録が削除された疑い）",
                )
            )
        expected = n + 1
    return findings


def _runs_without_anchors(
    started: dict[str, datetime], anchored: set[str], signed_since: datetime | None
) -> list[Finding]:
    return [
        Finding(
            f"runs:{run_id}",
            None,
            f"管理データベースに実行（{_jst(at)} 開始）の記録がありますが、"
            "アンカーがありません（監査記録の削除の疑い）",
        )
        for run_id, at in started.items()
        if run_id not in anchored and signed_since is not None and at >= signed_since
    ]


# --- checkpoints ----------------------------------------------------------------------------


def _canonical(document: dict[str, Any]) -> bytes:
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _chain_files(scope: Scope) -> dict[str, Path]:
    files = {p.parent.name: p for p in sorted(scope.out_root.glob("*/audit.jsonl"))}
    for name, file in ((REVIEW, "review.jsonl"), (RETENTION, "retention.jsonl")):
        if (scope.audit_dir / file).exists():
            files[name] = scope.audit_dir / file
    return files


def make_checkpoint(scope: Scope, key: InstallationKey) -> dict[str, Any]:
    """Every chain's length and head (of its intact lines), signed: for the auditor to keep
    outside the installation. ``public_key`` is included so it verifies on its own."""
    chains: dict[str, dict[str, Any]] = {}
    for name, path in _chain_files(scope).items():
        chain = read_chain(path)
        if chain.hashes:
            chains[name] = {"lines": len(chain.hashes), "head": chain.hashes[-1]}
    document: dict[str, Any] = {
        "format": "renkei-audit-checkpoint/1",
        "created_at": datetime.now(JST).isoformat(timespec="seconds"),
        "key_id": key.key_id,
        "public_key": public_pem(key.public),
        "chains": chains,
    }
    document["signature"] = key.sign(_canonical(document))
    return document


def check_checkpoint(
    document: dict[str, Any],
    source: str,
    scope: Scope,
    key: InstallationKey,
    notes: list[str] | None = None,
) -> list[Finding]:
    """Whatever the checkpoint holds must still be there, line for line: a chain whose first
    N lines no longer hash to its head is reported, whatever the anchors say.

    A run removed since (``renkei audit prune``) passes when its removal record (as
    :func:`verify_all` found them on this ``scope``) is signed and its kept line hashes
    still meet the checkpoint's head; ``notes`` (by default the notes of that verification's
    report) then gets a line saying so: the auditor sees what went after their checkpoint.
    """
    try:
        public = load_public(str(document["public_key"]))
        chains = dict(document["chains"])
        signed = verify_signature(public, str(document["signature"]), _canonical(document))
    except (KeyError, TypeError, ValueError):
        return [Finding(source, None, "チェックポイントとして読めません（項目が足りません）")]
    findings = []
    if not signed:
        findings.append(
            Finding(source, None, "チェックポイントの署名が正しくありません（改変の疑い）")
        )
    if document.get("key_id") != key.key_id:
        findings.append(
            Finding(
                source,
                None,
                f"チェックポイントの署名鍵（指紋 {document.get('key_id')}）が、現在の署名鍵"
                f"（指紋 {key.key_id}）と異なります（鍵が差し替えられた疑い）",
            )
        )
    when = document.get("created_at", "?")
    prunes = scope.prunes or {}
    notes = notes if notes is not None else scope.notes
    for name, held in sorted(chains.items()):
        path = _chain_path(scope, name)
        lines, head = int(held["lines"]), str(held["head"])
        if name in prunes and not path.exists():
            finding, note = _pruned_since(prunes[name], path, lines, head, when, key)
            findings.extend(finding)
            if notes is not None:
                notes.extend(note)
            continue
        findings.extend(_against_checkpoint(path, lines, head, when))
    return findings


def _chain_path(scope: Scope, name: str) -> Path:
    if name in (REVIEW, RETENTION):
        return scope.audit_dir / f"{name}.jsonl"
    return scope.out_root / name / "audit.jsonl"


def _pruned_since(
    record: AuditPruneRow, path: Path, lines: int, head: str, when: str, key: InstallationKey
) -> tuple[list[Finding], list[str]]:
    """A chain of the checkpoint removed since: its record must be signed and hold, at the
    checkpoint's line, the checkpoint's head (the run was removed as the auditor saw it)."""
    label = f"削除記録（番号 {record.number}、{ja_time(record.at)}）"
    if not verify_signature(key.public, record.signature, prune_message(record)):
        return [
            Finding(str(path), None, f"{label}の署名が正しくありません（偽造・書き換えの疑い）")
        ], []
    kept = [str(h) for h in record.hashes]
    if len(kept) < lines or kept[lines - 1] != head:
        return [
            Finding(
                str(path),
                lines,
                f"チェックポイント（{when}）の後に削除された実行ですが、{label}のハッシュが"
                "チェックポイントの時点の内容と一致しません（削除の前に書き換えられた疑い）",
            )
        ], []
    return [], [
        f"{path.parent}: チェックポイント（{when}）の後に、保存期間の経過により証跡が削除"
        f"されました。{describe_removal(record)}。チェックポイントの {lines} 行目までは"
        "削除記録のハッシュと一致します"
    ]


def _against_checkpoint(path: Path, lines: int, head: str, when: str) -> list[Finding]:
    if not path.exists():
        return [
            Finding(
                str(path),
                None,
                f"チェックポイント（{when}）にある監査記録がありません（削除の疑い）",
            )
        ]
    chain = read_chain(path)
    if chain.lines < lines:
        return [
            Finding(
                str(path),
                chain.lines + 1,
                f"チェックポイント（{when}）では {lines} 行ありましたが、{chain.lines} 行しかありません",
            )
        ]
    if chain.head_at(lines) != head:
        return [
            Finding(
                str(path),
                lines,
                f"チェックポイント（{when}）の時点の内容と一致しません（それ以前の行が書き換えられています）",
            )
        ]
    return []
