"""Real server processes for tests of several workers: clients pinned to one worker of
``tactful serve --workers N``, a ``chroma run`` that can be killed and started again on
its port, and the demo shop loaded into a throwaway PostgreSQL and that Chroma.

A shop on servers is built once per session the way a shop would build it (``tactful
import online-retail`` with ``TACTFUL_DATABASE_URL`` and ``TACTFUL_CHROMA_URL`` set) and
then copied for each user: a PostgreSQL database made from it as a template, and its
Chroma folder copied while its server is stopped, so the catalog is embedded once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from agent.cli.processes import free_port, stop
from agent.settings import Settings
from agent.stores.keys import KeyKind, KeyStore
from tests.pg import PostgresServer, postgres_server  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "data" / "online-retail-demo.csv.gz"
#: The installed command lines, as a shop runs them.
TACTFUL = Path(sys.executable).with_name("tactful")
CHROMA = Path(sys.executable).with_name("chroma")
#: Longest wait for a Chroma server to answer its heartbeat.
CHROMA_READY_SECONDS = 60.0
#: Rate limits no test of several clients meets, unless it is about them.
GENEROUS_LIMITS = {"TACTFUL_API__RATE_PER_SECOND": "1000", "TACTFUL_API__RATE_BURST": "1000"}


def pinned(url: str, secret: str, avoid: set[int]) -> tuple[httpx.Client, int]:
    """A client whose one connection is held by a worker not in ``avoid``, and that
    worker's process id."""
    for _ in range(200):
        client = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {secret}"},
            limits=httpx.Limits(max_connections=1),
            timeout=60,
        )
        worker = int(client.get("/health").json()["worker"])
        if worker not in avoid:
            return client, worker
        client.close()
    raise AssertionError("every new connection went to the same worker")


def two_workers(url: str, secret: str) -> tuple[httpx.Client, httpx.Client]:
    """Two clients, each held by a different worker."""
    first, one = pinned(url, secret, set())
    second, _ = pinned(url, secret, {one})
    return first, second


def new_home(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> tuple[Path, str]:
    """A copy of the embedded demo shop, and a shop key made in it."""
    home = tmp_path_factory.mktemp("workers") / "home"
    shutil.copytree(demo_template, home)
    keys = KeyStore(Settings(home=home).sql_url)
    secret = keys.create(KeyKind.SHOP, "web backend").secret
    keys.close()
    return home, secret


def wait_for(condition: Callable[[], object], what: str, seconds: float = 120.0) -> None:
    """Return once ``condition()`` is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds:.0f} s waiting for {what}"
        time.sleep(0.05)


class ChromaServer:
    """``chroma run`` on ``folder`` at a loopback port that stays the same across
    restarts, so clients configured with its URL find it again."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.folder, self.log = folder, log
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._process is not None, "the Chroma server is not running"
        return self._process.pid

    def start(self) -> None:
        """Start it and return once it answers its heartbeat."""
        command = [str(CHROMA), "run", "--path", str(self.folder)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as output:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + CHROMA_READY_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                said = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"chroma run exited with {self._process.returncode}: {said}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not answer within {CHROMA_READY_SECONDS:.0f} s")

    def kill(self) -> None:
        """``kill -9`` by process id: no chance to finish a write or flush anything."""
        assert self._process is not None, "the Chroma server is not running"
        os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait()
        self._process = None

    def stop(self) -> None:
        """A clean stop (SIGTERM, then SIGKILL if it hangs); nothing if not running."""
        if self._process is not None:
            stop(self._process)
            self._process = None


@contextmanager
def running_chroma(folder: Path, log: Path) -> Iterator[ChromaServer]:
    """A started :class:`ChromaServer`, stopped on leaving (also after a failure)."""
    server = ChromaServer(folder, log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def tactful_cli(
    env: dict[str, str], *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """The installed ``tactful`` command in a process of its own, with ``env`` over this
    process's environment; never raises for a non-zero exit."""
    return subprocess.run(
        [str(TACTFUL), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


@dataclass(frozen=True)
class ServerTemplate:
    """The demo shop on servers, at rest: a PostgreSQL database and a stopped Chroma's
    folder, plus the home (api secret, saved snapshot) the import left."""

    database: str
    chroma_folder: Path
    home: Path
    now: datetime  # the clock the data was loaded at: the day after it ends


@dataclass(frozen=True)
class ServerShop:
    """A copy of the demo shop on a running Chroma server and its own PostgreSQL
    database, with a shop key and a staff key."""

    home: Path
    database_url: str
    chroma: ChromaServer
    now: datetime
    shop_key: str
    staff_key: str

    @property
    def env(self) -> dict[str, str]:
        """What every tactful process of this shop is started with."""
        return {
            "TACTFUL_HOME": str(self.home),
            "TACTFUL_DATABASE_URL": self.database_url,
            "TACTFUL_CHROMA_URL": self.chroma.url,
            "TACTFUL_NOW": self.now.isoformat(),
        }


def build_server_template(postgres: PostgresServer, folder: Path, now: datetime) -> ServerTemplate:
    """Load the demo data into a new database and an empty Chroma server with ``tactful
    import online-retail``, as a shop would, then stop that server."""
    database = postgres.create_database()
    chroma_folder, home = folder / "chroma", folder / "home"
    home.mkdir(parents=True)
    with running_chroma(chroma_folder, folder / "chroma.log") as chroma:
        env = {
            "TACTFUL_HOME": str(home),
            "TACTFUL_DATABASE_URL": postgres.url(database),
            "TACTFUL_CHROMA_URL": chroma.url,
            "TACTFUL_NOW": now.isoformat(),
        }
        loaded = tactful_cli(env, "import", "online-retail", str(DEMO_FILE))
    assert loaded.returncode == 0, loaded.stderr
    assert "new items" in loaded.stderr, loaded.stderr
    return ServerTemplate(database, chroma_folder, home, now)


@contextmanager
def shop_on_servers(
    postgres: PostgresServer, template: ServerTemplate, folder: Path
) -> Iterator[ServerShop]:
    """A private copy of ``template`` in ``folder``: its own database, Chroma folder and
    server, and home; the server stopped and the database dropped on leaving."""
    database = postgres.create_database(template=template.database)
    try:
        home = folder / "home"
        shutil.copytree(template.home, home)
        shutil.copytree(template.chroma_folder, folder / "chroma")
        url = postgres.url(database)
        keys = KeyStore(url)
        shop_key = keys.create(KeyKind.SHOP, "web backend").secret
        staff_key = keys.create(KeyKind.STAFF, "Priya").secret
        keys.close()
        with running_chroma(folder / "chroma", folder / "chroma.log") as chroma:
            yield ServerShop(home, url, chroma, template.now, shop_key, staff_key)
    finally:
        postgres.drop_database(database)


@pytest.fixture(scope="session")
def server_template(
    postgres_server: PostgresServer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
    data_now: datetime,
) -> Iterator[ServerTemplate]:
    """The demo shop on servers, loaded once per session (import it with
    ``postgres_server``, as :mod:`tests.pg` says)."""
    template = build_server_template(
        postgres_server, tmp_path_factory.mktemp("on-servers"), data_now
    )
    yield template
    postgres_server.drop_database(template.database)
