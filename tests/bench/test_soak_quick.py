"""The soak's harness works end to end on the demo shop: mixed load at two workers, an
erasure and a ``tactful refresh`` under it, and no request failing. Its latency and memory
verdicts are for the benchmark (``tactful eval speed --soak``), not for tests."""

from __future__ import annotations

import re
from typing import Any

from bench.speed.run import run_soak


def test_a_quick_soak_serves_every_request_and_the_workers_share_each_snapshot_they_need() -> None:
    result: dict[str, Any] = run_soak(quick=True)

    assert result["errors"] == 0, result["error_samples"]
    assert set(result["by_kind"]) == {
        "recommend",
        "chat",
        "events",
        "profile",
        "correction",
        "erase",
    }
    assert all(kind["requests"] > 0 for kind in result["by_kind"].values())
    assert result["refresh"]["returncode"] == 0
    version = result["refresh"]["saved"]["version"]
    workers = set(result["rss"])
    assert len(workers) == 2
    took_up = {
        str(t["pid"])
        for t in result["taken_up"]
        if re.search(rf"version {version} \(loaded in the background\)", t["message"])
    }
    assert took_up == workers
    [erasure] = result["erasures"]
    assert erasure["ok"]
    # After the erasure one worker rebuilt the snapshot beside its answers, and the other
    # took up that build.
    after = [t for t in result["taken_up"] if t["at_s"] >= erasure["at_s"]]
    built = [t for t in after if "built in the background" in t["message"]]
    assert len(built) == 1
    version = re.search(r"version (\d+)", built[0]["message"])
    assert version is not None
    assert {str(t["pid"]) for t in after if f"version {version[1]} (" in t["message"]} == workers
    samples = result["rss_samples"]
    assert samples and all(set(workers) <= set(sample) for sample in samples)
    assert set(result["judged"]) == {"errors_zero", "rss_growth_below_5_pct", "p99_stable"}
    assert sum(minute["requests"] for minute in result["minutes"]) == result["requests"]
