"""Tuning on a shop's own history: the batched factors are the ranker's, the history is
cut in time as documented, and the search only keeps what serves better."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tests.tools.small_shop import NOW, SmallShop, varied_history
from tools.buy_again import BuyAgainPolicy
from tools.interactions import InteractionIndex
from tools.ranker import HybridRanker, RankInput, RankWeights
from tools.signals import DecayPolicy, EventColumns
from tools.taste import TasteSignal, taste_signal
from tools.tuning.factors import batch_factors, check
from tools.tuning.history import NotEnoughHistory, split_history
from tools.tuning.metrics import top_k, user_metrics
from tools.tuning.search import coordinate_search
from tools.tuning.tuner import ShopTuner, tune
from tools.types import BehaviourEvent, EventKind, ShopperMode


def _ranker(shop: SmallShop, events: list[BehaviourEvent], policy: DecayPolicy) -> HybridRanker:
    index = InteractionIndex.build(EventColumns.of(events), shop.catalog, now=NOW, policy=policy)
    return HybridRanker(shop.catalog, index, policy)


def _tastes(
    shop: SmallShop, events: list[BehaviourEvent], shoppers: list[str], policy: DecayPolicy
) -> list[TasteSignal]:
    return [
        taste_signal([e for e in events if e.shopper_id == s], shop.catalog, now=NOW, policy=policy)
        for s in shoppers
    ]


WEIGHTINGS = [
    RankWeights(),
    RankWeights(taste=3.0, taste_content_share=0.1, community=8.0, neighbours=2, buy_again=2.0),
    RankWeights(taste=0.5, community=20.0, neighbours=50, popularity=0.0, owned=1.2),
]


@pytest.mark.parametrize("weights", WEIGHTINGS)
def test_the_batched_factors_add_up_to_the_rankers_score_for_every_shopper(
    weights: RankWeights,
) -> None:
    shop = SmallShop()
    events = varied_history(shop, shoppers=15, days=200)
    policy = DecayPolicy(neighbour_days=7.0)
    ranker = _ranker(shop, events, policy)
    shoppers = [f"s{s}" for s in range(15)]
    tastes = _tastes(shop, events, shoppers, policy)

    factors = batch_factors(ranker, shoppers, tastes, NOW)

    total = factors.total(weights)
    for i, shopper in enumerate(shoppers):
        request = RankInput(mode=ShopperMode.PURCHASE, taste=tastes[i], shopper_id=shopper)
        expected = ranker.score_all(request, weights, NOW).total()
        np.testing.assert_allclose(total[i], expected, rtol=1e-4, atol=1e-5)
    assert factors.buy_again.any() and factors.dismissed.any() and factors.community(2).any()
    assert check(ranker, factors, shoppers, tastes, weights, NOW)


def test_the_check_notices_factors_that_do_not_match_the_ranker() -> None:
    shop = SmallShop()
    events = varied_history(shop, shoppers=8, days=100)
    policy = DecayPolicy()
    ranker = _ranker(shop, events, policy)
    shoppers = [f"s{s}" for s in range(8)]
    tastes = _tastes(shop, events, shoppers, policy)
    factors = batch_factors(ranker, shoppers, tastes, NOW)
    factors.co = factors.co * 2.0

    assert not check(ranker, factors, shoppers, tastes, RankWeights(), NOW)


def test_the_history_is_cut_at_the_window_and_only_own_purchases_after_it_are_targets() -> None:
    shop = SmallShop()
    events = varied_history(shop, shoppers=40, days=120)
    columns = EventColumns.of(events)

    split = split_history(columns, shop.catalog, window_days=30, max_shoppers=1000)

    assert split.end == max(e.at for e in events).replace(microsecond=0)
    assert split.cut == split.end - timedelta(days=30)
    assert all(np.datetime64(split.cut, "s") > split.train.at)
    for shopper, targets, history in zip(
        split.shoppers, split.targets, split.histories, strict=True
    ):
        after = {
            shop.row(e.item_id)
            for e in events
            if e.shopper_id == shopper
            and e.at >= split.cut
            and e.kind is EventKind.PURCHASE
            and e.recipient is None
        }
        assert targets == after and targets
        assert len({e.item_id for e in history}) >= 3
        assert all(e.at < split.cut for e in history)


def test_a_large_shop_is_scored_on_a_bounded_sample_of_its_shoppers() -> None:
    shop = SmallShop()
    columns = EventColumns.of(varied_history(shop, shoppers=60, days=120))

    split = split_history(columns, shop.catalog, window_days=30, max_shoppers=25)

    assert len(split.shoppers) == 25 < split.eligible
    again = split_history(columns, shop.catalog, window_days=30, max_shoppers=25)
    assert again.shoppers == split.shoppers  # the same seed draws the same shoppers


def test_too_little_history_says_what_to_change() -> None:
    shop = SmallShop()
    columns = EventColumns.of(varied_history(shop, shoppers=10, days=120))

    with pytest.raises(NotEnoughHistory, match="at least 20"):
        split_history(columns, shop.catalog, window_days=30, max_shoppers=100)
    with pytest.raises(NotEnoughHistory, match="shorter --window"):
        split_history(columns, shop.catalog, window_days=500, max_shoppers=100)
    with pytest.raises(NotEnoughHistory, match="no events"):
        split_history(EventColumns.of([]), shop.catalog, window_days=30, max_shoppers=100)


def test_tuning_keeps_its_result_only_when_it_serves_better_than_the_defaults() -> None:
    shop = SmallShop()
    columns = EventColumns.of(varied_history(shop, shoppers=60, days=150, seed=3))
    split = split_history(columns, shop.catalog, window_days=40, max_shoppers=1000)
    defaults = {mode: RankWeights() for mode in ShopperMode}
    stages: list[str] = []

    result = tune(
        split,
        shop.catalog,
        countries={},
        policy=DecayPolicy(),
        weights=defaults,
        progress=stages.append,
    )

    served = result.validation
    new_only = {name for name in served if name.endswith(" (new only)")}
    assert set(served) - new_only == {"tuned", "defaults", "popular", "buy again by count"}
    assert result.adopted == (served["tuned"].ndcg > served["defaults"].ndcg)
    if result.adopted:
        assert result.weights[ShopperMode.BROWSING] != defaults[ShopperMode.BROWSING]
        # Gift and research lists lead with the request, which no history shows.
        assert result.weights[ShopperMode.GIFT] == defaults[ShopperMode.GIFT]
    else:
        assert result.weights == defaults and result.policy == DecayPolicy()
        assert result.buy_again == BuyAgainPolicy()
    assert {"weights", "half-lives", "serving", "baselines"} <= set(stages)
    # Every trial is a weighting through the batched factors or a list served by the
    # ranker; the defaults are served once more to compare with, and each candidate for
    # the lists of new things once.
    assert stages.count("serving") == result.trials - stages.count("weights") + 1 + len(new_only)


def test_lists_of_new_things_get_the_weights_that_served_them_best() -> None:
    shop = SmallShop()
    columns = EventColumns.of(varied_history(shop, shoppers=60, days=150, seed=3))
    split = split_history(columns, shop.catalog, window_days=40, max_shoppers=1000)
    defaults = {mode: RankWeights() for mode in ShopperMode}

    result = tune(split, shop.catalog, countries={}, policy=DecayPolicy(), weights=defaults)

    served = {
        name.removesuffix(" (new only)"): metrics.ndcg
        for name, metrics in result.validation.items()
        if name.endswith(" (new only)")
    }
    # The whole list's weights, the built-in ones (unless they are the same) and the
    # ones searched on new things alone compete; the best serves.
    assert set(served) == (
        {"tuned", "defaults", "discovery"} if result.adopted else {"defaults", "discovery"}
    )
    assert served[result.new_only_choice] == max(served.values())
    whole = "tuned" if result.adopted else "defaults"
    if result.new_only_choice == whole:
        assert result.new_only_weights is None
    else:
        assert result.new_only_weights is not None
        assert result.new_only_weights != result.weights
        # Gift and research lists lead with the request: they keep their weights.
        assert result.new_only_weights[ShopperMode.GIFT] == result.weights[ShopperMode.GIFT]


def test_a_weighting_is_judged_also_on_what_was_new_to_each_shopper() -> None:
    shop = SmallShop()
    columns = EventColumns.of(varied_history(shop, shoppers=60, days=150, seed=3))
    split = split_history(columns, shop.catalog, window_days=40, max_shoppers=1000)
    tuner = ShopTuner(split, shop.catalog, {})
    policy = DecayPolicy()

    owned, new_targets = tuner.new_items(policy)

    for i, history in enumerate(split.histories):
        # Their own purchases, as ``recommend --new-only`` leaves them out (a present
        # for someone else is not theirs).
        bought = {
            shop.row(e.item_id)
            for e in history
            if e.kind is EventKind.PURCHASE and e.recipient is None
        }
        assert bought <= set(np.flatnonzero(owned[i]))
        assert new_targets[i] == split.targets[i] - bought
    assert any(n != t for n, t in zip(new_targets, split.targets, strict=True))
    # The score is the mean of the whole list's and the list without their own items'.
    scores = tuner.factors(policy).total(RankWeights())
    ranked = top_k(scores, tuner.nothing_excluded, len(shop.catalog))
    whole = np.mean([user_metrics(r, t)[2] for r, t in zip(ranked, split.targets, strict=True)])
    new = np.mean(
        [
            user_metrics(r, t, excluded=set(np.flatnonzero(o)))[2]
            for r, t, o in zip(ranked, new_targets, owned, strict=True)
            if t
        ]
    )
    assert tuner.ndcg(RankWeights(), policy) == pytest.approx((whole + new) / 2)


def test_coordinate_search_finds_the_best_of_a_separable_grid() -> None:
    found = coordinate_search(
        {"a": 0, "b": 0},
        {"a": [0, 1, 2], "b": [0, 1, 2]},
        lambda p: -((p["a"] - 2) ** 2) - (p["b"] - 1) ** 2,
    )
    assert found.best == {"a": 2, "b": 1}


def test_tuning_reads_re_orders_the_way_that_served_best_and_keeps_it_with_the_weights() -> None:
    shop = SmallShop()
    columns = EventColumns.of(varied_history(shop, shoppers=60, days=150, seed=3))
    split = split_history(columns, shop.catalog, window_days=40, max_shoppers=1000)
    tuner = ShopTuner(split, shop.catalog, {})
    policy, weights = DecayPolicy(), RankWeights(buy_again=3.0)

    found, shape = tuner.search_buy_again(weights, policy)

    tried = [
        tuner.ndcg(weights.model_copy(update={"buy_again": w}), policy, BuyAgainPolicy(timing=t))
        for w in (0.0, 3.0)
        for t in (0.0, 1.0)
    ]
    assert tuner.ndcg(found, policy, shape) >= max(tried) - 1e-12
    # Only buy-again's weight moves; the scores of another reading are buy-again's alone.
    assert found.model_copy(update={"buy_again": 3.0}) == weights
    untimed = tuner.factors(policy, BuyAgainPolicy(timing=0.0))
    built_in = tuner.factors(policy)
    assert np.array_equal(untimed.community(25), built_in.community(25))
    assert (untimed.buy_again >= built_in.buy_again - 1e-6).all()
    assert (untimed.buy_again > built_in.buy_again + 1e-6).any()
