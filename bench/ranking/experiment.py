"""One dataset, end to end: split, tune on validation, score every method on test once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.ranking.baselines import ALS, ItemKNN, MostPopular, RecentlyPopular
from bench.ranking.datasets import RawData, load_movielens, load_online_retail
from bench.ranking.embeddings import catalog_vectors
from bench.ranking.harness import Method, evaluate
from bench.ranking.metrics import Metrics
from bench.ranking.splits import Split, movielens_splits, online_retail_splits, subsample
from bench.ranking.tactful_method import (
    TactfulConfig,
    TactfulMethod,
    ablations,
    default_config,
)
from bench.ranking.tuning import ALS_START, TactfulTuner, tune_als, tune_item_knn
from tools.types import EventKind

log = logging.getLogger("bench.ranking")

TACTFUL = "tactful"
DEFAULTS = "tactful (product defaults)"
BASELINES = ("most popular", "recently popular", "item-kNN", "ALS")
DEFAULT_KNN = 100


@dataclass(frozen=True)
class DatasetSpec:
    """How to load, split and slice one dataset."""

    name: str
    load: Callable[[], RawData]
    split: Callable[..., dict[str, Split]]
    kind: EventKind
    quick_users: int
    quick_other_shoppers: int
    quick_items: int


SPECS = (
    DatasetSpec(
        "online-retail", load_online_retail, online_retail_splits, EventKind.PURCHASE, 300, 700, 500
    ),
    DatasetSpec(
        "movielens-100k", load_movielens, movielens_splits, EventKind.RATING, 200, 300, 400
    ),
)


@dataclass
class DatasetResult:
    """Test metrics per method, validation metrics, the tuned values and the splits."""

    test: dict[str, Metrics] = field(default_factory=dict)
    validation: dict[str, Metrics] = field(default_factory=dict)
    tuned: dict[str, Any] = field(default_factory=dict)
    splits: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def run_dataset(
    spec: DatasetSpec, *, quick: bool = False, previous: dict[str, Any] | None = None
) -> DatasetResult:
    """Everything for one dataset. ``quick``: a small slice, no tuning (``previous`` values)."""
    started = time.perf_counter()
    result = DatasetResult()
    splits = spec.split(spec.load(), validation=not quick)
    test = splits["test"]
    if quick:
        test = subsample(
            test,
            users=spec.quick_users,
            other_shoppers=spec.quick_other_shoppers,
            max_items=spec.quick_items,
        )
        result.splits = {"test": test.stats()}
    else:
        result.splits = {"test": test.stats(), "validation": splits["validation"].stats()}
    log.info("%s: %d test users, %d items", spec.name, len(test.users), len(test.items))
    vectors = catalog_vectors(test.items)

    if quick:
        result.tuned = previous or untuned()
    else:
        result.tuned = tune(spec, splits["validation"], vectors, result.validation)

    config = TactfulConfig.from_dict(result.tuned[TACTFUL])
    methods: list[Method] = [
        MostPopular(test),
        RecentlyPopular(test),
        ItemKNN(test, k=int(result.tuned["item-kNN"]["k"])),
        ALS(test, **result.tuned["ALS"]),
        TactfulMethod(test, vectors, config, TACTFUL),
        TactfulMethod(test, vectors, default_config(), DEFAULTS),
    ]
    methods += [TactfulMethod(test, vectors, c, name) for name, c in ablations(config).items()]
    for method in methods:
        result.test[method.name] = evaluate(method, test)
        log.info("%s test %-28s %s", spec.name, method.name, result.test[method.name])
    result.seconds = time.perf_counter() - started
    return result


def tune(
    spec: DatasetSpec, validation: Split, vectors: np.ndarray, scores: dict[str, Metrics]
) -> dict[str, Any]:
    """Tune every method on ``validation`` (filling ``scores``); return the chosen values."""
    for method in (MostPopular(validation), RecentlyPopular(validation)):
        scores[method.name] = evaluate(method, validation)
    knn = tune_item_knn(validation)
    scores["item-kNN"] = knn.validation
    log.info("%s validation item-kNN %s %s", spec.name, knn.params, knn.validation)
    als = tune_als(validation)
    scores["ALS"] = als.validation
    log.info("%s validation ALS %s %s", spec.name, als.params, als.validation)

    tuner = TactfulTuner(validation, vectors, spec.kind)
    found, by_start = tuner.tune_from_starts(default_config())
    config = TactfulConfig.from_dict(found.params)
    # The search scored configurations through the fast factors; the product's own
    # ranker must reproduce the winner's validation score, or the shortcut misled it.
    scores[f"{TACTFUL} (tuning path)"] = found.validation
    scores[TACTFUL] = evaluate(TactfulMethod(validation, vectors, config), validation)
    scores[DEFAULTS] = evaluate(TactfulMethod(validation, vectors, default_config()), validation)
    for name, ablated in ablations(config).items():
        scores[name] = tuner.metrics(ablated)  # through the checked tuning path
    log.info("%s validation tactful %s (product path %s)", spec.name, found, scores[TACTFUL])
    return {
        "item-kNN": knn.params,
        "ALS": als.params,
        TACTFUL: found.params,
        "trials": {"item-kNN": knn.trials, "ALS": als.trials, TACTFUL: found.trials},
        "tactful_validation_ndcg_by_start": by_start,
        # The product's ranker must reproduce the score the search saw for its winner.
        "tuning_path_reproduced": abs(scores[TACTFUL].ndcg - found.validation.ndcg) < 1e-9,
        "tuning_path": sorted(tuner.paths),
    }


def untuned() -> dict[str, Any]:
    """Starting values, for a quick run when no full run has tuned anything yet."""
    return {
        "item-kNN": {"k": DEFAULT_KNN},
        "ALS": dict(ALS_START),
        TACTFUL: default_config().as_dict(),
    }
