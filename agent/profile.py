"""Each shopper's profile: facts with provenance and their own event history.

Per-shopper state is held in memory and dropped whenever it changes, so a correction or
a new event shapes the very next answer, also when another process made the change:
:meth:`ProfileService.sync` reads the change feed (:mod:`agent.stores.sql.changes`).

A fact lives in two stores: its words and provenance in SQL, its vector in Chroma under
the shopper's vector key (:mod:`agent.stores.sql.facts`). SQL is written first and has the
last word: a process that stops before Chroma's write leaves a fact with no vector, which
the next load of that fact embeds and files, or a record whose status lags, which
:meth:`ProfileService.relevant_facts` allows for.
"""

from __future__ import annotations

import uuid
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

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
from agent.profile_view import behaviour_signals
from agent.stores.records import (
    EVENT_ROW_AT,
    EventRow,
    RecordStore,
    event_from_row,
    event_values,
)
from agent.stores.sql.changes import Change, ChangeKind
from agent.stores.vectors import ChromaVectorStore, TasteSnapshot
from tools.catalog_index import CatalogIndex
from tools.signals import DecayPolicy
from tools.taste import Standing, TasteSignal, taste_signal
from tools.types import BehaviourEvent, Evidence, EvidenceKind

#: How many shoppers' histories and facts to keep in memory.
CACHE_SHOPPERS = 2048
#: The change feed is read this many rows at a time…
FEED_PAGE = 1000
#: …and a process further behind than this many pages reloads everything instead.
FEED_PAGES = 20
#: Questions still awaiting an answer hold their event at low weight.
OPEN_QUESTION = (QuestionStatus.PENDING, QuestionStatus.ASKED)
#: Events counted lightly because of a question: still open, or the shopper declined to say.
HELD_QUESTION = (*OPEN_QUESTION, QuestionStatus.DECLINED, QuestionStatus.UNASKED)


@dataclass(frozen=True)
class Catchup:
    """What :meth:`ProfileService.sync` found that concerns more than one shopper."""

    erased: bool = False  # someone was erased: shop-wide data built from them is stale
    everything: bool = False  # too far behind to tell what changed: reload it all
    items: frozenset[str] = frozenset()  # catalog items added or changed elsewhere
    experiments: bool = False  # a curated list or an experiment changed


#: Feed rows that change what a shopper's facts say.
_FACT_CHANGES = frozenset({ChangeKind.FACTS, ChangeKind.PERSONALIZATION})


class _ShopperCache:
    def __init__(self) -> None:
        # Rows, not event objects: a full cache held some 400k objects the garbage
        # collector had to scan, a 100 ms pause in whichever request a full collection
        # fell; tuples of plain values it leaves alone.
        self.event_rows: list[EventRow] | None = None
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
        self._last_read: tuple[list[EventRow], list[BehaviourEvent]] | None = None
        # Facts are few and read on every ranking: all of them live in memory, loaded
        # once and kept current through the change feed.
        self._facts: dict[str, dict[str, tuple[PreferenceFact, np.ndarray]]] = {}
        # Facts whose vectors are not read yet, by shopper: reading them opens Chroma,
        # which a one-shot command for a shopper without facts never needs.
        self._without_vectors: dict[str, list[PreferenceFact]] = {}
        self._seen = 0
        self._news = Catchup()
        self._load_all_facts()

    # -- keeping up with other processes ------------------------------------------------
    def sync(self) -> bool:
        """Catch up with what any process changed since the last look: reload the facts
        and drop the cached history of every shopper the change feed names.

        Returns True when someone was erased (or the feed ran too far ahead to tell), so
        anything shop-wide built from their data is stale too. What concerns the whole
        shop waits in :meth:`claim_news` for whoever keeps shop-wide data, whichever
        caller's sync found it. One indexed read when nothing changed; call it before
        each answer and each write.
        """
        changes: list[Change] = []
        seen = self._seen
        while True:
            page = self._records.changes.since(seen, limit=FEED_PAGE)
            changes += page
            if len(page) < FEED_PAGE:
                break
            if len(changes) >= FEED_PAGE * FEED_PAGES:
                self._forget_all_cached()
                self._load_all_facts()
                self._news = Catchup(erased=True, everything=True)
                return True
            seen = page[-1].seq
        if not changes:
            return False
        erased = any(change.kind is ChangeKind.ERASE for change in changes)
        if erased:  # an erasure names nobody: drop whoever is no longer held
            shoppers = set(self._records.shopper_ids())
            for gone in [s for s in self._cache if s not in shoppers]:
                self.forget_cache(gone)
            keep = self._records.facts.shoppers()
            self._facts = {s: held for s, held in self._facts.items() if s in keep}
            self._without_vectors = {
                s: held for s, held in self._without_vectors.items() if s in keep
            }
        # A fact or the personalization switch leaves the cached history as it was.
        for shopper_id in {c.shopper_id for c in changes if c.kind not in _FACT_CHANGES}:
            if shopper_id is not None:
                self.forget_cache(shopper_id)
        facts_of = {c.shopper_id for c in changes if c.kind in _FACT_CHANGES and c.shopper_id}
        for shopper_id in facts_of:
            self._reload_facts(shopper_id)
        self._seen = changes[-1].seq
        items = frozenset(c.item_id for c in changes if c.item_id is not None)
        self._news = Catchup(
            erased=self._news.erased or erased,
            everything=self._news.everything,
            items=self._news.items | items,
            experiments=self._news.experiments
            or any(c.kind is ChangeKind.EXPERIMENTS for c in changes),
        )
        return erased

    def claim_news(self) -> Catchup:
        """What the syncs since the last claim found for the whole shop; then forgotten."""
        news, self._news = self._news, Catchup()
        return news

    def _load_all_facts(self) -> None:
        # Read the position first: a change made meanwhile is then seen again, not missed.
        self._seen = self._records.changes.latest()
        self._facts = {}
        self._without_vectors = {}
        for fact in self._records.facts.all():
            self._without_vectors.setdefault(fact.shopper_id, []).append(fact)

    def _held_facts(self, shopper_id: str) -> dict[str, tuple[PreferenceFact, np.ndarray]]:
        """The shopper's facts held here, their vectors read first if they were not yet."""
        waiting = self._without_vectors.pop(shopper_id, None)
        if waiting:
            for fact, vector in self._with_vectors(waiting, {}):
                self._keep(fact, vector)
        return self._facts.get(shopper_id, {})

    def _reload_facts(self, shopper_id: str) -> None:
        # A fact's vector never changes, so only facts new to this process are read.
        # Another process wrote them just now and files their vectors a moment later:
        # what is not in Chroma yet is embedded here but left for the writer to file
        # (filing it from here too, at the same moment, made a Chroma server fail reads).
        self._without_vectors.pop(shopper_id, None)
        held = {i: vector for i, (_, vector) in self._facts.pop(shopper_id, {}).items()}
        facts = self._records.facts.for_shopper(shopper_id)
        for fact, vector in self._with_vectors(facts, held, file_missing=False):
            self._keep(fact, vector)

    def _with_vectors(
        self,
        facts: list[PreferenceFact],
        held: Mapping[str, np.ndarray],
        *,
        file_missing: bool = True,
    ) -> list[tuple[PreferenceFact, np.ndarray]]:
        """Each fact with its vector: the one held, else Chroma's, else embedded again and
        (with ``file_missing``: its writer stopped before Chroma's write) filed."""
        found = self._vectors.fact_vectors([f.fact_id for f in facts if f.fact_id not in held])
        vectors = {**held, **found}
        missing = [fact for fact in facts if fact.fact_id not in vectors]
        if missing:
            embedded = self._embedder.embed([_embedding_text(fact) for fact in missing])
            vectors.update(zip([fact.fact_id for fact in missing], embedded, strict=True))
        if missing and file_missing:
            keys = {s: self._records.facts.vector_key(s) for s in {f.shopper_id for f in missing}}
            # No key: erased since SQL was read, and nothing may be filed for them again.
            filed = [fact for fact in missing if keys[fact.shopper_id]]
            if filed:
                self._vectors.upsert_facts(
                    filed,
                    np.stack([vectors[fact.fact_id] for fact in filed]),
                    [str(keys[fact.shopper_id]) for fact in filed],
                )
        return [(fact, vectors[fact.fact_id]) for fact in facts]

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

    def _forget_all_cached(self) -> None:
        self._cache.clear()
        self._last_read = None

    def forget_cache(self, shopper_id: str) -> None:
        self._cache.pop(shopper_id, None)
        self._last_read = None

    def forget_shopper(self, shopper_id: str) -> None:
        """Drop everything held in memory about a shopper (after erasure)."""
        self.forget_cache(shopper_id)
        self._facts.pop(shopper_id, None)
        self._without_vectors.pop(shopper_id, None)

    def events(self, shopper_id: str) -> list[BehaviourEvent]:
        """A shopper's events, oldest first (not to be changed: the list may be shared)."""
        entry = self._entry(shopper_id)
        if entry.event_rows is None:
            entry.event_rows = self._records.event_rows_for(shopper_id)
        rows = entry.event_rows
        # One ranking reads the history more than once: the last one read is kept made.
        if self._last_read is None or self._last_read[0] is not rows:
            self._last_read = (rows, [event_from_row(row) for row in rows])
        return self._last_read[1]

    def add_events_to_cache(self, shopper_id: str, events: list[BehaviourEvent]) -> None:
        entry = self._cache.get(shopper_id)
        if entry is not None and entry.event_rows is not None:
            added = [event_values(e) for e in events]
            entry.event_rows = sorted([*entry.event_rows, *added], key=itemgetter(EVENT_ROW_AT))

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
            elif question.answer is None and question.status is not QuestionStatus.BORNE_OUT:
                standings[question.event_id] = Standing.HELD
        return standings

    def facts(
        self, shopper_id: str, *, include_retracted: bool = False
    ) -> list[tuple[PreferenceFact, np.ndarray]]:
        """A shopper's facts, oldest first, with their vectors."""
        held = sorted(self._held_facts(shopper_id).values(), key=lambda fv: fv[0].created_at)
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

    def set_events_recipient(
        self, shopper_id: str, event_ids: list[str], recipient: str | None
    ) -> None:
        """Mark events as bought for someone else (or, with None, for the shopper), which
        keeps them out of (or puts them back in) the shopper's own taste."""
        self._records.set_events_recipient(shopper_id, event_ids, recipient)
        self._entry(shopper_id).event_rows = None

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
        why: str | None = None,
    ) -> PreferenceFact:
        """Record a fact; one that says the same as an active fact reinforces it instead.

        A fact retracted or erased elsewhere is never written back: reinforcing only
        updates a fact still stored and active, and anything else gets a new id.
        """
        self.sync()
        now = self._clock.now()
        for fact, vector in self.facts(shopper_id):
            if (
                fact.kind is kind
                and fact.subject.lower() == subject.lower()
                and fact.recipient == recipient
            ):
                if fact.polarity == polarity and fact.amount == amount:
                    reinforced = fact.model_copy(
                        update={
                            "reinforced_at": now,
                            "confidence": max(fact.confidence, confidence),
                        }
                    )
                    if self._records.facts.reinforce(reinforced, actor=actor, at=now):
                        self._vectors.update_facts([reinforced])
                        self._keep(reinforced, vector)
                        return reinforced
                    self._reload_facts(shopper_id)  # gone since the sync: say it anew
                    break
                # A new statement about the same thing replaces the old one.
                self.retract(shopper_id, fact.fact_id, actor=actor, reason="superseded", why=why)
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
        vector = self._embedder.embed([_embedding_text(fact)])[0]
        key = self._records.facts.add(fact, actor=actor, at=now, why=why)
        self._vectors.upsert_facts([fact], np.reshape(vector, (1, -1)), [key])
        self._keep(fact, vector)
        return fact

    def _keep(self, fact: PreferenceFact, vector: np.ndarray) -> None:
        self._facts.setdefault(fact.shopper_id, {})[fact.fact_id] = (fact, vector)

    def relevant_facts(
        self, shopper_id: str, query: np.ndarray, k: int = 5
    ) -> list[PreferenceFact]:
        """Up to ``k`` of the shopper's active facts nearest in meaning to ``query`` (an
        embedded request), nearest first: the ones to weigh for the request at hand."""
        key = self._records.facts.vector_key(shopper_id)
        held = self._held_facts(shopper_id)
        if key is None or not held:
            return []
        # A process that stopped between the SQL write and Chroma's leaves a retracted
        # fact active there: ask for enough to make up for every such fact. What is held,
        # kept current by the change feed, has the last word.
        spare = sum(1 for fact, _ in held.values() if fact.status is not FactStatus.ACTIVE)
        nearest = [
            held[i][0] for i in self._vectors.nearest_facts(key, query, k + spare) if i in held
        ]
        return [fact for fact in nearest if fact.status is FactStatus.ACTIVE][:k]

    def _held_fact(self, shopper_id: str, fact_id: str) -> tuple[PreferenceFact, np.ndarray]:
        held = self._held_facts(shopper_id).get(fact_id)
        if held is None:
            raise UnknownFact(f"Shopper {shopper_id!r} has no fact {fact_id!r}.")
        return held

    def retract(
        self,
        shopper_id: str,
        fact_id: str,
        *,
        actor: str,
        reason: str = "forgotten",
        why: str | None = None,
    ) -> PreferenceFact:
        """Mark a fact retracted; it stays in the profile and the audit trail, never in scoring."""
        self.sync()
        fact, vector = self._held_fact(shopper_id, fact_id)
        if fact.status is FactStatus.RETRACTED:
            return fact
        retracted_now = self._records.facts.retract(
            fact, actor=actor, reason=reason, at=self._clock.now(), why=why
        )
        if not retracted_now:
            # Retracted or erased elsewhere since the sync: what is stored now decides.
            self._reload_facts(shopper_id)
            return self._held_fact(shopper_id, fact_id)[0]
        retracted = fact.model_copy(update={"status": FactStatus.RETRACTED})
        self._vectors.update_facts([retracted])
        self._keep(retracted, vector)
        return retracted

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
        held = [q for q in self.questions(shopper_id) if q.status in HELD_QUESTION]
        conversations = self._records.conversations_for(shopper_id)
        return Profile(
            shopper=shopper,
            facts=[f for f, _ in self.facts(shopper_id, include_retracted=True)],
            taste=top,
            held=held,
            event_count=len(events),
            events_by_kind=dict(Counter(e.kind.value for e in events)),
            first_event_at=min((e.at for e in events), default=None),
            last_event_at=max((e.at for e in events), default=None),
            signals=behaviour_signals(events, taste, catalog, {q.event_id for q in held}),
            for_others=sum(1 for e in events if e.recipient),
            mode=conversations[-1].mode if conversations else None,
            escalations=self._records.escalations_for(shopper_id),
        )

    def snapshot_taste(self, shopper_id: str, catalog: CatalogIndex, now: datetime) -> None:
        """Persist the behavioural taste vector beside the facts' (for export and reuse)."""
        taste = self.taste(shopper_id, catalog)
        if taste.centroid is None:
            key = self._records.facts.vector_key(shopper_id)
            if key is not None:
                self._vectors.delete_taste(key)
            return
        key = self._records.facts.ensure_vector_key(shopper_id)
        self._vectors.save_taste(key, taste.centroid, len(taste.item_weights), now)

    def saved_taste(self, shopper_id: str) -> TasteSnapshot | None:
        """The taste vector :meth:`snapshot_taste` last saved, if any."""
        key = self._records.facts.vector_key(shopper_id)
        return None if key is None else self._vectors.taste(key)

    def erase_vectors(self, shopper_id: str) -> None:
        """Delete the shopper's fact and taste vectors from Chroma (before their SQL rows,
        vector key included, go: see :mod:`agent.stores.vectors`)."""
        key = self._records.facts.vector_key(shopper_id)
        if key is not None:
            self._vectors.delete_owner(key)


def _embedding_text(fact: PreferenceFact) -> str:
    return fact.subject or fact.text
