"""Saying you love a suggestion is answered with more like it, in the same reply."""

from __future__ import annotations

from agent.domain import FactorName
from agent.facade import Tactful


def test_loving_one_suggestion_shows_more_like_it_at_once(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    liked = shown.suggestions[5]

    reply = tactful.chat(demo_shopper, "I love number 6", conversation_id=shown.conversation_id)

    assert "more like" in reply.text
    assert reply.suggestions, "the promise of more like it is kept in the same reply"
    ids = [s.item.item_id for s in reply.suggestions]
    assert liked.item.item_id not in ids
    anchored = [
        s
        for s in reply.suggestions
        if any(
            e.label == liked.item.title
            for f in s.factors
            if f.name is FactorName.REQUEST
            for e in f.evidence
        )
    ]
    assert len(anchored) >= len(reply.suggestions) // 2, [s.reason for s in reply.suggestions]
    assert liked.item.title in anchored[0].reason


def test_loving_the_whole_list_shows_more_of_the_same_search(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "any lanterns?")

    reply = tactful.chat(demo_shopper, "love these!", conversation_id=shown.conversation_id)

    assert reply.suggestions
    seen = {s.item.item_id for s in shown.suggestions}
    assert not seen & {s.item.item_id for s in reply.suggestions}
    assert "lantern" in reply.suggestions[0].item.title.lower()


def test_a_thank_you_with_nothing_on_screen_promises_nothing(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "love it")

    assert "more like" not in reply.text
