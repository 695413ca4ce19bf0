"""The audit log: one JSON line per step, written through a loguru sink, hash-chained.

Auditors review, application by application, what the bot did: when, on which screen and
element, with which (masked) value, how long it took, and which screenshot proves it.
Each line carries the SHA-256 of the line before it (``prev``) and of itself (``hash``),
so removing or editing a line breaks the chain; :func:`verify_chain` checks a file.

Masking happens before a value reaches this module (the runtime masks sensitive
elements), and again here: every text is scrubbed of anything shaped like a personal or
account number, because an exception message can carry a value nobody meant to log.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from loguru import logger

from bots.contracts import AuditEvent, AuditSink
from bots.masking import mask_values, scrub_text

GENESIS = "0" * 64

#: Audit records travel on their own loguru level, below TRACE, so the console and any
#: other sink (which start at TRACE or above) never receive them; only the run's sink does.
AUDIT_LEVEL = "AUDIT"
try:
    logger.level(AUDIT_LEVEL)
except ValueError:
    logger.level(AUDIT_LEVEL, no=1)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _line_hash(prev: str, body: str) -> str:
    return hashlib.sha256((prev + body).encode("utf-8")).hexdigest()


class AuditTrail(AuditSink):
    """Writes a run's audit lines to ``path`` via a loguru sink bound to this run only."""

    def __init__(self, path: Path, run_id: str, runner: str) -> None:
        self.path = path
        self.run_id = run_id
        self.runner = runner
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._prev, self._seq = _chain_end(path)  # appending continues the chain
        self._log = logger.bind(audit_run=run_id)
        self._sink_id = logger.add(
            self._write,
            level=AUDIT_LEVEL,
            format="{message}",
            filter=lambda record: record["extra"].get("audit_run") == run_id,
            catch=False,
        )

    def _write(self, message: Any) -> None:
        record = message.record
        payload = dict(record["extra"]["audit"])
        with self._lock:
            self._seq += 1
            payload = {
                "seq": self._seq,
                "time": record["time"].isoformat(),
                **payload,
                "prev": self._prev,
            }
            body = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
            digest = _line_hash(self._prev, body)
            self._fh.write(
                json.dumps(
                    {**payload, "hash": digest}, ensure_ascii=False, sort_keys=True, default=str
                )
                + "\n"
            )
            self._fh.flush()
            self._prev = digest

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
            payload["screenshot"] = str(event.screenshot)
            payload["sha256"] = sha256_file(event.screenshot)
        payload.update(mask_values(event.extra))
        self._log.bind(audit=payload).log(AUDIT_LEVEL, "audit")

    @property
    def last_hash(self) -> str:
        """The hash of the last line written; kept apart (summary, database) so that
        cutting lines off the end of the file is detected too."""
        return self._prev

    def close(self) -> None:
        logger.remove(self._sink_id)
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
    return datetime.now().astimezone().isoformat()
