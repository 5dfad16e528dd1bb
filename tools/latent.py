"""Latent tastes: implicit-feedback matrix factorisation (ALS) of who chose what.

At each rebuild of the interaction index where the ranking weighs them (else at their
first use), ``implicit``'s alternating least squares (Hu, Koren & Volinsky,
"Collaborative Filtering for Implicit Feedback Datasets") is fitted to the shop's
shopper×item engagement; only the item factors are kept. A
shopper's own vector is not stored: it is solved at ranking time from their current
items, with the same least-squares step ALS alternates, so a new event counts at once
without retraining, and a shopper who arrived after the rebuild has one too.

The solve makes a score a sum of one term per own item (section 5 of the paper, what
``implicit``'s ``explain`` returns): with ``A = YᵀY + λI + Σⱼ (cⱼ − 1) yⱼyⱼᵀ``, the
score of item ``i`` is ``Σⱼ cⱼ · yᵢᵀA⁻¹yⱼ``. The items with the largest terms are the
ones a reason may name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field
from scipy import sparse

from tools.taste import TasteSignal
from tools.threads import one_blas_thread
from tools.types import EventKind

#: The event kinds the engagement matrix is built from (views and "I have it" are not).
ENGAGED_KINDS = frozenset(
    {EventKind.PURCHASE, EventKind.CART, EventKind.LIKE, EventKind.RATING, EventKind.RETURN}
)
#: Training always starts from the same random factors, and runs on one thread, so a
#: rebuild from the same events gives the same factors.
SEED = 7


class LatentSettings(BaseModel):
    """How the factorisation is fitted. Chosen on validation splits only (Online Retail
    new items and MovieLens-100k, ``python -m bench.ranking.latent``)."""

    factors: int = Field(default=32, ge=1, description="length of each item's vector")
    regularization: float = Field(default=10.0, gt=0)
    alpha: float = Field(
        default=4.0,
        ge=0,
        description="confidence per unit of engagement: an engaged item counts 1 + alpha × "
        "its (dampened, faded) engagement against the 1 of every item not engaged with",
    )
    iterations: int = Field(default=15, ge=1)


class LatentFactors:
    """Item factors of one shop, and the least-squares solve that places a shopper
    among them."""

    def __init__(self, item_factors: np.ndarray, regularization: float, alpha: float) -> None:
        #: One row per catalog row; zero columns when nothing was trained.
        self.item_factors = np.ascontiguousarray(item_factors, dtype=np.float32)
        self.regularization = regularization
        self.alpha = alpha
        factors = self.item_factors.astype(np.float64)
        self._gram = factors.T @ factors + regularization * np.eye(factors.shape[1])

    @classmethod
    def empty(cls, n_items: int) -> LatentFactors:
        return cls(np.zeros((n_items, 0), dtype=np.float32), 1.0, 0.0)

    @classmethod
    def fit(cls, engagement: sparse.csr_matrix, settings: LatentSettings) -> LatentFactors:
        """Item factors fitted to ``engagement`` (shoppers×items, dampened weights)."""
        n_items = engagement.shape[1]
        if engagement.nnz == 0:
            return cls.empty(n_items)
        # Imported here: only a rebuild needs it, and `import agent` must stay quick.
        from implicit.cpu.als import AlternatingLeastSquares

        confidence = sparse.csr_matrix(engagement, dtype=np.float32, copy=True)
        confidence.data = 1.0 + settings.alpha * confidence.data
        # implicit checks the BLAS thread count when the model is made, and one OpenMP
        # thread keeps the result the same from run to run.
        with one_blas_thread:
            model = AlternatingLeastSquares(
                factors=settings.factors,
                regularization=settings.regularization,
                alpha=1.0,
                iterations=settings.iterations,
                random_state=SEED,
                num_threads=1,
            )
            model.fit(confidence, show_progress=False)
        return cls(np.asarray(model.item_factors), settings.regularization, settings.alpha)

    @property
    def trained(self) -> bool:
        return self.item_factors.shape[1] > 0

    def shopper(self, engaged: Mapping[int, float]) -> LatentShopper | None:
        """The shopper with this engagement per catalog row (summed event weights, as the
        engagement matrix holds them before dampening), placed among the items; None
        when there is nothing to place them by."""
        n_items = self.item_factors.shape[0]
        rows = np.fromiter((r for r, w in engaged.items() if w > 0 and r < n_items), np.int64)
        if not self.trained or rows.size == 0:
            return None
        weights = np.array([engaged[r] for r in rows.tolist()], dtype=np.float64)
        confidence = 1.0 + self.alpha * np.log1p(weights)
        own = self.item_factors[rows].astype(np.float64)
        system = self._gram + own.T @ ((confidence - 1.0)[:, None] * own)
        target = own.T @ confidence
        factor = np.linalg.cholesky(system)
        vector = cho_solve(factor, target)
        return LatentShopper(rows, confidence, own, system, target, factor, vector)

    def scores(self, engaged: Mapping[int, float]) -> np.ndarray:
        """Every item's fitted preference for the shopper (0 when it cannot be placed)."""
        shopper = self.shopper(engaged)
        if shopper is None:
            return np.zeros(self.item_factors.shape[0], dtype=np.float32)
        return shopper.scores(self.item_factors)

    def score_matrix(self, engaged: Sequence[Mapping[int, float]]) -> np.ndarray:
        """:meth:`scores` for many shoppers, shoppers×items."""
        vectors = np.zeros((len(engaged), self.item_factors.shape[1]), dtype=np.float32)
        for i, found in enumerate(engaged):
            shopper = self.shopper(found)
            if shopper is not None:
                vectors[i] = shopper.vector
        return vectors @ self.item_factors.T


@dataclass(frozen=True)
class LatentShopper:
    """One shopper placed among the item factors: the solve and what went into it."""

    rows: np.ndarray
    confidence: np.ndarray
    own_factors: np.ndarray
    #: The least-squares system ``A x = b`` the shopper's vector solves, ``A``'s
    #: Cholesky factor, and the solve.
    system: np.ndarray
    target: np.ndarray
    factor: np.ndarray
    vector: np.ndarray

    def scores(self, item_factors: np.ndarray) -> np.ndarray:
        """The shopper's fitted preference for each item with these factors."""
        return item_factors @ self.vector.astype(np.float32)

    def contributions(self, item_factor: np.ndarray) -> np.ndarray:
        """Each own item's term of the score of the item with ``item_factor``: they sum
        to that score exactly (up to rounding)."""
        weighted = cho_solve(self.factor, item_factor.astype(np.float64))
        return self.confidence * (self.own_factors @ weighted)

    def score_without(self, left_out: list[int], item_factor: np.ndarray) -> float:
        """The score of the item with ``item_factor`` had the items at these positions of
        ``rows`` never been engaged with: the same solve, without their parts (0 when
        none is left to place the shopper by)."""
        if len(left_out) >= self.rows.size:
            return 0.0
        own, confidence = self.own_factors[left_out], self.confidence[left_out]
        system = self.system - own.T @ ((confidence - 1.0)[:, None] * own)
        vector = np.linalg.solve(system, self.target - own.T @ confidence)
        return float(vector @ item_factor.astype(np.float64))


def cho_solve(factor: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x`` with ``L Lᵀ x = b``, ``L`` the lower Cholesky ``factor`` (numpy's own solves:
    scipy.linalg would add a tenth of a second to every one-shot command's start-up)."""
    return np.linalg.solve(factor.T, np.linalg.solve(factor, b))


def engaged_weights(taste: TasteSignal) -> dict[int, float]:
    """The shopper's summed event weight per item over the kinds the engagement matrix is
    built from, as the matrix sums them before dampening (a return takes back)."""
    engaged: dict[int, float] = {}
    for row, events in taste.event_weights.items():
        total = sum(w for e, w in events if e.kind in ENGAGED_KINDS)
        if total > 0:
            engaged[row] = total
    return engaged
