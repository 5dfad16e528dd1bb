"""Asking about one suggestion answers about that one, from the catalog and the score."""

from __future__ import annotations

from agent.facade import Tactful
from agent.wording import money


def test_how_much_one_costs_is_answered_with_its_price_and_why(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    second = shown.suggestions[1].item
    assert second.price is not None

    reply = tactful.chat(
        demo_shopper, "how much is the second one?", conversation_id=shown.conversation_id
    )

    assert second.title in reply.text and f"({money(second.price)})" in reply.text
    # A question is no verdict: nothing was recorded as feedback on the item.
    assert tactful.records.feedback_for_conversation(shown.conversation_id) == []


def test_why_that_one_asks_about_the_item_just_talked_about(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    first, third = shown.suggestions[0].item, shown.suggestions[2].item
    tactful.chat(demo_shopper, "how much is the 3rd one", conversation_id=shown.conversation_id)

    reply = tactful.chat(demo_shopper, "why that one", conversation_id=shown.conversation_id)

    assert third.title in reply.text and first.title not in reply.text


def test_a_question_of_fact_about_one_records_no_verdict(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    second = shown.suggestions[1].item

    reply = tactful.chat(
        demo_shopper, "what's the second one made of?", conversation_id=shown.conversation_id
    )

    assert second.title in reply.text
    assert tactful.records.feedback_for_conversation(shown.conversation_id) == []


def test_choosing_one_is_a_thumbs_up_for_it(tactful: Tactful, demo_shopper: str) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    first = shown.suggestions[0].item

    tactful.chat(demo_shopper, "ok i'll take the first one", conversation_id=shown.conversation_id)

    feedback = tactful.records.feedback_for(demo_shopper)
    assert [(f.item_id, f.value.value) for f in feedback] == [(first.item_id, "up")]


def test_a_real_word_is_not_read_as_a_catalog_word_it_only_looks_like(tactful: Tactful) -> None:
    words = tactful.recommender.catalog_words
    # The demo catalog sells whisks and glitter, and no whisky.
    assert words("whisky") == ["whisky"]
    assert words("glittery") == ["glitter"]


def test_a_new_search_that_rules_something_out_says_so(tactful: Tactful, demo_shopper: str) -> None:
    reply = tactful.chat(demo_shopper, "something for my niece, dont show me anything pink")

    assert '"pink"' in reply.text
    assert reply.suggestions
    assert not any("PINK" in s.item.title.upper() for s in reply.suggestions)
