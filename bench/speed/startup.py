"""Start-up as a user meets it: ``tactful recommend SHOPPER`` run once, in a fresh process.

On a private copy of a size's store: first with nothing saved under the home (the run
reads every item from Chroma and every event from SQL, and saves the snapshot), then
``runs`` more that find the snapshot. Each run's wall time and peak RSS are read from
outside the process, as ``/usr/bin/time`` would. Then, in a fresh interpreter each time,
how long importing the command line takes and how long ``Tactful.open`` takes with the
snapshot in place.

A process's peak RSS is read from ``VmHWM`` in ``/proc/self/status`` as it exits. Its
``ru_maxrss`` would not do: on Linux a child starts from the RSS of the process that
forked it, here the benchmark's own hundred-odd megabytes.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.stores.records import RecordStore
from bench.speed.homes import working_copy
from bench.speed.paths import ROOT
from bench.speed.sizes import SIZES, meta_now

#: ``python -c ONE_SHOT ARGS…`` is ``tactful ARGS…``, writing its peak RSS (KiB) to
#: the file named by the environment's ``PEAK_FILE`` as it exits.
_ONE_SHOT = """
import atexit, os, re, runpy, sys

def report():
    with open("/proc/self/status", encoding="ascii") as status:
        peak = re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1)
    with open(os.environ["PEAK_FILE"], "w", encoding="ascii") as out:
        out.write(peak)

atexit.register(report)
sys.argv = ["tactful", *sys.argv[1:]]
runpy.run_module("agent.cli", run_name="__main__", alter_sys=True)
"""
#: Run in a fresh interpreter: the import of the command line, then opening the shop.
_OPEN = """
import json, time
started = time.perf_counter()
import agent.cli.main
from agent.facade import Tactful
imported = time.perf_counter()
Tactful.open().close()
print(json.dumps({"import_s": imported - started, "open_s": time.perf_counter() - imported}))
"""


def startup(size: str, *, runs: int = 5) -> dict[str, Any]:
    """Cold and warm one-shot recommends, and import and open times, for one size."""
    entry, meta = SIZES[size].prepare()
    now = meta_now(meta)
    with tempfile.TemporaryDirectory(prefix=f"tactful-bench-startup-{size}-") as tmp:
        home = working_copy(entry, Path(tmp))
        shutil.rmtree(home / "snapshot", ignore_errors=True)
        shopper = SIZES[size].shopper or _first_shopper(home)
        env = _env(home, now)
        cold = _one_shot(shopper, env)
        warm = [_one_shot(shopper, env) for _ in range(runs)]
        opened = [_open(env) for _ in range(runs)]
    return {
        "shopper": shopper,
        "one_shot_cold": cold,
        "one_shot_warm": {
            "median_s": round(statistics.median(r["wall_s"] for r in warm), 3),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in warm),
            "runs": warm,
        },
        "import_s": round(statistics.median(o["import_s"] for o in opened), 3),
        "open_s": round(statistics.median(o["open_s"] for o in opened), 3),
    }


def _first_shopper(home: Path) -> str:
    with RecordStore(f"sqlite:///{home / 'tactful.db'}") as records:
        return records.shopper_ids()[0]


def _env(home: Path, now: datetime) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, "TACTFUL_HOME": str(home), "TACTFUL_NOW": now.isoformat()}


def _one_shot(shopper: str, env: dict[str, str]) -> dict[str, float]:
    """One ``tactful recommend``: its wall time and its own peak RSS."""
    with tempfile.TemporaryDirectory(prefix="tactful-bench-peak-") as tmp:
        peak = Path(tmp) / "peak"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _ONE_SHOT, "recommend", shopper],
            env={**env, "PEAK_FILE": str(peak)},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        wall = time.perf_counter() - started
        peak_kib = int(peak.read_text(encoding="ascii"))
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(peak_kib / 1024, 1)}


def _open(env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN], env=env, cwd=ROOT, capture_output=True, check=True
    )
    timed: dict[str, float] = json.loads(done.stdout.decode().splitlines()[-1])
    return timed
