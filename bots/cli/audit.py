"""``renkei audit …``: what auditors run to check the bot's evidence.

Registered on the main group by :mod:`bots.cli.main`; kept apart because the audit trail's
verification is one idea, grown without touching the rest of the CLI. The work is in
:mod:`bots.audit.verify` (chains, anchors, checkpoints) and :mod:`bots.audit.keys`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bots.config import Settings


@click.group()
def audit() -> None:
    """監査ログ: 検証、署名鍵、チェックポイント / Audit log: verification, signing key, checkpoints."""


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.find_root().obj
    return settings


@audit.command("verify")
@click.argument("file", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--run",
    "run_id",
    help="この実行だけ（その実行フォルダとアンカー）/ Only this run (its folder and its anchors).",
)
@click.option(
    "--application",
    "app_id",
    help="この申請ID を扱ったすべての実行と、操作記録 / "
    "Every run that touched this application, and the review log.",
)
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="監査担当が保管したチェックポイント（renkei audit checkpoint）: それより前が"
    "変わっていないことも確認 / "
    "A checkpoint kept by the auditor (renkei audit checkpoint): nothing before it changed.",
)
@click.pass_context
def audit_verify(
    ctx: click.Context,
    file: Path | None,
    run_id: str | None,
    app_id: str | None,
    checkpoint: Path | None,
) -> None:
    """すべての監査記録（または FILE）をアンカーと照合: 問題があれば終了コード 1
    / Check every audit chain (or FILE) against its anchors: exit 1 on any finding.

    FILE: 1 つの監査記録（audit.jsonl・review.jsonl）/ one audit file.
    """
    from bots.audit.keys import load_key
    from bots.audit.verify import Scope, check_checkpoint, runs_of_application, verify_all
    from bots.queue.db import Database

    settings = _settings(ctx)
    db = Database(settings.db_url)
    key = load_key()
    scope = Scope(settings.out_root, settings.audit_dir)
    if file is not None:
        report = _verify_file(db, file, key)
    else:
        if run_id:
            scope.runs, scope.review = {run_id}, False
        elif app_id:
            scope.runs = runs_of_application(db, settings.out_root, app_id)
        report = verify_all(db, scope, key)
    if checkpoint is not None:
        document = _read_json(checkpoint)
        report.findings.extend(check_checkpoint(document, str(checkpoint), scope, key))
    for finding in report.findings:
        click.echo(str(finding))
    for note in report.notes:
        click.echo(f"注記: {note}")
    if file is not None and not report.findings:
        click.echo(f"{file}: 改ざんは検出されませんでした")
    click.echo(report.verdict())
    db.dispose()
    sys.exit(1 if report.findings else 0)


def _verify_file(db: Any, file: Path, key: Any) -> Any:
    """One file, as before: its chain and screenshots, and its anchors when it has some
    (a run's ``audit.jsonl`` is the chain of its folder's name; ``review.jsonl``, ``review``)."""
    from bots.audit.anchors import load_anchors
    from bots.audit.keys import public_pem
    from bots.audit.verify import REVIEW, Report, check_anchors, read_chain

    chain = read_chain(file)
    name = REVIEW if file.name == "review.jsonl" else file.parent.name
    anchors = sorted(load_anchors(db, {name}), key=lambda a: a.seq)
    report = Report(findings=list(chain.findings))
    if file.name == "review.jsonl":
        report.reviews = 1
    else:
        report.runs = 1
    if anchors:
        closes = file.name != "review.jsonl"
        findings, notes = check_anchors(chain, anchors, public_pem(key.public), closes=closes)
        report.findings.extend(findings)
        report.notes.extend(notes)
    else:
        report.notes.append(
            f"{file}: この管理データベースにアンカーがないため、summary.json と照合しました"
        )
        report.findings.extend(_against_summary(chain))
    return report


def _against_summary(chain: Any) -> list[Any]:
    """Without anchors (another database, an older run): the final hash ``summary.json``
    recorded, as earlier versions checked — weaker, as the folder holds both."""
    from bots.audit.verify import Finding

    summary = chain.path.parent / "summary.json"
    if not summary.exists() or not chain.intact:
        return []
    expected = json.loads(summary.read_text("utf-8")).get("audit_last_hash")
    if expected is None or (chain.hashes and chain.hashes[-1] == expected):
        return []
    return [
        Finding(
            str(chain.path),
            chain.lines + 1,
            "末尾の行が削除されています（summary.json に記録された最終ハッシュと一致しません）",
        )
    ]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path}: チェックポイントとして読めません（{exc}）") from None
    if not isinstance(document, dict):
        raise click.ClickException(
            f"{path}: チェックポイントとして読めません（JSON の形が違います）"
        )
    return document


@audit.command("checkpoint")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="書き出すファイル（省略時は標準出力）/ File to write (default: stdout).",
)
@click.pass_context
def audit_checkpoint(ctx: click.Context, out: Path | None) -> None:
    """すべての監査記録の長さと末尾を署名付き JSON に: 監査担当が別の場所に保管する
    / A signed JSON of every chain's length and head, for the auditor to keep elsewhere.
    """
    from bots.audit.keys import load_key
    from bots.audit.verify import Scope, make_checkpoint

    settings = _settings(ctx)
    document = make_checkpoint(Scope(settings.out_root, settings.audit_dir), load_key())
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(
        f"チェックポイントを {out} に書き出しました（監査記録 {len(document['chains'])} 件）"
    )


@audit.group("key")
def audit_key() -> None:
    """アンカーとチェックポイントの署名鍵（Ed25519）
    / The installation's signing key (Ed25519) for anchors and checkpoints.
    """


@audit_key.command("init")
def audit_key_init() -> None:
    """署名鍵がなければ作成（ある鍵はそのまま）
    / Create the signing key if there is none (an existing key is kept).
    """
    from bots.audit.keys import init_key

    key, created = init_key()
    state = "作成しました" if created else "すでにあります（変更していません）"
    click.echo(f"署名鍵を{state}: {key.path}")
    click.echo(f"指紋: {key.key_id}")


@audit_key.command("show")
def audit_key_show() -> None:
    """公開鍵とその指紋を表示（監査担当向け）/ Print the public key and its fingerprint, for auditors."""
    from bots.audit.keys import load_key, public_pem

    key = load_key()
    click.echo(public_pem(key.public), nl=False)
    click.echo(f"指紋: {key.key_id}")


def _register_commands() -> None:
    """Commands kept in their own modules: reading (trail, export) and retention (prune)."""
    from bots.cli.audit_reading import export, trail
    from bots.cli.audit_retention import prune

    audit.add_command(trail)
    audit.add_command(export)
    audit.add_command(prune)


_register_commands()
