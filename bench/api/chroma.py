"""A Chroma server on a data folder's own vectors, as a shop runs one for
``tactful serve --workers N`` (which refuses embedded Chroma: each process would keep its
own view of the folder, and a fact one worker files would not be found by another).

Chroma's own server (``chroma run``, from the installed chromadb) on a free loopback
port; it stops when the block is left.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.cli.processes import free_port, stop
from agent.errors import StoreUnavailable

#: Chroma's command line as its ``chroma`` script runs it; the program name comes first.
_RUN_CHROMA = "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; app()"
#: How long the server gets to open the folder and answer.
READY_SECONDS = 60.0
#: How long it gets to finish its writes when the command stops.
STOP_SECONDS = 15.0


@contextmanager
def chroma_server(folder: Path, log: Path) -> Iterator[str]:
    """The URL of a Chroma server keeping its data in ``folder``, its output appended to
    ``log``; stopped on leaving."""
    port = free_port()
    command = [sys.executable, "-c", _RUN_CHROMA, "run", "--path", str(folder)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as output:
        # A session of its own: Ctrl+C reaches the workers, which may still write while
        # they finish their requests, and this server stops only after them.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url, log)
        yield url
    finally:
        stop(process, STOP_SECONDS)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StoreUnavailable(
                f"The Chroma server stopped at start (exit {process.returncode}); see {log}."
            )
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise StoreUnavailable(
        f"The Chroma server did not answer within {READY_SECONDS:.0f} s; see {log}."
    )
