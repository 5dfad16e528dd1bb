"""A hand-over to a person has a lifecycle, and never traps the shopper."""

from __future__ import annotations

import pytest

from agent.clock import FixedClock
from agent.domain import ConversationStatus, EscalationCause, EscalationStatus
from agent.errors import InvalidInput
from agent.facade import Tactful


def _escalated(tactful: Tactful, shopper: str) -> tuple[str, str]:
    reply = tactful.chat(shopper, "can I talk to a real person?")
    assert reply.escalation is not None
    return reply.conversation_id, reply.escalation.escalation_id


@pytest.mark.parametrize(
    "message",
    ["never mind, I don't need a person", "I'll keep browsing", "cancel that", "forget it"],
)
def test_the_shopper_calls_off_a_waiting_handover_and_the_agent_answers_in_the_same_turn(
    tactful: Tactful, demo_shopper: str, message: str
) -> None:
    conversation, escalation_id = _escalated(tactful, demo_shopper)

    reply = tactful.chat(demo_shopper, message, conversation_id=conversation)

    assert reply.suggestions, reply.text
    assert reply.escalation is None
    stored = tactful.records.get_escalation(escalation_id)
    assert stored is not None and stored.status is EscalationStatus.CALLED_OFF
    record = tactful.records.get_conversation(conversation)
    assert record is not None and record.status is ConversationStatus.ACTIVE
    assert tactful.open_escalations() == []
    later = tactful.chat(demo_shopper, "show me lanterns", conversation_id=conversation)
    assert later.suggestions and "waiting" not in later.text


def test_a_new_conversation_is_served_while_an_older_one_waits_and_the_wait_is_shown_once(
    tactful: Tactful, demo_shopper: str, clock: FixedClock
) -> None:
    conversation, _ = _escalated(tactful, demo_shopper)
    clock.advance(days=3)

    first = tactful.chat(demo_shopper, "show me candles")
    second = tactful.chat(demo_shopper, "and some mugs", conversation_id=first.conversation_id)

    assert first.conversation_id != conversation
    assert first.suggestions and "earlier conversation" in first.text
    assert second.suggestions and "earlier conversation" not in second.text


def test_unclaimed_too_long_the_shopper_is_told_honestly_once_and_helped_meanwhile(
    tactful: Tactful, demo_shopper: str, clock: FixedClock
) -> None:
    conversation, escalation_id = _escalated(tactful, demo_shopper)
    clock.advance(minutes=tactful.settings.escalation.unclaimed_minutes + 1)

    told = tactful.chat(demo_shopper, "hello? show me mugs", conversation_id=conversation)
    again = tactful.chat(demo_shopper, "and candles", conversation_id=conversation)

    assert "nobody from the team has picked this up yet" in told.text.lower()
    assert told.suggestions
    assert told.escalation is not None and told.escalation.status is EscalationStatus.WAITING
    assert "nobody from the team" not in again.text.lower()
    stored = tactful.records.get_escalation(escalation_id)
    assert stored is not None and stored.unclaimed_notice_at is not None


def test_with_staff_the_agent_stays_quiet_and_says_who_has_it_then_answers_after_hand_back(
    tactful: Tactful, demo_shopper: str
) -> None:
    conversation, escalation_id = _escalated(tactful, demo_shopper)

    claimed = tactful.claim_escalation(escalation_id, "Priya")
    quiet = tactful.chat(demo_shopper, "show me mugs", conversation_id=conversation)
    tactful.hand_back(escalation_id)
    back = tactful.chat(demo_shopper, "show me mugs", conversation_id=conversation)

    assert claimed.status is EscalationStatus.WITH_STAFF and claimed.staff == "Priya"
    assert quiet.suggestions == [] and "Priya" in quiet.text
    assert quiet.escalation is not None and quiet.escalation.status is EscalationStatus.WITH_STAFF
    assert back.suggestions and back.escalation is None
    stored = tactful.records.get_escalation(escalation_id)
    assert stored is not None and stored.status is EscalationStatus.HANDED_BACK


def test_resolving_closes_the_conversation_and_the_next_message_starts_a_new_one(
    tactful: Tactful, demo_shopper: str
) -> None:
    conversation, escalation_id = _escalated(tactful, demo_shopper)

    tactful.claim_escalation(escalation_id, "Sam")
    tactful.resolve_escalation(escalation_id)
    after = tactful.chat(demo_shopper, "show me mugs")

    record = tactful.records.get_conversation(conversation)
    assert record is not None and record.status is ConversationStatus.RESOLVED
    assert after.conversation_id != conversation and after.suggestions


def test_moves_the_lifecycle_does_not_allow_are_refused_with_a_clear_error(
    tactful: Tactful, demo_shopper: str
) -> None:
    _, escalation_id = _escalated(tactful, demo_shopper)

    with pytest.raises(InvalidInput, match="waiting; it cannot become handed back"):
        tactful.hand_back(escalation_id)
    tactful.resolve_escalation(escalation_id)
    with pytest.raises(InvalidInput, match="resolved"):
        tactful.claim_escalation(escalation_id, "Sam")
    with pytest.raises(InvalidInput, match="No escalation"):
        tactful.claim_escalation("e-nope", "Sam")


def test_the_profile_shows_a_waiting_handover(tactful: Tactful, demo_shopper: str) -> None:
    _escalated(tactful, demo_shopper)

    profile = tactful.profile(demo_shopper)

    assert [e.status for e in profile.escalations] == [EscalationStatus.WAITING]
    reply = tactful.chat(demo_shopper, "what do you know about me?")
    assert "You asked for a person" in reply.text


def test_anger_with_nothing_shown_is_handed_over_as_frustration_not_as_a_request(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "ugh these are all wrong!! useless")

    assert reply.escalation is not None
    assert reply.escalation.cause is EscalationCause.FRUSTRATION
    assert "Of course" not in reply.text
