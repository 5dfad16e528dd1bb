"""Asking for a kind of list rather than a thing (only what is new to the shopper, what
other shoppers buy most) or for a thing no more. Each reply says which, and the list is
that."""

from __future__ import annotations

from agent.facade import Tactful
from tools.types import FactorName

#: Factors that speak of the shopper: none may shape a list of what others buy.
PERSONAL = {
    FactorName.TASTE,
    FactorName.COMMUNITY,
    FactorName.STATED,
    FactorName.BUY_AGAIN,
    FactorName.BOUGHT_NEXT,
    FactorName.LATENT,
    FactorName.OWNED,
    FactorName.DISMISSED,
}


def test_things_not_bought_before_leave_out_everything_bought(
    tactful: Tactful, demo_shopper: str
) -> None:
    bought = {e.item_id for e in tactful.profiles.events(demo_shopper)}

    reply = tactful.chat(demo_shopper, "anything i haven't bought before?")

    assert reply.suggestions
    assert not {s.item.item_id for s in reply.suggestions} & bought
    assert "you haven't bought before" in reply.text
    cheaper = tactful.chat(demo_shopper, "cheaper", conversation_id=reply.conversation_id)
    assert not {s.item.item_id for s in cheaper.suggestions} & bought
    assert "only things you haven't bought before" in cheaper.text


def test_what_is_popular_is_what_others_buy_and_says_so(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "what's popular at the moment?")

    assert reply.suggestions and "popular" in reply.text
    assert "not picked for you" in reply.text
    for suggestion in reply.suggestions:
        assert not {f.name for f in suggestion.factors} & PERSONAL, suggestion.reason
    # The shopper's own list is another one: their history shapes it.
    own = tactful.chat(demo_shopper, "show me something")
    assert [s.item.item_id for s in own.suggestions] != [s.item.item_id for s in reply.suggestions]


def test_what_is_ruled_out_leaves_the_search_words(tactful: Tactful, demo_shopper: str) -> None:
    first = tactful.chat(demo_shopper, "show me mugs and teapots")

    reply = tactful.chat(demo_shopper, "no mugs pls", conversation_id=first.conversation_id)

    assert '"teapots"' in reply.text and "without mugs" in reply.text
    assert all("mug" not in s.item.title.lower() for s in reply.suggestions)
