"""Fit the ranking weights and half-lives to one shop's history.

The last weeks of the shop's events are held out; the ranker, built from what came
before, is scored on what each shopper then bought (re-orders included: the list as a
shop serves it), and, equally, on what was new to them, by the list without their own
items. A coordinate search tries the weights through the batched factors
(:mod:`tools.tuning.factors`), then the half-lives, then the weights again, then
buy-again's weight with how re-orders are read (how much being due counts). The knobs
that act only when a list is served (how much of it re-orders may fill, how far it is
spread out) are then searched through :meth:`HybridRanker.rank` itself, as ``tactful
recommend`` serves a list. The winner is kept only when it serves better than the
defaults on the same shoppers; two plain baselines are scored beside them. Lists without
what each shopper has (``recommend --new-only``) get the weights that serve those best:
the winner's, the defaults', or the winner's searched again on new things alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from tools.buy_again import BuyAgainPolicy
from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex
from tools.ranker import HybridRanker, RankInput, RankWeights
from tools.signals import DecayPolicy
from tools.taste import TasteSignal, taste_signal
from tools.tuning.factors import (
    CHECK_WEIGHTS,
    Factors,
    batch_factors,
    buy_again_matrix,
    check,
)
from tools.tuning.history import HistorySplit
from tools.tuning.metrics import K, Metrics, mean_metrics, top_k, user_metrics
from tools.tuning.search import coordinate_search
from tools.types import EventKind, ShopperMode

#: The ranking weights searched, and their values. Each grid reaches past the values
#: real shops were seen to choose, so that a choice is not merely the grid's edge.
WEIGHT_GRID: dict[str, list[Any]] = {
    "taste": [0.25, 0.5, 1.0, 2.0, 4.0, 6.0, 10.0],
    "taste_content_share": [0.0, 0.1, 0.3, 0.5, 1.0],
    "community": [0.0, 2.0, 5.0, 10.0, 20.0, 35.0, 60.0],
    "popularity": [0.0, 0.025, 0.05, 0.1, 0.3],
    "trending": [0.0, 0.5, 1.0, 2.0, 3.0, 5.0],
    "neighbours": [25, 50, 100, 200, 400, 800],
    "buy_again": [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0],
    "owned": [0.0, 0.3, 0.6, 1.2],
    "latent": [0.0, 0.5, 1.0, 2.0, 4.0, 8.0],
}
#: The decay knobs searched ("half_life" is the half-life of the shop's main event kind).
POLICY_GRID: dict[str, list[Any]] = {
    "half_life": [14.0, 30.0, 60.0, 120.0, 365.0, 730.0, 1825.0],
    "recent_boost": [0.0, 1.0, 3.0, 9.0, 30.0, 100.0],
    "recent_days": [0.25, 1.0, 3.0, 7.0],
    "neighbour_days": [3.0, 7.0, 14.0, 30.0, 90.0],
}
# What others chose next is left at its shipped weight and half-life: the validation
# window scores every shopper at one moment, the cut, when almost none has chosen
# anything in the hour before, so it cannot judge what follows a fresh choice (on
# MovieLens-100k it turned the factor off on noise, and the list lost a third of its
# NDCG@10 on test).
#: Knobs that only shape a served list, searched through the ranker itself. Browsing
#: stays spread out a little whatever the history says: it is for looking around. Items
#: no one has bought yet get a place only when the history says it pays.
SERVED_GRID: dict[str, list[Any]] = {
    "buy_again_share": [0.5, 0.7, 1.0],
    "diversity": [0.2, 0.4],
    "unsold_share": [0.0, 0.1, 0.2],
}
#: How re-orders are read, searched with buy-again's weight once the rest is chosen: how
#: much being due counts against the habit itself (in some shops shoppers re-order the
#: same things in every order, due or not), and how fast a habit grows with its orders.
BUY_AGAIN_GRID: dict[str, list[Any]] = {
    "buy_again": WEIGHT_GRID["buy_again"],
    "timing": [0.0, 0.25, 0.5, 0.75, 1.0],
    "orders_scale": [1.0, 3.0, 10.0],
}
#: The built-in reading of re-orders.
DEFAULT_BUY_AGAIN = BuyAgainPolicy()
#: The modes whose weights a tuning sets: those that rank by the shopper's own taste.
#: Research and gift lists lead with the request, which no history shows.
TUNED_MODES = (ShopperMode.BROWSING, ShopperMode.PURCHASE)
#: Factor sets kept at once (each is several shoppers×items matrices).
FACTOR_CACHE = 2

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TuneResult:
    """What a tuning chose and how each candidate served on the validation window."""

    weights: dict[ShopperMode, RankWeights]
    policy: DecayPolicy
    #: Served validation metrics: "tuned", "defaults", "popular", "buy again by count",
    #: and of the lists without what each shopper has, on what was new to them, those of
    #: each candidate for them ("… (new only)").
    validation: dict[str, Metrics]
    adopted: bool
    trials: int
    shoppers: int
    #: The weights ``recommend --new-only`` ranks with, when not ``weights``: of those,
    #: the built-in ones and ``weights`` searched again on new things alone, the ones
    #: whose lists without what each shopper has served best (under ``policy``, which
    #: every list shares).
    new_only_weights: dict[ShopperMode, RankWeights] | None = None
    #: Which of them: "tuned", "defaults" (the built-in ones) or "discovery".
    new_only_choice: str = "tuned"
    #: How re-orders are read (the built-in reading when the tuning was not adopted).
    buy_again: BuyAgainPolicy = field(default_factory=BuyAgainPolicy)


class ShopTuner:
    """Scores ranking settings on one history split, a factor set per decay policy."""

    def __init__(
        self,
        split: HistorySplit,
        catalog: CatalogIndex,
        countries: Mapping[str, str | None],
        progress: Progress | None = None,
    ) -> None:
        self.split = split
        self.catalog = catalog
        self.countries = countries
        self.kind = split.kind
        self.progress = progress or (lambda _: None)
        self.nothing_excluded = np.zeros((len(split.shoppers), len(catalog)), dtype=bool)
        self._new_items: tuple[np.ndarray, list[frozenset[int]]] | None = None
        self._factors: dict[str, Factors] = {}
        #: Buy-again's scores under the last other re-order reading tried.
        self._buy_again: dict[str, np.ndarray] = {}
        self._prepared: dict[str, tuple[InteractionIndex, list[TasteSignal]]] = {}
        self.trials = 0

    def prepared(self, policy: DecayPolicy) -> tuple[InteractionIndex, list[TasteSignal]]:
        """The shop-wide snapshot at the cut and every shopper's taste, under ``policy``:
        the slow part of scoring, done once per policy for the factors and the lists."""
        key = policy.model_dump_json()
        if key not in self._prepared:
            while len(self._prepared) >= FACTOR_CACHE:
                del self._prepared[next(iter(self._prepared))]
            index = ranker_at_cut(self.split, self.catalog, self.countries, policy, {}).interactions
            tastes = [
                taste_signal(events, self.catalog, now=self.split.cut, policy=policy)
                for events in self.split.histories
            ]
            self._prepared[key] = (index, tastes)
        return self._prepared[key]

    def ranker(
        self,
        policy: DecayPolicy,
        weights: dict[ShopperMode, RankWeights],
        buy_again: BuyAgainPolicy = DEFAULT_BUY_AGAIN,
    ) -> HybridRanker:
        index = self.prepared(policy)[0]
        return HybridRanker(self.catalog, index, policy, weights, buy_again=buy_again)

    def factors(
        self, policy: DecayPolicy, buy_again: BuyAgainPolicy = DEFAULT_BUY_AGAIN
    ) -> Factors:
        """The factors under ``policy``; with another re-order reading, only buy-again's
        scores are read again."""
        if buy_again != DEFAULT_BUY_AGAIN:
            key = policy.model_dump_json() + buy_again.model_dump_json()
            if key not in self._buy_again:
                ranker = self.ranker(policy, {}, buy_again)
                tastes = self.prepared(policy)[1]
                self._buy_again = {key: buy_again_matrix(ranker, tastes, self.split.cut)}
            return replace(self.factors(policy), buy_again=self._buy_again[key])
        key = policy.model_dump_json()
        if key not in self._factors:
            self.progress("half-lives")
            ranker = self.ranker(policy, {})
            tastes = self.prepared(policy)[1]
            found = batch_factors(ranker, self.split.shoppers, tastes, self.split.cut)
            if not self._factors and not check(
                ranker, found, self.split.shoppers, tastes, CHECK_WEIGHTS, self.split.cut
            ):
                raise RuntimeError("the batched factors no longer match the ranker's scores")
            while len(self._factors) >= FACTOR_CACHE:
                del self._factors[next(iter(self._factors))]
            self._factors[key] = found
        return self._factors[key]

    def ndcg(
        self,
        weights: RankWeights,
        policy: DecayPolicy,
        buy_again: BuyAgainPolicy = DEFAULT_BUY_AGAIN,
    ) -> float:
        """The mean of two NDCG@10s: of the whole list, re-orders included, and of the list
        without what each shopper already has, on what was new to them. Judged on the
        whole list alone, a shop whose shoppers mostly re-order gets weights for
        discovery chosen on almost no signal: the re-orders fill the ten places."""
        self.trials += 1
        self.progress("weights")
        scores = self.factors(policy, buy_again).total(weights)
        whole = self.metrics_of(top_k(scores, self.nothing_excluded, K)).ndcg
        return (whole + self._new_ndcg(scores, policy)) / 2

    def new_ndcg(self, weights: RankWeights, policy: DecayPolicy) -> float:
        """NDCG@10 of the list without what each shopper has, on what was new to them."""
        self.trials += 1
        self.progress("weights")
        return self._new_ndcg(self.factors(policy).total(weights), policy)

    def _new_ndcg(self, scores: np.ndarray, policy: DecayPolicy) -> float:
        owned, new_targets = self.new_items(policy)
        return self.new_metrics_of(top_k(scores, owned, K), new_targets).ndcg

    @staticmethod
    def new_metrics_of(
        ranked: Sequence[Sequence[int]] | np.ndarray, new_targets: Sequence[frozenset[int]]
    ) -> Metrics:
        """Metrics over the shoppers who chose something new to them."""
        return mean_metrics(
            user_metrics(list(r), t, (), K) for r, t in zip(ranked, new_targets, strict=True) if t
        )

    def new_items(self, policy: DecayPolicy) -> tuple[np.ndarray, list[frozenset[int]]]:
        """What each shopper bought or has (as ``recommend --new-only`` leaves it out), and
        what they then chose that was new to them."""
        if self._new_items is None:
            owned = self.nothing_excluded.copy()
            for i, taste in enumerate(self.prepared(policy)[1]):
                owned[i, [*taste.owned, *taste.purchases]] = True
            targets = [
                frozenset(r for r in t if not owned[i, r]) for i, t in enumerate(self.split.targets)
            ]
            self._new_items = owned, targets
        return self._new_items

    def metrics_of(self, ranked: Sequence[Sequence[int]] | np.ndarray) -> Metrics:
        return mean_metrics(
            user_metrics(list(r), t, (), K) for r, t in zip(ranked, self.split.targets, strict=True)
        )

    def policy(self, base: DecayPolicy, params: Mapping[str, Any]) -> DecayPolicy:
        return with_knobs(base, self.kind, params)

    def policy_params(self, policy: DecayPolicy) -> dict[str, Any]:
        return decay_knobs(policy, self.kind)

    def search(self, weights: RankWeights, policy: DecayPolicy) -> tuple[RankWeights, DecayPolicy]:
        """Weights, one pass over the half-lives, then the weights again."""
        weights = self.search_weights(weights, policy)
        found = coordinate_search(
            self.policy_params(policy),
            POLICY_GRID,
            lambda params: self.ndcg(weights, self.policy(policy, params)),
            passes=1,
        )
        moved = self.policy(policy, found.best)
        if moved != policy:
            policy = moved
            weights = self.search_weights(weights, policy)
        return weights, policy

    def search_weights(
        self, weights: RankWeights, policy: DecayPolicy, *, new_only: bool = False
    ) -> RankWeights:
        score = self.new_ndcg if new_only else self.ndcg
        found = coordinate_search(
            {name: getattr(weights, name) for name in WEIGHT_GRID},
            WEIGHT_GRID,
            lambda params: score(weights.model_copy(update=params), policy),
        )
        return weights.model_copy(update=found.best)

    def search_buy_again(
        self, weights: RankWeights, policy: DecayPolicy
    ) -> tuple[RankWeights, BuyAgainPolicy]:
        """Buy-again's weight with how re-orders are read (:data:`BUY_AGAIN_GRID`)."""
        start = {"buy_again": weights.buy_again} | {
            name: getattr(DEFAULT_BUY_AGAIN, name) for name in BUY_AGAIN_GRID if name != "buy_again"
        }

        def split(params: Mapping[str, Any]) -> tuple[RankWeights, BuyAgainPolicy]:
            shape = {name: value for name, value in params.items() if name != "buy_again"}
            return (
                weights.model_copy(update={"buy_again": params["buy_again"]}),
                DEFAULT_BUY_AGAIN.model_copy(update=shape),
            )

        def score(params: Mapping[str, Any]) -> float:
            tried, shape = split(params)
            return self.ndcg(tried, policy, shape)

        return split(coordinate_search(start, BUY_AGAIN_GRID, score).best)

    def served(
        self,
        policy: DecayPolicy,
        weights: dict[ShopperMode, RankWeights],
        mode: ShopperMode,
        *,
        new_only: bool = False,
        buy_again: BuyAgainPolicy = DEFAULT_BUY_AGAIN,
    ) -> Metrics:
        """Metrics of the lists ``HybridRanker.rank`` serves in ``mode``, diversity and all;
        with ``new_only``, of the lists without what each shopper has, on what was new to
        them (as ``recommend --new-only`` serves)."""
        self.progress("serving")
        ranker = self.ranker(policy, weights, buy_again)
        ranked = []
        with threadpool_limits(limits=1, user_api="blas"):
            for shopper, taste in zip(self.split.shoppers, self.prepared(policy)[1], strict=True):
                request = RankInput(
                    mode=mode, k=K, taste=taste, shopper_id=shopper, new_only=new_only
                )
                suggestions = ranker.rank(request, self.split.cut)
                rows = (self.catalog.row(s.item.item_id) for s in suggestions)
                ranked.append([r for r in rows if r is not None])
        if new_only:
            return self.new_metrics_of(ranked, self.new_items(policy)[1])
        return self.metrics_of(ranked)

    def baselines(self, policy: DecayPolicy) -> dict[str, Metrics]:
        """The shop's recently popular items, and each shopper's own past items by count
        (popularity does not fade with ``policy``: any prepared snapshot has it)."""
        self.progress("baselines")
        index = self.prepared(policy)[0]
        popular = np.broadcast_to(index.popularity, self.nothing_excluded.shape)
        counts = np.zeros(self.nothing_excluded.shape, dtype=np.float32)
        for i, events in enumerate(self.split.histories):
            for event in events:
                row = self.catalog.row(event.item_id)
                if row is not None and event.kind is EventKind.PURCHASE and not event.recipient:
                    counts[i, row] += 1.0
        # Ties among one's own items (and the rest) go to what the shop sells most now.
        counts += 1e-3 * popular
        return {
            "popular": self.metrics_of(top_k(popular, self.nothing_excluded, K)),
            "buy again by count": self.metrics_of(top_k(counts, self.nothing_excluded, K)),
        }


def ranker_at_cut(
    split: HistorySplit,
    catalog: CatalogIndex,
    countries: Mapping[str, str | None],
    policy: DecayPolicy,
    weights: Mapping[ShopperMode, RankWeights],
    buy_again: BuyAgainPolicy = DEFAULT_BUY_AGAIN,
) -> HybridRanker:
    """The ranker as it would have stood at the split's cut, knowing only what came before."""
    index = InteractionIndex.build(
        split.train, catalog, now=split.cut, policy=policy, countries=countries
    )
    return HybridRanker(catalog, index, policy, dict(weights), buy_again=buy_again)


def decay_knobs(policy: DecayPolicy, kind: EventKind) -> dict[str, Any]:
    """The searched decay knobs as ``policy`` has them ("half_life" is ``kind``'s)."""
    return {
        "half_life": policy.half_life(kind),
        "recent_boost": policy.recent_boost,
        "recent_days": policy.recent_days,
        "neighbour_days": policy.neighbour_days,
        "next_days": policy.next_days,
    }


def with_knobs(base: DecayPolicy, kind: EventKind, knobs: Mapping[str, Any]) -> DecayPolicy:
    """``base`` with the searched decay knobs applied."""
    return base.model_copy(
        update={
            f"{kind.value}_days": knobs["half_life"],
            "recent_boost": knobs["recent_boost"],
            "recent_days": knobs["recent_days"],
            "neighbour_days": knobs["neighbour_days"],
            "next_days": knobs.get("next_days", base.next_days),
        }
    )


def tune(
    split: HistorySplit,
    catalog: CatalogIndex,
    *,
    countries: Mapping[str, str | None],
    policy: DecayPolicy,
    weights: Mapping[ShopperMode, RankWeights],
    mode: ShopperMode = ShopperMode.BROWSING,
    progress: Progress | None = None,
) -> TuneResult:
    """Search from ``weights[mode]`` and ``policy`` (and how re-orders are read, from the
    built-in reading); serve the winner in ``mode``."""
    tuner = ShopTuner(split, catalog, countries, progress)
    found, tuned_policy = tuner.search(weights[mode], policy)
    found, shape = tuner.search_buy_again(found, tuned_policy)

    def with_knobs(knobs: Mapping[str, Any]) -> dict[ShopperMode, RankWeights]:
        searched = {name: getattr(found, name) for name in WEIGHT_GRID}
        tuned = dict(weights)
        for m in TUNED_MODES:
            tuned[m] = weights[m].model_copy(update=searched)
        tuned[mode] = tuned[mode].model_copy(update=knobs)
        return tuned

    served: dict[str, Metrics] = {}

    def served_ndcg(knobs: dict[str, Any]) -> float:
        tuner.trials += 1
        served[repr(sorted(knobs.items()))] = metrics = tuner.served(
            tuned_policy, with_knobs(knobs), mode, buy_again=shape
        )
        return metrics.ndcg

    start = {name: getattr(weights[mode], name) for name in SERVED_GRID}
    best = coordinate_search(start, SERVED_GRID, served_ndcg, passes=1).best
    validation = {
        "tuned": served[repr(sorted(best.items()))],
        "defaults": tuner.served(policy, dict(weights), mode),
        **tuner.baselines(policy),
    }
    adopted = validation["tuned"].ndcg > validation["defaults"].ndcg
    chosen = with_knobs(best) if adopted else dict(weights)
    chosen_policy = tuned_policy if adopted else policy
    new_only_choice, new_only_weights = _choose_new_only(
        tuner, chosen_policy, chosen, weights if adopted else None, mode, validation
    )
    return TuneResult(
        weights=chosen,
        policy=chosen_policy,
        validation=validation,
        adopted=adopted,
        trials=tuner.trials,
        shoppers=len(split.shoppers),
        new_only_weights=new_only_weights,
        new_only_choice=new_only_choice,
        buy_again=shape if adopted else DEFAULT_BUY_AGAIN,
    )


def _choose_new_only(
    tuner: ShopTuner,
    policy: DecayPolicy,
    chosen: dict[ShopperMode, RankWeights],
    defaults: Mapping[ShopperMode, RankWeights] | None,
    mode: ShopperMode,
    validation: dict[str, Metrics],
) -> tuple[str, dict[ShopperMode, RankWeights] | None]:
    """Which weights serve the lists without what each shopper has best, and they when
    not ``chosen``: ``chosen`` (the whole list's), the built-in ``defaults`` (None when
    ``chosen`` are they), or ``chosen`` searched again on what was new to each shopper
    alone (a shop where most orders are re-orders would otherwise pick its discovery
    weights by how well they leave the re-orders be). Their metrics go to ``validation``."""
    searched = tuner.search_weights(chosen[mode], policy, new_only=True)
    changed = {name: getattr(searched, name) for name in WEIGHT_GRID}
    discovery = dict(chosen)
    for m in TUNED_MODES:
        discovery[m] = chosen[m].model_copy(update=changed)
    candidates = {"tuned" if defaults is not None else "defaults": chosen, "discovery": discovery}
    if defaults is not None:
        candidates["defaults"] = dict(defaults)
    served = {
        name: tuner.served(policy, weights, mode, new_only=True)
        for name, weights in candidates.items()
    }
    for name, metrics in served.items():
        validation[f"{name} (new only)"] = metrics
    # A tie goes to the whole list's weights: one set of weights is simpler to explain.
    best = max(served, key=lambda name: served[name].ndcg)
    return best, None if candidates[best] is chosen else candidates[best]
