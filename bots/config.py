"""Settings, from the environment (``RENKEI_*``) with command-line options on top.

Defaults make the demo work on one machine: an embedded SQLite management database under
``var/``, the mock core system on loopback, Debian's Chromium. A municipality sets the
real values in the service's environment; credentials never go into recipes or logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

#: The zone of every time shown to people (reports, summaries, lists), whatever the
#: host's zone: staff and auditors read Japan time. Stored times stay naive UTC.
JST = ZoneInfo("Asia/Tokyo")


def jst(moment: datetime) -> datetime:
    """``moment`` in Japan time; a naive value is taken as UTC (as the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST)


def ja_date(day: date) -> str:
    """A calendar date as people write it: ``2026年12月1日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def ja_time(moment: datetime | None) -> str:
    """A moment in Japan time as people write it, ``2026年12月1日 18:02:11`` (no zero before
    month and day); "—" when unknown. A naive value is taken as UTC, as stored."""
    if moment is None:
        return "—"
    local = jst(moment)
    return f"{ja_date(local.date())} {local:%H:%M:%S}"


def _project_root() -> Path:
    """The checkout the package runs from (recipes/ and selectors/ live there), else cwd."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "recipes").is_dir() else Path.cwd()


def default_data_dir() -> Path:
    """``var/`` of the checkout (or of the working folder): the default database, run
    folders and audit logs live there, and it is the one folder renkei creates itself."""
    return _project_root() / "var"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def int_setting(name: str, default: int, minimum: int) -> int:
    """An integer setting, or a ValueError naming it (the CLI shows it, no traceback)."""
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} は整数で指定してください（{raw!r}）") from None
    if value < minimum:
        raise ValueError(f"{name} は {minimum} 以上で指定してください（{value}）")
    return value


def _float_env(name: str, default: float, unit: str = "秒数") -> float:
    """A number of seconds (or ``unit``; 0 or more), or a ValueError naming the setting."""
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} は{unit}で指定してください（{raw!r}）") from None
    if value < 0:
        raise ValueError(f"{name} は 0 以上で指定してください（{value}）")
    return value


#: Debian's Chromium, and its old headless shell: the same engine without a window
#: system, which is what Playwright itself launches for headless runs. It needs about a
#: third less memory per runner and less CPU per page (measured in bench/: README).
CHROMIUM = "/usr/bin/chromium"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"


def default_chromium(*, headless: bool) -> str:
    """The headless shell for headless runs when installed, else the full browser."""
    return HEADLESS_SHELL if headless and Path(HEADLESS_SHELL).exists() else CHROMIUM


@dataclass
class Settings:
    root: Path = field(default_factory=_project_root)
    db_url: str = ""
    core_url: str = field(default_factory=lambda: _env("RENKEI_CORE_URL", "http://127.0.0.1:8765"))
    core_user: str = field(default_factory=lambda: _env("RENKEI_CORE_USER", "rpa01"))
    core_password: str = field(default_factory=lambda: _env("RENKEI_CORE_PASSWORD", "renkei-demo"))
    chromium: str = field(default_factory=lambda: _env("RENKEI_CHROMIUM", ""))
    out_root: Path = field(default_factory=lambda: Path(_env("RENKEI_OUT", "")))
    headless: bool = field(default_factory=lambda: _env("RENKEI_HEADED", "") == "")
    audit_dir: Path = field(default_factory=lambda: Path(_env("RENKEI_AUDIT_DIR", "")))
    transient_tries: int = field(default_factory=lambda: int(_env("RENKEI_TRANSIENT_TRIES", "3")))
    core_sessions: int | None = field(
        default_factory=lambda: (
            int(os.environ["RENKEI_CORE_SESSIONS"])
            if os.environ.get("RENKEI_CORE_SESSIONS")
            else None
        )
    )
    # How long a run (or a tool) waits for a free licence when all RENKEI_CORE_SESSIONS
    # are in use before it gives up for now (the applications stay in the queue).
    session_wait_s: float = field(
        default_factory=lambda: _float_env("RENKEI_CORE_SESSION_WAIT_S", 60.0, "秒")
    )
    lease_s: float = field(default_factory=lambda: float(_env("RENKEI_LEASE_S", "300")))
    retry_later_s: float = field(default_factory=lambda: float(_env("RENKEI_RETRY_LATER_S", "600")))
    # Look every application up in the core system before typing ("always"), or only those
    # a previous attempt may have registered ("when-needed"): see bots/engine/runner.py.
    verify: str = field(default_factory=lambda: _env("RENKEI_VERIFY", "when-needed"))
    # Attempts per application before it goes to a person (要確認): see bots/queue/sql.py.
    max_attempts: int = field(default_factory=lambda: int_setting("RENKEI_MAX_ATTEMPTS", 5, 1))
    # A subsystem stops claiming when its online window closes within this many seconds:
    # an application started then would be cut off mid-entry by the core system.
    window_margin_s: float = field(
        default_factory=lambda: _float_env("RENKEI_WINDOW_MARGIN_S", 300.0)
    )
    # How long the driver waits for an element or a page before it calls the screen
    # changed (ms): long enough for a slow core system, short enough to stop promptly.
    timeout_ms: float = field(
        default_factory=lambda: _float_env("RENKEI_TIMEOUT_MS", 10_000.0, "ミリ秒")
    )

    # Evidence younger than this many days is never pruned (renkei audit prune): a floor
    # against removing what an audit has not looked at yet; 0 allows up to tomorrow.
    retention_min_days: int = field(
        default_factory=lambda: int_setting("RENKEI_RETENTION_MIN_DAYS", 365, 0)
    )

    # Days after 連携済 / 対象外 an application's form data is kept, then purged (the row,
    # its status and the masked audit record stay): bots/queue/purge.py. 0 purges at once.
    purge_after_days: int = field(
        default_factory=lambda: int_setting("RENKEI_PURGE_AFTER_DAYS", 90, 0)
    )
    # The installation's sources of applications and write-back (issue 16): a YAML file;
    # empty: the default sources.yaml beside recipes/ when it exists, else none.
    sources_file: Path = field(default_factory=lambda: Path(_env("RENKEI_SOURCES", "")))

    def __post_init__(self) -> None:
        if self.verify not in ("when-needed", "always"):
            raise ValueError(f"RENKEI_VERIFY は when-needed か always です（{self.verify!r}）")
        if not self.chromium:
            self.chromium = default_chromium(headless=self.headless)
        if not self.db_url:
            self.db_url = _env("RENKEI_DB", f"sqlite:///{self.root / 'var' / 'renkei.db'}")
        if not str(self.out_root) or str(self.out_root) == ".":
            self.out_root = self.root / "var" / "runs"
        if not str(self.audit_dir) or str(self.audit_dir) == ".":
            self.audit_dir = self.root / "var" / "audit"  # staff actions (review)
        if not str(self.sources_file) or str(self.sources_file) == ".":
            self.sources_file = self.root / "sources.yaml"

    @property
    def recipes_dir(self) -> Path:
        return Path(_env("RENKEI_RECIPES", str(self.root / "recipes")))

    @property
    def selectors_dir(self) -> Path:
        return Path(_env("RENKEI_SELECTORS", str(self.root / "selectors")))


@dataclass(frozen=True)
class DesktopSettings:
    """The desktop driver host's settings (issue 15), from ``RENKEI_DESKTOP_*``.

    ``display``: the X display the client is shown on (default ``$DISPLAY``).
    ``client``: the command that starts the client, when the bot should start it (a
    municipality's client is usually started by the clerk's session: leave it empty and
    the host attaches to the display). ``start_timeout_s``: how long the host waits for
    the started client's first window.
    """

    display: str = field(default_factory=lambda: _env("RENKEI_DESKTOP_DISPLAY", ""))
    client: str = field(default_factory=lambda: _env("RENKEI_DESKTOP_CLIENT", ""))
    start_timeout_s: float = field(
        default_factory=lambda: _float_env("RENKEI_DESKTOP_START_TIMEOUT_S", 60.0)
    )
