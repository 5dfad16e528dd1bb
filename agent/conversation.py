"""One chat turn: understand the message, act on it, answer — with at most one question.

The understanding and the wording come from a *brain* (offline rules by default, an
LLM later); what happens — facts, feedback, escalation, ranking — is decided here in
plain code the brain cannot bypass.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import prompts
from agent import wording
from agent.brain import intents as u
from agent.brain.modes import detect_mode
from agent.brain.understanding import understand
from agent.clock import Clock
from agent.domain import (
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
    Reply,
    ShopperMode,
    Suggestion,
)
from agent.errors import InvalidInput, UnknownConversation
from agent.policy.clarify import Clarifier
from agent.policy.escalation import EscalationConfig, cause_detail, frustrated
from agent.policy.handover import Handovers
from agent.profile import ProfileService
from agent.profile_view import what_i_know
from agent.recommender import Recommender, Request, query_words
from agent.stores.records import ConversationRecord, RecordStore, TurnRecord
from tools.explain import explain
from tools.types import BehaviourEvent, FactorName

#: Events this recent count as "this session" when guessing the mode; a conversation
#: idle for longer is over, and the shopper's next message starts a new one.
SESSION_WINDOW = timedelta(hours=2)
#: Below this request match (0–1), the best suggestion does not answer what was asked.
GOOD_ANSWER_MATCH = 0.35


class Summarised(Protocol):
    """The result of an erasure: counts by kind, and the same in words."""

    def counts(self) -> dict[str, int]: ...

    def summary(self) -> str: ...


class DataRights(Protocol):
    """The shopper's own data, exported or erased exactly as the CLI does it."""

    def export_to_file(self, shopper_id: str) -> Path: ...

    def erase(self, shopper_id: str) -> Summarised: ...

    def held_counts(self, shopper_id: str) -> dict[str, int]: ...


class Conversations:
    """Runs chat turns for any shopper, keeping each conversation in SQL."""

    def __init__(
        self,
        records: RecordStore,
        profiles: ProfileService,
        recommender: Recommender,
        clarifier: Clarifier,
        clock: Clock,
        *,
        data_rights: DataRights,
        profile_of: Callable[[str], Any],
        max_message_chars: int = 2000,
        escalation: EscalationConfig | None = None,
    ) -> None:
        self._records = records
        self._profiles = profiles
        self._recommender = recommender
        self._clarifier = clarifier
        self._clock = clock
        self._data = data_rights
        self._profile_of = profile_of
        self._max_chars = max_message_chars
        self._escalation = escalation or EscalationConfig()
        # The request behind this turn's suggestions, kept so "why" can re-rank it later.
        self._ranked: Request | None = None
        # The conversation's earlier turns, read once per turn (payloads are parsed JSON).
        self._history: tuple[str, list[TurnRecord]] | None = None
        self.handovers = Handovers(
            records,
            clock,
            unclaimed_after=timedelta(minutes=self._escalation.unclaimed_minutes),
        )

    # -- entry point -------------------------------------------------------------------
    def turn(
        self,
        shopper_id: str,
        message: str,
        *,
        conversation_id: str | None = None,
        mode: ShopperMode | None = None,
    ) -> Reply:
        text = self._check_message(message)
        self._ranked, self._history = None, None
        self._profiles.ensure_shopper(shopper_id)
        conversation = self._conversation(shopper_id, conversation_id)
        now = self._clock.now()
        last_payload = self._last_agent_payload(conversation.conversation_id)
        self._records.add_turn(conversation.conversation_id, "shopper", text, None, now)
        if mode is not None:
            conversation.mode, conversation.mode_locked = mode, True

        handover = self.handovers.current(conversation.conversation_id)
        awaiting = self._clarifier.awaiting(shopper_id)
        confirming = (last_payload or {}).get("confirming")
        meaning = understand(
            text,
            awaiting_answer=awaiting is not None,
            suggestion_count=len(self._last_suggestions(conversation.conversation_id)),
            confirming=confirming is not None,
            handover_open=handover is not None,
        )
        with_staff = handover is not None and handover.status is EscalationStatus.WITH_STAFF
        if with_staff and not isinstance(meaning, u.CallOff):
            # A person has taken over: the agent stays quiet and says so.
            assert handover is not None
            passed_on = prompts.render("offline/handover_with_staff", staff=handover.staff)
            reply = self._reply(conversation, passed_on, mode_reason="")
            reply.escalation = handover
            return self._finish(conversation, reply, ask=False)

        notes = self._handover_notes(conversation, handover, meaning, first=last_payload is None)
        if confirming == "erase" and not isinstance(meaning, u.Confirm):
            notes.append(prompts.render("offline/erase_declined"))
        reply = self._act(conversation, meaning, awaiting, handover)
        if reply.erased is not None:
            return reply  # the conversation itself was erased: nothing is stored
        if notes:
            reply.text = "\n\n".join([*notes, reply.text])
        if reply.escalation is None and handover is not None and not isinstance(meaning, u.CallOff):
            reply.escalation = self.handovers.current(conversation.conversation_id)
        return self._finish(conversation, reply, ask=reply.escalation is None and not notes)

    def _handover_notes(
        self,
        conversation: ConversationRecord,
        handover: Escalation | None,
        meaning: u.Understanding,
        *,
        first: bool,
    ) -> list[str]:
        """What the shopper should know about a hand-over before the answer itself."""
        if isinstance(meaning, u.CallOff | u.Handoff | u.Sensitive):
            return []
        if handover is None:
            elsewhere = self.handovers.waiting_elsewhere(
                conversation.shopper_id, conversation.conversation_id
            )
            return [prompts.render("offline/handover_elsewhere")] if elsewhere and first else []
        if self.handovers.unclaimed_too_long(handover):
            self.handovers.note_unclaimed_told(handover)
            since = wording.age(handover.at, self._clock.now())
            return [prompts.render("offline/handover_unclaimed", age=since)]
        return [prompts.render("offline/handover_still_waiting")]

    # -- acting on what was understood ---------------------------------------------------
    def _act(
        self,
        conversation: ConversationRecord,
        meaning: u.Understanding,
        awaiting: ClarifyingQuestion | None,
        handover: Escalation | None,
    ) -> Reply:
        shopper_id = conversation.shopper_id
        if isinstance(meaning, u.CallOff) and handover is not None:
            self.handovers.move(handover.escalation_id, EscalationStatus.CALLED_OFF)
            conversation.status = ConversationStatus.ACTIVE
            intro = prompts.render("offline/handover_called_off")
            return self._suggest(conversation, Request(), intro=intro)
        if isinstance(meaning, u.Confirm):
            if meaning.yes:
                return self._erase(conversation)
            return self._reply(
                conversation, prompts.render("offline/erase_declined"), mode_reason=""
            )
        if isinstance(meaning, u.Handoff):
            return self._escalate(conversation, EscalationCause.REQUESTED)
        if isinstance(meaning, u.Sensitive):
            return self._escalate(conversation, EscalationCause.SENSITIVE, topic=meaning.topic)
        if isinstance(meaning, u.Answer) and awaiting is not None:
            _, learned = self._clarifier.answer(
                awaiting, about_me=meaning.about_me, recipient=meaning.recipient
            )
            if meaning.about_me:
                key = "offline/answer_for_me"
            elif meaning.recipient:
                key = "offline/answer_for_someone"
            else:
                key = "offline/answer_for_someone_unnamed"
            intro = prompts.render(key, item=awaiting.item_title, recipient=meaning.recipient or "")
            return self._suggest(conversation, Request(), intro=intro, facts=learned)
        if isinstance(meaning, u.Correction):
            fact = self._profiles.add_fact(
                shopper_id,
                meaning.text,
                subject=meaning.subject,
                polarity=meaning.polarity,
                source=FactSource.STATED,
                actor="shopper",
            )
            key = (
                "offline/correction_negative"
                if meaning.polarity < 0
                else "offline/correction_positive"
            )
            intro = prompts.render(key, subject=meaning.subject)
            return self._suggest(conversation, Request(), intro=intro, facts=[fact])
        if isinstance(meaning, u.Budget):
            fact = self._profiles.add_fact(
                shopper_id,
                prompts.render("facts/budget", amount=_money(meaning.amount)).strip(),
                kind=FactKind.BUDGET,
                subject="budget",
                amount=meaning.amount,
                source=FactSource.STATED,
                actor="shopper",
            )
            intro = prompts.render("offline/budget", amount=_money(meaning.amount))
            return self._suggest(conversation, Request(), intro=intro, facts=[fact])
        if isinstance(meaning, u.Forget):
            return self._forget(conversation, meaning.what)
        if isinstance(meaning, u.Why):
            return self._why(conversation, meaning)
        if isinstance(meaning, u.Personalization):
            self._records.set_personalized(shopper_id, meaning.on)
            key = "offline/personalization_on" if meaning.on else "offline/personalization_off"
            return self._suggest(conversation, Request(), intro=prompts.render(key))
        if isinstance(meaning, u.Feedback):
            return self._feedback(conversation, meaning)
        if isinstance(meaning, u.ModeSwitch):
            conversation.mode, conversation.mode_locked = meaning.mode, True
            known = self._known_recipient(shopper_id) if meaning.mode is ShopperMode.GIFT else None
            if known:  # the gift intro already names the mode and the person
                return self._suggest(conversation, Request(recipient=known))
            intro = prompts.render(f"offline/mode_switched_{meaning.mode.value}")
            return self._suggest(conversation, Request(), intro=intro)
        if isinstance(meaning, u.DataRequest):
            return self._data_request(conversation, meaning)
        if isinstance(meaning, u.Request):
            request = Request(
                query=meaning.query or None,
                budget_min=meaning.budget_min,
                budget_max=meaning.budget_max,
                recipient=meaning.recipient,
                audience=meaning.audience,
                age=meaning.age,
            )
            return self._suggest(
                conversation, request, message_mode=meaning.mode, answer_check=True
            )
        if isinstance(meaning, u.Greeting):
            return self._suggest(conversation, Request(), intro=prompts.render("offline/greeting"))
        if isinstance(meaning, u.Thanks):
            return self._reply(conversation, prompts.render("offline/thanks"), mode_reason="")
        if isinstance(meaning, u.Goodbye):
            return self._reply(conversation, prompts.render("offline/goodbye"), mode_reason="")
        if isinstance(meaning, u.SmallTalk):
            text = prompts.render(f"offline/smalltalk_{meaning.what}")
            return self._reply(conversation, text, mode_reason="")
        return self._reply(conversation, prompts.render("offline/unclear"), mode_reason="")

    def _suggest(
        self,
        conversation: ConversationRecord,
        request: Request,
        *,
        intro: str | None = None,
        message_mode: ShopperMode | None = None,
        facts: list[PreferenceFact] | None = None,
        answer_check: bool = False,
    ) -> Reply:
        shopper = self._profiles.shopper(conversation.shopper_id)
        mode, mode_reason = self._mode(conversation, message_mode, request.recipient)
        request.mode = mode
        if mode is ShopperMode.GIFT and request.recipient is None:
            request.recipient = self._known_recipient(conversation.shopper_id)
        suggestions = self._recommender.recommend(
            shopper.shopper_id, request, personalized=shopper.personalized
        )
        self._ranked = request
        if answer_check and not self._answers(request, suggestions):
            if self._no_answer_streak(conversation.conversation_id) + 1 >= (
                self._escalation.no_answer_in_a_row
            ):
                return self._escalate(conversation, EscalationCause.NO_GOOD_ANSWER)
            reply = self._reply(
                conversation,
                prompts.render("offline/no_results", constraints=_constraints(request)),
                mode=mode,
                mode_reason=mode_reason,
            )
            reply.no_match = True
            return reply
        if intro is None:
            intro_key = f"offline/intro_{mode.value}"
            if not shopper.personalized:
                intro_key = "offline/intro_generic"
            elif mode is ShopperMode.GIFT and request.recipient:
                intro_key = "offline/intro_gift_for"
            intro = prompts.render(intro_key, recipient=request.recipient or "")
        return self._reply(
            conversation,
            intro,
            mode=mode,
            mode_reason=mode_reason,
            suggestions=suggestions,
            facts=facts or [],
            personalized=shopper.personalized,
        )

    def _answers(self, request: Request, suggestions: list[Suggestion]) -> bool:
        """Whether the suggestions answer the request, judged by how well they match it."""
        if not suggestions:
            return False
        if not query_words(request.query):
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
            return conversation.mode, prompts.render("modes/chosen", mode=conversation.mode.value)
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

    def _known_recipient(self, shopper_id: str) -> str | None:
        recipients = [
            f.recipient for f, _ in self._profiles.facts(shopper_id) if f.kind is FactKind.RECIPIENT
        ]
        return recipients[-1] if recipients else None

    # -- escalation, feedback, why, forget, data -------------------------------------------
    def escalate(self, shopper_id: str, conversation_id: str, reason: str) -> Escalation:
        """Escalate a conversation from outside a chat turn (a tool call, staff)."""
        conversation = self._conversation(shopper_id, conversation_id)
        escalation = self.handovers.open(conversation, EscalationCause.REQUESTED, reason)
        self._records.update_conversation(conversation)
        return escalation

    def _escalate(
        self, conversation: ConversationRecord, cause: EscalationCause, *, topic: str | None = None
    ) -> Reply:
        escalation = self.handovers.open(conversation, cause, cause_detail(cause, topic))
        key = f"offline/escalated_{cause.value}" + (f"_{topic}" if topic else "")
        reply = self._reply(conversation, prompts.render(key), mode_reason="")
        reply.escalation = escalation
        return reply

    def _feedback(self, conversation: ConversationRecord, meaning: u.Feedback) -> Reply:
        shown = self._last_suggestions(conversation.conversation_id)
        targets = _pick(shown, meaning.position)
        now = self._clock.now()
        kind = EventKind.LIKE if meaning.value is FeedbackValue.UP else EventKind.DISMISS
        events = [
            BehaviourEvent(
                event_id=f"fb-{uuid.uuid4().hex[:12]}",
                shopper_id=conversation.shopper_id,
                item_id=item_id,
                kind=kind,
                at=now,
                context="feedback",
            )
            for item_id, _ in targets
        ]
        # One message is one piece of feedback, however many suggestions it covers: a
        # single "not for me" about the whole set must not count as a run of frustration.
        item_id = targets[0][0] if len(targets) == 1 else None
        self._records.add_feedback(
            conversation.shopper_id, conversation.conversation_id, item_id, meaning.value, now
        )
        if events:
            self._records.add_events(events)
            self._profiles.add_events_to_cache(conversation.shopper_id, events)
        history = self._records.feedback_for_conversation(conversation.conversation_id)
        if frustrated(history, self._escalation):
            return self._escalate(conversation, EscalationCause.FRUSTRATION)
        intro = prompts.render(f"offline/feedback_{meaning.value.value}")
        if meaning.value is FeedbackValue.UP:
            return self._reply(conversation, intro, mode_reason="")
        return self._suggest(conversation, Request(), intro=intro)

    def _why(self, conversation: ConversationRecord, meaning: u.Why) -> Reply:
        """Explain a suggestion from the data as it stands now, never from a stored reason."""
        payload = self._last_agent_payload(conversation.conversation_id, with_suggestions=True)
        shown = self._last_suggestions(conversation.conversation_id)
        if not shown or payload is None:
            return self._reply(conversation, prompts.render("offline/why_nothing"), mode_reason="")
        position = meaning.position
        if position is None and meaning.item_words:
            words = {w.lower() for w in meaning.item_words}
            for index, (_, suggestion) in enumerate(shown, start=1):
                if words & set(suggestion.item.title.lower().split()):
                    position = index
                    break
        chosen = _pick(shown, position or 1)
        if not chosen:
            return self._reply(conversation, prompts.render("offline/why_nothing"), mode_reason="")
        shopper = self._profiles.shopper(conversation.shopper_id)
        request = _request_from(payload)
        now_scored = self._recommender.rescore(
            shopper.shopper_id, request, chosen[0][0], personalized=shopper.personalized
        )
        if now_scored is None:
            return self._reply(conversation, prompts.render("offline/why_nothing"), mode_reason="")
        breakdown = explain(now_scored)
        lines = [prompts.render("offline/why_intro", item=now_scored.item.title).strip()]
        lines.append(breakdown.reason)
        for line in breakdown.factors:
            sources = "; ".join(e.label for e in line.evidence[:3] if e.label)
            lines.append(
                f"- {line.name.value}: {line.contribution:+.2f}"
                + (f" ({sources})" if sources else "")
            )
        return self._reply(conversation, "\n".join(lines), mode_reason="")

    def _forget(self, conversation: ConversationRecord, what: str) -> Reply:
        """Retract every fact the shopper's words name, and say which; or say none matched."""
        shopper_id = conversation.shopper_id
        facts = [f for f, _ in self._profiles.facts(shopper_id)]
        matched = _facts_matching(facts, what)
        if not matched:
            if not facts:
                text = prompts.render("offline/forget_nothing_empty", what=what or "that")
            else:
                listed = "\n".join(f"- {f.text}" for f in facts)
                text = prompts.render("offline/forget_nothing", what=what or "that", facts=listed)
            return self._reply(conversation, text, mode_reason="")
        retracted = [
            self._profiles.retract(shopper_id, fact.fact_id, actor="shopper") for fact in matched
        ]
        named = _quoted_list([f.text for f in retracted])
        intro = prompts.render("offline/forgotten", facts=named)
        return self._suggest(conversation, Request(), intro=intro, facts=retracted)

    def _data_request(self, conversation: ConversationRecord, meaning: u.DataRequest) -> Reply:
        shopper_id = conversation.shopper_id
        if meaning.action == "profile":
            lines = what_i_know(self._profile_of(shopper_id), self._clock.now())
            return self._reply(conversation, "\n".join(lines), mode_reason="")
        if meaning.action == "export":
            path = self._data.export_to_file(shopper_id)
            reply = self._reply(
                conversation, prompts.render("offline/data_export", path=path), mode_reason=""
            )
            reply.export_file = str(path)
            return reply
        held = wording.counts(self._data.held_counts(shopper_id))
        reply = self._reply(
            conversation, prompts.render("offline/erase_confirm", what=held), mode_reason=""
        )
        reply.confirming = "erase"
        return reply

    def _erase(self, conversation: ConversationRecord) -> Reply:
        """Run the same erase as ``tactful erase`` and say what it removed."""
        personalized = self._profiles.shopper(conversation.shopper_id).personalized
        report = self._data.erase(conversation.shopper_id)
        reply = self._reply(
            conversation,
            prompts.render("offline/erased", what=report.summary()),
            mode_reason="",
            personalized=personalized,
        )
        reply.erased = report.counts()
        return reply

    # -- plumbing -------------------------------------------------------------------------
    def _check_message(self, message: str) -> str:
        text = (message or "").strip()
        if not text:
            raise InvalidInput("The message is empty; say what you are looking for.")
        if len(text) > self._max_chars:
            raise InvalidInput(
                f"The message is too long ({len(text):,} characters; "
                f"the limit is {self._max_chars:,})."
            )
        return text

    def _conversation(self, shopper_id: str, conversation_id: str | None) -> ConversationRecord:
        if conversation_id is None:
            now = self._clock.now()
            recent = [
                c
                for c in self._records.conversations_for(shopper_id)
                if c.status is not ConversationStatus.RESOLVED
                and now - c.updated_at <= SESSION_WINDOW
            ]
            if recent:
                return recent[-1]
            conversation_id = self._records.create_conversation(shopper_id, now)
        record = self._records.get_conversation(conversation_id)
        if record is None or record.shopper_id != shopper_id:
            raise UnknownConversation(
                f"No conversation {conversation_id!r} for shopper {shopper_id!r}."
            )
        return record

    def _earlier_turns(self, conversation_id: str) -> list[TurnRecord]:
        """The agent's and shopper's turns before this one (the agent's turns only matter)."""
        if self._history is None or self._history[0] != conversation_id:
            self._history = (conversation_id, self._records.turns(conversation_id))
        return self._history[1]

    def _last_agent_payload(
        self, conversation_id: str, *, with_suggestions: bool = False
    ) -> dict[str, Any] | None:
        """The payload of the agent's latest turn (with suggestions, if asked), or None."""
        for turn in reversed(self._earlier_turns(conversation_id)):
            if turn.role != "agent":
                continue
            payload = turn.payload or {}
            if not with_suggestions or payload.get("suggestions"):
                return payload
        return None

    def _last_suggestions(self, conversation_id: str) -> list[tuple[str, Suggestion]]:
        for turn in reversed(self._earlier_turns(conversation_id)):
            if turn.role == "agent" and turn.payload and turn.payload.get("suggestions"):
                return [
                    (s["item"]["item_id"], Suggestion.model_validate(s))
                    for s in turn.payload["suggestions"]
                ]
        return []

    def _no_answer_streak(self, conversation_id: str) -> int:
        streak = 0
        for turn in reversed(self._earlier_turns(conversation_id)):
            if turn.role != "agent":
                continue
            if not (turn.payload or {}).get("no_answer"):
                break
            streak += 1
        return streak

    def _reply(
        self,
        conversation: ConversationRecord,
        text: str,
        *,
        mode: ShopperMode | None = None,
        mode_reason: str,
        suggestions: list[Suggestion] | None = None,
        facts: list[PreferenceFact] | None = None,
        personalized: bool | None = None,
    ) -> Reply:
        if personalized is None:
            personalized = self._profiles.shopper(conversation.shopper_id).personalized
        return Reply(
            conversation_id=conversation.conversation_id,
            text=text.strip(),
            mode=mode or conversation.mode or ShopperMode.BROWSING,
            mode_reason=mode_reason,
            personalized=personalized,
            suggestions=suggestions or [],
            facts_changed=facts or [],
        )

    def _finish(self, conversation: ConversationRecord, reply: Reply, *, ask: bool) -> Reply:
        """Append at most one clarifying question, then store the agent's turn."""
        if ask and reply.suggestions:
            question = self._clarifier.next_question(conversation.shopper_id)
            if question is not None:
                reply.question = self._clarifier.mark_asked(question)
                reply.text = f"{reply.text}\n\n{question.text}"
        now = self._clock.now()
        payload: dict[str, Any] = {
            "mode": reply.mode.value,
            "request": _request_payload(self._ranked) if reply.suggestions else None,
            # What was shown and why, without each factor's evidence list: "why" ranks
            # the item again from current data, so the stored turn stays small.
            "suggestions": [
                s.model_dump(mode="json", exclude={"factors": {"__all__": {"evidence"}}})
                for s in reply.suggestions
            ],
            "question_id": reply.question.question_id if reply.question else None,
            "escalation_id": reply.escalation.escalation_id if reply.escalation else None,
            "no_answer": reply.no_match,
            "confirming": reply.confirming,
            "export_file": reply.export_file,
        }
        self._records.add_turn(conversation.conversation_id, "agent", reply.text, payload, now)
        conversation.updated_at = now
        self._records.update_conversation(conversation)
        return reply


def _pick(
    shown: list[tuple[str, Suggestion]], position: int | None
) -> list[tuple[str, Suggestion]]:
    if position is None:
        return shown
    if 1 <= position <= len(shown):
        return [shown[position - 1]]
    return []


def _money(amount: float) -> str:
    return f"£{amount:,.0f}" if amount == int(amount) else f"£{amount:,.2f}"


def _constraints(request: Request) -> str:
    parts = []
    if request.query:
        parts.append(f'"{request.query}"')
    if request.budget_max is not None:
        parts.append(f"under {_money(request.budget_max)}")
    if request.budget_min is not None:
        parts.append(f"over {_money(request.budget_min)}")
    return " ".join(parts) or "that"


def _request_payload(request: Request | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {
        "mode": request.mode.value,
        "query": request.query,
        "budget_min": request.budget_min,
        "budget_max": request.budget_max,
        "category": request.category,
        "recipient": request.recipient,
        "audience": request.audience,
        "age": request.age,
    }


def _request_from(payload: dict[str, Any]) -> Request:
    """The request a stored turn ranked, to rank its items again from current data."""
    stored = payload.get("request") or {"mode": payload.get("mode") or "browsing"}
    return Request(
        mode=ShopperMode(stored.get("mode") or "browsing"),
        query=stored.get("query"),
        budget_min=stored.get("budget_min"),
        budget_max=stored.get("budget_max"),
        category=stored.get("category"),
        recipient=stored.get("recipient"),
        audience=stored.get("audience"),
        age=stored.get("age"),
    )


_TOKEN = re.compile(r"[a-z0-9]+")
#: Words that name no preference in "forget that fact", beyond the shared stop-words
#: ``query_words`` already drops ("what I said about", "that bit").
_FORGET_FILLER = frozenset({"fact", "facts"})


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _facts_matching(facts: list[PreferenceFact], what: str) -> list[PreferenceFact]:
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


def _quoted_list(texts: list[str]) -> str:
    quoted = [f'"{t}"' for t in texts]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
