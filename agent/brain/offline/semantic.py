"""Intents by meaning: the nearest example utterances, in the shipped embedding space.

The examples live in ``intent_examples.jsonl`` (one ``{"intent", "text"}`` per line).
Their vectors are built once per embedder and process, on first use; a message costs
one embedding and one matrix product.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.embedding import Embedder

#: A best match below this is too far from every example to name an intent.
MIN_SIMILARITY = 0.38
#: Best and runner-up intents closer than this are a coin toss: say unsure instead.
MIN_MARGIN = 0.01
#: The runner-up example of an intent counts for this much of its score, so one lucky
#: near-duplicate does not outvote an intent that several examples agree on.
SECOND_WEIGHT = 0.25


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
    """The nearest intent among those allowed, and how sure the reader is of it."""

    intent: str
    score: float
    margin: float

    @property
    def sure(self) -> bool:
        """Whether the guess is close enough and clear enough of the runner-up to act on."""
        return self.score >= MIN_SIMILARITY and self.margin >= MIN_MARGIN


@dataclass(frozen=True)
class _Prototypes:
    intents: tuple[str, ...]
    rows: dict[str, np.ndarray]  # intent → its examples' unit vectors, one per row
    embedder: Embedder  # kept so the cache key (its id) is never reused while cached


_BUILT: dict[int, _Prototypes] = {}
_LOCK = threading.Lock()


def _prototypes(embedder: Embedder, examples: tuple[Example, ...]) -> _Prototypes:
    key = id(embedder)
    with _LOCK:
        built = _BUILT.get(key)
        if built is None or built.embedder is not embedder:
            vectors = embedder.embed([e.text.lower() for e in examples])
            intents = tuple(dict.fromkeys(e.intent for e in examples))
            labels = np.array([e.intent for e in examples])
            rows = {i: vectors[labels == i] for i in intents}
            built = _Prototypes(intents=intents, rows=rows, embedder=embedder)
            _BUILT[key] = built
    return built


class SemanticIntents:
    """Nearest-example intent classification over a fixed set of example utterances."""

    def __init__(self, embedder: Embedder, examples: tuple[Example, ...] | None = None) -> None:
        self._embedder = embedder
        self._examples = examples if examples is not None else default_examples()
        self._intents = tuple(dict.fromkeys(e.intent for e in self._examples))

    @property
    def intents(self) -> tuple[str, ...]:
        """Every intent the examples name."""
        return self._intents

    def guess(self, text: str, allowed: frozenset[str]) -> Guess:
        """The allowed intent whose examples lie nearest ``text``."""
        built = _prototypes(self._embedder, self._examples)
        vector = self._embedder.embed([text.lower()])[0]
        scores: list[tuple[float, str]] = []
        for intent in built.intents:
            if intent not in allowed:
                continue
            sims = np.sort(built.rows[intent] @ vector)[::-1]
            second = float(sims[1]) if len(sims) > 1 else float(sims[0])
            scores.append(((1 - SECOND_WEIGHT) * float(sims[0]) + SECOND_WEIGHT * second, intent))
        if not scores:
            return Guess(intent="unclear", score=0.0, margin=0.0)
        scores.sort(reverse=True)
        best, intent = scores[0]
        runner_up = next((s for s, i in scores[1:] if _family(i) != _family(intent)), 0.0)
        return Guess(intent=intent, score=best, margin=best - runner_up)


def _family(intent: str) -> str:
    # Sub-kinds of one intent ("refine_cheaper", "refine_pricier") never make it unsure.
    return (
        intent.split("_", 1)[0]
        if intent.startswith(("refine", "feedback", "sensitive", "mode"))
        else intent
    )
