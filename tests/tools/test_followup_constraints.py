"""Follow-up requests: "not those", "nothing with hearts", "more like that one", "of these"."""

from __future__ import annotations

from tests.tools.small_shop import NOW, SmallShop
from tools.explain import cited_factors, reason_for
from tools.ranker import ANCHOR_REF, RankInput
from tools.types import EventKind, Evidence, EvidenceKind, Factor, FactorName, Suggestion


def ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.item.item_id for s in suggestions]


def test_excluded_items_are_never_suggested() -> None:
    shop = SmallShop()
    query = shop.query("enamel mug")
    first = shop.ranker.rank(
        RankInput(k=5, query="enamel mug", query_vector=query, query_words=["enamel", "mug"]),
        NOW,
    )
    shown = frozenset(shop.row(i) for i in ids(first))

    again = shop.ranker.rank(
        RankInput(
            k=5,
            query="enamel mug",
            query_vector=query,
            query_words=["enamel", "mug"],
            exclude_rows=shown,
        ),
        NOW,
    )

    assert len(again) == 5
    assert not set(ids(again)) & set(ids(first))
    assert all("mug" in s.item.title for s in again)


def test_an_excluded_word_drops_items_naming_it_in_the_singular_or_plural() -> None:
    shop = SmallShop()

    suggestions = shop.ranker.rank(RankInput(k=len(shop.items), exclude_words=("hearts",)), NOW)

    left = set(ids(suggestions))
    assert {"heart-wreath", "hearts-garland"}.isdisjoint(left)
    assert "valentine" not in left, "its category names hearts"
    assert len(left) == len(shop.items) - 3


def test_an_excluded_word_also_matches_tags_and_a_phrase_needs_all_its_words() -> None:
    shop = SmallShop()

    by_tag = set(ids(shop.ranker.rank(RankInput(k=100, exclude_words=("winter",)), NOW)))
    by_phrase = set(ids(shop.ranker.rank(RankInput(k=100, exclude_words=("hot water",)), NOW)))
    half_phrase = set(
        ids(shop.ranker.rank(RankInput(k=100, exclude_words=("hot chocolate",)), NOW))
    )

    assert "bottle" not in by_tag
    assert "bottle" not in by_phrase
    assert "bottle" in half_phrase


def test_only_the_given_items_are_ranked_even_when_fewer_than_k() -> None:
    shop = SmallShop()
    these = frozenset(shop.row(i) for i in ("mug-red", "candle-blue", "cushion-gold"))

    suggestions = shop.ranker.rank(RankInput(k=10, only_rows=these), NOW)

    assert sorted(ids(suggestions)) == ["candle-blue", "cushion-gold", "mug-red"]


def test_more_like_an_item_ranks_its_likes_first_and_never_the_item_itself() -> None:
    shop = SmallShop()
    anchor = shop.row("mug-owl")

    suggestions = shop.ranker.rank(RankInput(k=5, like_row=anchor), NOW)

    assert "mug-owl" not in ids(suggestions)
    assert all("enamel mug" in s.item.title for s in suggestions)
    for suggestion in suggestions:
        request = suggestion.factor(FactorName.REQUEST)
        assert request is not None
        assert [e.ref for e in request.evidence] == [f"{ANCHOR_REF}mug-owl"]
        assert request.evidence[0].label == "owl enamel mug"
        assert reason_for(suggestion, {}) == 'Because it\'s similar to "owl enamel mug".'


def test_a_query_and_an_anchor_share_the_request_and_each_is_named_only_where_it_counted() -> None:
    shop = SmallShop()
    words = ["blue"]

    suggestions = shop.ranker.rank(
        RankInput(
            k=6,
            query="blue",
            query_vector=shop.query("blue"),
            query_words=words,
            like_row=shop.row("mug-owl"),
        ),
        NOW,
    )

    assert ids(suggestions)[0] == "mug-blue", "like the owl mug and blue: the blue mug"
    for suggestion in suggestions:
        request = suggestion.factor(FactorName.REQUEST)
        assert request is not None
        assert abs(sum(e.weight for e in request.evidence) - request.contribution) < 1e-4
        refs = {e.ref for e in request.evidence}
        reason = reason_for(suggestion, {})
        cited = FactorName.REQUEST in {f.name for f in cited_factors(suggestion)}
        assert ("similar to" in reason) == (cited and f"{ANCHOR_REF}mug-owl" in refs)
        assert ('matches "blue"' in reason) == (cited and "query" in refs)
    top = suggestions[0]
    assert reason_for(top, {}) == (
        'Because it matches "blue" and it\'s similar to "owl enamel mug".'
    )


def test_the_anchor_is_named_only_when_the_request_factor_is_cited() -> None:
    shop = SmallShop()
    event = shop.event("cushion-red", EventKind.PURCHASE)
    like = Evidence(
        kind=EvidenceKind.QUERY, ref=f"{ANCHOR_REF}candle-red", label="red candle", weight=0.1
    )
    taste = Evidence(kind=EvidenceKind.EVENT, ref=event.event_id, label="red cushion", weight=3)

    def suggestion(request: float) -> Suggestion:
        return Suggestion(
            item=shop.items[shop.row("cushion-blue")],
            score=3 + request,
            factors=[
                Factor(name=FactorName.TASTE, contribution=3.0, evidence=[taste]),
                Factor(
                    name=FactorName.REQUEST,
                    contribution=request,
                    evidence=[like.model_copy(update={"weight": request})],
                ),
            ],
        )

    events = {event.event_id: event}
    assert reason_for(suggestion(0.1), events) == "Because you bought red cushion."
    assert reason_for(suggestion(1.0), events) == (
        'Because you bought red cushion, and it\'s similar to "red candle".'
    )
