"""The offline reader: intents by meaning, gated by the conversation, slots by parsers.

Every phrasing here is absent from ``intent_examples.jsonl``, so each test checks that a
meaning generalises rather than that an example is remembered.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from agent.brain.base import ReadContext
from agent.brain.intents import (
    Answer,
    AskWhyAsked,
    Budget,
    CallOff,
    Confirm,
    Correction,
    DataRequest,
    DeclineAnswer,
    Feedback,
    Forget,
    Goodbye,
    Greeting,
    Handoff,
    ModeSwitch,
    Owned,
    Personalization,
    Refine,
    Request,
    Sensitive,
    SmallTalk,
    Thanks,
    Unclear,
    Why,
)
from agent.brain.offline.reader import OfflineReader
from agent.domain import FeedbackValue, ShopperMode

FRESH = ReadContext()
SHOWN = ReadContext(suggestion_count=5)
ASKED = ReadContext(awaiting_answer=True, suggestion_count=5)
CONFIRMING = ReadContext(confirming=True)
HANDOVER = ReadContext(handover_open=True, suggestion_count=5)


def _examples() -> set[str]:
    raw = resources.files("agent.brain.offline").joinpath("intent_examples.jsonl")
    return {json.loads(line)["text"].lower() for line in raw.read_text("utf-8").splitlines()}


CASES = [
    ("hoping to find a woolly hat for my grandpa", FRESH, Request),
    ("got any nice tote bags?", FRESH, Request),
    ("can you show me something a little less costly", SHOWN, Refine),
    ("what else is there", SHOWN, Refine),
    ("i already own the 3rd one", SHOWN, Owned),
    ("we've already got one of those, the second", SHOWN, Owned),
    ("how come you want to know?", ASKED, AskWhyAsked),
    ("what does it matter to you", ASKED, AskWhyAsked),
    ("i'd prefer not to say thanks", ASKED, DeclineAnswer),
    ("that's none of your concern mate", ASKED, DeclineAnswer),
    ("it was for me", ASKED, Answer),
    ("a present for my cousin", ASKED, Answer),
    ("i absolutely love ceramics", FRESH, Correction),
    ("i really cannot stand neon colours", FRESH, Correction),
    ("please keep everything below 35 quid from now on", FRESH, Budget),
    ("why would you suggest the second?", SHOWN, Why),
    ("what's the reasoning behind the fourth one", SHOWN, Why),
    ("please stop personalising my results", FRESH, Personalization),
    ("ok you may personalise things again", FRESH, Personalization),
    ("I'd like to chat to a human being please", FRESH, Handoff),
    ("is there a real person around", FRESH, Handoff),
    ("my parcel hasn't turned up", FRESH, Sensitive),
    ("i need to send these boots back", FRESH, Sensitive),
    ("the third one is stunning", SHOWN, Feedback),
    ("these are all dreadful", SHOWN, Feedback),
    ("only having a browse", FRESH, ModeSwitch),
    ("forget what I said about owls", FRESH, Forget),
    ("what do you reckon you know about me", FRESH, DataRequest),
    ("please erase all my personal data", FRESH, DataRequest),
    ("yes, carry on", CONFIRMING, Confirm),
    ("no, leave it as it is", CONFIRMING, Confirm),
    ("no worries, sorted it myself", HANDOVER, CallOff),
    ("good evening", FRESH, Greeting),
    ("thanks ever so much", SHOWN, Thanks),
    ("right, i'm off, bye", SHOWN, Goodbye),
    ("hahaha that's funny", SHOWN, SmallTalk),
]


@pytest.mark.parametrize(("message", "context", "kind"), CASES)
def test_each_intent_is_read_from_phrasings_it_was_not_given(
    reader: OfflineReader, message: str, context: ReadContext, kind: type
) -> None:
    assert message.lower() not in _examples()
    assert isinstance(reader.read(message, context), kind)


def test_yes_means_someone_else_after_the_question_and_go_ahead_when_confirming(
    reader: OfflineReader,
) -> None:
    assert reader.read("yes", ASKED) == Answer(about_me=False)
    assert reader.read("yes", CONFIRMING) == Confirm(yes=True)
    assert reader.read("no", ASKED) == Answer(about_me=True)
    assert reader.read("no", CONFIRMING) == Confirm(yes=False)


def test_answers_confirmations_and_call_offs_are_impossible_outside_their_state(
    reader: OfflineReader,
) -> None:
    assert not isinstance(reader.read("rather not say", SHOWN), DeclineAnswer)
    assert not isinstance(reader.read("why do you ask?", SHOWN), AskWhyAsked)
    assert not isinstance(reader.read("yes please", FRESH), Confirm)
    assert isinstance(reader.read("never mind", SHOWN), SmallTalk)
    assert reader.read("never mind", HANDOVER) == CallOff()


def test_nothing_is_refined_owned_or_rated_when_nothing_is_shown(reader: OfflineReader) -> None:
    for message in ("something cheaper", "already got the second one", "number 3 is ugly"):
        assert not isinstance(reader.read(message, FRESH), Refine | Owned | Feedback | Why)


@pytest.mark.parametrize("message", ["qwop", "zzqx", "the", "🫠"])
def test_a_message_near_no_intent_is_unclear_and_keeps_its_tidied_text(
    reader: OfflineReader, message: str
) -> None:
    assert reader.read(f"  {message} ", FRESH) == Unclear(text=message)


def test_an_empty_message_is_unclear(reader: OfflineReader) -> None:
    assert reader.read("   ", FRESH) == Unclear(text="")


@pytest.mark.parametrize(
    "message",
    [
        "I'm returning to the shop later but show me lamps",
        "my mum complains about everything, gift ideas?",
        "a human anatomy model for my son",
        "a board game about customer service for my manager",
        "show me a charging cable for my dad",
    ],
)
def test_sentences_that_name_returns_complaints_or_people_are_still_requests(
    reader: OfflineReader, message: str
) -> None:
    assert isinstance(reader.read(message, FRESH), Request)


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("I've been charged twice for one order", "payment"),
        ("I was charged twice for my order", "payment"),
        ("i want to return the kettle", "return"),
        ("my order never arrived", "complaint"),
        ("do you deliver to france?", "delivery"),
        ("how long does shipping take", "delivery"),
        ("is there free delivery?", "delivery"),
    ],
)
def test_sensitive_topics_go_to_a_person_even_mid_conversation(
    reader: OfflineReader, message: str, topic: str
) -> None:
    assert reader.read(message, SHOWN) == Sensitive(topic=topic)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "message", ["this is fucking useless", "wtf is this shit", "this bot is f***ing pointless"]
)
def test_angry_messages_that_ask_for_nothing_escalate(reader: OfflineReader, message: str) -> None:
    assert reader.read(message, SHOWN) == Handoff(upset=True)


@pytest.mark.parametrize(
    "message",
    [
        "a candle that smells of fresh linen",
        "ok cool",
        "hmm not sure yet",
        "a model ship to put on the shelf",
        "something i can post to my nephew",
    ],
)
def test_calm_messages_do_not_escalate(reader: OfflineReader, message: str) -> None:
    assert not isinstance(reader.read(message, SHOWN), Handoff | Sensitive)


def test_money_and_recipient_fill_a_request(reader: OfflineReader) -> None:
    found = reader.read("a jigsaw for my 8 year old niece under twenty quid", FRESH)
    assert isinstance(found, Request)
    assert (found.budget_max, found.budget_min, found.recipient) == (20, None, "niece, 8")
    assert found.audience == "child"
    assert "jigsaw" in found.query


def test_around_a_price_states_no_bound(reader: OfflineReader) -> None:
    found = reader.read("show me a scarf, around £25", FRESH)
    assert isinstance(found, Request)
    assert (found.budget_min, found.budget_max) == (None, None)


def test_a_range_sets_both_bounds(reader: OfflineReader) -> None:
    found = reader.read("show me wall clocks between $30 and $60", FRESH)
    assert isinstance(found, Request)
    assert (found.budget_min, found.budget_max) == (30, 60)


def test_negations_become_exclusions(reader: OfflineReader) -> None:
    found = reader.read("mugs for my sister but nothing with hearts", FRESH)
    assert isinstance(found, Request)
    assert found.exclude == ["hearts"]
    assert "hearts" not in found.query


def test_refine_changes_carry_positions_and_price_order(reader: OfflineReader) -> None:
    assert reader.read("less pricey ones please", SHOWN) == Refine(change="cheaper")
    similar = reader.read("show me more like the 3rd", SHOWN)
    assert isinstance(similar, Refine)
    assert (similar.change, similar.position) == ("more_like", 3)
    among = reader.read("of those, which is the cheapest", SHOWN)
    assert isinstance(among, Refine)
    assert (among.change, among.order) == ("among_shown", "price_low")


def test_owned_and_feedback_point_at_a_position(reader: OfflineReader) -> None:
    assert reader.read("got the 2nd one already", SHOWN) == Owned(position=2)
    assert reader.read("I already have that one", SHOWN) == Owned(position=None)
    assert reader.read("that last one is gorgeous", SHOWN) == Feedback(
        position=5, value=FeedbackValue.UP
    )


def test_a_typed_answer_still_names_the_recipient(reader: OfflineReader) -> None:
    assert reader.read("yeh it was 4 my neice", ASKED) == Answer(
        about_me=False, recipient="niece", sex="f"
    )


def test_likes_and_dislikes_become_worded_facts(reader: OfflineReader) -> None:
    assert reader.read("I hate glitter", FRESH) == Correction(
        subject="glitter", polarity=-1, text="really dislikes glitter"
    )
    assert reader.read("I love vintage stuff", FRESH) == Correction(
        subject="vintage", polarity=1, text="loves vintage"
    )


def test_a_mode_switch_names_the_mode(reader: OfflineReader) -> None:
    assert reader.read("just having a nose around today", FRESH) == ModeSwitch(
        mode=ShopperMode.BROWSING
    )
