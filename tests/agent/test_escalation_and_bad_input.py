"""Handing over to a person, and clear errors that lose nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from agent.domain import (
    BehaviourEvent,
    ConversationStatus,
    EscalationCause,
    EscalationStatus,
    EventKind,
)
from agent.errors import InvalidInput, UnknownConversation, UnknownItem, UnknownShopper
from agent.facade import Tactful


@pytest.mark.parametrize(
    ("message", "cause"),
    [
        ("can I talk to a person please", EscalationCause.REQUESTED),
        ("I was charged twice for my order", EscalationCause.SENSITIVE),
        ("how do I return the lantern?", EscalationCause.SENSITIVE),
        ("I want to make a complaint about the candles", EscalationCause.SENSITIVE),
    ],
)
def test_escalation_is_recorded_with_its_cause_and_the_wait_is_shown_not_imposed(
    tactful: Tactful, demo_shopper: str, message: str, cause: EscalationCause
) -> None:
    reply = tactful.chat(demo_shopper, message)

    assert reply.escalation is not None and reply.escalation.cause is cause
    assert reply.escalation.status is EscalationStatus.WAITING
    assert reply.suggestions == []
    conversation = tactful.records.get_conversation(reply.conversation_id)
    assert conversation is not None and conversation.status is ConversationStatus.ESCALATED
    assert [e.cause for e in tactful.records.open_escalations()] == [cause]
    after = tactful.chat(demo_shopper, "show me mugs", conversation_id=reply.conversation_id)
    assert after.suggestions and after.question is None
    assert after.escalation is not None and after.escalation.status is EscalationStatus.WAITING
    assert "still waiting for a person" in after.text


def test_repeated_negative_feedback_escalates(tactful: Tactful, demo_shopper: str) -> None:
    reply = tactful.chat(demo_shopper, "show me something")
    for position in (1, 2, 3):
        reply = tactful.chat(
            demo_shopper, f"not for me #{position}", conversation_id=reply.conversation_id
        )
        if reply.escalation:
            break

    assert reply.escalation is not None
    assert reply.escalation.cause is EscalationCause.FRUSTRATION
    dismissed = [e for e in tactful.profiles.events(demo_shopper) if e.kind is EventKind.DISMISS]
    assert len(dismissed) == 3


def test_no_good_answer_twice_escalates(tactful: Tactful, demo_shopper: str) -> None:
    first = tactful.chat(demo_shopper, "a carbon road bike frame")
    assert first.no_match and first.escalation is None
    second = tactful.chat(
        demo_shopper, "a gaming laptop with 32GB of RAM", conversation_id=first.conversation_id
    )
    assert second.escalation is not None
    assert second.escalation.cause is EscalationCause.NO_GOOD_ANSWER


def test_feedback_changes_the_next_answer(tactful: Tactful, demo_shopper: str) -> None:
    reply = tactful.chat(demo_shopper, "show me something")
    first = reply.suggestions[0].item.item_id
    after = tactful.chat(demo_shopper, "not for me #1", conversation_id=reply.conversation_id)
    assert first not in [s.item.item_id for s in after.suggestions]


def test_none_of_these_shows_others_without_dismissing_each_item(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "show me some mugs")
    shown = {s.item.item_id for s in reply.suggestions}
    conversation = reply.conversation_id
    after = tactful.chat(demo_shopper, "none of these, sorry", conversation_id=conversation)

    assert after.suggestions and not shown & {s.item.item_id for s in after.suggestions}
    assert not [e for e in tactful.profiles.events(demo_shopper) if e.kind is EventKind.DISMISS]
    assert "fewer like that" not in after.text and after.escalation is None


def test_an_empty_or_huge_message_is_refused_and_the_conversation_goes_on(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "show me mugs")
    with pytest.raises(InvalidInput, match="empty"):
        tactful.chat(demo_shopper, "   ", conversation_id=reply.conversation_id)
    with pytest.raises(InvalidInput, match="too long"):
        tactful.chat(demo_shopper, "mug " * 25_000, conversation_id=reply.conversation_id)

    again = tactful.chat(demo_shopper, "and teapots?", conversation_id=reply.conversation_id)
    assert again.suggestions
    turns = tactful.records.turns(reply.conversation_id)
    assert [t.text for t in turns if t.role == "shopper"] == ["show me mugs", "and teapots?"]


def test_unknown_shopper_item_and_conversation_are_clear_errors(
    tactful: Tactful, demo_shopper: str, clock: object
) -> None:
    with pytest.raises(UnknownShopper, match="no-such-shopper"):
        tactful.recommend("no-such-shopper")
    with pytest.raises(UnknownShopper):
        tactful.profile("no-such-shopper")
    with pytest.raises(UnknownConversation):
        tactful.chat(demo_shopper, "hi", conversation_id="nope")
    with pytest.raises(InvalidInput):
        tactful.recommend(demo_shopper, k=0)
    with pytest.raises(InvalidInput):
        tactful.recommend("has space")

    before = tactful.records.count_events()
    event = BehaviourEvent(
        event_id="bad-item",
        shopper_id=demo_shopper,
        item_id="NOPE-123",
        kind=EventKind.PURCHASE,
        at=tactful.clock.now() - timedelta(hours=1),
    )
    with pytest.raises(UnknownItem, match="NOPE-123"):
        tactful.record_events([event])
    assert tactful.records.count_events() == before


def test_importing_the_library_pulls_in_no_ui_or_web_framework() -> None:
    code = (
        "import sys, agent, agent.cli, tools.ranker; "
        "bad = {'textual', 'fastapi'} & set(sys.modules); "
        "sys.exit(', '.join(sorted(bad)) if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout


def test_the_cli_runs_the_benchmarks_in_their_own_process_and_names_a_wrong_one() -> None:
    code = (
        "import sys, agent, agent.cli.main; "
        "sys.exit('bench' if any(m.split('.')[0] == 'bench' for m in sys.modules) else 0)"
    )
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr + imported.stdout

    wrong = subprocess.run(
        [sys.executable, "-m", "agent.cli", "eval", "nonsense"], capture_output=True, text=True
    )
    assert wrong.returncode == 2
    assert "Unknown benchmark 'nonsense'" in wrong.stderr
    assert "Traceback" not in wrong.stderr
