"""The baselines the literature compares against, scored by the same harness.

Most popular, recently popular, item-kNN (cosine), item-kNN + recency, time-aware
user-kNN, ALS from ``implicit`` and, for the repeat-inclusive protocol, buy-again.
Their hyperparameters are tuned on validation in :mod:`bench.ranking.tuning`
(buy-again has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from scipy import sparse
from threadpoolctl import threadpool_limits

from bench.ranking.harness import ScoringMethod
from bench.ranking.matrix import item_columns, train_matrix
from bench.ranking.splits import Split

RECENT_DAYS = 30
#: OpenMP threads for implicit: the machine has two cores.
ALS_THREADS = 2
SEED = 0


class MostPopular(ScoringMethod):
    """Items by how often they were bought (or rated) in train."""

    name = "most popular"

    def __init__(self, split: Split) -> None:
        super().__init__(split)
        cols = item_columns(split)
        self.counts = np.bincount(cols[cols >= 0], minlength=len(split.items)).astype(np.float64)

    def scores(self, users: Sequence[str]) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(users), len(self.counts)))


class RecentlyPopular(ScoringMethod):
    """Items by purchases (or ratings) in the 30 days before each user's "now"."""

    name = "recently popular"

    def __init__(self, split: Split, days: float = RECENT_DAYS) -> None:
        super().__init__(split)
        cols = item_columns(split)
        order = np.argsort(split.train.at, kind="stable")
        self._at = split.train.at[order]
        self._cols = cols[order]
        self._window = np.timedelta64(int(timedelta(days=days).total_seconds()), "s")
        self._cache: dict[np.datetime64, np.ndarray] = {}

    def _counts(self, now: np.datetime64) -> np.ndarray:
        # Online Retail has one "now" for everyone; MovieLens one per user.
        if now not in self._cache:
            start, end = np.searchsorted(self._at, [now - self._window, now])
            window = self._cols[start:end]
            self._cache[now] = np.bincount(
                window[window >= 0], minlength=len(self.split.items)
            ).astype(np.float64)
        return self._cache[now]

    def scores(self, users: Sequence[str]) -> np.ndarray:
        # The window ends *after* the user's now (inclusive of events at that second).
        nows = [np.datetime64(self.split.user_now[u], "s") + np.timedelta64(1, "s") for u in users]
        return np.vstack([self._counts(now) for now in nows])


class ItemKNN(ScoringMethod):
    """Cosine item-kNN: an item scores the summed similarity to the user's train items,
    counting only train items among its ``k`` nearest neighbours."""

    def __init__(self, split: Split, k: int = 100) -> None:
        super().__init__(split)
        self.name = "item-kNN"
        self.train = train_matrix(split)
        binary = self.train.matrix
        norms = np.sqrt(np.asarray(binary.sum(axis=0)).ravel())
        norms[norms == 0] = 1.0
        unit = binary.multiply(1.0 / norms).tocsc()
        self.similarity = np.asarray((unit.T @ unit).toarray(), dtype=np.float32)
        np.fill_diagonal(self.similarity, 0.0)
        self.neighbourhood = self.similarity
        self.set_k(k)

    def set_k(self, k: int) -> None:
        """Keep each item's ``k`` nearest neighbours (cheap to retune on one fit)."""
        self.k = k
        n = self.similarity.shape[0]
        if k >= n - 1:
            self.neighbourhood = self.similarity
            return
        keep = np.argpartition(-self.similarity, k - 1, axis=1)[:, :k]
        pruned = np.zeros_like(self.similarity)
        np.put_along_axis(pruned, keep, np.take_along_axis(self.similarity, keep, axis=1), axis=1)
        self.neighbourhood = pruned  # row i: the neighbours of candidate item i

    def scores(self, users: Sequence[str]) -> np.ndarray:
        history = self.train.matrix[self.train.user_rows(list(users))]
        return np.asarray(history @ self.neighbourhood.T)


def _decayed(
    split: Split, rows: np.ndarray, n_rows: int, now: np.ndarray, half_life: float, how: str
) -> sparse.csr_matrix:
    """rows×items: each train event faded by 2^(-age / half_life), its age taken at its
    row's ``now``; per cell summed over events (``how="sum"``) or the latest alone
    (``"latest"``). Events after ``now`` count fully. ``rows`` is -1 for rows left out."""
    cols = item_columns(split)
    keep = (cols >= 0) & (rows >= 0)
    age = (now[keep] - split.train.at[keep]).astype("timedelta64[s]").astype(np.float64)
    weight = np.power(0.5, np.maximum(age / 86400.0, 0.0) / half_life)
    n_items = len(split.items)
    keys = rows[keep].astype(np.int64) * n_items + cols[keep]
    if how == "latest":
        order = np.lexsort((-weight, keys))  # per cell, the youngest event first
        keys, weight = keys[order], weight[order]
        first = np.r_[True, keys[1:] != keys[:-1]] if keys.size else np.zeros(0, dtype=bool)
        keys, weight = keys[first], weight[first]
    matrix = sparse.csr_matrix((weight, (keys // n_items, keys % n_items)), shape=(n_rows, n_items))
    matrix.sum_duplicates()
    return matrix


class TimeAwareUserKNN(ScoringMethod):
    """User-kNN whose neighbours' recent purchases weigh more: an item scores the
    summed cosine similarity (binary train rows) of the user's ``k`` nearest users,
    each times their purchases of it faded with a ``half_life`` in days, as of the
    split's "now" (summed over their purchases, or their latest alone)."""

    name = "time-aware user-kNN"

    def __init__(
        self, split: Split, k: int = 100, half_life: float = 7.0, how: str = "sum"
    ) -> None:
        super().__init__(split)
        self.train = train_matrix(split)
        binary = self.train.matrix
        norms = np.sqrt(np.asarray(binary.sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self._unit = sparse.csr_matrix(sparse.diags(1.0 / norms) @ binary)
        self._rows = np.array([self.train.row_of.get(u, -1) for u in split.train.shopper_ids])
        self._similarity: dict[tuple[str, ...], np.ndarray] = {}
        self._decay: dict[tuple[float, str], sparse.csr_matrix] = {}
        self.set_params(k=k, half_life=half_life, how=how)

    def set_params(self, *, k: int, half_life: float, how: str) -> None:
        """Choose the neighbourhood and the fading (cheap: one fit serves every setting)."""
        self.k, self.half_life, self.how = k, half_life, how
        if (half_life, how) not in self._decay:
            now = np.full(len(self._rows), np.datetime64(self.split.now, "s"))
            self._decay = {
                (half_life, how): _decayed(
                    self.split, self._rows, self._unit.shape[0], now, half_life, how
                )
            }
        self.recent = self._decay[(half_life, how)]

    def similarity(self, users: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each user to every train user, never to themselves."""
        key = tuple(users)
        if key not in self._similarity:
            rows = self.train.user_rows(list(users))
            sims = (self._unit[rows] @ self._unit.T).toarray().astype(np.float32)
            sims[np.arange(len(rows)), rows] = 0.0
            self._similarity = {key: sims}  # one batch at a time: the harness goes in order
        return self._similarity[key]

    def scores(self, users: Sequence[str]) -> np.ndarray:
        sims = self.similarity(users)
        k = min(self.k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        chosen = sparse.csr_matrix(
            (top_sims.ravel(), top.ravel(), np.arange(0, len(users) * k + 1, k)),
            shape=(len(users), sims.shape[1]),
        )
        return np.asarray((chosen @ self.recent).toarray())


class ItemKNNRecency(ItemKNN):
    """Item-kNN in which the user's own recent items count more: each train item adds its
    similarity times 2^(-age / half_life) of the user's latest purchase of it, the age
    taken at the user's own "now"."""

    def __init__(self, split: Split, k: int = 100, half_life: float = 30.0) -> None:
        super().__init__(split, k=k)
        self.name = "item-kNN + recency"
        rows = np.array([self.train.row_of.get(u, -1) for u in split.train.shopper_ids])
        self._now = np.array(
            [np.datetime64(split.user_now.get(u, split.now), "s") for u in split.train.shopper_ids]
        )
        self._rows = rows
        self.set_half_life(half_life)

    def set_half_life(self, half_life: float) -> None:
        """Choose how fast the user's own items fade (cheap: the similarity is kept)."""
        self.half_life = half_life
        self.history = _decayed(
            self.split, self._rows, self.train.matrix.shape[0], self._now, half_life, "latest"
        )

    def scores(self, users: Sequence[str]) -> np.ndarray:
        history = self.history[self.train.user_rows(list(users))]
        return np.asarray(history @ self.neighbourhood.T)


class ALS(ScoringMethod):
    """Implicit-feedback matrix factorization (Hu, Koren & Volinsky) from ``implicit``."""

    def __init__(
        self,
        split: Split,
        *,
        factors: int = 64,
        regularization: float = 0.1,
        alpha: float = 10.0,
        iterations: int = 15,
    ) -> None:
        super().__init__(split)
        self.params = {
            "factors": factors,
            "regularization": regularization,
            "alpha": alpha,
            "iterations": iterations,
        }
        self.name = "ALS"
        self.train = train_matrix(split)
        # implicit parallelises with OpenMP; a multithreaded BLAS underneath only fights it
        # (the model checks this when it is made, so the limit wraps construction too).
        with threadpool_limits(limits=1, user_api="blas"):
            model = AlternatingLeastSquares(
                factors=factors,
                regularization=regularization,
                alpha=alpha,
                iterations=iterations,
                random_state=SEED,
                num_threads=ALS_THREADS,
            )
            model.fit(self.train.matrix, show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)

    def scores(self, users: Sequence[str]) -> np.ndarray:
        return self.user_factors[self.train.user_rows(list(users))] @ self.item_factors.T


class BuyAgain(ScoringMethod):
    """The user's own past items by how often they bought them, the most recent first
    among equal counts; nothing else (it only means something when re-orders count)."""

    name = "buy-again"

    def __init__(self, split: Split) -> None:
        super().__init__(split)
        cols = item_columns(split)
        known = cols >= 0
        users, rows = np.unique(split.train.shopper_ids[known], return_inverse=True)
        self.row_of = {str(u): i for i, u in enumerate(users)}
        n_items = len(split.items)
        keys = rows.astype(np.int64) * n_items + cols[known]
        seconds = split.train.at[known].astype(np.int64).astype(np.float64)
        pairs, counts = np.unique(keys, return_counts=True)
        order = np.argsort(keys, kind="stable")
        latest = np.maximum.reduceat(seconds[order], np.searchsorted(keys[order], pairs))
        # The latest purchase, scaled below 1, only breaks ties between equal counts.
        low, high = (float(seconds.min()), float(seconds.max())) if seconds.size else (0, 1)
        recency = (latest - low) / max(high - low, 1.0) * 0.999
        self.matrix = sparse.csr_matrix(
            (counts + recency, (pairs // n_items, pairs % n_items)),
            shape=(len(users), n_items),
        )

    def scores(self, users: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(users), len(self.split.items)))
        for i, user in enumerate(users):
            row = self.row_of.get(user)
            if row is not None:
                out[i] = self.matrix[row].toarray().ravel()
        return out
