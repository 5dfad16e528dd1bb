"""``Tactful``: the one object a shop's code talks to."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from agent import tuned_config
from agent.brain.base import Brain
from agent.brain.choice import brain_for
from agent.clock import Clock, FixedClock, RunningClock, SystemClock
from agent.conversation import Conversations
from agent.domain import (
    BehaviourEvent,
    CatalogItem,
    ClarifyingQuestion,
    Escalation,
    EscalationStatus,
    EventKind,
    FactSource,
    FeedbackValue,
    PreferenceFact,
    Profile,
    Reply,
    Shopper,
    ShopperMode,
    SimilarShopper,
    Suggestion,
    Turn,
)
from agent.embedding import Embedder, content_hash, load_default_embedder
from agent.errors import (
    InvalidInput,
    StoreUnavailable,
    UnknownConversation,
    UnknownEscalation,
    UnknownItem,
)
from agent.experiments.curation import CuratedList, CuratedListDraft
from agent.experiments.report import ExperimentReport
from agent.experiments.service import Experiments
from agent.policy.clarify import Clarifier, ClarifyConfig
from agent.profile import OPEN_QUESTION, ProfileService
from agent.recommender import Recommender, Request
from agent.settings import Settings
from agent.shop_index import ShopIndex
from agent.snapshot.shop import ShopSnapshots
from agent.stores.migration import copy_catalog, migrate
from agent.stores.records import RecordStore, TurnRecord
from agent.stores.sql import ratings
from agent.stores.sql.audit import AuditRecord
from agent.stores.sql.erasure import ErasureReport
from agent.stores.sql.experiments import ExperimentStore
from agent.stores.sql.items import ItemStore, StoredItem
from agent.stores.sql.ratings import SatisfactionRating
from agent.stores.vectors import REINDEX_HINT, ChromaVectorStore
from tools.explain import Explanation, explain
from tools.ranker import MODE_WEIGHTS, RankWeights
from tools.search import SearchHit
from tools.types import valid_identifier

Progress = Callable[[int], None]


class ItemIngestReport(BaseModel):
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class EventIngestReport(BaseModel):
    added: int = 0
    duplicates: int = 0
    questions: list[ClarifyingQuestion] = Field(default_factory=list)


def parse_mode(value: str | ShopperMode | None) -> ShopperMode | None:
    """A mode from user input, with a clear error listing the valid ones."""
    if value is None or isinstance(value, ShopperMode):
        return value
    try:
        return ShopperMode(value.strip().lower())
    except ValueError:
        valid = ", ".join(m.value for m in ShopperMode)
        raise InvalidInput(f"Unknown mode {value!r}; choose one of: {valid}.") from None


class Tactful:
    """Catalog, events, profiles, recommendations and chat, all in one place.

    Build it with :meth:`open` from settings, or pass the stores in directly
    (tests hand it an ephemeral Chroma client, a temporary SQLite file and a
    fixed clock).
    """

    def __init__(
        self,
        *,
        records: RecordStore,
        vectors: ChromaVectorStore,
        embedder: Embedder,
        clock: Clock | None = None,
        settings: Settings | None = None,
        clarify: ClarifyConfig | None = None,
        weights: dict[ShopperMode, RankWeights] | None = None,
        brain: Brain | None = None,
        snapshot_folder: Path | None = None,
    ) -> None:
        """``snapshot_folder``: where to save the catalog and interaction snapshots and
        look for them at the next start (:mod:`agent.snapshot`); none are kept without
        it. The stores must be the ones ``settings`` names."""
        self.settings = settings or Settings()
        self.records = records
        self.vectors = vectors
        self.embedder = embedder
        self.clock: Clock = clock or SystemClock()
        tuned = None if weights is not None else tuned_config.latest(self.settings.home)
        #: The tuning ranked with (``tactful tune``), if any.
        self.tuning = tuned[0] if tuned else None
        policy = self.settings.decay
        new_only_weights = None
        buy_again = None
        if tuned is not None and tuned[1].new_only_weights is not None:
            new_only_weights = MODE_WEIGHTS | tuned[1].new_only_weights
        if tuned is not None and tuned[1].ranking_adopted:
            weights = MODE_WEIGHTS | tuned[1].weights
            buy_again = tuned[1].buy_again
            # A half-life set in the environment is the operator's word over the tuning's.
            if "decay" not in self.settings.model_fields_set:
                policy = tuned[1].policy
        if tuned is not None and tuned[1].clarify is not None and clarify is None:
            fitted = tuned[1].clarify
            # No score in a tuning: the both-ways rule asked better on that shop's history.
            clarify = ClarifyConfig(
                fit_similarity=fitted.fit_similarity,
                fit_percentile=fitted.fit_percentile,
                ask=fitted.ask,
            )
        #: How fast events and facts fade here: the settings', or the tuning's.
        self.policy = policy
        migrate(records, vectors)  # a data folder written by an older version, once
        #: The catalog's records and texts (:mod:`agent.stores.sql.items`); Chroma holds
        #: their vectors, an index that ``tactful reindex`` rebuilds from these.
        self.items = ItemStore(records.engine)
        copy_catalog(self.items, vectors)  # a catalog an older version kept only in Chroma
        self._check_index_is_there()
        self.profiles = ProfileService(records, vectors, embedder, self.clock, policy)
        snapshots = (
            None
            if snapshot_folder is None
            else ShopSnapshots(
                snapshot_folder,
                records=records,
                items_in=_vectors_source(self.settings),
                model_id=embedder.model_id,
                dim=embedder.dim,
                policy=policy,
            )
        )
        weights = weights or MODE_WEIGHTS
        self.index = ShopIndex(
            records,
            vectors,
            policy,
            embedder.dim,
            self._held_event_ids,
            snapshots,
            fit_latent=any(w.latent > 0 for w in weights.values()),
            refresh=self.settings.snapshot.refresh,
            poll_seconds=self.settings.snapshot.poll_seconds,
        )
        # Read before the catalog is: an item filed by then is in Chroma when it is read.
        had_items = self.items.any_filed()
        # Before the catalog is read: what a stopped process left unfiled is then in it.
        self._file_waiting_items()
        self.index.load_catalog()
        if had_items and len(self.index.catalog) == 0:
            raise self._index_lost("holds no catalog")
        self.recommender = Recommender(
            self.profiles,
            self.index,
            embedder,
            self.clock,
            policy,
            weights,
            new_only_weights=new_only_weights,
            buy_again=buy_again,
        )
        #: Curated lists and experiments (:mod:`agent.experiments`).
        self.experiments = Experiments(ExperimentStore(records.engine), self.clock)
        self.recommender.arms = self.experiments
        self.clarifier = Clarifier(self.profiles, self.recommender, self.clock, clarify)
        #: What reads messages and words replies: the offline brain unless an LLM is set.
        self.brain: Brain = brain or brain_for(self.settings, embedder)
        self.conversations = Conversations(
            records,
            self.profiles,
            self.recommender,
            self.clarifier,
            self.clock,
            self.brain,
            data_rights=self,
            profile_of=self.profile,
            max_message_chars=self.settings.max_message_chars,
            escalation=self.settings.escalation,
        )

    @property
    def llm_stats(self) -> dict[str, object] | None:
        """LLM calls, tokens and fallbacks so far; None when no LLM is configured."""
        stats = getattr(self.brain, "stats", None)
        return None if stats is None else stats.as_dict()

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        embedder: Embedder | None = None,
        brain: Brain | None = None,
    ) -> Tactful:
        """Connect to the stores the settings name (embedded ones under ``TACTFUL_HOME``)."""
        settings = settings or Settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        if clock is None and settings.now is not None:
            clock = (
                FixedClock(settings.now)
                if settings.now_since is None
                else RunningClock(settings.now, settings.now_since)
            )
        tactful = cls(
            records=RecordStore(settings.sql_url),
            vectors=ChromaVectorStore.on_first_use(settings),
            embedder=embedder or load_default_embedder(),
            clock=clock,
            settings=settings,
            brain=brain,
            snapshot_folder=settings.snapshot.folder_in(settings.home),
        )
        # What is loaded by now (modules, the catalog, every fact) lives as long as the
        # process, and a full garbage collection scanning all of it took about 150 ms in
        # whichever chat turn it fell. Frozen, it is left out of every later collection.
        gc.freeze()
        return tactful

    def close(self) -> None:
        self.index.close()
        # Fact vectors are filed a moment after each turn; a closed shop files them now.
        try:
            self.vectors.close()
        finally:
            self.records.close()

    def __enter__(self) -> Tactful:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- loading data ---------------------------------------------------------------------
    def add_shoppers(self, shoppers: Iterable[Shopper]) -> int:
        return self.records.upsert_shoppers(list(shoppers))

    def ingest_items(
        self,
        items: Iterable[CatalogItem],
        *,
        batch_size: int = 256,
        on_progress: Progress | None = None,
    ) -> ItemIngestReport:
        """Embed and store items; unchanged ones (same content hash) cost nothing."""
        report = ItemIngestReport()
        batch: list[CatalogItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                self._ingest_item_batch(batch, report)
                if on_progress:
                    on_progress(len(batch))
                batch = []
        if batch:
            self._ingest_item_batch(batch, report)
            if on_progress:
                on_progress(len(batch))
        return report

    def _ingest_item_batch(self, batch: list[CatalogItem], report: ItemIngestReport) -> None:
        unique = {item.item_id: item for item in batch}  # last one wins within a batch
        known = self.items.states(list(unique))
        # The hash covers what is embedded and the audience fields the ranker reads, so an
        # item whose audience or ages change is stored again.
        hashes = {i: content_hash(item.content_key()) for i, item in unique.items()}
        changed = {
            i: item
            for i, item in unique.items()
            if i not in known or known[i].content_hash != hashes[i]
        }
        # Stored as it is but not in Chroma yet: a run that stopped halfway left it.
        unfiled = [item for i, item in unique.items() if i not in changed and not known[i].filed]
        report.unchanged += len(unique) - len(changed)
        for i in changed:
            if i in known:
                report.updated += 1
            else:
                report.added += 1
        if changed or unfiled:
            self._file_items([*changed.values(), *unfiled], hashes)

    def _file_items(self, items: list[CatalogItem], hashes: dict[str, str]) -> None:
        """Store items in SQL, then their vectors in Chroma and the catalog here, then
        mark them filed and announce them (see :mod:`agent.stores.sql.items`)."""
        texts = [item.embedding_text() for item in items]
        vectors = self.embedder.embed(texts)
        self.items.put(
            [
                StoredItem(item, text, hashes[item.item_id])
                for item, text in zip(items, texts, strict=True)
            ]
        )
        self.vectors.upsert_items(items, vectors, [hashes[item.item_id] for item in items])
        self.index.add_items(items, vectors)
        # After the vector store has them, so a process that reads the note finds them
        # in Chroma as well as in SQL.
        filed = [(item.item_id, hashes[item.item_id]) for item in items]
        self.items.mark_filed(filed, at=datetime.now(UTC))

    def _file_waiting_items(self) -> None:
        """File in Chroma the items SQL holds but Chroma may not: a process that stored
        them stopped before filing them, or a rebuild was interrupted."""
        if self.items.count(filed=False) == 0:
            return
        for page in self.items.pages(256, unfiled=True):
            vectors = self.embedder.embed([stored.text for stored in page])
            self.vectors.upsert_items(
                [stored.item for stored in page], vectors, [stored.content_hash for stored in page]
            )
            filed = [(stored.item.item_id, stored.content_hash) for stored in page]
            self.items.mark_filed(filed, at=datetime.now(UTC))

    def _check_index_is_there(self) -> None:
        """Refuse to start on an embedded Chroma whose folder has gone while SQL says it
        holds items (told before connecting, so no empty store is made in its place):
        the catalog would silently come up empty."""
        if self.vectors.surely_without_items() and self.items.any_filed():
            raise self._index_lost("is missing or holds no catalog")

    def _index_lost(self, what: str) -> StoreUnavailable:
        return StoreUnavailable(
            f"The Chroma store at {self.vectors.location} {what}, but the database has "
            f"{self.items.count(filed=True):,} items filed there. {REINDEX_HINT}"
        )

    def record_events(
        self,
        events: Iterable[BehaviourEvent],
        *,
        clarify: bool = True,
        batch_size: int = 5000,
        on_progress: Progress | None = None,
    ) -> EventIngestReport:
        """Store events (idempotent by event id).

        With ``clarify`` (live events), each new event is checked against the
        shopper's profile and may be held behind a clarifying question. Bulk
        history loads pass ``clarify=False``.
        """
        report = EventIngestReport()
        batch: list[BehaviourEvent] = []
        self.sync()  # items another process just added are known here too
        for event in events:
            if event.item_id not in self.index.catalog:
                raise UnknownItem(f"No item with id {event.item_id!r} in the catalog.")
            batch.append(event)
            if len(batch) >= batch_size:
                self._record_batch(batch, report, clarify, on_progress)
                batch = []
        if batch:
            self._record_batch(batch, report, clarify, on_progress)
        return report

    def _record_batch(
        self,
        batch: list[BehaviourEvent],
        report: EventIngestReport,
        clarify: bool,
        on_progress: Progress | None,
    ) -> None:
        shoppers = {e.shopper_id for e in batch}
        now = self.clock.now()
        # Unknown shoppers are new visitors: create them (an existing country is kept).
        self.records.upsert_shoppers([Shopper(shopper_id=s, created_at=now) for s in shoppers])
        existing = {e.event_id for e in batch if clarify and self.records.get_event(e.event_id)}
        added = self.records.add_events(batch)
        report.added += added
        report.duplicates += len(batch) - added
        self.index.note_events(added)
        for shopper_id in shoppers:
            self.profiles.forget_cache(shopper_id)
        if clarify:
            for event in batch:
                if event.event_id in existing:
                    continue
                question = self.clarifier.consider(event)
                if question is not None:
                    report.questions.append(question)
        if on_progress:
            on_progress(len(batch))

    def refresh(self) -> None:
        """Rebuild the shop-wide snapshot (community, co-purchases, trends) now."""
        self.index.rebuild(self.clock.now())

    def _held_event_ids(self) -> frozenset[str]:
        return frozenset(self.records.open_question_event_ids())

    # -- asking ---------------------------------------------------------------------------
    def chat(
        self,
        shopper_id: str,
        message: str,
        *,
        conversation_id: str | None = None,
        mode: str | ShopperMode | None = None,
    ) -> Reply:
        """One turn of conversation; new shoppers are welcome (they start with no history)."""
        self.sync()
        reply = self.conversations.turn(
            _check_id(shopper_id, "shopper"),
            message,
            conversation_id=conversation_id,
            mode=parse_mode(mode),
        )
        if reply.suggestions and reply.erased is None:
            reply.exposure_id = self.experiments.expose(
                shopper_id,
                reply.suggestions,
                personalized=reply.personalized,
                conversation_id=reply.conversation_id,
            )
        return reply

    def recommend(
        self,
        shopper_id: str,
        *,
        k: int = 10,
        mode: str | ShopperMode | None = None,
        query: str | None = None,
        budget_max: float | None = None,
        category: str | None = None,
        recipient: str | None = None,
        same_country: bool = False,
        new_only: bool = False,
        goes_with_item_id: str | None = None,
        name_shoppers: bool = True,
        occasion: str | None = None,
    ) -> list[Suggestion]:
        """Top ``k`` suggestions for a known shopper, each with factors and a reason.

        ``new_only`` leaves out everything the shopper bought before or has: discovery
        only, no re-orders. ``goes_with_item_id`` asks for what goes with that item:
        what the other shoppers who chose it also chose ("bought together").
        ``name_shoppers=False`` cites the similar shoppers behind a community factor as
        one piece of evidence (how many, never who), as the HTTP API shows them.
        ``occasion`` names what the page is for ("christmas"), which a curated list may
        be aimed at. While an experiment runs, the list is the shopper's arm's; log it
        with :meth:`expose` when it is shown.
        """
        if not 1 <= k <= 100:
            raise InvalidInput(f"k must be between 1 and 100, not {k}.")
        self.sync()
        shopper = self.profiles.shopper(_check_id(shopper_id, "shopper"))
        request = Request(
            mode=parse_mode(mode) or ShopperMode.BROWSING,
            k=k,
            query=(query or "").strip() or None,
            budget_max=budget_max,
            category=category,
            recipient=recipient,
            same_country=same_country,
            new_only=new_only,
            goes_with_item_id=goes_with_item_id,
            occasion=occasion,
        )
        return self.recommender.recommend(
            shopper.shopper_id,
            request,
            personalized=shopper.personalized,
            shopper=shopper,
            name_shoppers=name_shoppers,
        )

    def expose(
        self,
        shopper_id: str,
        suggestions: Sequence[Suggestion],
        *,
        conversation_id: str | None = None,
        shown: bool = False,
    ) -> str | None:
        """Log a list of suggestions served to a shopper while an experiment runs; the
        exposure's id (None when none runs). It counts from :meth:`exposure_shown`, or at
        once with ``shown``: only lists a shopper saw are compared."""
        shopper = self.profiles.shopper(_check_id(shopper_id, "shopper"))
        return self.experiments.expose(
            shopper.shopper_id,
            suggestions,
            personalized=shopper.personalized,
            conversation_id=conversation_id,
            shown=shown,
        )

    def exposure_shown(self, exposure_id: str, *, shopper_id: str | None = None) -> None:
        """The exposure's list is on screen (``shopper_id``: only if it was theirs)."""
        self.experiments.shown(exposure_id, shopper_id=shopper_id)

    def save_list(
        self, draft: CuratedListDraft, *, actor: str, list_id: str | None = None
    ) -> CuratedList:
        """Make a curated list (named after ``draft.name``) or replace list ``list_id``;
        every item must be in the catalog."""
        self.sync()
        missing = [i.item_id for i in draft.items if i.item_id not in self.index.catalog]
        if missing:
            raise UnknownItem(
                f"Not in the catalog: {', '.join(repr(m) for m in missing[:5])}"
                + (f" and {len(missing) - 5} more." if len(missing) > 5 else ".")
            )
        return self.experiments.save_list(draft, actor=actor, list_id=list_id)

    def experiment_report(self, key: str) -> ExperimentReport:
        """Experiment ``key``'s readout: each arm's engagement and satisfaction, the lifts
        with intervals, the sample-ratio check and the verdict."""
        self.sync()
        catalog = self.index.catalog

        def price(item_id: str) -> float | None:
            row = catalog.row(item_id)
            return None if row is None else catalog.items[row].price

        return self.experiments.report(key, self.records, price)

    def explain(self, shopper_id: str, item_id: str, **request: Any) -> Explanation:
        """The full breakdown for one item as it would be ranked for this shopper now."""
        if item_id not in self.index.catalog:
            raise UnknownItem(f"No item with id {item_id!r} in the catalog.")
        for suggestion in self.recommend(shopper_id, k=100, **request):
            if suggestion.item.item_id == item_id:
                return explain(suggestion)
        raise InvalidInput(f"Item {item_id!r} is not among this shopper's top 100 right now.")

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        category: str | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> list[SearchHit]:
        return self.recommender.search(
            query, k=k, category=category, price_min=price_min, price_max=price_max
        )

    def similar_shoppers(
        self, shopper_id: str, *, k: int = 10, same_country: bool = False
    ) -> list[SimilarShopper]:
        shopper = self.profiles.shopper(shopper_id)
        taste = self.profiles.taste(shopper_id, self.index.catalog)
        neighbours = self.index.current(self.clock.now()).neighbours(
            taste.item_weights,
            k=k,
            exclude={shopper_id},
            country=shopper.country if same_country else None,
        )
        return [
            SimilarShopper(shopper_id=n.shopper_id, similarity=n.similarity, country=n.country)
            for n in neighbours
        ]

    # -- the shopper's control ------------------------------------------------------------
    def sync(self) -> None:
        """Catch up with what other processes changed (facts, erasures, shoppers' events and
        questions, catalog items); cheap when nothing did.

        Every answer and every change to facts starts here, so an erase or a forget made
        through any process holds from this one's next answer on.
        """
        self.profiles.sync()
        news = self.profiles.claim_news()
        if news.everything or news.items:
            self._reload_items(None if news.everything else news.items)
        if news.erased:
            self.index.shoppers_erased()  # similar shoppers may include someone erased
        if news.experiments or news.erased or news.everything:
            self.experiments.invalidate()
        # After the erasures above: a snapshot loaded before one is not swapped in.
        self.index.take_newer(self.clock.now())

    def _reload_items(self, item_ids: frozenset[str] | None) -> None:
        """Items another process added or changed (None: any of them), read from SQL and
        embedded here from their stored text (the same model on the same text gives the
        writer's vector)."""
        stored = self.items.get(None if item_ids is None else sorted(item_ids))
        # This process's own writes come back through the feed too: those it holds
        # already cost nothing, above all not a rebuild of the interaction snapshot.
        fresh = [s for s in stored if self.index.held(s.item) != s.item]
        if fresh:
            vectors = self.embedder.embed([s.text for s in fresh])
            self.index.add_items([s.item for s in fresh], vectors)

    def profile(self, shopper_id: str) -> Profile:
        self.sync()
        return self.profiles.profile(_check_id(shopper_id, "shopper"), self.index.catalog)

    def remember(
        self,
        shopper_id: str,
        text: str,
        *,
        subject: str | None = None,
        polarity: int = 1,
        source: FactSource = FactSource.STATED,
        actor: str = "shopper",
        why: str | None = None,
    ) -> PreferenceFact:
        """Add a preference fact ("likes owls"); ``subject`` defaults to the text."""
        self.sync()
        self.profiles.shopper(shopper_id)
        if not text.strip():
            raise InvalidInput("A fact needs some text.")
        return self.profiles.add_fact(
            shopper_id,
            text.strip(),
            subject=(subject or text).strip(),
            polarity=polarity,
            source=source,
            actor=actor,
            why=why,
        )

    def forget(
        self, shopper_id: str, fact_id: str, *, actor: str = "shopper", why: str | None = None
    ) -> PreferenceFact:
        """Retract a fact: kept in the audit trail, gone from the very next answer.

        Staff (an ``actor`` of ``staff:<name>``) must say why; the reason joins the trail.
        """
        why = staff_reason(actor, why)
        self.sync()
        self.profiles.shopper(shopper_id)
        return self.profiles.retract(shopper_id, fact_id, actor=actor, why=why)

    def correct(
        self,
        shopper_id: str,
        fact_id: str,
        text: str,
        *,
        actor: str = "shopper",
        why: str | None = None,
    ) -> PreferenceFact:
        """Replace a fact with a corrected wording (the old one is retracted)."""
        old = self.forget(shopper_id, fact_id, actor=actor, why=why)
        source = FactSource.STAFF if is_staff(actor) else FactSource.STATED
        return self.remember(
            shopper_id,
            text,
            subject=text,
            polarity=old.polarity,
            source=source,
            actor=actor,
            why=why,
        )

    def escalate(self, shopper_id: str, conversation_id: str, reason: str) -> str:
        """Hand a conversation to a person (e.g. from a tool call); returns the escalation id."""
        return self.conversations.escalate(shopper_id, conversation_id, reason).escalation_id

    # -- staff taking over ----------------------------------------------------------------
    # Each move is recorded in the shopper's audit trail: who, when, what, and any note.
    def claim_escalation(
        self, escalation_id: str, staff: str, *, actor: str | None = None
    ) -> Escalation:
        """A person takes a waiting hand-over; the agent stays quiet in that conversation."""
        moved = self.conversations.handovers.move(
            escalation_id, EscalationStatus.WITH_STAFF, staff=staff
        )
        self._audit_handover(actor or f"staff:{staff}", moved, "claim")
        return moved

    def staff_reply(self, escalation_id: str, text: str, *, actor: str) -> Turn:
        """Post what the person holding a hand-over says into the shopper's conversation."""
        escalation = self.escalation(escalation_id)
        if escalation.status is not EscalationStatus.WITH_STAFF:
            raise InvalidInput(
                f"Escalation {escalation_id} is {escalation.status.value.replace('_', ' ')}; "
                "claim it before replying."
            )
        message = self.conversations.check_message(text)
        turn = Turn(role="staff", text=message, at=self.clock.now(), staff=escalation.staff)
        self.records.add_turn(
            escalation.conversation_id, "staff", message, {"staff": escalation.staff}, turn.at
        )
        # The words are in the transcript; the trail says only that a reply was posted.
        self._audit_handover(actor, escalation, "reply")
        return turn

    def hand_back(self, escalation_id: str, *, actor: str = "staff") -> Escalation:
        """The person hands the conversation back to the agent."""
        moved = self.conversations.handovers.move(escalation_id, EscalationStatus.HANDED_BACK)
        self._audit_handover(actor, moved, "hand_back")
        return moved

    def resolve_escalation(
        self, escalation_id: str, *, actor: str = "staff", note: str | None = None
    ) -> Escalation:
        """The hand-over is done and the conversation closed; ``note`` says how."""
        moved = self.conversations.handovers.move(escalation_id, EscalationStatus.RESOLVED)
        self._audit_handover(actor, moved, "resolve", note)
        return moved

    def _audit_handover(
        self, actor: str, escalation: Escalation, action: str, note: str | None = None
    ) -> None:
        detail: dict[str, Any] = {
            "status": escalation.status.value,
            "conversation": escalation.conversation_id,
        }
        if note:
            detail["why"] = note
        self.records.audit(
            actor,
            escalation.shopper_id,
            f"handover.{action}",
            escalation.escalation_id,
            detail,
            self.clock.now(),
        )

    def audit_trail(self, shopper_id: str) -> list[AuditRecord]:
        """Who changed what about a shopper and when, oldest first."""
        self.profiles.shopper(_check_id(shopper_id, "shopper"))
        return self.records.audit_for(shopper_id)

    def open_escalations(self) -> list[Escalation]:
        """Every hand-over still with the team, oldest first."""
        return self.records.open_escalations()

    def escalation(self, escalation_id: str) -> Escalation:
        """One hand-over, whatever its status."""
        found = self.records.get_escalation(escalation_id)
        if found is None:
            raise UnknownEscalation(f"No escalation with id {escalation_id!r}.")
        return found

    # -- feedback outside a chat turn (buttons in a widget) -------------------------------
    def feedback(
        self,
        shopper_id: str,
        value: FeedbackValue,
        *,
        item_id: str | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Thumbs up, down or "not for me" on a suggestion (or a whole reply).

        On an item it also counts as behaviour, as the same words in chat do: a like for
        up, a dismissal otherwise, so the very next answer reflects it.
        """
        self.sync()
        self.profiles.shopper(_check_id(shopper_id, "shopper"))
        if conversation_id is not None:
            self.own_conversation(shopper_id, conversation_id)
        now = self.clock.now()
        if item_id is not None:
            kind = EventKind.LIKE if value is FeedbackValue.UP else EventKind.DISMISS
            event = BehaviourEvent(
                event_id=f"fb-{uuid.uuid4().hex[:12]}",
                shopper_id=shopper_id,
                item_id=item_id,
                kind=kind,
                at=now,
                context="feedback",
            )
            self.record_events([event], clarify=False)
        self.records.add_feedback(shopper_id, conversation_id, item_id, value, now)

    def rate_conversation(
        self, shopper_id: str, conversation_id: str, score: int, comment: str | None = None
    ) -> SatisfactionRating:
        """The shopper's satisfaction with one conversation, 1 to 5 (a new rating replaces
        an old one)."""
        self.profiles.shopper(_check_id(shopper_id, "shopper"))
        self.own_conversation(shopper_id, conversation_id)
        if not 1 <= score <= 5:
            raise InvalidInput(f"A rating is from 1 to 5, not {score}.")
        rating = SatisfactionRating(
            conversation_id=conversation_id,
            score=score,
            comment=(comment or "").strip() or None,
            at=self.clock.now(),
        )
        ratings.save(self.records.engine, shopper_id, rating)
        return rating

    def own_conversation(self, shopper_id: str, conversation_id: str) -> None:
        """Raise :class:`UnknownConversation` unless the conversation is the shopper's."""
        record = self.records.get_conversation(conversation_id)
        if record is None or record.shopper_id != shopper_id:
            raise UnknownConversation(
                f"No conversation {conversation_id!r} for shopper {shopper_id!r}."
            )

    def held_counts(self, shopper_id: str) -> dict[str, int]:
        """What is held about a shopper, counted by kind, exactly as an erase would remove it."""
        return self.records.held_counts(shopper_id).counts()

    def set_personalized(self, shopper_id: str, on: bool) -> None:
        self.profiles.shopper(shopper_id)
        self.records.set_personalized(shopper_id, on)

    def export(self, shopper_id: str) -> dict[str, Any]:
        """Everything tactful holds about a shopper, as JSON-ready data: what they told us and
        did, what they were asked, shown and why, their feedback, and the audit trail."""
        shopper = self.profiles.shopper(_check_id(shopper_id, "shopper"))
        records = self.records
        taste = self.profiles.saved_taste(shopper_id)
        return {
            "shopper": shopper.model_dump(mode="json"),
            "facts": [f.model_dump(mode="json") for f in records.facts.for_shopper(shopper_id)],
            "taste": taste.model_dump(mode="json") if taste else None,
            "events": [e.model_dump(mode="json") for e in records.events_for(shopper_id)],
            "questions": [q.model_dump(mode="json") for q in records.questions_for(shopper_id)],
            "conversations": [
                {
                    **c.model_dump(mode="json"),
                    "turns": [_exported_turn(t) for t in records.turns(c.conversation_id)],
                }
                for c in records.conversations_for(shopper_id)
            ],
            "feedback": [f.model_dump(mode="json") for f in records.feedback_for(shopper_id)],
            "satisfaction": [
                r.model_dump(mode="json") for r in ratings.ratings_for(records.engine, shopper_id)
            ],
            "escalations": [e.model_dump(mode="json") for e in records.escalations_for(shopper_id)],
            "exposures": [
                e.model_dump(mode="json") for e in self.experiments.store.exposures_of(shopper_id)
            ],
            "audit": [a.model_dump(mode="json") for a in records.audit_for(shopper_id)],
        }

    def export_to_file(self, shopper_id: str) -> Path:
        """Write :meth:`export` under the data folder, readable by its owner only; erasing
        the shopper deletes it too."""
        data = self.export(shopper_id)
        folder = self.settings.home / "exports"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"{_export_prefix(shopper_id)}-{stamp}.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        return path

    def erase(self, shopper_id: str) -> ErasureReport:
        """Delete everything held about a shopper, and say what it was.

        Gone: their vectors from Chroma, then their SQL rows (with SQLite's deleted pages and
        log) and with them the only link to whatever Chroma keeps of those vectors; their
        export files; the saved interaction snapshot (:mod:`agent.snapshot`), which holds
        every shopper's engagement; and what this process holds in memory. Other processes
        drop theirs at their next :meth:`sync`. What stays is the audit trail under a
        random token.
        """
        self.profiles.shopper(shopper_id)
        # Chroma first: stopping in between leaves facts whose vectors a load embeds again,
        # never vectors filed under a key that nothing leads to any more.
        self.profiles.erase_vectors(shopper_id)
        report = self.records.erase_shopper(shopper_id, at=self.clock.now())
        exports = list((self.settings.home / "exports").glob(f"{_export_prefix(shopper_id)}-*"))
        for path in exports:
            path.unlink(missing_ok=True)
        self.profiles.forget_shopper(shopper_id)
        # After the erasure's commit: a process saving an index it built before then
        # either sees the erasure and saves nothing, or has saved and loses it here.
        self.index.forget_saved_interactions()
        return report.model_copy(update={"exports": len(exports)})

    def open_questions(self, shopper_id: str) -> list[ClarifyingQuestion]:
        return [q for q in self.profiles.questions(shopper_id) if q.status in OPEN_QUESTION]

    def item(self, item_id: str) -> CatalogItem:
        row = self.index.catalog.row(item_id)
        if row is None:
            raise UnknownItem(f"No item with id {item_id!r} in the catalog.")
        return self.index.catalog.items[row]

    def item_vectors(self, item_ids: Sequence[str]) -> np.ndarray:
        rows = self.index.catalog.rows(item_ids)
        return self.index.catalog.vectors[rows]


def is_staff(actor: str) -> bool:
    return actor.startswith("staff")


def staff_reason(actor: str, why: str | None) -> str | None:
    """The reason a change is made; required of staff, whose changes the shopper did not
    ask for and may want explained."""
    why = (why or "").strip() or None
    if is_staff(actor) and why is None:
        raise InvalidInput("Say why: a change made by staff needs a reason for the audit trail.")
    return why


def _export_prefix(shopper_id: str) -> str:
    # Names a shopper's export files without spelling out the id; erasure finds them by it.
    return hashlib.sha256(shopper_id.encode("utf-8")).hexdigest()[:16]


def _exported_turn(turn: TurnRecord) -> dict[str, Any]:
    """A stored turn; an agent's turn also lists what it showed, with the reason and factors."""
    exported = {**(turn.payload or {}), "role": turn.role, "text": turn.text}
    exported["at"] = turn.at.isoformat()
    suggestions = exported.pop("suggestions", None) or []
    if turn.role == "agent":
        exported["shown"] = [
            {
                "item_id": s["item"]["item_id"],
                "title": s["item"]["title"],
                "score": s["score"],
                "reason": s["reason"],
                "factors": s["factors"],
            }
            for s in suggestions
        ]
    return exported


def _check_id(value: str, what: str) -> str:
    value = (value or "").strip()
    if not valid_identifier(value):
        raise InvalidInput(f"{value!r} is not a valid {what} id.")
    return value


def _vectors_source(settings: Settings) -> str:
    """Where the catalog's vectors are read from, as the snapshot is keyed on it: the
    home's own folder, served or embedded, is one source."""
    if settings.chroma_url and not settings.chroma_serves_home:
        return settings.chroma_url
    return "embedded"
