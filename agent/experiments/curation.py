"""Lists that shop staff make: items in their order, each with an optional note, aimed at
a mode, a category, a recipient or an occasion, and valid for a time.

Which list a request gets is decided here, from the request alone: every target a list
sets must match, the most specific list wins, then the newest. A request that searches
for something (its own words) gets no list unless every word it searched by names one
of the list's own targets ("birthday" for a birthday list), and a request narrowed to a
category gets only a list made for that category: staff pick for moments, not for
searches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field, field_validator, model_validator

from agent.domain import ShopperMode
from tools.types import Identifier

MAX_ITEMS = 100
MAX_NOTE = 200
MAX_NAME = 100
_SLUG = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z0-9]+")


def slug(name: str) -> str:
    """A list's id from its name: "New parents' picks" → "new-parents-picks"."""
    return _SLUG.sub("-", name.lower()).strip("-")[:64]


class CuratedItem(BaseModel):
    item_id: Identifier
    note: str | None = Field(
        default=None,
        max_length=MAX_NOTE,
        description="what staff say of it, shown as its reason",
        examples=["our bestseller for new parents"],
    )

    @field_validator("note")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class ListTarget(BaseModel):
    """Where a list applies; a target left empty matches anything."""

    mode: ShopperMode | None = None
    category: str | None = Field(default=None, max_length=100, examples=["kitchen"])
    recipient: str | None = Field(
        default=None,
        max_length=100,
        description="who it is for: a recipient ('mum') or an audience ('baby')",
        examples=["new parents"],
    )
    occasion: str | None = Field(default=None, max_length=100, examples=["christmas"])

    @field_validator("category", "recipient", "occasion")
    @classmethod
    def _tidy(cls, value: str | None) -> str | None:
        return " ".join((value or "").lower().split()) or None

    def count(self) -> int:
        """How many targets are set: a list aimed more narrowly wins over a general one."""
        return sum(v is not None for v in (self.mode, self.category, self.recipient, self.occasion))

    def words(self) -> set[str]:
        return {
            w
            for text in (self.category, self.recipient, self.occasion)
            if text
            for w in _WORD.findall(text)
        }


class CuratedListDraft(BaseModel):
    """What staff give to make or replace a list."""

    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["New parents"])
    items: list[CuratedItem] = Field(min_length=1, max_length=MAX_ITEMS)
    target: ListTarget = Field(default_factory=ListTarget)
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        value = " ".join(value.split())
        if not slug(value):
            raise ValueError("a list's name needs at least one letter or digit")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CuratedListDraft:
        seen: set[str] = set()
        for item in self.items:
            if item.item_id in seen:
                raise ValueError(f"item {item.item_id!r} is on the list twice")
            seen.add(item.item_id)
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must come after valid_from")
        return self


class CuratedList(CuratedListDraft):
    """A stored list, with who made it and when."""

    list_id: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    def valid_at(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and (
            self.valid_until is None or now < self.valid_until
        )

    def holds(self, item_id: str) -> bool:
        return any(i.item_id == item_id for i in self.items)

    def note_for(self, item_id: str) -> str | None:
        return next((i.note for i in self.items if i.item_id == item_id), None)


@dataclass(frozen=True)
class ListContext:
    """What a request says that a list can be aimed at."""

    mode: ShopperMode
    category: str | None = None
    #: The recipient and the audience named, lower case ("mum", "baby").
    recipients: frozenset[str] = frozenset()
    occasion: str | None = None
    #: The words the request searches by, as the catalog spells them.
    searched: tuple[str, ...] = ()


def applies(target: ListTarget, context: ListContext) -> bool:
    """Whether every target the list sets matches the request, and the request searches
    for nothing beyond the list's own targets."""
    if target.mode is not None and target.mode is not context.mode:
        return False
    # A category page or request is narrowed as a search is: only a list made for it fits.
    if (target.category or context.category) and (
        target.category != (context.category or "").lower()
    ):
        return False
    if target.recipient is not None and target.recipient not in context.recipients:
        return False
    searched = set(context.searched)
    # An occasion is matched when the page names it, or when the shopper's words do.
    if target.occasion not in (None, context.occasion) and not (
        set(_WORD.findall(target.occasion or "")) <= searched
    ):
        return False
    return searched <= target.words()


def choose_list(
    lists: Iterable[CuratedList], context: ListContext, now: datetime
) -> CuratedList | None:
    """The list for a request: valid now, every target matching; the most specific, then
    the most recently changed. None when staff made none for it."""
    fitting = [lst for lst in lists if lst.valid_at(now) and applies(lst.target, context)]
    if not fitting:
        return None
    return max(fitting, key=lambda lst: (lst.target.count(), lst.updated_at, lst.list_id))


def item_ids(lists: Sequence[CuratedList]) -> set[str]:
    return {item.item_id for lst in lists for item in lst.items}
