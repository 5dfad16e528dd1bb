"""The community factor weighs what similar shoppers chose lately more than what they
chose long ago, and its reason says who and when from its own evidence only."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from tests.tools.small_shop import NOW, SmallShop, item
from tools.explain import reason_for
from tools.interactions import InteractionIndex
from tools.ranker import LATEST_CHOICE_REF, HybridRanker, RankInput, RankWeights
from tools.signals import DecayPolicy, EventColumns
from tools.types import BehaviourEvent, EventKind, EvidenceKind, FactorName, ShopperMode

#: Only the community factor counts, so what it does is all that is measured.
COMMUNITY_ONLY = RankWeights(taste=0.0, community=1.0, popularity=0.0, diversity=0.0)


def _purchase(shopper: str, item: str, days_ago: float, at: datetime = NOW) -> BehaviourEvent:
    return BehaviourEvent(
        event_id=f"{shopper}-{item}",
        shopper_id=shopper,
        item_id=item,
        kind=EventKind.PURCHASE,
        at=at - timedelta(days=days_ago),
    )


def _columns(events: list[BehaviourEvent]) -> EventColumns:
    return EventColumns(
        event_ids=np.array([e.event_id for e in events], dtype=object),
        shopper_ids=np.array([e.shopper_id for e in events], dtype=object),
        item_ids=np.array([e.item_id for e in events], dtype=object),
        kinds=np.array([e.kind.value for e in events], dtype=object),
        at=np.array([np.datetime64(e.at, "s") for e in events]),
        quantity=np.ones(len(events)),
        rating=np.full(len(events), np.nan),
        for_someone_else=np.zeros(len(events), dtype=bool),
    )


def _shop() -> tuple[SmallShop, list[BehaviourEvent]]:
    """The shopper and two others bought the same two candles a month ago; "fresh" then
    bought a red cushion two days ago, "old" a blue one almost a year ago."""
    shop = SmallShop()
    events = [
        _purchase(who, item, 30)
        for who in ("me", "fresh", "old")
        for item in ("candle-red", "candle-blue")
    ]
    events += [_purchase("fresh", "cushion-red", 2), _purchase("old", "cushion-blue", 300)]
    return shop, events


def _rank(
    shop: SmallShop,
    events: list[BehaviourEvent],
    policy: DecayPolicy,
    *,
    built_at: datetime = NOW,
    now: datetime = NOW,
    **request: object,
) -> tuple[HybridRanker, RankInput, list]:
    index = InteractionIndex.build(_columns(events), shop.catalog, now=built_at, policy=policy)
    ranker = HybridRanker(shop.catalog, index, policy, {ShopperMode.PURCHASE: COMMUNITY_ONLY})
    mine = [e for e in events if e.shopper_id == "me"]
    rank_input = RankInput(
        mode=ShopperMode.PURCHASE,
        k=3,
        taste=shop.taste(mine),
        shopper_id="me",
        exclude_rows=frozenset(shop.row(e.item_id) for e in mine),
        **request,  # type: ignore[arg-type]
    )
    return ranker, rank_input, ranker.rank(rank_input, now)


def test_what_similar_shoppers_bought_lately_ranks_above_what_they_bought_long_ago() -> None:
    shop, events = _shop()

    _, _, suggestions = _rank(shop, events, DecayPolicy(neighbour_days=14))

    assert [s.item.item_id for s in suggestions[:2]] == ["cushion-red", "cushion-blue"]


def test_without_fading_the_more_similar_shoppers_choice_would_lead() -> None:
    # "old" has fewer recent items besides the candles, so is the closer neighbour: only
    # the neighbours' half-life puts the fresh choice first.
    shop, events = _shop()

    ranker, rank_input, suggestions = _rank(shop, events, DecayPolicy(neighbour_days=1e6))
    neighbours = ranker.score_all(rank_input, COMMUNITY_ONLY, NOW).neighbours

    assert [n.shopper_id for n in neighbours] == ["old", "fresh"]
    assert suggestions[0].item.item_id == "cushion-blue"


def test_the_reason_names_only_the_shoppers_who_chose_it_and_when_the_latest_did() -> None:
    shop, events = _shop()
    # The snapshot is a day old when the shopper asks: "when" is said as of asking.
    ranker, rank_input, suggestions = _rank(
        shop, events, DecayPolicy(neighbour_days=14), built_at=NOW - timedelta(days=1)
    )
    cushion = next(s for s in suggestions if s.item.item_id == "cushion-red")
    community = cushion.factor(FactorName.COMMUNITY)
    assert community is not None

    shoppers = [e.ref for e in community.evidence if e.kind is EvidenceKind.SHOPPER]
    latest = next(e for e in community.evidence if e.ref == LATEST_CHOICE_REF)
    assert shoppers == ["fresh"]
    assert latest.weight == 2.0 and latest.label == "2 days ago"
    assert reason_for(cushion, {}) == (
        "Because it was chosen by a shopper with a basket like yours, most recently 2 days ago."
    )
    # Taking the cited shopper away takes the whole factor with it.
    without = replace(rank_input, exclude_neighbours=frozenset(shoppers))
    again = ranker.suggestion_for(without, shop.row("cushion-red"), NOW)
    assert again.factor(FactorName.COMMUNITY) is None


def test_events_after_the_snapshot_are_not_known_to_it() -> None:
    shop, events = _shop()
    events.append(_purchase("fresh", "mug-red", -5))  # five days in the future

    _, _, suggestions = _rank(shop, events, DecayPolicy(neighbour_days=14))

    assert "mug-red" not in [s.item.item_id for s in suggestions]


def test_a_similar_shopper_who_would_step_in_and_carry_the_score_is_cited_too() -> None:
    # With one neighbour, "near" (the shopper's very candles, and the red cushion two
    # months ago) is it. Left out, "next" (one of the candles, and the cushion yesterday)
    # takes the place and carries more than "near" did: citing "near" alone would name a
    # shopper whose removal does not lower the score.
    shop = SmallShop()
    events = [
        _purchase(who, c, 30) for who in ("me", "near") for c in ("candle-red", "candle-blue")
    ]
    events += [
        _purchase("near", "cushion-red", 60),
        _purchase("next", "candle-red", 30),
        _purchase("next", "cushion-red", 1),
    ]
    one_neighbour = COMMUNITY_ONLY.model_copy(update={"neighbours": 1})
    ranker, rank_input, suggestions = _rank(
        shop, events, DecayPolicy(neighbour_days=7), weights=one_neighbour
    )
    row = shop.row("cushion-red")
    cushion = next(s for s in suggestions if s.item.item_id == "cushion-red")
    community = cushion.factor(FactorName.COMMUNITY)
    assert community is not None
    neighbours = ranker.score_all(rank_input, one_neighbour, NOW).neighbours
    assert [n.shopper_id for n in neighbours] == ["near"]
    alone = replace(rank_input, exclude_neighbours=frozenset({"near"}))
    carried = ranker.score_all(alone, one_neighbour, NOW).parts[FactorName.COMMUNITY][row]
    assert carried > community.contribution

    shoppers = [e.ref for e in community.evidence if e.kind is EvidenceKind.SHOPPER]
    assert shoppers == ["near", "next"]
    assert reason_for(cushion, {}) == (
        "Because it was chosen by 2 shoppers with baskets like yours, most recently yesterday."
    )
    without = replace(rank_input, exclude_neighbours=frozenset(shoppers))
    again = ranker.suggestion_for(without, row, NOW)
    assert again.factor(FactorName.COMMUNITY) is None


def test_asking_for_more_like_one_item_cites_the_same_similar_shoppers() -> None:
    # More shoppers than items, so that a shopper's row can lie past the last item's.
    _, events = _shop()
    shop = SmallShop(
        [
            item(f"{kind}-{colour}", f"{colour} {kind}")
            for kind in ("candle", "cushion")
            for colour in ("red", "blue")
        ]
    )
    events = [_purchase(f"also-{n}", "candle-blue", 200) for n in range(5)] + events
    ranker, plain, _ = _rank(shop, events, DecayPolicy(neighbour_days=14))
    # "More like the blue cushion": the item's likeness must not stand in for the shoppers'.
    like = replace(plain, like_row=shop.row("cushion-blue"))

    def cited(request: RankInput) -> list[str]:
        suggestion = ranker.suggestion_for(request, shop.row("cushion-red"), NOW)
        community = suggestion.factor(FactorName.COMMUNITY)
        assert community is not None
        return [e.ref for e in community.evidence if e.kind is EvidenceKind.SHOPPER]

    assert cited(like) == cited(plain) == ["fresh"]
