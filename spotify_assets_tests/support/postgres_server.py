"""A throwaway PostgreSQL server on 127.0.0.1, for tests and the benchmark.

It is the real server of Debian's ``postgresql`` package (``initdb`` and ``pg_ctl``), in a
fresh data folder, with ``trust`` authentication for local connections only. It backs a
Dagster instance configured by ``deploy/dagster.yaml`` (``dagster-postgres``), as a
deployment's instance is.

``initdb`` refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user that the package creates (``runuser``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from spotify_assets_tests.support.ports import free_port

SERVER_USER = "postgres"  # the package's system user, used when we are root
ROLE = "dagster"  # the database role the instance connects as (a superuser of this server)


def postgres_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: the newest ``/usr/lib/postgresql/N/bin``
    (Debian does not put them on PATH), else wherever PATH finds ``initdb``; None if neither."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def unavailable_reason() -> str | None:
    """Why no server can be started here (for ``pytest.skip``), or None if one can."""
    if postgres_bin_dir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _uid(SERVER_USER) is None):
        return f"running as root, and initdb refuses root: needs runuser and the {SERVER_USER!r} system user"
    return None


def _uid(user: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


@dataclass(frozen=True)
class PostgresServer:
    """A running server: connect to ``127.0.0.1:port`` as ``role`` (no password)."""

    port: int
    role: str = ROLE
    host: str = "127.0.0.1"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` (dropped first if it exists); returns ``name``."""
        import psycopg2  # dagster-postgres's driver

        conn = psycopg2.connect(host=self.host, port=self.port, user=self.role, dbname="postgres")
        conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return name

    def dagster_env(self, database: str) -> dict[str, str]:
        """The ``DAGSTER_PG_*`` variables ``deploy/dagster.yaml`` reads, for ``database``."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": self.role,
            "DAGSTER_PG_PASSWORD": "",  # trust authentication
            "DAGSTER_PG_DB": database,
        }


@contextmanager
def postgres_server(fsync: bool = True) -> Iterator[PostgresServer]:
    """Start a server in a fresh temporary folder; stop it and delete the folder on exit.

    ``fsync=False`` skips flushing to disk (faster; for tests, never for the benchmark,
    whose figures must be those of a real server). Raises ``RuntimeError`` with the
    server's log when it does not start; call :func:`unavailable_reason` first.
    """
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    bin_dir = postgres_bin_dir()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
    root = Path(tempfile.mkdtemp(prefix="spotify-assets-pg-"))
    if as_root:
        os.chown(root, _uid(SERVER_USER), -1)
    data, log, port = root / "data", root / "server.log", free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1" + (
        "" if fsync else " -c fsync=off -c synchronous_commit=off"
    )
    try:
        init = subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", ROLE, "--no-sync"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed in {data}: {init.stderr.strip()}")
        started = subprocess.run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
        if started.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL did not start on port {port}: {started.stderr.strip()}\n{log.read_text() if log.exists() else ''}"
            )
        try:
            yield PostgresServer(port)
        finally:
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
