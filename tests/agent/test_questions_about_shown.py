"""Asking about one suggestion answers about that one, from the catalog and the score."""

from __future__ import annotations

from agent.conversation.handlers import QUOTED_DESCRIPTION, quoted_description
from agent.domain import CatalogItem, Reply
from agent.facade import Tactful
from agent.wording import money


def test_how_much_one_costs_is_answered_with_its_price_and_why(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    second = shown.suggestions[1].item
    assert second.price is not None

    reply = _then(tactful, demo_shopper, shown, "how much is the second one?")

    assert second.title in reply.text and f"({money(second.price)})" in reply.text
    # A question is no verdict: nothing was recorded as feedback on the item.
    assert tactful.records.feedback_for_conversation(shown.conversation_id) == []


def test_why_that_one_asks_about_the_item_just_talked_about(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    first, third = shown.suggestions[0].item, shown.suggestions[2].item
    _then(tactful, demo_shopper, shown, "how much is the 3rd one")

    reply = _then(tactful, demo_shopper, shown, "why that one")

    assert third.title in reply.text and first.title not in reply.text


def test_a_question_of_fact_about_one_records_no_verdict(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    second = shown.suggestions[1].item

    reply = _then(tactful, demo_shopper, shown, "what's the second one made of?")

    assert second.title in reply.text
    assert tactful.records.feedback_for_conversation(shown.conversation_id) == []


def test_choosing_one_is_a_thumbs_up_for_it(tactful: Tactful, demo_shopper: str) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    first = shown.suggestions[0].item

    _then(tactful, demo_shopper, shown, "ok i'll take the first one")

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


def test_asked_whether_a_person_answers_it_says_it_is_an_automated_assistant(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "am i talking to a real person?")

    assert "automated" in reply.text and "not a person" in reply.text
    # The question is answered, not turned into a hand-over nobody asked for.
    assert tactful.records.escalations_for(demo_shopper) == []
    assert reply.suggestions == []


def test_one_in_another_colour_looks_for_it_in_that_colour(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me some mugs")

    reply = _then(tactful, demo_shopper, shown, "does number 2 come in blue")

    assert tactful.records.feedback_for_conversation(shown.conversation_id) == []
    assert reply.suggestions and "blue" in reply.suggestions[0].item.title.lower()


def test_a_question_the_catalog_cannot_answer_says_so_before_why(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me some mugs")
    second = shown.suggestions[1].item

    reply = _then(tactful, demo_shopper, shown, "is the second one dishwasher safe?")

    # The demo catalog's descriptions only repeat the titles: nothing is quoted or claimed.
    assert second.title in reply.text and "can't tell you more" in reply.text
    assert "dishwasher" not in reply.text.lower()
    assert tactful.records.feedback_for_conversation(shown.conversation_id) == []


def test_a_description_is_quoted_only_when_it_says_more_than_the_title() -> None:
    plain = CatalogItem(item_id="a", title="Owl Mug", description="OWL MUG")
    told = CatalogItem(
        item_id="b", title="Owl Mug", description="Stoneware,\n  dishwasher safe. " * 40
    )

    assert quoted_description(plain) == ""
    quoted = quoted_description(told)
    assert quoted.startswith("Stoneware, dishwasher safe.") and quoted.endswith("…")
    assert len(quoted) <= QUOTED_DESCRIPTION + 1


def test_asked_to_add_one_to_the_basket_it_says_it_cannot(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me some mugs")
    first = shown.suggestions[0].item

    reply = _then(tactful, demo_shopper, shown, "add the first one to my basket")

    assert "can't add" in reply.text and first.title in reply.text
    assert reply.suggestions == []
    assert tactful.records.feedback_for_conversation(shown.conversation_id) == []


def test_purchases_said_to_be_for_someone_else_leave_own_taste(
    tactful: Tactful, demo_shopper: str
) -> None:
    bought = [e for e in tactful.profiles.events(demo_shopper) if e.kind.value == "purchase"]
    title = tactful.index.catalog.items[tactful.index.catalog.row(bought[-1].item_id)].title
    word = max(title.lower().split(), key=len)

    reply = tactful.chat(demo_shopper, f"the {word} i bought was a present for my sister")

    marked = [e for e in tactful.profiles.events(demo_shopper) if e.recipient == "sister"]
    assert marked and all(word in _title(tactful, e.item_id).lower() for e in marked)
    assert "sister" in reply.text and f"{len(marked)} purchase" in reply.text
    assert any(f.recipient == "sister" for f, _ in tactful.profiles.facts(demo_shopper))


def test_purchases_no_title_matches_change_nothing(tactful: Tactful, demo_shopper: str) -> None:
    reply = tactful.chat(demo_shopper, "the zeppelins i bought were for my nephew")

    assert "can't find" in reply.text and "nothing has changed" in reply.text
    assert not [e for e in tactful.profiles.events(demo_shopper) if e.recipient]


def _title(tactful: Tactful, item_id: str) -> str:
    catalog = tactful.index.catalog
    row = catalog.row(item_id)
    assert row is not None
    return catalog.items[row].title


def _then(tactful: Tactful, shopper: str, shown: Reply, message: str) -> Reply:
    """The shopper's next message in the conversation of ``shown``."""
    return tactful.chat(shopper, message, conversation_id=shown.conversation_id)
