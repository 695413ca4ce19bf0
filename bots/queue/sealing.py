"""Sealing of the applications' form data at rest: Fernet, the key outside the database.

An application's ``data`` (個人番号, 口座番号, names, addresses, birth dates…) is personal
data as a whole, and which items are sensitive differs per recipe: the whole document is
sealed, once, at the column. :class:`SealedDocument` is the type of
``ApplicationRow.data``: it stores ``{"sealed": "<Fernet token>"}`` (a JSON document, JSONB
on PostgreSQL, like every document of the schema) and gives back the dict, so every reader
and writer — ORM, Core, the queue's ``UPDATE … RETURNING`` — is unchanged. Fernet is
authenticated encryption (AES-128-CBC + HMAC-SHA256): a token altered in the database does
not open. The queue's own columns (id, procedure, 宛名番号, status, times) stay clear.

**The key** is a file in the key folder (:func:`bots.audit.keys.key_dir`,
``RENKEI_KEY_DIR``), ``data.keys``: one Fernet key per line, the first the one that seals,
the others only open (``MultiFernet``; see docs/data-at-rest.md for rotation). It is never
in the database. It is created on first need, mode 0600 in a 0700 folder, race-safe
between processes (written aside, then hard-linked into place: a reader never sees half a
file). A sealed row never makes a new key: a database that holds sealed rows but whose key
file is missing is refused with the file's name (:attr:`Sealer.may_create`).

**Per database.** Several installations with different key folders can be open in one
process (the tests do), so the key cannot be a global: :class:`bots.queue.db.Database`
attaches its :class:`Sealer` to its engine's dialect object (:func:`attach`), the object
SQLAlchemy hands to ``process_bind_param(value, dialect)`` for every statement of that
engine. A statement run on an engine without a sealer is refused, never stored in clear.

A row an older renkei wrote (a plain dict) is still read as it is; ``renkei data seal``
seals every such row (:func:`seal_plain_rows`). The key file is read again whenever it
changes (a stat per use), so a runner going on during ``renkei data rotate-key`` seals with
the new key from its next application on.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from loguru import logger
from sqlalchemy import JSON, Column, MetaData, String, Table, Text, cast, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.types import TypeDecorator, TypeEngine

from bots.errors import RenkeiError

#: The key file's name in the key folder.
KEY_FILE = "data.keys"
#: The one item of a sealed document.
SEALED = "sealed"
#: The attribute of a dialect object that holds its database's sealer.
_ATTRIBUTE = "renkei_sealer"
#: Rows per transaction of a pass over every application (seal, rotate).
BATCH = 200

#: Same type as :data:`bots.queue.schema.JsonDocument` (not imported: schema imports this).
RAW_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")
#: The applications table as stored, for the passes that handle tokens themselves.
RAW = Table(
    "applications",
    MetaData(),
    Column("id", String(64), primary_key=True),
    Column("data", RAW_DOCUMENT),
)

_HEADER = (
    "# renkei: 申請データの暗号鍵（Fernet）。1 行目の鍵で暗号化し、2 行目以降は復号だけに使う。\n"
    "# 管理データベースのバックアップとは別に保管すること（docs/data-at-rest.md）。\n"
)


class DataKeyError(RenkeiError):
    """The data key file is missing, unreadable, malformed or the wrong one: the message
    names the file and what to do."""


def key_path(directory: Path | None = None) -> Path:
    """``data.keys`` in ``directory`` (default: the installation's key folder)."""
    from bots.audit.keys import key_dir

    return (directory or key_dir()) / KEY_FILE


def key_id(key: bytes) -> str:
    """A short fingerprint of a key for messages and the audit log (never the key)."""
    return hashlib.sha256(key.strip()).hexdigest()[:16]


def is_sealed(stored: Any) -> bool:
    return isinstance(stored, dict) and len(stored) == 1 and isinstance(stored.get(SEALED), str)


def private_folder(folder: Path) -> None:
    """``folder`` created 0700, or tightened to it (logged) when others may read it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    tighten(folder, 0o700)


def tighten(path: Path, mode: int) -> None:
    """Take group and other permissions off ``path`` (logged, naming it); never widens."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & 0o077:
        os.chmod(path, current & mode & ~0o077)
        logger.warning(
            "{} は他のユーザーも読めたため、所有者だけに制限しました（{:o} → {:o}）",
            path,
            current,
            current & mode & ~0o077,
        )


# --- the key file -------------------------------------------------------------------------


def read_keys(path: Path) -> list[bytes]:
    """The keys of the file, the sealing one first; a clear error naming the file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataKeyError(
            f"申請データの鍵ファイル {path} がありません。暗号化済みの申請データを読めません"
            "（RENKEI_KEY_DIR の設定と、鍵ファイルのバックアップを確認してください）"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise DataKeyError(f"申請データの鍵ファイル {path} を読めません: {why}") from None
    keys = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            Fernet(text)
        except (ValueError, UnicodeEncodeError):
            raise DataKeyError(
                f"申請データの鍵ファイル {path} の {number} 行目が Fernet の鍵ではありません"
            ) from None
        keys.append(text.encode("ascii"))
    if not keys:
        raise DataKeyError(f"申請データの鍵ファイル {path} に鍵がありません")
    return keys


def _write_aside(directory: Path, keys: list[bytes]) -> Path:
    """The key file's content in a new 0600 file of ``directory``, synced; its path."""
    fd, name = tempfile.mkstemp(prefix=".data.keys.", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (_HEADER + "".join(k.decode("ascii") + "\n" for k in keys)).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return Path(name)


def create_key_file(path: Path) -> bool:
    """A new key file with one fresh key, unless one exists: whether this call made it.

    Written aside and hard-linked into place (``link`` fails if the name exists), so two
    processes starting together end with one key, and none reads half a file.
    """
    try:
        private_folder(path.parent)
        aside = _write_aside(path.parent, [Fernet.generate_key()])
    except OSError as exc:
        raise DataKeyError(
            f"申請データの鍵ファイル {path} を作成できません: {exc.strerror or exc}"
        ) from None
    try:
        os.link(aside, path)
    except FileExistsError:
        return False
    except OSError as exc:
        raise DataKeyError(
            f"申請データの鍵ファイル {path} を作成できません: {exc.strerror or exc}"
        ) from None
    finally:
        aside.unlink(missing_ok=True)
    logger.warning("申請データの暗号鍵を作成しました: {}（鍵 ID {}）", path, read_ids(path)[0])
    return True


def read_ids(path: Path) -> list[str]:
    return [key_id(k) for k in read_keys(path)]


def replace_keys(path: Path, keys: list[bytes]) -> None:
    """Rewrite the key file atomically (a reader sees the old file or the new one)."""
    aside = _write_aside(path.parent, keys)
    try:
        os.replace(aside, path)
    except OSError as exc:
        aside.unlink(missing_ok=True)
        raise DataKeyError(
            f"申請データの鍵ファイル {path} を書き換えられません: {exc.strerror or exc}"
        ) from None


@contextlib.contextmanager
def key_file_lock(path: Path) -> Iterator[None]:
    """One rotation at a time per key folder (an advisory lock beside the key file)."""
    private_folder(path.parent)
    with open(path.parent / (KEY_FILE + ".lock"), "a", encoding="ascii") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- the sealer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[int, int, int]
    keys: list[bytes]
    fernet: MultiFernet


class Sealer:
    """Seals and opens documents with the keys of one key file, read again when it changes.

    ``may_create`` False (set by :class:`~bots.queue.db.Database` when its database holds
    sealed rows and the file is missing): the file is never created, a missing one is an
    error — a new key would only hide that the old one is lost.
    """

    def __init__(self, path: Path, *, may_create: bool = True) -> None:
        self.path = path
        self.may_create = may_create
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def _fernet(self, *, create: bool) -> MultiFernet:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if not (create and self.may_create):
                read_keys(self.path)  # raises the error naming the file
            create_key_file(self.path)
            st = os.stat(self.path)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        loaded = self._loaded
        if loaded is not None and loaded.stamp == stamp:
            return loaded.fernet
        with self._lock:
            if stat.S_IMODE(st.st_mode) & 0o077:
                tighten(self.path, 0o600)
            keys = read_keys(self.path)
            self._loaded = _Loaded(stamp, keys, MultiFernet([Fernet(k) for k in keys]))
            return self._loaded.fernet

    def keys(self) -> list[bytes]:
        """The keys as last read (the sealing one first)."""
        self._fernet(create=False)
        assert self._loaded is not None
        return list(self._loaded.keys)

    def seal(self, data: Any) -> dict[str, str]:
        plain = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return {SEALED: self._fernet(create=True).encrypt(plain).decode("ascii")}

    def open(self, stored: Any) -> Any:
        """The document; a plain one (written before sealing) as it is."""
        if not is_sealed(stored):
            return stored
        try:
            plain = self._fernet(create=False).decrypt(stored[SEALED].encode("ascii"))
        except InvalidToken:
            raise DataKeyError(
                f"申請データを復号できません: 鍵ファイル {self.path} のどの鍵でも開けません"
                "（別のインストールの鍵、または退役させた鍵で暗号化された行、"
                "あるいは管理データベース上で書き換えられた行です）"
            ) from None
        return json.loads(plain)

    def rotate(self, token: str) -> str:
        """The token sealed again with the first key (MultiFernet.rotate)."""
        return self._fernet(create=False).rotate(token.encode("ascii")).decode("ascii")


def attach(engine: Engine, sealer: Sealer) -> None:
    """Give every statement of ``engine`` its database's sealer (see the module doc)."""
    setattr(engine.dialect, _ATTRIBUTE, sealer)


def sealer_of(dialect: Dialect) -> Sealer:
    sealer = getattr(dialect, _ATTRIBUTE, None)
    if sealer is None:
        raise DataKeyError(
            "この接続には申請データの鍵が設定されていません（bots.queue.db.Database で開いてください）"
        )
    assert isinstance(sealer, Sealer)
    return sealer


class SealedDocument(TypeDecorator[Any]):
    """``ApplicationRow.data``: a JSON document stored as ``{"sealed": token}``."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return RAW_DOCUMENT.dialect_impl(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return sealer_of(dialect).seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or not is_sealed(value):
            return value  # a row an older renkei wrote: read as it is
        return sealer_of(dialect).open(value)


# --- passes over every row ----------------------------------------------------------------


def has_sealed_rows(conn: Connection) -> bool:
    """Whether any application is stored sealed (only asked when the key file is missing)."""
    query = select(RAW.c.id).where(cast(RAW.c.data, Text).like('{"sealed":%')).limit(1)
    return conn.execute(query).first() is not None


def _batches(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """(id, stored document) of every application, by id, ``BATCH`` at a time."""
    last = ""
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(RAW.c.id, RAW.c.data).where(RAW.c.id > last).order_by(RAW.c.id).limit(BATCH)
            ).all()
        if not rows:
            return
        yield [(r.id, r.data) for r in rows]
        last = rows[-1].id


def _token_is(token: str) -> Any:
    """The guard of a re-sealing UPDATE: the row still holds the token just read."""
    return RAW.c.data[SEALED].as_string() == token


def seal_plain_rows(engine: Engine, sealer: Sealer) -> int:
    """Seal every application stored in clear; returns how many.

    Each UPDATE is guarded on the row being still plain: any concurrent writer of ``data``
    goes through :class:`SealedDocument`, so a row it changed meanwhile is sealed already
    and left alone.
    """
    sealed = 0
    for batch in _batches(engine):
        with engine.begin() as conn:
            for app_id, stored in batch:
                if stored is None or is_sealed(stored):
                    continue
                result = conn.execute(
                    update(RAW)
                    .where(RAW.c.id == app_id, RAW.c.data[SEALED].as_string().is_(None))
                    .values(data=sealer.seal(stored))
                )
                sealed += int(result.rowcount or 0)
    return sealed


def reseal_rows(engine: Engine, sealer: Sealer, *, only_unless: bytes | None = None) -> int:
    """Seal every sealed row again with the first key (MultiFernet.rotate); returns how many.

    ``only_unless``: only the rows that key cannot open (the check before old keys are
    retired: a runner may have sealed a row with an old key meanwhile). Guarded on the
    token read, so a row rewritten meanwhile (by then with the new key) is left alone.
    """
    check = Fernet(only_unless) if only_unless else None
    count = 0
    for batch in _batches(engine):
        with engine.begin() as conn:
            for app_id, stored in batch:
                if not is_sealed(stored):
                    continue
                token = stored[SEALED]
                if check is not None and _opens(check, token):
                    continue
                try:
                    new = sealer.rotate(token)
                except InvalidToken:
                    raise DataKeyError(
                        f"申請 {app_id} の申請データを鍵ファイル {sealer.path} のどの鍵でも開けません"
                        "（鍵の入れ替えを中止しました。古い鍵は残っています）"
                    ) from None
                result = conn.execute(
                    update(RAW)
                    .where(RAW.c.id == app_id, _token_is(token))
                    .values(data={SEALED: new})
                )
                count += int(result.rowcount or 0)
    return count


def _opens(fernet: Fernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def count_rows(engine: Engine, sealer: Sealer | None = None) -> dict[str, int]:
    """How many applications are stored sealed and in clear (and, given the sealer, how
    many its first key alone opens)."""
    counts = {"sealed": 0, "plain": 0, "first_key": 0}
    first = Fernet(sealer.keys()[0]) if sealer is not None else None
    for batch in _batches(engine):
        for _, stored in batch:
            if is_sealed(stored):
                counts["sealed"] += 1
                if first is not None and _opens(first, stored[SEALED]):
                    counts["first_key"] += 1
            elif stored is not None:
                counts["plain"] += 1
    return counts


@dataclass(frozen=True)
class Rotation:
    """What ``renkei data rotate-key`` did: the new key's id, rows sealed again, the ids of
    the keys retired (removed from the file), and rows a runner had sealed meanwhile with
    an old key, sealed again before the old keys went."""

    new_id: str
    resealed: int
    retired: list[str]
    caught_up: int


def rotate_key(engine: Engine, sealer: Sealer, *, retire: bool) -> Rotation:
    """A new first key, every sealed row sealed again with it; with ``retire``, then the
    old keys removed from the file (see docs/data-at-rest.md).

    Order matters: the new key is in the file before any row is re-sealed (a runner going
    on reads the changed file and seals with it too), and the old keys leave the file only
    after a last pass found every row opening with the new key alone.
    """
    path = sealer.path
    with key_file_lock(path):
        old = read_keys(path)
        new = Fernet.generate_key()
        replace_keys(path, [new, *old])
        logger.warning("申請データの暗号鍵を追加しました: {}（新しい鍵 ID {}）", path, key_id(new))
        resealed = reseal_rows(engine, sealer)
        caught_up, retired = 0, []
        if retire:
            caught_up = reseal_rows(engine, sealer, only_unless=new)
            replace_keys(path, [new])
            retired = [key_id(k) for k in old]
            logger.warning("古い暗号鍵を退役させました: {}（{}）", path, "、".join(retired))
    return Rotation(key_id(new), resealed, retired, caught_up)
