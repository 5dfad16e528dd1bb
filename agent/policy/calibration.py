"""Calibrating the question rule on a shop's own history.

The rule asks about an event that fits the shopper's history neither by text nor by
taste, and would change at least :data:`CONSEQUENTIAL_CHANGE` of the ten suggestions
they are shown. How far is "does not fit" differs from shop to shop (in a catalog of
157 magazines, or of 4,000 gifts), so its two thresholds are fitted to the shop:

* shoppers' real first orders after a cut are assessed as they were: their own, each
  item against the history and the rest of its basket, as an order recorded at once
  is (up to :data:`ITEMS_PER_ORDER` items of an order; each stands for its share);
* every shopper also gets one purchase far from anything they bought (an item the
  shop sells often, among the least like their history): someone else's, counted as
  if only :data:`INJECTED_SHARE` of shoppers had one, so that precision means what it
  would with a gift in every third or fourth order, and recall rests on more cases;
* every event's fit and impact is computed once, so any rule costs nothing more to
  score. Recall counts the consequential injected events; precision, every question
  asked.
* two kinds of rule compete. The *both-ways* rule asks about an event unlike the
  history by text and by taste: the threshold pair with the most recall among those
  whose questions are at least :data:`PRECISION_FLOOR` right. The *question score*
  (:class:`~agent.policy.ask_score.AskScore`) is a logistic regression of "injected" on
  all the fit signals of the consequential events (the only ones a question may be
  about), with the threshold chosen the same way.
* each kind is judged on shoppers it was not fitted on (:data:`FOLDS` folds of
  shoppers: weights and thresholds chosen on the others), so that the choice does not
  ride on a fit's own luck; the better one is then fitted on all the cases. The fit
  thresholds also decide when to hold an event without asking, whichever asks.

``tactful tune`` runs this on the shop's history; ``python -m bench.tact.calibrate``
on the benchmark's validation split.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from pydantic import BaseModel

from agent.policy.ask_score import AskScore, fit_weights
from agent.policy.clarify import (
    CONSEQUENTIAL_CHANGE,
    Assessment,
    ClarifyConfig,
    changed_by,
    fit_of,
)
from tools.ranker import HybridRanker, RankInput
from tools.taste import taste_signal
from tools.tuning.history import HistorySplit
from tools.types import BehaviourEvent, EventKind, Suggestion

SIMILARITY_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
PERCENTILE_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
#: Questions that are wrong more often than this cost more trust than they save.
PRECISION_FLOOR = 0.8
#: How common a purchase for someone else is taken to be: one in this share of orders.
INJECTED_SHARE = 0.3
#: Injected purchases come from the shop's most sold items, among the 5 % of them least
#: like anything the shopper bought: plausible as a gift, far from their own taste.
POPULAR_POOL = 1500
FAR_SHARE = 0.05
#: Items of one order assessed; the rest are represented by them (weighted up), so a
#: wholesaler's 200-line order costs no more than a small one.
ITEMS_PER_ORDER = 6
#: Fewer consequential injected events than this and a recall says too little to act on.
MIN_CONSEQUENTIAL = 10
#: Folds of shoppers for the out-of-fold predictions the threshold is chosen on.
FOLDS = 5


@dataclass
class Case:
    """One assessed event, whether it was injected (someone else's), and how many
    events like it it stands for."""

    injected: bool
    assessment: Assessment
    weight: float = 1.0


class Calibration(BaseModel):
    """The rule chosen, and how it did on the cases it was chosen on: precision and
    recall are the question score's on out-of-fold predictions (the fit thresholds'
    own rule's when there is no score, as in configs written before it)."""

    fit_similarity: float
    fit_percentile: float
    ask: AskScore | None = None
    precision: float
    recall: float
    questions: int
    cases: int
    consequential_injected: int


class AskFit(BaseModel):
    """A fitted question score and its precision, recall and questions, on held-out
    shoppers (``held_out_*``: weights and threshold chosen on the others) and on the
    cases it was fitted on."""

    ask: AskScore
    held_out_precision: float
    held_out_recall: float
    held_out_questions: float
    precision: float
    recall: float
    questions: float


def grid(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """Precision, recall and questions for every threshold pair, best first, of the
    rule that asks about an event unlike the history both by text and by taste."""
    consequential = consequential_injected(cases)
    rows = []
    for similarity, percentile in itertools.product(SIMILARITY_GRID, PERCENTILE_GRID):
        asked = [
            c
            for c in askable(cases)
            if c.assessment.similarity < similarity and c.assessment.percentile < percentile
        ]
        hits = sum(c.injected for c in asked)
        questions = sum(c.weight for c in asked)
        precision = sum(c.weight for c in asked if c.injected) / questions if questions else 0.0
        recall = hits / consequential if consequential else 0.0
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        rows.append(
            {
                "fit_similarity": similarity,
                "fit_percentile": percentile,
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "questions": round(questions),
            }
        )
    # The most recall among rules precise enough to be worth the shopper's time.
    return sorted(
        rows, key=lambda r: (r["precision"] < PRECISION_FLOOR, -r["recall"], -r["precision"])
    )


def consequential_injected(cases: Sequence[Case]) -> int:
    """Injected events that would change enough of what is shown: what recall counts.
    (The rule only asks about those, so every injected event asked about is one.)"""
    return sum(
        1 for c in cases if c.injected and (c.assessment.changed or 0) >= CONSEQUENTIAL_CHANGE
    )


def askable(cases: Sequence[Case]) -> list[Case]:
    """The cases a question may be about: enough history, and consequential."""
    floor = ClarifyConfig().min_history_items
    return [
        c
        for c in cases
        if c.assessment.history_items >= floor
        and (c.assessment.changed or 0) >= CONSEQUENTIAL_CHANGE
    ]


def fit_ask(cases: Sequence[Case], folds: int = FOLDS) -> AskFit | None:
    """Fit the question score on ``cases`` (in shopper order, so that contiguous folds
    hold whole shoppers); None when there is nothing to fit on."""
    pool = askable(cases)
    if len({c.injected for c in pool}) < 2:
        return None
    consequential = consequential_injected(cases)
    signals = [c.assessment.signals() for c in pool]
    injected = [c.injected for c in pool]
    weights = [c.weight for c in pool]
    held_out = np.zeros(len(pool))
    for part in _folds(len(pool), folds):
        train = np.setdiff1d(np.arange(len(pool)), part)
        if len({injected[i] for i in train}) < 2:  # nothing to tell apart: the prior
            held_out[part] = float(np.mean([injected[i] for i in train]))
            continue
        bias, fitted = fit_weights(
            [signals[i] for i in train], [injected[i] for i in train], [weights[i] for i in train]
        )
        score = AskScore(bias=bias, weights=fitted, threshold=0.5)
        held_out[part] = [score.probability(signals[i]) for i in part]
    asked = np.zeros(len(pool), dtype=bool)
    for part in _folds(len(pool), folds):
        others = np.setdiff1d(np.arange(len(pool)), part)
        chosen, _ = _best_threshold(held_out[others], [pool[i] for i in others])
        asked[part] = held_out[part] >= chosen
    threshold, _ = _best_threshold(held_out, pool, consequential)
    bias, fitted = fit_weights(signals, injected, weights)
    ask = AskScore(bias=bias, weights=fitted, threshold=threshold)
    own = np.array([ask.probability(s) for s in signals])
    oof = _scored(asked, pool, consequential)
    fit = _scored(own >= threshold, pool, consequential)
    return AskFit(
        ask=ask,
        held_out_precision=oof[0],
        held_out_recall=oof[1],
        held_out_questions=oof[2],
        precision=fit[0],
        recall=fit[1],
        questions=fit[2],
    )


def held_out_both_ways(cases: Sequence[Case], folds: int = FOLDS) -> tuple[float, float, float]:
    """Precision, recall and questions of the both-ways rule on held-out shoppers: each
    fold asked about with the threshold pair :func:`grid` chooses on the others."""
    pool = askable(cases)
    asked = np.zeros(len(pool), dtype=bool)
    for part in _folds(len(pool), folds):
        others = set(range(len(pool))) - set(part.tolist())
        best = grid([pool[i] for i in sorted(others)])[0]
        asked[part] = [
            pool[i].assessment.similarity < best["fit_similarity"]
            and pool[i].assessment.percentile < best["fit_percentile"]
            for i in part
        ]
    return _scored(asked, pool, consequential_injected(cases))


def _folds(n: int, folds: int) -> list[np.ndarray]:
    """Contiguous blocks: cases come shopper by shopper, so a block holds whole shoppers
    (but for the two at its edges)."""
    return np.array_split(np.arange(n), folds)


def _best_threshold(
    probabilities: np.ndarray, pool: Sequence[Case], consequential: int | None = None
) -> tuple[float, tuple[float, float, float]]:
    """The threshold with the most recall among those at least :data:`PRECISION_FLOOR`
    precise (the most precise when none is), and its scores."""
    if consequential is None:
        consequential = consequential_injected(pool)
    best: tuple[tuple[bool, float, float], float, tuple[float, float, float]] | None = None
    for threshold in sorted(set(probabilities.tolist())):
        scored = _scored(probabilities >= threshold, pool, consequential)
        key = _merit(scored)
        if best is None or key > best[0]:
            best = (key, threshold, scored)
    assert best is not None
    return best[1], best[2]


def _scored(
    asked: np.ndarray, pool: Sequence[Case], consequential: int
) -> tuple[float, float, float]:
    """Precision (weighted by what each case stands for), recall of the consequential
    injected events, and questions, when the cases ``asked`` marks are asked about."""
    questions = sum(c.weight for c, a in zip(pool, asked, strict=True) if a)
    right = sum(c.weight for c, a in zip(pool, asked, strict=True) if a and c.injected)
    hits = sum(1 for c, a in zip(pool, asked, strict=True) if a and c.injected)
    precision = right / questions if questions else 0.0
    recall = hits / consequential if consequential else 0.0
    return round(precision, 4), round(recall, 4), round(questions, 1)


def choose(cases: Sequence[Case]) -> Calibration | None:
    """The better kind of rule on held-out shoppers, fitted on all the cases; None when
    the cases cannot support one (too few consequential injected events, or no rule
    precise enough to ask anything)."""
    consequential = consequential_injected(cases)
    best = grid(cases)[0]
    both_ways = held_out_both_ways(cases)
    fitted = fit_ask(cases)
    scored = (
        (fitted.held_out_precision, fitted.held_out_recall, fitted.held_out_questions)
        if fitted is not None
        else None
    )
    use_score = scored is not None and _merit(scored) > _merit(both_ways)
    precision, recall, questions = scored if use_score and scored else both_ways
    if consequential < MIN_CONSEQUENTIAL or recall == 0 or precision < PRECISION_FLOOR:
        return None
    return Calibration(
        fit_similarity=best["fit_similarity"],
        fit_percentile=best["fit_percentile"],
        ask=fitted.ask if use_score and fitted else None,
        precision=precision,
        recall=recall,
        questions=round(questions),
        cases=len(cases),
        consequential_injected=consequential,
    )


def _merit(scores: tuple[float, float, float]) -> tuple[bool, float, float]:
    """Precise enough first, then the most recall, then the most precision."""
    precision, recall, _ = scores
    precise = precision >= PRECISION_FLOOR
    return precise, recall if precise else 0.0, precision


def history_cases(
    split: HistorySplit,
    ranker: HybridRanker,
    *,
    shoppers: int,
    seed: int = 0,
    min_history_items: int = ClarifyConfig().min_history_items,
    progress: Callable[[], None] | None = None,
) -> list[Case]:
    """Assess the first orders after the cut of up to ``shoppers`` shoppers, and one
    injected purchase for each, against their history."""
    rng = np.random.default_rng(seed)
    catalog, now, policy = ranker.catalog, split.cut, ranker.policy
    eligible = [
        i
        for i, history in enumerate(split.histories)
        if len({e.item_id for e in history}) >= min_history_items
    ]
    if len(eligible) > shoppers:
        eligible = sorted(rng.choice(eligible, shoppers, replace=False).tolist())
    popular = _popular_rows(split, catalog.row)
    cases: list[Case] = []
    for i in eligible:
        history, shopper, order = split.histories[i], split.shoppers[i], split.first_orders[i]
        basket = [_purchase(shopper, catalog.items[r].item_id, now, n) for n, r in enumerate(order)]

        def served(
            events: Sequence[BehaviourEvent], shopper: str = shopper
        ) -> tuple[RankInput, list[Suggestion]]:
            """The list the shopper is shown with ``events`` as their history."""
            taste = taste_signal(events, catalog, now=now, policy=policy)
            request = RankInput(k=10, taste=taste, shopper_id=shopper)
            return request, ranker.rank(request, now)

        whole, whole_list = served([*history, *basket])
        picks = rng.choice(len(order), min(len(order), ITEMS_PER_ORDER), replace=False)
        for n in sorted(picks.tolist()):
            without, without_list = served([*history, *basket[:n], *basket[n + 1 :]])
            assessment = fit_of(ranker, without, order[n])
            if assessment is not None:
                assessment.changed = changed_by(without_list, whole_list)
                cases.append(Case(False, assessment, weight=len(order) / len(picks)))
        row = _far_row(ranker, history, popular, rng)
        assessment = fit_of(ranker, whole, row)
        if assessment is not None:
            gift = _purchase(shopper, catalog.items[row].item_id, now, len(order))
            assessment.changed = changed_by(whole_list, served([*history, *basket, gift])[1])
            cases.append(Case(True, assessment, weight=INJECTED_SHARE))
        if progress is not None:
            progress()
    return cases


def _popular_rows(split: HistorySplit, row_of: Callable[[str], int | None]) -> np.ndarray:
    bought = split.train.kinds == split.kind.value
    ids, counts = np.unique(split.train.item_ids[bought], return_counts=True)
    rows = [row_of(str(i)) for i in ids[np.argsort(-counts, kind="stable")]]
    return np.array([r for r in rows if r is not None][:POPULAR_POOL], dtype=np.int64)


def _far_row(
    ranker: HybridRanker,
    history: Sequence[BehaviourEvent],
    popular: np.ndarray,
    rng: np.random.Generator,
) -> int:
    """A popular item among the least like anything the shopper chose, not chosen."""
    vectors = ranker.catalog.vectors
    own = {r for r in (ranker.catalog.row(e.item_id) for e in history) if r is not None}
    closeness = (vectors[popular] @ vectors[sorted(own)].T).max(axis=1)
    far = [int(popular[j]) for j in np.argsort(closeness)[: max(1, int(len(popular) * FAR_SHARE))]]
    far = [r for r in far if r not in own] or [int(popular[np.argmin(closeness)])]
    return far[int(rng.integers(len(far)))]


def _purchase(shopper: str, item_id: str, at: datetime, n: int) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=f"calibration-{shopper}-{n}",
        shopper_id=shopper,
        item_id=item_id,
        kind=EventKind.PURCHASE,
        at=at,
    )
