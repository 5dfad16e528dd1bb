"""Exclusions: the things a shopper rules out, and the negations that rule out nothing."""

from __future__ import annotations

import pytest

from agent.brain.offline.negation import parse_exclusions
from agent.brain.offline.slots import search_slots

CASES: list[tuple[str, list[str]]] = [
    ("something for my niece but nothing with hearts", ["hearts"]),
    ("not the red ones", ["red"]),
    ("she already has loads of dolls, something else", ["dolls"]),
    ("no candles please", ["candles"]),
    ("anything except glass", ["glass"]),
    ("without plastic", ["plastic"]),
    ("not so many glass things", ["glass"]),
    ("No candles or vases 🙏", ["candles", "vases"]),
    ("NOT PINK!", ["pink"]),
    ("she doesn't like scented candles", ["scented", "candles"]),
    ("she doesn’t like scented candles", ["scented", "candles"]),
    ("I don't want mugs", ["mugs"]),
    ("i dont want mugs again", ["mugs"]),
    ("nothing pink", ["pink"]),
    ("not really into pink", ["pink"]),
    ("no more mugs", ["mugs"]),
    ("he hates wool and glitter", ["wool", "glitter"]),
    ("apart from jewellery anything is fine", ["jewellery"]),
    ("something other than chocolate", ["chocolate"]),
    ("allergic to nuts", ["nuts"]),
    ("not a fan of floral stuff", ["floral"]),
    ("Not keen on the owl ones, thanks", ["owl"]),
    ("she is not into sparkly things", ["sparkly"]),
    ("no plastic please, and no glitter", ["plastic", "glitter"]),
    ("he's already got a kindle", ["kindle"]),
    ("my son has too many lego sets", ["lego", "sets"]),
    ("a mug, but not a Christmas one", ["christmas"]),
    ("avoid wool - itchy", ["wool"]),
    ("a scarf without sequins or tassels", ["sequins", "tassels"]),
    ("no jewelry for my wife this time", ["jewelry"]),
    ("toys but no noisy ones 😅", ["noisy"]),
    ("nothing with unicorns, she is 12 now", ["unicorns"]),
    ("anything but socks!!", ["socks"]),
    ("no candles no candles", ["candles"]),
    ("show me candles but not heart shaped ones", ["heart"]),
    ("nothing heart-shaped", ["heart"]),
    ("not christmas themed please", ["christmas"]),
    ("no floral designs", ["floral"]),
    # Negations that exclude nothing.
    ("not sure", []),
    ("no thanks", []),
    ("No thank you", []),
    ("I don't know", []),
    ("not too expensive", []),
    ("nothing over £20", []),
    ("no more than £30", []),
    ("not for me", []),
    ("no, something bigger", []),
    ("not really", []),
    ("dont show me anything pink", ["pink"]),
    ("please don't suggest candles again", ["candles"]),
    ("i do not want to see mugs", ["mugs"]),
    ("stop showing me tea towels", ["tea", "towels"]),
    ("I want to stop getting mug suggestions", ["mug"]),
    ("no idea", []),
    ("no problem", []),
    ("not yet", []),
    ("not that one", []),
    ("not bothered", []),
    ("no worries, no rush", []),
    ("not so sure", []),
    ("a cushion with hearts", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "excluded"), CASES)
def test_exclusions_are_the_content_words_under_a_negation(text: str, excluded: list[str]) -> None:
    assert parse_exclusions(text) == excluded


def test_a_shape_word_under_a_negation_is_neither_ruled_out_nor_asked_for() -> None:
    for text in ("any lights? nothing heart-shaped", "lights but not heart shaped ones"):
        slots = search_slots(text)
        assert slots["exclude"] == ["heart"], text
        assert slots["query"] == "lights", text


@pytest.mark.parametrize(
    ("text", "query", "excluded"),
    [
        ("dont show me anything pink", "", ["pink"]),
        ("not interested in tea towels, got any bags?", "bags", ["tea", "towels"]),
        ("steer clear of glass, lanterns maybe", "lanterns", ["glass"]),
    ],
)
def test_the_words_that_say_no_are_not_searched_for(
    text: str, query: str, excluded: list[str]
) -> None:
    slots = search_slots(text)
    assert (slots["query"], slots["exclude"]) == (query, excluded)
