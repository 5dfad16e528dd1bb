"""One benchmark stage in a process of its own: ``python -m bench.speed.stage NAME ARGS OUT``.

``ARGS`` is a JSON object of keyword arguments; the stage's result is written to the
file ``OUT`` as JSON. A process per stage keeps each peak RSS apart, and keeps one
size's caches and allocator state from flattering the next.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.speed.chroma_where import chroma_where
from bench.speed.http import http_load
from bench.speed.ingestion import event_throughput, item_throughput
from bench.speed.serve import serve
from bench.speed.sizes import SIZES
from bench.speed.startup import startup
from bench.speed.stats import peak_rss_mb


def prepare(size: str) -> dict[str, Any]:
    """Build (or find) the cached store of a size."""
    entry, meta = SIZES[size].prepare()
    return {**meta, "entry": str(entry), "peak_rss_mb": peak_rss_mb()}


STAGES: dict[str, Callable[..., dict[str, Any]]] = {
    "prepare": prepare,
    "serve": serve,
    "startup": startup,
    "ingest_items": item_throughput,
    "ingest_events": event_throughput,
    "chroma_where": chroma_where,
    "http": http_load,
}


def main(argv: list[str] | None = None) -> None:
    name, args, out = argv if argv is not None else sys.argv[1:]
    result = STAGES[name](**json.loads(args))
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
