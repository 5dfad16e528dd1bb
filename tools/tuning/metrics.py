"""Top-k ranking metrics with binary relevance, as the literature defines them.

* HR@k: 1 when at least one target is in the top k.
* Recall@k: hits / |targets| (the standard definition; not hits / min(k, |targets|)).
* NDCG@k: DCG of the hits over the ideal DCG of min(k, |targets|) hits at the top.

Items the user must not be shown (their train items) are removed from a ranking before
it is cut at k, so a method can neither gain nor lose by listing them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

K = 10


@dataclass(frozen=True)
class Metrics:
    """Mean metrics over the users evaluated."""

    hr: float
    recall: float
    ndcg: float
    users: int
    #: Each user's NDCG, in the order evaluated: paired comparisons resample these.
    ndcgs: tuple[float, ...] = field(default=(), repr=False, compare=False)
    #: Targets no one had chosen before the cut (cold items), and how many were found.
    cold_targets: int = 0
    cold_hits: int = 0

    def as_dict(self) -> dict[str, float | int]:
        """The results-file form: ``{"hr@10": …, "recall@10": …, "ndcg@10": …, "users": n}``."""
        values: dict[str, float | int] = {
            f"hr@{K}": round(self.hr, 6),
            f"recall@{K}": round(self.recall, 6),
            f"ndcg@{K}": round(self.ndcg, 6),
            "users": self.users,
        }
        if self.cold_targets:
            values |= {"cold_targets": self.cold_targets, f"cold_hits@{K}": self.cold_hits}
        return values


def discount(position: int) -> float:
    """The DCG discount of a 0-based position."""
    return 1.0 / math.log2(position + 2)


def user_metrics(
    ranked: Sequence[int],
    targets: Collection[int],
    excluded: Collection[int] = (),
    k: int = K,
) -> tuple[float, float, float]:
    """(HR, Recall, NDCG)@k of one ranking against one user's targets."""
    if not targets:
        raise ValueError("a user without targets cannot be evaluated")
    shown = [r for r in ranked if r not in excluded][:k]
    hits = [position for position, row in enumerate(shown) if row in targets]
    dcg = sum(discount(p) for p in hits)
    ideal = sum(discount(p) for p in range(min(k, len(targets))))
    return (1.0 if hits else 0.0, len(hits) / len(targets), dcg / ideal)


def mean_metrics(per_user: Iterable[tuple[float, float, float]]) -> Metrics:
    """Average per-user (HR, Recall, NDCG) triples."""
    rows = list(per_user)
    if not rows:
        return Metrics(0.0, 0.0, 0.0, 0)
    n = len(rows)
    return Metrics(
        hr=sum(r[0] for r in rows) / n,
        recall=sum(r[1] for r in rows) / n,
        ndcg=sum(r[2] for r in rows) / n,
        users=n,
        ndcgs=tuple(r[2] for r in rows),
    )


def top_k(scores: np.ndarray, excluded: np.ndarray, k: int) -> np.ndarray:
    """Row indices of the ``k`` best unexcluded scores per user, best first.

    Ties are broken by catalog row so every run ranks the same way.
    """
    masked = np.where(excluded, -np.inf, scores.astype(np.float64))
    k = min(k, masked.shape[1])
    best = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(masked, best, axis=1)
    order = np.lexsort((best, -values), axis=-1)
    return np.take_along_axis(best, order, axis=1)
