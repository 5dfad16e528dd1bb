"""One dataset, end to end: split, tune on validation, score every method on test once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.ranking.baselines import (
    ALS,
    BuyAgain,
    ItemKNN,
    ItemKNNRecency,
    MostPopular,
    RecentlyPopular,
    TimeAwareUserKNN,
)
from bench.ranking.buy_again_tuning import BuyAgainTuner, start_params
from bench.ranking.datasets import RawData, load_movielens, load_online_retail
from bench.ranking.embeddings import catalog_vectors
from bench.ranking.harness import Method, evaluate
from bench.ranking.splits import (
    Split,
    movielens_splits,
    online_retail_all_items_splits,
    online_retail_splits,
    subsample,
)
from bench.ranking.tactful_method import (
    SHIPPED_MODE,
    TactfulConfig,
    TactfulMethod,
    ablations,
    default_config,
    shipped_config,
)
from bench.ranking.tuning import (
    ALS_START,
    TactfulTuner,
    Tuned,
    tune_als,
    tune_item_knn,
    tune_item_knn_recency,
    tune_user_knn,
)
from tools.buy_again import BuyAgainPolicy
from tools.catalog_index import CatalogIndex
from tools.ranker import MODE_WEIGHTS, RankWeights
from tools.signals import DecayPolicy
from tools.tuning.history import split_history
from tools.tuning.metrics import Metrics
from tools.tuning.tuner import tune as tune_shop
from tools.types import EventKind

log = logging.getLogger("bench.ranking")

TACTFUL = "tactful"
DEFAULTS = "tactful (product defaults)"
#: The product as a shop gets it: ``tactful recommend`` with no mode (browsing), all
#: defaults, the served list.
SHIPPED = "tactful (shipped, as `tactful recommend`)"
#: The product after ``tactful tune`` on the training data (its own defaults: the last
#: 30 days held out, 1,000 shoppers), served as ``tactful recommend`` serves.
AFTER_TUNE = "tactful (after `tactful tune`)"
TUNE_WINDOW_DAYS = 30.0
TUNE_SHOPPERS = 1000
ITEM_KNN_RECENCY = "item-kNN + recency"
USER_KNN = "time-aware user-kNN"
BASELINES = ("most popular", "recently popular", "item-kNN", ITEM_KNN_RECENCY, USER_KNN, "ALS")
ALL_ITEMS_BASELINES = (*BASELINES, "buy-again")
#: The repeat-inclusive protocol's key, beside each dataset's own.
ALL_ITEMS = "all items"
DEFAULT_KNN = 100
#: Starting values of the time-aware baselines for a quick run with nothing tuned yet.
DEFAULT_KNN_RECENCY: dict[str, Any] = {"k": DEFAULT_KNN, "half_life": 30.0}
DEFAULT_USER_KNN: dict[str, Any] = {"k": DEFAULT_KNN, "half_life": 7.0, "how": "sum"}


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
    #: The repeat-inclusive protocol's splits, for shops where people buy again.
    all_items: Callable[..., dict[str, Split]] | None = None


SPECS = (
    DatasetSpec(
        "online-retail",
        load_online_retail,
        online_retail_splits,
        EventKind.PURCHASE,
        300,
        700,
        500,
        online_retail_all_items_splits,
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
    #: The same for the repeat-inclusive protocol, when the dataset has one.
    all_items: DatasetResult | None = None


def all_items_key(dataset: str) -> str:
    """Where the repeat-inclusive protocol's results sit beside the dataset's own."""
    return f"{dataset} ({ALL_ITEMS})"


def run_dataset(
    spec: DatasetSpec,
    *,
    quick: bool = False,
    previous: dict[str, Any] | None = None,
    previous_all_items: dict[str, Any] | None = None,
) -> DatasetResult:
    """Everything for one dataset. ``quick``: a small slice, no tuning (``previous`` values)."""
    started = time.perf_counter()
    result = DatasetResult()
    raw = spec.load()
    splits = spec.split(raw, validation=not quick)
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
        result.tuned[AFTER_TUNE] = shop_tune(test, vectors)

    config = TactfulConfig.from_dict(result.tuned[TACTFUL])
    methods: list[Method] = [
        MostPopular(test),
        RecentlyPopular(test),
        ItemKNN(test, k=int(result.tuned["item-kNN"]["k"])),
        *time_aware_baselines(test, result.tuned),
        ALS(test, **result.tuned["ALS"]),
        TactfulMethod(test, vectors, config, TACTFUL),
        TactfulMethod(test, vectors, default_config(), DEFAULTS),
        TactfulMethod(test, vectors, shipped_config(), SHIPPED, mode=SHIPPED_MODE),
    ]
    methods += [TactfulMethod(test, vectors, c, name) for name, c in ablations(config).items()]
    after_tune = result.tuned.get(AFTER_TUNE)
    if after_tune is not None:
        methods.append(after_tune_method(test, vectors, after_tune, new_only=True))
    for method in methods:
        result.test[method.name] = evaluate(method, test)
        log.info("%s test %-28s %s", spec.name, method.name, result.test[method.name])
    if spec.all_items is not None:
        result.all_items = run_all_items(
            spec, raw, quick=quick, previous=previous_all_items, after_tune=after_tune
        )
    result.seconds = time.perf_counter() - started
    return result


def run_all_items(
    spec: DatasetSpec,
    raw: RawData,
    *,
    quick: bool,
    previous: dict[str, Any] | None,
    after_tune: dict[str, Any] | None = None,
) -> DatasetResult:
    """The repeat-inclusive protocol: tune on its validation split, score test once.

    tactful is tuned in the shipped mode (browsing) from the shipped defaults, and only
    in buy-again's knobs; every other weight stays as shipped. ``after_tune`` is what
    ``tactful tune`` chose for the same shop at the same cut (one tuning per shop).
    """
    assert spec.all_items is not None
    result = DatasetResult()
    splits = spec.all_items(raw, validation=not quick)
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
    vectors = catalog_vectors(test.items)
    if quick:
        result.tuned = previous or untuned_all_items()
    else:
        result.tuned = tune_all_items(spec, splits["validation"], vectors, result.validation)
    config = TactfulConfig.from_dict(result.tuned[TACTFUL])
    methods: list[Method] = [
        MostPopular(test),
        RecentlyPopular(test),
        ItemKNN(test, k=int(result.tuned["item-kNN"]["k"])),
        *time_aware_baselines(test, result.tuned),
        ALS(test, **result.tuned["ALS"]),
        BuyAgain(test),
        TactfulMethod(test, vectors, config, TACTFUL, mode=SHIPPED_MODE),
        TactfulMethod(test, vectors, shipped_config(), SHIPPED, mode=SHIPPED_MODE),
        TactfulMethod(
            test,
            vectors,
            replace_buy_again(shipped_config(), 0.0),
            f"{SHIPPED} − buy-again",
            mode=SHIPPED_MODE,
        ),
    ]
    if after_tune is not None:
        methods.append(after_tune_method(test, vectors, after_tune))
    for method in methods:
        result.test[method.name] = evaluate(method, test)
        log.info("%s all items test %-28s %s", spec.name, method.name, result.test[method.name])
    return result


def shop_tune(split: Split, vectors: np.ndarray) -> dict[str, Any]:
    """What ``tactful tune`` chooses for the shop as it stood at the split's cut: the
    product's own tuning on the training events only, with the command's defaults."""
    catalog = CatalogIndex(split.items, vectors)
    history = split_history(
        split.train, catalog, window_days=TUNE_WINDOW_DAYS, max_shoppers=TUNE_SHOPPERS
    )
    found = tune_shop(
        history, catalog, countries=split.countries, policy=DecayPolicy(), weights=MODE_WEIGHTS
    )
    log.info("%s tactful tune %s", split.dataset, found.validation)
    new_only = found.new_only_weights or found.weights
    return {
        "weights": found.weights[SHIPPED_MODE].model_dump(),
        "new_only_weights": new_only[SHIPPED_MODE].model_dump(),
        "new_only_choice": found.new_only_choice,
        "policy": found.policy.model_dump(),
        "buy_again": found.buy_again.model_dump(),
        "adopted": found.adopted,
        "trials": found.trials,
        "shoppers": found.shoppers,
        "validation_ndcg@10": {name: round(m.ndcg, 6) for name, m in found.validation.items()},
    }


def after_tune_method(
    split: Split, vectors: np.ndarray, tuned: dict[str, Any], *, new_only: bool = False
) -> TactfulMethod:
    """The product ranking with what ``tactful tune`` chose, in the shipped mode; with
    ``new_only``, as ``recommend --new-only`` ranks (the new-items protocol's lists leave
    out what each shopper has, as that option does)."""
    weights = tuned.get("new_only_weights", tuned["weights"]) if new_only else tuned["weights"]
    config = TactfulConfig(
        RankWeights.model_validate(weights),
        DecayPolicy.model_validate(tuned["policy"]),
        BuyAgainPolicy.model_validate(tuned.get("buy_again", {})),
    )
    return TactfulMethod(split, vectors, config, AFTER_TUNE, mode=SHIPPED_MODE)


def time_aware_baselines(split: Split, tuned: dict[str, Any]) -> list[Method]:
    """Item-kNN + recency and time-aware user-kNN with their tuned values (a quick run
    from an older results file starts them from their defaults)."""
    recency = DEFAULT_KNN_RECENCY | tuned.get(ITEM_KNN_RECENCY, {})
    user = DEFAULT_USER_KNN | tuned.get(USER_KNN, {})
    return [
        ItemKNNRecency(split, k=int(recency["k"]), half_life=float(recency["half_life"])),
        TimeAwareUserKNN(
            split, k=int(user["k"]), half_life=float(user["half_life"]), how=str(user["how"])
        ),
    ]


def tune_time_aware(
    spec: DatasetSpec, validation: Split, scores: dict[str, Metrics]
) -> dict[str, Tuned]:
    """Both time-aware baselines tuned on ``validation`` (filling ``scores``)."""
    found = {
        ITEM_KNN_RECENCY: tune_item_knn_recency(validation),
        USER_KNN: tune_user_knn(validation),
    }
    for name, tuned in found.items():
        scores[name] = tuned.validation
        log.info("%s validation %s %s %s", spec.name, name, tuned.params, tuned.validation)
    return found


def replace_buy_again(config: TactfulConfig, weight: float) -> TactfulConfig:
    """``config`` with buy-again's weight set to ``weight``."""
    weights = config.weights.model_copy(update={"buy_again": weight})
    return TactfulConfig(weights, config.policy, config.buy_again)


def tune_all_items(
    spec: DatasetSpec, validation: Split, vectors: np.ndarray, scores: dict[str, Metrics]
) -> dict[str, Any]:
    """Every method tuned on the repeat-inclusive validation split, the same way as on the
    new-items one; tactful's buy-again knobs by coordinate search from the shipped ones."""
    for method in (MostPopular(validation), RecentlyPopular(validation), BuyAgain(validation)):
        scores[method.name] = evaluate(method, validation)
    knn = tune_item_knn(validation)
    scores["item-kNN"] = knn.validation
    als = tune_als(validation)
    scores["ALS"] = als.validation
    log.info("%s all items validation kNN %s ALS %s", spec.name, knn.validation, als.validation)
    time_aware = tune_time_aware(spec, validation, scores)
    shipped = TactfulMethod(validation, vectors, shipped_config(), SHIPPED, mode=SHIPPED_MODE)
    scores[SHIPPED] = evaluate(shipped, validation)
    tuner = BuyAgainTuner(shipped)
    found, config = tuner.tune(start_params(shipped_config()))
    scores[f"{TACTFUL} (tuning path)"] = found.validation
    scores[TACTFUL] = evaluate(
        TactfulMethod(validation, vectors, config, TACTFUL, mode=SHIPPED_MODE), validation
    )
    log.info("%s all items validation tactful %s %s", spec.name, found.params, found.validation)
    return {
        "item-kNN": knn.params,
        "ALS": als.params,
        **{name: t.params for name, t in time_aware.items()},
        TACTFUL: config.as_dict(),
        "buy_again_searched": found.params,
        "trials": {
            "item-kNN": knn.trials,
            **{name: t.trials for name, t in time_aware.items()},
            "ALS": als.trials,
            "buy-again": 1,
            "most popular": 1,
            "recently popular": 1,
            TACTFUL: found.trials,
        },
        "tuning_path_reproduced": abs(scores[TACTFUL].ndcg - found.validation.ndcg) < 1e-9,
    }


def untuned_all_items() -> dict[str, Any]:
    """Starting values for a quick run of the repeat-inclusive protocol."""
    return {
        "item-kNN": {"k": DEFAULT_KNN},
        "ALS": dict(ALS_START),
        TACTFUL: shipped_config().as_dict(),
    }


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
    time_aware = tune_time_aware(spec, validation, scores)

    tuner = TactfulTuner(validation, vectors, spec.kind)
    found, by_start = tuner.tune_from_starts(default_config())
    config = TactfulConfig.from_dict(found.params)
    # The search scored configurations through the batched factors; the product's own
    # ranker must reproduce the winner's validation score, or the shortcut misled it.
    scores[f"{TACTFUL} (tuning path)"] = found.validation
    scores[TACTFUL] = evaluate(TactfulMethod(validation, vectors, config), validation)
    scores[DEFAULTS] = evaluate(TactfulMethod(validation, vectors, default_config()), validation)
    scores[SHIPPED] = evaluate(
        TactfulMethod(validation, vectors, shipped_config(), SHIPPED, mode=SHIPPED_MODE),
        validation,
    )
    for name, ablated in ablations(config).items():
        scores[name] = tuner.metrics(ablated)  # through the checked tuning path
    log.info("%s validation tactful %s (product path %s)", spec.name, found, scores[TACTFUL])
    return {
        "item-kNN": knn.params,
        "ALS": als.params,
        **{name: t.params for name, t in time_aware.items()},
        TACTFUL: found.params,
        "trials": {
            "item-kNN": knn.trials,
            **{name: t.trials for name, t in time_aware.items()},
            "ALS": als.trials,
            TACTFUL: found.trials,
        },
        "tactful_validation_ndcg_by_start": by_start,
        # The product's ranker must reproduce the score the search saw for its winner.
        "tuning_path_reproduced": abs(scores[TACTFUL].ndcg - found.validation.ndcg) < 1e-9,
    }


def untuned() -> dict[str, Any]:
    """Starting values, for a quick run when no full run has tuned anything yet."""
    return {
        "item-kNN": {"k": DEFAULT_KNN},
        "ALS": dict(ALS_START),
        TACTFUL: default_config().as_dict(),
    }
