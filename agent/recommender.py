"""Turns "what should this shopper see?" into a ranking request, and reasons into words."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from agent.clock import Clock
from agent.domain import Shopper
from agent.embedding import Embedder
from agent.english import english_words
from agent.errors import InvalidInput, UnknownItem
from agent.experiments import serving
from agent.experiments.curation import CuratedList, ListContext
from agent.experiments.model import Arm
from agent.ingest.audience import AudienceTable, default_audiences
from agent.profile import ProfileService
from agent.shop_index import ShopIndex
from tools.buy_again import BuyAgainPolicy
from tools.catalog_index import CatalogIndex
from tools.explain import reason_for
from tools.ranker import (
    MODE_WEIGHTS,
    AudienceRules,
    HybridRanker,
    RankInput,
    RankWeights,
)
from tools.search import SearchHit, catalog_search
from tools.signals import DecayPolicy
from tools.taste import TasteSignal
from tools.types import (
    MAX_AGE,
    Audience,
    BehaviourEvent,
    EventKind,
    FactKind,
    PreferenceFact,
    ShopperMode,
    Suggestion,
)

_WORD = re.compile(r"[a-z0-9]+")


def _load_stopwords(path: Path) -> frozenset[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return frozenset(line for line in lines if line)


#: Words that never say which product is wanted (agent/brain/stopwords.txt explains which
#: words belong there): dropped from requests before matching, never quoted in reasons.
STOPWORDS = _load_stopwords(Path(__file__).parent / "brain" / "stopwords.txt")


#: How alike in meaning (cosine of the two words' embeddings) a real word must be to the
#: catalog word it looks like a form of for it to be read as that word.
SAME_WORD_MEANING = 0.5


def query_words(query: str | None) -> list[str]:
    """The content words of a request, for matching item titles."""
    if not query:
        return []
    return [w for w in _WORD.findall(query.lower()) if w not in STOPWORDS and len(w) > 2]


@dataclass
class Request:
    """What the shopper asked for in one turn (all optional)."""

    mode: ShopperMode = ShopperMode.BROWSING
    k: int = 10
    query: str | None = None
    budget_min: float | None = None
    budget_max: float | None = None
    category: str | None = None
    recipient: str | None = None
    same_country: bool = False
    #: Who it is for: "baby", "child", "teen" or "adult"; None = anyone.
    audience: str | None = None
    #: Their age in years; alone, it stands for the audience that age falls in.
    age: float | None = None
    #: Items never suggested: the shopper said "not those", or already has them.
    exclude_ids: frozenset[str] = frozenset()
    #: Words the shopper ruled out ("nothing with hearts" → ("hearts",)): an item whose
    #: title, tags or category names one, singular or plural, is not suggested.
    exclude_words: tuple[str, ...] = ()
    #: "More like that one": the item's likeness becomes the request (shared with the
    #: query when there is one), and the item itself is not suggested.
    like_item_id: str | None = None
    #: "What goes with my teapot?": words naming the item it should go with. The
    #: catalog item they name (the shopper's own choice of them first) becomes the
    #: request; when they name none, they join the query.
    goes_with: str | None = None
    #: The same by the item's id ("bought together" on a product page); wins over
    #: ``goes_with``.
    goes_with_item_id: str | None = None
    #: When set, only these items are ranked ("which of these is cheapest"), so fewer
    #: than ``k`` may come back.
    only_ids: frozenset[str] | None = None
    #: Discovery only: nothing the shopper bought before (or has) is suggested, for
    #: shops that do not want re-orders in the list.
    new_only: bool = False
    #: The occasion the shop's page is for ("christmas"), which a curated list may target.
    occasion: str | None = None

    def opens_list(self) -> bool:
        """Whether it asks for a list in general, which staff may curate, rather than
        for items like, with or among given ones."""
        return (
            self.like_item_id is None
            and self.goes_with is None
            and self.goes_with_item_id is None
            and self.only_ids is None
        )


class ArmSource(Protocol):
    """Where the arm of a running experiment and its staff lists come from."""

    def arm_for(self, shopper_id: str, personalized: bool) -> str | None: ...

    def list_for(self, context: ListContext) -> CuratedList | None: ...


#: Fact subjects kept spelled the catalog's way before the list starts afresh.
MAX_SPELLED_SUBJECTS = 10_000


class Recommender:
    """Builds the ranker's input from the shopper's profile and the shop's index."""

    def __init__(
        self,
        profiles: ProfileService,
        index: ShopIndex,
        embedder: Embedder,
        clock: Clock,
        policy: DecayPolicy,
        weights: dict[ShopperMode, RankWeights] | None = None,
        audiences: AudienceTable | None = None,
        new_only_weights: dict[ShopperMode, RankWeights] | None = None,
        buy_again: BuyAgainPolicy | None = None,
    ) -> None:
        """``new_only_weights``: what lists without what the shopper has rank with, when
        a tuning found others serve them better than ``weights``; ``buy_again``: how
        re-orders are read, when a tuning chose."""
        self._profiles = profiles
        self._index = index
        self._embedder = embedder
        self._clock = clock
        self._policy = policy
        self.weights = weights or MODE_WEIGHTS
        self.new_only_weights = new_only_weights or self.weights
        self.buy_again = buy_again or BuyAgainPolicy()
        self._audiences = audiences or default_audiences()
        self._audience_rules: dict[Audience, AudienceRules] = {}
        #: A running experiment's arms, when the shop runs experiments.
        self.arms: ArmSource | None = None
        #: Fact subjects as the catalog spells them, for the catalog they were spelled by.
        self._subjects: tuple[CatalogIndex | None, dict[str, str]] = (None, {})

    def ranker(self, new_only: bool = False) -> HybridRanker:
        now = self._clock.now()
        weights = self.new_only_weights if new_only else self.weights
        index = self._index.current(now)
        return HybridRanker(
            self._index.catalog, index, self._policy, weights, buy_again=self.buy_again
        )

    def rank_input(
        self,
        shopper_id: str,
        request: Request,
        *,
        personalized: bool,
        shopper: Shopper | None = None,
    ) -> RankInput:
        """What ranking for ``request`` needs; ``shopper`` is the shopper's record when the
        caller has just read it (otherwise it is read here)."""
        catalog = self._index.catalog
        audience = self._audience(request)
        shopper = shopper or self._profiles.shopper(shopper_id)
        facts = [
            (self._as_catalog_spells(fact), vector)
            for fact, vector in (self._profiles.facts(shopper_id) if personalized else [])
        ]
        budget_max = request.budget_max
        if budget_max is None and personalized:
            budgets = [f.amount for f, _ in facts if f.kind is FactKind.BUDGET and f.amount]
            budget_max = budgets[-1] if budgets else None
        taste = self._profiles.taste(shopper_id, catalog)
        partner_row = self._partner(request.goes_with, taste)
        if request.goes_with_item_id is not None:
            partner_row = catalog.row(request.goes_with_item_id)
            if partner_row is None:
                raise UnknownItem(f"No item with id {request.goes_with_item_id!r} in the catalog.")
        text = request.query
        if request.goes_with and partner_row is None:
            text = " ".join(t for t in (text, request.goes_with) if t)
        words = self.catalog_words(text)
        content = " ".join(words)
        query_vector = self._embedder.embed([content])[0] if words else None
        like_row = None
        if request.like_item_id is not None:
            like_row = catalog.row(request.like_item_id)
            if like_row is None:
                raise UnknownItem(f"No item with id {request.like_item_id!r} in the catalog.")
        recipient_taste = None
        if request.mode is ShopperMode.GIFT and request.recipient and personalized:
            candidate = self._profiles.taste(shopper_id, catalog, recipient=request.recipient)
            recipient_taste = None if candidate.empty else candidate
        return RankInput(
            mode=request.mode,
            k=request.k,
            taste=taste,
            recipient_taste=recipient_taste,
            recipient=request.recipient if request.mode is ShopperMode.GIFT else None,
            facts=facts,
            query=content or None,
            query_vector=query_vector,
            query_words=words,
            category=request.category,
            price_min=request.budget_min,
            price_max=budget_max,
            personalized=personalized,
            shopper_id=shopper_id,
            country=shopper.country,
            same_country=request.same_country,
            audience=audience,
            age=request.age if audience else None,
            audience_rules=self._rules(Audience(audience)) if audience else None,
            # What the shopper said they already have is never suggested to them again.
            exclude_rows=frozenset(catalog.rows(request.exclude_ids))
            | {row for row, e in taste.owned.items() if e.kind is EventKind.OWN},
            new_only=request.new_only,
            exclude_words=request.exclude_words,
            like_row=like_row,
            partner_row=partner_row,
            only_rows=None
            if request.only_ids is None
            else frozenset(catalog.rows(request.only_ids)),
        )

    def catalog_words(self, text: str | None) -> list[str]:
        """The words of ``text`` that can name a product, as this shop's catalog spells
        them: the request that is matched and quoted. "do you track what I buy?" asks for
        nothing, "any red lantrens?" for "red lanterns"."""
        words = query_words(text)
        if not words:
            return []  # most calls ask for nothing, and the English words load slowly
        real = english_words()
        spelled = self._index.catalog.in_catalog_words(words, real)
        return [
            form if form == word or word not in real or self._same_meaning(word, form) else word
            for word, form in zip(words, spelled, strict=True)
        ]

    def _as_catalog_spells(self, fact: PreferenceFact) -> PreferenceFact:
        """``fact`` with its subject in the catalog's words, so "dad loves gardnin" matches
        the garden things by name; its text stays as the shopper said it."""
        if fact.kind is not FactKind.PREFERENCE or not fact.subject:
            return fact
        catalog = self._index.catalog
        if self._subjects[0] is not catalog or len(self._subjects[1]) > MAX_SPELLED_SUBJECTS:
            self._subjects = (catalog, {})
        known = self._subjects[1]
        if fact.subject not in known:
            known[fact.subject] = " ".join(self.catalog_words(fact.subject)) or fact.subject
        spelled = known[fact.subject]
        return fact if spelled == fact.subject else fact.model_copy(update={"subject": spelled})

    def priced_matches(self, request: Request, order: str, count: int) -> list[str]:
        """Up to ``count`` items whose titles name everything ``request`` asks for (as
        the catalog spells it) within its price bounds, cheapest first for "price_low",
        dearest first otherwise: "the cheapest candles" are those of all the candles."""
        spelled = self.catalog_words(request.query)
        if not spelled:
            return []
        catalog = self._index.catalog
        named = catalog.keyword_match(spelled) >= 1.0 - 1e-6
        named &= catalog.filter_mask(
            category=request.category, price_min=request.budget_min, price_max=request.budget_max
        )
        rows = np.flatnonzero(named)
        prices = catalog.prices[rows]
        known = ~np.isnan(prices)
        rows, prices = rows[known], prices[known]
        by_price = rows[np.argsort(prices if order == "price_low" else -prices, kind="stable")]
        return [catalog.items[row].item_id for row in by_price[:count].tolist()]

    def titles(self, item_ids: set[str]) -> dict[str, str]:
        """The titles of those of ``item_ids`` still in the catalog."""
        catalog = self._index.catalog
        rows = {item: catalog.row(item) for item in item_ids}
        return {item: catalog.items[row].title for item, row in rows.items() if row is not None}

    def titled(self, words: list[str], item_ids: set[str]) -> dict[str, str]:
        """Those of ``item_ids`` whose titles hold every one of ``words`` as the catalog
        spells them ("tea towels": the tea towels, not the tea sets), with their titles."""
        spelled = self.catalog_words(" ".join(words))
        if not spelled:
            return {}
        catalog = self._index.catalog
        match = catalog.keyword_match(spelled)
        rows = {item: catalog.row(item) for item in item_ids}
        return {
            item: catalog.items[row].title
            for item, row in rows.items()
            if row is not None and match[row] >= 1.0 - 1e-6
        }

    def _same_meaning(self, word: str, form: str) -> bool:
        """Whether a real word and the catalog word it looks like a form of mean the same
        thing: "glittery" is "glitter", but "whisky" is no "whisk" and "party" no "part"."""
        vectors = self._embedder.embed([word, form])
        return float(vectors[0] @ vectors[1]) >= SAME_WORD_MEANING

    def _partner(self, goes_with: str | None, taste: TasteSignal) -> int | None:
        """The item "goes with …" names: among the items whose titles hold the most of
        its words (at least half), the one the shopper chose last, else the one most
        shoppers chose; None when no title holds half of them."""
        catalog = self._index.catalog
        words = self.catalog_words(goes_with)
        if not words:
            return None
        match = catalog.keyword_match(words)
        best = float(match.max())
        if best < 0.5:
            return None
        named = np.flatnonzero(match >= best)
        own = [(e.at, row) for row in named.tolist() for e, _ in taste.event_weights.get(row, [])]
        if own:
            return max(own)[1]
        choosers = self._index.current(self._clock.now()).choosers
        return int(named[np.argmax(choosers[named])])

    def _audience(self, request: Request) -> str | None:
        """Who a request is for, checked; None when it names nobody."""
        age = request.age
        if age is not None and not (math.isfinite(age) and 0 <= age <= MAX_AGE):
            raise InvalidInput(f"An age must be a number of years from 0 to {MAX_AGE}, not {age}.")
        if request.audience is None:
            return None if age is None else self._audiences.audience_for_age(age).value
        try:
            return Audience(request.audience.strip().lower()).value
        except ValueError:
            known = ", ".join(a.value for a in Audience)
            raise InvalidInput(
                f"Unknown audience {request.audience!r}: use one of {known}."
            ) from None

    def warm(self) -> None:
        """Build every audience's rules, and the catalog's likeness to them, now.

        Otherwise the first request for a child or a baby pays for embedding their
        prototype texts (a few dozen short ones); call it once after construction.
        """
        catalog = self._index.catalog
        for audience in self._audiences.audiences:
            rules = self._rules(audience)
            if rules.prototypes.size:
                catalog.audience_similarity(audience.value, rules.prototypes)

    def _rules(self, audience: Audience) -> AudienceRules:
        # Prototype texts are embedded once per audience, not per request.
        rules = self._audience_rules.get(audience)
        if rules is None:
            profile = self._audiences.audiences[audience]
            rules = self._audience_rules[audience] = AudienceRules(
                excluded_audiences=frozenset(a.value for a in profile.excludes_audiences),
                excluded_tags=profile.excludes_tags,
                categories=frozenset(c.lower() for c in profile.categories),
                prototypes=(
                    self._embedder.embed(list(profile.prototypes))
                    if profile.prototypes
                    else np.zeros((0, self._embedder.dim), dtype=np.float32)
                ),
                ages={a.value: p.ages for a, p in self._audiences.audiences.items()},
                own_items_fit=profile.own_items_fit,
            )
        return rules

    def rescore(
        self, shopper_id: str, request: Request, item_id: str, *, personalized: bool
    ) -> Suggestion | None:
        """One item ranked again from current data, under the request's constraints.

        None if it left the catalog or the request rules it out (an excluded item or word,
        outside ``only_ids``, the item it asks for more like).
        """
        row = self._index.catalog.row(item_id)
        if row is None:
            return None
        staff_list = self._staff_list(shopper_id, request, personalized)
        if staff_list is not None and staff_list[1].holds(item_id):
            # Ranked as the list it is on: its place there is part of its score.
            served = self.recommend(
                shopper_id,
                replace(request, k=max(request.k, len(staff_list[1].items))),
                personalized=personalized,
            )
            return next((s for s in served if s.item.item_id == item_id), None)
        rank_input = self.rank_input(shopper_id, request, personalized=personalized)
        ranker = self.ranker(rank_input.new_only)
        if ranker.ruled_out(rank_input)[row]:
            return None
        suggestion = ranker.suggestion_for(rank_input, row, self._clock.now())
        suggestion.reason = reason_for(suggestion, self._events_by_id(shopper_id))
        return suggestion

    def recommend(
        self,
        shopper_id: str,
        request: Request,
        *,
        personalized: bool,
        shopper: Shopper | None = None,
        name_shoppers: bool = True,
    ) -> list[Suggestion]:
        """Ranked suggestions, each with its factors and a plain-language reason
        (``shopper`` as for :meth:`rank_input`, ``name_shoppers`` as for
        :class:`RankInput`)."""
        staff_list = self._staff_list(shopper_id, request, personalized)
        if staff_list is not None:
            suggestions = self._from_list(*staff_list, shopper_id, request, shopper, name_shoppers)
        else:
            suggestions = self._ranked(shopper_id, request, personalized, shopper, name_shoppers)
        events = self._events_by_id(shopper_id)
        for suggestion in suggestions:
            suggestion.reason = reason_for(suggestion, events)
        return suggestions

    def _ranked(
        self,
        shopper_id: str,
        request: Request,
        personalized: bool,
        shopper: Shopper | None,
        name_shoppers: bool,
    ) -> list[Suggestion]:
        rank_input = self.rank_input(
            shopper_id, request, personalized=personalized, shopper=shopper
        )
        rank_input.name_shoppers = name_shoppers
        return self.ranker(rank_input.new_only).rank(rank_input, self._clock.now())

    def _staff_list(
        self, shopper_id: str, request: Request, personalized: bool
    ) -> tuple[Arm, CuratedList] | None:
        """The staff list the shopper's arm shows for this request, if any: none outside
        the curated and hybrid arms, and none for a request no list is aimed at."""
        if self.arms is None or not request.opens_list():
            return None
        arm = self.arms.arm_for(shopper_id, personalized)
        if arm not in (Arm.CURATED, Arm.HYBRID):
            return None
        recipients = {w.strip().lower() for w in (request.recipient, request.audience) if w}
        context = ListContext(
            mode=request.mode,
            category=request.category,
            recipients=frozenset(recipients),
            occasion=(request.occasion or "").strip().lower() or None,
            searched=tuple(self.catalog_words(request.query)),
        )
        found = self.arms.list_for(context)
        return None if found is None else (Arm(arm), found)

    def _from_list(
        self,
        arm: Arm,
        staff_list: CuratedList,
        shopper_id: str,
        request: Request,
        shopper: Shopper | None,
        name_shoppers: bool,
    ) -> list[Suggestion]:
        """The curated arm's list (staff order) or the hybrid arm's (the staff pool in
        tactful's order, then tactful's own picks)."""
        catalog = self._index.catalog
        rank_input = self.rank_input(shopper_id, request, personalized=True, shopper=shopper)
        # What the shopper turned down stays away, whoever picked it.
        dismissed = list(rank_input.taste.dismissed)
        if arm is Arm.CURATED:
            allowed = catalog.filter_mask(
                price_min=rank_input.price_min, price_max=rank_input.price_max
            ) & ~self.ranker().ruled_out(rank_input)
            allowed[dismissed] = False
            return serving.curated(staff_list, catalog, allowed, request.k)
        turned_down = {catalog.items[row].item_id for row in dismissed}
        pool = frozenset(item.item_id for item in staff_list.items) - turned_down
        ranked = self._ranked(
            shopper_id, replace(request, only_ids=pool), True, shopper, name_shoppers
        )
        fill = self._ranked(
            shopper_id,
            replace(request, k=request.k + len(ranked)),
            True,
            shopper,
            name_shoppers,
        )
        return serving.hybrid(staff_list, ranked, fill, request.k)

    def search(
        self,
        query: str,
        *,
        k: int = 10,
        category: str | None = None,
        price_min: float | None = None,
        price_max: float | None = None,
    ) -> list[SearchHit]:
        """The catalog's items nearest ``query`` in meaning, with optional filters."""
        if not query.strip():
            raise InvalidInput("The search query is empty.")
        return catalog_search(
            self._index.catalog,
            self._embedder.embed([query])[0],
            query_words=query_words(query),
            k=k,
            category=category,
            price_min=price_min,
            price_max=price_max,
        )

    def _events_by_id(self, shopper_id: str) -> dict[str, BehaviourEvent]:
        return {e.event_id: e for e in self._profiles.events(shopper_id)}
