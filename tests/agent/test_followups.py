"""Follow-ups edit the search on screen and say what carried over."""

from __future__ import annotations

from agent.brain.intents import Refine
from agent.conversation.followups import apply_refine, describe_change
from agent.conversation.state import ActiveRequest, ShownItem

SHOWN = [
    ShownItem(item_id="a", title="Owl Mug", price=2.0),
    ShownItem(item_id="b", title="Cat Mug", price=4.0),
    ShownItem(item_id="c", title="Fox Mug", price=8.0),
]
SISTER_MUGS = ActiveRequest(query="mugs", recipient="sister", budget_max=10.0)


def test_cheaper_lowers_the_bound_below_the_middle_price_and_keeps_the_rest() -> None:
    after, only = apply_refine(SISTER_MUGS, Refine(change="cheaper"), SHOWN)
    assert after.budget_max == 4.0
    assert (after.query, after.recipient, only) == ("mugs", "sister", None)
    kept, changed = describe_change(SISTER_MUGS, after, Refine(change="cheaper"), SHOWN)
    assert kept == ["for your sister", '"mugs"']
    assert changed == ["under £4"]


def test_cheaper_again_keeps_going_down_even_below_the_middle_price() -> None:
    first, _ = apply_refine(SISTER_MUGS, Refine(change="cheaper"), SHOWN)
    cheap = [ShownItem(item_id="d", title="Tiny Mug", price=3.9)]
    second, _ = apply_refine(first, Refine(change="cheaper"), cheap)
    assert first.budget_max is not None and second.budget_max is not None
    assert second.budget_max < first.budget_max


def test_pricier_sets_a_lower_bound_and_drops_a_cap_below_it() -> None:
    capped = ActiveRequest(query="mugs", budget_max=5.0)
    after, _ = apply_refine(capped, Refine(change="pricier"), SHOWN)
    assert after.budget_min == 4.0
    assert after.budget_max == 5.0
    lower, _ = apply_refine(ActiveRequest(budget_max=3.0), Refine(change="pricier"), SHOWN)
    assert lower.budget_max is None


def test_not_those_leaves_out_everything_on_screen() -> None:
    after, _ = apply_refine(SISTER_MUGS, Refine(change="exclude_shown"), SHOWN)
    assert set(after.exclude_ids) == {"a", "b", "c"}
    assert after.query == "mugs"


def test_more_like_anchors_on_the_item_and_leaves_it_out() -> None:
    meaning = Refine(change="more_like", position=2, query="blue")
    after, _ = apply_refine(SISTER_MUGS, meaning, SHOWN)
    assert after.like_item_id == "b"
    assert "b" in after.exclude_ids
    assert after.query == "blue"
    _, changed = describe_change(SISTER_MUGS, after, meaning, SHOWN)
    assert 'more like the "Cat Mug"' in changed


def test_more_like_without_an_item_on_screen_is_more_of_the_same_search() -> None:
    for position in (None, 9):
        meaning = Refine(change="more_like", position=position)
        after, _ = apply_refine(SISTER_MUGS, meaning, SHOWN)
        assert after.like_item_id is None
        assert set(after.exclude_ids) == {"a", "b", "c"}
        assert after.query == "mugs"


def test_of_those_chooses_among_the_items_on_screen_only() -> None:
    _, only = apply_refine(SISTER_MUGS, Refine(change="among_shown", order="price_low"), SHOWN)
    assert only == frozenset({"a", "b", "c"})


def test_something_different_drops_the_search_and_rules_out_its_words() -> None:
    meaning = Refine(change="different", exclude=["dolls"])
    after, _ = apply_refine(SISTER_MUGS, meaning, SHOWN)
    assert after.query is None
    assert set(after.exclude_words) == {"mugs", "dolls"}
    assert after.recipient == "sister"


def test_a_different_direction_keeps_the_words_it_asks_for_again() -> None:
    after, _ = apply_refine(SISTER_MUGS, Refine(change="different", query="mug trees"), SHOWN)
    assert after.query == "mug trees"
    assert after.exclude_words == []


def test_a_new_person_replaces_the_recipient_and_forgets_the_old_age() -> None:
    niece = ActiveRequest(query="toys", recipient="niece", audience="child", age=6)
    after, _ = apply_refine(niece, Refine(recipient="dad"), SHOWN)
    assert (after.recipient, after.audience, after.age) == ("dad", None, None)
    kept, changed = describe_change(niece, after, Refine(recipient="dad"), SHOWN)
    assert changed == ["for your dad"]
    assert kept == ['"toys"']


def test_a_narrowing_word_joins_the_search_on_screen() -> None:
    after, _ = apply_refine(SISTER_MUGS, Refine(query="red"), SHOWN)
    assert after.query == "red mugs"


def test_an_exclusion_is_kept_and_said_on_later_turns() -> None:
    first, _ = apply_refine(SISTER_MUGS, Refine(exclude=["glitter"]), SHOWN)
    second, _ = apply_refine(first, Refine(change="cheaper"), SHOWN)
    assert second.exclude_words == ["glitter"]
    kept, _ = describe_change(first, second, Refine(change="cheaper"), SHOWN)
    assert "without glitter" in kept
