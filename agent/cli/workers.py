"""Several server processes on one port, for ``tactful serve --workers N``.

Each worker binds its own listening socket with ``SO_REUSEPORT`` and the kernel spreads
new connections over them. One socket shared by all workers (uvicorn's own ``--workers``)
lets whichever worker wakes first accept every waiting connection at once: with
keep-alive clients that leaves one worker doing all the work while the other idles.

A worker listens only once its app has started (the stores opened, the catalog and the
shop-wide snapshot loaded), so no connection waits in the queue of a worker that is still
loading. A worker that fails to start stops the server; one that dies later is started
again.

On SIGINT or SIGTERM every worker stops taking connections, finishes the requests it has
(for up to :data:`DRAIN_SECONDS`; a live stream never finishes by itself), then closes its
stores. The workers count their metrics in files of one folder (prometheus-client's
multiprocess mode, :func:`metrics_folder`), so any worker can answer for all of them.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

from agent.cli.logs import LogFormat, server_logging
from agent.errors import StoreUnavailable

APP = "agent.api.app:create_app"
#: A worker's exit code when its app did not start (as uvicorn uses it).
STARTUP_FAILURE = 3
#: How long a worker's requests in progress get to finish when the server stops; any
#: still running then are cancelled, and the worker closes its stores.
DRAIN_SECONDS = 10
#: How long a worker gets in all to stop before it is killed.
STOP_SECONDS = 15.0
#: The variable that puts prometheus-client in multiprocess mode, naming its folder.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound (not yet listening) with ``SO_REUSEPORT``, so every worker can bind the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _check_port(host: str, port: int) -> None:
    """Fail once, here, if anyone listens on the port already. The workers' own sockets
    would share it with any other server that set ``SO_REUSEPORT`` (another
    ``tactful serve --workers``, say) and quietly split its traffic."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Without SO_REUSEPORT, so that a listener of either kind is in the way; with
        # SO_REUSEADDR, so that the closing connections of a previous run are not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StoreUnavailable(f"Cannot listen on {host}:{port} ({exc.strerror}).") from None


@contextmanager
def metrics_folder(workers: int) -> Iterator[None]:
    """Where the workers count their metrics, set in the environment they inherit: a
    fresh folder, removed when the server stops. A folder the operator names in
    ``PROMETHEUS_MULTIPROC_DIR`` is used instead (for one worker too), emptied at start
    of the metric files a previous run left, which would otherwise add to the counts."""
    named = os.environ.get(MULTIPROC_ENV)
    if named:
        Path(named).mkdir(parents=True, exist_ok=True)
        for old in Path(named).glob("*.db"):
            old.unlink()
        yield
        return
    if workers == 1:
        yield  # one process keeps its metrics in memory
        return
    folder = tempfile.mkdtemp(prefix="tactful-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(folder, ignore_errors=True)


def _mark_dead(pid: int | None) -> None:
    """Drop a stopped worker's share of the gauges of live processes (requests in flight);
    its counts stay in the totals."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder and pid is not None:
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid, folder)


def serve_worker(host: str, port: int, log_level: str, log_format: LogFormat = "text") -> None:
    """One worker: the app from the ``TACTFUL_*`` environment, on its own socket."""
    import uvicorn

    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,  # its records go to the server's log, in its format
        timeout_graceful_shutdown=DRAIN_SECONDS,
    )
    server = uvicorn.Server(config)
    with server_logging(log_format):
        # asyncio starts listening on the socket once the app's startup has finished.
        server.run(sockets=[listening_socket(host, port)])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def run_workers(
    host: str, port: int, workers: int, log_level: str = "warning", log_format: LogFormat = "text"
) -> None:
    """Start ``workers`` processes and watch them until SIGINT or SIGTERM."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise StoreUnavailable("Several workers need SO_REUSEPORT, which this system lacks.")
    _check_port(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> BaseProcess:
        process = context.Process(target=serve_worker, args=(host, port, log_level, log_format))
        process.start()
        return process

    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    failed = False
    try:
        while not stopping.is_set():
            wait([p.sentinel for p in processes], timeout=0.5)
            for n, process in enumerate(processes):
                if process.is_alive() or stopping.is_set():
                    continue
                _mark_dead(process.pid)
                if process.exitcode == STARTUP_FAILURE:
                    failed = True
                    stopping.set()
                    break
                processes[n] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
            _mark_dead(process.pid)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise StoreUnavailable("A worker could not start; what it said is above.")
