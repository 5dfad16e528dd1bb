"""Reasons tell the truth for any real shopper, clock, mode, request and fresh event."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData
from agent.recommender import Request
from agent.settings import Settings
from bench.tact.faithfulness import remove_evidence
from bench.tact.truthfulness import FILLERS, FRESH_KINDS, TODAY, Case, check, play
from tests.helpers import purchase
from tools.interactions import popular_now
from tools.ranker import LATEST_CHOICE_REF, SIMILAR_SHOPPERS_REF
from tools.types import EvidenceKind, FactorName, ShopperMode

#: "Black Medium Glass Cake Stand" in the demo catalog.
CAKE_STAND = "84751B"
#: Demo shoppers some of whose research suggestions were also chosen lately by shoppers
#: just outside their 50 most similar ones.
REGULARS = ("12399", "12947", "16756", "17120")
_event_ids = itertools.count()


@pytest.fixture(scope="module")
def shops(
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    embedder: Embedder,
    data_now: datetime,
) -> Iterator[dict[str, Tactful]]:
    """One copy of the demo shop per clock, shared by every example of this module."""
    opened = {}
    for name, now in (("data", data_now), ("today", TODAY)):
        home = tmp_path_factory.mktemp(f"truth-{name}") / "home"
        shutil.copytree(demo_template, home)
        opened[name] = Tactful.open(Settings(home=home), clock=FixedClock(now), embedder=embedder)
    yield opened
    for tactful in opened.values():
        tactful.close()


@dataclass(frozen=True)
class Demo:
    """The demo data's shoppers with events and its catalog (item id, title)."""

    shoppers: list[str]
    items: list[tuple[str, str]]

    def __repr__(self) -> str:  # failing examples print it
        return f"Demo({len(self.shoppers)} shoppers, {len(self.items)} items)"


@pytest.fixture(scope="module")
def demo(demo_data: OnlineRetailData) -> Demo:
    return Demo(
        shoppers=sorted({e.shopper_id for e in demo_data.events}),
        items=sorted((item.item_id, item.title) for item in demo_data.items),
    )


def _query(items: list[tuple[str, str]]) -> st.SearchStrategy[str | None]:
    title_word = st.sampled_from(items).flatmap(
        lambda item: st.sampled_from([w for w in item[1].lower().split() if w.isalpha()] or ["x"])
    )
    return st.one_of(
        st.none(),
        st.sampled_from(FILLERS),
        title_word,
        title_word.map(lambda w: f"do you have any {w}?"),
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_reason_names_only_the_shoppers_own_evidence_that_really_counted(
    data: st.DataObject, shops: dict[str, Tactful], demo: Demo
) -> None:
    tactful = shops[data.draw(st.sampled_from(sorted(shops)), label="clock")]
    fresh = data.draw(st.booleans(), label="fresh event")
    clarify = data.draw(st.booleans(), label="clarify")
    case = Case(
        shopper_id=data.draw(st.sampled_from(demo.shoppers), label="shopper"),
        mode=data.draw(st.sampled_from(list(ShopperMode)), label="mode"),
        query=data.draw(_query(demo.items), label="query"),
        fresh_item=data.draw(st.sampled_from(demo.items), label="item")[0] if fresh else None,
        fresh_kind=data.draw(st.sampled_from(FRESH_KINDS), label="kind"),
        clarify=clarify,
        for_niece=data.draw(st.booleans(), label="for niece"),
        answer_for_niece=clarify and data.draw(st.booleans(), label="answered for niece"),
    )

    request, suggestions = play(tactful, case, f"truth-{next(_event_ids)}")

    assert suggestions
    for suggestion, verdict in zip(
        suggestions, check(tactful, case.shopper_id, request, suggestions), strict=True
    ):
        assert not verdict.failed, (verdict.failed, suggestion.reason, suggestion.factors)


def test_an_item_the_shopper_only_liked_is_never_said_to_be_bought(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    # One the shopper never bought: a re-order is rightly said to have been bought.
    bought = {FactorName.BUY_AGAIN, FactorName.OWNED}
    position = next(
        i for i, s in enumerate(shown.suggestions) if not bought & {f.name for f in s.factors}
    )
    liked = shown.suggestions[position].item.title
    tactful.chat(
        demo_shopper, f"I love number {position + 1}", conversation_id=shown.conversation_id
    )

    # Deep enough that the like is cited: in this long history, similar shoppers and due
    # re-orders fill the first twenty.
    reasons = [s.reason for s in tactful.recommend(demo_shopper, k=60)]

    assert any(f"you liked {liked}" in r for r in reasons)
    assert not any(liked in r and "you bought" in r for r in reasons)


def test_with_history_faded_a_fresh_purchase_is_the_cited_reason(
    tactful: Tactful, demo_shopper: str, clock: FixedClock
) -> None:
    clock.at = TODAY
    event = purchase(demo_shopper, CAKE_STAND, clock)
    tactful.record_events([event], clarify=False)

    suggestions = tactful.recommend(demo_shopper, k=10)

    for suggestion in suggestions:
        taste = suggestion.factor(FactorName.TASTE)
        assert taste is not None
        assert [e.ref for e in taste.evidence] == [event.event_id]
        assert suggestion.reason.startswith("Because you bought Black Medium Glass Cake Stand")


def test_a_purchase_for_someone_else_is_cited_only_in_gift_mode_and_says_for_whom(
    tactful: Tactful, demo_shopper: str, gift_item: str
) -> None:
    event = purchase(demo_shopper, gift_item, tactful.clock).model_copy(
        update={"recipient": "niece"}
    )
    tactful.record_events([event], clarify=False)
    title = tactful.item(gift_item).title

    gifts = tactful.recommend(demo_shopper, k=10, mode="gift", recipient="niece")
    own = tactful.recommend(demo_shopper, k=10, mode="browsing")

    assert any(f"you bought {title} for your niece" in s.reason for s in gifts)
    assert not any(title in s.reason for s in own)
    assert not any(e.ref == event.event_id for s in own for f in s.factors for e in f.evidence)


def test_requests_made_only_of_filler_words_are_neither_matched_nor_quoted(
    tactful: Tactful, demo_shopper: str
) -> None:
    for filler in ("do you track what I buy?", "none of your business"):
        for suggestion in tactful.recommend(demo_shopper, k=10, query=filler):
            assert suggestion.factor(FactorName.REQUEST) is None
            assert '"' not in suggestion.reason

    lanterns = tactful.recommend(demo_shopper, k=10, mode="research", query="any red lanterns?")
    quoted = {q for s in lanterns for q in re.findall(r'"([^"]*)"', s.reason)}
    assert quoted and quoted <= {"lanterns", "red lanterns", "red"}


def test_a_match_by_meaning_is_never_said_to_match_the_words(
    tactful: Tactful, demo_shopper: str
) -> None:
    said = {"words": 0, "meaning": 0}
    for query in ("festive illumination", "something cosy for teatime", "red lanterns"):
        for suggestion in tactful.recommend(demo_shopper, k=10, mode="research", query=query):
            title = suggestion.item.title.lower()
            if match := re.search(r'matches "([^"]*)"', suggestion.reason):
                said["words"] += 1
                assert all(w.rstrip("s") in title for w in match[1].split()), suggestion.reason
            if match := re.search(r'close in meaning to "([^"]*)"', suggestion.reason):
                said["meaning"] += 1
                assert not any(w.rstrip("s") in title for w in match[1].split()), suggestion.reason
    assert said["words"] and said["meaning"], said


def test_an_item_only_loosely_like_the_request_is_never_called_close_to_it(
    tactful: Tactful, demo_shopper: str
) -> None:
    # Lanterns are close to "festive illumination"; past the owls themselves, a search
    # for owls reaches a sandalwood fan and birds, which are not.
    catalog = tactful.index.catalog
    said = {"close": 0, "loose": 0}
    for query in ("owls", "festive illumination"):
        asked = tactful.embedder.embed([query])[0]
        for suggestion in tactful.recommend(demo_shopper, k=40, mode="research", query=query):
            row = catalog.row(suggestion.item.item_id)
            assert row is not None
            likeness = float(catalog.vectors[row] @ asked)
            if f'close in meaning to "{query}"' in suggestion.reason:
                said["close"] += 1
                assert likeness >= 0.45 - 1e-4, suggestion.reason
            if f'loosely related to "{query}"' in suggestion.reason:
                said["loose"] += 1
                assert likeness < 0.45 + 1e-4, suggestion.reason
    assert said["close"] and said["loose"], said


def test_a_search_left_with_only_loose_matches_says_so(tactful: Tactful, demo_shopper: str) -> None:
    first = tactful.chat(demo_shopper, "i love owls, anything cute under £5?")
    # A follow-up leaves out what was shown: the owls under £5 are all on screen.
    again = tactful.chat(
        demo_shopper,
        "the second one is for my niece actually",
        conversation_id=first.conversation_id,
    )

    assert any("owl" in s.item.title.lower() for s in first.suggestions)
    assert "loosely related" not in first.text
    assert not any("owl" in s.item.title.lower() for s in again.suggestions)
    assert all("loosely related" in s.reason for s in again.suggestions)
    assert "only loosely related" in again.text


def test_similar_shoppers_are_summarised_once_however_many_there_are(
    tactful: Tactful, demo_shopper: str
) -> None:
    summaries = []
    for suggestion in tactful.recommend(demo_shopper, k=20, mode="purchase"):
        community = suggestion.factor(FactorName.COMMUNITY)
        if community is None:
            continue
        shoppers = [e for e in community.evidence if e.kind is EvidenceKind.SHOPPER]
        labels = [e.label for e in shoppers if e.label]
        assert len(labels) == 1
        count = len(shoppers)
        assert labels[0].startswith(f"{count} shoppers with" if count > 1 else "a shopper ")
        summaries.append(labels[0])
        assert "a shopper in" not in suggestion.reason
        # When the latest of them chose it is one statistic beside them, said as it is.
        (latest,) = [e for e in community.evidence if e.ref == LATEST_CHOICE_REF]
        if "most recently" in suggestion.reason:
            assert f"most recently {latest.label}" in suggestion.reason
    assert summaries


def test_unnamed_similar_shoppers_are_one_piece_saying_how_many_and_their_likeness(
    tactful: Tactful, demo_shopper: str
) -> None:
    named = tactful.recommend(demo_shopper, k=20, mode="purchase")
    unnamed = tactful.recommend(demo_shopper, k=20, mode="purchase", name_shoppers=False)

    assert [s.item.item_id for s in unnamed] == [s.item.item_id for s in named]
    assert [s.reason for s in unnamed] == [s.reason for s in named]
    folded = 0
    for each, together in zip(named, unnamed, strict=True):
        community = each.factor(FactorName.COMMUNITY)
        if community is None:
            continue
        folded += 1
        shoppers = [e for e in community.evidence if e.kind is EvidenceKind.SHOPPER]
        folded_factor = together.factor(FactorName.COMMUNITY)
        assert folded_factor is not None
        [one] = [e for e in folded_factor.evidence if e.kind is EvidenceKind.SHOPPER]
        assert one.ref == SIMILAR_SHOPPERS_REF
        assert one.label == shoppers[0].label
        assert one.weight == pytest.approx(sum(e.weight for e in shoppers))
    assert folded


def test_leaving_out_the_similar_shoppers_cited_always_lowers_their_part(
    tactful: Tactful,
) -> None:
    # Left out, the cited shoppers are replaced by the next most similar ones: any of
    # those who chose the item too must be cited as well, or they carry it in their place.
    checked = 0
    for shopper in REGULARS:
        request = Request(mode=ShopperMode.RESEARCH, k=10)
        base = tactful.recommender.rank_input(shopper, request, personalized=True)
        for suggestion in tactful.recommender.recommend(shopper, request, personalized=True):
            community = suggestion.factor(FactorName.COMMUNITY)
            if community is None:
                continue
            checked += 1
            fall = remove_evidence(tactful, shopper, request, base, suggestion, community)
            assert fall.factor, (shopper, suggestion.item.title, community)
    assert checked >= 20


def test_popular_right_now_needs_five_buyers_and_more_than_the_median_item() -> None:
    quiet = np.array([0, 1, 1, 2, 3, 4])
    busy = np.array([0, 0, 5, 8, 8, 9, 30])

    assert not popular_now(quiet).any()
    assert popular_now(busy).tolist() == [False, False, False, False, False, True, True]


def test_an_item_whose_removal_would_raise_the_taste_score_is_not_cited_alone(
    shops: dict[str, Tactful],
) -> None:
    # Shopper 14616 has two items. Taking away the one that fits best alone leaves the
    # other, whose text fit turns the clipped text part back on: the score would rise.
    tactful = shops["data"]
    case = Case(
        shopper_id="14616",
        mode=ShopperMode.RESEARCH,
        query=None,
        fresh_item=None,
        fresh_kind=FRESH_KINDS[0],
        clarify=False,
        for_niece=False,
        answer_for_niece=False,
    )

    request, suggestions = play(tactful, case, f"truth-{next(_event_ids)}")

    for suggestion, verdict in zip(
        suggestions, check(tactful, case.shopper_id, request, suggestions), strict=True
    ):
        assert not verdict.failed, (verdict.failed, suggestion.reason)
