"""Latency summaries and memory readings, the same way for every size."""

from __future__ import annotations

import math
import resource
import statistics
import sys

import psutil


def summarize_ms(seconds: list[float]) -> dict[str, float | int]:
    """Median, p95, mean and max in milliseconds, and how many runs they come from.

    p95 is the nearest-rank percentile: with 200 runs it is the 190th fastest, a value
    that was actually observed rather than an interpolation between two.
    """
    if not seconds:
        return {"median": math.nan, "p95": math.nan, "mean": math.nan, "max": math.nan, "runs": 0}
    ordered = sorted(s * 1000.0 for s in seconds)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[rank - 1], 3),
        "mean": round(statistics.fmean(ordered), 3),
        "max": round(ordered[-1], 3),
        "runs": len(ordered),
    }


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """Nearest-rank p50, p95 and p99 in milliseconds (as :func:`summarize_ms`, each one
    a latency that was actually observed)."""
    if not seconds:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan}
    ordered = sorted(s * 1000.0 for s in seconds)
    return {
        f"p{q}": round(ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1], 1)
        for q in (50, 95, 99)
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def rss_mb() -> float:
    """This process's resident set size now, in MiB."""
    return round(psutil.Process().memory_info().rss / (1024 * 1024), 1)
