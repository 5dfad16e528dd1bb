"""Tuning on the validation split only: the baselines' grids and tactful's weights/decay.

Test never enters this module; run.py hands it validation splits and applies what it
returns to the test split once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.ranking.baselines import ALS, ItemKNN, ItemKNNRecency, TimeAwareUserKNN
from bench.ranking.harness import evaluate, excluded_mask
from bench.ranking.splits import Split
from bench.ranking.tactful_method import IndexOptions, TactfulConfig, TactfulMethod, user_taste
from tools.catalog_index import CatalogIndex
from tools.ranker import RankWeights
from tools.signals import DecayPolicy
from tools.tuning.factors import CHECK_WEIGHTS, Factors, batch_factors, check
from tools.tuning.metrics import K, Metrics, mean_metrics, top_k, user_metrics
from tools.tuning.search import coordinate_search
from tools.tuning.tuner import decay_knobs, with_knobs
from tools.types import EventKind

KNN_NEIGHBOURS = [5, 10, 20, 50, 100, 200, 400, 100_000]
#: Half-lives in days for the time-aware baselines (1e4: no fading at all).
HALF_LIVES = [1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0, 1e4]
#: Neighbour counts for time-aware user-kNN.
USER_KNN_NEIGHBOURS = [10, 20, 50, 100, 200, 400, 800, 100_000]
#: How a neighbour's purchases of one item add up: all of them faded, or the latest.
USER_KNN_HOW = ["sum", "latest"]
ALS_START: dict[str, Any] = {"factors": 64, "regularization": 0.1, "alpha": 4.0, "iterations": 15}
ALS_GRID: dict[str, list[Any]] = {
    "factors": [16, 32, 64, 128, 256],
    "regularization": [0.01, 0.1, 1.0, 10.0, 100.0],
    "alpha": [0.25, 1.0, 4.0, 16.0, 64.0],
    "iterations": [10, 15, 30],
}

#: A neighbour count above any shop's size here: "every similar shopper".
ALL_SHOPPERS = 100_000
#: tactful's ranking weights. Only ratios matter to a ranking, but taste is searched too
#: so that "no taste at all" is a candidate.
WEIGHT_GRID: dict[str, list[Any]] = {
    "taste": [0.0, 0.5, 1.0, 2.0, 4.0, 6.0, 10.0],
    "taste_content_share": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0],
    "community": [0.0, 0.3, 0.6, 1.2, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 35.0, 60.0],
    "popularity": [0.0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5],
    "trending": [0.0, 0.5, 1.0, 2.0, 3.0, 5.0],
    "neighbours": [5, 10, 25, 50, 100, 200, 400, 800, 1600, ALL_SHOPPERS],
    "bought_next": [0.0, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0],
    "latent": [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
}
#: The decay policy's knobs for the dataset's event kind ("half_life" is that kind's).
POLICY_GRID: dict[str, list[Any]] = {
    "half_life": [3.0, 7.0, 14.0, 30.0, 60.0, 120.0, 365.0, 1e4],
    "recent_boost": [0.0, 0.5, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0],
    "recent_days": [0.05, 0.25, 1.0, 3.0, 7.0, 14.0, 30.0],
    "neighbour_days": [3.0, 7.0, 14.0, 30.0, 60.0, 120.0, 365.0, 1e4],
    "next_days": [1 / 24, 0.25, 1.0, 7.0],
}
#: Where the search starts (decay knobs; weights start at the product's): the search is
#: local and the validation landscape has several optima, so it starts both from the
#: product defaults and from a short memory, and keeps the better.
STARTS: dict[str, dict[str, float]] = {
    "product defaults": {},
    "short memory": {"half_life": 7.0, "recent_boost": 10.0, "recent_days": 1.0},
}
#: Rounds of (decay policy, then weights) after the first weights search.
POLICY_ROUNDS = 3
#: Factor sets kept in memory (each is several users×items matrices).
FACTOR_CACHE = 2


@dataclass(frozen=True)
class Tuned:
    """A method's chosen parameters and its validation metrics with them."""

    params: dict[str, Any]
    validation: Metrics
    trials: int


def tune_item_knn(split: Split) -> Tuned:
    """The neighbourhood size with the best validation NDCG@10 (one similarity matrix)."""
    knn = ItemKNN(split)
    results = {}
    for k in KNN_NEIGHBOURS:
        knn.set_k(k)
        results[k] = evaluate(knn, split)
    best = max(results, key=lambda k: (results[k].ndcg, -k))
    return Tuned({"k": best}, results[best], len(results))


def tune_item_knn_recency(split: Split) -> Tuned:
    """Every (neighbourhood size, half-life) pair: one similarity matrix serves them all."""
    knn = ItemKNNRecency(split)
    results = {}
    for half_life in HALF_LIVES:
        knn.set_half_life(half_life)
        for k in KNN_NEIGHBOURS:
            knn.set_k(k)
            results[(k, half_life)] = evaluate(knn, split)
    best = max(results, key=lambda key: (results[key].ndcg, -key[0], key[1]))
    return Tuned({"k": best[0], "half_life": best[1]}, results[best], len(results))


def tune_user_knn(split: Split) -> Tuned:
    """Every (neighbour count, half-life, how purchases add up) on one similarity matrix."""
    knn = TimeAwareUserKNN(split)
    results = {}
    for how in USER_KNN_HOW:
        for half_life in HALF_LIVES:
            for k in USER_KNN_NEIGHBOURS:
                knn.set_params(k=k, half_life=half_life, how=how)
                results[(k, half_life, how)] = evaluate(knn, split)
    best = max(results, key=lambda key: (results[key].ndcg, -key[0], key[1], key[2]))
    params = {"k": best[0], "half_life": best[1], "how": best[2]}
    return Tuned(params, results[best], len(results))


def tune_als(split: Split) -> Tuned:
    """Coordinate search over factors, regularization, alpha and iterations."""
    seen: dict[str, Metrics] = {}

    def ndcg(params: dict[str, Any]) -> float:
        seen[repr(sorted(params.items()))] = metrics = evaluate(ALS(split, **params), split)
        return metrics.ndcg

    found = coordinate_search(ALS_START, ALS_GRID, ndcg)
    return Tuned(found.best, seen[repr(sorted(found.best.items()))], len(found.tried))


class TactfulTuner:
    """Scores tactful configurations on one validation split, fast.

    Factor vectors are computed once per decay policy (the slow part) and reused for
    every weighting tried with it.
    """

    def __init__(
        self,
        split: Split,
        vectors: np.ndarray,
        kind: EventKind,
        index_options: IndexOptions | None = None,
    ) -> None:
        self.split = split
        self.vectors = vectors
        self.kind = kind
        self.index_options = index_options
        self.catalog = CatalogIndex(split.items, vectors)
        self.users = split.users
        self.excluded = excluded_mask(split, self.users)
        self.targets = [set(split.rows(split.targets[u])) for u in self.users]
        self._factors: dict[str, Factors] = {}

    def policy(self, base: DecayPolicy, params: dict[str, Any]) -> DecayPolicy:
        """``base`` with the searched knobs applied (the half-life is the dataset's kind)."""
        return with_knobs(base, self.kind, params)

    def policy_params(self, policy: DecayPolicy) -> dict[str, Any]:
        return decay_knobs(policy, self.kind)

    def factors(self, policy: DecayPolicy) -> Factors:
        key = policy.model_dump_json()
        if key in self._factors:
            self._factors[key] = self._factors.pop(key)  # most recently used last
        else:
            method = TactfulMethod(
                self.split,
                self.vectors,
                TactfulConfig(RankWeights(), policy),
                catalog=self.catalog,
                index_options=self.index_options,
            )
            tastes = [user_taste(self.split, self.catalog, u, policy) for u in self.users]
            # The product's own batched factors (what `tactful tune` searches with),
            # checked against its ranker on the first policy; run.py re-checks the winner.
            factors = batch_factors(method.ranker, self.users, tastes, self.split.now)
            if not self._factors and not check(
                method.ranker, factors, self.users, tastes, CHECK_WEIGHTS, self.split.now
            ):
                raise RuntimeError("tools.tuning.factors no longer matches the ranker")
            while len(self._factors) >= FACTOR_CACHE:
                del self._factors[next(iter(self._factors))]
            self._factors[key] = factors
        return self._factors[key]

    def metrics(self, config: TactfulConfig) -> Metrics:
        """Validation metrics of ``config`` through the batched factors."""
        return self.metrics_of(self.factors(config.policy).total(config.weights))

    def metrics_of(self, scores: np.ndarray) -> Metrics:
        """Validation metrics of any users×items scores (train items excluded)."""
        return mean_metrics(self.per_user(scores))

    def per_user(self, scores: np.ndarray) -> list[tuple[float, float, float]]:
        """(HR, Recall, NDCG)@10 of each validation user under ``scores``."""
        ranked = top_k(scores, self.excluded, K)
        return [user_metrics(ranked[i].tolist(), self.targets[i]) for i in range(len(self.users))]

    def tune_from_starts(self, base: TactfulConfig) -> tuple[Tuned, dict[str, float]]:
        """:meth:`tune` from each of :data:`STARTS` (applied to ``base``); the best wins."""
        results: dict[str, Tuned] = {}
        for name, knobs in STARTS.items():
            policy = self.policy(base.policy, self.policy_params(base.policy) | knobs)
            results[name] = self.tune(TactfulConfig(base.weights, policy))
        best = max(results, key=lambda name: results[name].validation.ndcg)
        trials = sum(r.trials for r in results.values())
        found = results[best]
        scores = {name: round(r.validation.ndcg, 6) for name, r in results.items()}
        return Tuned(found.params, found.validation, trials), scores

    def tune(self, start: TactfulConfig) -> Tuned:
        """Weights, then rounds of (decay policy, weights) until the policy stays put."""
        config, trials = self.tune_weights(start)
        for _ in range(POLICY_ROUNDS):
            moved, policy_trials = self.tune_policy(config)
            trials += policy_trials
            if moved.policy == config.policy:
                break
            config, weight_trials = self.tune_weights(moved)
            trials += weight_trials
        return Tuned(config.as_dict(), self.metrics(config), trials)

    def tune_weights(self, config: TactfulConfig) -> tuple[TactfulConfig, int]:
        """Coordinate search over the ranking weights at ``config``'s decay policy."""

        def with_weights(params: dict[str, Any]) -> TactfulConfig:
            return TactfulConfig(config.weights.model_copy(update=params), config.policy)

        found = coordinate_search(
            {name: getattr(config.weights, name) for name in WEIGHT_GRID},
            WEIGHT_GRID,
            lambda params: self.metrics(with_weights(params)).ndcg,
        )
        return with_weights(found.best), len(found.tried)

    def tune_policy(self, config: TactfulConfig) -> tuple[TactfulConfig, int]:
        """One coordinate pass over the decay knobs at ``config``'s weights."""

        # One pass only: every policy costs a rebuild of the interaction index and factors.
        def with_policy(params: dict[str, Any]) -> TactfulConfig:
            return TactfulConfig(config.weights, self.policy(config.policy, params))

        found = coordinate_search(
            self.policy_params(config.policy),
            POLICY_GRID,
            lambda params: self.metrics(with_policy(params)).ndcg,
            passes=1,
        )
        return with_policy(found.best), len(found.tried)
