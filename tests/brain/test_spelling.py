"""Function-word typos are put right; real words and product names never change."""

from __future__ import annotations

import pytest

from agent.brain.offline.spelling import correct, correction


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("pease", "please"),  # a letter dropped
        ("tahn", "than"),  # two swapped
        ("somethnig", "something"),
        ("differnt", "different"),
        ("recomend", "recommend"),
        ("frined", "friend"),  # a swap beats "fried", a drop
        ("hve", "have"),  # three letters: only a dropped one is put back
        ("cheeper", "cheaper"),  # one letter for another, in a long word
        ("somthing", "something"),  # a slip from English, not from the slang "sumthing"
    ],
)
def test_a_typo_of_a_word_the_reader_relies_on_is_put_right(typed: str, meant: str) -> None:
    assert correction(typed) == meant


@pytest.mark.parametrize(
    "word",
    [
        "ants",  # an English word, however close to "wants"
        "abort",  # missing from the model's vocabulary, but one letter from "about"
        "complains",  # an inflection of a known word, not "complaint" mistyped
        "santas",  # a plural of a cue word
        "candels",  # a product typo is the catalog's business, not the reader's
        "pls",  # slang the reader already knows
        "zzyzx",  # near nothing at all
    ],
)
def test_real_words_product_names_and_known_slang_are_left_alone(word: str) -> None:
    assert correction(word) is None


def test_correct_keeps_everything_but_the_mistyped_words() -> None:
    typed = "any candels for less tahn £5, pease?"
    assert correct(typed) == "any candels for less than £5, please?"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("smth w/ trucks", "smth with trucks"),
        ("mugs w/lids", "mugs with lids"),
        ("tea w/o sugar", "tea without sugar"),
        ("see shop.example/w/2", "see shop.example/w/2"),
        ("a bow/ribbon", "a bow/ribbon"),
    ],
)
def test_w_slash_is_read_as_with(typed: str, meant: str) -> None:
    assert correct(typed) == meant
