"""The experiments simulator: its reaction model and staff lists, and a quick run end to end
(numbers not judged)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from agent.experiments.model import Arm, Source
from agent.experiments.report import ExperimentReport
from bench.experiments.simulator import (
    PLOTS,
    RESULTS,
    Customer,
    Reactions,
    react,
    run,
    staff_lists,
)
from bench.ranking.datasets import RawData
from bench.ranking.splits import all_items_split
from tools.types import BehaviourEvent, CatalogItem, EventKind

CUT = datetime(2011, 11, 1)
ITEMS = [
    CatalogItem(item_id=f"{category[0]}{n}", title=f"{category} thing {n}", category=category)
    for category in ("kitchen", "garden")
    for n in range(1, 5)
]
BY_ID = {item.item_id: item for item in ITEMS}


def _customer(likes: set[str]) -> Customer:
    return Customer(
        shopper_id="c1",
        likes=frozenset(likes),
        categories={"kitchen": len(likes)},
        quantities=dict.fromkeys(likes, 12.0),
        usual_quantity=6.0,
    )


def _clicks(likes: set[str], shown: list[str], draws: int = 2000) -> dict[str, int]:
    counts = dict.fromkeys(shown, 0)
    for seed in range(draws):
        reaction = react(random.Random(seed), _customer(likes), [BY_ID[i] for i in shown])
        for item_id in reaction.clicks:
            counts[item_id] += 1
    return counts


def test_a_customer_clicks_what_they_later_bought_far_more_often_than_other_items() -> None:
    clicks = _clicks({"k1"}, ["k1", "k2"])

    rates = Reactions()
    assert abs(clicks["k1"] / 2000 - rates.p_click_hit) < 0.04
    assert abs(clicks["k2"] / 2000 - rates.p_click_noise) < 0.015


def test_the_same_seed_gives_the_same_reaction_and_only_clicked_items_are_bought() -> None:
    shown = [BY_ID[i] for i in ("k1", "k2", "g1", "g2")]
    customer = _customer({"k1", "g1"})

    first = react(random.Random(7), customer, shown)
    assert first == react(random.Random(7), customer, shown)
    for seed in range(300):
        reaction = react(random.Random(seed), customer, shown)
        assert set(reaction.purchases) <= set(reaction.carts) <= set(reaction.clicks)
        assert set(reaction.ups) <= set(reaction.clicks) & customer.likes
        assert not set(reaction.not_for_me) & (set(reaction.clicks) | customer.likes)
        assert reaction.rating is None or 1 <= reaction.rating <= 5


def test_not_for_me_grows_with_how_far_the_list_is_from_the_customers_taste() -> None:
    customer = _customer({"k1"})  # buys only kitchen things

    def dismissals(shown: list[str]) -> int:
        items = [BY_ID[i] for i in shown]
        return sum(len(react(random.Random(s), customer, items).not_for_me) for s in range(2000))

    near = dismissals(["k2", "k3", "k4", "g1"])  # a quarter outside the customer's categories
    far = dismissals(["g1", "g2", "g3", "g4"])  # all of it
    assert far > 2 * near > 0


def test_ratings_rise_with_the_share_of_the_list_the_customer_later_bought() -> None:
    def mean_rating(likes: set[str]) -> float:
        shown = [BY_ID[i] for i in ("k1", "k2", "k3", "k4")]
        ratings = [react(random.Random(s), _customer(likes), shown).rating for s in range(2000)]
        given = [r for r in ratings if r is not None]
        return sum(given) / len(given)

    assert mean_rating(set()) < mean_rating({"k1"}) < mean_rating({"k1", "k2", "k3"})


def test_staff_lists_hold_each_categorys_bestsellers_of_the_last_30_days_by_buyers() -> None:
    def bought(shopper: str, item: str, days_before: float, quantity: float = 1) -> BehaviourEvent:
        return BehaviourEvent(
            event_id=f"e-{shopper}-{item}-{days_before}",
            shopper_id=shopper,
            item_id=item,
            kind=EventKind.PURCHASE,
            at=CUT - timedelta(days=days_before),
            quantity=quantity,
        )

    events = [
        # k1: two buyers lately; k2: one buyer of a wholesale quantity; k3: many, but long ago.
        bought("a", "k1", 3),
        bought("b", "k1", 5),
        bought("c", "k2", 2, quantity=500),
        *(bought(s, "k3", 60) for s in "defgh"),
        bought("a", "g1", 1),
        bought("b", "g2", 10),
        bought("c", "g2", 12),
        bought("d", "k4", 1),
        bought("a", "k9", 1),  # not in the catalog the shop holds
    ]
    split = all_items_split(
        RawData(items=ITEMS, events=events), cut=CUT, dataset="t", name="t", description="t"
    )

    lists = staff_lists(split, ITEMS, per_category=2, overall=3)

    by_name = {lst.name: lst for lst in lists}
    assert [i.item_id for i in by_name["Our bestsellers in kitchen"].items] == ["k1", "k2"]
    assert [i.item_id for i in by_name["Our bestsellers in garden"].items] == ["g2", "g1"]
    assert by_name["Our bestsellers in garden"].target.category == "garden"
    general = by_name["Our bestsellers"]
    assert [i.item_id for i in general.items] == ["g2", "k1", "k2"]
    assert general.target.count() == 0
    assert general.items[0].note == "one of our bestsellers"
    assert by_name["Our bestsellers in kitchen"].items[0].note == (
        "one of our bestsellers in kitchen"
    )


# -- a quick run end to end ------------------------------------------------------------------


def _written() -> dict[str, int]:
    """The simulator's files under bench/results and bench/plots, with when each last
    changed (other benchmarks may write their own files there meanwhile)."""
    return {
        str(path): path.stat().st_mtime_ns
        for folder in (RESULTS, PLOTS)
        if folder.exists()
        for path in sorted(folder.glob("experiments*"))
    }


@pytest.fixture(scope="module")
def quick() -> Iterator[tuple[dict[str, Any], dict[str, int], dict[str, int]]]:
    before = _written()
    results = run(quick=True)
    yield results, before, _written()


@pytest.mark.slow
def test_every_arm_gets_exposed_shoppers(quick: tuple[dict[str, Any], ...]) -> None:
    results = quick[0]
    report = results["report"]

    assert set(report["shoppers"]) == {arm.value for arm in Arm}
    assert all(n > 0 for n in report["shoppers"].values()), report["shoppers"]
    assert sum(report["shoppers"].values()) == results["customers"]
    assert report["sample_ratio"]["observed"] == report["shoppers"]
    for arm in Arm:
        assert results["simulated"][arm.value]["lists"] > 0


@pytest.mark.slow
def test_the_curated_arm_shows_only_items_staff_chose_and_the_ai_arm_none(
    quick: tuple[dict[str, Any], ...],
) -> None:
    simulated = quick[0]["simulated"]

    assert set(simulated["curated"]["items_by_source"]) == {Source.CURATED.value}
    assert set(simulated["ai"]["items_by_source"]) == {Source.AI.value}
    assert simulated["curated"]["items_shown"] > 0


@pytest.mark.slow
def test_the_report_gives_each_arm_an_interval_and_each_treatment_a_lift(
    quick: tuple[dict[str, Any], ...],
) -> None:
    report = quick[0]["report"]
    by_name = {m["name"]: m for m in report["metrics"]}

    for name in ("click_through", "purchases", "rating", "not_for_me"):
        for arm, interval in by_name[name]["arms"].items():
            assert interval["n"] > 0, (name, arm)
            assert interval["low"] <= interval["value"] <= interval["high"], (name, arm)
    for arm in ("curated", "hybrid"):
        lift = by_name["click_through"]["lifts"][arm]
        assert lift["low"] <= lift["lift"] <= lift["high"]
        assert lift["sequential_low"] <= lift["low"] and lift["high"] <= lift["sequential_high"]
    assert report["verdict"]


@pytest.mark.slow
def test_the_report_round_trips_through_json(quick: tuple[dict[str, Any], ...]) -> None:
    results = quick[0]

    text = json.dumps(results)
    again = ExperimentReport.model_validate(json.loads(text)["report"])
    assert again.model_dump(mode="json") == results["report"]
    assert again.key == results["experiment"]["key"]


@pytest.mark.slow
def test_a_quick_run_writes_nothing_under_bench_results_or_plots(
    quick: tuple[dict[str, Any], ...],
) -> None:
    results, before, after = quick

    assert after == before
    assert results["quick"] is True
    assert results["statistics"]["aa"]["runs"] < 1000
