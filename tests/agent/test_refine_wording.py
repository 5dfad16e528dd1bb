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
