"""A source's password: from the environment or a private file, never from ``sources.yaml``.

The URL in ``sources.yaml`` names the host, database and user; the password comes from
``password_env`` (an environment variable of the service) or ``password_file`` (a file
the service account alone can read: a file others can read, or a link, is refused — a
password readable by every user of the machine is no secret). The password is recorded
with :func:`bots.masking.protect_values` the moment it is read, so no message, log line
or report can show it, and a URL is only ever shown with the password hidden.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bots.errors import RenkeiError
from bots.masking import protect_values


class CredentialsUnusable(RenkeiError):
    """The password cannot be had: the message says which setting and what to do."""


def _from_file(path: Path, source: str) -> str:
    try:
        info = path.lstat()
    except OSError as exc:
        raise CredentialsUnusable(
            f"ソース『{source}』のパスワードファイル {path} を読めません: {exc.strerror}"
        ) from None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise CredentialsUnusable(
            f"ソース『{source}』のパスワードファイル {path} は通常のファイルではありません"
        )
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsUnusable(
            f"ソース『{source}』のパスワードファイル {path} は他の利用者も読めます"
            f"（{stat.filemode(info.st_mode)}）: chmod 600 {path} としてください"
        )
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise CredentialsUnusable(
            f"ソース『{source}』のパスワードファイル {path} はサービスのアカウントの"
            "ものではありません"
        )
    return path.read_text(encoding="utf-8").strip("\r\n")


def password(source: str, env: str | None, file: Path | None) -> str | None:
    """The source's password (None: the URL needs none), recorded as a value to mask."""
    if env:
        value = os.environ.get(env)
        if not value:
            raise CredentialsUnusable(
                f"ソース『{source}』のパスワードの環境変数 {env} が設定されていません"
            )
    elif file is not None:
        value = _from_file(file, source)
    else:
        return None
    protect_values([value], keep=True)
    return value


def source_url(source: str, url: str, env: str | None, file: Path | None) -> URL:
    """The SQLAlchemy URL to connect with: ``url`` and the password from where it is kept.

    Show it only as ``url.render_as_string(hide_password=True)`` (:func:`shown_url`).
    """
    made = make_url(url)
    secret = password(source, env, file)
    return made.set(password=secret) if secret is not None else made


def shown_url(url: URL | str) -> str:
    """A URL as a message may show it: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)
