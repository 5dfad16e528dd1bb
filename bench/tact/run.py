"""Run the tact benchmarks (context collapse, faithful reasons, control, truthful
reasons) on Online Retail.

    python -m bench.tact.run [--quick] [--customers N]

Writes ``bench/results/tact.json`` (``tact_quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.embedding import load_default_embedder
from bench.ranking.datasets import load_online_retail
from bench.ranking.splits import online_retail_splits, subsample
from bench.tact import control, faithfulness, magazines, truthfulness
from bench.tact.collapse import run_collapse
from bench.tact.stores import open_home

RESULTS = Path(__file__).resolve().parents[1] / "results"
#: Test customers sampled for the full run (the whole test set takes too long to replay).
FULL_CUSTOMERS = 400
CONTROL_CUSTOMERS = 200
#: Seeded customer × mode × clock × fresh-event cases whose reasons are checked.
TRUTH_CASES = 500
TRUTH_CASES_QUICK = 40
SEED = 20111101

TARGETS = {
    "recovery": ">= 0.98",
    "question_precision": ">= 0.8",
    "question_recall": ">= 0.9",
    "unconfirmed_moving_more_than_2": "== 0",
    "max_questions_per_injected_event": "<= 1",
    "share_with_reason": "== 1.0",
    "share_cited_passing": ">= 0.99",
    "share_effective_next_answer": "== 1.0",
    "share_passing_every_check": "== 1.0",
    "share_counterfactual_passing": ">= 0.995",
}


def run(quick: bool = False, customers: int | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    split = online_retail_splits(load_online_retail())["test"]
    if quick:
        split = subsample(split, users=40, other_shoppers=400, max_items=800, seed=SEED)
    count = customers or (len(split.users) if quick else FULL_CUSTOMERS)
    chosen = sorted(random.Random(SEED).sample(split.users, min(count, len(split.users))))
    embedder = load_default_embedder()
    with tempfile.TemporaryDirectory(prefix="tactful-tact-") as workdir:
        collapse, clarified_home = run_collapse(
            split, chosen, Path(workdir), embedder, seed=SEED, progress=_say
        )
        _say("faithfulness, control and truthfulness on the clarified store")
        faithful = faithfulness.FaithfulnessResult()
        controlled = control.ControlResult()
        with open_home(clarified_home, split, embedder) as tactful:
            for shopper_id in chosen:
                faithfulness.check_shopper(tactful, shopper_id, faithful)
            for index, shopper_id in enumerate(chosen[:CONTROL_CUSTOMERS]):
                control.check_shopper(tactful, shopper_id, index, controlled)
            truth_started = time.perf_counter()
            cases = TRUTH_CASES_QUICK if quick else TRUTH_CASES
            truthful = truthfulness.run(tactful, split.users, cases, SEED)
            truth_seconds = round(time.perf_counter() - truth_started, 1)
    _say("real labels: the magazine reviews")
    magazine_labels = magazines.run(embedder, progress=_say).summary()
    results: dict[str, Any] = {
        "dataset": "online-retail",
        "split": split.stats(),
        "customers": len(chosen),
        "seed": SEED,
        "collapse": collapse.summary(),
        "faithfulness": faithful.summary(),
        "control": controlled.summary(),
        "truthfulness": {**truthful.summary(), "seconds": truth_seconds},
        "magazines": magazine_labels,
        "targets": TARGETS,
        "seconds": round(time.perf_counter() - started, 1),
    }
    results["met"] = _met(results)
    name = "tact_quick.json" if quick else "tact.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def _met(results: dict[str, Any]) -> dict[str, bool]:
    c, f, k = results["collapse"], results["faithfulness"], results["control"]
    t = results["truthfulness"]
    return {
        "recovery": c["recovery"] >= 0.98,
        "question_precision": c["question_precision"] >= 0.8,
        "question_recall": c["question_recall"] >= 0.9,
        "unconfirmed_moving_more_than_2": c["unconfirmed_moving_more_than_2"] == 0,
        "max_questions_per_injected_event": c["max_questions_per_injected_event"] <= 1,
        "share_with_reason": f["share_with_reason"] == 1.0,
        "share_cited_passing": f["share_cited_passing"] >= 0.99,
        "share_effective_next_answer": k["share_effective_next_answer"] == 1.0,
        "share_passing_every_check": t["share_passing_every_check"] == 1.0,
        "share_counterfactual_passing": t["share_counterfactual_passing"] >= 0.995,
    }


def _say(message: str) -> None:
    print(f"[tact] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small slice, for CI")
    parser.add_argument("--customers", type=int, default=None, help="test customers to replay")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick, customers=args.customers), indent=2))


if __name__ == "__main__":
    main()
