"""Several server processes on one port, for ``tactful serve --workers N``.

Each worker binds its own listening socket with ``SO_REUSEPORT`` and the kernel spreads
new connections over them. One socket shared by all workers (uvicorn's own ``--workers``)
lets whichever worker wakes first accept every waiting connection at once: with
keep-alive clients that leaves one worker doing all the work while the other idles.

A worker listens only once its app has started (the stores opened, the catalog read), so
no connection waits in the queue of a worker that is still loading. A worker that fails
to start stops the server; one that dies later is started again.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

from agent.errors import StoreUnavailable

APP = "agent.api.app:create_app"
#: A worker's exit code when its app did not start (as uvicorn uses it).
STARTUP_FAILURE = 3
#: How long a worker gets to finish its requests when the server stops.
STOP_SECONDS = 15.0


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


def serve_worker(host: str, port: int, log_level: str) -> None:
    """One worker: the app from the ``TACTFUL_*`` environment, on its own socket."""
    import uvicorn

    config = uvicorn.Config(APP, factory=True, host=host, port=port, log_level=log_level)
    server = uvicorn.Server(config)
    # asyncio starts listening on the socket once the app's startup has finished.
    server.run(sockets=[listening_socket(host, port)])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def run_workers(host: str, port: int, workers: int, log_level: str = "warning") -> None:
    """Start ``workers`` processes and watch them until SIGINT or SIGTERM."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise StoreUnavailable("Several workers need SO_REUSEPORT, which this system lacks.")
    _check_port(host, port)
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start() -> BaseProcess:
        process = context.Process(target=serve_worker, args=(host, port, log_level))
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
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise StoreUnavailable("A worker could not start; what it said is above.")
