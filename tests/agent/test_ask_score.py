"""The question score: the signals it reads, and how it is fitted."""

from __future__ import annotations

import numpy as np
import pytest

from agent.policy.ask_score import SIGNALS, AskScore, fit_weights
from agent.policy.calibration import Case, fit_ask
from agent.policy.clarify import Assessment
from agent.policy.fit_signals import category_share, co_purchase_fit, price_gap
from tests.tools.small_shop import NOW, SmallShop, item
from tools.interactions import InteractionIndex


def _assessment(similarity: float, neighbours: float, **fields: object) -> Assessment:
    return Assessment(
        title="t",
        history_items=10,
        similarity=similarity,
        percentile=0.2,
        neighbours=neighbours,
        changed=5,
        **fields,  # type: ignore[arg-type]
    )


def test_what_the_catalog_cannot_tell_reads_as_no_evidence_of_being_out_of_profile() -> None:
    unknown = _assessment(0.3, 0.1).signals()
    known = _assessment(0.3, 0.1, category_share=0.0, price_gap=1.2).signals()

    assert set(unknown) == set(SIGNALS)
    assert (unknown["new_category"], unknown["price_gap"]) == (0.0, 0.0)
    assert (known["new_category"], known["price_gap"]) == (1.0, 1.2)


def test_an_item_without_a_category_or_price_gives_no_category_or_price_signal() -> None:
    shop = SmallShop(
        [
            item("a", "red mug", category="kitchen", price=4.0),
            item("b", "blue mug", category="kitchen", price=4.0),
            item("c", "green cushion", category="home", price=16.0),
            item("d", "plain card"),
        ]
    )
    history = [shop.row("a"), shop.row("b")]

    assert category_share(shop.catalog, history, shop.row("c")) == 0.0
    assert category_share(shop.catalog, history, shop.row("a")) == 1.0
    assert category_share(shop.catalog, history, shop.row("d")) is None
    gap = price_gap(shop.catalog, history, shop.row("c"))
    assert gap is not None and abs(gap - np.log(4.0)) < 1e-9
    assert price_gap(shop.catalog, history, shop.row("d")) is None


def test_with_no_co_purchases_known_an_item_beats_nothing_on_them() -> None:
    shop = SmallShop()
    empty = InteractionIndex.empty(len(shop.catalog), NOW)

    assert co_purchase_fit(empty, {shop.row("mug-red"): 1.0}, shop.row("candle-red")) == 0.0


def test_the_fitted_score_ranks_what_looks_like_someone_elses_higher() -> None:
    rng = np.random.default_rng(3)
    gifts = [_assessment(rng.uniform(0.1, 0.3), rng.uniform(0.0, 0.1)) for _ in range(40)]
    own = [_assessment(rng.uniform(0.25, 0.6), rng.uniform(0.05, 0.4)) for _ in range(120)]

    bias, weights = fit_weights([a.signals() for a in gifts + own], [True] * 40 + [False] * 120)
    score = AskScore(bias=bias, weights=weights, threshold=0.5)

    assert weights["similarity"] < 0 and weights["neighbours"] < 0
    assert score.probability(_assessment(0.15, 0.02).signals()) > 0.5
    assert score.probability(_assessment(0.55, 0.3).signals()) < 0.5


def test_the_threshold_is_judged_on_shoppers_left_out_of_the_fit() -> None:
    rng = np.random.default_rng(4)
    cases = []
    for _ in range(60):  # shopper by shopper: a few own purchases, sometimes a gift
        cases += [
            Case(False, _assessment(rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.5))) for _ in range(3)
        ]
        if rng.random() < 0.5:
            cases.append(Case(True, _assessment(rng.uniform(0.05, 0.35), 0.0)))

    fitted = fit_ask(cases)

    assert fitted is not None
    assert fitted.held_out_precision >= 0.8 and fitted.held_out_recall > 0.5
    assert 0.0 < fitted.ask.threshold < 1.0
    # The threshold chosen on held-out predictions is also the one the score asks at.
    asked = [c for c in cases if fitted.ask.asks(c.assessment.signals())]
    assert sum(c.injected for c in asked) / len(asked) == pytest.approx(fitted.precision, abs=1e-4)
