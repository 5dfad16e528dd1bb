"""One chat turn: load the state → the brain reads → a handler acts → the brain words → save.

The brain (offline rules by default, an LLM when configured) only reads and words; what
happens — facts, feedback, escalation, ranking — is decided by the handlers in plain
code the brain cannot bypass. At most one clarifying question is asked per turn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from agent import wording
from agent.brain import intents as i
from agent.brain.base import Brain, ReadContext
from agent.clock import Clock
from agent.conversation import outcome as o
from agent.conversation.handlers import (
    SESSION_WINDOW,
    DataRights,
    Handled,
    Handlers,
    TurnContext,
    only_loosely,
)
from agent.conversation.state import ShownItem, TurnState
from agent.domain import (
    ConversationStatus,
    Escalation,
    EscalationCause,
    EscalationStatus,
    Reply,
    ShopperMode,
)
from agent.errors import InvalidInput, UnknownConversation
from agent.policy.clarify import Clarifier
from agent.policy.escalation import EscalationConfig
from agent.policy.handover import Handovers
from agent.profile import ProfileService
from agent.recommender import Recommender
from agent.stores.records import ConversationRecord, RecordStore
from tools.threads import one_blas_thread


class Conversations:
    """Runs chat turns for any shopper, keeping each conversation in SQL."""

    def __init__(
        self,
        records: RecordStore,
        profiles: ProfileService,
        recommender: Recommender,
        clarifier: Clarifier,
        clock: Clock,
        brain: Brain,
        *,
        data_rights: DataRights,
        profile_of: Callable[[str], Any],
        max_message_chars: int = 2000,
        escalation: EscalationConfig | None = None,
    ) -> None:
        self._records = records
        self._profiles = profiles
        self._clarifier = clarifier
        self._clock = clock
        self._brain = brain
        self._max_chars = max_message_chars
        config = escalation or EscalationConfig()
        self.handovers = Handovers(
            records, clock, unclaimed_after=timedelta(minutes=config.unclaimed_minutes)
        )
        self._handlers = Handlers(
            records,
            profiles,
            recommender,
            clarifier,
            clock,
            self.handovers,
            data_rights,
            profile_of,
            config,
            brain.choose,
        )

    def turn(
        self,
        shopper_id: str,
        message: str,
        *,
        conversation_id: str | None = None,
        mode: ShopperMode | None = None,
    ) -> Reply:
        """Answer one message from ``shopper_id``."""
        with one_blas_thread:
            return self._turn(shopper_id, message, conversation_id=conversation_id, mode=mode)

    def _turn(
        self,
        shopper_id: str,
        message: str,
        *,
        conversation_id: str | None,
        mode: ShopperMode | None,
    ) -> Reply:
        text = self.check_message(message)
        # Nothing before the brain reads changes the shopper's row: read it once.
        shopper = self._profiles.ensure_shopper(shopper_id)
        conversation = self._conversation(shopper_id, conversation_id)
        state, first = self._load(conversation.conversation_id)
        self._records.add_turn(
            conversation.conversation_id, "shopper", text, None, self._clock.now()
        )
        if mode is not None:
            conversation.mode, conversation.mode_locked = mode, True
        turn = TurnContext(
            conversation=conversation,
            state=state,
            awaiting=self._clarifier.awaiting(shopper_id),
            handover=self.handovers.current(conversation.conversation_id),
            personalized=shopper.personalized,
            message=text,
        )
        meaning = self._brain.read(
            text,
            ReadContext(
                awaiting_answer=turn.awaiting is not None,
                suggestion_count=len(state.shown),
                confirming=state.confirming is not None,
                handover_open=turn.handover is not None,
            ),
        )
        handover = turn.handover
        if (
            handover is not None
            and handover.status is EscalationStatus.WITH_STAFF
            and not isinstance(meaning, i.CallOff)
        ):
            # A person has taken over: the agent stays quiet and says so.
            handled = Handled(o.WithStaff(staff=handover.staff), escalation=handover)
            return self._finish(turn, handled, notes=[], ask=False)

        notes = self._notes(turn, meaning, first=first)
        handled = self._handlers.handle(meaning, turn)
        if (
            handled.escalation is None
            and handover is not None
            and not isinstance(meaning, i.CallOff)
        ):
            handled.escalation = self.handovers.current(conversation.conversation_id)
        ask = handled.may_ask and handled.escalation is None and not notes
        return self._finish(turn, handled, notes=notes, ask=ask)

    def escalate(self, shopper_id: str, conversation_id: str, reason: str) -> Escalation:
        """Escalate a conversation from outside a chat turn (a tool call, staff)."""
        conversation = self._conversation(shopper_id, conversation_id)
        escalation = self.handovers.open(conversation, EscalationCause.REQUESTED, reason)
        self._records.update_conversation(conversation)
        return escalation

    def _notes(
        self, turn: TurnContext, meaning: i.Understanding, *, first: bool
    ) -> list[o.Outcome]:
        """What the shopper should know before the answer itself."""
        notes: list[o.Outcome] = []
        if turn.state.confirming == "erase" and not isinstance(meaning, i.Confirm):
            notes.append(o.EraseDeclined())
        if isinstance(meaning, i.CallOff | i.Handoff | i.Sensitive):
            return notes
        handover = turn.handover
        if handover is None:
            # Said once, when a new conversation starts while another one waits for a person.
            if first and self.handovers.waiting_elsewhere(
                turn.shopper_id, turn.conversation.conversation_id
            ):
                notes.append(o.HandoverNote(state="elsewhere"))
        elif self.handovers.unclaimed_too_long(handover):
            self.handovers.note_unclaimed_told(handover)
            since = wording.age(handover.at, self._clock.now())
            notes.append(o.HandoverNote(state="unclaimed", waiting_for=since))
        else:
            notes.append(o.HandoverNote(state="still_waiting"))
        return notes

    # -- state ------------------------------------------------------------------------
    def _load(self, conversation_id: str) -> tuple[TurnState, bool]:
        """The state the agent's latest turn left, and whether this is the first turn."""
        payload = self._records.last_agent_payload(conversation_id)
        if payload is None:
            return TurnState(), True
        stored = payload.get("state")
        return (TurnState.model_validate(stored) if stored else TurnState()), False

    def _finish(
        self, turn: TurnContext, handled: Handled, *, notes: list[o.Outcome], ask: bool
    ) -> Reply:
        """Word the outcome, add at most one clarifying question, then store the turn."""
        conversation = turn.conversation
        said = [self._brain.word(note) for note in notes]
        suggestions = handled.suggestions
        if suggestions:
            worded = self._brain.word_shown(handled.outcome, suggestions)
            said.append(worded.text)
            if only_loosely(handled.request, suggestions):
                said.append(self._brain.word(o.LooseMatches()))
            suggestions = [
                s.model_copy(update={"reason": reason})
                for s, reason in zip(suggestions, worded.reasons, strict=True)
            ]
        else:
            said.append(self._brain.word(handled.outcome))
        reply = Reply(
            conversation_id=conversation.conversation_id,
            text="\n\n".join(said).strip(),
            mode=handled.mode or conversation.mode or ShopperMode.BROWSING,
            mode_reason=handled.mode_reason,
            personalized=turn.personalized,
            suggestions=suggestions,
            facts_changed=handled.facts,
            escalation=handled.escalation,
            no_match=handled.no_match,
            confirming=handled.confirming,
            export_file=handled.export_file,
            erased=handled.erased,
        )
        if reply.erased is not None:
            return reply  # the conversation itself was erased: nothing is stored
        if ask and reply.suggestions:
            question = self._clarifier.next_question(turn.shopper_id)
            if question is not None:
                reply.question = self._clarifier.mark_asked(question)
                reply.text = f"{reply.text}\n\n{question.text}"
        now = self._clock.now()
        state = _next_state(turn.state, handled, reply)
        payload: dict[str, Any] = {
            "state": state.model_dump(mode="json"),
            # What was shown and why, without each factor's evidence list: "why" ranks
            # the item again from current data, so the stored turn stays small.
            "suggestions": [
                s.model_dump(mode="json", exclude={"factors": {"__all__": {"evidence"}}})
                for s in reply.suggestions
            ],
            "question_id": reply.question.question_id if reply.question else None,
            "escalation_id": reply.escalation.escalation_id if reply.escalation else None,
            "export_file": reply.export_file,
        }
        self._records.add_turn(conversation.conversation_id, "agent", reply.text, payload, now)
        conversation.updated_at = now
        self._records.update_conversation(conversation)
        return reply

    # -- plumbing -----------------------------------------------------------------------
    def check_message(self, message: str) -> str:
        """The message trimmed, or :class:`InvalidInput` when empty or over the limit."""
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


def _next_state(before: TurnState, handled: Handled, reply: Reply) -> TurnState:
    """What the next turn needs: the search on screen, what is shown, what is pending."""
    return TurnState(
        mode=reply.mode,
        request=handled.request or before.request,
        shown=[ShownItem.of(s) for s in reply.suggestions] or before.shown,
        confirming=reply.confirming,
        focus=handled.focus,
        no_answer_streak=before.no_answer_streak + 1 if handled.no_match else 0,
        named=handled.named or before.named,
    )
