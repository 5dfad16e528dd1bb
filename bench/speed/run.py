"""The speed and memory benchmark: ``python -m bench.speed.run [--quick] [--scale]``, and the
soak: ``python -m bench.speed.run --soak [--quick]`` (:mod:`bench.speed.soak`).

Each measurement runs in its own process (:mod:`bench.speed.stage`); this module
decides what to run, gathers the results, judges them against the targets, and
writes ``bench/results/speed.json`` (``speed_quick.json`` with ``--quick``) and, for
full runs, ``bench/plots/latency.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.cli.serve import DEFAULT_WORKERS
from bench.speed.machine import describe, load_average
from bench.speed.paths import DEMO_FILE, FULL_FILE, PLOTS, RESULTS, ROOT, cache_root
from bench.speed.plot import plot_latency
from bench.speed.report import table
from bench.speed.sizes import DEMO, FULL, SIZES, SYNTHETIC_1M, SYNTHETIC_100K
from bench.speed.targets import HTTP_RECOMMEND_RPS_MIN, judge, targets


@dataclass(frozen=True)
class Plan:
    """What one run measures, and how many times."""

    sizes: list[str]
    recommends: int
    conversations: int
    warmup: int
    ingest_source: Path
    ingest_items: int
    event_sizes: list[str]
    where_size: str
    where_reps: int
    http_size: str
    http_workers: list[int]
    http_clients: list[int]
    http_seconds: float
    #: Open-loop recommend arrivals a second, each rate for ``http_open_seconds`` (a rate
    #: listed again is run again, with other arrival times).
    http_rates: list[float]
    http_open_seconds: float
    #: Warm one-shot recommends per size, after the cold one (see bench.speed.startup).
    startup_runs: int = 5
    notes: list[str] = field(default_factory=list)

    def repetitions(self, size: str) -> tuple[int, int]:
        """Recommends and conversations for a size: fewer at a million items, where one
        turn takes seconds and the full count would run for hours."""
        if size == SYNTHETIC_1M.name:
            return min(self.recommends, 50), min(self.conversations, 5)
        return self.recommends, self.conversations


def plan_for(*, quick: bool, scale: bool) -> Plan:
    """The quick CI smoke run, the default run, or the default run plus a million items."""
    if quick:
        return Plan(
            sizes=[DEMO.name],
            recommends=30,
            conversations=2,
            warmup=3,
            ingest_source=DEMO_FILE,
            ingest_items=256,
            event_sizes=[DEMO.name],
            where_size=DEMO.name,
            where_reps=3,
            http_size=DEMO.name,
            http_workers=[DEFAULT_WORKERS],
            http_clients=[1, 8, 32],
            http_seconds=1.0,
            http_rates=[20.0],
            http_open_seconds=2.0,
            startup_runs=2,
        )
    notes = []
    sizes = [DEMO.name, FULL.name, SYNTHETIC_100K.name]
    if scale:
        sizes.append(SYNTHETIC_1M.name)
    if not FULL.available():
        sizes.remove(FULL.name)
        notes.append(f"{FULL_FILE} is missing: the full Online Retail size was skipped")
    event_sizes = [s for s in (FULL.name, SYNTHETIC_100K.name) if s in sizes]
    return Plan(
        sizes=sizes,
        recommends=200,
        conversations=20,
        warmup=10,
        ingest_source=FULL_FILE if FULL.name in sizes else DEMO_FILE,
        ingest_items=4096,  # capped at the catalog: all 3,910 Online Retail items
        event_sizes=event_sizes,
        where_size=SYNTHETIC_100K.name,
        where_reps=10,
        http_size=FULL.name if FULL.name in sizes else DEMO.name,
        # One worker (the default), then two: what a second worker buys on this machine.
        http_workers=sorted({DEFAULT_WORKERS, 2}),
        http_clients=[1, 8, 32],
        http_seconds=10.0,
        # Three runs at the target's rate, judged on the worst.
        http_rates=[HTTP_RECOMMEND_RPS_MIN] * 3,
        http_open_seconds=30.0,
        notes=notes,
    )


def _log(message: str) -> None:
    print(f"[bench.speed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _stage_env(blas_threads: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if blas_threads is not None:
        # Read by OpenBLAS (and OpenMP builds) when numpy loads, so it must be in the env.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(blas_threads)
    return env


def stage(name: str, *, blas_threads: int | None = None, **kwargs: Any) -> dict[str, Any]:
    """Run one stage in a fresh interpreter and return its JSON result."""
    _log(f"{name} {kwargs}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tactful-bench-stage-") as tmp:
        out = Path(tmp) / "result.json"
        env = _stage_env(blas_threads)
        subprocess.run(
            [sys.executable, "-m", "bench.speed.stage", name, json.dumps(kwargs), str(out)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    _log(f"{name} done in {time.perf_counter() - started:.1f} s")
    return result


def run(
    quick: bool = False, scale: bool = False, *, blas_threads: int | None = None
) -> dict[str, Any]:
    """Measure, judge against the targets, write the results file (and the plot).

    ``blas_threads`` pins the BLAS thread count of every stage: a what-if whose results
    go to ``bench/.cache/results/speed_blas{N}.json``, with no plot over the default one.
    """
    started = time.perf_counter()
    plan = plan_for(quick=quick, scale=scale)
    threads = {"blas_threads": blas_threads}
    load_start = load_average()
    result: dict[str, Any] = {}
    prepared = {size: stage("prepare", size=size, **threads) for size in plan.sizes}
    for size in plan.sizes:
        recommends, conversations = plan.repetitions(size)
        result[size] = {
            "label": SIZES[size].label,
            **stage(
                "serve",
                size=size,
                recommends=recommends,
                conversations=conversations,
                warmup=plan.warmup,
                **threads,
            ),
        }
        # The import (or synthetic build) timings are from whichever run built the cache.
        result[size]["build"]["built_this_run"] = prepared[size]["built_now"]
        result[size]["startup"] = stage("startup", size=size, runs=plan.startup_runs, **threads)
    items = stage(
        "ingest_items", source=str(plan.ingest_source), n_items=plan.ingest_items, **threads
    )
    events = {size: stage("ingest_events", size=size, **threads) for size in plan.event_sizes}
    first = events[plan.event_sizes[0]]
    result["ingestion"] = {
        **items,
        "source": plan.ingest_source.name,
        "events_per_s": first["events_per_s"],
        "events_per_s_source": plan.event_sizes[0],
        "events": events,
    }
    result["chroma_where"] = {
        "size": plan.where_size,
        **stage("chroma_where", size=plan.where_size, reps=plan.where_reps, **threads),
    }
    result["http"] = {
        "size": plan.http_size,
        "label": SIZES[plan.http_size].label,
        "default_workers": DEFAULT_WORKERS,
        "runs": [
            stage(
                "http",
                size=plan.http_size,
                workers=workers,
                clients=plan.http_clients,
                seconds=plan.http_seconds,
                rates=plan.http_rates,
                open_seconds=plan.http_open_seconds,
                **threads,
            )
            for workers in plan.http_workers
        ],
    }
    result["targets"] = targets()
    result["met"] = judge(result)
    result["machine"] = {
        **describe(),
        "load_average": {"start": load_start, "end": load_average()},
        "blas_threads_pinned": blas_threads,
    }
    result["mode"] = "quick" if quick else "scale" if scale else "default"
    result["notes"] = plan.notes
    result["seconds"] = round(time.perf_counter() - started, 1)
    name = "speed_quick" if quick else "speed"
    folder = RESULTS
    if blas_threads is not None:
        # A what-if, not the product's configuration: kept beside the cache, uncommitted.
        name += f"_blas{blas_threads}"
        folder = cache_root() / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if not quick and blas_threads is None:
        plot_latency(result, PLOTS / "latency.png")
    _log(f"wrote {path} in {result['seconds']} s")
    return result


def run_soak(quick: bool = False) -> dict[str, Any]:
    """The soak (:mod:`bench.speed.soak`): ten minutes at two workers, or forty seconds
    with ``quick``. Writes ``bench/results/soak.json`` (``soak_quick.json``) and, after a
    full run, its section of bench/RESULTS.md."""
    from bench import report
    from bench.speed.soak import plan_for, soak

    plan = plan_for(quick=quick)
    _log(f"soak: {plan.seconds:g} s at {plan.workers} workers on {plan.size}")
    result = soak(plan)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{'soak_quick' if quick else 'soak'}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    _log(f"wrote {path}")
    if not quick:
        _log(f"wrote {report.write()}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.speed.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="demo size only, few repetitions")
    parser.add_argument("--scale", action="store_true", help="add a 1M-item synthetic catalog")
    parser.add_argument(
        "--soak",
        action="store_true",
        help="instead: ten minutes of mixed load at two workers (40 s on the demo with --quick)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        metavar="N",
        help="pin BLAS to N threads in every stage (a what-if, written under bench/.cache)",
    )
    args = parser.parse_args(argv)
    if args.soak:
        from bench.speed.soak import table as soak_table

        print(soak_table(run_soak(quick=args.quick)))
        return
    print(table(run(quick=args.quick, scale=args.scale, blas_threads=args.blas_threads)))


if __name__ == "__main__":
    main()
