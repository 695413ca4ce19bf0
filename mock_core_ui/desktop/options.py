"""Start-up options of the desktop client: command line first, then ``MOCK_DESKTOP_*``.

Every option can come from the environment so a driver can start the client the way a
municipality's PC starts a vendor's client (a shortcut with fixed settings), and a test
can override one thing on the command line.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

SCALES = (1.0, 1.25, 1.5)
LAYOUTS = ("v1", "v2")
ENV = "MOCK_DESKTOP_"


@dataclass(frozen=True)
class Options:
    """What one run of the client is set to (see docs/mock-desktop.md, 起動オプション)."""

    store: Path
    scale: float = 1.0
    layout: str = "v1"
    user: str = "rpa01"
    password: str = field(default="renkei-demo", repr=False)  # the web mock's demo account
    residents: Path | None = None  # JSON list; None → the 介護 demo's insured
    demo_residents: int = 20
    ready_file: Path | None = None
    geometry_file: Path | None = None
    idle_timeout: int = 0  # seconds; 0 = never


def _scale(text: str) -> float:
    """100 %, 125 % and 150 % as Windows offers them: ``1.25``, ``125`` or ``125%``."""
    value = float(text.strip().rstrip("%"))
    value = value / 100 if value > 10 else value
    if value not in SCALES:
        raise argparse.ArgumentTypeError("表示倍率は 1.0 / 1.25 / 1.5（100% / 125% / 150%）です")
    return value


def _layout(text: str) -> str:
    if text not in LAYOUTS:
        raise argparse.ArgumentTypeError(f"画面レイアウトは {' / '.join(LAYOUTS)} です")
    return text


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV + name.upper(), default)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mock_core_ui.desktop",
        description="介護保険総合システム クライアント版 (a mock desktop core system for renkei)",
    )
    path = Path
    p.add_argument(
        "--store", type=path, default=_env("store", "var/desktop.db"), help="SQLite file"
    )
    p.add_argument(
        "--scale", type=_scale, default=_scale(_env("scale", "1.0") or "1.0"), help="1.0/1.25/1.5"
    )
    p.add_argument(
        "--layout", type=_layout, default=_env("layout", "v1"), help="v1, or v2 (update)"
    )
    p.add_argument("--user", default=_env("user", Options.user))
    p.add_argument("--password", default=_env("password", Options.password))
    p.add_argument(
        "--residents", type=path, default=_env("residents"), help="被保険者 JSON (else the demo's)"
    )
    p.add_argument("--demo-residents", type=int, default=int(_env("demo_residents", "20") or 20))
    p.add_argument(
        "--ready-file", type=path, default=_env("ready_file"), help="written when first drawn"
    )
    p.add_argument(
        "--geometry-file", type=path, default=_env("geometry_file"), help="widget boxes (tests)"
    )
    p.add_argument("--idle-timeout", type=int, default=int(_env("idle_timeout", "0") or 0))
    return p


def parse(argv: list[str] | None = None) -> Options:
    """The options of this run; a bad value stops with argparse's message."""
    a = _parser().parse_args(argv)
    return Options(
        store=Path(a.store),
        scale=a.scale,
        layout=a.layout,
        user=a.user,
        password=a.password,
        residents=None if a.residents is None else Path(a.residents),
        demo_residents=a.demo_residents,
        ready_file=None if a.ready_file is None else Path(a.ready_file),
        geometry_file=None if a.geometry_file is None else Path(a.geometry_file),
        idle_timeout=a.idle_timeout,
    )
