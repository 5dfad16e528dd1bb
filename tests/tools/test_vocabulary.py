"""A request's words, spelled the way the shop's catalog spells them."""

from __future__ import annotations

import numpy as np
import pytest

from agent.english import english_words
from tools.catalog_index import CatalogIndex
from tools.types import CatalogItem
from tools.vocabulary import CatalogVocabulary


@pytest.fixture
def catalog() -> CatalogIndex:
    items = [
        CatalogItem(item_id="1", title="Hanging Star Lantern", category="lights"),
        CatalogItem(item_id="2", title="Scented Candle", description="soy wax, cotton wick"),
        CatalogItem(item_id="3", title="Garden Trowel", tags=("outdoors",)),
    ]
    return CatalogIndex(items, np.zeros((3, 4), dtype=np.float32))


def test_typos_and_other_forms_become_the_catalogs_word(catalog: CatalogIndex) -> None:
    assert catalog.in_catalog_words(["candels", "lantren", "gardening"]) == [
        "candle",
        "lantern",
        "garden",
    ]


def test_a_slip_in_a_word_with_an_ending_becomes_the_catalogs_word(
    catalog: CatalogIndex,
) -> None:
    assert catalog.in_catalog_words(["gardning", "gardnin", "lantrens"]) == [
        "garden",
        "garden",
        "lantern",
    ]


def test_a_form_of_a_catalog_word_wins_over_a_typo_of_another() -> None:
    # "gardenin" is one keystroke from "gardenia", but it is "gardening" said casually.
    vocabulary = CatalogVocabulary(["garden", "gardenia", "knit", "robe", "cab"])
    assert vocabulary.spelled("gardenin") == "garden"
    assert vocabulary.spelled("knittin") == "knit"
    # Words that merely end in "in" are not cut down to another word.
    assert vocabulary.spelled("robin") is None
    assert vocabulary.spelled("cabin") is None


def test_descriptions_categories_and_tags_count_as_the_catalogs_words(
    catalog: CatalogIndex,
) -> None:
    words = ["soy", "lights", "outdoors", "lanterns"]
    assert catalog.in_catalog_words(words) == words


def test_a_word_the_catalog_has_no_form_of_is_kept_as_said(catalog: CatalogIndex) -> None:
    # "a carbon road bike frame" must still match a picture frame poorly.
    assert catalog.in_catalog_words(["carbon", "bike", "lantern"]) == ["carbon", "bike", "lantern"]


def test_the_spelling_follows_catalog_changes(catalog: CatalogIndex) -> None:
    assert catalog.in_catalog_words(["teapotts"]) == ["teapotts"]
    catalog.upsert([CatalogItem(item_id="4", title="Floral Teapot")], np.zeros((1, 4)))
    assert catalog.in_catalog_words(["teapotts"]) == ["teapot"]


def test_two_letters_swapped_wins_when_a_typo_is_one_keystroke_from_two_words() -> None:
    vocabulary = CatalogVocabulary(["candle", "candl", "lantern"])
    assert vocabulary.spelled("candel") == "candle"
    assert CatalogVocabulary(["candle", "candlx"]).spelled("candlz") is None  # no swap: unsure


def test_short_words_are_never_guessed_at() -> None:
    vocabulary = CatalogVocabulary(["mug", "bag", "box"])
    assert vocabulary.spelled("mog") is None
    assert vocabulary.spelled("bgs") is None


def test_a_real_word_is_never_taken_for_a_slip() -> None:
    # "a gift for my niece" is not a request for a jigsaw piece, nor "bench" for the beach.
    vocabulary = CatalogVocabulary(["piece", "beach", "candle"])
    assert vocabulary.spelled("niece") == "piece"
    assert vocabulary.spelled("niece", {"niece", "bench"}) is None
    assert vocabulary.spelled("bench", {"niece", "bench"}) is None
    assert vocabulary.spelled("candel", {"niece", "bench"}) == "candle"


def test_the_shipped_dictionary_keeps_real_words_and_mends_typos() -> None:
    items = [
        CatalogItem(item_id="1", title="Jigsaw 100 Piece"),
        CatalogItem(item_id="2", title="Beach Towel"),
        CatalogItem(item_id="3", title="Scented Candle"),
    ]
    catalog = CatalogIndex(items, np.zeros((3, 4), dtype=np.float32))
    words = ["niece", "benches", "candels"]
    assert catalog.in_catalog_words(words, english_words()) == ["niece", "benches", "candle"]
