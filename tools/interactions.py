"""What all shoppers did, as sparse matrices: similar shoppers, co-purchases, trends.

Built in one pass over the event log and kept in memory. It is a snapshot: the
agent rebuilds it after ingestion and now and then, while each shopper's *own*
history is always read fresh, so one shopper's new event changes their next answer
at once and everyone else's a little later.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import sparse

from tools.catalog_index import CatalogIndex
from tools.signals import DecayPolicy, age_factor, days_between, event_weight
from tools.types import BehaviourEvent, EventKind

#: Event kinds that say "this shopper engaged with this item".
ENGAGEMENT_KINDS = frozenset({EventKind.PURCHASE, EventKind.CART, EventKind.LIKE, EventKind.RATING})


@dataclass(frozen=True)
class Neighbour:
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
    ) -> None:
        self.shopper_ids = shopper_ids
        self.countries = countries
        self._row_of = {sid: row for row, sid in enumerate(shopper_ids)}
        self.engagement = engagement
        norms = np.sqrt(np.asarray(engagement.multiply(engagement).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._unit_rows = sparse.csr_matrix(sparse.diags(1.0 / norms) @ engagement)
        self.co_engagement = co_engagement
        self.popularity = popularity
        self.recent_buyers = recent_buyers
        self.built_at = built_at
        self.trending_days = trending_days

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
        events: Iterable[BehaviourEvent],
        catalog: CatalogIndex,
        *,
        now: datetime,
        policy: DecayPolicy,
        countries: Mapping[str, str | None] | None = None,
        excluded_event_ids: frozenset[str] = frozenset(),
        trending_days: float = 30.0,
        neighbours_per_item: int = 100,
    ) -> InteractionIndex:
        """One pass over ``events`` as they stood at ``now``.

        Events in ``excluded_event_ids`` (bought for someone else, or held for a
        question) are left out of everyone's taste but still count as popularity.
        """
        countries = countries or {}
        n_items = len(catalog)
        shopper_rows: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        buyers: dict[int, set[int]] = {}
        trend = np.zeros(n_items, dtype=np.float64)
        for event in events:
            col = catalog.row(event.item_id)
            if col is None or event.at > now:
                continue
            age = days_between(event.at, now)
            if event.kind is EventKind.PURCHASE:
                trend[col] += age_factor(age, trending_days)
                if age <= trending_days:
                    buyers.setdefault(col, set()).add(hash(event.shopper_id))
            if event.kind not in ENGAGEMENT_KINDS and event.kind is not EventKind.RETURN:
                continue
            if event.event_id in excluded_event_ids or event.recipient:
                continue
            row = shopper_rows.setdefault(event.shopper_id, len(shopper_rows))
            rows.append(row)
            cols.append(col)
            weights.append(event_weight(event, now, policy))
        shape = (len(shopper_rows), n_items)
        engagement = sparse.csr_matrix(
            (np.asarray(weights, dtype=np.float32), (rows, cols)), shape=shape
        )
        engagement.sum_duplicates()
        engagement.data = np.log1p(np.clip(engagement.data, 0.0, None)).astype(np.float32)
        engagement.eliminate_zeros()
        recent = np.zeros(n_items, dtype=np.int32)
        for col, who in buyers.items():
            recent[col] = len(who)
        popularity = np.log1p(trend)
        if popularity.max(initial=0.0) > 0:
            popularity /= popularity.max()
        shopper_ids = sorted(shopper_rows, key=shopper_rows.__getitem__)
        return cls(
            shopper_ids=shopper_ids,
            countries=[countries.get(s) for s in shopper_ids],
            engagement=engagement,
            co_engagement=_item_cosine(engagement, neighbours_per_item),
            popularity=popularity.astype(np.float32),
            recent_buyers=recent,
            built_at=now,
            trending_days=trending_days,
        )

    @property
    def n_items(self) -> int:
        return int(self.engagement.shape[1])

    def co_engagement_scores(self, item_weights: Mapping[int, float]) -> np.ndarray:
        """For every item, how strongly it is co-engaged with the weighted items given."""
        out = np.zeros(self.n_items, dtype=np.float32)
        if not item_weights or self.co_engagement.shape[0] == 0:
            return out
        rows = np.fromiter(item_weights.keys(), dtype=np.int64)
        vals = np.fromiter(item_weights.values(), dtype=np.float32)
        keep = rows < self.co_engagement.shape[0]
        rows, vals = rows[keep], vals[keep]
        if rows.size == 0:
            return out
        out = np.asarray(self.co_engagement[rows].T @ vals).ravel().astype(np.float32)
        return out

    def co_engaged_pairs(self, source_rows: list[int], target_row: int) -> list[float]:
        """Co-engagement of each source item with one target item (for evidence)."""
        if target_row >= self.co_engagement.shape[0]:
            return [0.0] * len(source_rows)
        column = self.co_engagement[:, target_row]
        return [float(column[r, 0]) if r < column.shape[0] else 0.0 for r in source_rows]

    def neighbours(
        self,
        item_weights: Mapping[int, float],
        *,
        k: int,
        exclude: str | None = None,
        country: str | None = None,
    ) -> list[Neighbour]:
        """The ``k`` shoppers whose engagement is most like ``item_weights``.

        With ``country`` set, only shoppers from that country are considered.
        """
        if not item_weights or self.engagement.shape[0] == 0:
            return []
        cols = [c for c in item_weights if c < self.n_items]
        vals = np.array([math.log1p(max(item_weights[c], 0.0)) for c in cols], dtype=np.float32)
        norm = float(np.linalg.norm(vals))
        if norm == 0:
            return []
        sims = np.asarray(self._unit_rows[:, cols] @ (vals / norm)).ravel()
        if exclude is not None and exclude in self._row_of:
            sims[self._row_of[exclude]] = 0.0
        if country is not None:
            mask = np.array([c == country for c in self.countries], dtype=bool)
            sims = np.where(mask, sims, 0.0)
        k = min(k, int(np.count_nonzero(sims > 0)))
        if k <= 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [
            Neighbour(self.shopper_ids[r], int(r), float(sims[r]), self.countries[r]) for r in top
        ]

    def community_scores(self, neighbours: list[Neighbour]) -> np.ndarray:
        """Similarity-weighted recent engagement of the neighbours, for every item."""
        if not neighbours:
            return np.zeros(self.n_items, dtype=np.float32)
        rows = [n.row for n in neighbours]
        sims = np.array([n.similarity for n in neighbours], dtype=np.float32)
        scores = np.asarray(self.engagement[rows].T @ sims).ravel() / float(sims.sum())
        return scores.astype(np.float32)

    def neighbours_engaged_with(
        self, neighbours: list[Neighbour], item_row: int
    ) -> list[Neighbour]:
        column = self.engagement[:, item_row]
        return [n for n in neighbours if column[n.row, 0] > 0]


def _item_cosine(engagement: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Item×item cosine of who engaged with what, keeping each item's ``keep`` best."""
    n_items = engagement.shape[1]
    if engagement.nnz == 0:
        return sparse.csr_matrix((n_items, n_items), dtype=np.float32)
    binary = engagement.copy()
    binary.data = np.ones_like(binary.data)
    norms = np.sqrt(np.asarray(binary.sum(axis=0)).ravel())
    norms[norms == 0] = 1.0
    unit = sparse.csc_matrix(binary @ sparse.diags(1.0 / norms))
    cosine = sparse.csr_matrix(unit.T @ unit, dtype=np.float32)
    cosine.setdiag(0.0)
    cosine.eliminate_zeros()
    return _top_k_per_row(cosine, keep)


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
