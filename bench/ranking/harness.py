"""The one evaluation loop every method goes through, and the top-k step they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from bench.ranking.splits import Split
from tools.tuning.metrics import K, Metrics, mean_metrics, top_k, user_metrics

BATCH = 256


class Method(Protocol):
    """Anything that ranks the catalog for a user of a split."""

    name: str

    def recommend(self, users: Sequence[str], k: int) -> list[list[int]]:
        """The top ``k`` catalog rows for each user, their train items left out."""
        ...


def evaluate(method: Method, split: Split, users: Sequence[str] | None = None) -> Metrics:
    """HR/Recall/NDCG@10 of ``method`` over the split's users (or the ``users`` given),
    and how many of the targets no one had bought before the cut (cold) it found."""
    chosen = list(split.users if users is None else users)
    cold = split.cold_rows
    per_user = []
    cold_hits = cold_targets = 0
    for start in range(0, len(chosen), BATCH):
        batch = chosen[start : start + BATCH]
        for user, ranked in zip(batch, method.recommend(batch, K), strict=True):
            targets = set(split.rows(split.targets[user]))
            excluded = set(split.rows(split.excluded[user]))
            per_user.append(user_metrics(ranked, targets, excluded, K))
            shown = [r for r in ranked if r not in excluded][:K]
            cold_targets += len(targets & cold)
            cold_hits += len(targets & cold & set(shown))
    return replace(mean_metrics(per_user), cold_hits=cold_hits, cold_targets=cold_targets)


def excluded_mask(split: Split, users: Sequence[str]) -> np.ndarray:
    """Boolean users×items: True where the item must not be ranked for that user."""
    mask = np.zeros((len(users), len(split.items)), dtype=bool)
    for i, user in enumerate(users):
        mask[i, split.rows(split.excluded[user])] = True
    return mask


class ScoringMethod(ABC):
    """A method that scores every item for a batch of users; the harness picks the top."""

    name: str

    def __init__(self, split: Split) -> None:
        self.split = split

    @abstractmethod
    def scores(self, users: Sequence[str]) -> np.ndarray:
        """users×items scores (higher is better)."""

    def recommend(self, users: Sequence[str], k: int) -> list[list[int]]:
        """Top ``k`` rows per user by :meth:`scores`, train items excluded."""
        ranked = top_k(self.scores(users), excluded_mask(self.split, users), k)
        return [[int(r) for r in row] for row in ranked]
