"""Serving the console with waitress, a production WSGI server (not Flask's debug one).

Loopback by default: only this machine's browsers reach it. ``--host 0.0.0.0`` serves the
LAN; then put it behind the municipality's HTTPS reverse proxy and pass
``--secure-cookies`` (docs/console.md).
"""

from __future__ import annotations

import ipaddress
import sys

from loguru import logger
from waitress.server import create_server

from bots.config import Settings
from bots.console.accounts import LoginPolicy
from bots.console.app import create_app


def serve(
    settings: Settings, host: str, port: int, *, secure_cookies: bool = False, threads: int = 8
) -> None:
    """Serve until interrupted; prints the address (with the port chosen when ``port`` is 0)."""
    if not _loopback(host) and not secure_cookies:
        logger.warning(
            "コンソールを {} で公開します。庁内 LAN では HTTPS のリバースプロキシの背後に置き、"
            "--secure-cookies を付けてください（docs/console.md）",
            host,
        )
    app = create_app(settings, LoginPolicy.from_environment(), secure_cookies=secure_cookies)
    server = create_server(app, host=host, port=port, threads=threads, ident="renkei")
    shown = f"[{host}]" if ":" in host else host
    port_now = getattr(server, "effective_port", port)  # one socket: the port bound
    print(  # noqa: T201 - the one line a person (or a test) reads to find the console
        f"renkei コンソール: http://{shown}:{port_now}/  （Ctrl+C で終了）",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        sys.stdout.flush()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
