"""The audit log: one JSON line per step, written and flushed by the trail itself, hash-chained.

Auditors review, application by application, what the bot did: when, on which screen and
element, with which (masked) value, how long it took, and which screenshot proves it
(its SHA-256, and its path relative to the run folder). Each line carries the SHA-256 of
the line before it (``prev``) and of itself (``hash``), so removing or editing a line
breaks the chain; :func:`verify_chain` checks one file, :mod:`bots.audit.verify` every
chain against its anchors.

The trail owns its file handle rather than going through loguru: an audit line must never
depend on which sinks someone else added or removed. A line that cannot be written raises
:class:`~bots.errors.AuditWriteFailed`, and every later one too, so the run stops before
its next step. The head of the chain is anchored (an ``anchor`` sink, normally
:class:`bots.audit.anchors.DbAnchors`) at the first line, every ``anchor_lines`` lines or
``anchor_seconds`` seconds, and at close, after an fsync: a killed run is anchored too.

Masking happens before a value reaches this module (the runtime masks sensitive
elements), and again here: every text is scrubbed of anything shaped like a personal or
account number, because an exception message can carry a value nobody meant to log.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bots.contracts import AuditEvent, AuditSink
from bots.errors import AuditWriteFailed
from bots.masking import mask_values, scrub_text
from bots.results import sha256_file

GENESIS = "0" * 64
JST = ZoneInfo("Asia/Tokyo")

#: ``anchor(chain, head, lines, final)``; see :mod:`bots.audit.anchors`.
Anchor = Callable[[str, str, int, bool], None]


def _line_hash(prev: str, body: str) -> str:
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


class AuditTrail(AuditSink):
    """Appends a chain's audit lines to ``path``; the chain is named by ``run_id``
    (a run's id, or ``review`` for the staff actions' log)."""

    def __init__(
        self,
        path: Path,
        run_id: str,
        runner: str,
        *,
        anchor: Anchor | None = None,
        anchor_lines: int = 200,
        anchor_seconds: float = 5.0,
    ) -> None:
        self.path = path
        self.run_id = run_id
        self.runner = runner
        self._anchor = anchor
        self._anchor_lines = anchor_lines
        self._anchor_seconds = anchor_seconds
        self._lock = threading.Lock()
        self._failed: AuditWriteFailed | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("a", encoding="utf-8")
            self._prev, self._seq = _chain_end(path)  # appending continues the chain
        except OSError as exc:
            raise AuditWriteFailed(str(path), exc.strerror or str(exc)) from None
        self._anchored_seq = self._seq
        self._anchored_at = time.monotonic()
        self._closed = False

    def emit(self, event: AuditEvent) -> None:
        """Record one event; values are scrubbed whatever the caller did."""
        payload: dict[str, Any] = {
            "run": self.run_id,
            "runner": self.runner,
            "application": event.application,
            "step": event.step,
            "element": event.element,
            "outcome": event.outcome,
            "duration_ms": None if event.duration_ms is None else round(event.duration_ms, 1),
            "value": mask_values(event.value),
            "detail": scrub_text(event.detail) if event.detail else None,
        }
        if event.screenshot is not None:
            payload["screenshot"] = self._relative(event.screenshot)
            # the writer's own hash when it took the file a moment ago, else hashed here
            payload["sha256"] = event.extra.get("sha256") or sha256_file(event.screenshot)
        # (a file's hash is not a value: never through the masking, which would eat digits)
        payload.update(mask_values({k: v for k, v in event.extra.items() if k != "sha256"}))
        with self._lock:
            self._write(payload)
            if self._anchor_due():
                self._anchor_now(final=False)

    def _relative(self, shot: Path) -> str:
        """The screenshot's path relative to the run folder (the log's folder) when inside
        it, so a copied or moved run folder still verifies."""
        try:
            return shot.resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            return str(shot)

    def _write(self, payload: dict[str, Any]) -> None:
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise AuditWriteFailed(str(self.path), "監査記録はすでに閉じられています")
        seq = self._seq + 1
        entry = {"seq": seq, "time": datetime.now(JST).isoformat(), **payload, "prev": self._prev}
        body = json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str)
        digest = _line_hash(self._prev, body)
        line = json.dumps(
            {**entry, "hash": digest}, ensure_ascii=False, sort_keys=True, default=str
        )
        try:
            self._fh.write(line + "\n")
            self._fh.flush()
        except (OSError, ValueError) as exc:
            self._fail(exc)
        self._seq, self._prev = seq, digest

    def _fail(self, exc: Exception) -> None:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self._failed = AuditWriteFailed(str(self.path), detail)
        raise self._failed from None

    def _anchor_due(self) -> bool:
        if self._anchor is None or self._seq == self._anchored_seq:
            return False
        return (
            self._anchored_seq == 0
            or self._seq - self._anchored_seq >= self._anchor_lines
            or time.monotonic() - self._anchored_at >= self._anchor_seconds
        )

    def _anchor_now(self, *, final: bool) -> None:
        """fsync, then record the head outside the run folder: what is anchored is on disk."""
        try:
            os.fsync(self._fh.fileno())
        except (OSError, ValueError) as exc:
            self._fail(exc)
        if self._anchor is not None:
            try:
                self._anchor(self.run_id, self._prev, self._seq, final)
            except Exception as exc:  # the database's error, whichever driver: stop the run
                self._failed = AuditWriteFailed(
                    f"{self.path}（管理データベースのアンカー）", str(exc).splitlines()[0][:200]
                )
                raise self._failed from exc
        self._anchored_seq, self._anchored_at = self._seq, time.monotonic()

    @property
    def last_hash(self) -> str:
        """The hash of the last line written; kept apart (summary, anchors) so that
        cutting lines off the end of the file is detected too."""
        return self._prev

    @property
    def lines(self) -> int:
        return self._seq

    def close(self) -> None:
        """Flush, fsync and anchor the final head (once); the file is closed even when
        that fails, and the failure is raised."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self._failed is None:
                    self._anchor_now(final=True)
            finally:
                with contextlib.suppress(OSError):  # lines were flushed; nothing left to lose
                    self._fh.close()


def _chain_end(path: Path) -> tuple[str, int]:
    """The last hash and sequence number of an existing log (GENESIS, 0 for a new one)."""
    if not path.exists() or path.stat().st_size == 0:
        return GENESIS, 0
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 65536))
        last = fh.read().splitlines()[-1]
    entry = json.loads(last)
    return str(entry["hash"]), int(entry["seq"])


def verify_chain(path: Path, expected_last: str | None = None) -> tuple[bool, str]:
    """Check an audit file's hash chain; returns (ok, message naming the first bad line).

    With ``expected_last`` (the run's recorded final hash), lines removed from the end
    are detected as well.
    """
    prev = GENESIS
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return False, f"{path}:{number}: 行がJSONとして読めません"
            stated = entry.pop("hash", None)
            if entry.get("prev") != prev:
                return False, f"{path}:{number}: 前の行との連鎖が切れています（削除・挿入の疑い）"
            body = json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str)
            if _line_hash(prev, body) != stated:
                return False, f"{path}:{number}: 行の内容が改変されています"
            prev = stated
    if expected_last is not None and prev != expected_last:
        return False, f"{path}: 末尾の行が削除されています（記録された最終ハッシュと一致しません）"
    return True, f"{path}: 改ざんは検出されませんでした"


def now_iso() -> str:
    return datetime.now(JST).isoformat()
