"""Recipients: who a gift is for, with age, sex and audience, and who is no recipient."""

from __future__ import annotations

import pytest

from agent.brain.offline.recipients import parse_recipient

# (message, relation, age, age_min, age_max, sex, audience); None means no recipient.
Row = tuple[str, str | None, float | None, float | None, float | None, str | None, str | None]
CASES: list[Row] = [
    ("my 7-year-old nephew", "nephew", 7, None, None, "male", "child"),
    ("for a 5 year old boy", None, 5, None, None, "male", "child"),
    ("a toddler", None, None, 1, 3, None, "child"),
    ("teenage girl", None, None, 13, 19, "female", "teen"),
    ("my mum's birthday", "mum", None, None, None, "female", "adult"),
    ("my neice", "niece", None, None, None, "female", None),
    ("a friend", "friend", None, None, None, None, None),
    ("got any teapots for me nan", "grandma", None, None, None, "female", "adult"),
    ("my m8 is a massive gin fan", "friend", None, None, None, None, None),
    ("jigsaw for a curious 6 year old", None, 6, None, None, None, "child"),
    ("my boss", "boss", None, None, None, None, "adult"),
    ("my sister-in-law", "sister-in-law", None, None, None, "female", "adult"),
    ("my sister in law", "sister-in-law", None, None, None, "female", "adult"),
    ("grandad", "grandad", None, None, None, "male", "adult"),
    ("the kids", "children", None, None, None, None, "child"),
    ("a colleague who's leaving", "colleague", None, None, None, None, "adult"),
    ("for him", None, None, None, None, "male", None),
    ("for her", None, None, None, None, "female", None),
    ("my nephew, 7", "nephew", 7, None, None, "male", "child"),
    ("my nephew (7)", "nephew", 7, None, None, "male", "child"),
    ("my niece who is 12", "niece", 12, None, None, "female", "child"),
    ("for my dad who turns 60", "dad", 60, None, None, "male", "adult"),
    ("my son 5 years old", "son", 5, None, None, "male", "child"),
    ("my 18 month old", None, 1.5, None, None, None, "child"),
    ("a 6-month-old baby", None, 0.5, 0, 1, None, "baby"),
    ("her 40th birthday present for my wife", "wife", 40, None, None, "female", "adult"),
    ("My Grandma 👵", "grandma", None, None, None, "female", "adult"),
    ("new baby", None, None, 0, 1, None, "baby"),
    ("a present for a new baby girl", None, None, 0, 1, "female", "baby"),
    ("a newborn", None, None, 0, 0.25, None, "baby"),
    ("my baby brother", "brother", None, None, None, "male", None),
    ("a teenage son", "son", None, 13, 19, "male", "teen"),
    ("something for my todler", None, None, 1, 3, None, "child"),
    ("Mum loves gardening", "mum", None, None, None, "female", "adult"),
    ("my little girl aged 4", None, 4, None, None, "female", "child"),
    ("gift for my MOM", "mum", None, None, None, "female", "adult"),
    ("for my granddad, 80!", "grandad", 80, None, None, "male", "adult"),
    ("something for my best friend", "friend", None, None, None, None, None),
    ("a secret santa gift for a coworker", "colleague", None, None, None, None, "adult"),
    ("for my bro", "brother", None, None, None, "male", None),
    ("my nephew’s 10th birthday", "nephew", 10, None, None, "male", "child"),
    ("present for my daugther", "daughter", None, None, None, "female", None),
    ("for my freind", "friend", None, None, None, None, None),
    ("my mother-in-law", "mother-in-law", None, None, None, "female", "adult"),
    ("a five year old", None, 5, None, None, None, "child"),
    ("for a 14 yo", None, 14, None, None, None, "teen"),
    ("for my 2 yr old grandson", "grandson", 2, None, None, "male", "child"),
    ("a jigsaw for my goddaughter", "goddaughter", None, None, None, "female", None),
    ("lego for my godson, he's 8", "godson", 8, None, None, "male", "child"),
    ("vegan cookbook for my SIL", "sister-in-law", None, None, None, "female", "adult"),
    ("my stepmum's birthday", "stepmother", None, None, None, "female", "adult"),
    ("pressie for me da", "dad", None, None, None, "male", "adult"),
    ("less expensive ones for me ma", "mum", None, None, None, "female", "adult"),
    ("ma wee brother's 10", "brother", 10, None, None, "male", "child"),
    ("for the wee one, she's just turned two", None, 2, None, None, None, "child"),
    ("a lad of 14", None, 14, None, None, "male", "teen"),
    ("end of term present for my daughter's teacher", "teacher", None, None, None, None, "adult"),
    ("flowers for the lady next door", "neighbour", None, None, None, None, "adult"),
    ("whats good for a 1 year old", None, 1, None, None, None, "baby"),
    ("a toy phone for my 3yo so she can play", None, 3, None, None, None, "child"),
    # No one else named.
    ("for me", None, None, None, None, None, None),
    ("myself", None, None, None, None, None, None),
    ("a treat for myself", None, None, None, None, None, None),
    ("a piece of cake", None, None, None, None, None, None),
    ("the other one", None, None, None, None, None, None),
    ("a mug saying best mum", None, None, None, None, None, None),
    ("a fried egg cushion", None, None, None, None, None, None),
    ("wait a second", None, None, None, None, None, None),
    ("a blue vase", None, None, None, None, None, None),
    ("my nephew's 3 dogs", "nephew", None, None, None, "male", None),
    ("", None, None, None, None, None, None),
]


@pytest.mark.parametrize(
    ("text", "relation", "age", "age_min", "age_max", "sex", "audience"), CASES
)
def test_recipient_names_who_the_gift_is_for(
    text: str,
    relation: str | None,
    age: float | None,
    age_min: float | None,
    age_max: float | None,
    sex: str | None,
    audience: str | None,
) -> None:
    found = parse_recipient(text)
    expected = (relation, age, age_min, age_max, sex, audience)
    if expected == (None,) * 6:
        assert found is None
        return
    assert found is not None
    assert (
        found.relation,
        found.age,
        found.age_min,
        found.age_max,
        found.sex,
        found.audience,
    ) == expected


def test_a_price_after_a_relation_is_not_read_as_an_age() -> None:
    found = parse_recipient("for my nephew, 7 quid")
    assert found is not None
    assert (found.relation, found.age) == ("nephew", None)


def test_the_span_covers_the_determiner_age_and_relation() -> None:
    text = "looking for a gift for my 7-year-old nephew please"
    found = parse_recipient(text)
    assert found is not None
    assert text[found.span[0] : found.span[1]] == "for my 7-year-old nephew"


def test_an_impossible_age_is_dropped_but_the_relation_kept() -> None:
    found = parse_recipient("my grandad, 150")
    assert found is not None
    assert (found.relation, found.age) == ("grandad", None)
