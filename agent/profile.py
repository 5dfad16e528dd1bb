"""Each shopper's profile: facts with provenance (in Chroma) and their own event history.

Per-shopper state is cached in memory and dropped whenever it changes, so a
correction or a new event shapes the very next answer.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from datetime import datetime

import numpy as np

from agent.clock import Clock
from agent.domain import (
    AnswerKind,
    ClarifyingQuestion,
    FactKind,
    FactSource,
    FactStatus,
    PreferenceFact,
    Profile,
    QuestionStatus,
    Shopper,
)
from agent.embedding import Embedder
from agent.errors import UnknownFact, UnknownShopper
from agent.stores.records import RecordStore
from agent.stores.vectors import ChromaVectorStore
from tools.catalog_index import CatalogIndex
from tools.signals import DecayPolicy
from tools.taste import Standing, TasteSignal, taste_signal
from tools.types import BehaviourEvent, Evidence, EvidenceKind

#: How many shoppers' histories and facts to keep in memory.
CACHE_SHOPPERS = 2048
#: Questions still awaiting an answer hold their event at low weight.
OPEN_QUESTION = (QuestionStatus.PENDING, QuestionStatus.ASKED)


class _ShopperCache:
    def __init__(self) -> None:
        self.events: list[BehaviourEvent] | None = None
        self.questions: list[ClarifyingQuestion] | None = None


class ProfileService:
    """Reads and changes what tactful knows about one shopper at a time."""

    def __init__(
        self,
        records: RecordStore,
        vectors: ChromaVectorStore,
        embedder: Embedder,
        clock: Clock,
        policy: DecayPolicy,
    ) -> None:
        self._records = records
        self._vectors = vectors
        self._embedder = embedder
        self._clock = clock
        self._policy = policy
        self._cache: OrderedDict[str, _ShopperCache] = OrderedDict()
        # Facts are few and read on every ranking: all of them live in memory, loaded
        # once, and every change is written through to Chroma.
        self._facts: dict[str, dict[str, tuple[PreferenceFact, np.ndarray]]] = {}
        for fact, vector in vectors.iter_facts():
            self._facts.setdefault(fact.shopper_id, {})[fact.fact_id] = (fact, vector)

    # -- shoppers ---------------------------------------------------------------------
    def shopper(self, shopper_id: str) -> Shopper:
        shopper = self._records.get_shopper(shopper_id)
        if shopper is None:
            raise UnknownShopper(f"No shopper with id {shopper_id!r}.")
        return shopper

    def ensure_shopper(self, shopper_id: str, country: str | None = None) -> Shopper:
        existing = self._records.get_shopper(shopper_id)
        if existing is not None:
            return existing
        shopper = Shopper(shopper_id=shopper_id, country=country, created_at=self._clock.now())
        self._records.upsert_shoppers([shopper])
        return shopper

    # -- cached per-shopper state -----------------------------------------------------
    def _entry(self, shopper_id: str) -> _ShopperCache:
        entry = self._cache.get(shopper_id)
        if entry is None:
            entry = _ShopperCache()
            self._cache[shopper_id] = entry
            if len(self._cache) > CACHE_SHOPPERS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(shopper_id)
        return entry

    def forget_cache(self, shopper_id: str) -> None:
        self._cache.pop(shopper_id, None)

    def forget_shopper(self, shopper_id: str) -> None:
        """Drop everything held in memory about a shopper (after erasure)."""
        self._cache.pop(shopper_id, None)
        self._facts.pop(shopper_id, None)

    def events(self, shopper_id: str) -> list[BehaviourEvent]:
        entry = self._entry(shopper_id)
        if entry.events is None:
            entry.events = self._records.events_for(shopper_id)
        return entry.events

    def add_events_to_cache(self, shopper_id: str, events: list[BehaviourEvent]) -> None:
        entry = self._cache.get(shopper_id)
        if entry is not None and entry.events is not None:
            entry.events = sorted([*entry.events, *events], key=lambda e: e.at)

    def questions(self, shopper_id: str) -> list[ClarifyingQuestion]:
        entry = self._entry(shopper_id)
        if entry.questions is None:
            entry.questions = self._records.questions_for(shopper_id)
        return entry.questions

    def save_question(self, question: ClarifyingQuestion, *, new: bool = False) -> None:
        if new:
            self._records.add_question(question)
        else:
            self._records.update_question(question)
        self._entry(question.shopper_id).questions = None

    def standings(self, shopper_id: str) -> dict[str, Standing]:
        """How each questioned event counts: held while open or unanswered, boosted once
        confirmed; an event bought for someone else carries its recipient instead."""
        standings: dict[str, Standing] = {}
        for question in self.questions(shopper_id):
            if question.answer is AnswerKind.FOR_ME:
                standings[question.event_id] = Standing.CONFIRMED
            elif question.answer is None:
                standings[question.event_id] = Standing.HELD
        return standings

    def facts(
        self, shopper_id: str, *, include_retracted: bool = False
    ) -> list[tuple[PreferenceFact, np.ndarray]]:
        """A shopper's facts, oldest first, with their vectors."""
        held = sorted(self._facts.get(shopper_id, {}).values(), key=lambda fv: fv[0].created_at)
        if include_retracted:
            return held
        return [(f, v) for f, v in held if f.status is FactStatus.ACTIVE]

    def taste(
        self,
        shopper_id: str,
        catalog: CatalogIndex,
        *,
        recipient: str | None = None,
        override: dict[str, Standing] | None = None,
    ) -> TasteSignal:
        """The taste signal now; ``override`` re-judges some events (for what-ifs)."""
        return taste_signal(
            self.events(shopper_id),
            catalog,
            now=self._clock.now(),
            policy=self._policy,
            standings=self.standings(shopper_id) | (override or {}),
            recipient=recipient,
        )

    def set_event_recipient(self, shopper_id: str, event_id: str, recipient: str | None) -> None:
        """Mark an event as bought for someone else, which keeps it out of own taste."""
        self._records.set_event_recipient(event_id, recipient)
        self._entry(shopper_id).events = None

    # -- facts -----------------------------------------------------------------------
    def add_fact(
        self,
        shopper_id: str,
        text: str,
        *,
        source: FactSource,
        actor: str,
        kind: FactKind = FactKind.PREFERENCE,
        subject: str = "",
        polarity: int = 1,
        confidence: float = 0.9,
        evidence: list[str] | None = None,
        amount: float | None = None,
        recipient: str | None = None,
    ) -> PreferenceFact:
        """Record a fact; one that says the same as an active fact reinforces it instead."""
        now = self._clock.now()
        for fact, _ in self.facts(shopper_id):
            if (
                fact.kind is kind
                and fact.subject.lower() == subject.lower()
                and fact.recipient == recipient
            ):
                if fact.polarity == polarity and fact.amount == amount:
                    return self._update_fact(
                        fact.model_copy(
                            update={
                                "reinforced_at": now,
                                "confidence": max(fact.confidence, confidence),
                            }
                        ),
                        actor,
                        "reinforce",
                    )
                # A new statement about the same thing replaces the old one.
                self.retract(shopper_id, fact.fact_id, actor=actor, reason="superseded")
        fact = PreferenceFact(
            fact_id=f"f-{uuid.uuid4().hex[:12]}",
            shopper_id=shopper_id,
            text=text,
            kind=kind,
            subject=subject,
            polarity=1 if polarity >= 0 else -1,
            source=source,
            confidence=confidence,
            created_at=now,
            reinforced_at=now,
            evidence=evidence or [],
            amount=amount,
            recipient=recipient,
        )
        return self._update_fact(fact, actor, "add")

    def _update_fact(self, fact: PreferenceFact, actor: str, action: str) -> PreferenceFact:
        vector = self._embedder.embed([fact.subject or fact.text])[0]
        self._vectors.upsert_fact(fact, vector)
        self._facts.setdefault(fact.shopper_id, {})[fact.fact_id] = (fact, vector)
        self._records.audit(
            actor,
            fact.shopper_id,
            f"fact.{action}",
            fact.fact_id,
            {"text": fact.text, "source": fact.source.value, "status": fact.status.value},
            self._clock.now(),
        )
        return fact

    def retract(
        self, shopper_id: str, fact_id: str, *, actor: str, reason: str = "forgotten"
    ) -> PreferenceFact:
        """Mark a fact retracted; it stays visible in the audit trail, never in scoring."""
        for fact, _ in self.facts(shopper_id, include_retracted=True):
            if fact.fact_id == fact_id:
                if fact.status is FactStatus.RETRACTED:
                    return fact
                retracted = fact.model_copy(update={"status": FactStatus.RETRACTED})
                self._update_fact(retracted, actor, reason)
                return retracted
        raise UnknownFact(f"Shopper {shopper_id!r} has no fact {fact_id!r}.")

    # -- the whole picture -----------------------------------------------------------
    def profile(self, shopper_id: str, catalog: CatalogIndex) -> Profile:
        shopper = self.shopper(shopper_id)
        events = self.events(shopper_id)
        taste = self.taste(shopper_id, catalog)
        # The weights taste_signal stored: a held event shows at its held weight.
        weighted = sorted(
            (pair for rows in taste.event_weights.values() for pair in rows),
            key=lambda ew: -ew[1],
        )
        top: list[Evidence] = []
        seen: set[str] = set()
        for event, weight in weighted:
            if event.item_id in seen:
                continue
            seen.add(event.item_id)
            row = catalog.row(event.item_id)
            label = catalog.items[row].title if row is not None else event.item_id
            top.append(
                Evidence(kind=EvidenceKind.EVENT, ref=event.event_id, label=label, weight=weight)
            )
            if len(top) == 10:
                break
        return Profile(
            shopper=shopper,
            facts=[f for f, _ in self.facts(shopper_id, include_retracted=True)],
            taste=top,
            held=[q for q in self.questions(shopper_id) if q.status in OPEN_QUESTION],
            event_count=len(events),
        )

    def snapshot_taste(self, shopper_id: str, catalog: CatalogIndex, now: datetime) -> None:
        """Persist the behavioural taste vector beside the facts (for export and reuse)."""
        taste = self.taste(shopper_id, catalog)
        if taste.centroid is None:
            self._vectors.delete_taste(shopper_id)
            return
        self._vectors.upsert_taste(
            shopper_id,
            taste.centroid,
            {"updated_at": now.isoformat(), "items": len(taste.item_weights)},
        )
