"""``python -m mock_core_ui``: serve the mock core system with waitress."""

from __future__ import annotations

import argparse
import logging

import waitress

from .app import create_app

log = logging.getLogger("mock_core_ui")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the screen contract's Start-up section."""
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Create the app and serve it until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = create_app(args.db, testing=args.testing, session_timeout=args.session_timeout)
    log.info("mock core system listening on http://%s:%d", args.host, args.port)
    waitress.serve(app, host=args.host, port=args.port, threads=8)


if __name__ == "__main__":
    main()
