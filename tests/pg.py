"""A throwaway PostgreSQL server for tests, and a fresh database on it for each test.

Import both fixtures into a test module (``from tests.pg import postgres_server,
postgres_url``). The server is a private cluster made with ``initdb`` in a temporary folder,
trusting local connections and listening only on a unix socket in that folder (no TCP,
so no port to collide with). PostgreSQL refuses to run as root, so under root the server
runs as the ``postgres`` system user. Tests are skipped, naming what is missing, when the
PostgreSQL binaries, the ``postgres`` user (under root) or the psycopg driver are absent.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_USER = "postgres"  # the OS user the server runs as under root
SUPERUSER = "postgres"  # the database superuser initdb creates
PORT = 5432  # only names the socket file, inside the cluster's own folder
PROGRAMS = ("initdb", "pg_ctl", "postgres")
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway cluster: where its socket is, and how to reach its admin db."""

    socket_dir: Path
    port: int

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database on this server."""
        return (
            f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"
        )

    def admin(self, sql: str) -> None:
        """Run one statement on the ``postgres`` database, outside any transaction."""
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql.encode())  # our own fixed statements only

    def create_database(self, template: str | None = None) -> str:
        """A new database (a copy of ``template`` if given, else empty); returns its name.

        A template must have no open connections (close its engines first).
        """
        name = f"test_{uuid.uuid4().hex[:16]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        self.admin(f'CREATE DATABASE "{name}"{copy}')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connection a test left open to it."""
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def find_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: on PATH, else Debian's newest."""
    found = [shutil.which(name) for name in PROGRAMS]
    if all(found):
        return Path(str(found[0])).resolve().parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if all((candidate / name).is_file() for name in PROGRAMS):
            return candidate
    return None


def _world_traversable(path: Path) -> bool:
    """Whether any user can reach ``path``: every folder on the way has o+x."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def _cluster_parent() -> Path:
    # pytest's own tmp folders are 0700 under root, so the postgres user could not reach
    # a data dir there; the system temp dir (normally /tmp, 1777) is reachable. Keep the
    # path short too: a unix socket path must stay under ~107 bytes.
    base = Path(tempfile.gettempdir())
    usable = len(str(base)) <= 60 and _world_traversable(base)
    return base if usable else Path("/tmp")


def _as_server_user(run_as: str | None, argv: list[str]) -> list[str]:
    return argv if run_as is None else ["runuser", "-u", run_as, "--", *argv]


def _run(argv: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}): {' '.join(argv)}\n"
            f"{result.stdout}\n{result.stderr}"
        )


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a private cluster, yield it, then stop it and delete its folder (also on error)."""
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed (pip install 'psycopg[binary]')")
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) are neither on PATH "
            "nor in /usr/lib/postgresql/*/bin"
        )
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            pytest.skip(f"running as root, and there is no {SERVER_USER!r} user to run PostgreSQL")
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser (util-linux) is missing")
        run_as = SERVER_USER

    root = Path(tempfile.mkdtemp(prefix="tactful-pg-", dir=_cluster_parent()))
    data = root / "data"
    log = root / "server.log"
    if run_as is not None:
        os.chown(root, server_user.pw_uid, server_user.pw_gid)
    try:
        _run(
            _as_server_user(
                run_as,
                [
                    str(bin_dir / "initdb"),
                    "--pgdata",
                    str(data),
                    "--username",
                    SUPERUSER,
                    "--auth",
                    "trust",  # local connections only: nothing listens on TCP
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C",  # the machine's LANG may name a locale that is not generated
                    "--no-sync",
                ],
            ),
            cwd=root,
            what="initdb",
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    options = " ".join(
        [
            "-c listen_addresses=''",
            f"-c unix_socket_directories='{root}'",
            f"-p {PORT}",
            # Throwaway data: durability only costs time here.
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ]
    )
    pg_ctl = str(bin_dir / "pg_ctl")
    start = [pg_ctl, "start", "--pgdata", str(data), "--wait", "--timeout", str(START_TIMEOUT_S)]
    stop = [pg_ctl, "stop", "--pgdata", str(data), "--mode", "immediate", "--wait"]
    try:
        try:
            _run(
                _as_server_user(run_as, [*start, "--log", str(log), "-o", options]),
                cwd=root,
                what="pg_ctl start",
            )
        except RuntimeError as exc:
            server_log = log.read_text(errors="replace") if log.exists() else "(no server log)"
            raise RuntimeError(f"{exc}\n--- server log ---\n{server_log}") from exc
        yield PostgresServer(socket_dir=root, port=PORT)
    finally:
        # Also after a failed or timed-out start: the postmaster may be up regardless.
        subprocess.run(_as_server_user(run_as, stop), cwd=root, capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole test session."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A SQLAlchemy URL to a new, empty database of its own on the session's server."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
