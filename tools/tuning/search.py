"""Coordinate search: tune one parameter at a time over its grid, keep the best, repeat."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SearchResult:
    """The best parameters found, their score, and every setting tried."""

    best: dict[str, Any]
    score: float
    tried: dict[tuple[tuple[str, Any], ...], float] = field(default_factory=dict)


def coordinate_search(
    start: Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]],
    score: Callable[[dict[str, Any]], float],
    *,
    passes: int = 2,
    tried: dict[tuple[tuple[str, Any], ...], float] | None = None,
) -> SearchResult:
    """Maximise ``score`` by sweeping each parameter of ``grid`` in turn.

    A sweep moves a parameter only for a strictly better score, so the result never
    scores below ``start``; it stops early when a whole pass changes nothing.
    """
    memo = tried if tried is not None else {}

    def cached(params: dict[str, Any]) -> float:
        key = tuple(sorted(params.items()))
        if key not in memo:
            memo[key] = score(params)
        return memo[key]

    best = dict(start)
    best_score = cached(best)
    for _ in range(passes):
        moved = False
        for name, values in grid.items():
            for value in values:
                if value == best[name]:
                    continue
                candidate = best | {name: value}
                candidate_score = cached(candidate)
                if candidate_score > best_score:
                    best, best_score, moved = candidate, candidate_score, True
        if not moved:
            break
    return SearchResult(best=best, score=best_score, tried=memo)
