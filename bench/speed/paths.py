"""Where the benchmark reads data and writes its cache, results and plot."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "data" / "online-retail-demo.csv.gz"
FULL_FILE = ROOT.parent / "shared" / "datasets" / "online-retail" / "online-retail.csv.gz"
RESULTS = ROOT / "bench" / "results"
PLOTS = ROOT / "bench" / "plots"


def cache_root() -> Path:
    """``bench/.cache`` (or ``$TACTFUL_BENCH_CACHE``), created with a ``.gitignore``.

    The cache holds imported stores of hundreds of megabytes: the ``.gitignore``
    written into it keeps them out of every commit without touching the project's own.
    """
    root = Path(os.environ.get("TACTFUL_BENCH_CACHE") or ROOT / "bench" / ".cache")
    root.mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# benchmark caches: never committed\n*\n", encoding="utf-8")
    return root
