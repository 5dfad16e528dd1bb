"""What support staff read about hand-overs: the queue, one hand-over with its
conversation and the suggestions shown in it, and shoppers looked up by id."""

from __future__ import annotations

from agent.api.others import public_suggestions
from agent.api.schemas import EscalationDetail, QueueEntry, ShopperMatch, ShownSuggestions
from agent.domain import Escalation, Suggestion, Turn
from agent.facade import Tactful
from agent.stores.records import TurnRecord

#: How many of the latest turns with suggestions a hand-over shows.
RECENT_SUGGESTION_TURNS = 3
MAX_MATCHES = 20


def public_turn(turn: TurnRecord) -> Turn:
    """A stored turn as the API shows it: who spoke (and which person, for staff), what, when."""
    staff = (turn.payload or {}).get("staff") if turn.role == "staff" else None
    return Turn(role=turn.role, text=turn.text, at=turn.at, staff=staff)


def waiting_seconds(tactful: Tactful, escalation: Escalation) -> float:
    return max(0.0, (tactful.clock.now() - escalation.at).total_seconds())


def queue(tactful: Tactful) -> list[QueueEntry]:
    """Every open hand-over, oldest first, with how long it has waited."""
    open_now = tactful.open_escalations()
    counts = tactful.records.turn_counts([e.conversation_id for e in open_now])
    return [
        QueueEntry(
            escalation=e,
            waiting_seconds=waiting_seconds(tactful, e),
            turns=counts.get(e.conversation_id, 0),
        )
        for e in open_now
    ]


def detail(tactful: Tactful, escalation_id: str) -> EscalationDetail:
    """One hand-over with its transcript and the latest suggestions shown in it."""
    found = tactful.escalation(escalation_id)
    turns = tactful.records.turns(found.conversation_id)
    transcript = [public_turn(t) for t in turns]
    shown = [
        ShownSuggestions(
            at=t.at,
            suggestions=public_suggestions(
                [Suggestion.model_validate(s) for s in (t.payload or {}).get("suggestions", [])]
            ),
        )
        for t in reversed(turns)
        if t.role == "agent" and (t.payload or {}).get("suggestions")
    ]
    return EscalationDetail(
        escalation=found,
        transcript=transcript,
        now=tactful.clock.now(),
        waiting_seconds=waiting_seconds(tactful, found),
        suggestions=shown[:RECENT_SUGGESTION_TURNS],
    )


def find_shoppers(tactful: Tactful, query: str) -> list[ShopperMatch]:
    """Shoppers whose id starts with ``query``, each with their open hand-overs."""
    ids = tactful.records.shopper_ids_starting(query.strip(), MAX_MATCHES)
    return [
        ShopperMatch(
            shopper_id=shopper_id,
            now=tactful.clock.now(),
            open_escalations=[
                e for e in tactful.records.escalations_for(shopper_id) if e.status.open
            ],
        )
        for shopper_id in ids
    ]
