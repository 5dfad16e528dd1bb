"""Which of the shopper's own events carry an item's taste score, for a whole list at once.

The taste score is a share-weighted mean over the shopper's items (its text part clipped
at 0), so it splits exactly into one term per item: share × fit. Taking weight from an
item that fits better than the mean lowers the score, so the items that lower it most
are cited, each by its strongest event, as long as taking them all away really does
(the clip can turn the text part back on), listed by term. An item to ``skip`` is cited
only when no other item qualifies. When none fits better (one item alone, or all alike),
every event of the largest terms is cited. Each weight is the item's term, split among
its cited events.

A list's items are worked out together, one column each: the usual case (the items that
lower the score most, taken away together, do lower it) costs a handful of array
operations for the whole list. An item where they do not is worked out on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tools.catalog_index import CatalogIndex
from tools.interactions import InteractionIndex
from tools.taste import CONTENT_BASELINE, TasteSignal
from tools.types import MIN_CONTRIBUTION, BehaviourEvent, Evidence, EvidenceKind

#: At most this many of the shopper's items are cited for one item's taste. Many, not a
#: few: the same events also choose the similar shoppers, so taking away only a couple of
#: them can shift the community part by more than the taste part falls.
MAX_TASTE_EVIDENCE = 20
#: An item adding less than this share of an item's taste score is not named for it.
MATERIAL_TASTE_SHARE = 0.01
#: Below this an item's weight counts as none; a score lower by more than this is lower.
_TINY = 1e-6
_LOWER = 1e-9

_Cited = list[tuple[int, list[tuple[BehaviourEvent, float]]]]


@dataclass(frozen=True)
class _TasteBasis:
    """A taste signal's items, their weights and text vectors, in one order, and each
    item's strongest event with its weight."""

    rows: np.ndarray
    weights: np.ndarray
    vectors: np.ndarray
    strongest: list[tuple[BehaviourEvent, float]]
    strongest_weights: np.ndarray
    #: ``rows`` as a list, for looking items up one at a time.
    row_list: list[int]
    #: Each item's share of the weight.
    shares: np.ndarray

    @classmethod
    def of(cls, taste: TasteSignal, vectors: np.ndarray) -> _TasteBasis:
        rows = np.fromiter(taste.item_weights, dtype=np.int64)
        row_list = rows.tolist()
        strongest = [max(taste.event_weights[r], key=lambda ew: ew[1]) for r in row_list]
        weights = np.fromiter(taste.item_weights.values(), dtype=np.float64)
        return cls(
            row_list=row_list,
            shares=weights / weights.sum(),
            rows=rows,
            weights=weights,
            vectors=vectors[rows],
            strongest=strongest,
            strongest_weights=np.array([w for _, w in strongest], dtype=np.float64),
        )


@dataclass(frozen=True)
class _Fits:
    """How well each of the shopper's items (rows) fits each listed item (columns): by
    text, from 0 at the baseline, and by co-engagement; and each column's text share."""

    content: np.ndarray
    co: np.ndarray
    content_share: np.ndarray

    def score(self, item_weights: np.ndarray, col: int | None = None) -> np.ndarray:
        """The taste score each column would have with these item weights (one column of
        weights for all, or one per column); with ``col``, that column's alone."""
        content, co, text_share = self.content, self.co, self.content_share
        if col is not None:
            content, co, text_share = content[:, [col]], co[:, [col]], text_share[[col]]
        kept = np.where(item_weights > _TINY, item_weights, 0.0)
        total = kept.sum(axis=0)
        share = kept / np.where(total > 0, total, 1.0)
        text = np.maximum((share * content).sum(axis=0), 0.0)
        score = text_share * text + (1.0 - text_share) * (share * co).sum(axis=0)
        return np.where(total > 0, score, 0.0)


def taste_evidence(
    catalog: CatalogIndex,
    interactions: InteractionIndex,
    rows: Sequence[int],
    taste: TasteSignal,
    content_shares: np.ndarray,
    weight: float,
    skips: Sequence[int | None],
) -> list[list[Evidence]]:
    """The taste evidence of each item in ``rows`` (catalog rows), in the score's own
    terms: ``content_shares`` is each item's share of text in its taste score, ``weight``
    the taste factor's, and ``skips`` the item each may cite only as a last resort."""
    if taste.empty or not rows:
        return [[] for _ in rows]
    basis = _TasteBasis.of(taste, catalog.vectors)
    sources, weights_now, share = basis.rows, basis.weights, basis.shares
    # One product per item: a matrix product would round differently in single precision.
    similarity = np.stack([basis.vectors @ catalog.vectors[r] for r in rows], axis=1)
    content = (similarity.astype(np.float64) - CONTENT_BASELINE) / (1.0 - CONTENT_BASELINE)
    co = np.stack([interactions.co_engaged_pairs(sources, r) for r in rows], axis=1)
    fits = _Fits(content, co, content_shares)
    before = fits.score(weights_now[:, None])
    text = share @ content
    fit = content_shares * content * (text > 0) + (1.0 - content_shares) * co
    terms = share[:, None] * fit
    above = fit > before + _LOWER
    # Like factors, an item adding too little is not worth naming (an old view, a cart
    # left months ago): less than MIN_CONTRIBUTION, or than a small share of the whole.
    floor = np.maximum(MIN_CONTRIBUTION, MATERIAL_TASTE_SHARE * weight * before)
    material = above & (weight * terms >= floor)
    above = np.where(material.any(axis=0), material, above)
    for col, skip in enumerate(skips):
        if skip is not None:
            others = above[:, col] & (sources != skip)
            if others.any():
                above[:, col] = others
    # Most lowering first: share times how much better than the mean it fits.
    lowering = share[:, None] * (fit - before)
    candidates = np.argsort(np.where(above, -lowering, np.inf), axis=0, kind="stable")
    found = above.sum(axis=0)
    counts = np.minimum(found, MAX_TASTE_EVIDENCE)
    # Every column's first candidates taken away at once.
    taken = np.arange(len(sources))[:, None] < counts
    removed = np.zeros_like(fit)
    cited_rows = candidates[taken]
    removed[cited_rows, np.nonzero(taken)[1]] = basis.strongest_weights[cited_rows]
    lowered = fits.score(weights_now[:, None] - removed) < before - _LOWER
    answers = []
    for col in range(len(rows)):
        column_terms = terms[:, col]
        if counts[col] and lowered[col]:
            chosen = candidates[: counts[col], col].tolist()
            cited: _Cited | None = [
                (i, [basis.strongest[i]]) for i in sorted(chosen, key=lambda i: -column_terms[i])
            ]
        else:
            ordered = candidates[: found[col], col].tolist()
            cited = _cited_alone(col, ordered, taste, basis, fits, before[col], column_terms)
        answers.append(_as_evidence(cited or [], catalog, basis, column_terms, weight))
    return answers


def _cited_alone(
    col: int,
    candidates: list[int],
    taste: TasteSignal,
    basis: _TasteBasis,
    fits: _Fits,
    before: float,
    terms: np.ndarray,
) -> _Cited | None:
    """One column's citations when its first candidates together do not lower its score:
    the candidates one at a time, each kept if it lowers the score with those before it;
    failing any, every event of the items with the largest terms (None when even all
    of them cannot be shown to carry it)."""
    weights_now = basis.weights

    def lowers(cited: list[int]) -> bool:
        removed = np.zeros_like(weights_now)
        removed[cited] = basis.strongest_weights[cited]
        return bool(fits.score((weights_now - removed)[:, None], col)[0] < before - _LOWER)

    chosen: list[int] = []
    for i in candidates:
        if lowers([*chosen, i]):
            chosen.append(i)
        if len(chosen) == MAX_TASTE_EVIDENCE:
            break
    if chosen:
        return [(i, [basis.strongest[i]]) for i in sorted(chosen, key=lambda i: -terms[i])]
    # One event per item is enough when the item fits better than the mean; otherwise
    # (one item alone, say) only all of an item's events together lower the score: the
    # items with the largest terms, and more when taking those away turns the clipped
    # text part back on for the rest and raises the score.
    order = np.argsort(-terms, kind="stable")
    size = min(max(int((terms > 0).sum()), 1), MAX_TASTE_EVIDENCE)
    while True:
        left = weights_now.copy()
        left[order[:size]] = 0.0
        if fits.score(left[:, None], col)[0] < before - _LOWER:
            break
        if size >= min(order.size, MAX_TASTE_EVIDENCE):
            return None  # nothing the shopper did can be shown to carry it
        size += 1
    return [
        (i, [ew for ew in taste.event_weights[basis.row_list[i]] if ew[1] > 0])
        for i in order[:size].tolist()
    ]


def _as_evidence(
    cited: _Cited, catalog: CatalogIndex, basis: _TasteBasis, terms: np.ndarray, weight: float
) -> list[Evidence]:
    evidence: list[Evidence] = []
    items, event = catalog.items, EvidenceKind.EVENT
    for i, events in cited:
        title = items[basis.row_list[i]].title
        part = weight * float(terms[i]) / sum(w for _, w in events)
        evidence += [Evidence.of(event, e.event_id, title, part * w) for e, w in events]
    return evidence
