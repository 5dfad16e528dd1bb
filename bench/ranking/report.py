"""The parts of the results file that judge and describe: targets, verdicts, machine, code."""

from __future__ import annotations

import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from tools.tuning.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
#: RecBole's GRU4Rec on MovieLens-100k, time-ordered leave-last-out, full ranking.
GRU4REC_NDCG = 0.0513
GRU4REC_HR = 0.1103
#: On Online Retail, in both protocols, the product as shipped must match the best tuned
#: baseline, and after ``tactful tune`` beat it by this factor.
SHIPPED_RATIO = 1.0
TUNED_RATIO = 1.15
#: Paired-bootstrap resamples of the test users behind each ratio's 95 % interval.
BOOTSTRAP = 2000

TARGETS = {
    "online-retail": f"shipped tactful ndcg@10 >= {SHIPPED_RATIO} x and after `tactful tune` "
    f">= {TUNED_RATIO} x the best tuned baseline",
    "online-retail (all items)": f"shipped tactful ndcg@10 >= {SHIPPED_RATIO} x and after "
    f"`tactful tune` >= {TUNED_RATIO} x the best tuned baseline",
    "movielens-100k": f"tactful after `tactful tune` ndcg@10 >= ALS (stretch {GRU4REC_NDCG})",
}
#: The product code the numbers depend on; its digest is stored with them.
RANKING_CODE = (
    "tools/ranker.py",
    "tools/interactions.py",
    "tools/buy_again.py",
    "tools/sequence.py",
    "tools/taste.py",
    "tools/signals.py",
    "tools/catalog_index.py",
    "tools/tuning/factors.py",
    "tools/tuning/history.py",
    "tools/tuning/tuner.py",
    "agent/embedding.py",
)


def verdicts(
    test: dict[str, dict[str, Metrics]],
    *,
    shipped: str,
    tuned: str,
    baselines: dict[str, tuple[str, ...]],
    quick: bool = False,
) -> dict[str, Any]:
    """Whether each dataset's target is met, with every ratio and its 95 % interval.

    ``baselines`` names the tuned baselines of each dataset. A quick run ranks a small
    slice of users and items, so its ratios say nothing about the targets: ``met`` is
    then ``None`` rather than a verdict.
    """
    out: dict[str, Any] = {}
    for dataset, names in baselines.items():
        scores = test.get(dataset)
        if scores is None or shipped not in scores:
            continue
        best = max((n for n in names if n in scores), key=lambda name: scores[name].ndcg)
        verdict: dict[str, Any] = {"best_baseline": best}
        for label, method in (("shipped", shipped), ("tuned", tuned)):
            if method in scores:
                ratio, low, high = ratio_interval(scores[method], scores[best])
                verdict[f"{label}_ratio"] = round(ratio, 4)
                verdict[f"{label}_ratio_95ci"] = [round(low, 4), round(high, 4)]
        if dataset == "movielens-100k":
            verdict["met"] = verdict.get("tuned_ratio", 0.0) >= 1.0
            if tuned in scores:
                verdict["stretch_ratio"] = round(_ratio(scores[tuned].ndcg, GRU4REC_NDCG), 4)
        else:
            verdict["met"] = (
                verdict["shipped_ratio"] >= SHIPPED_RATIO
                and verdict.get("tuned_ratio", 0.0) >= TUNED_RATIO
            )
        if quick:
            verdict["met"] = None
            verdict["note"] = "quick slice (fewer users and items): not comparable to the target"
        out[dataset] = verdict
    return out


def ratio_interval(a: Metrics, b: Metrics, seed: int = 0) -> tuple[float, float, float]:
    """NDCG ratio of ``a`` to ``b`` and its 95 % paired-bootstrap interval: the same
    resampled users for both, so what they share cancels out."""
    ratio = _ratio(a.ndcg, b.ndcg)
    first, second = np.asarray(a.ndcgs), np.asarray(b.ndcgs)
    if first.size == 0 or first.size != second.size:
        return ratio, float("nan"), float("nan")
    picks = np.random.default_rng(seed).integers(0, first.size, size=(BOOTSTRAP, first.size))
    sums = second[picks].sum(axis=1)
    ratios = np.divide(
        first[picks].sum(axis=1), sums, out=np.full(BOOTSTRAP, np.inf), where=sums > 0
    )
    low, high = np.percentile(ratios, [2.5, 97.5])
    return ratio, float(low), float(high)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "physical_cpus": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "packages": {
            name: _version(name) for name in ("numpy", "scipy", "implicit", "onnxruntime")
        },
    }


def code_digests() -> dict[str, str]:
    """sha256 (first 16 hex digits) of each ranking source file, to tie numbers to code."""
    return {
        name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:16]
        for name in RANKING_CODE
        if (ROOT / name).exists()
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
