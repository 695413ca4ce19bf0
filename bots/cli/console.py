"""``renkei console``: serve the web console, and manage its accounts from the terminal.

The first 管理者 account can only be made here (``renkei console user add NAME --role
admin``); after that the administrator manages accounts in the console itself. Both call
:mod:`bots.console.accounts`, and both are audited with who did it.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import TypeVar

import click

from bots.config import Settings, ja_time
from bots.console.roles import Role

T = TypeVar("T")
ROLE_HELP = "役割 / Role: " + ", ".join(f"{r.value}（{r.label}）" for r in Role)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.find_root().obj
    return settings


def _who() -> str:
    return getpass.getuser() or "unknown"


def _operator(action: Callable[[], T]) -> T:
    from bots.console.accounts import AccountError

    try:
        return action()
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(invoke_without_command=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="待ち受けるアドレス（既定はこの端末だけ。0.0.0.0 で庁内 LAN）/ Address to listen on.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8780, show_default=True,
    help="ポート番号（0 で空いている番号）/ Port (0: any free port).",
)  # fmt: skip
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="HTTPS の背後で使うとき Cookie を Secure に / Mark cookies Secure (behind HTTPS).",
)
@click.pass_context
def console(ctx: click.Context, host: str, port: int, secure_cookies: bool) -> None:
    """Web コンソールを開始 / Serve the web console (Japanese; staff, IT, auditors).

    Stop it with Ctrl+C. Accounts: `renkei console user add NAME --role ROLE`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bots.console.server import serve

    serve(_settings(ctx), host, port, secure_cookies=secure_cookies)


@console.group("user")
def user() -> None:
    """コンソールのアカウント / Console accounts (stored in the management database)."""


def _password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


@user.command("add")
@click.argument("name")
@click.option(
    "--role", "-r", required=True, type=click.Choice([r.value for r in Role]), help=ROLE_HELP
)
@click.option("--display-name", help="画面に出す氏名 / Name shown in the console, e.g. 鈴木 花子.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="パスワードを標準入力の 1 行から読む / Read the password from one line of stdin.",
)
@click.option(
    "--temporary",
    is_flag=True,
    help="仮のパスワード（初回ログインで変更させる）/ Temporary: to be changed at the first sign-in.",
)
@click.pass_context
def user_add(
    ctx: click.Context,
    name: str,
    role: str,
    display_name: str | None,
    password_stdin: bool,
    temporary: bool,
) -> None:
    """アカウントを作成 / Add an account (asks for its password twice).

    NAME: ユーザー名（英数字と . _ -）/ account name (letters, digits, . _ -).
    """
    from bots.console.accounts import add_user
    from bots.queue.db import Database

    settings = _settings(ctx)
    password = _password("パスワード / Password", password_stdin)
    made = _operator(
        lambda: add_user(
            Database(settings.db_url),
            settings.audit_dir,
            name,
            role,
            password,
            display_name=display_name,
            by=_who(),
            temporary=temporary,
        )
    )
    click.echo(f"{made.name}（{made.role.label}）を作成しました")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """アカウントの一覧 / List accounts; changes nothing."""
    from bots.console.accounts import list_accounts
    from bots.queue.db import Database

    found = list_accounts(Database(_settings(ctx).db_url))
    if not found:
        click.echo("アカウントはありません（renkei console user add NAME --role admin）")
    for a in found:
        state = "無効" if a.disabled else ("ロック中" if a.locked_until else "有効")
        click.echo(
            f"{a.name}\t{a.display_name}\t{a.role.label}\t{state}\t最終ログイン {ja_time(a.last_login_at)}"
        )


@user.command("password")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="標準入力の 1 行から / From one line of stdin."
)
@click.option(
    "--temporary",
    is_flag=True,
    help="仮のパスワード（初回ログインで変更させる）/ Temporary: to be changed at the first sign-in.",
)
@click.pass_context
def user_password(ctx: click.Context, name: str, password_stdin: bool, temporary: bool) -> None:
    """パスワードを設定し直す（ロックも解除）/ Set a new password (also unlocks).

    NAME: ユーザー名 / account name.
    """
    from bots.console.accounts import set_password
    from bots.queue.db import Database

    settings = _settings(ctx)
    password = _password("新しいパスワード / New password", password_stdin)
    _operator(
        lambda: set_password(
            Database(settings.db_url),
            settings.audit_dir,
            name,
            password,
            by=_who(),
            temporary=temporary,
        )  # fmt: skip
    )
    click.echo(f"{name} のパスワードを変更しました（ログイン中のセッションは終了しました）")


@user.command("unlock")
@click.argument("name")
@click.pass_context
def user_unlock(ctx: click.Context, name: str) -> None:
    """ロックを解除 / Unlock an account locked after wrong passwords.

    NAME: ユーザー名 / account name.
    """
    from bots.console.accounts import unlock
    from bots.queue.db import Database

    settings = _settings(ctx)
    _operator(lambda: unlock(Database(settings.db_url), settings.audit_dir, name, by=_who()))
    click.echo(f"{name} のロックを解除しました")


@user.command("disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx: click.Context, name: str) -> None:
    """無効にする（記録は残る）/ Disable an account; its sessions end, its record stays.

    NAME: ユーザー名 / account name.
    """
    from bots.console.accounts import set_disabled
    from bots.queue.db import Database

    settings = _settings(ctx)
    _operator(
        lambda: set_disabled(Database(settings.db_url), settings.audit_dir, name, True, by=_who())
    )
    click.echo(f"{name} を無効にしました")


@user.command("enable")
@click.argument("name")
@click.pass_context
def user_enable(ctx: click.Context, name: str) -> None:
    """有効に戻す / Enable a disabled account again.

    NAME: ユーザー名 / account name.
    """
    from bots.console.accounts import set_disabled
    from bots.queue.db import Database

    settings = _settings(ctx)
    _operator(
        lambda: set_disabled(Database(settings.db_url), settings.audit_dir, name, False, by=_who())
    )
    click.echo(f"{name} を有効にしました")
