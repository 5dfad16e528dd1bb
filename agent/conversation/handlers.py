"""Acting on what a message means: one handler per member of the Understanding union.

Each handler does what the shopper asked (facts, feedback, ranking, escalation, data
rights) and returns a :class:`Handled`: the typed outcome the brain words, and the data
the reply carries. Nothing here writes text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import prompts
from agent import wording
from agent.brain import intents as i
from agent.brain.base import ShopView
from agent.brain.modes import detect_mode
from agent.clock import Clock
from agent.conversation import outcome as o
from agent.conversation.followups import (
    NEW_TO_YOU,
    PRICE_ORDERS,
    apply_refine,
    describe_change,
    search_from,
)
from agent.conversation.shop_view import TurnShop
from agent.conversation.state import ActiveRequest, ShownItem, TurnState
from agent.domain import (
    CatalogItem,
    ClarifyingQuestion,
    ConversationStatus,
    Escalation,
    EscalationCause,
    EscalationStatus,
    EventKind,
    FactKind,
    FactSource,
    FeedbackValue,
    PreferenceFact,
    ShopperMode,
    Suggestion,
)
from agent.policy.clarify import Clarifier
from agent.policy.escalation import EscalationConfig, cause_detail, frustrated
from agent.policy.handover import Handovers
from agent.profile import ProfileService
from agent.profile_view import what_i_know
from agent.recommender import Recommender, query_words
from agent.stores.records import ConversationRecord, RecordStore
from tools.explain import explain
from tools.ranker import (
    PARTNER_REF,
    QUERY_LOOSE_REF,
    QUERY_MEANING_REF,
    QUERY_WORDS_REF,
    same_person,
)
from tools.types import BehaviourEvent, EvidenceKind, FactorName

#: Events this recent count as "this session" when guessing the mode; a conversation
#: idle for longer is over, and the shopper's next message starts a new one.
SESSION_WINDOW = timedelta(hours=2)
#: A like stated about "her" or "him" belongs to whoever the search on screen is for.
PRONOUNS = frozenset({"she", "he", "they", "her", "him", "them"})
#: Below this request match (0–1), the best suggestion does not answer what was asked.
GOOD_ANSWER_MATCH = 0.35
#: A catalog description quoted in a reply is cut at a word before this many characters.
QUOTED_DESCRIPTION = 300
#: "The cheapest candles": this many times a list's length of the cheapest candles are
#: ranked, so that those the request rules out still leave a full list.
PRICE_ORDER_SPARE = 3


#: A brain's search with tools it chooses (``Brain.choose``).
Chooser = Callable[[str, ShopView], list[Suggestion] | None]


class Summarised(Protocol):
    """The result of an erasure: counts by kind, and the same in words."""

    def counts(self) -> dict[str, int]: ...

    def summary(self) -> str: ...


class DataRights(Protocol):
    """The shopper's own data, exported or erased exactly as the CLI does it."""

    def export_to_file(self, shopper_id: str) -> Path: ...

    def erase(self, shopper_id: str) -> Summarised: ...

    def held_counts(self, shopper_id: str) -> dict[str, int]: ...


@dataclass
class TurnContext:
    """What a handler knows about the conversation when the message arrives."""

    conversation: ConversationRecord
    state: TurnState
    awaiting: ClarifyingQuestion | None
    handover: Escalation | None
    #: Whether the shopper's history may shape suggestions (the switch can flip mid-turn).
    personalized: bool
    #: What the shopper typed, for a brain that chooses its own tools to answer it.
    message: str = ""

    @property
    def shopper_id(self) -> str:
        return self.conversation.shopper_id


@dataclass
class Handled:
    """A handler's result: the outcome to word, and what the reply and next turn carry."""

    outcome: o.Outcome
    suggestions: list[Suggestion] = field(default_factory=list)
    #: The search behind ``suggestions`` (or the one that found nothing), for follow-ups.
    request: ActiveRequest | None = None
    facts: list[PreferenceFact] = field(default_factory=list)
    escalation: Escalation | None = None
    mode: ShopperMode | None = None
    mode_reason: str = ""
    no_match: bool = False
    confirming: str | None = None
    export_file: str | None = None
    erased: dict[str, int] | None = None
    #: Whether a clarifying question may follow the suggestions.
    may_ask: bool = True
    #: The item this turn was about ("why the second one?"), for "I already have that one".
    focus: str | None = None
    #: Someone the shopper just said a purchase was for, whom "for him" may mean next.
    named: ActiveRequest | None = None


class Handlers:
    """The conversation's actions, given what they act on."""

    def __init__(
        self,
        records: RecordStore,
        profiles: ProfileService,
        recommender: Recommender,
        clarifier: Clarifier,
        clock: Clock,
        handovers: Handovers,
        data_rights: DataRights,
        profile_of: Callable[[str], Any],
        escalation: EscalationConfig,
        choose: Chooser,
    ) -> None:
        self._records = records
        self._profiles = profiles
        self._recommender = recommender
        self._clarifier = clarifier
        self._clock = clock
        self._handovers = handovers
        self._data = data_rights
        self._profile_of = profile_of
        self._escalation = escalation
        self._choose = choose

    def handle(self, meaning: i.Understanding, turn: TurnContext) -> Handled:
        """Act on one reading of the shopper's message."""
        if isinstance(meaning, i.Request | i.Refine):
            meaning = _resolve_pronoun(meaning, turn.state.request, turn.state.named)
        match meaning:
            case i.CallOff() if turn.handover is not None:
                self._handovers.move(turn.handover.escalation_id, EscalationStatus.CALLED_OFF)
                turn.conversation.status = ConversationStatus.ACTIVE
                return self._suggest(turn, ActiveRequest(), o.HandoverCalledOff())
            case i.Confirm(yes=True) if turn.state.confirming == "erase":
                return self._erase(turn)
            case i.Confirm():
                return Handled(o.EraseDeclined())
            case i.Handoff(upset=True):
                return self.escalate(turn, EscalationCause.FRUSTRATION)
            case i.Handoff():
                return self.escalate(turn, EscalationCause.REQUESTED)
            case i.Sensitive(topic=topic):
                return self.escalate(turn, EscalationCause.SENSITIVE, topic=topic)
            case i.Answer() if turn.awaiting is not None:
                return self._answer(turn, turn.awaiting, meaning)
            case i.AskWhyAsked() if turn.awaiting is not None:
                return self._why_asked(turn.awaiting)
            case i.DeclineAnswer() if turn.awaiting is not None:
                self._clarifier.decline(turn.awaiting)
                return Handled(o.AnswerDeclined(item=turn.awaiting.item_title), may_ask=False)
            case i.Correction():
                return self._stated(turn, meaning)
            case i.Budget(amount=amount):
                return self._budget(turn, amount)
            case i.Forget(what=what):
                return self._forget(turn, what)
            case i.Why():
                return self._why(turn, meaning)
            case i.Personalization(on=on):
                self._records.set_personalized(turn.shopper_id, on)
                turn.personalized = on
                return self._suggest(turn, ActiveRequest(), o.PersonalizationSet(on=on))
            case i.Feedback():
                return self._feedback(turn, meaning)
            case i.Owned(position=position):
                return self._owned(turn, position)
            case i.ModeSwitch(mode=mode):
                return self._mode_switch(turn, mode)
            case i.DataRequest(action=action):
                return self._data_request(turn, action)
            case i.Refine() if turn.state.request is not None:
                return self._refine(turn, meaning)
            case i.Request() | i.Refine():
                return self._request(turn, meaning)
            case i.Greeting():
                return Handled(o.Greeted())
            case i.BoughtFor():
                return self._bought_for(turn, meaning)
            case i.Basket(position=position):
                named = _pick(turn.state.shown, position) if position is not None else []
                return Handled(o.BasketElsewhere(item=named[0].title if named else None))
            case i.OrderHistory(query=query):
                return Handled(self._order_history(turn.shopper_id, query), may_ask=False)
            case i.Thanks():
                return Handled(o.Closing(what="thanks"))
            case i.Goodbye():
                return Handled(o.Closing(what="goodbye"))
            case i.SmallTalk(what=what):
                return Handled(o.Closing(what=what))
        return Handled(o.NotUnderstood())

    # -- searching -------------------------------------------------------------------
    def _request(self, turn: TurnContext, meaning: i.Request | i.Refine) -> Handled:
        current = turn.state.request
        if current is not None and _only_constraints(meaning, current):
            # "under £5 please" with a search on screen narrows it; it is not a new search.
            return self._refine(turn, i.Refine(**meaning.model_dump(exclude={"kind"})))
        request = search_from(meaning)
        return self._suggest(
            turn, request, message_mode=meaning.mode, answer_check=True, choose=True
        )

    def _refine(self, turn: TurnContext, meaning: i.Refine) -> Handled:
        assert turn.state.request is not None
        before = turn.state.request
        if meaning.change is None and _adds_nothing(meaning, before):
            # "any ideas for her?" about whoever the search is already for asks for more.
            meaning = meaning.model_copy(update={"change": "exclude_shown"})
        shown = turn.state.shown
        request, only = apply_refine(before, meaning, shown)
        kept, changed = describe_change(
            before, request, meaning, shown, self._recommender.catalog_words
        )
        handled = self._suggest(
            turn,
            request,
            o.Refined(kept=kept, changed=changed),
            message_mode=meaning.mode,
            # Choosing among the items on screen always has an answer: they are there.
            answer_check=only is None,
            only_ids=only,
        )
        if only is not None and meaning.order is not None:
            handled.suggestions = in_price_order(handled.suggestions, meaning.order)
        return handled

    def _suggest(
        self,
        turn: TurnContext,
        request: ActiveRequest,
        lead: o.Outcome | None = None,
        *,
        message_mode: ShopperMode | None = None,
        answer_check: bool = False,
        only_ids: frozenset[str] | None = None,
        facts: list[PreferenceFact] | None = None,
        choose: bool = False,
    ) -> Handled:
        """Rank for ``request`` and show the result after ``lead`` (the default intro if None);
        with ``choose``, a brain that picks its own tools may find the items instead."""
        conversation = turn.conversation
        said = wording.with_sex(request.recipient, request.sex)  # "a boy", not "a child"
        mode, mode_reason = self._mode(conversation, message_mode, said)
        request.mode = mode
        if mode is ShopperMode.GIFT and request.recipient is None and request.sex is None:
            # Only when nothing was said of them: "something for him" is not the niece.
            request.recipient = self.known_recipient(turn.shopper_id)
        chosen = self._chosen(turn, request) if choose else None
        if chosen is not None:
            suggestions, request = chosen
        else:
            wanted = request.to_request(only_ids=only_ids)
            priced = self._priced_matches(request) if only_ids is None else []
            if priced:
                wanted = replace(wanted, only_ids=frozenset(priced), k=len(priced))
            suggestions = self._recommender.recommend(
                turn.shopper_id, wanted, personalized=turn.personalized and not request.popular
            )
            if request.order is not None and request.query and only_ids is None:
                # The cheapest (or dearest) of the items named, or of the best matches
                # when no title names what was asked for.
                suggestions = in_price_order(suggestions, request.order)[: request.to_request().k]
        if answer_check and not self._answers(request, suggestions):
            if turn.state.no_answer_streak + 1 >= self._escalation.no_answer_in_a_row:
                return self.escalate(turn, EscalationCause.NO_GOOD_ANSWER)
            return Handled(
                o.NoMatch(constraints=_constraints(request)),
                request=request,
                mode=mode,
                mode_reason=mode_reason,
                no_match=True,
            )
        if lead is None:
            lead = o.Shown(
                mode=mode,
                personalized=turn.personalized,
                popular=request.popular,
                recipient=wording.with_sex(request.recipient, request.sex),
                goes_with=_chosen_with(suggestions) if request.goes_with else None,
                searched=self._searched(request),
                excluded=list(request.exclude_words),
            )
        return Handled(
            lead,
            suggestions=suggestions,
            request=request,
            facts=facts or [],
            mode=mode,
            mode_reason=mode_reason,
        )

    def _priced_matches(self, request: ActiveRequest) -> list[str]:
        """ "The cheapest candles": the cheapest (or dearest) of the items whose titles
        name what was asked for, enough of them that the ones the request rules out
        (for a child, without glass) leave a full list; none without a price order."""
        if request.order is None or not request.query:
            return []
        k = request.to_request().k
        return self._recommender.priced_matches(
            request.to_request(), request.order, k * PRICE_ORDER_SPARE
        )

    def _searched(self, request: ActiveRequest) -> str | None:
        """What was asked for, in the words it was searched by (the catalog's spelling),
        with its price bounds and whether only new things; None when nothing was asked
        for by name or as new."""
        if request.query:
            words = " ".join(self._recommender.catalog_words(request.query)) or request.query
            named = f'"{words}"'
        elif request.new_only:
            named = "things"
        else:
            return None
        new = [f"that {NEW_TO_YOU}"] if request.new_only else []
        order = [PRICE_ORDERS[request.order]] if request.order and request.query else []
        return ", ".join([" ".join([named, *_bounds(request), *new]), *order])

    def _chosen(
        self, turn: TurnContext, request: ActiveRequest
    ) -> tuple[list[Suggestion], ActiveRequest] | None:
        """What a brain found with tools of its own choosing, and the search that ranked
        it; None when it chose none (the offline brain never does)."""
        shop = TurnShop(
            self._recommender,
            request,
            shopper_id=turn.shopper_id,
            conversation_id=turn.conversation.conversation_id,
            personalized=turn.personalized,
        )
        suggestions = self._choose(turn.message, shop)
        return None if suggestions is None else (suggestions, shop.request)

    def _answers(self, request: ActiveRequest, suggestions: list[Suggestion]) -> bool:
        """Whether the suggestions answer the request, judged by how well they match it."""
        if not suggestions:
            return False
        if request.goes_with and _chosen_with(suggestions[:1]):
            return True
        # What it goes with, unless found in the catalog, was searched for as words.
        if not query_words(f"{request.query or ''} {request.goes_with or ''}"):
            return True
        if request.like_item_id:
            return True
        weight = self._recommender.weights[request.mode].request or 1.0
        best = max(
            (f.contribution for s in suggestions if (f := s.factor(FactorName.REQUEST))),
            default=0.0,
        )
        return best / weight >= GOOD_ANSWER_MATCH

    def _mode(
        self,
        conversation: ConversationRecord,
        message_mode: ShopperMode | None,
        recipient: str | None,
    ) -> tuple[ShopperMode, str]:
        if conversation.mode_locked and conversation.mode is not None and message_mode is None:
            chosen = prompts.render("modes/chosen", mode=conversation.mode.value)
            return conversation.mode, chosen
        now = self._clock.now()
        recent = [
            e.kind
            for e in self._profiles.events(conversation.shopper_id)
            if now - SESSION_WINDOW <= e.at <= now
        ]
        mode, reason = detect_mode(message_mode, recent_kinds=recent, recipient=recipient)
        conversation.mode = mode
        if message_mode is not None:
            conversation.mode_locked = False
        return mode, reason

    def known_recipient(self, shopper_id: str) -> str | None:
        recipients = [
            f.recipient for f, _ in self._profiles.facts(shopper_id) if f.kind is FactKind.RECIPIENT
        ]
        return recipients[-1] if recipients else None

    def _mode_switch(self, turn: TurnContext, mode: ShopperMode) -> Handled:
        turn.conversation.mode, turn.conversation.mode_locked = mode, True
        known = self.known_recipient(turn.shopper_id) if mode is ShopperMode.GIFT else None
        if known:  # the gift intro already names the mode and the person
            return self._suggest(turn, ActiveRequest(recipient=known))
        return self._suggest(turn, ActiveRequest(), o.ModeSwitched(mode=mode))

    # -- what the shopper tells us -----------------------------------------------------
    def _answer(
        self, turn: TurnContext, question: ClarifyingQuestion, meaning: i.Answer
    ) -> Handled:
        _, learned = self._clarifier.answer(
            question, about_me=meaning.about_me, recipient=meaning.recipient
        )
        lead = o.AnswerTaken(
            item=question.item_title, about_me=meaning.about_me, recipient=meaning.recipient
        )
        handled = self._suggest(turn, ActiveRequest(), lead, facts=learned)
        if meaning.recipient and not meaning.about_me:
            handled.named = ActiveRequest(
                mode=ShopperMode.GIFT, recipient=meaning.recipient, sex=meaning.sex
            )
        return handled

    def _order_history(self, shopper_id: str, query: str) -> o.OrderHistoryShown:
        """What the shopper's purchases on record say: of the things ``query`` names, or
        their latest order (the purchases of its day) when it names nothing."""
        now = self._clock.now()
        bought = sorted(
            (
                e
                for e in self._profiles.events(shopper_id)
                if e.kind is EventKind.PURCHASE and e.at <= now
            ),
            key=lambda e: e.at,
            reverse=True,
        )
        words = query_words(query)
        ids = {e.item_id for e in bought}
        titles = self._recommender.titled(words, ids) if words else self._recommender.titles(ids)
        if words:
            bought = [e for e in bought if e.item_id in titles]
        elif bought:
            bought = [e for e in bought if e.at.date() == bought[0].at.date()]
        bought = [e for e in bought if e.item_id in titles]
        if not bought:
            return o.OrderHistoryShown(query=" ".join(words))
        return o.OrderHistoryShown(
            query=" ".join(words),
            titles=list(dict.fromkeys(titles[e.item_id] for e in bought)),
            times=len(bought),
            when=f"{wording.day(bought[0].at)} ({wording.age(bought[0].at, now)})",
        )

    def _bought_for(self, turn: TurnContext, meaning: i.BoughtFor) -> Handled:
        """Purchases the shopper says were someone else's, unasked: each is answered as
        "was that for someone else?" is, so it leaves their own taste and, when they say
        who, is kept for gift ideas for that person."""
        shopper_id = turn.shopper_id
        own = [
            e
            for e in self._profiles.events(shopper_id)
            if e.kind is EventKind.PURCHASE and not e.recipient
        ]
        named = self._recommender.titled(meaning.item_words, {e.item_id for e in own})
        bought = [e for e in own if e.item_id in named]
        words = " ".join(meaning.item_words)
        if not bought:
            return Handled(
                o.BoughtForNoted(words=words, recipient=meaning.recipient), may_ask=False
            )
        learned = self._clarifier.set_aside(
            shopper_id, [e.event_id for e in bought], meaning.recipient, source=FactSource.STATED
        )
        titles = list(dict.fromkeys(named[e.item_id] for e in bought))
        lead = o.BoughtForNoted(
            words=words, items=titles, count=len(bought), recipient=meaning.recipient
        )
        return self._suggest(turn, ActiveRequest(), lead, facts=learned)

    def _why_asked(self, question: ClarifyingQuestion) -> Handled:
        """Say what the question is for; it stays open, and nothing else is asked."""
        event = next(
            (
                e
                for e in self._profiles.events(question.shopper_id)
                if e.event_id == question.event_id
            ),
            None,
        )
        when = wording.age(event.at, self._clock.now()) if event else "recently"
        return Handled(o.QuestionExplained(item=question.item_title, bought_at=when), may_ask=False)

    def _stated(
        self, turn: TurnContext, meaning: i.Correction, search: ActiveRequest | None = None
    ) -> Handled:
        """A stated like or dislike, kept as a fact; the search on screen (or ``search``,
        what it became) goes on when the feeling is about who it is for."""
        search = search or turn.state.request
        if meaning.recipient in PRONOUNS:
            # "she loves cats" right after a search for the sister is about the sister.
            current = _pronoun_means(meaning.recipient, search)
            text = meaning.text if current is None else f"{current.split(',')[0]} {meaning.text}"
            meaning = meaning.model_copy(update={"recipient": current, "text": text})
        fact = self._profiles.add_fact(
            turn.shopper_id,
            meaning.text,
            subject=meaning.subject,
            polarity=meaning.polarity,
            source=FactSource.STATED,
            actor="shopper",
            recipient=meaning.recipient,
        )
        lead = o.FactNoted(
            subject=meaning.subject, polarity=meaning.polarity, recipient=meaning.recipient
        )
        # "My sister loves cats" is about a gift: show ideas for her, with cats in them.
        request = ActiveRequest(recipient=meaning.recipient)
        theirs = meaning.recipient is None or (
            search is not None and same_person(meaning.recipient, search.recipient)
        )
        if search is not None and meaning.polarity < 0 and theirs:
            # "I don't like scented ones" while looking at candles: still the candles.
            request = search.model_copy(deep=True)
        handled = self._suggest(turn, request, lead, facts=[fact])
        if handled.outcome is lead:
            # "I'll bring that in" is only said of a list that does.
            handled.outcome = lead.model_copy(
                update={"shapes_list": _cites(handled.suggestions, fact.fact_id)}
            )
        return handled

    def _budget(self, turn: TurnContext, amount: float) -> Handled:
        fact = self._profiles.add_fact(
            turn.shopper_id,
            prompts.render("facts/budget", amount=wording.money(amount)).strip(),
            kind=FactKind.BUDGET,
            subject="budget",
            amount=amount,
            source=FactSource.STATED,
            actor="shopper",
        )
        return self._suggest(
            turn, ActiveRequest(), o.BudgetNoted(amount=wording.money(amount)), facts=[fact]
        )

    def _forget(self, turn: TurnContext, what: str) -> Handled:
        """Retract every fact the shopper's words name, and say which; or say none matched."""
        facts = [f for f, _ in self._profiles.facts(turn.shopper_id)]
        matched = facts_matching(facts, what)
        if not matched:
            return Handled(o.NothingToForget(what=what, facts=[f.text for f in facts]))
        retracted = [
            self._profiles.retract(turn.shopper_id, fact.fact_id, actor="shopper")
            for fact in matched
        ]
        lead = o.Forgotten(facts=[f.text for f in retracted])
        return self._suggest(turn, ActiveRequest(), lead, facts=retracted)

    def _feedback(self, turn: TurnContext, meaning: i.Feedback) -> Handled:
        targets = _pick(turn.state.shown, meaning.position)
        item_id = targets[0].item_id if len(targets) == 1 else None
        if item_id is not None or meaning.value is FeedbackValue.UP:
            kind = EventKind.LIKE if meaning.value is FeedbackValue.UP else EventKind.DISMISS
            self._record_events(turn.shopper_id, [t.item_id for t in targets], kind, "feedback")
        # "Nah, none of these" is a verdict on the set, not ten separate dismissals that
        # would keep every one of them out for months: the set is left out of this
        # search, and the message counts as one piece of feedback (never a run of
        # frustration on its own).
        conversation = turn.conversation
        self._records.add_feedback(
            turn.shopper_id, conversation.conversation_id, item_id, meaning.value, self._clock.now()
        )
        history = self._records.feedback_for_conversation(conversation.conversation_id)
        if meaning.furious or frustrated(history, self._escalation):
            return self.escalate(turn, EscalationCause.FRUSTRATION)
        stated = meaning.stated
        if stated is not None and stated.recipient in PRONOUNS:
            # "Not number 2, he hates owls" during a search for the sister: who "he" is,
            # nothing says; the verdict stands alone.
            stated = stated if _pronoun_means(stated.recipient, turn.state.request) else None
        if stated is not None:
            # "Not number 3, she hates owls": the third is turned down and the dislike kept
            # ("the first is lovely, she adores cats": liked, and the like kept).
            up = meaning.value is FeedbackValue.UP
            search = turn.state.request if up else _without(turn.state.request, targets)
            return self._stated(turn, stated, search)
        lead = o.FeedbackTaken(value=meaning.value, whole_set=item_id is None)
        if meaning.value is FeedbackValue.UP:
            if not targets:
                return Handled(o.Closing(what="thanks"))
            # "I love number 6" is answered with more like it, at once: a promise to show
            # them later could be outweighed by a long history by then.
            position = meaning.position if item_id is not None else None
            more = i.Refine(change="more_like", position=position)
            request, _ = apply_refine(turn.state.request or ActiveRequest(), more, turn.state.shown)
            return self._suggest(turn, request, lead)
        return self._suggest(turn, _without(turn.state.request, targets), lead)

    def _owned(self, turn: TurnContext, position: int | None) -> Handled:
        shown = turn.state.shown
        # "I already have that one" right after "why the second one?" means the second.
        targets = _pick(shown, position or _focused(turn) or 1)
        if not targets:
            return Handled(o.NothingToExplain())
        self._record_events(turn.shopper_id, [t.item_id for t in targets], EventKind.OWN, "stated")
        lead = o.OwnedNoted(item=targets[0].title)
        return self._suggest(turn, _without(turn.state.request, targets), lead)

    def _record_events(
        self, shopper_id: str, item_ids: list[str], kind: EventKind, context: str
    ) -> None:
        now = self._clock.now()
        events = [
            BehaviourEvent(
                event_id=f"fb-{uuid.uuid4().hex[:12]}",
                shopper_id=shopper_id,
                item_id=item_id,
                kind=kind,
                at=now,
                context=context,
            )
            for item_id in item_ids
        ]
        if events:
            self._records.add_events(events)
            self._profiles.add_events_to_cache(shopper_id, events)

    # -- explaining ------------------------------------------------------------------------
    def _why(self, turn: TurnContext, meaning: i.Why) -> Handled:
        """Explain a suggestion from the data as it stands now, never from a stored reason."""
        shown = turn.state.shown
        position = meaning.position
        if position is None and meaning.item_words:
            words = {w.lower() for w in meaning.item_words}
            position = next(
                (n for n, s in enumerate(shown, start=1) if words & set(s.title.lower().split())),
                None,
            )
        # "Why that one?" after "how much is the third one?" asks about the third.
        chosen = _pick(shown, position or _focused(turn) or 1)
        if not chosen or turn.state.request is None:
            return Handled(o.NothingToExplain())
        now_scored = self._recommender.rescore(
            turn.shopper_id,
            turn.state.request.to_request(),
            chosen[0].item_id,
            personalized=turn.personalized,
        )
        if now_scored is None:
            return Handled(o.NothingToExplain())
        breakdown = explain(now_scored)
        factors = []
        for line in breakdown.factors:
            sources = "; ".join(e.label for e in line.evidence[:3] if e.label)
            factors.append(
                f"- {line.name.value}: {line.contribution:+.2f}"
                + (f" ({sources})" if sources else "")
            )
        item = now_scored.item
        return Handled(
            o.Explained(
                item=item.title,
                price=None if item.price is None else wording.money(item.price),
                reason=breakdown.reason,
                factors=factors,
                described=quoted_description(item) if meaning.asks_fact else None,
            ),
            focus=chosen[0].item_id,
        )

    # -- people and data ---------------------------------------------------------------------
    def escalate(
        self, turn: TurnContext, cause: EscalationCause, *, topic: str | None = None
    ) -> Handled:
        escalation = self._handovers.open(turn.conversation, cause, cause_detail(cause, topic))
        return Handled(o.Escalated(cause=cause, topic=topic), escalation=escalation)

    def _data_request(self, turn: TurnContext, action: str) -> Handled:
        shopper_id = turn.shopper_id
        if action == "profile":
            lines = what_i_know(self._profile_of(shopper_id), self._clock.now())
            return Handled(o.ProfileShown(lines=lines))
        if action == "export":
            path = str(self._data.export_to_file(shopper_id))
            return Handled(o.Exported(path=path), export_file=path)
        held = wording.counts(self._data.held_counts(shopper_id))
        return Handled(o.EraseAsked(held=held), confirming="erase")

    def _erase(self, turn: TurnContext) -> Handled:
        """Run the same erase as ``tactful erase`` and say what it removed."""
        report = self._data.erase(turn.shopper_id)
        return Handled(o.Erased(summary=report.summary()), erased=report.counts())


_REQUEST_SLOTS = frozenset(i.Request.model_fields) - {"kind", "pronoun"}


def _resolve_pronoun(
    meaning: i.Request | i.Refine, current: ActiveRequest | None, named: ActiveRequest | None
) -> i.Request | i.Refine:
    """ "Something for her": whoever the search on screen is for, else whoever the shopper
    last said a purchase was for ("it was for my nephew" ... "any ideas for him?"); with
    no one named yet, a gift for someone the shopper has not named."""
    if meaning.pronoun is None or meaning.recipient is not None:
        return meaning
    slots = {k: v for k, v in meaning.model_dump().items() if k in _REQUEST_SLOTS}
    if (current is None or current.recipient is None) and named is not None:
        current = named
    if current is None or current.recipient is None or current.sex not in (None, meaning.sex):
        # No one named yet, or "and something for him?" after ideas for the sister:
        # a new search, for someone the shopper has not named.
        return i.Request(**{**slots, "mode": meaning.mode or ShopperMode.GIFT})
    return meaning.model_copy(
        update={"recipient": current.recipient, "sex": current.sex, "pronoun": None}
    )


def _adds_nothing(meaning: i.Refine, current: ActiveRequest) -> bool:
    """Whether a follow-up states nothing the search on screen does not already have."""
    same = meaning.recipient is None or (
        current.recipient is not None and same_person(meaning.recipient, current.recipient)
    )
    return same and not (
        meaning.query
        or meaning.goes_with
        or meaning.budget_max is not None
        or meaning.budget_min is not None
        or meaning.exclude
        or meaning.audience
    )


def _only_constraints(meaning: i.Request | i.Refine, current: ActiveRequest) -> bool:
    """A message that only narrows ("under £5", "not leather"), names the person the
    search on screen is already for ("any ideas for my nephew?"), or names nothing at all
    ("any other ideas?"): each edits that search rather than starting one."""
    if meaning.query or meaning.goes_with:
        return False
    if meaning.recipient is not None:
        return current.recipient is not None and same_person(meaning.recipient, current.recipient)
    return meaning.mode is None  # "show me something else": more of the search on screen


#: The sex a pronoun says, when it says one.
_PRONOUN_SEX = {"she": "f", "her": "f", "he": "m", "him": "m"}


def _pronoun_means(pronoun: str | None, search: ActiveRequest | None) -> str | None:
    """Who "she" or "he" is: the person the search on screen is for, unless the search
    says they are of the other sex."""
    if search is None or search.recipient is None:
        return None
    said = _PRONOUN_SEX.get(pronoun or "")
    return None if said and search.sex and said != search.sex else search.recipient


def _without(request: ActiveRequest | None, items: list[ShownItem]) -> ActiveRequest:
    """The same search with ``items`` left out (after a thumbs-down or "I have that")."""
    base = request.model_copy(deep=True) if request is not None else ActiveRequest()
    base.exclude_ids = sorted({*base.exclude_ids, *(t.item_id for t in items)})
    base.like_item_id = None
    return base


def _focused(turn: TurnContext) -> int | None:
    """The place in the list of the item the last turn was about, if it was about one."""
    focus = turn.state.focus
    if focus is None:
        return None
    return next((n for n, s in enumerate(turn.state.shown, start=1) if s.item_id == focus), None)


def quoted_description(item: CatalogItem) -> str:
    """An item's catalog description as a reply quotes it: one paragraph, at most
    :data:`QUOTED_DESCRIPTION` characters; "" when it only repeats the title."""
    flat = " ".join(item.description.split())
    if _TOKEN.findall(flat.lower()) == _TOKEN.findall(item.title.lower()):
        return ""
    if len(flat) <= QUOTED_DESCRIPTION:
        return flat
    return flat[:QUOTED_DESCRIPTION].rsplit(" ", 1)[0] + "…"


def _pick(shown: list[ShownItem], position: int | None) -> list[ShownItem]:
    if position is None:
        return shown
    if 1 <= position <= len(shown):
        return [shown[position - 1]]
    return []


def _constraints(request: ActiveRequest) -> str:
    """The request in words, as the shopper put it."""
    parts = []
    if request.query:
        parts.append(f'"{request.query}"')
    if request.goes_with:
        parts.append(f'to go with "{request.goes_with}"')
    return " ".join(parts + _bounds(request)) or "that"


def _bounds(request: ActiveRequest) -> list[str]:
    """The request's price bounds in words: "under £5", "over £2"."""
    bounds = []
    if request.budget_max is not None:
        bounds.append(f"under {wording.money(request.budget_max)}")
    if request.budget_min is not None:
        bounds.append(f"over {wording.money(request.budget_min)}")
    return bounds


_TOKEN = re.compile(r"[a-z0-9]+")
#: Words that name no preference in "forget that fact", beyond the shared stop-words
#: ``query_words`` already drops ("what I said about", "that bit").
_FORGET_FILLER = frozenset({"fact", "facts"})


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def facts_matching(facts: list[PreferenceFact], what: str) -> list[PreferenceFact]:
    """The facts whose subject or wording shares a meaningful word with ``what``.

    An empty ``what`` ("forget that") means the most recent fact.
    """
    words = {_stem(w) for w in query_words(what) if w not in _FORGET_FILLER}
    if not words:
        return facts[-1:] if not what.strip() else []
    return [
        fact
        for fact in facts
        if words & {_stem(w) for w in _TOKEN.findall(f"{fact.subject} {fact.text}".lower())}
    ]


def in_price_order(suggestions: list[Suggestion], order: str) -> list[Suggestion]:
    """Cheapest first for "price_low", dearest first otherwise; unpriced ones last."""
    sign = 1.0 if order == "price_low" else -1.0
    return sorted(
        suggestions,
        key=lambda s: (s.item.price is None, sign * (s.item.price or 0.0)),
    )


def _cites(suggestions: list[Suggestion], fact_id: str) -> bool:
    """Whether any suggestion's reasons draw on the fact ``fact_id``."""
    return any(
        e.kind is EvidenceKind.FACT and e.ref == fact_id
        for s in suggestions
        for f in s.factors
        for e in f.evidence
    )


def _chosen_with(suggestions: list[Suggestion]) -> str | None:
    """The item every suggestion's request evidence says it was chosen with, if one."""
    partners = [
        {e.label for e in f.evidence if e.ref.startswith(PARTNER_REF)}
        if (f := s.factor(FactorName.REQUEST))
        else set()
        for s in suggestions
    ]
    common = set.intersection(*partners) if partners else set()
    return next(iter(common)) if len(common) == 1 else None


def only_loosely(request: ActiveRequest | None, suggestions: list[Suggestion]) -> bool:
    """Whether words were searched for and no suggestion names them or clearly means them
    (each is only loosely related: what is left once the close matches were shown)."""
    if request is None or not request.query or not suggestions:
        return False
    refs = {
        e.ref
        for s in suggestions
        if (found := s.factor(FactorName.REQUEST)) is not None
        for e in found.evidence
    }
    return not refs & {QUERY_WORDS_REF, QUERY_MEANING_REF} and QUERY_LOOSE_REF in refs
