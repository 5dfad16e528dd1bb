"""The readout over real stores: a planted difference is found and said in words, and a
lopsided arm blocks it."""

from __future__ import annotations

import random
from datetime import timedelta

from agent.domain import BehaviourEvent, EventKind, FeedbackValue
from agent.experiments.model import ExperimentDraft, ExposedItem, Exposure, Source
from agent.facade import Tactful

SHOPPERS = 1200


def populate(tactful: Tactful, *, thumbs_up: dict[str, float], drop: str | None = None) -> None:
    """Every shopper is served once and reacts: a click on the first item half the time,
    and a thumbs up or down on it, up with the arm's chance. ``drop`` loses half of that
    arm's exposures, as broken logging would."""
    rng = random.Random(7)
    items = [item.item_id for item in tactful.index.catalog.items[:3]]
    now = tactful.clock.now()
    exposures, events = [], []
    for n in range(SHOPPERS):
        shopper = f"sim-{n}"
        arm = tactful.experiments.arm_for(shopper, True)
        assert arm is not None
        if arm == drop and n % 2:
            continue
        exposures.append(
            Exposure(
                exposure_id=f"ex-{n}",
                experiment_key="planted",
                bucket_version=1,
                shopper_id=shopper,
                arm=arm,
                at=now,
                shown_at=now,
                items=[
                    ExposedItem(item_id=i, position=p, source=Source.AI)
                    for p, i in enumerate(items, start=1)
                ],
            )
        )
        if rng.random() < 0.5:
            events.append(
                BehaviourEvent(
                    event_id=f"view-{n}",
                    shopper_id=shopper,
                    item_id=items[0],
                    kind=EventKind.VIEW,
                    at=now + timedelta(minutes=5),
                )
            )
        up = rng.random() < thumbs_up[arm]
        value = FeedbackValue.UP if up else FeedbackValue.DOWN
        tactful.records.add_feedback(shopper, None, items[0], value, now + timedelta(minutes=6))
    tactful.experiments.store.add_exposures(exposures)
    tactful.records.add_events(events)


def test_a_planted_rise_in_thumbs_up_is_found_and_said_without_hurting_engagement(
    tactful: Tactful,
) -> None:
    tactful.experiments.create(ExperimentDraft(key="planted"))
    tactful.experiments.start("planted")
    populate(tactful, thumbs_up={"ai": 0.4, "curated": 0.4, "hybrid": 0.7})
    found = tactful.experiment_report("planted")
    assert found.sample_ratio.passed and not found.blocked
    thumbs = next(m for m in found.metrics if m.name == "thumbs_up")
    hybrid = thumbs.lifts["hybrid"]
    assert hybrid.significant and hybrid.low is not None and hybrid.low > 0.3
    assert hybrid.sequential_low is not None and hybrid.sequential_low < hybrid.low
    assert not thumbs.lifts["curated"].significant
    assert "hybrid raised the thumbs-up share by" in found.verdict
    assert "curated: no clear difference in the thumbs-up share" in found.verdict
    assert sum(found.shoppers.values()) == SHOPPERS


def test_an_arm_losing_exposures_blocks_the_readout(tactful: Tactful) -> None:
    tactful.experiments.create(ExperimentDraft(key="planted"))
    tactful.experiments.start("planted")
    populate(tactful, thumbs_up={"ai": 0.4, "curated": 0.4, "hybrid": 0.7}, drop="curated")
    found = tactful.experiment_report("planted")
    assert found.blocked and not found.sample_ratio.passed
    assert found.verdict.startswith("Readout blocked")
