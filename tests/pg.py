"""A real PostgreSQL server on 127.0.0.1 for the test session (Debian's ``postgresql``).

Nothing is mocked: ``initdb`` makes a throw-away cluster in a temporary folder, ``pg_ctl``
starts it on a free loopback port, and it is stopped and deleted when the session ends.
Debian's cluster service (``postgresql@15-main``) is neither needed nor touched.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) every server
command runs as the ``postgres`` user the Debian package creates (``runuser -u postgres``)
and the cluster folder belongs to that user. Missing binaries fail the tests with the
command that installs them; they never skip (``make test`` installs them first).

Use it from a test module::

    from pg import PostgresServer, postgres_server  # noqa: F401  (the session fixture)

    def test_x(postgres_server: PostgresServer) -> None:
        url = postgres_server.create_database("x")  # postgresql://renkei@127.0.0.1:…/x
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

PG_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"  # created by Debian's postgresql-common
SUPERUSER = "renkei"  # the cluster's superuser, trusted on loopback only
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
    "(or $RENKEI_PG_BIN): install Debian's postgresql package with `make system-deps` "
    "(sh scripts/system-deps.sh)"
)


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (``$RENKEI_PG_BIN`` wins), or None."""
    wanted = ("initdb", "pg_ctl", "postgres")
    override = os.environ.get("RENKEI_PG_BIN")
    candidates = [Path(override)] if override else []
    versions = [d for d in PG_ROOT.glob("*/bin") if re.fullmatch(r"\d+", d.parent.name)]
    candidates += sorted(versions, key=lambda d: int(d.parent.name), reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in wanted):
            return bindir
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One running cluster: its port, an admin connection, databases made to order."""

    def __init__(self, bindir: Path, root: Path, run_as: list[str]) -> None:
        self.bindir, self.root, self.run_as = bindir, root, run_as
        self.data, self.sockets, self.log = root / "data", root / "sockets", root / "server.log"
        self.port = 0

    # --- server commands -----------------------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.run_as, *args], capture_output=True, text=True, timeout=timeout, check=False
        )

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no server log)"

    def init(self) -> None:
        done = self._run(
            str(self.bindir / "initdb"),
            "--pgdata", str(self.data),
            "--username", SUPERUSER,
            "--auth", "trust",
            "--encoding", "UTF8",
            "--locale", "C",
            "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def start(self, deadline_s: float = 60) -> None:
        """Start on a free loopback port and wait until it accepts connections."""
        failures = []
        for _ in range(3):  # a free port can be taken between choosing it and binding it
            self.port = _free_port()
            options = " ".join(
                [
                    f"-p {self.port}",
                    "-c listen_addresses=127.0.0.1",
                    f"-k {self.sockets}",
                    "-c max_connections=200",
                    # a throw-away cluster: durability buys nothing, speed does
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                ]
            )
            done = self._run(
                str(self.bindir / "pg_ctl"),
                "start",
                "--pgdata", str(self.data),
                "--log", str(self.log),
                "--options", options,
                "--wait",
                "--timeout", str(int(deadline_s)),
            )  # fmt: skip
            if done.returncode == 0:
                self._wait_until_ready(deadline_s)
                return
            failures.append(f"port {self.port}: {done.stdout}{done.stderr}\n{self._log_tail()}")
        pytest.fail("PostgreSQL did not start:\n" + "\n".join(failures))

    def _wait_until_ready(self, deadline_s: float) -> None:
        deadline = time.monotonic() + deadline_s
        while True:
            try:
                with psycopg.connect(self.conninfo("postgres"), connect_timeout=5):
                    return
            except psycopg.OperationalError as e:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"PostgreSQL on port {self.port} never accepted: {e}\n{self._log_tail()}"
                    )
                time.sleep(0.05)

    def stop(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"), "stop", "--pgdata", str(self.data), "-m", "fast", "-w"
        )

    # --- databases -----------------------------------------------------------------

    def conninfo(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def url(self, dbname: str) -> str:
        """The plain URL a user would give renkei (``--db`` / ``RENKEI_DB``)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def start_server() -> PostgresServer:
    """initdb + pg_ctl start in a fresh temporary folder; the caller stops it."""
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            owner = pwd.getpwnam(SERVER_USER)
        except KeyError:
            pytest.fail(
                f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as: "
                + INSTALL_HINT,
                pytrace=False,
            )
        run_as = ["runuser", "-u", SERVER_USER, "--"]
    # memory-backed /dev/shm when there is one (a throw-away cluster); a short path either
    # way, as a Unix socket's path is limited to about a hundred bytes
    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(prefix="renkei-pg-", dir=shm if os.access(shm, os.W_OK) else None))
    (root / "sockets").mkdir()
    if owner is not None:
        for path in (root, root / "sockets"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(bindir, root, run_as)
    try:
        server.init()
        server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole session, removed afterwards."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
