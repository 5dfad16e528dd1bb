"""Arms served for real: the demo shop, its stores, a running experiment."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.domain import FeedbackValue
from agent.embedding import Embedder
from agent.errors import Conflict, InvalidInput
from agent.experiments.curation import CuratedItem, CuratedListDraft
from agent.experiments.model import PERSONALIZATION_OFF, Arm, ExperimentDraft
from agent.facade import Tactful
from agent.settings import Settings
from tools.types import FactorName

NOTE = "our bestseller for new parents"


def staff_list(tactful: Tactful, name: str = "Staff picks", n: int = 12) -> list[str]:
    """A list of ``n`` catalog items (the first with a note); their ids in staff order."""
    items = [item.item_id for item in tactful.index.catalog.items[100 : 100 + n]]
    draft = CuratedListDraft(
        name=name,
        items=[CuratedItem(item_id=items[0], note=NOTE)]
        + [CuratedItem(item_id=i) for i in items[1:]],
    )
    tactful.save_list(draft, actor="staff:ann")
    return items


def run_only(tactful: Tactful, arm: Arm, key: str = "exp") -> None:
    """An experiment where every shopper lands in ``arm``."""
    weights = {a: 1.0 if a is arm else 0.0 for a in Arm}
    tactful.experiments.create(ExperimentDraft(key=key, weights=weights))
    tactful.experiments.start(key)


def test_the_curated_arm_shows_the_staff_list_in_staff_order_with_a_persons_reason(
    tactful: Tactful, demo_shopper: str
) -> None:
    items = staff_list(tactful)
    run_only(tactful, Arm.CURATED)
    shown = tactful.recommend(demo_shopper, k=5)
    assert [s.item.item_id for s in shown] == items[:5]
    assert shown[0].reason == f"Because a person on our team chose it: {NOTE}."
    assert shown[1].reason == 'Because a person on our team chose it for their "Staff picks" list.'
    assert all(s.score == pytest.approx(sum(f.contribution for f in s.factors)) for s in shown)
    assert [s.score for s in shown] == sorted((s.score for s in shown), reverse=True)


def test_why_says_a_person_chose_a_curated_item_in_chat_and_in_the_breakdown(
    tactful: Tactful, demo_shopper: str
) -> None:
    items = staff_list(tactful)
    run_only(tactful, Arm.CURATED)
    reply = tactful.chat(demo_shopper, "what would you suggest for me?")
    assert [s.item.item_id for s in reply.suggestions][:3] == items[:3]
    why = tactful.chat(demo_shopper, "why the first one?", conversation_id=reply.conversation_id)
    assert "a person on our team chose it" in why.text
    breakdown = tactful.explain(demo_shopper, items[0])
    assert breakdown.reason == f"Because a person on our team chose it: {NOTE}."
    assert [f.name for f in breakdown.factors if f.cited] == [FactorName.CURATED]


def test_the_hybrid_arm_orders_the_staff_pool_for_the_shopper_then_fills_with_its_own(
    tactful: Tactful, demo_shopper: str
) -> None:
    pool = staff_list(tactful, n=4)
    run_only(tactful, Arm.HYBRID)
    shown = tactful.recommend(demo_shopper, k=10)
    first, rest = shown[:4], shown[4:]
    assert {s.item.item_id for s in first} == set(pool)
    assert all(s.factor(FactorName.CURATED) for s in first)
    assert all("a person on our team chose it" in s.reason for s in first)
    assert not any(s.factor(FactorName.CURATED) for s in rest) and len(rest) == 6
    # tactful's order, not the staff's: the pool ranked as the shopper's own list ranks it.
    plain = [s.score - s.factor(FactorName.CURATED).contribution for s in first]  # type: ignore[union-attr]
    assert plain == sorted(plain, reverse=True)
    # The curated factor is what puts the pool above the fill: no more, no less.
    assert min(s.score for s in first) > max(s.score for s in rest)


def test_the_ai_arm_and_searches_in_any_arm_are_tactfuls_own_ranking(
    tactful: Tactful, demo_shopper: str
) -> None:
    staff_list(tactful)
    before = [s.item.item_id for s in tactful.recommend(demo_shopper, k=10)]
    searched = [s.item.item_id for s in tactful.recommend(demo_shopper, k=10, query="lanterns")]
    run_only(tactful, Arm.AI)
    assert [s.item.item_id for s in tactful.recommend(demo_shopper, k=10)] == before
    tactful.experiments.stop("exp")
    run_only(tactful, Arm.CURATED, key="exp2")
    found = tactful.recommend(demo_shopper, k=10, query="lanterns")
    assert [s.item.item_id for s in found] == searched


def test_a_shopper_with_personalization_off_is_never_assigned_and_is_logged_apart(
    tactful: Tactful, demo_shopper: str
) -> None:
    staff_list(tactful)
    run_only(tactful, Arm.HYBRID)
    tactful.set_personalized(demo_shopper, False)
    shown = tactful.recommend(demo_shopper, k=5)
    assert not any(s.factor(FactorName.CURATED) for s in shown)
    exposure_id = tactful.expose(demo_shopper, shown, shown=True)
    experiment = tactful.experiments.get("exp")
    assert tactful.experiments.store.assignment(experiment, demo_shopper) is None
    logged = tactful.experiments.store.exposures("exp", 1)
    assert [(e.exposure_id, e.arm) for e in logged] == [(exposure_id, PERSONALIZATION_OFF)]


def test_assignments_survive_a_weight_change_and_a_restart_of_the_process(
    demo_home: Path, clock: FixedClock, embedder: Embedder
) -> None:
    shoppers = [f"s{n}" for n in range(60)]
    with Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder) as tactful:
        tactful.experiments.create(ExperimentDraft(key="sticky"))
        tactful.experiments.start("sticky")
        first = {s: tactful.experiments.arm_for(s, True) for s in shoppers}
        assert set(first.values()) == {"ai", "curated", "hybrid"}
        tactful.experiments.set_weights("sticky", {Arm.AI: 0, Arm.CURATED: 0, Arm.HYBRID: 1})
        assert {s: tactful.experiments.arm_for(s, True) for s in shoppers} == first
        assert tactful.experiments.arm_for("newcomer", True) == "hybrid"
    with Tactful.open(Settings(home=demo_home), clock=clock, embedder=embedder) as tactful:
        assert {s: tactful.experiments.arm_for(s, True) for s in shoppers} == first
        restarted = tactful.experiments.restart("sticky")
        assert restarted.bucket_version == 2
        assert {tactful.experiments.arm_for(s, True) for s in shoppers} == {"hybrid"}


def test_one_experiment_runs_at_a_time_and_weights_keep_their_arms(tactful: Tactful) -> None:
    run_only(tactful, Arm.AI, key="one")
    tactful.experiments.create(ExperimentDraft(key="two"))
    with pytest.raises(Conflict, match="one"):
        tactful.experiments.start("two")
    with pytest.raises(InvalidInput, match="same arms"):
        tactful.experiments.set_weights("one", {Arm.AI: 1, Arm.CURATED: 1})
    with pytest.raises(Conflict):
        tactful.experiments.create(ExperimentDraft(key="one"))


def test_a_list_counts_only_once_shown_and_only_for_its_own_shopper(
    tactful: Tactful, demo_shopper: str
) -> None:
    staff_list(tactful)
    run_only(tactful, Arm.CURATED)
    exposure_id = tactful.expose(demo_shopper, tactful.recommend(demo_shopper, k=3))
    assert exposure_id is not None
    assert tactful.experiments.store.exposures("exp", 1) == []
    with pytest.raises(InvalidInput):
        tactful.exposure_shown(exposure_id, shopper_id="17611")
    tactful.exposure_shown(exposure_id, shopper_id=demo_shopper)
    tactful.exposure_shown(exposure_id, shopper_id=demo_shopper)  # the first call counts
    (logged,) = tactful.experiments.store.exposures("exp", 1)
    assert [i.source.value for i in logged.items] == ["curated"] * 3


def test_nothing_is_logged_when_no_experiment_runs(tactful: Tactful, demo_shopper: str) -> None:
    assert tactful.expose(demo_shopper, tactful.recommend(demo_shopper, k=3)) is None
    assert tactful.chat(demo_shopper, "show me something nice").exposure_id is None


def test_erasing_a_shopper_removes_their_exposures_and_assignment(
    tactful: Tactful, demo_shopper: str
) -> None:
    run_only(tactful, Arm.AI)
    tactful.expose(demo_shopper, tactful.recommend(demo_shopper, k=3), shown=True)
    report = tactful.erase(demo_shopper)
    assert report.exposures == 1 and report.assignments == 1
    assert tactful.experiments.store.exposures_of(demo_shopper) == []


def test_a_report_with_few_shoppers_says_there_is_not_enough_data(
    tactful: Tactful, demo_shopper: str
) -> None:
    staff_list(tactful)
    tactful.experiments.create(ExperimentDraft(key="exp"))
    tactful.experiments.start("exp")
    tactful.expose(demo_shopper, tactful.recommend(demo_shopper, k=3), shown=True)
    found = tactful.experiment_report("exp")
    assert found.verdict.startswith("Not enough data yet")
    assert sum(found.shoppers.values()) == 1 and found.sample_ratio.passed


@pytest.mark.parametrize("arm", [Arm.CURATED, Arm.HYBRID])
def test_an_item_the_shopper_turned_down_never_comes_back_from_a_staff_list(
    tactful: Tactful, demo_shopper: str, arm: Arm
) -> None:
    items = staff_list(tactful, n=4)
    run_only(tactful, arm)
    tactful.feedback(demo_shopper, FeedbackValue.NOT_FOR_ME, item_id=items[0])
    shown = [s.item.item_id for s in tactful.recommend(demo_shopper, k=4)]
    assert items[0] not in shown
