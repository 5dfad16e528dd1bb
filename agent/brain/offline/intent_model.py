"""A small softmax classifier over sentence vectors: message meaning → intent.

A few hundred labelled phrasings per family of intents are too few to fine-tune the
embedding model, but plenty for one linear layer on top of it; it weighs every
dimension of the meaning, where the nearest single example is at the mercy of one
lucky near-duplicate. Fitting is plain full-batch gradient descent (Adam), so it is
deterministic and needs nothing beyond numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

#: Cosine-sized scores are stretched by this before the softmax, so the layer can reach
#: confident probabilities with small weights (which the L2 term keeps small).
TEMPERATURE = 10.0
L2 = 1e-3
ITERATIONS = 400
LEARNING_RATE = 0.1
_BETAS = (0.9, 0.999)


@dataclass(frozen=True)
class IntentModel:
    """Weights of the layer, the intents its columns stand for, and what it was fit on."""

    intents: tuple[str, ...]
    weights: np.ndarray  # (dim, len(intents))
    bias: np.ndarray  # (len(intents),)
    model_id: str  # the embedder whose vectors it reads
    digest: str = ""  # sha256 of the training data, to tell a stale model

    def probabilities(self, vector: np.ndarray, allowed: np.ndarray) -> np.ndarray:
        """One probability per intent, over the ``allowed`` ones (a boolean mask); the
        others get 0."""
        logits = TEMPERATURE * (vector @ self.weights) + self.bias
        logits = np.where(allowed, logits, -np.inf)
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def save(self, target: Path | IO[bytes]) -> None:
        """Write the model as an ``.npz`` (no pickles)."""
        np.savez_compressed(
            target,
            intents=np.array(self.intents),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            model_id=np.array(self.model_id),
            digest=np.array(self.digest),
        )

    @classmethod
    def load(cls, source: Path | IO[bytes]) -> IntentModel:
        """Read a model written by :meth:`save`."""
        with np.load(source, allow_pickle=False) as raw:
            return cls(
                intents=tuple(str(i) for i in raw["intents"]),
                weights=raw["weights"],
                bias=raw["bias"],
                model_id=str(raw["model_id"]),
                digest=str(raw["digest"]),
            )


def fit(vectors: np.ndarray, labels: Sequence[str], model_id: str, digest: str = "") -> IntentModel:
    """Fit the layer to unit ``vectors`` labelled with intents. Each intent weighs the
    same in total, so the many ways to ask for a product do not drown the few ways to
    say goodbye."""
    intents = tuple(sorted(set(labels)))
    column = {intent: n for n, intent in enumerate(intents)}
    rows, dim = vectors.shape
    target = np.zeros((rows, len(intents)))
    target[np.arange(rows), [column[label] for label in labels]] = 1.0
    per_intent = target.sum(axis=0)
    sample_weight = (rows / (len(intents) * per_intent))[[column[label] for label in labels]]
    sample_weight /= sample_weight.sum()
    x = vectors.astype(np.float64)
    params = [np.zeros((dim, len(intents))), np.zeros(len(intents))]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    beta1, beta2 = _BETAS
    for step in range(1, ITERATIONS + 1):
        logits = TEMPERATURE * (x @ params[0]) + params[1]
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        error = (probs - target) * sample_weight[:, None]
        grads = [TEMPERATURE * x.T @ error + L2 * params[0], error.sum(axis=0)]
        for param, grad, (m, v) in zip(params, grads, moments, strict=True):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            param -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + 1e-8)
    return IntentModel(
        intents=intents,
        weights=params[0].astype(np.float32),
        bias=params[1].astype(np.float32),
        model_id=model_id,
        digest=digest,
    )
