"""Follow-ups edit the search on screen: cheaper, not those, more like #2, for her…

Constraints the shopper set stay until they change them, and the reply says what was
carried over ("still for your sister, now under £5"), so nothing is kept silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import median

from agent.brain import intents as i
from agent.conversation.state import ActiveRequest, ShownItem
from agent.recommender import query_words
from agent.wording import money, someone, with_sex

#: "Cheaper" and "pricier" move the bound to this share of the middle price on screen
#: when the shopper already had a bound beyond it.
_STEP = 0.7


#: How a search for only what the shopper has not had yet is said back to them: new_only
#: leaves out everything they bought or said they have, so nothing shown was bought.
NEW_TO_YOU = "you haven't bought before"


def search_from(meaning: i.Request | i.Refine) -> ActiveRequest:
    """A new search from a message's slots."""
    return ActiveRequest(
        query=meaning.query or None,
        budget_min=meaning.budget_min,
        budget_max=meaning.budget_max,
        recipient=meaning.recipient,
        sex=meaning.sex,
        audience=meaning.audience,
        age=meaning.age,
        exclude_words=list(meaning.exclude),
        goes_with=meaning.goes_with or None,
        new_only=meaning.new_only,
        popular=meaning.popular,
        order=meaning.order,
    )


#: A price order, as a reply says it.
PRICE_ORDERS = {"price_low": "cheapest first", "price_high": "dearest first"}


def apply_refine(
    before: ActiveRequest, meaning: i.Refine, shown: list[ShownItem]
) -> tuple[ActiveRequest, frozenset[str] | None]:
    """The edited search, and the items to choose among when the shopper said "of those"."""
    after = before.model_copy(deep=True)
    after.like_item_id = None
    shown_ids = [s.item_id for s in shown]
    only: frozenset[str] | None = None
    match meaning.change:
        case "cheaper" | "pricier":
            _move_price(before, after, shown, meaning.change)
        case "exclude_shown":
            after.exclude_ids = _union(after.exclude_ids, shown_ids)
        case "more_like" if meaning.position and meaning.position <= len(shown):
            anchor = shown[meaning.position - 1]
            after.like_item_id = anchor.item_id
            after.exclude_ids = _union(after.exclude_ids, [anchor.item_id])
            after.query, after.goes_with = None, None
            # "like #2 but cheaper": cheaper than that one, not than the whole screen.
            _move_price(before, after, [anchor] if anchor.price else shown, meaning.price)
        case "more_like":
            # "more like these" names no one item: the same search, past what was seen.
            after.exclude_ids = _union(after.exclude_ids, shown_ids)
            _move_price(before, after, shown, meaning.price)
        case "among_shown":
            only = frozenset(shown_ids)
        case "different":
            # "Not those, toy trucks" after "toys": what is asked for again is not left out.
            asked = {w.removesuffix("s") for w in query_words(meaning.query)}
            dropped = [w for w in query_words(before.query) if w.removesuffix("s") not in asked]
            after.exclude_words = _union(after.exclude_words, dropped)
            after.exclude_ids = _union(after.exclude_ids, shown_ids)
            after.query, after.goes_with = None, None
    _apply_slots(after, meaning)
    return after, only


def _move_price(
    before: ActiveRequest, after: ActiveRequest, shown: list[ShownItem], direction: str | None
) -> None:
    """ "Cheaper": a cap below the middle price of ``shown``, or further below the earlier
    cap; "pricier": a floor above it, likewise; nothing else moves the price."""
    if direction == "cheaper":
        middle = _middle_price(shown, before.budget_max)
        bound = before.budget_max
        _cap(after, _round_down(middle if bound is None or middle < bound else bound * _STEP))
    elif direction == "pricier":
        middle = _middle_price(shown, before.budget_min)
        bound = before.budget_min
        _floor(after, _round_up(middle if bound is None or middle > bound else bound / _STEP))


def _apply_slots(after: ActiveRequest, meaning: i.Refine) -> None:
    """Slots the follow-up states replace the carried ones; the rest stay."""
    if meaning.query:
        # "any in red?" narrows the search on screen; "more like #2 but in blue" adds
        # to the anchor item.
        words = [w for w in (meaning.query, after.query) if w]
        after.query = " ".join(dict.fromkeys(" ".join(words).split()))
    if meaning.goes_with:
        after.goes_with = meaning.goes_with
    if meaning.budget_max is not None:
        _cap(after, meaning.budget_max)
    if meaning.budget_min is not None:
        _floor(after, meaning.budget_min)
    if meaning.recipient is not None and meaning.recipient != after.recipient:
        after.recipient, after.sex = meaning.recipient, meaning.sex
        after.audience, after.age = None, None  # another person, another age
    if meaning.audience is not None:
        after.audience = meaning.audience
    if meaning.age is not None:
        after.age = meaning.age
    if meaning.exclude:
        after.exclude_words = _union(after.exclude_words, meaning.exclude)
        # "candles and lanterns", then "no candles": the lanterns are what is left to find.
        ruled_out = {w.removesuffix("s") for w in meaning.exclude}
        kept = [w for w in (after.query or "").split() if w.removesuffix("s") not in ruled_out]
        after.query = " ".join(kept) or None
    after.new_only = after.new_only or meaning.new_only
    after.popular = after.popular or meaning.popular
    if meaning.order is not None and meaning.change != "among_shown":
        after.order = meaning.order


def describe_change(
    before: ActiveRequest,
    after: ActiveRequest,
    meaning: i.Refine,
    shown: list[ShownItem],
    spell: Callable[[str], list[str]] = str.split,
) -> tuple[list[str], list[str]]:
    """What carried over and what changed, in the words the reply uses: the search's
    words as ``spell`` gives them (as the catalog spells them, which is what was
    searched for), or as the shopper typed them when it gives none."""
    kept: list[str] = []
    changed: list[str] = []

    def note(old: object, new: object, phrase: str | None) -> None:
        if phrase is None:
            return
        (kept if old == new else changed).append(phrase)

    note(
        before.recipient,
        after.recipient,
        f"for {someone(with_sex(after.recipient, after.sex))}" if after.recipient else None,
    )
    note(
        before.query,
        after.query,
        f'"{" ".join(spell(after.query)) or after.query}"' if after.query else None,
    )
    note(
        before.goes_with,
        after.goes_with,
        f'to go with "{after.goes_with}"' if after.goes_with else None,
    )
    note(
        before.budget_max,
        after.budget_max,
        f"under {money(after.budget_max)}" if after.budget_max is not None else None,
    )
    note(
        before.budget_min,
        after.budget_min,
        f"over {money(after.budget_min)}" if after.budget_min is not None else None,
    )
    note(before.new_only, after.new_only, f"only things {NEW_TO_YOU}" if after.new_only else None)
    note(before.popular, after.popular, "what other shoppers buy most" if after.popular else None)
    if meaning.change != "among_shown":  # which says its own order
        note(before.order, after.order, PRICE_ORDERS.get(after.order or ""))
    if before.exclude_words and meaning.change != "different":
        kept.append("without " + " or ".join(before.exclude_words))
    match meaning.change:
        case "exclude_shown":
            changed.append("leaving out the ones you've seen")
        case "more_like" if not after.like_item_id:
            changed.append("leaving out the ones you've seen")
        case "more_like" if after.like_item_id:
            title = next(s.title for s in shown if s.item_id == after.like_item_id)
            changed.append(f'more like the "{title}"')
        case "among_shown":
            order = PRICE_ORDERS.get(meaning.order or "")
            changed.append("from the ones you've seen" + (f", {order}" if order else ""))
        case "different" if not after.query:
            changed.append("something different")  # a new query says what instead
    # Words a new direction drops silently are the old search's; the shopper's own are said.
    said = meaning.exclude if meaning.change == "different" else after.exclude_words
    new_words = [w for w in said if w not in before.exclude_words]
    if new_words:
        changed.append("without " + " or ".join(new_words))
    return kept, changed


def _middle_price(shown: list[ShownItem], bound: float | None) -> float:
    prices = [s.price for s in shown if s.price is not None and s.price > 0]
    return median(prices) if prices else (bound or 10.0)


def _cap(request: ActiveRequest, amount: float) -> None:
    """A new upper bound; a lower bound it crosses no longer holds."""
    request.budget_max = amount
    if request.budget_min is not None and request.budget_min >= amount:
        request.budget_min = None


def _floor(request: ActiveRequest, amount: float) -> None:
    """A new lower bound; an upper bound it crosses no longer holds."""
    request.budget_min = amount
    if request.budget_max is not None and request.budget_max <= amount:
        request.budget_max = None


def _round_down(amount: float) -> float:
    """A bound a person would say: £12, £4.50."""
    return float(math.floor(amount)) if amount >= 10 else math.floor(amount * 2) / 2 or 0.5


def _round_up(amount: float) -> float:
    return float(math.ceil(amount)) if amount >= 10 else math.ceil(amount * 2) / 2


def _union(old: list[str], new: list[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))
