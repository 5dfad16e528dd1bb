"""The word lists behind the offline slot parsers, loaded once from ``lexicon.json``.

Keeping the vocabulary as data lets a reader add a relation or a currency word without
touching a regex, and lets tests check the table on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Audience",
    "Lexicon",
    "Sex",
    "alternation",
    "default_lexicon",
]

Sex = Literal["male", "female"]
Audience = Literal["baby", "child", "teen", "adult"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Currency(_Frozen):
    symbol: str = Field(description="The symbol reported for this currency: £, $ or €")
    words: tuple[str, ...] = Field(description="Words that name it: 'quid', 'bucks'")
    minor: str | None = Field(description="Suffix for a hundredth: 'p' in '50p'")


class MoneyCues(_Frozen):
    max_before: tuple[str, ...]
    max_after: tuple[str, ...]
    min_before: tuple[str, ...]
    min_after: tuple[str, ...]
    around_before: tuple[str, ...]
    around_after: tuple[str, ...]
    range_before: tuple[str, ...]
    range_before_without_currency: tuple[str, ...] = Field(
        description="Openers that make a range money with no currency: 'between 10 and 20'"
    )
    range_joiners: tuple[str, ...]


class Relation(_Frozen):
    relation: str = Field(description="The name reported for everyone in `words`")
    words: tuple[str, ...]
    sex: Sex | None
    audience: Audience | None = Field(description="Only when the relation implies one")


class Person(_Frozen):
    """A noun for a person that is no relation ("boy", "lady")."""

    words: tuple[str, ...]
    sex: Sex | None
    audience: Audience


class AgeWord(_Frozen):
    """A word that implies an age range ("toddler" is 1 to 3)."""

    words: tuple[str, ...]
    age_min: float
    age_max: float
    audience: Audience


class AudienceBand(_Frozen):
    name: Audience
    below: float | None = Field(description="Ages under this belong here; None for the rest")


class Negation(_Frozen):
    cues: tuple[str, ...] = Field(description="Words that open an exclusion")
    fillers: tuple[str, ...] = Field(description="Skipped between a cue and its content")
    no_scope: tuple[str, ...] = Field(description="Right after a cue, it is not an exclusion")
    price_words: tuple[str, ...] = Field(description="Price talk, which money parses")
    breakers: tuple[str, ...] = Field(description="End the scope of a cue")
    joiners: tuple[str, ...] = Field(description="Join more content to the scope: 'or'")
    skip_words: tuple[str, ...] = Field(description="Empty nouns inside a scope: 'ones'")


class SmallTalk(_Frozen):
    """Whole messages that ask for nothing: closings, laughter and acknowledgements."""

    goodbye: tuple[str, ...]
    laughter: tuple[str, ...]
    acknowledgement: tuple[str, ...]
    fillers: tuple[str, ...] = Field(
        description="May stand beside those without making the message a request: 'thanks'"
    )


class Lexicon(_Frozen):
    """Every word list the offline parsers need."""

    about: str
    numbers: dict[str, int]
    hundred_words: tuple[str, ...]
    money_nouns: dict[str, float] = Field(description="Slang for notes: a 'tenner' is 10")
    money_nouns_currency: str = Field(description="The currency those notes are in")
    multipliers: dict[str, float] = Field(description="After a figure: '£2k', '3 grand'")
    currencies: tuple[Currency, ...]
    money_cues: MoneyCues
    not_money_before: tuple[str, ...]
    not_money_after: tuple[str, ...]
    relations: tuple[Relation, ...]
    people: tuple[Person, ...]
    age_words: tuple[AgeWord, ...]
    fond_age_words: tuple[str, ...] = Field(
        description="Before a relation they mean younger, not an age: 'baby brother'"
    )
    recipient_determiners: tuple[str, ...]
    recipient_prepositions: tuple[str, ...]
    recipient_adjectives: tuple[str, ...]
    age_units: dict[str, float] = Field(description="Years in one unit: a month is 1/12")
    age_leads: tuple[str, ...] = Field(description="Words before an age: 'aged', 'who's'")
    birthday_words: tuple[str, ...]
    pronoun_sex: dict[str, Sex]
    subject_pronoun_sex: dict[str, Sex] = Field(
        description="A pronoun that, before a fond verb, names someone to shop for"
    )
    fond_verbs: tuple[str, ...] = Field(description="'she'd love …': what someone would like")
    fond_verb_leads: tuple[str, ...] = Field(
        description="Between the pronoun and the verb: 'she would really love'"
    )
    near_misses: tuple[str, ...] = Field(
        description="Real words one typo away from a relation, never read as one"
    )
    audiences: tuple[AudienceBand, ...]
    ordinals: dict[str, int]
    noun_only_ordinals: tuple[str, ...] = Field(
        description="Ordinary words too ('a top'), so a position only before 'one' and such"
    )
    last_words: tuple[str, ...]
    one_before_last_words: tuple[str, ...]
    middle_words: tuple[str, ...]
    position_nouns: tuple[str, ...]
    position_labels: tuple[str, ...]
    position_followers: tuple[str, ...]
    from_end_phrases: tuple[str, ...]
    negation: Negation
    small_talk: SmallTalk

    def audience_for_age(self, age: float) -> Audience:
        """The audience band an age in years falls in."""
        for band in self.audiences:
            if band.below is None or age < band.below:
                return band.name
        return self.audiences[-1].name


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of lexicon entries, longest first so "grandmother" beats "mother".

    A space inside an entry matches any run of spaces or hyphens, so "sister in law"
    also reads "sister-in-law".
    """
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    parts = [r"[\s-]+".join(re.escape(piece) for piece in word.split(" ")) for word in unique]
    return "(?:" + "|".join(parts) + ")"


@cache
def default_lexicon() -> Lexicon:
    """The lexicon shipped beside this module, parsed once."""
    text = resources.files("agent.brain.offline").joinpath("lexicon.json").read_text("utf-8")
    return Lexicon.model_validate(json.loads(text))
