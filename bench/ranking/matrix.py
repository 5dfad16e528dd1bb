"""The binary user×item train matrix the collaborative baselines learn from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bench.ranking.splits import Split


@dataclass(frozen=True)
class TrainMatrix:
    """Row ``i`` of :attr:`matrix` is ``users[i]``; columns are catalog rows."""

    users: list[str]
    row_of: dict[str, int]
    matrix: sparse.csr_matrix

    def user_rows(self, users: list[str]) -> np.ndarray:
        """Matrix rows of the users given (every evaluated user has train events)."""
        return np.array([self.row_of[u] for u in users], dtype=np.int64)


def item_columns(split: Split) -> np.ndarray:
    """Catalog row of every train event, -1 for items outside the catalog."""
    return np.array([split.row_of.get(i, -1) for i in split.train.item_ids], dtype=np.int64)


def train_matrix(split: Split) -> TrainMatrix:
    """1 where the user bought (or rated) the item in train, whatever the count or rating."""
    cols = item_columns(split)
    known = cols >= 0
    users, rows = np.unique(split.train.shopper_ids[known], return_inverse=True)
    matrix = sparse.csr_matrix(
        (np.ones(int(known.sum()), dtype=np.float32), (rows, cols[known])),
        shape=(len(users), len(split.items)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    ids = [str(u) for u in users]
    return TrainMatrix(users=ids, row_of={u: i for i, u in enumerate(ids)}, matrix=matrix)
