"""Choosing the ranking defaults the product ships, on validation splits only.

    python -m bench.ranking.defaults    # after a full `python -m bench.ranking.run`

A shop that never tunes anything gets one setting, so it is chosen on several data sets
at once. A configuration's score on one validation split is its NDCG@10 there divided
by the best tuned baseline's validation NDCG@10 on the same split (read from the last
full run's results file); the objective is the mean of those ratios. tactful is scored
as ``tactful recommend`` ranks: browsing mode, its diversity step included.

1. **Search** (Online Retail new items + MovieLens-100k): coordinate search over the
   browsing weights and the decay policy, through the product's batched factors, from
   several starts built on the earlier defaults. Decay is searched as the product holds
   it: one half-life for a shopper's own purchases and ratings, the short-term boost
   and its half-life, and the half-life of similar shoppers' choices. The grids stop
   where a promise the tests check would break (see the comments on each). How far
   similar shoppers outweigh own taste is not limited: a request's good matches lead
   its list whatever else speaks for the rest, and a stated like's weight follows
   similar shoppers' (:data:`STATED_PER_COMMUNITY`), so neither is drowned.
2. **Finalists**: each start's end point is ranked through the product's own
   ``HybridRanker`` on both splits (the shortcut must reproduce its score), and on the
   repeat-inclusive Online Retail validation split after buy-again's weight and share
   are re-tuned for it (its scale is the other weights'). The finalist
   with the best mean ratio over the three splits is chosen.
3. **Purchase mode** gets the chosen decay policy and browsing's weights moved as the
   product has always moved them for a purchase session (:data:`PURCHASE_FROM_BROWSING`),
   and is measured the same way.
4. **For reference only**: the chosen setting with own decay and the boost taken out,
   and a search with them held out.

Writes ``bench/results/ranking_defaults.json``. Test splits are never loaded.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.ranking.buy_again_tuning import BuyAgainTuner
from bench.ranking.embeddings import catalog_vectors
from bench.ranking.experiment import (
    ALL_ITEMS_BASELINES,
    BASELINES,
    SPECS,
    all_items_key,
)
from bench.ranking.harness import evaluate
from bench.ranking.run import RESULTS
from bench.ranking.splits import Split
from bench.ranking.tactful_method import (
    NO_DECAY_DAYS,
    SHIPPED_MODE,
    TactfulConfig,
    TactfulMethod,
    shipped_config,
)
from bench.ranking.tuning import TactfulTuner
from tools.ranker import RankWeights
from tools.signals import DecayPolicy
from tools.tuning.metrics import K, mean_metrics, top_k, user_metrics
from tools.tuning.search import coordinate_search
from tools.types import MIN_CONTRIBUTION

log = logging.getLogger("bench.ranking")

OUTPUT = RESULTS / "ranking_defaults.json"
#: Event kinds whose half-life is the shopper's "own decay" (the kinds of these datasets).
OWN_KINDS = ("purchase_days", "rating_days")
#: Only ratios of weights matter to a ranking, but a request's and a stated like's
#: weights are fixed against taste's, so taste keeps its browsing value.
TASTE = 4.0
#: The grids stop where the product's promises would break (each is a test in tests/):
#: popularity stays above 0, so that a visitor with no history still gets the shop's
#: best sellers; browsing keeps some diversity ("light and broad").
WEIGHT_GRID: dict[str, list[Any]] = {
    "taste_content_share": [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0],
    "community": [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0, 35.0, 60.0, 100.0, 160.0],
    "popularity": [0.05, 0.1, 0.2, 0.4, 0.8, 1.5],
    "neighbours": [10, 25, 50, 100, 200, 400, 800, 1600],
    "diversity": [0.1, 0.2, 0.3, 0.4, 0.5],
    "latent": [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
}
#: Own decay stays finite and slower than a cart's (30 days), so that a cart left months
#: ago stops counting against what was bought; the boost stays at most 9, so that a
#: fresh event held for a question (0.1 of its weight) weighs less than a settled one.
POLICY_GRID: dict[str, list[Any]] = {
    "own_half_life": [60.0, 90.0, 120.0, 180.0, 240.0, 365.0, 730.0],
    "recent_boost": [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 9.0],
    "recent_days": [0.05, 0.25, 1.0, 3.0, 7.0, 14.0],
    "neighbour_days": [1.0, 3.0, 7.0, 14.0, 30.0, 60.0, 120.0, 365.0],
}
#: A stated like ("I love candles") weighs this much per unit of similar shoppers'
#: weight: the ratio the demo shop's promises were written against (1 to 20), where a
#: like fills part of a browsing list and more of a purchase list. No split has stated
#: likes, so the search cannot weigh them; they follow similar shoppers instead.
STATED_PER_COMMUNITY = 1 / 20
#: How a purchase session's weights follow browsing's: own taste up by half, similar
#: shoppers by a fifth, popularity halved, buy-again up by half but filling at most half
#: of the list, no diversity step. "Tight when buying" stays tighter than browsing.
PURCHASE_FROM_BROWSING = {"taste": 1.5, "community": 1.2, "popularity": 0.5, "buy_again": 1.5}
PURCHASE_FIXED = {"diversity": 0.0, "buy_again_share": 0.5, "stated_share": 1.0}
#: The browsing weights and decay the product shipped before this search chose new ones
#: (every other value is the product's current one): every start is built on them, so a
#: run repeats the search that chose the current defaults.
EARLIER_DEFAULTS: dict[str, Any] = {
    "taste": TASTE,
    "taste_content_share": 0.5,
    "community": 1.0,
    "popularity": 0.4,
    "neighbours": 50,
    "diversity": 0.3,
    "own_half_life": 120.0,
    "recent_boost": 3.0,
    "recent_days": 3.0,
    "neighbour_days": 30.0,
}
#: Where the search starts: the earlier defaults, and each dataset's own validation
#: optimum as the full run before these defaults found it (bench/RESULTS.md), taste at 4,
#: moved to this grid. (Starts with a short memory, or a slow own memory with a short
#: community memory, ended where the Online Retail optimum did, so they are not rerun.)
START_KNOBS: dict[str, dict[str, Any]] = {
    "earlier defaults": {},
    "online-retail optimum": {
        "taste_content_share": 1.0,
        "community": 60.0,
        "popularity": 0.2,
        "neighbours": 200,
        "own_half_life": 60.0,
        "recent_boost": 9.0,
        "recent_days": 1.0,
        "neighbour_days": 7.0,
    },
    "movielens-100k optimum": {
        "taste_content_share": 0.2,
        "community": 2.0,
        "popularity": 0.8,
        "neighbours": 10,
        "own_half_life": 60.0,
        "recent_boost": 9.0,
        "recent_days": 0.05,
        "neighbour_days": 60.0,
    },
}
#: Rounds of (decay policy, then weights) after the first weights search.
POLICY_ROUNDS = 3
#: buy-again's knobs re-tuned for each finalist on the repeat-inclusive split. A request's
#: good matches lead its list whatever else speaks for the rest, so due re-orders cannot
#: push "got any lanterns?" (tests/conversation) off its lanterns at any of these weights.
BUY_AGAIN_GRID: dict[str, list[Any]] = {
    "buy_again": [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0],
    "buy_again_share": [0.3, 0.5, 0.7],
}


def policy_knobs(policy: DecayPolicy) -> dict[str, Any]:
    """The searched decay knobs as ``policy`` has them (own decay: purchases')."""
    return {
        "own_half_life": policy.purchase_days,
        "recent_boost": policy.recent_boost,
        "recent_days": policy.recent_days,
        "neighbour_days": policy.neighbour_days,
    }


def with_knobs(policy: DecayPolicy, knobs: Mapping[str, Any]) -> DecayPolicy:
    """``policy`` with the searched knobs applied; own decay sets every own kind."""
    own = knobs.get("own_half_life")
    update = {k: v for k, v in knobs.items() if k in DecayPolicy.model_fields}
    if own is not None:
        update |= dict.fromkeys(OWN_KINDS, own)
    return policy.model_copy(update=update)


def diverse_top_k(
    scores: np.ndarray,
    excluded: np.ndarray,
    similarity: np.ndarray,
    diversity: float,
    k: int = K,
) -> np.ndarray:
    """``HybridRanker._select`` for many users at once, with no caps.

    The best ``8k`` candidates form the pool; each pick maximises ``(1 - d) × score /
    spread − d × (likeness to the closest item already picked)``, among the items some
    factor speaks for while any is left.
    """
    if diversity == 0:
        return top_k(scores, excluded, k)
    pool_size = min(k * 8, scores.shape[1])
    pool = top_k(scores, excluded, pool_size)
    values = np.take_along_axis(np.where(excluded, -np.inf, scores), pool, axis=1)
    finite = np.isfinite(values)
    high = np.where(finite, values, -np.inf).max(axis=1, keepdims=True)
    low = np.where(finite, values, np.inf).min(axis=1, keepdims=True)
    spread = high - low
    spread[spread == 0] = 1.0
    relevance = np.where(finite, (1 - diversity) * values / spread, -np.inf)
    users = np.arange(scores.shape[0])
    closest = np.full(pool.shape, -np.inf)
    open_ = finite.copy()
    chosen = np.zeros((scores.shape[0], min(k, pool_size)), dtype=np.int64)
    supported = finite & (values >= MIN_CONTRIBUTION)
    for step in range(chosen.shape[1]):
        value = relevance if step == 0 else relevance - diversity * closest
        backed = open_ & supported
        allowed = np.where(backed.any(axis=1, keepdims=True), backed, open_)
        pick = np.argmax(np.where(allowed, value, -np.inf), axis=1)
        chosen[:, step] = pool[users, pick]
        open_[users, pick] = False
        closest = np.maximum(closest, similarity[pool, chosen[:, step][:, None]])
    return chosen


@dataclass
class Benchmark:
    """One validation split, the fast scorer over it, and the baseline to beat there."""

    name: str
    tuner: TactfulTuner
    baseline: str
    baseline_ndcg: float
    similarity: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        vectors = self.tuner.catalog.vectors
        self.similarity = vectors @ vectors.T

    def ndcg(self, config: TactfulConfig) -> float:
        """Validation NDCG@10 of ``config`` in browsing, through the batched factors."""
        scores = self.tuner.factors(config.policy).total(config.weights)
        ranked = diverse_top_k(
            scores, self.tuner.excluded, self.similarity, config.weights.diversity
        )
        targets = self.tuner.targets
        return mean_metrics(
            user_metrics(ranked[i].tolist(), targets[i]) for i in range(len(targets))
        ).ndcg

    def ratio(self, config: TactfulConfig) -> float:
        return self.ndcg(config) / self.baseline_ndcg

    def community_over_taste(self, config: TactfulConfig) -> float:
        """The median shopper's strongest community contribution over their strongest
        taste contribution."""
        factors, weights = self.tuner.factors(config.policy), config.weights
        share = weights.taste_content_share
        taste = weights.taste * (share * factors.content + (1.0 - share) * factors.co)
        community = weights.community * factors.community(weights.neighbours)
        return float(np.median(community.max(axis=1)) / np.median(taste.max(axis=1)))


@dataclass
class Found:
    """A searched configuration, its joint score and how many settings the search tried."""

    config: TactfulConfig
    score: float
    trials: int
    path: list[dict[str, Any]] = field(default_factory=list)


class JointSearch:
    """Coordinate search on the mean ratio over several validation splits."""

    def __init__(
        self,
        benchmarks: list[Benchmark],
        weight_grid: Mapping[str, list[Any]] = WEIGHT_GRID,
        policy_grid: Mapping[str, list[Any]] = POLICY_GRID,
    ) -> None:
        self.benchmarks = benchmarks
        self.weight_grid = weight_grid
        self.policy_grid = policy_grid
        self.seen: dict[str, float] = {}

    def score(self, config: TactfulConfig) -> float:
        """The mean ratio over the splits."""
        key = json.dumps(config.as_dict(), sort_keys=True)
        if key not in self.seen:
            self.seen[key] = float(np.mean([b.ratio(config) for b in self.benchmarks]))
        return self.seen[key]

    def run(self, start: TactfulConfig) -> Found:
        """Weights, then rounds of (decay policy, weights) until the policy stays put."""
        config, trials = self.weights(start)
        path = [{"weights": trials, "score": round(self.score(config), 5)}]
        for _ in range(POLICY_ROUNDS):
            moved, policy_trials = self.policy(config)
            trials += policy_trials
            path.append({"policy": policy_trials, "score": round(self.score(moved), 5)})
            if moved.policy == config.policy:
                break
            config, weight_trials = self.weights(moved)
            trials += weight_trials
            path.append({"weights": weight_trials, "score": round(self.score(config), 5)})
        return Found(config, self.score(config), trials, path)

    def weights(self, config: TactfulConfig) -> tuple[TactfulConfig, int]:
        def make(params: dict[str, Any]) -> TactfulConfig:
            return replace_weights(config, params)

        found = coordinate_search(
            {name: getattr(config.weights, name) for name in self.weight_grid},
            self.weight_grid,
            lambda params: self.score(make(params)),
        )
        return make(found.best), len(found.tried)

    def policy(self, config: TactfulConfig) -> tuple[TactfulConfig, int]:
        # One pass: every policy rebuilds the interaction snapshot and factors.
        def make(params: dict[str, Any]) -> TactfulConfig:
            return TactfulConfig(
                config.weights, with_knobs(config.policy, params), config.buy_again
            )

        start = {k: v for k, v in policy_knobs(config.policy).items() if k in self.policy_grid}
        found = coordinate_search(
            start, self.policy_grid, lambda params: self.score(make(params)), passes=1
        )
        return make(found.best), len(found.tried)


def purchase_config(browsing: TactfulConfig) -> TactfulConfig:
    """The purchase-session configuration that goes with a browsing one."""
    weights = browsing.weights
    moved = {k: getattr(weights, k) * v for k, v in PURCHASE_FROM_BROWSING.items()}
    return with_stated(replace_weights(browsing, moved | PURCHASE_FIXED))


def with_stated(config: TactfulConfig) -> TactfulConfig:
    """``config`` with a stated like weighed against similar shoppers as the product's
    promises want (:data:`STATED_PER_COMMUNITY`)."""
    return replace_weights(config, {"stated": config.weights.community * STATED_PER_COMMUNITY})


def replace_weights(config: TactfulConfig, params: Mapping[str, Any]) -> TactfulConfig:
    """``config`` with some ranking weights changed."""
    return TactfulConfig(config.weights.model_copy(update=params), config.policy, config.buy_again)


def best_baseline(table: Mapping[str, Any], names: tuple[str, ...]) -> tuple[str, float]:
    """The baseline with the best validation NDCG@10 in a results-file table."""
    name = max((n for n in names if n in table), key=lambda n: table[n]["ndcg@10"])
    return name, float(table[name]["ndcg@10"])


def start_config(knobs: Mapping[str, Any]) -> TactfulConfig:
    """The shipped browsing setting with ``knobs`` (weights or decay) applied; own decay
    is one half-life, purchases' unless ``knobs`` sets it."""
    base = shipped_config()
    weights = {k: v for k, v in knobs.items() if k in RankWeights.model_fields}
    decay = policy_knobs(base.policy) | {k: v for k, v in knobs.items() if k not in weights}
    policy = with_knobs(base.policy, decay)
    return TactfulConfig(base.weights.model_copy(update=weights), policy, base.buy_again)


def no_own_decay(config: TactfulConfig) -> TactfulConfig:
    """``config`` with the shopper's own decay and the short-term boost taken out."""
    policy = with_knobs(config.policy, {"own_half_life": NO_DECAY_DAYS, "recent_boost": 0.0})
    return TactfulConfig(config.weights, policy, config.buy_again)


def product_ndcg(split: Split, vectors: np.ndarray, config: TactfulConfig) -> float:
    """Validation NDCG@10 through the product's ranker, in the shipped mode."""
    method = TactfulMethod(split, vectors, config, mode=SHIPPED_MODE)
    return evaluate(method, split).ndcg


def all_items_fit(
    split: Split, vectors: np.ndarray, config: TactfulConfig
) -> tuple[TactfulConfig, float, int]:
    """``config`` with buy-again's weight and share re-tuned on the repeat-inclusive
    validation split (through the product's ranker); its NDCG@10 and the trials."""
    tuner = BuyAgainTuner(TactfulMethod(split, vectors, config, mode=SHIPPED_MODE))
    start = {k: getattr(config.weights, k) for k in BUY_AGAIN_GRID}
    found = coordinate_search(
        start, BUY_AGAIN_GRID, lambda params: tuner.metrics(tuner.config(params)).ndcg
    )
    chosen = tuner.config(found.best)
    return chosen, product_ndcg(split, vectors, chosen), len(found.tried)


def choose(previous: Mapping[str, Any]) -> dict[str, Any]:
    """The whole procedure; returns what the results file records."""
    started = time.perf_counter()
    splits: dict[str, Split] = {}
    vectors: dict[str, np.ndarray] = {}
    benchmarks: list[Benchmark] = []
    for spec in SPECS:
        raw = spec.load()
        split = spec.split(raw)["validation"]
        splits[spec.name], vectors[spec.name] = split, catalog_vectors(split.items)
        name, ndcg = best_baseline(previous["validation"][spec.name], BASELINES)
        tuner = TactfulTuner(split, vectors[spec.name], spec.kind)
        benchmarks.append(Benchmark(spec.name, tuner, name, ndcg))
        if spec.all_items is not None:
            key = all_items_key(spec.name)
            splits[key] = spec.all_items(raw)["validation"]
            vectors[key] = catalog_vectors(splits[key].items)
    all_items = all_items_key("online-retail")
    all_items_baseline = best_baseline(previous["validation"][all_items], ALL_ITEMS_BASELINES)
    out: dict[str, Any] = {
        "objective": "mean over validation splits of tactful's NDCG@10 (browsing, as "
        "`tactful recommend` ranks) / the best tuned baseline's validation NDCG@10",
        "baselines": {b.name: {b.baseline: b.baseline_ndcg} for b in benchmarks}
        | {all_items: {all_items_baseline[0]: all_items_baseline[1]}},
        "grids": {"weights": WEIGHT_GRID, "policy": POLICY_GRID, "buy_again": BUY_AGAIN_GRID},
        "taste": TASTE,
    }

    search = JointSearch(benchmarks)
    starts = {name: start_config(EARLIER_DEFAULTS | knobs) for name, knobs in START_KNOBS.items()}
    earlier = start_config(EARLIER_DEFAULTS)
    earlier = TactfulConfig(earlier.weights, earlier.policy.model_copy(update={"rating_days": 365}))
    out["earlier defaults"] = _describe(earlier, benchmarks, search)
    out["shipped now"] = _describe(shipped_config(), benchmarks, search)
    finalists: dict[str, Found] = {}
    for name, start in starts.items():
        finalists[name] = search.run(start)
        log.info("start %s: %.5f after %d trials", name, finalists[name].score, len(search.seen))
    out["search_trials"] = len(search.seen)

    rows: dict[str, Any] = {}
    for name, found in finalists.items():
        row = _describe(found.config, benchmarks, search) | {"path": found.path}
        for b in benchmarks:
            product = product_ndcg(b.tuner.split, vectors[b.name], found.config)
            row[b.name]["product_path_ndcg@10"] = round(product, 6)
            row[b.name]["product_path_ratio"] = round(product / b.baseline_ndcg, 5)
        fitted, ndcg, trials = all_items_fit(splits[all_items], vectors[all_items], found.config)
        row[all_items] = {
            "ndcg@10": round(ndcg, 6),
            "ratio": round(ndcg / all_items_baseline[1], 5),
            "buy_again": fitted.weights.buy_again,
            "buy_again_share": fitted.weights.buy_again_share,
            "trials": trials,
        }
        ratios = [row[b.name]["product_path_ratio"] for b in benchmarks] + [row[all_items]["ratio"]]
        row["mean_ratio_three_splits"] = round(float(np.mean(ratios)), 5)
        row["config"] = fitted.as_dict()
        rows[name] = row
        log.info("finalist %s: %s", name, json.dumps(row))
    out["finalists"] = rows
    winner = max(rows, key=lambda n: rows[n]["mean_ratio_three_splits"])
    chosen = with_stated(TactfulConfig.from_dict(rows[winner]["config"]))
    out["chosen"] = {"start": winner, "config": chosen.as_dict()}

    # Purchase mode: the chosen decay, and browsing's weights moved as the product moves
    # them for a purchase session (own taste up most, no diversity step).
    purchase = purchase_config(chosen)
    out["purchase"] = _describe(purchase, benchmarks, search) | {
        "weights": purchase.weights.model_dump()
    }

    # For reference (not shipped: the product keeps its promise that behaviour fades).
    out["reference: chosen without own decay or boost"] = _describe(
        no_own_decay(chosen), benchmarks, search
    )
    held = JointSearch(
        benchmarks,
        policy_grid={
            k: v for k, v in POLICY_GRID.items() if k in ("recent_days", "neighbour_days")
        },
    )
    no_decay = held.run(no_own_decay(chosen))
    out["reference: searched without own decay or boost"] = _describe(
        no_decay.config, benchmarks, held
    ) | {"config": no_decay.config.as_dict(), "trials": len(held.seen)}
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def _describe(
    config: TactfulConfig, benchmarks: list[Benchmark], search: JointSearch
) -> dict[str, Any]:
    """Each split's fast-path NDCG@10, ratio and community scale, and the mean ratio."""
    row: dict[str, Any] = {}
    for b in benchmarks:
        ndcg = b.ndcg(config)
        row[b.name] = {
            "ndcg@10": round(ndcg, 6),
            "ratio": round(ndcg / b.baseline_ndcg, 5),
            "community_over_taste": round(b.community_over_taste(config), 3),
        }
    row["mean_ratio"] = round(float(np.mean([row[b.name]["ratio"] for b in benchmarks])), 5)
    row["weights"] = {k: getattr(config.weights, k) for k in WEIGHT_GRID}
    row["policy"] = policy_knobs(config.policy)
    return row


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    path = RESULTS / "ranking.json"
    if not path.exists():
        sys.exit("Run `python -m bench.ranking.run` first: its tuned baselines are the yardstick.")
    previous = json.loads(path.read_text(encoding="utf-8"))
    out = choose(previous)
    OUTPUT.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out["chosen"], indent=2))


if __name__ == "__main__":
    main()
