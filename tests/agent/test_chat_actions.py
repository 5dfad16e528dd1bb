"""Every action a reply states is the result of that action, taken in that turn."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.domain import FactorName, FactStatus
from agent.facade import Tactful

TODAY = datetime(2026, 11, 30, 12, 0)


@pytest.fixture(params=["data date", "today"])
def at_either_clock(request: pytest.FixtureRequest, clock: FixedClock) -> FixedClock:
    """The clock the day after the data ends, or years later with the history faded."""
    if request.param == "today":
        clock.at = TODAY
    return clock


def test_delete_everything_asks_once_and_yes_erases_what_the_cli_erases(
    tactful: Tactful, demo_shopper: str, at_either_clock: FixedClock
) -> None:
    tactful.chat(demo_shopper, "I'm allergic to zanzibarwood")
    purchases = tactful.profile(demo_shopper).events_by_kind["purchase"]

    asked = tactful.chat(demo_shopper, "please delete everything about me")
    assert asked.confirming == "erase" and asked.erased is None
    assert tactful.records.get_shopper(demo_shopper) is not None
    assert f"{purchases} purchases" in asked.text

    done = tactful.chat(demo_shopper, "yes", conversation_id=asked.conversation_id)

    assert done.erased is not None and done.erased.get("purchase") == purchases
    assert f"{purchases} purchases" in done.text and "1 stated preference" in done.text
    assert tactful.records.get_shopper(demo_shopper) is None
    assert tactful.records.conversations_for(demo_shopper) == []
    assert tactful.profiles.facts(demo_shopper, include_retracted=True) == []
    fresh = tactful.chat(demo_shopper, "what do you know about me?")
    assert "zanzibarwood" not in fresh.text and "purchase" not in fresh.text


@pytest.mark.parametrize("answer", ["no", "no wait, keep it", "show me candles"])
def test_anything_but_yes_deletes_nothing_and_says_so(
    tactful: Tactful, demo_shopper: str, answer: str
) -> None:
    events = len(tactful.profiles.events(demo_shopper))
    asked = tactful.chat(demo_shopper, "erase my data")

    reply = tactful.chat(demo_shopper, answer, conversation_id=asked.conversation_id)

    assert reply.erased is None
    assert "haven't deleted anything" in reply.text
    assert len(tactful.profiles.events(demo_shopper)) == events
    again = tactful.chat(demo_shopper, "yes", conversation_id=asked.conversation_id)
    assert again.erased is None and tactful.records.get_shopper(demo_shopper) is not None


def test_send_me_my_data_writes_the_same_export_as_the_cli_and_names_the_file(
    tactful: Tactful, demo_shopper: str
) -> None:
    tactful.chat(demo_shopper, "I love owls")

    reply = tactful.chat(demo_shopper, "send me a copy of my data")

    assert reply.export_file is not None and reply.export_file in reply.text
    path = Path(reply.export_file)
    assert path.is_file() and tactful.settings.home in path.parents
    exported = json.loads(path.read_text(encoding="utf-8"))
    expected = tactful.export(demo_shopper)
    assert exported["facts"] == expected["facts"]
    assert exported["events"] == expected["events"]
    assert any(f["text"] == "loves owls" for f in exported["facts"])


def test_forget_what_i_said_about_retracts_every_matching_fact_and_names_them(
    tactful: Tactful, demo_shopper: str
) -> None:
    tactful.chat(demo_shopper, "I love owls")
    tactful.chat(demo_shopper, "I collect owl figurines")
    tactful.chat(demo_shopper, "I'm not into candles")

    reply = tactful.chat(demo_shopper, "forget what I said about owls")

    forgotten = {f.text for f in reply.facts_changed}
    assert forgotten == {"loves owls", "collects owl figurines"}
    assert all(f'"{text}"' in reply.text for text in forgotten)
    active = [f.text for f, _ in tactful.profiles.facts(demo_shopper)]
    assert active == ["not into candles"]
    for suggestion in reply.suggestions:
        stated = suggestion.factor(FactorName.STATED)
        assert stated is None or all("owl" not in e.label for e in stated.evidence)


def test_forgetting_something_not_held_changes_nothing_and_lists_what_is_held(
    tactful: Tactful, demo_shopper: str
) -> None:
    tactful.chat(demo_shopper, "I'm not into candles")

    reply = tactful.chat(demo_shopper, "forget what I said about zebras")

    assert reply.facts_changed == []
    assert '"zebras"' in reply.text and "- not into candles" in reply.text
    facts = tactful.profiles.facts(demo_shopper, include_retracted=True)
    assert [f.status for f, _ in facts] == [FactStatus.ACTIVE]


def test_what_do_you_know_names_history_facts_switch_and_use_at_either_clock(
    tactful: Tactful, demo_shopper: str, at_either_clock: FixedClock
) -> None:
    tactful.chat(demo_shopper, "I'm not into candles")
    profile = tactful.profile(demo_shopper)

    reply = tactful.chat(demo_shopper, "what do you know about me?")

    assert "not into candles (you told me" in reply.text
    assert f"{profile.events_by_kind['purchase']} purchases" in reply.text
    assert "Personalization is on" in reply.text
    assert "anything about you yet" not in reply.text
    live = [s for s in profile.signals if s.weight > 0]
    if live:
        assert live[0].title in reply.text
    else:
        assert "no longer shapes what I suggest" in reply.text


def test_what_do_you_know_about_a_new_visitor_says_nothing_is_held(tactful: Tactful) -> None:
    reply = tactful.chat("visitor-1", "what do you know about me?")

    assert "I don't hold anything about you yet" in reply.text


def test_a_suggestion_just_turned_down_is_never_called_faded_history(tactful: Tactful) -> None:
    shown = tactful.chat("visitor-2", "show me some mugs")
    tactful.chat("visitor-2", "number 2 is rubbish", conversation_id=shown.conversation_id)

    reply = tactful.chat("visitor-2", "what do you know about me?")

    assert "no longer shapes" not in reply.text
    assert "You turned down 1 suggestion; I keep it lower" in reply.text


def test_the_cli_profile_and_the_chat_answer_come_from_one_function(
    tactful: Tactful, demo_shopper: str
) -> None:
    from agent.profile_view import what_i_know

    tactful.chat(demo_shopper, "I love owls")
    lines = what_i_know(tactful.profile(demo_shopper), tactful.clock.now())

    reply = tactful.chat(demo_shopper, "what do you know about me?")

    assert reply.text == "\n".join(lines)


def test_why_is_recomputed_from_current_data_after_a_forget(
    tactful: Tactful, demo_shopper: str
) -> None:
    tactful.chat(demo_shopper, "I love zebra-striped teapots")
    shown = tactful.chat(demo_shopper, "show me teapots")
    first = shown.suggestions[0]
    assert first.factor(FactorName.STATED) is not None

    fact = tactful.profiles.facts(demo_shopper)[0][0]
    tactful.forget(demo_shopper, fact.fact_id)  # e.g. from the profile page, not this chat
    why = tactful.chat(demo_shopper, "why the first one?", conversation_id=shown.conversation_id)

    assert first.item.title in why.text
    assert "zebra" not in why.text
    assert "- stated" not in why.text


@pytest.mark.parametrize("message", ["thanks, bye", "ok cool", "lol", "see ya", "hmm"])
def test_small_talk_gets_a_short_reply_and_never_a_search(
    tactful: Tactful, demo_shopper: str, message: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me candles")

    reply = tactful.chat(demo_shopper, message, conversation_id=shown.conversation_id)

    assert reply.suggestions == [] and not reply.no_match
    assert "couldn't find" not in reply.text
