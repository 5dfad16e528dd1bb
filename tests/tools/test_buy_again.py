"""Buy-again: a re-order is suggested when it is due, with a reason that states the habit."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tests.tools.small_shop import NOW, SmallShop
from tools.buy_again import (
    FALLBACK_INTERVAL_DAYS,
    BuyAgainPolicy,
    IntervalSource,
    RepurchaseIntervals,
    ago,
    due_ness,
    habit,
    span,
)
from tools.explain import cited_factors, reason_for
from tools.ranker import (
    INTERVAL_REF,
    MODE_WEIGHTS,
    ORDERS_REF,
    SINCE_REF,
    HybridRanker,
    RankInput,
    RankWeights,
)
from tools.taste import Standing, taste_signal
from tools.types import BehaviourEvent, EventKind, Evidence, FactorName, ShopperMode, Suggestion

POLICY = BuyAgainPolicy()


def orders(shop: SmallShop, item_id: str, *days_ago: float) -> list[BehaviourEvent]:
    return [
        shop.event(item_id, EventKind.PURCHASE, days_ago=d, n=i) for i, d in enumerate(days_ago)
    ]


def regular(shop: SmallShop) -> list[BehaviourEvent]:
    """Tea lights every 35 days (last 42 days ago), a mug once, cushions long ago."""
    return [
        *orders(shop, "candle-tea", 42 + 35 * 3, 42 + 35 * 2, 42 + 35, 42),
        *orders(shop, "mug-owl", 20),
        *orders(shop, "cushion-red", 400, 380),
    ]


def evidence(suggestion: Suggestion, ref: str) -> Evidence:
    factor = suggestion.factor(FactorName.BUY_AGAIN)
    assert factor is not None
    return next(e for e in factor.evidence if e.ref.startswith(ref))


# -- due-ness -------------------------------------------------------------------------


def test_a_reorder_is_most_due_at_exactly_one_interval() -> None:
    assert due_ness(35, 35, POLICY) == pytest.approx(1.0)
    assert due_ness(0, 35, POLICY) == 0.0
    assert due_ness(10, 35, POLICY) < due_ness(20, 35, POLICY) < due_ness(30, 35, POLICY) < 1
    assert 1 > due_ness(50, 35, POLICY) > due_ness(100, 35, POLICY) > due_ness(400, 35, POLICY)


def test_due_ness_falls_off_on_a_log_scale_with_its_own_width_either_side() -> None:
    policy = BuyAgainPolicy(early_width=0.5, late_width=1.0)

    half = due_ness(17.5, 35, policy)
    double = due_ness(70, 35, policy)

    assert half == pytest.approx(math.exp(-(math.log(0.5) ** 2) / (2 * 0.25)))
    assert double == pytest.approx(math.exp(-(math.log(2) ** 2) / 2))
    assert double > half, "being late says less against a re-order than being early"


def test_the_shoppers_own_interval_is_the_median_gap_between_their_orders() -> None:
    shop = SmallShop()
    bought = orders(shop, "candle-tea", 100, 70, 30, 29.8)  # the last two are one order

    found = habit(bought, 0, RepurchaseIntervals.empty(len(shop.catalog)), NOW, POLICY)

    assert found is not None
    assert (found.orders, found.source) == (3, IntervalSource.OWN)
    assert found.interval_days == pytest.approx(35.0)  # median of 30 and 40
    assert found.days_since == pytest.approx(29.8)
    assert found.last.event_id == bought[3].event_id
    assert found.strength == pytest.approx(math.log1p(3 / POLICY.orders_scale))


def test_more_orders_make_a_stronger_habit_at_the_same_due_ness() -> None:
    shop = SmallShop()
    intervals = RepurchaseIntervals.empty(len(shop.catalog))
    # Both every 30 days, both last ordered 30 days ago: equally due.
    twice = habit(orders(shop, "candle-tea", 60, 30), 0, intervals, NOW, POLICY)
    often = habit(orders(shop, "candle-tea", *range(300, 0, -30)), 0, intervals, NOW, POLICY)

    assert twice is not None and often is not None
    assert twice.due == pytest.approx(often.due)
    assert often.score > twice.score
    # Each further order adds less than the one before.
    assert often.strength < 5 * twice.strength


def test_one_order_is_timed_by_the_items_usual_interval_then_by_the_shops() -> None:
    shop = SmallShop()
    once = orders(shop, "mug-owl", 20)
    row = shop.row("mug-owl")
    policy = POLICY.model_copy(update={"min_orders": 1, "shop_interval": True})
    n = len(shop.catalog)
    # Three shoppers re-order the mug 10, 14 and 30 days apart; another re-orders a cushion.
    intervals = RepurchaseIntervals.from_orders(
        np.array(["a", "a", "b", "b", "c", "c", "d", "d"], dtype=object),
        np.array([row, row, row, row, row, row, 5, 5]),
        np.array([0.0, 10.0, 3.0, 17.0, 0.0, 30.0, 0.0, 90.0]),
        n,
    )

    by_item = habit(once, row, intervals, NOW, policy)
    by_shop = habit(once, row, intervals, NOW, policy.model_copy(update={"min_item_gaps": 4}))
    by_default = habit(once, row, RepurchaseIntervals.empty(n), NOW, policy)

    assert by_item is not None and (by_item.source, by_item.interval_days) == (
        IntervalSource.ITEM,
        14.0,
    )
    assert by_shop is not None and (by_shop.source, by_shop.interval_days) == (
        IntervalSource.SHOP,
        22.0,  # the median of 10, 14, 30 and 90
    )
    assert by_default is not None and by_default.interval_days == FALLBACK_INTERVAL_DAYS
    assert habit(once, row, intervals, NOW, POLICY.model_copy(update={"min_orders": 2})) is None
    # Without the shop's interval, one order of something too few re-order is no habit.
    unreordered = policy.model_copy(update={"min_item_gaps": 4, "shop_interval": False})
    assert habit(once, row, intervals, NOW, unreordered) is None
    assert habit(once, row, intervals, NOW, policy.model_copy(update={"shop_interval": False}))


def test_lines_of_one_order_are_one_order_in_the_shops_intervals() -> None:
    intervals = RepurchaseIntervals.from_orders(
        np.array(["a", "a", "a"], dtype=object), np.array([0, 0, 0]), np.array([0.0, 0.2, 7.0]), 2
    )

    assert intervals.item_gaps.tolist() == [1, 0]
    assert intervals.item_median_days[0] == pytest.approx(7.0)


def test_durations_read_as_a_person_says_them() -> None:
    assert [span(d) for d in (1, 5, 35, 42, 90, 800)] == [
        "day",
        "5 days",
        "5 weeks",
        "6 weeks",
        "3 months",
        "2 years",
    ]
    assert [ago(d) for d in (0.3, 1.5, 4, 42)] == [
        "today",
        "yesterday",
        "4 days ago",
        "6 weeks ago",
    ]


# -- the factor in the ranker ---------------------------------------------------------


def test_a_due_reorder_leads_a_purchase_session_with_its_habit_as_evidence() -> None:
    shop = SmallShop()
    taste = shop.taste(regular(shop))

    top = shop.ranker.rank(RankInput(mode=ShopperMode.PURCHASE, taste=taste), NOW)[0]

    assert top.item.item_id == "candle-tea"
    factor = top.factor(FactorName.BUY_AGAIN)
    assert factor is not None and factor.contribution > 0
    assert top.score == pytest.approx(sum(f.contribution for f in top.factors), abs=1e-5)
    assert (evidence(top, ORDERS_REF).label, evidence(top, ORDERS_REF).weight) == ("4 orders", 4)
    interval = evidence(top, INTERVAL_REF)
    assert (interval.ref, interval.label, interval.weight) == ("interval:own", "5 weeks", 35.0)
    assert (evidence(top, SINCE_REF).label, evidence(top, SINCE_REF).weight) == ("6 weeks ago", 42)
    cited_events = [e.ref for e in factor.evidence if e.kind.value == "event"]
    assert cited_events == [e.event_id for e in regular(shop) if e.item_id == "candle-tea"]


def test_the_reason_states_the_habit_and_every_number_in_it_is_in_the_evidence() -> None:
    shop = SmallShop()
    events = regular(shop)
    taste = shop.taste(events)
    ranked = shop.ranker.rank(RankInput(mode=ShopperMode.PURCHASE, taste=taste, k=20), NOW)
    by_id = {e.event_id: e for e in events}

    said = 0
    for suggestion in ranked:
        reason = reason_for(suggestion, by_id)
        if FactorName.BUY_AGAIN not in {f.name for f in cited_factors(suggestion)}:
            assert "order" not in reason, reason
            continue
        said += 1
        interval, since = evidence(suggestion, INTERVAL_REF), evidence(suggestion, SINCE_REF)
        assert f"about every {interval.label}" in reason and since.label in reason, reason
        numbers = sorted(re.findall(r"\d+", reason))
        assert numbers == sorted(re.findall(r"\d+", f"{interval.label} {since.label}"))
        assert span(interval.weight) == interval.label and ago(since.weight) == since.label
    assert said >= 1
    tea = next(s for s in ranked if s.item.item_id == "candle-tea")
    assert "you order this about every 5 weeks, last time 6 weeks ago" in reason_for(tea, by_id)


def test_a_reorder_not_yet_due_scores_less_than_one_that_is() -> None:
    shop = SmallShop()
    due = shop.taste(orders(shop, "candle-tea", 105, 70, 35))
    early = shop.taste(orders(shop, "candle-tea", 75, 40, 5))

    def again(taste: object) -> float:
        suggestion = shop.ranker.suggestion_for(
            RankInput(mode=ShopperMode.PURCHASE, taste=taste),  # type: ignore[arg-type]
            shop.row("candle-tea"),
            NOW,
        )
        factor = suggestion.factor(FactorName.BUY_AGAIN)
        return 0.0 if factor is None else factor.contribution

    assert again(due) > again(early) > 0


def test_gift_mode_never_applies_buy_again_even_with_a_weight() -> None:
    shop = SmallShop()
    taste = shop.taste(regular(shop))
    weights = MODE_WEIGHTS[ShopperMode.GIFT].model_copy(update={"buy_again": 5.0})

    assert MODE_WEIGHTS[ShopperMode.GIFT].buy_again == 0
    for request in (
        RankInput(mode=ShopperMode.GIFT, taste=taste),
        RankInput(mode=ShopperMode.GIFT, taste=taste, weights=weights),
    ):
        scores = shop.ranker.score_all(request, weights, NOW)
        assert FactorName.BUY_AGAIN not in scores.parts
        assert all(s.factor(FactorName.BUY_AGAIN) is None for s in shop.ranker.rank(request, NOW))


def test_buy_again_fills_at_most_half_of_a_browsing_list() -> None:
    colours = ("red", "blue", "green", "pink", "ivory", "black", "gold", "silver")
    shop = SmallShop()
    # A regular of eight mugs, each due today: uncapped, they would fill the list.
    events = [e for c in colours for e in orders(shop, f"mug-{c}", 60, 30)]
    taste = shop.taste(events)
    browsing = MODE_WEIGHTS[ShopperMode.BROWSING]
    uncapped = browsing.model_copy(update={"buy_again_share": 1.0, "buy_again": 50.0})
    capped = browsing.model_copy(update={"buy_again": 50.0})

    def reorders(weights: RankWeights, k: int) -> int:
        request = RankInput(mode=ShopperMode.BROWSING, k=k, taste=taste, weights=weights)
        ranked = shop.ranker.rank(request, NOW)
        assert len(ranked) == k
        return sum(s.factor(FactorName.BUY_AGAIN) is not None for s in ranked)

    assert browsing.buy_again_share < 1
    assert reorders(uncapped, 8) == 8
    for k in (4, 7, 10):
        assert 1 <= reorders(capped, k) <= math.ceil(k * browsing.buy_again_share) < k, k
    half = capped.model_copy(update={"buy_again_share": 0.5})
    for k in (4, 7, 10):
        assert 1 <= reorders(half, k) <= math.ceil(k / 2), k


def test_a_stated_like_and_due_reorders_share_a_browsing_list_each_within_its_cap() -> None:
    shop = SmallShop()
    colours = ("red", "blue", "green", "pink", "ivory", "black", "gold", "silver")
    taste = shop.taste([e for c in colours for e in orders(shop, f"mug-{c}", 60, 30)])
    weights = MODE_WEIGHTS[ShopperMode.BROWSING].model_copy(update={"buy_again": 50.0})
    request = RankInput(
        mode=ShopperMode.BROWSING, taste=taste, facts=[shop.like("candles")], weights=weights
    )

    ranked = shop.ranker.rank(request, NOW)

    reorders = [s for s in ranked if s.factor(FactorName.BUY_AGAIN) is not None]
    liked = [s for s in ranked if s.factor(FactorName.STATED) is not None]
    assert len(ranked) == 10
    assert 1 <= len(reorders) <= math.ceil(10 * weights.buy_again_share)
    assert 1 <= len(liked) <= math.ceil(10 * weights.stated_share)


def test_new_only_masks_everything_the_shopper_bought_before() -> None:
    shop = SmallShop()
    events = regular(shop)
    taste = shop.taste(events)
    bought = {shop.row(e.item_id) for e in events}

    request = RankInput(mode=ShopperMode.PURCHASE, taste=taste, k=len(shop.catalog), new_only=True)
    ranked = shop.ranker.rank(request, NOW)

    assert bought <= set(np.flatnonzero(shop.ranker.ruled_out(request)).tolist())
    assert ranked and not {shop.row(s.item.item_id) for s in ranked} & bought
    assert all(s.factor(FactorName.BUY_AGAIN) is None for s in ranked)


def test_an_item_the_shopper_said_they_already_have_gets_no_buy_again() -> None:
    shop = SmallShop()
    events = [
        *orders(shop, "candle-tea", 112, 77, 42),
        shop.event("candle-tea", EventKind.OWN, days_ago=1),
    ]
    taste = shop.taste(events)

    habits = shop.ranker.habits(taste, NOW)
    tea = shop.ranker.suggestion_for(
        RankInput(mode=ShopperMode.PURCHASE, taste=taste), shop.row("candle-tea"), NOW
    )

    assert shop.row("candle-tea") not in habits
    assert tea.factor(FactorName.BUY_AGAIN) is None
    owned = tea.factor(FactorName.OWNED)
    assert owned is not None and owned.evidence[0].label == "said they have it"


def test_an_item_sent_back_after_the_last_order_is_not_due_until_ordered_again() -> None:
    shop = SmallShop()
    tea = shop.row("candle-tea")
    sent_back = shop.event("candle-tea", EventKind.RETURN, days_ago=40, n=9)
    returned = shop.taste([*orders(shop, "candle-tea", 112, 77, 42), sent_back])
    reordered = shop.taste([*orders(shop, "candle-tea", 147, 112, 77, 5), sent_back])

    assert tea not in shop.ranker.habits(returned, NOW)
    suggestion = shop.ranker.suggestion_for(
        RankInput(mode=ShopperMode.PURCHASE, taste=returned), tea, NOW
    )
    assert suggestion.factor(FactorName.BUY_AGAIN) is None
    # Ordered again after the return, the habit counts once more.
    assert tea in shop.ranker.habits(reordered, NOW)


def test_purchases_for_someone_else_or_held_for_a_question_are_no_habit() -> None:
    shop = SmallShop()
    gifts = [e.model_copy(update={"recipient": "niece"}) for e in orders(shop, "mug-owl", 60, 30)]
    held = orders(shop, "mug-fox", 60, 30)
    standings = {e.event_id: Standing.HELD for e in held}

    assert shop.taste(gifts).purchases == {}
    signal = taste_signal(held, shop.catalog, now=NOW, policy=shop.policy, standings=standings)
    assert signal.purchases == {}


def test_without_a_buy_again_weight_the_factor_is_absent() -> None:
    shop = SmallShop()
    ranker = HybridRanker(shop.catalog, shop.ranker.interactions, shop.policy)
    weights = MODE_WEIGHTS[ShopperMode.PURCHASE].model_copy(update={"buy_again": 0.0})
    request = RankInput(mode=ShopperMode.PURCHASE, taste=shop.taste(regular(shop)))

    assert FactorName.BUY_AGAIN not in ranker.score_all(request, weights, NOW).parts


def test_timing_sets_how_much_being_due_counts_against_the_habit_itself() -> None:
    shop = SmallShop()
    early = orders(shop, "candle-tea", 72, 37, 2)  # every 35 days, last 2 days ago
    row, intervals = shop.row("candle-tea"), RepurchaseIntervals.empty(len(shop.catalog))
    found = {
        timing: habit(early, row, intervals, NOW, BuyAgainPolicy(timing=timing))
        for timing in (0.0, 0.5, 1.0)
    }
    assert all(h is not None for h in found.values())
    timed, half, untimed = (found[t] for t in (1.0, 0.5, 0.0))
    assert timed is not None and half is not None and untimed is not None
    assert timed.due < 0.5  # far from due
    assert timed.score == pytest.approx(timed.due * timed.strength)
    assert untimed.score == pytest.approx(untimed.strength)  # the habit alone
    assert timed.score < half.score < untimed.score
    assert BuyAgainPolicy().timing == 1.0  # built in: a re-order scores in full when due
