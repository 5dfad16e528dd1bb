"""What all shoppers did, as sparse matrices: similar shoppers, co-purchases, trends.

Two shopper×item matrices are kept. ``engagement`` fades each event as a shopper's own
taste does and says who is alike; ``recent_engagement`` fades everything with the
policy's ``neighbour_days`` and says what those alike shoppers chose lately, which is
what the community factor suggests.

Built in one pass over the event log and kept in memory. It is a snapshot: the
agent rebuilds it after ingestion and now and then, while each shopper's *own*
history is always read fresh, so one shopper's new event changes their next answer
at once and everyone else's a little later.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

import numpy as np
from scipy import sparse

from tools.buy_again import RepurchaseIntervals
from tools.catalog_index import CatalogIndex
from tools.latent import LatentFactors, LatentSettings
from tools.sequence import CHOSEN_KINDS, NextChoices
from tools.signals import DecayPolicy, EventColumns, ages_in_days, event_weights
from tools.trending import SalesPace
from tools.types import EventKind

#: Event kinds that say "this shopper engaged with this item" (returns take it back).
ENGAGEMENT_VALUES = [
    k.value
    for k in (
        EventKind.PURCHASE,
        EventKind.CART,
        EventKind.LIKE,
        EventKind.RATING,
        EventKind.RETURN,
    )
]

#: "Popular right now" is said of an item only when at least this many shoppers bought
#: it within the trending window (30 days by default) *and* more shoppers bought it than
#: bought the median item among those anyone bought in that window. Both are needed: in
#: a quiet shop the median item has one buyer, in a busy one five buyers is below it.
#: Below the threshold a reason says nothing about popularity (the evidence still
#: carries the true count). See :attr:`InteractionIndex.popular_now`.
POPULAR_MIN_BUYERS = 5
#: The ``ref`` of popularity evidence for an item above that threshold.
POPULAR_NOW = "popular_now"
#: Items whose co-engagement is worked out at once (see :func:`_item_cosine`).
ITEM_BLOCK = 4096


class Neighbour(NamedTuple):
    """A shopper alike the one ranked for: made by the hundred per ranking, so a tuple."""

    shopper_id: str
    row: int
    similarity: float
    country: str | None


class InteractionIndex:
    """Sparse shopper×item engagement, item×item co-engagement and item popularity."""

    def __init__(
        self,
        *,
        shopper_ids: list[str],
        countries: list[str | None],
        engagement: sparse.csr_matrix,
        co_engagement: sparse.csr_matrix,
        popularity: np.ndarray,
        recent_buyers: np.ndarray,
        built_at: datetime,
        trending_days: float,
        intervals: RepurchaseIntervals | None = None,
        pace: SalesPace | None = None,
        recent_engagement: sparse.csr_matrix | None = None,
        latest_days: sparse.spmatrix | None = None,
        next_choices: NextChoices | None = None,
        latent: LatentFactors | None = None,
    ) -> None:
        self.shopper_ids = shopper_ids
        self.countries = countries
        self._row_of = {sid: row for row, sid in enumerate(shopper_ids)}
        self.engagement = engagement
        norms = np.sqrt(np.asarray(engagement.multiply(engagement).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._unit_rows = sparse.csr_matrix(sparse.diags(1.0 / norms) @ engagement)
        # Finding neighbours reads the columns of the shopper's own items only.
        self._unit_by_item = _by_column(self._unit_rows)
        self.co_engagement = co_engagement
        # Column access (who else engaged with this item, which items lead to it) is
        # on the evidence path: compressed-column copies make it a slice, not a search.
        self._co_by_target = _by_column(co_engagement)
        #: What the community factor weighs: engagement faded by ``neighbour_days``.
        self.recent_engagement = engagement if recent_engagement is None else recent_engagement
        self._recent_by_item = _by_column(self.recent_engagement)
        #: Days before ``built_at`` of each shopper's latest positive engagement with each
        #: item, stored +1 so that "today" is not an implicit zero of the sparse matrix;
        #: compressed by column.
        self.latest_days = _by_column(
            sparse.csc_matrix(
                latest_days if latest_days is not None else engagement.shape, dtype=np.float32
            )
        )
        self.popularity = popularity
        #: Items no one has engaged with or bought, in a shop where others have been:
        #: nothing collaborative is known about them yet.
        self.unsold = (
            (engagement.getnnz(axis=0) == 0) & (popularity == 0)
            if engagement.nnz
            else np.zeros(popularity.size, dtype=bool)
        )
        self.recent_buyers = recent_buyers
        self.popular_now = popular_now(recent_buyers)
        self.built_at = built_at
        self.trending_days = trending_days
        #: Orders lately against the months before (what the trending factor reads).
        self.pace = pace or SalesPace.empty(popularity.size)
        self.rising = self.pace.scores()
        self.intervals = intervals or RepurchaseIntervals.empty(popularity.size)
        #: What shoppers chose in their next orders after each item.
        self.next_choices = next_choices or NextChoices.empty(popularity.size)
        self._latent = latent
        self._fitting = threading.Lock()

    @classmethod
    def empty(cls, n_items: int, now: datetime) -> InteractionIndex:
        zero = sparse.csr_matrix((0, n_items), dtype=np.float32)
        return cls(
            shopper_ids=[],
            countries=[],
            engagement=zero,
            co_engagement=sparse.csr_matrix((n_items, n_items), dtype=np.float32),
            popularity=np.zeros(n_items, dtype=np.float32),
            recent_buyers=np.zeros(n_items, dtype=np.int32),
            built_at=now,
            trending_days=30.0,
        )

    @classmethod
    def build(
        cls,
        events: EventColumns,
        catalog: CatalogIndex,
        *,
        now: datetime,
        policy: DecayPolicy,
        countries: Mapping[str, str | None] | None = None,
        excluded_event_ids: frozenset[str] = frozenset(),
        trending_days: float = 30.0,
        neighbours_per_item: int = 100,
        fit_latent: bool = True,
    ) -> InteractionIndex:
        """Everyone's events as they stood at ``now``, in a few vectorised passes.

        Events in ``excluded_event_ids`` (held for a question) and events bought for
        someone else are left out of everyone's taste but still count as popularity.
        The latent item factors are fitted to the engagement now when ``fit_latent``,
        else on first use.
        """
        countries = countries or {}
        n_items = len(catalog)
        # Straight into the array: a list of a million row numbers is 36 MB of objects.
        cols = np.fromiter(
            (catalog.row(i) if i in catalog else -1 for i in events.item_ids),
            dtype=np.int64,
            count=len(events.item_ids),
        )
        age = ages_in_days(events.at, now)
        known = (cols >= 0) & (age >= 0)

        purchases = known & (events.kinds == EventKind.PURCHASE.value)
        trend = np.bincount(
            cols[purchases],
            weights=np.power(0.5, age[purchases] / trending_days),
            minlength=n_items,
        )
        recent = purchases & (age <= trending_days)
        pairs = {(s, c) for s, c in zip(events.shopper_ids[recent], cols[recent], strict=True)}
        recent_buyers = np.bincount(
            np.fromiter((c for _, c in pairs), dtype=np.int64, count=len(pairs)),
            minlength=n_items,
        ).astype(np.int32)

        engaged = known & np.isin(events.kinds, ENGAGEMENT_VALUES) & ~events.for_someone_else
        if excluded_event_ids:
            engaged &= ~np.isin(events.event_ids, list(excluded_event_ids))
        shopper_ids, rows = np.unique(events.shopper_ids[engaged], return_inverse=True)
        shape = (len(shopper_ids), n_items)
        item_cols = cols[engaged]
        weights = event_weights(events, now, policy)[engaged]
        engagement = _engagement(weights, rows, item_cols, shape)
        recent_weights = event_weights(events, now, policy.for_neighbours())[engaged]
        recent = _engagement(recent_weights, rows, item_cols, shape)
        chosen = weights > 0
        latest = _latest_days(age[engaged][chosen], rows[chosen], item_cols[chosen], shape)

        pace = SalesPace.from_orders(cols[purchases], age[purchases], n_items)
        popularity = np.log1p(trend)
        if popularity.max(initial=0.0) > 0:
            popularity /= popularity.max()
        # Re-order gaps come from shoppers' own purchases only: a gift bought twice is
        # no habit.
        own = purchases & ~events.for_someone_else
        if excluded_event_ids:
            own &= ~np.isin(events.event_ids, list(excluded_event_ids))
        intervals = RepurchaseIntervals.from_orders(
            events.shopper_ids[own], cols[own], -age[own], n_items
        )
        # What came next is read from what shoppers chose for themselves: purchases and
        # ratings, not gifts or events held for a question.
        by_kind = np.isin(events.kinds, [k.value for k in CHOSEN_KINDS])
        chosen_own = known & by_kind & ~events.for_someone_else
        if excluded_event_ids:
            chosen_own &= ~np.isin(events.event_ids, list(excluded_event_ids))
        next_choices = NextChoices.from_orders(
            events.shopper_ids[chosen_own],
            cols[chosen_own],
            events.at[chosen_own].astype(np.int64),
            n_items,
        )
        ids = [str(s) for s in shopper_ids]
        return cls(
            shopper_ids=ids,
            countries=[countries.get(s) for s in ids],
            engagement=engagement,
            co_engagement=_item_cosine(engagement, neighbours_per_item),
            popularity=popularity.astype(np.float32),
            recent_buyers=recent_buyers,
            built_at=now,
            trending_days=trending_days,
            intervals=intervals,
            pace=pace,
            recent_engagement=recent,
            latest_days=latest,
            next_choices=next_choices,
            latent=LatentFactors.fit(engagement, LatentSettings()) if fit_latent else None,
        )

    def without(self, shopper_ids: Collection[str]) -> InteractionIndex:
        """This index with these shoppers' rows taken out: no one finds them as a
        neighbour, counts them among an item's choosers or reads what they chose. The
        shop-wide sums built from everyone's rows (co-engagement, popularity, trends,
        re-order intervals, next choices, latent item factors) are kept as they were;
        only a rebuild takes their share out of those."""
        gone = [self._row_of[s] for s in shopper_ids if s in self._row_of]
        if not gone:
            return self
        keep = np.setdiff1d(np.arange(len(self.shopper_ids)), gone)
        recent = None if self.recent_engagement is self.engagement else self.recent_engagement
        return InteractionIndex(
            shopper_ids=[self.shopper_ids[r] for r in keep],
            countries=[self.countries[r] for r in keep],
            engagement=sparse.csr_matrix(self.engagement[keep]),
            co_engagement=self.co_engagement,
            popularity=self.popularity,
            recent_buyers=self.recent_buyers,
            built_at=self.built_at,
            trending_days=self.trending_days,
            intervals=self.intervals,
            pace=self.pace,
            recent_engagement=None if recent is None else sparse.csr_matrix(recent[keep]),
            latest_days=self.latest_days[keep],
            next_choices=self.next_choices,
            latent=self._latent,
        )

    @property
    def latent(self) -> LatentFactors:
        """Item factors fitted to ``engagement``, placing shoppers by latent taste;
        fitted on first use when the build did not, so a shop whose ranking gives them
        no weight never pays for the fit."""
        with self._fitting:
            if self._latent is None:
                self._latent = LatentFactors.fit(self.engagement, LatentSettings())
            return self._latent

    @property
    def fitted_latent(self) -> LatentFactors | None:
        """The latent item factors if they have been fitted, without fitting them."""
        return self._latent

    def row_of(self, shopper_id: str) -> int | None:
        """The shopper's row in the engagement matrix, if they engaged with anything."""
        return self._row_of.get(shopper_id)

    @property
    def n_items(self) -> int:
        return int(self.engagement.shape[1])

    def co_engagement_scores(self, item_weights: Mapping[int, float]) -> np.ndarray:
        """For every item, how strongly it is co-engaged with the weighted items given."""
        n = self.co_engagement.shape[0]
        rows = [r for r in item_weights if r < n]
        if not rows:
            return np.zeros(self.n_items, dtype=np.float32)
        weights = np.array([item_weights[r] for r in rows], dtype=np.float32)
        # Only the shopper's own rows of the item×item matrix matter.
        return _weighted_rows(self.co_engagement, np.array(rows, dtype=np.int64), weights)

    @cached_property
    def choosers(self) -> np.ndarray:
        """How many shoppers chose each item (bought, carted, liked or rated it for
        themselves, and kept it)."""
        return np.diff(self._unit_by_item.indptr)

    def chosen_with(self, item_row: int, *, other_than: str | None = None) -> np.ndarray:
        """For each item, how many shoppers chose both it and ``item_row``, leaving out the
        shopper ``other_than`` (who is asking, and is no evidence to themselves)."""
        if item_row >= self.n_items:
            return np.zeros(self.n_items, dtype=np.int64)
        start, end = self._unit_by_item.indptr[item_row], self._unit_by_item.indptr[item_row + 1]
        shoppers = self._unit_by_item.indices[start:end]
        if other_than in self._row_of:
            shoppers = shoppers[shoppers != self._row_of[other_than]]
        chosen = self.engagement[shoppers]
        return np.bincount(chosen.indices, minlength=self.n_items)

    def co_engaged_pairs(self, source_rows: np.ndarray, target_row: int) -> np.ndarray:
        """Co-engagement of each source item with one target item (for evidence)."""
        return _lookup(self._co_by_target, target_row, source_rows)

    def neighbours(
        self,
        item_weights: Mapping[int, float],
        *,
        k: int,
        exclude: Collection[str | None] = (),
        country: str | None = None,
    ) -> list[Neighbour]:
        """The ``k`` shoppers whose engagement is most like ``item_weights``.

        With ``country`` set, only shoppers from that country are considered.
        """
        return self.nearest(self.likeness(item_weights, exclude=exclude, country=country), k)

    def likeness(
        self,
        item_weights: Mapping[int, float],
        *,
        exclude: Collection[str | None] = (),
        country: str | None = None,
    ) -> np.ndarray:
        """Every shopper's similarity to ``item_weights`` as :meth:`neighbours` ranks them:
        0 for the shoppers ``exclude`` names and, with ``country`` set, for those from
        elsewhere."""
        sims = np.zeros(self.engagement.shape[0], dtype=np.float32)
        if not item_weights or self.engagement.shape[0] == 0:
            return sims
        cols = [c for c in item_weights if c < self.n_items]
        vals = _neighbour_query(np.array([item_weights[c] for c in cols], dtype=np.float32))
        if not vals.any():
            return sims
        # Only the shopper's own item columns are read.
        sims = _weighted_rows(self._unit_by_item, np.array(cols, dtype=np.int64), vals)
        for shopper_id in exclude:
            if shopper_id in self._row_of:
                sims[self._row_of[shopper_id]] = 0.0
        if country is not None:
            mask = np.array([c == country for c in self.countries], dtype=bool)
            sims = np.where(mask, sims, 0.0)
        return sims

    def nearest(self, likeness: np.ndarray, k: int) -> list[Neighbour]:
        """The ``k`` most similar shoppers by ``likeness`` (from :meth:`likeness`), best
        first."""
        return self.neighbours_at(likeness, self.nearest_rows(likeness, k))

    def nearest_rows(
        self, likeness: np.ndarray, k: int, *, leave_out: Collection[int] = ()
    ) -> np.ndarray:
        """The rows of :meth:`nearest`'s shoppers; with the shoppers in rows ``leave_out``
        left out, exactly the rows :meth:`likeness` would give had it excluded them."""
        sims = likeness
        if len(leave_out):
            sims = likeness.copy()
            sims[np.fromiter(leave_out, dtype=np.int64, count=len(leave_out))] = 0.0
        k = min(k, int(np.count_nonzero(sims > 0)))
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        top = np.argpartition(-sims, k - 1)[:k]
        return top[np.argsort(-sims[top])]

    def nearest_pool(self, likeness: np.ndarray, size: int) -> NearestPool:
        """The ``size`` shoppers most like one (by ``likeness``), to find the nearest
        among them many times over with different shoppers left out."""
        rows = self.nearest_rows(likeness, size)
        return NearestPool(rows, complete=len(rows) < size)

    def nearest_rows_without(
        self, pool: NearestPool, likeness: np.ndarray, k: int, leave_out: Collection[int]
    ) -> np.ndarray:
        """:meth:`nearest_rows` with the shoppers in rows ``leave_out`` left out: the same
        shoppers, read off ``pool`` (from :meth:`nearest_pool`) when it tells which they are,
        worked out in full when it does not (too many left out, or a tie at the k-th).
        Shoppers equally like come in the pool's order."""
        out = np.zeros(len(self.shopper_ids), dtype=bool)
        out[np.fromiter(leave_out, dtype=np.int64, count=len(leave_out))] = True
        rest = pool.rows[~out[pool.rows]]
        if len(rest) > k and likeness[rest[k - 1]] > likeness[rest[k]]:
            return rest[:k]
        if len(rest) <= k and pool.complete:
            return rest
        return self.nearest_rows(likeness, k, leave_out=leave_out)

    def neighbours_at(self, likeness: np.ndarray, rows: np.ndarray) -> list[Neighbour]:
        """The shoppers in ``rows``, each with their ``likeness``."""
        ids, countries = self.shopper_ids, self.countries
        return [
            Neighbour(ids[r], r, similarity, countries[r])
            for r, similarity in zip(rows.tolist(), likeness[rows].tolist(), strict=True)
        ]

    def similarities(self, item_weights: sparse.csr_matrix) -> np.ndarray:
        """:meth:`neighbours`' similarity of many shoppers (rows of taste weights by
        catalog row) to every shopper in the index, shoppers×index-shoppers."""
        query = item_weights.copy()
        if query.shape[1] != self.n_items:
            query.resize((query.shape[0], self.n_items))
        for row in range(query.shape[0]):
            start, end = query.indptr[row], query.indptr[row + 1]
            query.data[start:end] = _neighbour_query(query.data[start:end])
        return np.asarray((query @ self._unit_rows.T).toarray(), dtype=np.float32)

    def community_matrix(self, similarities: np.ndarray, k: int) -> np.ndarray:
        """:meth:`community_scores` of each row's ``k`` most similar shoppers, for many
        shoppers at once (``similarities`` from :meth:`similarities`, with anyone who
        may not be a neighbour already set to 0)."""
        n_rows, n_shoppers = similarities.shape
        if n_shoppers == 0 or n_rows == 0:
            return np.zeros((n_rows, self.n_items), dtype=np.float32)
        k = min(k, n_shoppers)
        top = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
        top_sims = np.maximum(np.take_along_axis(similarities, top, axis=1), 0.0)
        # Shoppers with no similarity add nothing to either sum, as neighbours() drops them.
        chosen = sparse.csr_matrix(
            (top_sims.ravel(), top.ravel(), np.arange(0, n_rows * k + 1, k)),
            shape=(n_rows, n_shoppers),
        )
        sums = top_sims.sum(axis=1, keepdims=True)
        scores = np.asarray((chosen @ self.recent_engagement).toarray(), dtype=np.float32)
        return np.divide(scores, sums, out=np.zeros_like(scores), where=sums > 0)

    def community_scores(self, neighbours: list[Neighbour]) -> np.ndarray:
        """Similarity-weighted recent engagement of the neighbours, for every item: each
        neighbour's choices fade with the policy's ``neighbour_days``."""
        if not neighbours:
            return np.zeros(self.n_items, dtype=np.float32)
        rows = np.array([n.row for n in neighbours], dtype=np.int64)
        sims = np.array([n.similarity for n in neighbours], dtype=np.float32)
        scores = _weighted_rows(self.recent_engagement, rows, sims) / float(sims.sum())
        return scores.astype(np.float32)

    def community_score(self, likeness: np.ndarray, rows: np.ndarray, item_row: int) -> float:
        """:meth:`community_scores` of one item for the shoppers in ``rows`` (weighed by
        their ``likeness``), without scoring the whole catalog; in double precision, so it
        may differ from the single-precision vector in the last digits."""
        sims = likeness[rows].astype(np.float64)
        total = float(sims.sum())
        if total <= 0:
            return 0.0
        return float(sims @ _lookup(self._recent_by_item, item_row, rows)) / total

    def neighbour_choices(
        self, neighbour_rows: np.ndarray, item_row: int, now: datetime
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which of the neighbours (by their shopper rows) are behind ``item_row``'s
        community score, as positions in ``neighbour_rows`` in its order, and how many
        days before ``now`` each last chose it."""
        latest = _lookup(self.latest_days, item_row, neighbour_rows)
        recent = _lookup(self._recent_by_item, item_row, neighbour_rows)
        behind = np.flatnonzero((recent > 0) & (latest > 0))
        since_build = (now - self.built_at).total_seconds() / 86400.0
        return behind, np.maximum(latest[behind] - 1.0 + since_build, 0.0)


class NearestPool(NamedTuple):
    """Shoppers' rows, most like one shopper first: every shopper with any likeness
    (``complete``), or the most alike of them."""

    rows: np.ndarray
    complete: bool


def _neighbour_query(weights: np.ndarray) -> np.ndarray:
    """A shopper's taste weights as a neighbour query: dampened like everyone's
    engagement (log1p), then of unit length (zeros when nothing is left)."""
    values = np.log1p(np.clip(weights, 0.0, None)).astype(np.float32)
    norm = float(np.linalg.norm(values))
    return values / norm if norm > 0 else values


def _engagement(
    weights: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]
) -> sparse.csr_matrix:
    """Summed event weights per shopper and item, dampened by log1p; returns that take
    back more than was chosen leave nothing."""
    matrix = sparse.csr_matrix((weights.astype(np.float32), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.data = np.log1p(np.clip(matrix.data, 0.0, None)).astype(np.float32)
    matrix.eliminate_zeros()
    return matrix


def _latest_days(
    age: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]
) -> sparse.csr_matrix:
    """1 + the age in days of each shopper's latest event per item (the +1 keeps a
    same-day event from being a stored zero)."""
    if age.size == 0:
        return sparse.csr_matrix(shape, dtype=np.float32)
    keys = rows.astype(np.int64) * shape[1] + cols
    order = np.lexsort((age, keys))  # by cell, youngest first
    keys, age = keys[order], age[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    return sparse.csr_matrix(
        ((age[first] + 1.0).astype(np.float32), (keys[first] // shape[1], keys[first] % shape[1])),
        shape=shape,
    )


def popular_now(recent_buyers: np.ndarray) -> np.ndarray:
    """Which items may be called popular right now (see :data:`POPULAR_MIN_BUYERS`)."""
    bought = recent_buyers[recent_buyers > 0]
    median = float(np.median(bought)) if bought.size else 0.0
    return (recent_buyers >= POPULAR_MIN_BUYERS) & (recent_buyers > median)


def _by_column(matrix: sparse.spmatrix) -> sparse.csc_matrix:
    """A compressed-column copy with sorted row indices, as :func:`_lookup` needs."""
    by_column = sparse.csc_matrix(matrix)
    by_column.sort_indices()
    return by_column


def _weighted_rows(
    matrix: sparse.csr_matrix | sparse.csc_matrix, rows: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``matrix[rows].T @ weights``, without making the slice: each stored value times its
    row's weight, added up per column in the product's own order (row by row), so in
    single precision it gives the very same numbers, for a fraction of scipy's slicing.
    Of a compressed-column matrix, the same by columns: ``matrix[:, rows] @ weights``."""
    starts, counts = matrix.indptr[rows], matrix.indptr[rows + 1] - matrix.indptr[rows]
    # Positions of the rows' stored values, row after row.
    take = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    size = matrix.shape[1] if matrix.format == "csr" else matrix.shape[0]
    out = np.zeros(size, dtype=np.result_type(matrix.dtype, weights.dtype))
    np.add.at(out, matrix.indices[take], matrix.data[take] * np.repeat(weights, counts))
    return out


def _lookup(matrix: sparse.csc_matrix, col: int, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows, col]`` (0 where nothing is stored) by binary search in the column,
    so a popular item's thousands of entries are never all read."""
    out = np.zeros(len(rows), dtype=np.float64)
    if col >= matrix.shape[1] or not len(rows):
        return out
    start, end = matrix.indptr[col], matrix.indptr[col + 1]
    if start == end:
        return out
    indices = matrix.indices[start:end]
    at = np.minimum(np.searchsorted(indices, rows), end - start - 1)
    found = indices[at] == rows
    out[found] = matrix.data[start:end][at[found]]
    return out


def _item_cosine(engagement: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Item×item cosine of who engaged with what, keeping each item's ``keep`` best.

    Computed :data:`ITEM_BLOCK` items at a time: the whole product at 100k items held tens of
    millions of pairs at once (over half a gigabyte) to keep a hundred per item. Each
    row of a sparse product depends on that row alone, so the blocks give the very
    numbers, in the very order, of the whole.
    """
    n_items = engagement.shape[1]
    if engagement.nnz == 0:
        return sparse.csr_matrix((n_items, n_items), dtype=np.float32)
    binary = engagement.copy()
    binary.data = np.ones_like(binary.data)
    norms = np.sqrt(np.asarray(binary.sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    unit = sparse.csc_matrix(binary @ sparse.diags(1.0 / norms))
    by_item, by_shopper = sparse.csr_matrix(unit.T), unit.tocsr()
    kept = []
    for start in range(0, n_items, ITEM_BLOCK):
        rows = by_item[start : start + ITEM_BLOCK]
        cosine = sparse.csr_matrix(rows @ by_shopper, dtype=np.float32)
        # Each item's likeness to itself says nothing about what goes with it.
        item = np.repeat(np.arange(cosine.shape[0]), np.diff(cosine.indptr)) + start
        cosine.data[cosine.indices == item] = 0.0
        cosine.eliminate_zeros()
        kept.append(_top_k_per_row(cosine, keep))
    return sparse.csr_matrix(sparse.vstack(kept, format="csr"))


def _top_k_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[start:end]
        cols = matrix.indices[start:end]
        if len(values) > keep:
            best = np.argpartition(-values, keep - 1)[:keep]
            values, cols = values[best], cols[best]
        indices.append(cols)
        data.append(values)
        indptr.append(indptr[-1] + len(values))
    return sparse.csr_matrix(
        (np.concatenate(data) if data else [], np.concatenate(indices) if indices else [], indptr),
        shape=matrix.shape,
        dtype=np.float32,
    )
