"""Follow-up requests, stated likes, "I already have it" and warm-up, on the demo shop."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np

from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.ingest.readers import read_events
from agent.recommender import Recommender, Request
from tests.helpers import purchase
from tools.explain import cited_factors
from tools.types import BehaviourEvent, EventKind, FactorName, ShopperMode, Suggestion


def ids(suggestions: Sequence[Suggestion]) -> list[str]:
    return [s.item.item_id for s in suggestions]


def recommend(tactful: Tactful, shopper: str, **request: object) -> list[Suggestion]:
    return tactful.recommender.recommend(
        shopper,
        Request(**request),  # type: ignore[arg-type]
        personalized=True,
    )


def candles(suggestions: Sequence[Suggestion]) -> list[Suggestion]:
    return [s for s in suggestions if "CANDLE" in s.item.title.upper()]


def test_a_stated_like_fills_at_most_half_of_a_browsing_list_and_may_lead_a_purchase_list(
    tactful: Tactful, demo_shopper: str
) -> None:
    tactful.remember(demo_shopper, "I like candles now", subject="candles")

    browsing = recommend(tactful, demo_shopper, mode=ShopperMode.BROWSING, k=10)
    buying = recommend(tactful, demo_shopper, mode=ShopperMode.PURCHASE, k=10)
    asked = recommend(tactful, demo_shopper, mode=ShopperMode.BROWSING, k=10, query="candles")

    assert len(browsing) == 10
    assert 1 <= len(candles(browsing)) <= math.ceil(10 / 2)
    assert all(s.factor(FactorName.STATED) for s in candles(browsing))
    assert len(candles(buying)) >= len(candles(browsing))
    assert len(candles(asked)) > math.ceil(10 / 2), "asked for, a like is not capped"


def test_excluded_items_and_words_are_left_out_of_a_follow_up(
    tactful: Tactful, demo_shopper: str
) -> None:
    first = recommend(tactful, demo_shopper, k=10, query="heart")
    assert any("HEART" in s.item.title.upper() for s in first)

    not_those = recommend(tactful, demo_shopper, k=10, exclude_ids=frozenset(ids(first)))
    no_hearts = recommend(tactful, demo_shopper, k=20, exclude_words=("hearts",))

    assert not set(ids(not_those)) & set(ids(first))
    assert len(no_hearts) == 20
    assert not [s for s in no_hearts if "HEART" in s.item.title.upper()]


def test_ranking_only_among_given_items_may_return_fewer_than_k(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = ids(recommend(tactful, demo_shopper, k=3))

    these = recommend(tactful, demo_shopper, k=10, only_ids=frozenset([*shown, "no-such-item"]))

    assert sorted(ids(these)) == sorted(shown)


def test_more_like_the_second_one_leaves_it_out_and_says_which_item_it_is_like(
    tactful: Tactful, demo_shopper: str
) -> None:
    second = recommend(tactful, demo_shopper, k=3)[1].item

    more = recommend(tactful, demo_shopper, k=10, like_item_id=second.item_id)

    assert second.item_id not in ids(more)
    said = [s for s in more if f'similar to "{second.title}"' in s.reason]
    assert said, [s.reason for s in more]
    for suggestion in more:
        cited = {f.name for f in cited_factors(suggestion)}
        assert (f'"{second.title}"' in suggestion.reason) == (FactorName.REQUEST in cited)


def test_rescoring_honours_the_follow_up_constraints(tactful: Tactful, demo_shopper: str) -> None:
    shown = recommend(tactful, demo_shopper, k=3)
    anchor, other = shown[0].item, shown[1].item
    recommender = tactful.recommender

    ruled_out = Request(exclude_ids=frozenset([other.item_id]))
    like = Request(like_item_id=anchor.item_id)

    assert recommender.rescore(demo_shopper, ruled_out, other.item_id, personalized=True) is None
    assert recommender.rescore(demo_shopper, like, anchor.item_id, personalized=True) is None
    alike = recommender.recommend(demo_shopper, like, personalized=True)[0]
    again = recommender.rescore(demo_shopper, like, alike.item.item_id, personalized=True)
    assert again is not None and again.factors == alike.factors
    request = again.factor(FactorName.REQUEST)
    assert request is not None and request.evidence[-1].label == anchor.title


def test_an_item_the_shopper_says_they_have_is_owned_and_never_questioned(
    tactful: Tactful, demo_shopper: str, gift_item: str, clock: FixedClock
) -> None:
    said = BehaviourEvent(
        event_id="said-own",
        shopper_id=demo_shopper,
        item_id=gift_item,
        kind=EventKind.OWN,
        at=clock.now() - timedelta(minutes=1),
    )

    report = tactful.record_events([said])

    assert report.added == 1 and report.questions == []
    # A purchase of it is still weighed as likely someone else's (whether it is asked
    # about then depends on how much of the list it would change).
    bought = purchase(demo_shopper, gift_item, clock)
    tactful.record_events([bought])
    assessment = tactful.clarifier.assess(bought)
    ask = tactful.clarifier.config.ask
    assert assessment is not None and ask is not None and ask.asks(assessment.signals())
    # Said to be owned, it is never suggested again, whatever else counts for it.
    assert (
        tactful.recommender.rescore(demo_shopper, Request(), gift_item, personalized=True) is None
    )
    shown = tactful.recommend(demo_shopper, k=100, mode="purchase")
    assert gift_item not in {s.item.item_id for s in shown}


def test_event_files_refuse_the_own_kind_which_only_chat_records(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("shopper_id,item_id,kind,at\ns1,i1,own,2011-01-01\ns1,i1,view,2011-01-01\n")

    rows = list(read_events(path))

    errors = [r.error for r in rows if r.error]
    assert errors == [
        "line 2: kind 'own' is not one of view, cart, purchase, rating, like, dismiss, return"
    ]


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.model_id = inner.model_id
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_warming_up_embeds_every_audience_so_the_first_child_request_embeds_nothing(
    tactful: Tactful, demo_shopper: str, embedder: Embedder, clock: FixedClock
) -> None:
    counting = CountingEmbedder(embedder)
    recommender = Recommender(
        tactful.profiles, tactful.index, counting, clock, tactful.settings.decay
    )

    recommender.warm()
    warmed = counting.texts
    recommender.recommend(demo_shopper, Request(audience="child"), personalized=True)
    recommender.recommend(demo_shopper, Request(audience="baby"), personalized=True)

    assert warmed > 0
    assert counting.texts == warmed


def test_a_dislike_said_during_a_search_keeps_the_search(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me some candles")
    assert any("SCENTED" in s.item.title.upper() for s in shown.suggestions)

    reply = tactful.chat(
        demo_shopper, "i don't like scented ones", conversation_id=shown.conversation_id
    )

    titles = [s.item.title.upper() for s in reply.suggestions]
    assert not any("SCENTED" in t for t in titles), titles
    assert len(candles(reply.suggestions)) >= len(titles) // 2, titles


def test_the_cheapest_of_a_kind_are_the_cheapest_the_catalog_titles_so(tactful: Tactful) -> None:
    prices = {
        item.item_id: item.price
        for item in tactful.index.catalog.items
        if re.search(r"\bcandles?\b", item.title.lower()) and item.price is not None
    }
    recommender = tactful.recommender

    cheapest = recommender.priced_matches(Request(query="candles"), "price_low", 5)
    dearest = recommender.priced_matches(Request(query="candles"), "price_high", 5)
    capped = recommender.priced_matches(Request(query="candle", budget_max=0.5), "price_high", 99)

    assert [prices[i] for i in cheapest] == sorted(prices.values())[:5]
    assert [prices[i] for i in dearest] == sorted(prices.values(), reverse=True)[:5]
    assert set(capped) == {i for i, price in prices.items() if price <= 0.5}
    assert recommender.priced_matches(Request(query="zeppelins"), "price_low", 5) == []
