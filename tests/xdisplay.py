"""A real X display for desktop tests: Xvfb on a free display number, with its own cookie.

pyautogui (through python-xlib) refuses a display without an Xauthority file, and a test
must not touch the tester's ``~/.Xauthority``: the display gets a fresh MIT cookie in a
file of its own, named by ``XAUTHORITY`` for this process and its children. Xvfb picks
the display number itself (``-displayfd``), so parallel sessions never collide.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class NoDisplay(RuntimeError):
    """Xvfb or xauth is missing: the message says which Debian package installs it."""


@contextmanager
def xvfb(workdir: Path, size: str = "1600x1000x24") -> Iterator[str]:
    """Start Xvfb, point ``DISPLAY`` and ``XAUTHORITY`` at it, and stop it afterwards."""
    server_bin, xauth = shutil.which("Xvfb"), shutil.which("xauth")
    if server_bin is None or xauth is None:
        raise NoDisplay(
            "Xvfb と xauth が必要です: apt-get install xvfb xauth（scripts/system-deps.sh）"
        )
    authfile = workdir / "Xauthority"
    authfile.touch(mode=0o600)
    read, write = os.pipe()
    server = subprocess.Popen(
        [server_bin, "-displayfd", str(write), "-auth", str(authfile), "-nolisten", "tcp"]
        + ["-screen", "0", size],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        raise NoDisplay("Xvfb が起動しませんでした")
    display = f":{number}"
    cookie = secrets.token_hex(16)
    subprocess.run(
        [xauth, "-f", str(authfile), "add", display, "MIT-MAGIC-COOKIE-1", cookie], check=True
    )
    before = {name: os.environ.get(name) for name in ("DISPLAY", "XAUTHORITY")}
    os.environ["DISPLAY"], os.environ["XAUTHORITY"] = display, str(authfile)
    try:
        yield display
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.terminate()
        server.wait(timeout=10)
