""" "What goes with my teapot?" asks for something to go with a teapot, not for a teapot."""

from __future__ import annotations

import pytest

from agent.brain.base import ReadContext
from agent.brain.intents import Request
from agent.brain.offline.reader import OfflineReader


@pytest.mark.parametrize(
    ("message", "query", "goes_with"),
    [
        ("got anything that goes with the popcorn holder i just got?", "", "popcorn holder"),
        ("oi any cushions that go with me sofa", "cushions", "sofa"),
        ("a mug to match my teapot", "mug", "teapot"),
        ("what would go nicely with these lanterns", "", "lanterns"),
        ("anything that pairs well with a cake stand", "", "cake stand"),
        ("ribbon to go with the wrapping paper pls", "ribbon", "wrapping paper"),
    ],
)
@pytest.mark.parametrize("context", [ReadContext(), ReadContext(suggestion_count=6)])
def test_what_it_goes_with_is_not_what_is_asked_for(
    reader: OfflineReader, message: str, query: str, goes_with: str, context: ReadContext
) -> None:
    meaning = reader.read(message, context)
    assert isinstance(meaning, Request), meaning
    assert (meaning.query, meaning.goes_with) == (query, goes_with)


def test_a_budget_and_a_person_still_come_through(reader: OfflineReader) -> None:
    meaning = reader.read("what goes with a cake stand for my mum under £10", ReadContext())
    assert isinstance(meaning, Request)
    assert meaning.goes_with == "cake stand"
    assert meaning.budget_max == 10 and meaning.recipient == "mum"


@pytest.mark.parametrize("message", ["matching napkins", "show me lanterns", "a perfect match"])
def test_no_goes_with_without_something_to_go_with(reader: OfflineReader, message: str) -> None:
    meaning = reader.read(message, ReadContext())
    assert isinstance(meaning, Request) and meaning.goes_with == ""
