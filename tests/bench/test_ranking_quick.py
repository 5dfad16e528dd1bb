"""The ranking benchmark's harness: metrics on hand-made rankings, the split rules on a
tiny synthetic shop, and a quick run end to end. Quality numbers belong to the benchmark
(``python -m bench.ranking.run``), not to these tests."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from bench.ranking.baselines import BuyAgain, ItemKNNRecency, TimeAwareUserKNN
from bench.ranking.datasets import RawData
from bench.ranking.run import RESULTS, run
from bench.ranking.splits import all_items_split, leave_last_out, time_split
from tools.tuning.metrics import K, top_k, user_metrics
from tools.types import BehaviourEvent, CatalogItem, EventKind

START = datetime(2011, 1, 1)
CUT = datetime(2011, 6, 1)


def _event(shopper: str, item: str, at: datetime, n: int = 0) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=f"e-{shopper}-{item}-{at:%Y%m%d%H%M}-{n}",
        shopper_id=shopper,
        item_id=item,
        kind=EventKind.PURCHASE,
        at=at,
    )


def _shop(events: list[BehaviourEvent]) -> RawData:
    items = sorted({e.item_id for e in events})
    return RawData(items=[CatalogItem(item_id=i, title=f"Item {i}") for i in items], events=events)


# -- metrics -------------------------------------------------------------------------


def test_a_perfect_ranking_scores_one_on_every_metric() -> None:
    assert user_metrics([7, 3, 9], {3, 7, 9}) == pytest.approx((1.0, 1.0, 1.0))


def test_a_ranking_without_hits_scores_zero() -> None:
    assert user_metrics(list(range(10)), {42}) == (0.0, 0.0, 0.0)


def test_one_target_found_second_has_ndcg_one_over_log2_of_three() -> None:
    hr, recall, ndcg = user_metrics([5, 1, 2], {1})
    assert (hr, recall) == (1.0, 1.0)
    assert ndcg == pytest.approx(1 / math.log2(3))


def test_recall_divides_by_every_target_even_beyond_k() -> None:
    targets = set(range(20))
    hr, recall, ndcg = user_metrics(list(range(10)), targets)
    assert hr == 1.0
    assert recall == pytest.approx(10 / 20)
    # The ideal DCG counts only min(10, |targets|) hits, so ten straight hits are perfect.
    assert ndcg == pytest.approx(1.0)


def test_hits_beyond_rank_ten_do_not_count() -> None:
    assert user_metrics([*range(100, 110), 1], {1}) == (0.0, 0.0, 0.0)


def test_train_items_are_dropped_before_the_ranking_is_cut_at_ten() -> None:
    ranked = [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 1]
    excluded = {50}
    # With item 50 removed, item 1 moves up to rank 10 and counts.
    hr, _, ndcg = user_metrics(ranked, {1}, excluded)
    assert hr == 1.0
    assert ndcg == pytest.approx(1 / math.log2(K + 1))
    # And a method cannot score by listing an excluded item that is also a target.
    assert user_metrics([50], {50, 1}, {50}) == (0.0, 0.0, 0.0)


def test_top_k_never_returns_an_excluded_item_and_breaks_ties_by_row() -> None:
    scores = np.array([[5.0, 5.0, 9.0, 1.0, 5.0]])
    excluded = np.array([[False, False, True, False, False]])
    assert top_k(scores, excluded, 3).tolist() == [[0, 1, 4]]


# -- split rules ---------------------------------------------------------------------


def test_time_split_targets_only_items_new_to_the_customer() -> None:
    day = timedelta(days=1)
    events = [_event("a", i, START + n * day) for n, i in enumerate("pqr")]
    events += [_event("a", "p", CUT + day, 1), _event("a", "s", CUT + 2 * day)]
    split = time_split(_shop(events), cut=CUT, dataset="t", name="test", description="")
    assert split.targets == {"a": frozenset({"s"})}
    assert split.excluded["a"] == frozenset("pqr")
    for user, targets in split.targets.items():
        assert not targets & {e.item_id for e in split.train_events[user]}
    assert all(at < np.datetime64(CUT) for at in split.train.at)


def test_time_split_keeps_customers_with_three_train_items_and_one_new_item() -> None:
    day = timedelta(days=1)
    events = [
        # b: only two distinct train items (bought one twice) -> not a test customer
        _event("b", "p", START),
        _event("b", "p", START + day, 1),
        _event("b", "q", START + day),
        _event("b", "z", CUT + day),
        # c: three train items but buys nothing new after the cut -> not a test customer
        *[_event("c", i, START + day) for i in "pqr"],
        _event("c", "p", CUT + day),
        # d: qualifies
        *[_event("d", i, START + day) for i in "pqr"],
        _event("d", "z", CUT + day),
    ]
    split = time_split(_shop(events), cut=CUT, dataset="t", name="test", description="")
    assert split.users == ["d"]
    # Everyone's train events still feed the models.
    assert set(split.train.shopper_ids.tolist()) == {"b", "c", "d"}


def test_the_all_items_split_counts_reorders_as_targets_and_masks_nothing() -> None:
    day = timedelta(days=1)
    events = [_event("a", i, START + n * day) for n, i in enumerate("pqr")]
    events += [_event("a", "p", CUT + day, 1), _event("a", "s", CUT + 2 * day)]
    # c re-orders only: no target under "new items", a target here.
    events += [_event("c", i, START + day) for i in "pqr"] + [_event("c", "q", CUT + day, 1)]

    split = all_items_split(_shop(events), cut=CUT, dataset="t", name="test", description="")

    assert split.targets == {"a": frozenset("ps"), "c": frozenset("q")}
    assert split.excluded == {"a": frozenset(), "c": frozenset()}
    assert all(at < np.datetime64(CUT) for at in split.train.at)


def test_the_buy_again_baseline_lists_own_items_by_count_then_most_recent() -> None:
    day = timedelta(days=1)
    events = [
        *(_event("a", "p", START + n * day, n) for n in range(3)),
        _event("a", "q", START + 5 * day),
        _event("a", "r", START + 9 * day),
        *(_event("b", "s", START + n * day, n) for n in range(5)),
        _event("a", "z", CUT + day),
    ]
    split = all_items_split(_shop(events), cut=CUT, dataset="t", name="test", description="")

    ranked = BuyAgain(split).recommend(["a"], 3)[0]

    assert [split.items[r].item_id for r in ranked] == ["p", "r", "q"]


def test_validation_window_ends_where_test_begins() -> None:
    events = [*(_event("a", i, START) for i in "pqr"), _event("a", "s", CUT)]
    split = time_split(
        _shop(events),
        cut=START + timedelta(days=30),
        end=CUT,
        dataset="t",
        name="v",
        description="",
    )
    assert split.targets == {}


def test_leave_last_out_holds_out_the_last_event_with_ties_broken_by_item_id() -> None:
    at = START
    events = [_event("u", "1", at), _event("u", "2", at + timedelta(hours=1))]
    # Two ratings in the same second: item 10 sorts after item 9, numerically.
    events += [
        _event("u", "10", at + timedelta(hours=2)),
        _event("u", "9", at + timedelta(hours=2)),
    ]
    test = leave_last_out(_shop(events), holdout=1, dataset="t", name="test", description="")
    validation = leave_last_out(_shop(events), holdout=2, dataset="t", name="v", description="")
    assert test.targets == {"u": frozenset({"10"})}
    assert test.excluded["u"] == frozenset({"1", "2", "9"})
    assert validation.targets == {"u": frozenset({"9"})}
    # Validation never sees the test event, not even as training data.
    assert "10" not in set(validation.train.item_ids.tolist())


# -- time-aware baselines ------------------------------------------------------------


def _scores_by_item(split_items: list[CatalogItem], scores: np.ndarray) -> dict[str, float]:
    return {item.item_id: float(score) for item, score in zip(split_items, scores, strict=True)}


def test_time_aware_user_knn_ranks_what_neighbours_bought_lately_first() -> None:
    # v and w share u's three items; v bought x two days before the cut, w bought y
    # five months before it.
    day = timedelta(days=1)
    events = [_event(who, i, START) for who in "uvw" for i in "pqr"]
    events += [_event("v", "x", CUT - 2 * day), _event("w", "y", START + day)]
    events += [_event("u", "z", CUT + day)]
    split = time_split(_shop(events), cut=CUT, dataset="t", name="test", description="")

    faded = TimeAwareUserKNN(split, k=2, half_life=7.0)
    flat = TimeAwareUserKNN(split, k=2, half_life=1e4)

    assert [split.items[r].item_id for r in faded.recommend(["u"], 2)[0]] == ["x", "y"]
    scores = _scores_by_item(split.items, flat.scores(["u"])[0])
    # Without fading (a half-life far beyond the data) the two count almost alike.
    assert scores["x"] == pytest.approx(scores["y"], rel=0.02)
    # Only the neighbourhood counts: with one neighbour, the other's item scores nothing.
    one = _scores_by_item(split.items, TimeAwareUserKNN(split, k=1).scores(["u"])[0])
    assert min(one["x"], one["y"]) == 0.0 < max(one["x"], one["y"])


def test_item_knn_with_recency_follows_the_users_latest_items() -> None:
    # u bought a long ago and b lately; a2 goes with a and b2 with b in other baskets.
    day = timedelta(days=1)
    events = [
        _event("u", "a", START),
        _event("u", "c", START + 60 * day),
        _event("u", "b", CUT - day),
        _event("u", "z", CUT + day),
        _event("s", "a", START),
        _event("s", "a2", START),
        _event("t", "b", START),
        _event("t", "b2", START),
    ]
    split = time_split(_shop(events), cut=CUT, dataset="t", name="test", description="")

    faded = _scores_by_item(split.items, ItemKNNRecency(split, half_life=14.0).scores(["u"])[0])
    flat = _scores_by_item(split.items, ItemKNNRecency(split, half_life=1e4).scores(["u"])[0])

    assert faded["b2"] > faded["a2"] > 0
    assert flat["b2"] == pytest.approx(flat["a2"], rel=0.02)


# -- end to end ----------------------------------------------------------------------


@pytest.mark.slow
def test_quick_ranking_run_scores_every_method_within_zero_and_one() -> None:
    result = run(quick=True)

    for dataset in ("online-retail", "movielens-100k"):
        table = result[dataset]
        assert {"most popular", "recently popular", "item-kNN", "ALS", "tactful"} <= set(table)
        assert any(name.startswith("tactful −") for name in table)
        for method, metrics in table.items():
            assert metrics["users"] > 0, method
            for name in ("hr@10", "recall@10", "ndcg@10"):
                assert 0.0 <= metrics[name] <= 1.0, (dataset, method, name)
    all_items = result["online-retail (all items)"]
    assert {"buy-again", "ALS", "tactful", "tactful (shipped, as `tactful recommend`)"} <= set(
        all_items
    )
    assert all(0.0 <= m["ndcg@10"] <= 1.0 and m["users"] > 0 for m in all_items.values())
    assert set(result["met"]) == {"online-retail", "movielens-100k", "online-retail (all items)"}
    assert result["seconds"] > 0
    written = json.loads((RESULTS / "ranking_quick.json").read_text(encoding="utf-8"))
    assert written["online-retail"] == result["online-retail"]
