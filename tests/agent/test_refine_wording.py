"""A narrowed search is described in the words that were searched for."""

from __future__ import annotations

from agent.facade import Tactful


def test_a_misspelt_search_narrowed_is_named_as_the_catalog_spells_it(
    tactful: Tactful, demo_shopper: str
) -> None:
    first = tactful.chat(demo_shopper, "got any candel holders")
    assert first.suggestions, "the misspelt search finds holders"

    narrowed = tactful.chat(demo_shopper, "cheaper", conversation_id=first.conversation_id)

    assert '"candle holders"' in narrowed.text
    assert "candel" not in narrowed.text


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
