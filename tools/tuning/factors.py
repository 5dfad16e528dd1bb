"""The ranker's factors for many shoppers at once, as users×items matrices.

A score from :meth:`tools.ranker.HybridRanker.score_all` for a shopper with no request
and no stated facts is a weighted sum of factor vectors: taste (a text part and a
co-purchase part), similar shoppers, popularity, rising sales, buy-again, what others chose next,
latent taste and the penalties for owned and dismissed items. The vectors do not
depend on the weights, so they are computed once per decay policy and any weighting is
then one sum. Taste
signals, habits and neighbour similarities come from the ranker's own code; only the
sums are batched.
:func:`check` compares the result with ``score_all`` for a few shoppers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy import sparse

from tools.latent import engaged_weights
from tools.ranker import HybridRanker, RankInput, RankWeights
from tools.taste import CONTENT_BASELINE, TasteSignal
from tools.types import ShopperMode

#: Shoppers whose batched scores are compared with the ranker's before a search trusts them.
CHECK_SHOPPERS = 5
#: Weights :func:`check` may compare under: every factor of a shopper without a request
#: counts (the latent and trending factors are off in the base weights).
CHECK_WEIGHTS = RankWeights(latent=1.0, trending=1.0)


@dataclass
class Factors:
    """Unweighted factor matrices, users×items (popularity, rising: one row for everyone).

    Community depends on the neighbour count; each count is computed on first use.
    """

    content: np.ndarray
    co: np.ndarray
    popularity: np.ndarray
    rising: np.ndarray
    owned: np.ndarray
    dismissed: np.ndarray
    buy_again: np.ndarray
    bought_next: np.ndarray
    latent: np.ndarray
    unsold: np.ndarray
    community_for: Callable[[int], np.ndarray]
    _community: dict[int, np.ndarray] = field(default_factory=dict)

    def community(self, neighbours: int) -> np.ndarray:
        if neighbours not in self._community:
            self._community[neighbours] = self.community_for(neighbours)
        return self._community[neighbours]

    def total(self, weights: RankWeights) -> np.ndarray:
        """The ranker's total score for every user and item under ``weights``."""
        share = weights.taste_content_share
        taste = share * self.content + (1.0 - share) * self.co
        if weights.unsold_share > 0:
            # Items no one has bought are judged by text alone (HybridRanker.text_shares).
            taste = np.where(self.unsold[None, :], self.content, taste)
        total = weights.taste * taste
        total += weights.community * self.community(weights.neighbours)
        total += weights.popularity * self.popularity[None, :]
        total += weights.trending * self.rising[None, :]
        total -= weights.owned * self.owned
        total -= weights.dismissed * self.dismissed
        total += weights.buy_again * self.buy_again
        total += weights.bought_next * self.bought_next
        total += weights.latent * self.latent
        return total


def taste_matrix(tastes: Sequence[TasteSignal], n_items: int) -> sparse.csr_matrix:
    """Each shopper's taste weight per catalog row, shoppers×items."""
    return _per_item([t.item_weights for t in tastes], n_items)


def _per_item(values_by_row: Sequence[Mapping[int, float]], n_items: int) -> sparse.csr_matrix:
    """One row per shopper of a value per catalog row."""
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for i, found in enumerate(values_by_row):
        rows.extend([i] * len(found))
        cols.extend(found.keys())
        values.extend(found.values())
    return sparse.csr_matrix(
        (np.array(values, dtype=np.float32), (np.array(rows, np.int64), np.array(cols, np.int64))),
        shape=(len(values_by_row), n_items),
    )


def batch_factors(
    ranker: HybridRanker,
    shoppers: Sequence[str],
    tastes: Sequence[TasteSignal],
    now: datetime,
) -> Factors:
    """The factors of ``shoppers`` (with their taste signals) as the ranker scores them."""
    catalog, interactions = ranker.catalog, ranker.interactions
    n_items = len(catalog)
    weights = taste_matrix(tastes, n_items)
    totals = np.asarray(weights.sum(axis=1)).ravel()
    shares = sparse.csr_matrix(
        sparse.diags(1.0 / np.where(totals > 0, totals, 1.0)).astype(np.float32) @ weights
    )
    # Taste: weighted averages over the shopper's items (HybridRanker.taste_scores).
    similarity = np.asarray(shares @ catalog.vectors, dtype=np.float32) @ catalog.vectors.T
    content = np.clip((similarity - CONTENT_BASELINE) / (1.0 - CONTENT_BASELINE), 0.0, None)
    content[totals <= 0] = 0.0
    co = np.asarray((shares @ interactions.co_engagement).toarray(), dtype=np.float32)

    owned = np.zeros((len(tastes), n_items), dtype=np.float32)
    dismissed = np.zeros_like(owned)
    for i, taste in enumerate(tastes):
        owned[i, list(taste.owned)] = 1.0
        for row, (_, weight) in taste.dismissed.items():
            dismissed[i, row] = weight

    similarities = interactions.similarities(weights)
    for i, shopper in enumerate(shoppers):
        own = interactions.row_of(shopper)
        if own is not None:
            similarities[i, own] = 0.0  # never your own neighbour
    similarities[totals <= 0] = 0.0

    lately = _per_item([t.lately() for t in tastes], n_items)
    bought_next = np.asarray((lately @ interactions.next_choices.shares).toarray(), np.float32)

    latent = interactions.latent.score_matrix([engaged_weights(t) for t in tastes])

    return Factors(
        content=content.astype(np.float32),
        co=co,
        popularity=np.asarray(interactions.popularity, dtype=np.float32),
        rising=interactions.rising,
        owned=owned,
        dismissed=dismissed,
        buy_again=buy_again_matrix(ranker, tastes, now),
        bought_next=bought_next,
        latent=np.clip(latent, 0.0, None),
        unsold=interactions.unsold,
        community_for=lambda k: interactions.community_matrix(similarities, k),
    )


def buy_again_matrix(
    ranker: HybridRanker, tastes: Sequence[TasteSignal], now: datetime
) -> np.ndarray:
    """Each shopper's re-order scores under the ranker's buy-again policy, shoppers×items."""
    again = np.zeros((len(tastes), len(ranker.catalog)), dtype=np.float32)
    for i, taste in enumerate(tastes):
        for row, found in ranker.habits(taste, now).items():
            again[i, row] = found.score
    return again


def check(
    ranker: HybridRanker,
    factors: Factors,
    shoppers: Sequence[str],
    tastes: Sequence[TasteSignal],
    weights: RankWeights,
    now: datetime,
) -> bool:
    """Whether the batched total matches ``score_all`` for a spread of shoppers."""
    total = factors.total(weights)
    picks = sorted({int(i) for i in np.linspace(0, len(shoppers) - 1, CHECK_SHOPPERS)})
    for i in picks if shoppers else []:
        request = RankInput(
            mode=ShopperMode.PURCHASE, taste=tastes[i], shopper_id=shoppers[i], weights=weights
        )
        expected = ranker.score_all(request, weights, now).total()
        if not np.allclose(total[i], expected, rtol=1e-3, atol=1e-4):
            return False
    return True
