"""A shopper's behavioural taste: their own events, decayed, minus what was not for them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np

from tools.catalog_index import CatalogIndex
from tools.sequence import CHOSEN_KINDS
from tools.signals import DecayPolicy, decayed_weights
from tools.types import BehaviourEvent, EventKind

#: Kinds after which the shopper has the item, so suggesting it again is penalised.
OWNING_KINDS = frozenset({EventKind.PURCHASE, EventKind.OWN})
#: A choice faded below this share says nothing about what comes next any more.
MIN_LATELY = 1e-3
#: Text similarity below this says nothing about taste (unrelated products sit near 0.2).
CONTENT_BASELINE = 0.25


class Standing(StrEnum):
    """How far one event speaks for the shopper's own taste."""

    OWN = "own"
    CONFIRMED = "confirmed"  # out of profile, but the shopper said it was for them
    HELD = "held"  # out of profile, waiting for an answer: low weight, fades fast
    FOR_OTHER = "for_other"  # the shopper said it was for someone else


@dataclass
class TasteSignal:
    """Decayed weight per catalog row, and which events put it there."""

    item_weights: dict[int, float] = field(default_factory=dict)
    event_weights: dict[int, list[tuple[BehaviourEvent, float]]] = field(default_factory=dict)
    centroid: np.ndarray | None = None
    owned: dict[int, BehaviourEvent] = field(default_factory=dict)
    dismissed: dict[int, tuple[BehaviourEvent, float]] = field(default_factory=dict)
    #: The shopper's own purchases per row, for buy-again: not those held for a
    #: question, and in a recipient's signal none at all.
    purchases: dict[int, list[BehaviourEvent]] = field(default_factory=dict)
    #: The shopper's latest return per row: a re-order of something sent back since
    #: it was last bought is not due, however regular the orders before were.
    returned: dict[int, BehaviourEvent] = field(default_factory=dict)
    #: The shopper's own purchases and ratings of the last hours per row, each with how
    #: much of it is left at ``policy.next_days``: what others chose next follows them.
    chosen_lately: dict[int, list[tuple[BehaviourEvent, float]]] = field(default_factory=dict)
    #: The events held for a question, by id: they are in the weights above, held low.
    held: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.item_weights

    def settled(self) -> TasteSignal:
        """The signal without the events held for a question.

        What a search is steered by: among the items that match it, one unexplained
        purchase of that kind would be the closest thing in the history and lead the
        list, however low it is held. (The text centroid is left out: it would need the
        catalog, and nothing ranks by it.)
        """
        if not self.held:
            return self
        event_weights = {
            row: kept
            for row, pairs in self.event_weights.items()
            if (kept := [(e, w) for e, w in pairs if e.event_id not in self.held])
        }
        item_weights = {row: sum(w for _, w in pairs) for row, pairs in event_weights.items()}
        item_weights = {r: w for r, w in item_weights.items() if w > 1e-6}
        return replace(
            self,
            item_weights=item_weights,
            event_weights={r: event_weights[r] for r in item_weights},
            centroid=None,
            held=frozenset(),
        )

    def lately(self) -> dict[int, float]:
        """How recently the shopper chose each item, summed over their events of it."""
        return {row: sum(w for _, w in chosen) for row, chosen in self.chosen_lately.items()}


def standing_of(event: BehaviourEvent, standings: Mapping[str, Standing]) -> Standing:
    if event.recipient:
        return Standing.FOR_OTHER
    return standings.get(event.event_id, Standing.OWN)


def taste_signal(
    events: Iterable[BehaviourEvent],
    catalog: CatalogIndex,
    *,
    now: datetime,
    policy: DecayPolicy,
    standings: Mapping[str, Standing] | None = None,
    recipient: str | None = None,
) -> TasteSignal:
    """Build the taste signal from a shopper's events as they stand at ``now``.

    With ``recipient`` set (gift mode) the signal is built from what the shopper
    bought *for that person* instead of from their own taste.
    """
    standings = standings or {}
    kept: list[tuple[BehaviourEvent, int, Standing]] = []
    for event in events:
        row = catalog.row(event.item_id)
        if row is None or event.at > now:
            continue
        standing = standing_of(event, standings)
        if recipient is not None:
            if standing is not Standing.FOR_OTHER or not _same_person(event.recipient, recipient):
                continue
            standing = Standing.OWN
        elif standing is Standing.FOR_OTHER:
            continue
        kept.append((event, row, standing))
    signal = TasteSignal()
    if not kept:
        return signal
    held: set[str] = set()
    for (event, row, standing), weight in zip(
        kept, _weights(kept, now, policy).tolist(), strict=True
    ):
        if event.kind is EventKind.DISMISS:
            previous = signal.dismissed.get(row)
            if previous is None or weight > previous[1]:
                signal.dismissed[row] = (event, weight)
            continue
        # Bought is bought, whoever it turns out to be for: a purchase held for a question
        # is not offered again straight away.
        if event.kind in OWNING_KINDS:
            signal.owned[row] = event
        if standing is not Standing.HELD:
            if event.kind is EventKind.PURCHASE and not recipient:
                signal.purchases.setdefault(row, []).append(event)
            if event.kind is EventKind.RETURN and not recipient:
                latest = signal.returned.get(row)
                if latest is None or event.at > latest.at:
                    signal.returned[row] = event
            if event.kind in CHOSEN_KINDS and not recipient:
                lately = _left_after(now - event.at, policy.next_days)
                if lately > MIN_LATELY:
                    signal.chosen_lately.setdefault(row, []).append((event, lately))
        else:
            held.add(event.event_id)
        signal.item_weights[row] = signal.item_weights.get(row, 0.0) + weight
        signal.event_weights.setdefault(row, []).append((event, weight))
    signal.held = frozenset(held)
    signal.item_weights = {r: w for r, w in signal.item_weights.items() if w > 1e-6}
    if signal.item_weights:
        rows = np.fromiter(signal.item_weights.keys(), dtype=np.int64)
        weights = np.fromiter(signal.item_weights.values(), dtype=np.float32)
        centroid = weights @ catalog.vectors[rows]
        norm = float(np.linalg.norm(centroid))
        signal.centroid = centroid / norm if norm > 0 else None
    return signal


def _weights(
    kept: list[tuple[BehaviourEvent, int, Standing]], now: datetime, policy: DecayPolicy
) -> np.ndarray:
    """Each event's weight as it stands at ``now``, computed over columns (a regular's
    thousands of events would take tens of milliseconds one at a time): its decayed
    taste weight, held low while a question about it is open or boosted once confirmed;
    a dismissal's weight is how much of it is left.

    A held event gets no short-term boost: the boost is for what the shopper wants right
    now, which is the very thing a held event leaves open, and with it a fresh held
    purchase weighed as much as a settled one."""
    events = [event for event, _, _ in kept]
    kinds = np.array([e.kind for e in events], dtype=str)  # StrEnum: the values
    age = np.array([(now - e.at).total_seconds() for e in events]) / 86400.0
    rating = np.array([math.nan if e.rating is None else e.rating for e in events])
    quantity = np.array([e.quantity for e in events])
    weights = decayed_weights(kinds, rating, quantity, age, policy)
    standings = np.array([standing for _, _, standing in kept], dtype=str)
    dismissed = kinds == EventKind.DISMISS.value
    weights[dismissed] = np.power(0.5, np.maximum(age[dismissed], 0.0) / policy.dismiss_days)
    held = (standings == Standing.HELD.value) & ~dismissed
    if held.any():
        unboosted = policy.model_copy(update={"recent_boost": 0.0})
        fresh = decayed_weights(kinds[held], rating[held], quantity[held], age[held], unboosted)
        weights[held] = (
            policy.held_event_weight
            * np.minimum(fresh, _strongest_settled(weights, standings, dismissed, fresh))
            * np.power(0.5, np.maximum(age[held], 0.0) / policy.held_event_days)
        )
    weights[(standings == Standing.CONFIRMED.value) & ~dismissed] *= policy.confirmed_event_boost
    return weights


def _strongest_settled(
    weights: np.ndarray, standings: np.ndarray, dismissed: np.ndarray, fresh: np.ndarray
) -> np.ndarray | float:
    """The weight a held event is a share of: its own, fresh, but never more than the
    shopper's strongest settled event weighs now. Against a history months old, whose
    weights have faded to a few hundredths, a fresh held purchase at a tenth of its
    weight would otherwise outweigh every settled item and reshape the suggestions
    before anyone knows whose it is. With nothing settled there is nothing to protect."""
    settled = (standings != Standing.HELD.value) & ~dismissed
    if not settled.any():
        return fresh
    return float(weights[settled].max())


def _left_after(age: timedelta, half_life_days: float) -> float:
    return float(0.5 ** (max(age.total_seconds(), 0.0) / 86400.0 / half_life_days))


def _same_person(a: str | None, b: str) -> bool:
    return a is not None and a.strip().lower() == b.strip().lower()
