"""The targets from the evaluation issue, and which of them a run met."""

from __future__ import annotations

from typing import Any

#: Per size: the p95 latencies (ms) and the peak RSS (MiB) to stay under.
TARGETS: dict[str, dict[str, float]] = {
    "online_retail": {"chat_p95_ms": 50.0, "recommend_p95_ms": 20.0},
    "synthetic_100k": {"chat_p95_ms": 100.0, "recommend_p95_ms": 50.0, "peak_rss_mb": 1024.0},
}
#: Catalog ingestion must keep at least this share of the raw embedding throughput.
INGESTION_RATIO_MIN = 0.9


def targets() -> dict[str, Any]:
    """The targets as written into the results file."""
    return {**TARGETS, "ingestion": {"ratio_min": INGESTION_RATIO_MIN}}


def judge(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with the measured value and whether it was met (sizes not run: absent)."""
    met: dict[str, dict[str, Any]] = {}
    for size, limits in TARGETS.items():
        measured = result.get(size)
        if not measured:
            continue
        values = {
            "chat_p95_ms": measured["chat_ms"]["p95"],
            "recommend_p95_ms": measured["recommend_ms"]["p95"],
            "peak_rss_mb": measured["peak_rss_mb"],
        }
        for name, limit in limits.items():
            met[f"{size}.{name}"] = {
                "target": f"<= {limit:g}",
                "value": values[name],
                "met": values[name] <= limit,
            }
    ingestion = result.get("ingestion") or {}
    if "ratio" in ingestion:
        met["ingestion.ratio"] = {
            "target": f">= {INGESTION_RATIO_MIN:g}",
            "value": ingestion["ratio"],
            "met": ingestion["ratio"] >= INGESTION_RATIO_MIN,
        }
    return met
