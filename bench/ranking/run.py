"""Run the ranking evaluation and write ``bench/results/ranking.json`` and the NDCG chart.

python -m bench.ranking.run            # full: tune on validation, report on test
python -m bench.ranking.run --quick    # smoke run on a small slice, no tuning
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from bench.ranking.experiment import (
    AFTER_TUNE,
    ALL_ITEMS_BASELINES,
    BASELINES,
    SHIPPED,
    SPECS,
    DatasetResult,
    all_items_key,
    run_dataset,
)
from bench.ranking.plot import draw_ndcg
from bench.ranking.report import (
    GRU4REC_NDCG,
    TARGETS,
    TUNED_RATIO,
    code_digests,
    machine,
    verdicts,
)
from tools.tuning.metrics import Metrics

BENCH = Path(__file__).resolve().parents[1]
RESULTS = BENCH / "results"
PLOTS = BENCH / "plots"

log = logging.getLogger("bench.ranking")


def run(quick: bool = False) -> dict[str, Any]:
    """Evaluate every method on both datasets; write and return the results."""
    started = time.perf_counter()
    previous = _previous_tuned() if quick else {}
    results: dict[str, DatasetResult] = {}
    for spec in SPECS:
        results[spec.name] = run_dataset(
            spec,
            quick=quick,
            previous=previous.get(spec.name),
            previous_all_items=previous.get(all_items_key(spec.name)),
        )
    # The repeat-inclusive protocol sits beside its dataset, under its own key.
    for name, result in list(results.items()):
        if result.all_items is not None:
            results[all_items_key(name)] = result.all_items
    test = {name: r.test for name, r in results.items()}
    out: dict[str, Any] = {name: _table(scores) for name, scores in test.items()}
    out |= {
        "tuned": {name: r.tuned for name, r in results.items()},
        "validation": {name: _table(r.validation) for name, r in results.items()},
        "splits": {name: r.splits for name, r in results.items()},
        "targets": TARGETS,
        "met": verdicts(
            test,
            shipped=SHIPPED,
            tuned=AFTER_TUNE,
            baselines={
                "online-retail": BASELINES,
                all_items_key("online-retail"): ALL_ITEMS_BASELINES,
                "movielens-100k": ("ALS",),
            },
            quick=quick,
        ),
        "quick": quick,
        "protocol": {
            "metrics": "HR@10, Recall@10 = hits/|targets|, NDCG@10 with binary relevance and "
            "ideal DCG over min(10, |targets|); full ranking over the catalog; each user's "
            "train items excluded (new items); in the all-items protocol every item bought "
            "after the cut is a target, re-orders included, and nothing is excluded",
            "tuning": "validation split only (cut from the train data); test evaluated once "
            "with the tuned values; ablations take one part out of the tuned tactful "
            "configuration without retuning; after `tactful tune`, the new-items lists rank "
            "with the weights the tuning chose for `recommend --new-only`",
        },
        "code": code_digests(),
        "seconds": round(time.perf_counter() - started, 1),
        "seconds_by_dataset": {name: round(r.seconds, 1) for name, r in results.items()},
        "machine": machine(),
    }
    name = "ranking_quick" if quick else "ranking"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if not quick:
        _plot({spec.name: test[spec.name] for spec in SPECS}, out["met"])
    return out


def _table(scores: dict[str, Metrics]) -> dict[str, dict[str, float | int]]:
    return {method: metrics.as_dict() for method, metrics in scores.items()}


def _previous_tuned() -> dict[str, Any]:
    """The values the last full run tuned, so a quick run ranks with them."""
    path = RESULTS / "ranking.json"
    if not path.exists():
        return {}
    tuned = json.loads(path.read_text(encoding="utf-8")).get("tuned", {})
    return tuned if isinstance(tuned, dict) else {}


def _plot(test: dict[str, dict[str, Metrics]], met: dict[str, Any]) -> None:
    ndcg = {name: {m: s.ndcg for m, s in scores.items()} for name, scores in test.items()}
    targets: dict[str, tuple[float, str]] = {}
    if "online-retail" in met:
        best = test["online-retail"][met["online-retail"]["best_baseline"]].ndcg
        targets["online-retail"] = (
            TUNED_RATIO * best,
            f"target after tune: {TUNED_RATIO}× best baseline",
        )
    if "movielens-100k" in met:
        targets["movielens-100k"] = (GRU4REC_NDCG, "target: RecBole GRU4Rec")
    draw_ndcg(ndcg, targets, PLOTS / "ndcg.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small slice, no tuning, < 60 s")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    out = run(quick=args.quick)
    print(json.dumps({"met": out["met"], "seconds": out["seconds"]}, indent=2))


if __name__ == "__main__":
    main()
