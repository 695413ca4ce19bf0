"""The sources as the CLI, the scheduler and the console use them: sync, check, timing.

:func:`sync_sources` syncs every source of ``sources.yaml`` (or one), each under its own
lock in the management database (``source:<name>`` in ``run_locks``), so two scheduler
services, or a scheduled sync and a ``renkei sync``, never read and move the same files or
rows at once. A source that cannot be synced now (unreachable, its password missing, its
table gone, a recipe it maps to broken, another sync holding it) is reported with why;
the other sources are synced all the same.

:func:`check_sources` is ``renkei sources check``: every source located, its credentials
present, its recipes there, its folder there — without connecting unless asked.

:class:`SourceTimer` is the scheduler's: which sources are due (``every_minutes``).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from loguru import logger

from bots.config import Settings
from bots.engine.runner import runner_name
from bots.errors import RecipeError, RenkeiError
from bots.queue.db import Database
from bots.queue.sql import RunLock
from bots.recipe.model import Recipe
from bots.sources.config import FolderSource, SqlSource, load_sources
from bots.sources.credentials import CredentialsUnusable, password, shown_url
from bots.sources.sql import SourceBroken, SourceUnavailable, check_connection
from bots.sources.sync import SyncReport, sync_folder, sync_sql

SYNC_LEASE = timedelta(minutes=15)
AnySource = SqlSource | FolderSource


class SourcesUnusable(RenkeiError):
    """``sources.yaml`` is missing (when named) or does not name the source asked for."""


def configured(settings: Settings) -> dict[str, AnySource]:
    """The sources of ``settings.sources_file``; none when the default file does not exist.

    A file named by ``RENKEI_SOURCES`` must exist. Problems in the file raise
    :class:`~bots.errors.RecipeErrors`, each with its ``file:line:column``.
    """
    path = settings.sources_file
    if not path.exists():
        if path == settings.root / "sources.yaml":
            return {}
        raise SourcesUnusable(f"ソースの設定ファイル {path} がありません（RENKEI_SOURCES）")
    return load_sources(path)


def _chosen(settings: Settings, name: str | None) -> dict[str, AnySource]:
    sources = configured(settings)
    if name is None:
        return sources
    if name not in sources:
        known = "、".join(sorted(sources)) or "なし"
        raise SourcesUnusable(
            f"ソース『{name}』は {settings.sources_file} にありません（定義済み: {known}）"
        )
    return {name: sources[name]}


def _recipes_for(
    config: AnySource, recipes: dict[str, Recipe], broken: dict[Path, RecipeError]
) -> str | None:
    """Why the source cannot be synced for its recipes (None: every one it maps loads)."""
    missing = sorted({m.recipe for m in config.procedures.values()} - set(recipes))
    if not missing:
        return None
    errors = "／".join(str(e) for p, e in broken.items() if p.stem in missing)
    detail = f": {errors}" if errors else "（recipes/ にありません）"
    return f"手続のレシピ {'、'.join(missing)} を読み込めないため同期しません{detail}"


def sync_sources(
    settings: Settings,
    name: str | None = None,
    *,
    by: str | None = None,
    db: Database | None = None,
) -> list[SyncReport]:
    """Sync every source (or ``name``): what each gave, or why it was not synced."""
    from bots.service import load_recipes_each

    sources = _chosen(settings, name)
    if not sources:
        return []
    recipes, broken = load_recipes_each(settings)
    own = db is None
    database = db or Database(settings.db_url)
    who = by or getpass.getuser()
    try:
        return [
            _sync_one(settings, database, n, c, recipes, broken, who) for n, c in sources.items()
        ]
    finally:
        if own:
            database.dispose()


def _sync_one(
    settings: Settings,
    db: Database,
    name: str,
    config: AnySource,
    recipes: dict[str, Recipe],
    broken: dict[Path, RecipeError],
    by: str,
) -> SyncReport:
    why = _recipes_for(config, recipes, broken)
    if why is not None:
        return SyncReport(name, error=why)
    lock = RunLock(db, f"source:{name}", runner_name(), SYNC_LEASE)
    if not lock.acquire():
        holder = lock.holder_now() or "不明"
        return SyncReport(name, error=f"別の同期（{holder}）が実行中です", transient=True)
    try:
        if isinstance(config, SqlSource):
            return sync_sql(db, name, config, recipes, by=by, audit_dir=settings.audit_dir)
        return sync_folder(db, name, config, recipes, by=by, audit_dir=settings.audit_dir)
    except SourceUnavailable as exc:
        return SyncReport(name, error=str(exc), transient=True)
    except (SourceBroken, CredentialsUnusable) as exc:
        return SyncReport(name, error=str(exc))
    finally:
        lock.release()


@dataclass
class CheckResult:
    """One source as ``renkei sources check`` found it: good lines, and problems."""

    source: str
    kind: str
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_sources(settings: Settings, *, connect: bool = False) -> list[CheckResult]:
    """Every source checked (see the module doc); ``connect``: also read each once."""
    from bots.service import load_recipes_each

    sources = configured(settings)
    recipes, broken = load_recipes_each(settings)
    results = []
    for name, config in sources.items():
        result = CheckResult(name, config.kind)
        why = _recipes_for(config, recipes, broken)
        if why:
            result.problems.append(why)
        if isinstance(config, SqlSource):
            _check_sql(name, config, result, connect)
        else:
            _check_folder(name, config, result, connect)
        results.append(result)
    return results


def _check_sql(name: str, config: SqlSource, result: CheckResult, connect: bool) -> None:
    result.lines.append(f"接続先 {shown_url(config.url)}")
    try:
        secret = password(name, config.password_env, config.password_file)
    except CredentialsUnusable as exc:
        result.problems.append(str(exc))
        return
    if secret is None:
        result.lines.append("パスワードなし（password_env / password_file の指定なし）")
    else:
        where = (
            f"環境変数 {config.password_env}" if config.password_env else str(config.password_file)
        )
        result.lines.append(f"パスワードあり（{where}）")
    if connect:
        try:
            result.lines.append(f"接続できました: {check_connection(name, config)}")
        except (SourceUnavailable, SourceBroken) as exc:
            result.problems.append(str(exc))


def _check_folder(name: str, config: FolderSource, result: CheckResult, connect: bool) -> None:
    if not config.path.is_dir():
        result.problems.append(f"フォルダ {config.path} がありません（sources.yaml の path）")
        return
    result.lines.append(f"フォルダ {config.path}（{config.pattern}）")
    if connect:
        files = sorted(p.name for p in config.path.glob(config.pattern) if p.is_file())
        result.lines.append(f"取り込み待ちのファイル {len(files)} 件")


class SourceTimer:
    """Which sources the scheduler syncs now: each ``every_minutes`` (0: on demand only).

    In memory, per scheduler service: the first look after start syncs every timed
    source, then each again when its interval has passed since its last sync began. Two
    services on one database may both sync a source in the same minute: the lock lets
    one through, and a second sync right after takes nothing (nothing is taken twice).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.last: dict[str, datetime] = {}
        self._read: tuple[float, dict[str, AnySource]] | None = None
        self._warned = ""

    def _sources(self) -> dict[str, AnySource]:
        """The file read again only when it changed (the scheduler looks every ~2 s)."""
        path = self.settings.sources_file
        stamp = path.stat().st_mtime if path.exists() else -1.0
        if self._read is None or self._read[0] != stamp:
            self._read = (stamp, configured(self.settings))
        return self._read[1]

    def due(self, now: datetime) -> tuple[list[str], datetime | None]:
        """The sources to sync at ``now`` (aware), and when the next one falls due."""
        try:
            sources = self._sources()
        except (RecipeError, SourcesUnusable) as exc:  # the runs go on without the sources
            if str(exc) != self._warned:
                self._warned = str(exc)
                logger.error("取り込み元の設定を読めないため同期しません: {}", exc)
            return [], None
        due, upcoming = [], None
        for name, config in sources.items():
            if config.every_minutes <= 0:
                continue
            step = timedelta(minutes=config.every_minutes)
            last = self.last.get(name)
            if last is None or now - last >= step:
                self.last[name] = now
                due.append(name)
                last = now
            nxt = last + step
            upcoming = nxt if upcoming is None or nxt < upcoming else upcoming
        return due, upcoming
