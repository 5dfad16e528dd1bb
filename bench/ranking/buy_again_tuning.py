"""Tuning buy-again on the repeat-inclusive validation split, through the product's ranker.

Buy-again changes only its own factor and which items the browsing cap holds back, so
each shopper's other factors are scored once (the product's ``score_all``) and every
trial adds the buy-again part, caps and selects exactly as ``HybridRanker.rank`` does.
:func:`check` re-ranks the winner through ``rank`` itself: the shortcut must reproduce it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bench.ranking.harness import evaluate
from bench.ranking.splits import Split
from bench.ranking.tactful_method import TactfulConfig, TactfulMethod
from bench.ranking.tuning import Tuned
from tools.ranker import RankInput, RankWeights, _caps, _Scores
from tools.tuning.metrics import K, Metrics, mean_metrics, user_metrics
from tools.tuning.search import coordinate_search
from tools.types import FactorName, ShopperMode

#: The knobs searched: the factor's weight and share in the mode, and its shape. A
#: browsing list shares itself with discovery by design, so the share stops below 1.
GRID: dict[str, list[Any]] = {
    "buy_again": [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
    "buy_again_share": [0.3, 0.5, 0.7],
    "min_orders": [1, 2, 3],
    "early_width": [0.25, 0.5, 1.0, 2.0],
    "late_width": [0.5, 1.0, 2.0, 4.0],
    "orders_scale": [0.5, 1.0, 2.0, 3.0, 5.0, 10.0],
    "timing": [0.0, 0.25, 0.5, 0.75, 1.0],
}
_WEIGHT_KNOBS = ("buy_again", "buy_again_share")


class BuyAgainTuner:
    """Scores buy-again settings for one mode on one validation split."""

    def __init__(self, method: TactfulMethod) -> None:
        self.method = method
        self.split = method.split
        self.users = method.split.users
        base = method.config.weights.model_copy(update={"buy_again": 0.0})
        self._requests: list[RankInput] = []
        self._scores: list[_Scores] = []
        with threadpool_limits(limits=1, user_api="blas"):
            for user in self.users:
                request = method.rank_input(user, K)
                self._requests.append(request)
                self._scores.append(
                    method.ranker.score_all(request, base, self.split.user_now[user])
                )
        self._targets = [set(self.split.rows(self.split.targets[u])) for u in self.users]

    def config(self, params: dict[str, Any]) -> TactfulConfig:
        """The method's configuration with ``params`` applied."""
        config = self.method.config
        weights = {k: v for k, v in params.items() if k in _WEIGHT_KNOBS}
        shape = {k: v for k, v in params.items() if k not in _WEIGHT_KNOBS}
        return TactfulConfig(
            weights=config.weights.model_copy(update=weights),
            policy=config.policy,
            buy_again=config.buy_again.model_copy(update=shape),
        )

    def metrics(self, config: TactfulConfig) -> Metrics:
        """Validation metrics of ``config``, ranked as ``HybridRanker.rank`` ranks."""
        ranker = self.method.ranker
        ranker.buy_again = config.buy_again
        weights = config.weights
        per_user = []
        with threadpool_limits(limits=1, user_api="blas"):
            for user, request, scores, targets in zip(
                self.users, self._requests, self._scores, self._targets, strict=True
            ):
                ranked = self._rank(request, weights, scores, self.split.user_now[user])
                per_user.append(user_metrics(ranked, targets, (), K))
        ranker.buy_again = self.method.config.buy_again
        return mean_metrics(per_user)

    def _rank(
        self, request: RankInput, weights: RankWeights, scores: _Scores, now: Any
    ) -> list[int]:
        ranker = self.method.ranker
        parts = dict(scores.parts)
        habits = {}
        if weights.buy_again > 0 and request.mode is not ShopperMode.GIFT:
            habits = ranker.habits(request.taste, now)
            again = np.zeros(len(ranker.catalog), dtype=np.float32)
            for row, found in habits.items():
                again[row] = weights.buy_again * found.score
            if again.any():
                parts[FactorName.BUY_AGAIN] = again
        trial = replace(scores, parts=parts, habits=habits)
        leaders, caps = _caps(request, weights, trial, ranker.interactions.unsold)
        return ranker._select(
            trial.total(), trial.mask, request.k, weights.diversity, leaders, caps
        )

    def tune(self, start: dict[str, Any]) -> tuple[Tuned, TactfulConfig]:
        """Coordinate search from ``start``; the winner and its configuration."""
        found = coordinate_search(start, GRID, lambda p: self.metrics(self.config(p)).ndcg)
        config = self.config(found.best)
        return Tuned(found.best, self.metrics(config), len(found.tried)), config


def start_params(config: TactfulConfig) -> dict[str, Any]:
    """The searched knobs as ``config`` has them."""
    values = config.weights.model_dump() | config.buy_again.model_dump()
    return {name: values[name] for name in GRID}


def check(method: TactfulMethod, split: Split, expected: Metrics, users: Sequence[str]) -> bool:
    """Whether the product's own ``rank`` reproduces the tuner's validation score."""
    return abs(evaluate(method, split, users).ndcg - expected.ndcg) < 1e-9


def main() -> None:
    """Search buy-again's knobs on each dataset's validation split in the shipped mode and
    print what each chose: the evidence behind the shipped defaults."""
    import json
    import logging

    from bench.ranking.embeddings import catalog_vectors
    from bench.ranking.experiment import SPECS
    from bench.ranking.tactful_method import SHIPPED_MODE, shipped_config

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    chosen = {}
    for spec in SPECS:
        raw = spec.load()
        make = spec.all_items or spec.split
        validation = make(raw)["validation"]
        vectors = catalog_vectors(validation.items)
        method = TactfulMethod(validation, vectors, shipped_config(), mode=SHIPPED_MODE)
        tuner = BuyAgainTuner(method)
        start = start_params(shipped_config())
        shipped = tuner.metrics(tuner.config(start))
        found, _ = tuner.tune(start)
        chosen[spec.name] = {
            "shipped": start,
            "shipped_ndcg@10": round(shipped.ndcg, 6),
            "tuned": found.params,
            "tuned_ndcg@10": round(found.validation.ndcg, 6),
            "trials": found.trials,
        }
        logging.info("%s %s", spec.name, chosen[spec.name])
    print(json.dumps(chosen, indent=2))


if __name__ == "__main__":
    main()
