"""``renkei data``: what renkei keeps of residents' data — sealing, key rotation, purging.

The work is in :mod:`bots.queue.sealing` and :mod:`bots.queue.purge`; this module shows
it in the words of the 情報政策 staff who run it (docs/data-at-rest.md). Each command that
changes something is a line of the staff actions' log, naming who ran it.
"""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING, Any

import click

from bots.config import Settings, ja_time

if TYPE_CHECKING:  # imported when run: ``renkei --help`` stays quick
    from bots.queue.db import Database

WHO_HELP = "実行した人（既定はログイン名）/ Who (default: the login name)."


def private_files() -> None:
    """Every file and folder renkei creates from now on is its service account's only
    (umask 0o077): the database and its -wal/-shm, keys, run folders with screenshots,
    reports and audit logs, exports. Called once, at the start of every ``renkei`` command
    (:func:`bots.cli.main.cli`); kept here, light, so the CLI's start imports nothing more.
    """
    os.umask(0o077)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.find_root().obj
    return settings


def _database(ctx: click.Context) -> Database:
    from bots.queue.db import Database

    return Database(_settings(ctx).db_url)


def _audit(ctx: click.Context, db: Database, who: str, step: str, **extra: Any) -> None:
    """One line of the staff actions' log, anchored in the database's transaction."""
    from bots.audit.anchors import session_anchor
    from bots.contracts import AuditEvent
    from bots.review import record

    event = AuditEvent(step=step, outcome="ok", extra={"by": who, **extra})
    with db.session() as s:
        record(_settings(ctx).audit_dir, who, event, anchor=session_anchor(s))


@click.group("data")
def data() -> None:
    """申請データの保管: 暗号化、鍵の入れ替え、保存期間後の消去（docs/data-at-rest.md）
    / What renkei keeps of residents' data: sealing, key rotation, purging.
    """


@data.command("status")
@click.pass_context
def data_status(ctx: click.Context) -> None:
    """暗号化の状況と消去の予定 / How the form data is stored, and what is due for purging."""
    from bots.queue.purge import due
    from bots.queue.sealing import count_rows, read_ids

    settings = _settings(ctx)
    db = _database(ctx)
    try:
        path = db.sealer.path
        if path.exists():
            ids = read_ids(path)
            click.echo(f"鍵ファイル: {path}（鍵 {len(ids)} 個、暗号化に使う鍵 ID {ids[0]}）")
        else:
            click.echo(f"鍵ファイル: {path}（まだありません。最初の書き込みで作成します）")
        counts = count_rows(db.engine, db.sealer if path.exists() else None)
        click.echo(
            f"暗号化済みの申請: {counts['sealed']} 件（うち最新の鍵 {counts['first_key']} 件）"
        )
        click.echo(f"暗号化されていない申請: {counts['plain']} 件")
        if counts["plain"]:
            click.echo("  → renkei data seal で暗号化してください")
        waiting = due(db, settings.purge_after_days)
        click.echo(
            f"消去の対象（連携済・対象外から {settings.purge_after_days} 日経過）: {len(waiting)} 件"
        )
    finally:
        db.dispose()


@data.command("seal")
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def data_seal(ctx: click.Context, who: str | None) -> None:
    """暗号化されていない申請データ（以前の版が保存した行）をすべて暗号化
    / Seal every application's data an older renkei stored in clear.

    SQLite では続けてファイルを作り直し（VACUUM）、平文が残った空き領域と -wal を消します。
    / On SQLite the file is then rewritten (VACUUM) so no clear text stays in free pages.
    """
    from bots.queue.sealing import seal_plain_rows

    who = who or getpass.getuser()
    db = _database(ctx)
    try:
        sealed = seal_plain_rows(db.engine, db.sealer)
        compacted = db.compact(vacuum=True)
        _audit(ctx, db, who, "data_seal", rows=sealed, key=db.sealer.path.name)
    finally:
        db.dispose()
    click.echo(f"申請データを暗号化: {sealed} 件（鍵ファイル {db.sealer.path}）")
    if compacted:
        click.echo("データベースファイルを作り直し、空き領域と -wal から平文を消しました（VACUUM）")
    else:
        click.echo(
            "PostgreSQL: 古い行の版は VACUUM まで残ります。保守時間に "
            "VACUUM FULL applications を実行してください（docs/data-at-rest.md）"
        )


@data.command("rotate-key")
@click.option(
    "--retire",
    is_flag=True,
    help="入れ替えの後、古い鍵を鍵ファイルから削除（古い鍵のバックアップは読めなくなる）/ "
    "Then remove the old keys from the key file (backups sealed with them become unreadable).",
)
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def data_rotate_key(ctx: click.Context, retire: bool, who: str | None) -> None:
    """新しい鍵を作り、すべての申請データをその鍵で暗号化し直す
    / Make a new key and seal every application's data again with it.

    古い鍵は復号用に残ります（--retire で削除）。
    / The old keys stay for opening only (removed with --retire).
    """
    from bots.queue.sealing import count_rows, rotate_key

    who = who or getpass.getuser()
    db = _database(ctx)
    try:
        if not db.sealer.path.exists():
            raise click.ClickException(
                f"鍵ファイル {db.sealer.path} がありません（入れ替える鍵がありません）"
            )
        done = rotate_key(db.engine, db.sealer, retire=retire)
        plain = count_rows(db.engine)["plain"]
        _audit(
            ctx, db, who, "data_rotate_key",
            rows=done.resealed + done.caught_up, key_id=done.new_id, retired=done.retired,
        )  # fmt: skip
    finally:
        db.dispose()
    click.echo(f"新しい鍵 ID {done.new_id}: 申請データ {done.resealed} 件を暗号化し直しました")
    if done.caught_up:
        click.echo(f"  入れ替え中に古い鍵で保存された {done.caught_up} 件も暗号化し直しました")
    if retire:
        click.echo(f"古い鍵を削除しました: {'、'.join(done.retired) or 'なし'}")
    else:
        click.echo("古い鍵は復号用に残しています（削除: renkei data rotate-key --retire）")
    if plain:
        click.echo(
            f"暗号化されていない申請が {plain} 件あります: renkei data seal で暗号化してください"
        )


@data.command("purge")
@click.option(
    "--dry-run",
    is_flag=True,
    help="消去する申請を表示するだけで、何も変えない / List what would be purged; change nothing.",
)
@click.option("--by", "who", help=WHO_HELP)
@click.pass_context
def data_purge(ctx: click.Context, dry_run: bool, who: str | None) -> None:
    """連携済・対象外から RENKEI_PURGE_AFTER_DAYS 日（既定 90 日）を過ぎた申請の申請データを消去
    / Purge the form data of applications keyed or rejected RENKEI_PURGE_AFTER_DAYS days ago.

    申請の行（状態・受付番号・日時）と監査記録（マスク済み）は残り、消去も監査記録に残ります。
    / The row (status, 受付番号, times) and the masked audit trail stay; each purge is audited.
    """
    from bots.queue.purge import due, purge

    settings = _settings(ctx)
    days = settings.purge_after_days
    db = _database(ctx)
    try:
        if dry_run:
            listed = due(db, days)
        else:
            listed = purge(db, settings.audit_dir, days, who=who or getpass.getuser())
    finally:
        db.dispose()
    for d in listed:
        click.echo(f"{d.id}\t{d.procedure}\t{d.status.label}（{ja_time(d.since)}、{d.days} 日前）")
    if dry_run:
        click.echo(
            f"消去の対象 {len(listed)} 件（{days} 日経過）。試行のため、何も消去していません"
        )
    else:
        click.echo(f"申請データを消去: {len(listed)} 件（連携済・対象外から {days} 日経過）")
