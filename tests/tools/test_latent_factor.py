"""Latent taste: ALS item factors fitted at each rebuild, a factor with exact evidence."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from scipy import sparse

from tests.tools.small_shop import NOW, SmallShop, varied_history
from tools.explain import explain, reason_for
from tools.interactions import InteractionIndex
from tools.latent import LatentFactors, LatentSettings, engaged_weights
from tools.ranker import RankInput, RankWeights
from tools.signals import EventColumns
from tools.types import BehaviourEvent, EventKind, FactorName, ShopperMode, Suggestion

WEIGHTS = RankWeights(taste=0.0, community=0.0, popularity=0.0, owned=0.0, latent=1.0)
#: Two kinds of shopper: candle people, who also take the owl mug, and cushion people,
#: who also take the fox mug. Each of them skips one of their four.
CANDLE_TASTE = ("candle-red", "candle-blue", "candle-green", "mug-owl")
CUSHION_TASTE = ("cushion-red", "cushion-blue", "cushion-green", "mug-fox")


def bought(shopper: str, item: str, days_ago: float) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=f"{shopper}-{item}-{days_ago}",
        shopper_id=shopper,
        item_id=item,
        kind=EventKind.PURCHASE,
        at=NOW - timedelta(days=days_ago),
    )


def two_tastes(shoppers: int = 12) -> list[BehaviourEvent]:
    history = []
    for s in range(shoppers):
        for prefix, taste in (("c", CANDLE_TASTE), ("h", CUSHION_TASTE)):
            history += [
                bought(f"{prefix}{s}", item, 10 + i)
                for i, item in enumerate(taste)
                if (s + i) % len(taste)
            ]
    return history


def build(shop: SmallShop, history: list[BehaviourEvent]) -> InteractionIndex:
    index = InteractionIndex.build(
        EventColumns.of(history), shop.catalog, now=NOW, policy=shop.policy
    )
    shop.ranker.interactions = index
    return index


def rank(
    shop: SmallShop,
    events: list[BehaviourEvent],
    *,
    mode: ShopperMode = ShopperMode.BROWSING,
    personalized: bool = True,
    k: int = 5,
) -> list[Suggestion]:
    request = RankInput(
        mode=mode,
        taste=shop.taste(events),
        weights=WEIGHTS,
        k=k,
        new_only=True,
        personalized=personalized,
    )
    return shop.ranker.rank(request, NOW)


def test_what_shoppers_of_the_same_latent_taste_chose_ranks_first() -> None:
    shop = SmallShop()
    build(shop, two_tastes())
    top = rank(shop, [bought("me", "candle-red", 2), bought("me", "candle-blue", 3)])
    assert {s.item.item_id for s in top[:2]} == {"candle-green", "mug-owl"}
    assert all(s.factor(FactorName.LATENT) is not None for s in top[:2])
    fox = shop.ranker.suggestion_for(
        RankInput(taste=shop.taste([bought("me", "candle-red", 2)]), weights=WEIGHTS),
        shop.row("mug-fox"),
        NOW,
    )
    assert fox.score < top[1].score


def test_the_evidence_names_only_the_own_items_that_add_to_the_score() -> None:
    shop = SmallShop()
    build(shop, two_tastes())
    mine = [bought("me", "candle-red", 2), bought("me", "cushion-red", 3)]
    top = rank(shop, mine, k=10)
    owl = next(s for s in top if s.item.item_id == "mug-owl")
    fox = next(s for s in top if s.item.item_id == "mug-fox")

    for suggestion, own in ((owl, "red scented pillar candle"), (fox, "red velvet cushion")):
        factor = suggestion.factor(FactorName.LATENT)
        assert factor is not None
        assert [e.label for e in factor.evidence] == [own]
        assert factor.evidence[0].weight > 0

    reason = reason_for(owl, {e.event_id: e for e in mine})
    assert reason == (
        "Because shoppers with tastes like yours, going by the red scented pillar candle you "
        "bought, tend to choose it."
    )
    shown = explain(owl)
    assert [line.name for line in shown.factors if line.cited] == [FactorName.LATENT]


def test_taking_the_cited_events_away_lowers_the_latent_part_for_every_shopper() -> None:
    shop = SmallShop()
    history = varied_history(shop, shoppers=40, days=200)
    build(shop, history)
    checked = 0
    for shopper in sorted({e.shopper_id for e in history})[:15]:
        mine = [e for e in history if e.shopper_id == shopper]
        request = RankInput(taste=shop.taste(mine), weights=WEIGHTS, k=10)
        for suggestion in shop.ranker.rank(request, NOW):
            factor = suggestion.factor(FactorName.LATENT)
            if factor is None:
                continue
            cited = {e.ref for e in factor.evidence}
            assert cited <= {e.event_id for e in mine}
            rest = RankInput(taste=shop.taste([e for e in mine if e.event_id not in cited]))
            after = shop.ranker.score_all(rest, WEIGHTS, NOW).parts.get(FactorName.LATENT)
            row = shop.row(suggestion.item.item_id)
            assert (0.0 if after is None else float(after[row])) < factor.contribution
            checked += bool(cited)
    assert checked >= 50


def test_the_score_splits_into_the_terms_implicit_explains() -> None:
    from implicit.cpu.als import AlternatingLeastSquares

    shop = SmallShop()
    latent = build(shop, two_tastes()).latent
    mine = [
        bought("me", "candle-red", 2),
        bought("me", "cushion-red", 3),
        bought("me", "mug-owl", 9),
    ]
    engaged = engaged_weights(shop.taste(mine))
    placed = latent.shopper(engaged)
    assert placed is not None
    row = shop.row("candle-green")
    terms = placed.contributions(latent.item_factors[row])

    model = AlternatingLeastSquares(
        factors=latent.item_factors.shape[1], regularization=latent.regularization, alpha=1.0
    )
    model.item_factors = latent.item_factors
    rows = placed.rows
    confidence = sparse.csr_matrix(
        (placed.confidence, (np.zeros_like(rows), rows)), shape=(1, len(shop.catalog))
    )
    total, top, _ = model.explain(0, confidence, row, N=len(rows))

    assert terms.sum() == pytest.approx(total, rel=1e-5)
    assert terms.sum() == pytest.approx(float(placed.scores(latent.item_factors)[row]), rel=1e-4)
    explained = dict(top)
    assert [explained[int(r)] for r in rows] == pytest.approx(terms.tolist(), rel=1e-5, abs=1e-7)


def test_a_gift_or_an_unpersonalized_list_has_no_latent_factor() -> None:
    shop = SmallShop()
    build(shop, two_tastes())
    mine = [bought("me", "candle-red", 2), bought("me", "candle-blue", 3)]
    for ranked in (
        rank(shop, mine, mode=ShopperMode.GIFT),
        rank(shop, mine, personalized=False),
    ):
        assert ranked
        assert all(s.factor(FactorName.LATENT) is None for s in ranked)


def test_a_new_event_counts_at_once_without_retraining() -> None:
    shop = SmallShop()
    index = build(shop, two_tastes())
    factors = index.latent.item_factors.copy()
    # "me" is not in the index at all: the shopper is placed from their own events.
    before = rank(shop, [bought("me", "cushion-red", 5)])
    after = rank(shop, [bought("me", "cushion-red", 5), bought("me", "candle-red", 0.1)])
    assert "mug-owl" not in [s.item.item_id for s in before[:3]]
    assert "mug-owl" in [s.item.item_id for s in after[:3]]
    assert np.array_equal(shop.ranker.interactions.latent.item_factors, factors)


def test_a_rebuild_fits_the_factors_again_with_new_items_and_shoppers() -> None:
    shop = SmallShop()
    history = two_tastes()
    first = build(shop, history)
    jar = shop.row("candle-jar")
    assert not first.latent.item_factors[jar].any()  # nobody has chosen it yet

    later = history + [bought(f"new{s}", "candle-jar", 1) for s in range(4)]
    later += [bought(f"new{s}", "candle-red", 1.5) for s in range(4)]
    second = build(shop, later)

    assert second.latent.item_factors[jar].any()
    top = rank(shop, [bought("me", "candle-red", 2)], k=6)
    assert "candle-jar" in [s.item.item_id for s in top]


def test_the_same_events_fit_the_same_factors() -> None:
    shop = SmallShop()
    first = build(shop, two_tastes()).latent.item_factors
    second = build(shop, two_tastes()).latent.item_factors
    assert np.array_equal(first, second)


def test_a_shop_with_no_engagement_has_no_factors_and_no_factor() -> None:
    shop = SmallShop()
    views = [
        BehaviourEvent(
            event_id="v1", shopper_id="a", item_id="mug-owl", kind=EventKind.VIEW, at=NOW
        )
    ]
    index = build(shop, views)
    assert not index.latent.trained
    ranked = rank(shop, [bought("me", "candle-red", 2)])
    assert all(s.factor(FactorName.LATENT) is None for s in ranked)


def test_settings_set_the_size_of_the_item_vectors() -> None:
    shop = SmallShop()
    history = two_tastes()
    engagement = InteractionIndex.build(
        EventColumns.of(history), shop.catalog, now=NOW, policy=shop.policy
    ).engagement
    fitted = LatentFactors.fit(engagement, LatentSettings(factors=8))
    assert fitted.item_factors.shape == (len(shop.catalog), 8)
