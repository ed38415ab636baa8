"""A throwaway PostgreSQL cluster for tests and benchmarks.

PostgreSQL refuses to run as root, so when the harness runs as root the cluster belongs to the
``postgres`` system user and every server command goes through ``runuser``. The cluster lives in
its own temporary directory (the pytest temp dirs are private to root, which ``postgres`` could
not enter), listens on 127.0.0.1 at a free port with its socket in that directory, and never
touches the machine's default cluster.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from .ports import free_port

PG_BIN = Path(os.environ.get("E4T_PG_BIN", "/usr/lib/postgresql/15/bin"))
_SERVICE_USER = "postgres"
_START_ATTEMPTS = 2
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass
class PostgresServer:
    """A running throwaway cluster; `stop` (or leaving a ``with`` block) removes it."""

    url: str
    port: int
    workdir: Path
    pid: int

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        return self.workdir / "postgres.log"

    def stop(self) -> None:
        """Stop the server (fast shutdown, SIGKILL by pid if that fails) and delete its files."""
        result = subprocess.run(
            [
                *_as_service_user(),
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                "30",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_postgres(tmpdir: Path | None = None) -> PostgresServer:
    """Create and start a cluster; user ``test`` with trust auth, database ``postgres``.

    Args:
        tmpdir: parent for the cluster's directory; it must be enterable by the ``postgres``
            user (default: the system temp dir).
    """
    workdir = Path(tempfile.mkdtemp(prefix="e4t-pg-", dir=tmpdir))
    data_dir = workdir / "data"
    log_path = workdir / "postgres.log"
    if os.geteuid() == 0:
        owner = pwd.getpwnam(_SERVICE_USER)
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
    try:
        _run_logged(
            [
                *_as_service_user(),
                str(PG_BIN / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "test",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
            log_path,
        )
        port = _start_on_a_free_port(data_dir, workdir, log_path)
    except BaseException:
        # pg_ctl can time out while the server still comes up: make sure none is left behind.
        subprocess.run(
            [
                *_as_service_user(),
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data_dir),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    url = f"postgresql+psycopg://test@127.0.0.1:{port}/postgres"
    return PostgresServer(url=url, port=port, workdir=workdir, pid=pid)


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url`` and return a URL pointing at it."""
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"database name {name!r} must match {_DATABASE_NAME.pattern}")
    parsed = make_url(url)
    with psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        autocommit=True,
    ) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return parsed.set(database=name).render_as_string(hide_password=False)


def _start_on_a_free_port(data_dir: Path, socket_dir: Path, log_path: Path) -> int:
    """Start the server; if the chosen port was taken meanwhile, try once more on another."""
    attempt = 0
    while True:
        attempt += 1
        port = free_port()
        options = (
            f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        command = [
            *_as_service_user(),
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data_dir),
            "-o",
            options,
            "-l",
            str(log_path),
            "-w",
            "-t",
            "60",
            "start",
        ]
        try:
            _run_logged(command, log_path)
            return port
        except RuntimeError:
            if attempt >= _START_ATTEMPTS:
                raise


def _as_service_user() -> list[str]:
    return ["runuser", "-u", _SERVICE_USER, "--"] if os.geteuid() == 0 else []


def _run_logged(command: list[str], log_path: Path) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        server_log = log_path.read_text(errors="replace") if log_path.exists() else ""
        raise RuntimeError(
            f"command failed ({result.returncode}): {' '.join(command)}\n"
            f"--- stdout ---\n{result.stdout}\n"
            f"--- stderr ---\n{result.stderr}\n--- server log ---\n{server_log}"
        )
