"""Fitting the question rule to a shop's history: the cases it assesses and how it
chooses between thresholds."""

from __future__ import annotations

import pytest

from agent.policy.calibration import (
    MIN_CONSEQUENTIAL,
    PRECISION_FLOOR,
    Case,
    choose,
    grid,
    history_cases,
)
from agent.policy.clarify import Assessment
from tests.tools.small_shop import SmallShop, varied_history
from tools.ranker import MODE_WEIGHTS
from tools.signals import DecayPolicy, EventColumns
from tools.tuning.history import split_history
from tools.tuning.tuner import ranker_at_cut


def _case(injected: bool, similarity: float, changed: int, weight: float = 1.0) -> Case:
    assessment = Assessment(
        title="t", history_items=10, similarity=similarity, percentile=0.1, changed=changed
    )
    return Case(injected, assessment, weight)


def test_the_rule_with_most_recall_among_the_precise_enough_wins() -> None:
    gifts = [_case(True, 0.32, 5) for _ in range(MIN_CONSEQUENTIAL)]
    # Own purchases that look as far out as the gifts at a loose threshold only.
    own = [_case(False, 0.42, 5) for _ in range(3)]

    best = grid(gifts + own)[0]

    assert best["precision"] >= PRECISION_FLOOR
    assert best["fit_similarity"] <= 0.4  # a looser rule would ask about the own ones
    chosen = choose(gifts + own)
    assert chosen is not None and chosen.recall == 1.0 and chosen.precision == 1.0
    assert chosen.ask is None  # the question score does no better here: the rule stays


def test_the_question_score_wins_where_only_similar_shoppers_tell_gifts_apart() -> None:
    cases = []
    for n in range(90):  # shopper by shopper; text and taste alike for all of them
        gift = n % 3 == 0
        assessment = Assessment(
            title="t",
            history_items=10,
            similarity=0.32,
            percentile=0.1,
            neighbours=0.0 if gift else 0.3,
            changed=5,
        )
        cases.append(Case(gift, assessment))

    chosen = choose(cases)

    assert chosen is not None and chosen.ask is not None
    assert chosen.precision >= PRECISION_FLOOR and chosen.recall > 0.9
    assert all(chosen.ask.asks(c.assessment.signals()) == c.injected for c in cases)


def test_weights_count_an_own_purchase_for_the_order_lines_it_stands_for() -> None:
    gifts = [_case(True, 0.32, 5, weight=0.3) for _ in range(MIN_CONSEQUENTIAL)]
    own = [_case(False, 0.32, 5, weight=1.0)]

    rows = {(r["fit_similarity"], r["fit_percentile"]): r for r in grid(gifts + own)}

    assert rows[(0.35, 0.5)]["precision"] == pytest.approx(3.0 / 4.0)
    assert rows[(0.35, 0.5)]["recall"] == 1.0  # recall counts the gifts themselves
    assert choose(gifts + own) is None  # no rule is precise enough


def test_too_few_consequential_gifts_keep_the_built_in_rule() -> None:
    gifts = [_case(True, 0.32, 5) for _ in range(MIN_CONSEQUENTIAL - 1)]
    gifts += [_case(True, 0.32, 1) for _ in range(20)]  # would change too little

    assert choose(gifts) is None


def test_each_shopper_gets_their_first_order_and_one_injected_purchase_assessed() -> None:
    shop = SmallShop()
    columns = EventColumns.of(varied_history(shop, shoppers=40, days=150, seed=5))
    split = split_history(columns, shop.catalog, window_days=40, max_shoppers=1000)
    ranker = ranker_at_cut(split, shop.catalog, {}, DecayPolicy(), MODE_WEIGHTS)
    ticks: list[None] = []

    cases = history_cases(
        split, ranker, shoppers=15, min_history_items=3, progress=lambda: ticks.append(None)
    )

    assert len(ticks) == 15
    injected = [c for c in cases if c.injected]
    assert 0 < len(injected) <= 15
    assert all(c.assessment.changed is not None for c in cases)
    own_weight = sum(c.weight for c in cases if not c.injected)
    orders = [len(o) for o in split.first_orders]
    assert 0 < own_weight <= sum(orders)
