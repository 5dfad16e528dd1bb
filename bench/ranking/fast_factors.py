"""tactful's ranking factors for many shoppers at once: the tuning shortcut.

Tuning tries hundreds of weight settings. Every score the ranker makes is a weighted
sum of factor vectors (taste = text share × content + the rest × co-purchase,
community, popularity), so the unweighted vectors are computed once per decay policy
for all validation users together, and any weighting is then one sum and one top-k.

:func:`fast_factors` re-does :meth:`tools.ranker.HybridRanker.score_all` (and the
:class:`tools.interactions.InteractionIndex` methods it calls) as batched matrix
products, for a purchase-mode request with no query or facts. :func:`product_factors`
gets the same vectors from the product itself, one shopper at a time, slowly.
:func:`compute_factors` checks the first against the second on a sample of shoppers
and falls back to the product when they disagree, so a change to the ranker can slow
tuning down but never make it tune something other than the product.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
from scipy import sparse

from bench.ranking.tactful_method import TactfulMethod
from tools.ranker import CONTENT_BASELINE, RankWeights
from tools.signals import EventColumns, event_weights
from tools.types import FactorName

#: Shoppers compared between the fast path and the product before trusting the fast path.
CHECK_USERS = 8


@dataclass
class Factors:
    """Unweighted factor vectors, users×items, as the ranker would weight them.

    The community vectors depend on the neighbour count; each is made on first use,
    since a search over decay policies only ever asks for one.
    """

    content: np.ndarray
    co: np.ndarray
    popularity: np.ndarray
    community_for: Callable[[int], np.ndarray]
    path: str = "fast"
    _community: dict[int, np.ndarray] = field(default_factory=dict)

    def community(self, neighbours: int) -> np.ndarray:
        """Similarity-weighted engagement of each user's ``neighbours`` nearest shoppers."""
        if neighbours not in self._community:
            self._community[neighbours] = self.community_for(neighbours)
        return self._community[neighbours]

    def total(self, weights: RankWeights) -> np.ndarray:
        """The ranker's total score for every user and item under ``weights``."""
        share = weights.taste_content_share
        total = weights.taste * (share * self.content + (1.0 - share) * self.co)
        total = total + weights.community * self.community(weights.neighbours)
        return total + weights.popularity * self.popularity[None, :]


@dataclass(frozen=True)
class TrainIndex:
    """Where each user's train events sit in the split's columns, and their catalog rows."""

    rows: np.ndarray
    by_user: dict[str, np.ndarray]


def train_index(method: TactfulMethod) -> TrainIndex:
    """Group the split's train events by user once; every policy reuses the grouping."""
    train = method.split.train
    rows = np.array([method.catalog.row(i) if i in method.catalog else -1 for i in train.item_ids])
    order = np.argsort(train.shopper_ids, kind="stable")
    users, starts = np.unique(train.shopper_ids[order], return_index=True)
    groups = np.split(order, starts[1:])
    return TrainIndex(rows=rows, by_user={str(u): g for u, g in zip(users, groups, strict=True)})


def compute_factors(
    method: TactfulMethod,
    users: Sequence[str],
    check_neighbours: Sequence[int],
    train: TrainIndex | None = None,
) -> Factors:
    """The factors of ``users`` under the method's policy; fast when the fast path agrees.

    The check compares every factor (community at each of ``check_neighbours``) for a
    spread-out sample of users with what the product's ranker computes for them; with
    no ``check_neighbours`` the fast path is trusted (a caller that already checked it).
    """
    fast = fast_factors(method, users, train or train_index(method))
    if not check_neighbours:
        return fast
    count = min(CHECK_USERS, len(users))
    sample = sorted({int(i) for i in np.linspace(0, len(users) - 1, count)})
    reference = product_factors(method, [users[i] for i in sample])
    pairs = [
        (fast.content[sample], reference.content),
        (fast.co[sample], reference.co),
        (fast.popularity, reference.popularity),
    ]
    pairs += [(fast.community(k)[sample], reference.community(k)) for k in check_neighbours]
    if all(np.allclose(a, b, rtol=1e-3, atol=1e-5) for a, b in pairs):
        return fast
    warnings.warn(
        "bench.ranking.fast_factors no longer matches tools/ranker.py; tuning through the "
        "product instead (slow). Update fast_factors to match the ranker.",
        RuntimeWarning,
        stacklevel=2,
    )
    return product_factors(method, users)


def product_factors(method: TactfulMethod, users: Sequence[str]) -> Factors:
    """The factors as the product's ``score_all`` makes them, one request per factor."""
    requests = [method.rank_input(user, 10) for user in users]
    nows = [method.split.user_now[user] for user in users]

    def part(weights: RankWeights, name: FactorName) -> np.ndarray:
        rows = [
            method.ranker.score_all(request, weights, now).parts.get(name)
            for request, now in zip(requests, nows, strict=True)
        ]
        zero = np.zeros(len(method.catalog), dtype=np.float32)
        return np.vstack([zero if r is None else r for r in rows] or [zero[:0]])

    popularity = part(_unit(1.0, 0.0, 1.0, 1), FactorName.POPULARITY)
    return Factors(
        content=part(_unit(1.0, 0.0, 0.0, 1), FactorName.TASTE),
        co=part(_unit(0.0, 0.0, 0.0, 1), FactorName.TASTE),
        popularity=popularity[0] if len(popularity) else np.zeros(len(method.catalog)),
        community_for=lambda k: part(
            _unit(0.0, 1.0, 0.0, k).model_copy(update={"taste": 0.0}), FactorName.COMMUNITY
        ),
        path="product",
    )


def _unit(share: float, community: float, popularity: float, neighbours: int) -> RankWeights:
    """Weights that expose one factor each: no facts, penalties, request or diversity."""
    return RankWeights(
        taste=1.0,
        taste_content_share=share,
        stated=0.0,
        community=community,
        popularity=popularity,
        request=0.0,
        dismissed=0.0,
        owned=0.0,
        diversity=0.0,
        neighbours=neighbours,
    )


def fast_factors(method: TactfulMethod, users: Sequence[str], train: TrainIndex) -> Factors:
    """The same vectors for all ``users`` at once, as batched matrix products."""
    catalog, interactions = method.catalog, method.interactions
    weights = _taste_matrix(method, users, train)
    # Taste: weighted averages over the shopper's items (the ranker's _taste_average).
    totals = np.asarray(weights.sum(axis=1)).ravel()
    shares = sparse.csr_matrix(
        sparse.diags(1.0 / np.where(totals > 0, totals, 1.0)).astype(np.float32) @ weights
    )
    mean_vectors = np.asarray(shares @ catalog.vectors, dtype=np.float32)
    similarity = mean_vectors @ catalog.vectors.T
    content = np.clip((similarity - CONTENT_BASELINE) / (1.0 - CONTENT_BASELINE), 0.0, None)
    co = (shares @ interactions.co_engagement).toarray().astype(np.float32)
    return Factors(
        content=content.astype(np.float32),
        co=co,
        popularity=np.asarray(interactions.popularity, dtype=np.float32),
        community_for=_community_function(users, weights, method),
    )


def _taste_matrix(
    method: TactfulMethod, users: Sequence[str], train: TrainIndex
) -> sparse.csr_matrix:
    """Each user's taste weight per catalog row (taste_signal's item_weights), users×items.

    Uses the product's vectorised :func:`tools.signals.event_weights` on each user's own
    events, at the user's own "now"; only own purchases and ratings occur in these splits.
    """
    columns = method.split.train
    n_items = len(method.catalog)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for i, user in enumerate(users):
        index = train.by_user.get(user)
        if index is None:
            continue
        now = method.split.user_now[user]
        mine = EventColumns(**{f.name: getattr(columns, f.name)[index] for f in fields(columns)})
        weight = event_weights(mine, now, method.config.policy)
        known = (train.rows[index] >= 0) & (mine.at <= np.datetime64(now.replace(microsecond=0)))
        summed = np.bincount(train.rows[index][known], weights=weight[known], minlength=n_items)
        kept = np.flatnonzero(summed > 1e-6)
        rows.append(np.full(len(kept), i))
        cols.append(kept)
        vals.append(summed[kept])
    return sparse.csr_matrix(
        (
            np.concatenate(vals).astype(np.float32) if vals else np.zeros(0, np.float32),
            (
                np.concatenate(rows) if rows else np.zeros(0, int),
                np.concatenate(cols) if cols else np.zeros(0, int),
            ),
        ),
        shape=(len(users), n_items),
    )


def _community_function(
    users: Sequence[str], weights: sparse.csr_matrix, method: TactfulMethod
) -> Callable[[int], np.ndarray]:
    """Community vectors by neighbour count (neighbours(), community_scores()).

    Similarities to every shopper are computed once (on the taste-faded engagement);
    each count then only picks the top and weighs what they chose lately.
    """
    interactions = method.interactions
    n_users, n_items = weights.shape
    n_shoppers = interactions.engagement.shape[0]
    if n_shoppers == 0:
        return lambda k: np.zeros((n_users, n_items), dtype=np.float32)
    query = weights.copy()
    query.data = np.log1p(np.clip(query.data, 0.0, None)).astype(np.float32)
    norms = np.sqrt(np.asarray(query.multiply(query).sum(axis=1)).ravel())
    query = sparse.csr_matrix(sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ query)
    unit_rows = interactions._unit_rows  # the index's own normalised engagement rows
    sims = (query @ unit_rows.T).toarray().astype(np.float32)
    row_of = {sid: r for r, sid in enumerate(interactions.shopper_ids)}
    for i, user in enumerate(users):
        if user in row_of:
            sims[i, row_of[user]] = 0.0  # never your own neighbour

    def community(k: int) -> np.ndarray:
        k_eff = min(k, n_shoppers)
        top = np.argpartition(-sims, k_eff - 1, axis=1)[:, :k_eff]
        top_sims = np.take_along_axis(sims, top, axis=1)
        # Shoppers with zero similarity add nothing to either sum, as in the ranker.
        chosen = sparse.csr_matrix(
            (top_sims.ravel(), top.ravel(), np.arange(0, n_users * k_eff + 1, k_eff)),
            shape=(n_users, n_shoppers),
        )
        sums = top_sims.sum(axis=1, keepdims=True)
        scores = (chosen @ interactions.recent_engagement).toarray().astype(np.float32)
        return np.divide(scores, sums, out=np.zeros_like(scores), where=sums > 0)

    return community
