"""The parts of the results file that judge and describe: targets, verdicts, machine, code."""

from __future__ import annotations

import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from bench.ranking.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
#: RecBole's GRU4Rec on MovieLens-100k, time-ordered leave-last-out, full ranking.
GRU4REC_NDCG = 0.0513
GRU4REC_HR = 0.1103
#: On Online Retail tactful must beat the best baseline by this factor.
REQUIRED_RATIO = 1.2

#: In the repeat-inclusive protocol the product as shipped must at least match the best
#: tuned baseline.
ALL_ITEMS_RATIO = 1.0

TARGETS = {
    "online-retail": f"tactful ndcg@10 >= {REQUIRED_RATIO} x best baseline",
    "movielens-100k": f"ndcg@10 >= {GRU4REC_NDCG}",
    "online-retail (all items)": f"shipped tactful ndcg@10 >= {ALL_ITEMS_RATIO} x best baseline",
}
#: The product code the numbers depend on; its digest is stored with them.
RANKING_CODE = (
    "tools/ranker.py",
    "tools/interactions.py",
    "tools/buy_again.py",
    "tools/taste.py",
    "tools/signals.py",
    "tools/catalog_index.py",
    "agent/embedding.py",
)


def verdicts(
    test: dict[str, dict[str, Metrics]],
    tactful: str,
    baselines: tuple[str, ...],
    *,
    quick: bool = False,
) -> dict[str, Any]:
    """Whether each dataset's target is met, with the measured ratio.

    A quick run ranks a small slice of users and items, so its ratios say nothing about
    the targets: ``met`` is then ``None`` rather than a verdict.
    """
    out = _verdicts(test, tactful, baselines)
    if quick:
        for verdict in out.values():
            verdict["met"] = None
            verdict["note"] = "quick slice (fewer users and items): not comparable to the target"
    return out


def _verdicts(
    test: dict[str, dict[str, Metrics]], tactful: str, baselines: tuple[str, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "online-retail" in test:
        scores = test["online-retail"]
        best = max(baselines, key=lambda name: scores[name].ndcg)
        ratio = _ratio(scores[tactful].ndcg, scores[best].ndcg)
        out["online-retail"] = {
            "met": ratio >= REQUIRED_RATIO,
            "ratio": round(ratio, 4),
            "required_ratio": REQUIRED_RATIO,
            "tactful_ndcg@10": round(scores[tactful].ndcg, 6),
            "best_baseline": best,
            "best_baseline_ndcg@10": round(scores[best].ndcg, 6),
        }
    if "movielens-100k" in test:
        ndcg = test["movielens-100k"][tactful].ndcg
        out["movielens-100k"] = {
            "met": ndcg >= GRU4REC_NDCG,
            "ratio": round(_ratio(ndcg, GRU4REC_NDCG), 4),
            "tactful_ndcg@10": round(ndcg, 6),
            "reference": f"RecBole GRU4Rec HR@10 {GRU4REC_HR}, NDCG@10 {GRU4REC_NDCG}",
        }
    return out


def all_items_verdicts(
    test: dict[str, dict[str, Metrics]],
    shipped: str,
    tuned: str,
    baselines: tuple[str, ...],
    *,
    quick: bool = False,
) -> dict[str, Any]:
    """The repeat-inclusive protocol's verdicts: the shipped product, and tuned, against
    the best tuned baseline."""
    out: dict[str, Any] = {}
    for dataset, scores in test.items():
        if not dataset.endswith("(all items)"):
            continue
        best = max(baselines, key=lambda name: scores[name].ndcg)
        ratio = _ratio(scores[shipped].ndcg, scores[best].ndcg)
        out[dataset] = {
            "met": None if quick else ratio >= ALL_ITEMS_RATIO,
            "ratio": round(ratio, 4),
            "required_ratio": ALL_ITEMS_RATIO,
            "shipped_ndcg@10": round(scores[shipped].ndcg, 6),
            "tuned_ratio": round(_ratio(scores[tuned].ndcg, scores[best].ndcg), 4),
            "best_baseline": best,
            "best_baseline_ndcg@10": round(scores[best].ndcg, 6),
        }
        if quick:
            out[dataset]["note"] = "quick slice (fewer users and items): not comparable"
    return out


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
