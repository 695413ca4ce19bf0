"""``python -m mock_core_ui``: serve the mock core system with waitress."""

from __future__ import annotations

import argparse
import logging

import waitress

from .app import create_app
from .faults import FaultSettings, FaultSettingsError, parse_window, settings_json, validate_update

log = logging.getLogger("mock_core_ui")


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be a number from 0 to 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be an integer ≥ 0")
    return value


def _window(text: str) -> str:
    try:
        parse_window(text)
    except FaultSettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _variant(text: str) -> tuple[str, str]:
    subsystem, sep, variant = text.partition("=")
    if not sep or not subsystem.strip() or not variant.strip():
        raise argparse.ArgumentTypeError("expected SUBSYSTEM=VARIANT, e.g. kosodate=v2")
    return subsystem.strip(), variant.strip()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the screen contract's Start-up section, and the faults."""
    parser = argparse.ArgumentParser(
        prog="python -m mock_core_ui", description="Mock core system (児童手当) for renkei."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--db", default="var/core.db", help="SQLite file (created with its tables if missing)"
    )
    parser.add_argument("--testing", action="store_true", help="enable the /_testing endpoints")
    parser.add_argument(
        "--session-timeout",
        type=int,
        default=900,
        metavar="SECONDS",
        help="idle seconds before a clerk must log in again",
    )
    f = parser.add_argument_group("faults (all off by default; see docs/mock-core-faults.md)")
    f.add_argument(
        "--admin", action="store_true", help="enable /_admin/faults (also on with --testing)"
    )
    f.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0,
        metavar="N",
        help="delay every response by N ms",
    )
    f.add_argument(
        "--latency-jitter-ms",
        type=_non_negative,
        default=0,
        metavar="N",
        help="plus a random 0..N ms",
    )
    f.add_argument(
        "--register-500-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of register POSTs answered 500 (nothing written)",
    )
    f.add_argument(
        "--session-expiry-after",
        type=_non_negative,
        default=0,
        metavar="N",
        help="a session ends after N requests (0: never)",
    )
    f.add_argument(
        "--maintenance", action="store_true", help="start in maintenance (every screen 503)"
    )
    f.add_argument(
        "--maintenance-window",
        type=_window,
        default=None,
        metavar="HH:MM-HH:MM",
        help="local time of the nightly batch (503 inside it)",
    )
    f.add_argument(
        "--notice-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of HTML pages opening the お知らせ modal",
    )
    f.add_argument(
        "--variant",
        type=_variant,
        action="append",
        default=[],
        metavar="SUBSYSTEM=VARIANT",
        help="layout variant, e.g. kosodate=v2 (repeatable)",
    )
    f.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the fault randomness (reproducible runs)",
    )
    return parser.parse_args(argv)


def fault_settings_from_args(args: argparse.Namespace) -> FaultSettings:
    """The start-up fault settings given on the command line."""
    settings = FaultSettings(
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        register_500_rate=args.register_500_rate,
        session_expiry_after=args.session_expiry_after or None,
        maintenance=args.maintenance,
        notice_rate=args.notice_rate,
        variants=dict(args.variant),
        maintenance_window=args.maintenance_window,
        seed=args.fault_seed,
    )
    validate_update(settings_json(settings))
    return settings


def main(argv: list[str] | None = None) -> None:
    """Create the app and serve it until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = fault_settings_from_args(args)
    app = create_app(
        args.db,
        testing=args.testing,
        session_timeout=args.session_timeout,
        fault_settings=settings,
        admin=args.admin,
    )
    if settings != FaultSettings():
        log.info("faults at start-up: %s", settings)
    if args.admin or args.testing:
        log.info("fault admin endpoint: /_admin/faults")
    log.info("mock core system listening on http://%s:%d", args.host, args.port)
    waitress.serve(app, host=args.host, port=args.port, threads=8)


if __name__ == "__main__":
    main()
