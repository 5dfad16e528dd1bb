"""Readings the intent model and the word checks around it must agree on.

Each phrasing is new to ``intent_examples.jsonl`` and to the labelled utterances, so a
pass means the reader generalises rather than remembers.
"""

from __future__ import annotations

import pytest

from agent.brain.base import ReadContext
from agent.brain.intents import (
    Feedback,
    Handoff,
    Refine,
    Request,
    Sensitive,
    Unclear,
    Why,
)
from agent.brain.offline.reader import OfflineReader
from agent.domain import FeedbackValue

FRESH = ReadContext()
SHOWN = ReadContext(suggestion_count=5)


@pytest.mark.parametrize(
    "message",
    [
        "no need for a human mate, this is going fine",
        "speak to a person? nah I'm good, just after some oven gloves",
        "refund? no, all good, I'm keeping it",
    ],
)
def test_a_person_or_refund_waved_away_is_not_asked_for(
    reader: OfflineReader, message: str
) -> None:
    assert not isinstance(reader.read(message, SHOWN), Handoff | Sensitive)


def test_what_is_asked_for_after_waving_something_away_still_counts(
    reader: OfflineReader,
) -> None:
    assert reader.read("I don't want a refund, I want to speak to a manager", FRESH) == Handoff()
    reading = reader.read("a human? nah I'm fine, show me tea cosies", FRESH)
    assert isinstance(reading, Request) and reading.query == "tea cosies"


@pytest.mark.parametrize(
    "message",
    [
        "could I have a natter with one of your team please",
        "is there a shop assistant available",
        "who do I speak to about this",
        "conect me to a humen",
    ],
)
def test_a_person_asked_for_in_other_words_is_fetched(reader: OfflineReader, message: str) -> None:
    assert reader.read(message, FRESH) == Handoff()


@pytest.mark.parametrize(
    "message",
    [
        "photo albums",
        "wooden coat hangers",
        "glass vases",
        # "like" here says what it looks like, not what the shopper likes.
        "a doorstop shaped like a cat",
        "a lamp shaped like an owl",
        "a mug that looks like a cactus",
    ],
)
def test_a_bare_product_name_is_a_search(reader: OfflineReader, message: str) -> None:
    assert isinstance(reader.read(message, FRESH), Request)


@pytest.mark.parametrize(
    "message",
    [
        "how deep is the atlantic",
        "what's the population of spain",
        "translate thank you into german",
    ],
)
def test_a_question_for_somewhere_else_is_unclear(reader: OfflineReader, message: str) -> None:
    assert isinstance(reader.read(message, FRESH), Unclear)


@pytest.mark.parametrize(
    "message",
    [
        "those but for a 2 year old",
        "similar stuff for my brother in law",
        "same kind of thing but for his dad",
        "any of them ok for a teenager?",
    ],
)
def test_a_new_person_for_the_same_search_edits_it(reader: OfflineReader, message: str) -> None:
    reading = reader.read(message, SHOWN)
    assert isinstance(reading, Refine)
    assert reading.recipient is not None or reading.audience is not None


def test_disliking_one_and_asking_for_others_is_no_like_for_it(reader: OfflineReader) -> None:
    reading = reader.read("the 4th is hideous, show me something else", SHOWN)
    assert not isinstance(reading, Why | Feedback)
    assert not (isinstance(reading, Refine) and reading.change == "more_like")


@pytest.mark.parametrize("message", ["🤬", "😤😤"])
def test_an_angry_emoji_alone_wants_a_person(reader: OfflineReader, message: str) -> None:
    assert reader.read(message, FRESH) == Handoff(upset=True)


def test_a_taste_for_one_shown_item_is_feedback_not_a_standing_fact(reader: OfflineReader) -> None:
    reading = reader.read("adore the 4th one tbh", SHOWN)
    assert reading == Feedback(position=4, value=FeedbackValue.UP)


@pytest.mark.parametrize(
    "message",
    [
        "you are useless",
        "this bot is useless",
        "what a waste of time",
        "useless bot",
        "u r no help",
    ],
)
def test_a_verdict_on_the_agent_is_anger_that_wants_a_person(
    reader: OfflineReader, message: str
) -> None:
    assert reader.read(message, FRESH) == Handoff(upset=True)


def test_this_is_rubbish_judges_the_list_when_one_is_on_screen_and_us_when_not(
    reader: OfflineReader,
) -> None:
    assert reader.read("this is rubbish", FRESH) == Handoff(upset=True)
    assert isinstance(reader.read("this is rubbish", ReadContext(suggestion_count=5)), Feedback)
    assert isinstance(reader.read("show me a rubbish bin", FRESH), Request)
