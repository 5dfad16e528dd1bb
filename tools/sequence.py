"""What shoppers chose next: item-to-item transitions from the shop's order sequences.

An order is one shopper's events at one moment. When an order holding item ``j`` is
followed, within the shopper's next :data:`NEXT_ORDERS` orders and :data:`NEXT_DAYS`
days, by an order holding item ``i``, that is one transition ``j → i``. The shop-wide
counts say what tends to come after what; a shopper who has just chosen ``j`` is then
shown what others went on to choose. Each row keeps only its most frequent
:data:`KEPT_PER_ITEM` successors, so memory grows with the catalog, not with its square.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse

from tools.types import EventKind

#: Kinds that say a shopper chose an item: what came next is read from these.
CHOSEN_KINDS = frozenset({EventKind.PURCHASE, EventKind.RATING})
#: How many later orders of the same shopper count as "next".
NEXT_ORDERS = 3
#: …and how far apart they may be.
NEXT_DAYS = 30.0
#: Successors kept per item, the most frequent first.
KEPT_PER_ITEM = 100


class NextChoices:
    """Transition counts between items (rows: before, columns: after)."""

    def __init__(self, counts: sparse.spmatrix, totals: np.ndarray) -> None:
        # Kept by column only (evidence reads what led into one item); scoring reads
        # the row-wise shares. A third copy would cost memory at large catalogs.
        self._by_target = sparse.csc_matrix(counts, dtype=np.float32)
        #: Each item's transitions before pruning: a kept count over it is the true share
        #: of what came after that item.
        self.totals = totals
        safe = np.where(totals > 0, totals, 1.0)
        self.shares = sparse.csr_matrix(
            sparse.diags(1.0 / safe).astype(np.float32) @ self._by_target
        )

    @property
    def counts(self) -> sparse.csc_matrix:
        """Transition counts, items before × items after."""
        return self._by_target

    @classmethod
    def empty(cls, n_items: int) -> NextChoices:
        return cls(sparse.csr_matrix((n_items, n_items), dtype=np.float32), np.zeros(n_items))

    @classmethod
    def from_orders(
        cls,
        shopper_ids: np.ndarray,
        rows: np.ndarray,
        seconds: np.ndarray,
        n_items: int,
    ) -> NextChoices:
        """Transitions from chosen items: the shopper, catalog row and time of each."""
        if len(rows) == 0:
            return cls.empty(n_items)
        _, shopper_codes = np.unique(shopper_ids, return_inverse=True)
        order = np.lexsort((seconds, shopper_codes))
        shoppers, items, times = shopper_codes[order], rows[order], seconds[order]
        # One order per (shopper, moment); orders numbered in each shopper's time order.
        starts = np.r_[True, (shoppers[1:] != shoppers[:-1]) | (times[1:] != times[:-1])]
        order_of = np.cumsum(starts) - 1
        firsts = np.flatnonzero(starts)
        order_shopper = shoppers[firsts]
        order_time = times[firsts]
        n_orders = len(firsts)
        basket = sparse.csr_matrix(
            (np.ones(len(items), dtype=np.float32), (order_of, items)), shape=(n_orders, n_items)
        )
        basket.data[:] = 1.0  # an item twice in one order is still one item
        counts = sparse.csr_matrix((n_items, n_items), dtype=np.float32)
        for step in range(1, NEXT_ORDERS + 1):
            before = np.arange(n_orders - step)
            after = before + step
            linked = (order_shopper[before] == order_shopper[after]) & (
                order_time[after] - order_time[before] <= NEXT_DAYS * 86400
            )
            links = sparse.csr_matrix(
                (np.ones(int(linked.sum()), dtype=np.float32), (before[linked], after[linked])),
                shape=(n_orders, n_orders),
            )
            counts = counts + basket.T @ links @ basket
        counts = sparse.csr_matrix(counts, dtype=np.float32)
        totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
        return cls(_keep_largest(counts, KEPT_PER_ITEM), totals)

    def scores(self, recent: Mapping[int, float]) -> np.ndarray:
        """For every item, the recency-weighted share of transitions into it from the
        items given: a sum of one term per source, so each source's part is exact."""
        n = self.shares.shape[1]
        if not recent:
            return np.zeros(n, dtype=np.float32)
        rows = np.fromiter(recent.keys(), dtype=np.int64)
        weights = np.fromiter(recent.values(), dtype=np.float32)
        return np.asarray(self.shares[rows].T @ weights, dtype=np.float32).ravel()

    def into(self, target: int, sources: np.ndarray) -> np.ndarray:
        """How many transitions went from each of ``sources`` to ``target``."""
        column = self._by_target
        start, end = column.indptr[target], column.indptr[target + 1]
        found = dict(
            zip(column.indices[start:end].tolist(), column.data[start:end].tolist(), strict=True)
        )
        return np.array([found.get(int(s), 0.0) for s in sources], dtype=np.float64)


def _keep_largest(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row's ``keep`` largest entries (ties broken by column, for a stable result)."""
    lengths = np.diff(matrix.indptr)
    if lengths.max(initial=0) <= keep:
        return matrix
    kept_rows: list[np.ndarray] = []
    kept_cols: list[np.ndarray] = []
    kept_vals: list[np.ndarray] = []
    for row in np.flatnonzero(lengths):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values, columns = matrix.data[start:end], matrix.indices[start:end]
        best = np.lexsort((columns, -values))[:keep]
        kept_rows.append(np.full(best.size, row))
        kept_cols.append(columns[best])
        kept_vals.append(values[best])
    return sparse.csr_matrix(
        (np.concatenate(kept_vals), (np.concatenate(kept_rows), np.concatenate(kept_cols))),
        shape=matrix.shape,
    )
