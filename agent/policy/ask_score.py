"""How likely one event is someone else's, from how it stands against the history.

A logistic score over a few signals (:data:`SIGNALS`), each cheap to compute for every
recorded event. Its weights are fitted on a shop's own orders with purchases injected
as someone else's (:mod:`agent.policy.calibration`); the product ships weights fitted
on Online Retail's validation split. Signals a catalog cannot give (no categories, no
prices) read as "no evidence", so the score carries to other shops' catalogs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field

#: The signals the score reads, each from :meth:`Assessment.signals`.
SIGNALS = (
    "similarity",  # text likeness to the closest history item
    "percentile",  # share of the catalog it beats on the shopper's taste
    "co_purchase",  # share of the catalog it beats on co-purchases with the history
    "neighbours",  # share of the most similar shoppers who chose it
    "new_category",  # 1 when the shopper never bought in its category
    "price_gap",  # |log| of its price against the history's median price
    "log_history",  # how much history the other signals rest on
)
#: Ridge on the standardised weights: a few dozen positives support no sharper fit.
RIDGE = 1.0


class AskScore(BaseModel):
    """``bias + Σ weight × signal`` through a logistic: the chance an event is not the
    shopper's own; the policy asks at ``threshold`` and above."""

    bias: float
    weights: dict[str, float] = Field(description="per signal, in the signal's own units")
    threshold: float = Field(ge=0, le=1)

    def probability(self, signals: Mapping[str, float]) -> float:
        z = self.bias + sum(w * signals[name] for name, w in self.weights.items())
        return float(1.0 / (1.0 + np.exp(-z)))

    def asks(self, signals: Mapping[str, float]) -> bool:
        return self.probability(signals) >= self.threshold


def fit_weights(
    signals: Sequence[Mapping[str, float]],
    injected: Sequence[bool],
    weights: Sequence[float] | None = None,
    *,
    ridge: float = RIDGE,
) -> tuple[float, dict[str, float]]:
    """A ridge logistic regression of ``injected`` on ``signals`` (Newton steps on
    standardised signals, then back in their own units): the bias and the weights."""
    x = np.array([[s[name] for name in SIGNALS] for s in signals], dtype=np.float64)
    y = np.asarray(injected, dtype=np.float64)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.hstack([np.ones((len(y), 1)), (x - mean) / scale])
    penalty = np.diag([0.0] + [ridge] * len(SIGNALS))  # the bias is not shrunk
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (w * (y - p)) - penalty @ beta
        hessian = design.T @ (design * (w * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    own_units = beta[1:] / scale
    bias = float(beta[0] - own_units @ mean)
    return bias, {name: float(v) for name, v in zip(SIGNALS, own_units, strict=True)}
