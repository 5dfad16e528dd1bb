"""Playing one script against the shop, and what counts as success.

Success is a real future purchase among the items shown: the first reply's top 10, or
either reply's top 10 "within the conversation". The bare-keyword baseline gets the
same number of items over its two turns (the query's first page, then its second), so
neither side wins by simply showing more.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from agent.domain import Reply, Suggestion
from bench.conversation.sim_scripts import Script

K = 10
RESAMPLES = 2000


class Shop(Protocol):
    """The part of :class:`agent.facade.Tactful` a simulated shopper talks to."""

    def chat(self, shopper_id: str, message: str, *, conversation_id: str | None = None) -> Reply:
        """One turn of conversation."""
        ...

    def recommend(
        self, shopper_id: str, *, k: int = 10, query: str | None = None
    ) -> list[Suggestion]:
        """The top ``k`` suggestions for a query."""
        ...


@dataclass
class Outcome:
    """What one simulated shopper was shown on both sides, and what went wrong."""

    chat_first_ids: list[str] = field(default_factory=list)
    chat_follow_ids: list[str] = field(default_factory=list)
    keyword_first_ids: list[str] = field(default_factory=list)
    keyword_second_ids: list[str] = field(default_factory=list)
    chat_errors: list[str] = field(default_factory=list)
    keyword_errors: list[str] = field(default_factory=list)
    asked_question: bool = False
    ms: dict[str, float] = field(default_factory=dict)

    def success(self, targets: Collection[str]) -> dict[str, bool]:
        """Task success on each side, after the first turn and within the conversation."""
        chat_first = hit(self.chat_first_ids, targets)
        keyword_first = hit(self.keyword_first_ids, targets)
        return {
            "chat_first": chat_first,
            "chat_within": chat_first or hit(self.chat_follow_ids, targets),
            "keyword_first": keyword_first,
            "keyword_within": keyword_first or hit(self.keyword_second_ids, targets),
        }

    @property
    def chat_shown(self) -> int:
        """Distinct items the chat showed over both turns."""
        return len(set(self.chat_first_ids[:K]) | set(self.chat_follow_ids[:K]))


def hit(item_ids: Sequence[str], targets: Collection[str], k: int = K) -> bool:
    """Whether any of the first ``k`` items is one the customer really bought."""
    return any(item_id in targets for item_id in item_ids[:k])


def play(shop: Shop, script: Script) -> Outcome:
    """The keyword baseline first (so nothing said in chat can colour it), then the chat."""
    outcome = Outcome()
    first_page = _keyword(shop, script, K, outcome, "keyword_first")
    both_pages = _keyword(shop, script, 2 * K, outcome, "keyword_second")
    outcome.keyword_first_ids = first_page
    outcome.keyword_second_ids = both_pages[K:]

    first = _chat(shop, script.shopper_id, script.first, None, outcome, "chat_first")
    if first is None:
        return outcome
    outcome.chat_first_ids = _ids(first.suggestions)
    outcome.asked_question = first.question is not None
    follow = _chat(
        shop, script.shopper_id, script.follow_up, first.conversation_id, outcome, "chat_follow_up"
    )
    if follow is not None:
        outcome.chat_follow_ids = _ids(follow.suggestions)
    return outcome


def _ids(suggestions: Sequence[Suggestion]) -> list[str]:
    return [s.item.item_id for s in suggestions]


def _chat(
    shop: Shop,
    shopper_id: str,
    message: str,
    conversation_id: str | None,
    outcome: Outcome,
    turn: str,
) -> Reply | None:
    started = time.perf_counter()
    try:
        reply = shop.chat(shopper_id, message, conversation_id=conversation_id)
    except Exception as error:  # a reader being rewritten may break; the run must finish
        outcome.chat_errors.append(_failure(turn, error))
        return None
    outcome.ms[turn] = (time.perf_counter() - started) * 1000
    return reply


def _keyword(shop: Shop, script: Script, k: int, outcome: Outcome, turn: str) -> list[str]:
    started = time.perf_counter()
    try:
        suggestions = shop.recommend(script.shopper_id, k=k, query=script.query)
    except Exception as error:
        outcome.keyword_errors.append(_failure(turn, error))
        return []
    outcome.ms[turn] = (time.perf_counter() - started) * 1000
    return _ids(suggestions)


def _failure(turn: str, error: Exception) -> str:
    return f"{turn}: {type(error).__name__}: {str(error)[:120]}"


def rate(values: Sequence[bool], seed: int) -> dict[str, float | int | list[float]]:
    """A success rate with its 95 % percentile-bootstrap interval over customers."""
    array = np.asarray(values, dtype=np.float64)
    if not len(array):
        return {"rate": 0.0, "ci95": [0.0, 0.0], "n": 0}
    means = _resampled_means(array, seed)
    return {
        "rate": round(float(array.mean()), 4),
        "ci95": [round(float(x), 4) for x in np.percentile(means, [2.5, 97.5])],
        "n": len(array),
    }


def paired_difference(a: Sequence[bool], b: Sequence[bool], seed: int) -> dict[str, object]:
    """``a − b`` per customer, resampled in pairs: both sides met the same shoppers."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if not len(diff):
        return {"difference": 0.0, "ci95": [0.0, 0.0]}
    means = _resampled_means(diff, seed)
    return {
        "difference": round(float(diff.mean()), 4),
        "ci95": [round(float(x), 4) for x in np.percentile(means, [2.5, 97.5])],
    }


def _resampled_means(values: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(RESAMPLES, len(values)))
    result: np.ndarray = values[picks].mean(axis=1)
    return result


def latency(values: Sequence[float]) -> dict[str, float | int]:
    """Median, 95th percentile and mean of per-turn times in milliseconds."""
    if not values:
        return {"median": 0.0, "p95": 0.0, "mean": 0.0, "n": 0}
    array = np.asarray(values)
    return {
        "median": round(float(np.median(array)), 1),
        "p95": round(float(np.percentile(array, 95)), 1),
        "mean": round(float(array.mean()), 1),
        "n": len(array),
    }
