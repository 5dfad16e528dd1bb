"""The speed benchmark's harness works end to end; timings are for the benchmark, not tests."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from bench.speed.paths import RESULTS
from bench.speed.run import run


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def _positive(summary: dict[str, Any]) -> bool:
    return summary["runs"] > 0 and 0 < summary["median"] <= summary["p95"] < math.inf


def test_quick_speed_run_measures_the_demo_shop_and_writes_finite_positive_numbers() -> None:
    result = run(quick=True)

    demo = result["demo"]
    assert demo["items"] > 0 and demo["shoppers"] > 0 and demo["events"] > 0
    assert _positive(demo["recommend_ms"])
    assert _positive(demo["chat_ms"])
    assert demo["open_s"] > 0 and demo["peak_rss_mb"] > 0
    startup = demo["startup"]
    assert startup["one_shot_cold"]["wall_s"] > 0 and len(startup["one_shot_warm"]["runs"]) == 2
    assert startup["open_s"] > 0 and startup["import_s"] > 0
    ingestion = result["ingestion"]
    for key in ("items_per_s", "raw_embed_per_s", "ratio", "events_per_s"):
        assert 0 < ingestion[key] < math.inf, key
    assert result["chroma_where"]["items"] == demo["items"]
    assert "ingestion.ratio" in result["met"]
    [served] = result["http"]["runs"]
    assert served["workers"] == result["http"]["default_workers"]
    assert {(v["kind"], v["clients"]) for v in served["levels"]} == {
        (kind, clients) for kind in ("recommend", "chat") for clients in (1, 8, 32)
    }
    for level in served["levels"]:
        assert level["errors"] == 0, level["error_samples"]
        assert level["requests"] > 0 and level["requests_per_s"] > 0
        ms = level["latency_ms"]
        assert 0 < ms["p50"] <= ms["p95"] <= ms["p99"]
    [arriving] = served["open_levels"]
    assert arriving["errors"] == 0, arriving["error_samples"]
    assert arriving["requests"] == round(arriving["offered_per_s"] * arriving["seconds"])
    # Answered no faster than they arrived: the last one is due at the end of the run.
    assert 0 < arriving["requests_per_s"] <= arriving["offered_per_s"]
    assert 1 <= arriving["connections_busy_max"] <= arriving["requests"]
    assert result["machine"]["cores"] >= 1 and result["seconds"] > 0
    assert all(math.isfinite(x) for x in _numbers(result))
    written = json.loads((RESULTS / "speed_quick.json").read_text(encoding="utf-8"))
    assert written["demo"]["recommend_ms"] == demo["recommend_ms"]
