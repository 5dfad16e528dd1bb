"""Start ``tactful serve`` as a real process on a free loopback port, and stop it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from agent.cli.processes import free_port, stop
from bench.api.chroma import chroma_server


@contextmanager
def running_server(
    home: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    *,
    workers: int | None = None,
    demo: bool = False,
    log: Path | None = None,
) -> Iterator[str]:
    """The base URL of a server on ``home``, ready for traffic; stopped on leaving.

    ``workers`` is passed as ``--workers`` (left out: the command's default). Several
    workers with no ``TACTFUL_CHROMA_URL`` in ``env`` get a Chroma server on the home's own
    vectors, as a shop runs one for them. Ready means one worker answers;
    :func:`wait_for_workers` waits for all of them. The server's output
    goes to the file ``log`` (a temporary one if not given): a pipe nobody reads would
    fill up under load and stall every worker that logs.
    """
    port = free_port()
    environment = {**os.environ, "TACTFUL_HOME": str(home), **(env or {})}
    command = [sys.executable, "-m", "agent.cli", "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    if demo:
        command.append("--demo")
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tactful-serve-") as tmp, ExitStack() as stack:
        if (workers or 1) > 1 and "TACTFUL_CHROMA_URL" not in environment:
            chroma = stack.enter_context(chroma_server(home / "chroma", Path(tmp) / "chroma.log"))
            environment |= {"TACTFUL_CHROMA_URL": chroma, "TACTFUL_CHROMA_SERVES_HOME": "true"}
        log = log or Path(tmp) / "serve.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, env=environment, stdout=output, stderr=subprocess.STDOUT
            )
            try:
                wait_ready(process, url, timeout, log=log)
                yield url
            finally:
                stop(process)


def wait_ready(
    process: subprocess.Popen[bytes], url: str, timeout: float, log: Path | None = None
) -> None:
    """Return once ``url`` answers /ready; raise with what the server said (its stderr, or
    ``log`` where its output went) if it exits or times out first."""

    def said() -> str:
        if log is not None:
            return log.read_text(errors="replace")[-2000:]
        return process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tactful serve exited with {process.returncode}: {said()}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"tactful serve was not ready within {timeout:.0f} s: {said()}")


def wait_for_workers(url: str, workers: int, timeout: float = 300.0) -> set[int]:
    """The process ids of ``workers`` workers, each seen answering; each new connection
    lands on whichever worker accepts it, so this keeps opening new ones."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(seen)} of {workers} workers answered in {timeout:.0f} s")
        with httpx.Client(base_url=url, timeout=10) as client:
            seen.add(int(client.get("/health").json()["worker"]))
        time.sleep(0.05)
    return seen
