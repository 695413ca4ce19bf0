"""The per-run report (HTML) and summary (JSON), rendered from a :class:`RunResult`.

The report is what staff open after a run: every application with its outcome, 受付番号
or reason, and links to its screenshots; drift and stops at the top, because they are
what IT must act on first. Links are relative, so the run folder can be archived whole.

Times are Japan time (JST) whatever the host's zone: staff and auditors read them so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bots.config import jst, jst_text
from bots.contracts import OutcomeKind
from bots.engine.evidence import try_caption
from bots.engine.results import Evidence, RunResult
from bots.masking import scrub_text

OUTCOME_LABELS = {
    OutcomeKind.KEYED.value: "連携済",
    OutcomeKind.ALREADY_KEYED.value: "連携済（登録済みを確認）",
    OutcomeKind.NEEDS_REVIEW.value: "要確認",
    OutcomeKind.RETRY.value: "再試行待ち",
    OutcomeKind.STOPPED.value: "停止（未処理）",
}

_env = Environment(
    loader=PackageLoader("bots.audit", "templates"), autoescape=select_autoescape(["html"])
)


def _around(result: RunResult) -> dict[str, dict[str, str]]:
    """What the service decided around the engine (:func:`bots.service.run_once`):
    procedures left to another run, broken recipe files, subsystems outside their window."""
    return {
        "locked": dict(result.locked),
        "broken": dict(result.broken),
        "outside_window": dict(result.outside_window),
    }


def _tries(evidence: list[Evidence]) -> list[dict[str, Any]]:
    """The screenshots grouped by the try they belong to, in order: an application retried
    inside its claim shows each try's evidence apart (``attempt-0012-try-1``, ``-try-2``)."""
    tries: dict[str, list[dict[str, str]]] = {}
    for e in evidence:
        tries.setdefault(e.attempt, []).append(
            {"label": e.label, "path": str(e.path), "sha256": e.sha256}
        )
    return [
        {"attempt": name, "caption": try_caption(name), "screenshots": shots}
        for name, shots in tries.items()
    ]


def _relative(path: Path, out_dir: Path) -> str:
    """A link relative to the run folder (which can then be archived whole); compared
    resolved, since screenshot paths are resolved when they are checked to stay inside."""
    return path.resolve().relative_to(out_dir.resolve()).as_posix()


def summary_dict(result: RunResult) -> dict[str, Any]:
    counts = result.counts
    return {
        "run_id": result.run_id,
        "runner": result.runner,
        "procedure": result.procedure,
        "started_at": jst(result.started_at).isoformat(),
        "ended_at": jst(result.ended_at).isoformat() if result.ended_at else None,
        "keyed": counts[OutcomeKind.KEYED.value],
        "already_keyed": counts[OutcomeKind.ALREADY_KEYED.value],
        "needs_review": counts[OutcomeKind.NEEDS_REVIEW.value],
        "retry": counts[OutcomeKind.RETRY.value],
        "stopped": result.stopped,
        "paused": result.paused,
        "skipped_reason": result.skipped_reason,
        **_around(result),
        "drift": [d.__dict__ for d in result.drift],
        "report": str(result.report_path),
        "audit_log": str(result.audit_path),
        "audit_last_hash": result.audit_last_hash,
        "screenshots": str(result.screenshots_dir),
        "items": [
            {
                "application_id": i.application_id,
                "procedure": i.procedure,
                "outcome": i.outcome.value,
                "receipt_no": i.receipt_no,
                "reason": scrub_text(i.reason) if i.reason else None,
                "seconds": round(i.seconds, 2),
                "screenshots": [
                    {
                        "label": e.label,
                        "path": str(e.path),
                        "sha256": e.sha256,
                        "attempt": e.attempt,
                    }
                    for e in i.evidence
                ],
                "tries": _tries(i.evidence),
            }
            for i in result.items
        ],
    }


def write_report(result: RunResult) -> Path:
    """Write ``report.html`` and ``summary.json`` into the run folder; returns the report."""
    result.out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_dict(result)
    (result.out_dir / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    html = _env.get_template("report.html").render(
        run=result,
        summary=summary,
        labels=OUTCOME_LABELS,
        started=jst_text(result.started_at),
        ended=jst_text(result.ended_at),
        rel=lambda p: _relative(Path(p), result.out_dir),
    )
    result.report_path.write_text(html, encoding="utf-8")
    return result.report_path
