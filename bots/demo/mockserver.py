"""Start and stop the mock core system as a real server process (demo and tests).

The mock is another vendor's system: renkei talks to it only over HTTP, so the demo and
the tests run it as a separate process on loopback, exactly as a core system would be.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from time import monotonic
from urllib.parse import urlparse


class MockStartError(RuntimeError):
    pass


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on ``host:port`` (binding it, as the server would, fails).

    ``SO_REUSEADDR`` as the server sets it: a port left in TIME_WAIT by a stopped server
    is free, one with a listener is not.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def mock_core(
    url: str,
    db_path: Path,
    *,
    testing: bool = True,
    session_timeout: int | None = None,
    log_path: Path | None = None,
    reuse: bool = False,
    timeout_s: float = 30,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Run the mock at ``url`` (loopback) for the duration of the block; yields the URL.

    A port another program listens on is an error naming the port: the demo must never
    key into a server it did not start (it could be a real system). Only with ``reuse``
    is a mock already answering at ``url`` used as it is, and left running.
    """
    if reuse and healthy(url):
        yield url
        return
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 8765
    if port_in_use(host, port):
        raise MockStartError(
            f"ポート {port}（{url}）は別のプログラムが使用中のため、模擬基幹システムを起動できません。"
            "そのプログラムを止めるか、RENKEI_CORE_URL（--core-url）で空いているポートを指定してください"
        )
    cmd = [
        sys.executable,
        "-m",
        "mock_core_ui",
        "--host",
        host,
        "--port",
        str(port),
        "--db",
        str(db_path),
    ]
    if testing:
        cmd.append("--testing")
    if session_timeout is not None:
        cmd += ["--session-timeout", str(session_timeout)]
    cmd += list(extra_args)  # e.g. fault flags
    db_path.parent.mkdir(parents=True, exist_ok=True)
    log = (log_path or db_path.with_suffix(".log")).open("ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = monotonic() + timeout_s
        while proc.poll() is not None or not healthy(url):
            try:  # waiting on the process doubles as noticing that it died
                code = proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                code = None
            if code is not None:
                raise MockStartError(
                    f"模擬基幹システムが起動しませんでした（終了コード {code}）: {log.name}"
                )
            if monotonic() > deadline:
                raise MockStartError(f"模擬基幹システムが {timeout_s} 秒以内に応答しません: {url}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
