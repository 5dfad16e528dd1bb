"""The hand-over lifecycle: ``waiting → with_staff → handed_back | resolved``, or ``called_off``.

A hand-over never traps the shopper: while it waits they can call it off, other
conversations are served as usual, and when nobody has taken it for a while they are
told so plainly and the agent helps again meanwhile.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from agent.clock import Clock
from agent.domain import (
    ESCALATION_MOVES,
    ConversationStatus,
    Escalation,
    EscalationCause,
    EscalationStatus,
)
from agent.errors import InvalidInput, UnknownConversation
from agent.stores.records import ConversationRecord, RecordStore


class Handovers:
    """Opens hand-overs and moves them through their states, keeping conversations in step."""

    def __init__(self, records: RecordStore, clock: Clock, *, unclaimed_after: timedelta) -> None:
        self._records = records
        self._clock = clock
        self.unclaimed_after = unclaimed_after

    def open(
        self, conversation: ConversationRecord, cause: EscalationCause, detail: str
    ) -> Escalation:
        """Hand a conversation to the team; an open hand-over is reused, not doubled."""
        current = self.current(conversation.conversation_id)
        if current is not None:
            return current
        now = self._clock.now()
        escalation = Escalation(
            escalation_id=f"e-{uuid.uuid4().hex[:12]}",
            conversation_id=conversation.conversation_id,
            shopper_id=conversation.shopper_id,
            cause=cause,
            detail=detail,
            at=now,
            updated_at=now,
        )
        self._records.add_escalation(escalation)
        conversation.status = ConversationStatus.ESCALATED
        return escalation

    def current(self, conversation_id: str) -> Escalation | None:
        """The conversation's hand-over that is still with the team, if any."""
        found = [e for e in self._records.escalations_in(conversation_id) if e.status.open]
        return found[-1] if found else None

    def waiting_elsewhere(self, shopper_id: str, conversation_id: str) -> Escalation | None:
        """A hand-over of the shopper's that is still open in another conversation."""
        others = [
            e
            for e in self._records.escalations_for(shopper_id)
            if e.status.open and e.conversation_id != conversation_id
        ]
        return others[-1] if others else None

    def unclaimed_too_long(self, escalation: Escalation) -> bool:
        """Waiting past the configured time, and the shopper not yet told so."""
        return (
            escalation.status is EscalationStatus.WAITING
            and escalation.unclaimed_notice_at is None
            and self._clock.now() - escalation.at >= self.unclaimed_after
        )

    def note_unclaimed_told(self, escalation: Escalation) -> Escalation:
        told = escalation.model_copy(update={"unclaimed_notice_at": self._clock.now()})
        self._records.save_escalation(told)
        return told

    def move(
        self, escalation_id: str, to: EscalationStatus, *, staff: str | None = None
    ) -> Escalation:
        """Take a hand-over to its next state, refusing moves the lifecycle does not allow."""
        escalation = self._records.get_escalation(escalation_id)
        if escalation is None:
            raise InvalidInput(f"No escalation with id {escalation_id!r}.")
        allowed = ESCALATION_MOVES.get(to, frozenset())
        if escalation.status not in allowed:
            raise InvalidInput(
                f"Escalation {escalation_id} is {escalation.status.value.replace('_', ' ')}; "
                f"it cannot become {to.value.replace('_', ' ')}."
            )
        update: dict[str, object] = {"status": to, "updated_at": self._clock.now()}
        if to is EscalationStatus.WITH_STAFF:
            update["staff"] = staff or "staff"
        moved = escalation.model_copy(update=update)
        self._records.save_escalation(moved)
        self._sync_conversation(moved)
        return moved

    def _sync_conversation(self, escalation: Escalation) -> None:
        conversation = self._records.get_conversation(escalation.conversation_id)
        if conversation is None:
            raise UnknownConversation(f"No conversation {escalation.conversation_id!r}.")
        if escalation.status.open:
            conversation.status = ConversationStatus.ESCALATED
        elif escalation.status is EscalationStatus.RESOLVED:
            conversation.status = ConversationStatus.RESOLVED
        else:
            conversation.status = ConversationStatus.ACTIVE
        conversation.updated_at = self._clock.now()
        self._records.update_conversation(conversation)
