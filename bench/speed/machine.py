"""What the numbers were measured on: CPU, memory, library versions, background load."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages: other work on the machine skews latencies."""
    return [round(x, 2) for x in os.getloadavg()]


def blas() -> list[dict[str, Any]]:
    """The BLAS libraries numpy and scipy loaded, with their thread counts.

    Dense scoring is a BLAS matrix-vector product; on two cores shared with the
    embedding model and other work, its thread count changes latency several-fold.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # not a dependency of the product; only reported when present
        return []
    return [
        {key: pool.get(key) for key in ("internal_api", "version", "num_threads")}
        for pool in threadpool_info()
    ]


def describe() -> dict[str, Any]:
    """The machine and the versions that matter for speed."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "onnxruntime": _version("onnxruntime"),
        "chromadb": _version("chromadb"),
        "sqlalchemy": _version("sqlalchemy"),
        "blas": blas(),
        "blas_threads_env": {
            name: os.environ[name]
            for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if name in os.environ
        },
    }
