"""Which staff list a request gets, and what makes a valid list."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from agent.domain import ShopperMode
from agent.experiments.curation import (
    CuratedItem,
    CuratedList,
    CuratedListDraft,
    ListContext,
    ListTarget,
    choose_list,
    slug,
)

NOW = datetime(2026, 12, 1, 12)


def made(name: str, target: ListTarget | None = None, **dates: datetime) -> CuratedList:
    return CuratedList(
        list_id=slug(name),
        name=name,
        items=[CuratedItem(item_id="a1")],
        target=target or ListTarget(),
        created_by="staff:ann",
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        **dates,
    )


GENERAL = made("Our bestsellers")
GIFTS = made("Gifts", ListTarget(mode=ShopperMode.GIFT))
PARENTS = made("New parents", ListTarget(mode=ShopperMode.GIFT, recipient="baby"))
KITCHEN = made("Kitchen", ListTarget(category="Kitchen"))
CHRISTMAS = made("Christmas", ListTarget(occasion="christmas"))


def context(**values: object) -> ListContext:
    return ListContext(**({"mode": ShopperMode.BROWSING} | values))  # type: ignore[arg-type]


def test_a_general_list_serves_a_plain_request() -> None:
    assert choose_list([GENERAL, GIFTS, KITCHEN], context(), NOW) == GENERAL


def test_the_most_specific_matching_list_wins() -> None:
    gift_for_baby = context(mode=ShopperMode.GIFT, recipients=frozenset({"baby"}))
    assert choose_list([GENERAL, GIFTS, PARENTS], gift_for_baby, NOW) == PARENTS
    gift_for_mum = context(mode=ShopperMode.GIFT, recipients=frozenset({"mum"}))
    assert choose_list([GENERAL, GIFTS, PARENTS], gift_for_mum, NOW) == GIFTS


def test_a_category_list_serves_only_its_category_whatever_its_case() -> None:
    assert choose_list([KITCHEN], context(category="kitchen"), NOW) == KITCHEN
    assert choose_list([KITCHEN], context(category="garden"), NOW) is None
    assert choose_list([KITCHEN], context(), NOW) is None
    # A general list is no answer to a category page.
    assert choose_list([GENERAL], context(category="kitchen"), NOW) is None


def test_a_search_gets_no_list_unless_it_names_only_the_lists_own_targets() -> None:
    assert choose_list([GENERAL], context(searched=("red", "mugs")), NOW) is None
    assert choose_list([GENERAL, CHRISTMAS], context(searched=("christmas",)), NOW) == CHRISTMAS
    assert choose_list([CHRISTMAS], context(occasion="christmas"), NOW) == CHRISTMAS
    assert choose_list([CHRISTMAS], context(occasion="birthday"), NOW) is None


def test_a_list_outside_its_validity_window_is_not_served() -> None:
    later = made("Later", valid_from=NOW + timedelta(hours=1))
    over = made("Over", valid_until=NOW)
    assert choose_list([later, over], context(), NOW) is None
    assert choose_list([later], context(), NOW + timedelta(hours=2)) == later


def test_a_draft_refuses_duplicate_items_reversed_dates_and_a_nameless_name() -> None:
    with pytest.raises(ValidationError, match="twice"):
        CuratedListDraft(name="x", items=[CuratedItem(item_id="a"), CuratedItem(item_id="a")])
    with pytest.raises(ValidationError, match="after"):
        CuratedListDraft(
            name="x",
            items=[CuratedItem(item_id="a")],
            valid_from=NOW,
            valid_until=NOW - timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="letter or digit"):
        CuratedListDraft(name="!!!", items=[CuratedItem(item_id="a")])
    with pytest.raises(ValidationError):
        CuratedListDraft(name="empty", items=[])


def test_a_list_id_is_made_from_its_name() -> None:
    assert slug("New parents' picks!") == "new-parents-picks"
