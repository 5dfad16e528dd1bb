"""Intents by meaning: a small classifier over the shipped embedding model's vectors.

The classifier (:mod:`~agent.brain.offline.intent_model`) is fit at build time
(:mod:`~agent.brain.offline.training`) on the example phrasings in
``intent_examples.jsonl`` and the labelled development utterances, and ships as
``intent_model.npz``; a message costs one embedding and one small matrix product. An
embedder the shipped model was not fit for (a test double) gets a model fit on the
example phrasings at first use.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.brain.offline.intent_model import IntentModel, fit
from agent.brain.offline.spelling import plain
from agent.embedding import Embedder

MODEL_FILE = "intent_model.npz"
#: A best reading with less probability than this is too unsure to name an intent.
MIN_PROBABILITY = 0.38
#: Best and runner-up intents closer than this are a coin toss: say unsure instead.
MIN_MARGIN = 0.01


class Example(BaseModel):
    """One phrasing of an intent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    intent: str = Field(min_length=1, description="a label such as 'refine_cheaper'")
    text: str = Field(min_length=1)


@cache
def default_examples() -> tuple[Example, ...]:
    """The example utterances shipped beside this module."""
    raw = resources.files("agent.brain.offline").joinpath("intent_examples.jsonl")
    lines = raw.read_text("utf-8").splitlines()
    return tuple(Example.model_validate(json.loads(line)) for line in lines if line.strip())


@dataclass(frozen=True)
class Guess:
    """The likeliest intent among those allowed, and how sure the reader is of it."""

    intent: str
    score: float
    margin: float

    @property
    def sure(self) -> bool:
        """Whether the guess is likely enough, and clear enough of the runner-up, to act on."""
        return self.score >= MIN_PROBABILITY and self.margin >= MIN_MARGIN


@cache
def shipped_model() -> IntentModel:
    """The model fit at build time for the shipped embedder."""
    with resources.files("agent.brain.offline").joinpath(MODEL_FILE).open("rb") as raw:
        return IntentModel.load(raw)


_FIT: dict[tuple[str, int], IntentModel] = {}
_LOCK = threading.Lock()


def model_for(embedder: Embedder) -> IntentModel:
    """The shipped model when it reads this embedder's vectors, else one fit on the
    example phrasings (once per model and process: one model id means one vector
    space, however many embedder objects share it)."""
    shipped = shipped_model()
    key = (embedder.model_id, embedder.dim)
    if key == (shipped.model_id, shipped.weights.shape[0]):
        return shipped
    with _LOCK:
        model = _FIT.get(key)
        if model is None:
            model = _FIT[key] = fit_examples(default_examples(), embedder)
    return model


def fit_examples(examples: Sequence[Example], embedder: Embedder, digest: str = "") -> IntentModel:
    """A model fit to ``examples``, each read as the reader reads a message."""
    vectors = embedder.embed([plain(e.text) for e in examples])
    return fit(vectors, [e.intent for e in examples], embedder.model_id, digest)


class SemanticIntents:
    """Intent classification by meaning, among the intents a context allows."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._model = model_for(embedder)
        self._families = np.array([_family(i) for i in self._model.intents])

    @property
    def intents(self) -> tuple[str, ...]:
        """Every intent the model knows."""
        return self._model.intents

    def guess(self, text: str, allowed: frozenset[str]) -> Guess:
        """The most likely allowed intent for ``text``. Its score is the probability of
        its family ("refine_cheaper" and "refine_pricier" are both refines), its margin
        the lead over the next family."""
        mask = np.array([intent in allowed for intent in self._model.intents])
        if not mask.any():
            return Guess(intent="unclear", score=0.0, margin=0.0)
        vector = self._embedder.embed([text.lower()])[0]
        probs = self._model.probabilities(vector, mask)
        best = int(np.argmax(probs))
        family = self._families[best]
        score = float(probs[self._families == family].sum())
        others = [float(probs[self._families == f].sum()) for f in set(self._families) - {family}]
        return Guess(
            intent=self._model.intents[best], score=score, margin=score - max(others, default=0.0)
        )


def _family(intent: str) -> str:
    # Sub-kinds of one intent ("refine_cheaper", "refine_pricier") never make it unsure.
    return (
        intent.split("_", 1)[0]
        if intent.startswith(("refine", "feedback", "sensitive", "mode"))
        else intent
    )
