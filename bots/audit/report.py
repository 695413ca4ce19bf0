"""The per-run report (HTML) and summary (JSON), rendered from a :class:`RunResult`.

The report is what staff open after a run: every application with its 宛名番号, outcome,
受付番号 or reason, the values keyed (masked where sensitive) and links to its
screenshots under Japanese captions; drift and stops at the top, because they are what IT
must act on first. Beside this run's counts it shows what is still left in the queue, so
a second run's 要確認 0 cannot hide the applications a first run left for a person.
Links are relative, so the run folder can be archived whole.

Times are Japan time (JST) whatever the host's zone, written as people write them
(:func:`ja_time`: ``2026年12月1日 18:02:11``); summary.json keeps ISO 8601 with the
+09:00 offset for programs.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from bots.config import ja_time, jst
from bots.contracts import REMAINING_LABELS, OutcomeKind
from bots.masking import scrub_text
from bots.results import Evidence, ItemResult, RunResult, shot_caption, try_caption

OUTCOME_LABELS = {
    OutcomeKind.KEYED.value: "連携済",
    OutcomeKind.ALREADY_KEYED.value: "連携済（登録済みを確認）",
    OutcomeKind.NEEDS_REVIEW.value: "要確認",
    OutcomeKind.RETRY.value: "再試行待ち",
    OutcomeKind.STOPPED.value: "停止（未処理）",
}

#: What the 受付番号 column says for an application keyed on a core system that gives
#: none (``receipt: none``): never an empty cell that reads as "not read".
NO_RECEIPT = "受付番号なし"
_KEYED = (OutcomeKind.KEYED.value, OutcomeKind.ALREADY_KEYED.value)


def receipt_display(outcome: str, receipt_no: str | None) -> str:
    """The 受付番号 as staff read it: the number, 受付番号なし for a keyed application
    without one, nothing for one that is not keyed."""
    if receipt_no:
        return receipt_no
    return NO_RECEIPT if outcome in _KEYED else ""


#: This run's counts as the report's table shows them, in order.
RUN_COUNT_LABELS = {
    OutcomeKind.KEYED.value: "連携済",
    OutcomeKind.ALREADY_KEYED.value: "登録済みを確認",
    OutcomeKind.NEEDS_REVIEW.value: "要確認",
    OutcomeKind.RETRY.value: "再試行待ち",
    OutcomeKind.STOPPED.value: "停止",
}

_env = Environment(
    loader=PackageLoader("bots.audit", "templates"), autoescape=select_autoescape(["html"])
)


def runner_display(runner: str) -> str:
    """``user@host:pid`` as staff read it; an older ``host:pid`` as it is."""
    match = re.fullmatch(r"(?P<user>[^@]+)@(?P<host>.+):(?P<pid>\d+)", runner)
    if match is None:
        return runner
    return f"{match['user']}（ホスト {match['host']}、プロセス {match['pid']}）"


def procedure_display(procedure: str | None, titles: dict[str, str]) -> str:
    """``児童手当 認定請求（jidou_teate_nintei）``: the title staff know, the id IT uses."""
    if procedure is None:
        return "すべての手続"
    title = titles.get(procedure)
    return f"{title}（{procedure}）" if title else procedure


def _around(result: RunResult) -> dict[str, dict[str, str]]:
    """What the service decided around the engine (:func:`bots.service.run_once`):
    procedures left to another run, broken recipe files, subsystems outside their window,
    procedures IT has switched off."""
    return {
        "locked": dict(result.locked),
        "broken": dict(result.broken),
        "outside_window": dict(result.outside_window),
        "disabled": dict(result.disabled),
    }


def _tries(evidence: list[Evidence]) -> list[dict[str, Any]]:
    """The screenshots grouped by the try they belong to, in order: an application retried
    inside its claim shows each try's evidence apart (``attempt-0012-try-1``, ``-try-2``)."""
    tries: dict[str, list[dict[str, str]]] = {}
    for e in evidence:
        tries.setdefault(e.attempt, []).append(
            {
                "label": e.label,
                "caption": shot_caption(e.label),
                "path": str(e.path),
                "sha256": e.sha256,
            }
        )
    return [
        {"attempt": name, "caption": try_caption(name), "screenshots": shots}
        for name, shots in tries.items()
    ]


def _relative(path: Path, out_dir: Path) -> str:
    """A link relative to the run folder (which can then be archived whole); compared
    resolved, since screenshot paths are resolved when they are checked to stay inside."""
    return path.resolve().relative_to(out_dir.resolve()).as_posix()


def _date_text(parts: dict[str, str]) -> str:
    """A 和暦 date typed in parts, as written: ``令和8年11月17日`` (masked parts as they are)."""
    units = {"era": "", "year": "年", "month": "月", "day": "日"}
    return "".join(parts[k] + unit for k, unit in units.items() if k in parts)


def keyed_rows(keyed: list[dict[str, str]]) -> list[dict[str, str]]:
    """The values of one application as the report lists them: one row per item, a date
    the screen takes in parts (元号, 年, 月, 日) joined again under its one label."""
    shown: list[dict[str, str]] = []
    dates: dict[str, tuple[dict[str, str], dict[str, str]]] = {}  # label → (row, its parts)
    for v in keyed:
        if not v.get("part"):
            shown.append({"label": v["label"], "element": v["element"], "value": v["value"]})
            continue
        if v["label"] not in dates:
            row = {"label": v["label"], "element": v["element"], "value": ""}
            dates[v["label"]] = (row, {})
            shown.append(row)
        row, parts = dates[v["label"]]
        parts[v["part"]] = v["value"]
        row["value"] = _date_text(parts)
        if v["element"] not in row["element"]:
            row["element"] += f"・{v['element']}"
    return shown


def _item(item: ItemResult, titles: dict[str, str]) -> dict[str, Any]:
    """One application of the run, as summary.json and the report show it."""
    return {
        "application_id": item.application_id,
        "atena_no": item.atena_no,
        "procedure": item.procedure,
        "title": titles.get(item.procedure),
        "outcome": item.outcome.value,
        "receipt_no": item.receipt_no,
        "receipt_display": receipt_display(item.outcome.value, item.receipt_no),
        "reason": scrub_text(item.reason) if item.reason else None,
        "started_at": jst(item.started_at).isoformat(),
        "seconds": round(item.seconds, 2),
        # masked by the runtime where sensitive; scrubbed again for the built-in detectors
        "keyed": [
            {"label": v.label, "element": v.element, "value": scrub_text(v.value), "part": v.part}
            for v in item.keyed
        ],
        "screenshots": [
            {"label": e.label, "path": str(e.path), "sha256": e.sha256, "attempt": e.attempt}
            for e in item.evidence
        ],
        "tries": _tries(item.evidence),
    }


def count_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per procedure, this run's counts beside what is left in the queue (the report's
    table): every procedure the run could work, took, or that has anything left."""
    titles: dict[str, str] = summary["titles"]
    queue: dict[str, dict[str, int]] = summary["queue"] or {}
    mine: dict[str, dict[str, int]] = {}
    for item in summary["items"]:
        row = mine.setdefault(item["procedure"], dict.fromkeys(RUN_COUNT_LABELS, 0))
        if item["outcome"] in row:
            row[item["outcome"]] += 1
    procedures = sorted(set(titles) | set(mine) | set(queue))
    return [
        {
            "procedure": p,
            "name": procedure_display(p, titles),
            "run": mine.get(p, dict.fromkeys(RUN_COUNT_LABELS, 0)),
            "queue": queue.get(p, dict.fromkeys(REMAINING_LABELS, 0)),
        }
        for p in procedures
    ]


def summary_dict(result: RunResult) -> dict[str, Any]:
    counts = result.counts
    return {
        "run_id": result.run_id,
        "runner": result.runner,
        "procedure": result.procedure,
        "titles": dict(result.titles),
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
        # what is left in the queue after this run, per procedure (REMAINING_LABELS)
        "queue": result.queue,
        "items": [_item(i, result.titles) for i in result.items],
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
        run_labels=RUN_COUNT_LABELS,
        queue_labels=REMAINING_LABELS,
        rows=count_rows(summary),
        procedure=procedure_display(result.procedure, result.titles),
        runner=runner_display(result.runner),
        started=ja_time(result.started_at),
        ended=ja_time(result.ended_at),
        when=lambda iso: ja_time(datetime.fromisoformat(iso)),
        keyed_rows=keyed_rows,
        rel=lambda p: _relative(Path(p), result.out_dir),
    )
    result.report_path.write_text(html, encoding="utf-8")
    return result.report_path
