"""Word lists the reader needs beyond the slot parsers' lexicon, validated once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field


class Cues(BaseModel):
    """Phrases that shape slots once the intent is known; matching is case-insensitive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    query_stopwords: frozenset[str] = Field(
        description="Words that never name a product, on top of brain/stopwords.txt"
    )
    filler_phrases: tuple[str, ...] = Field(
        description='Phrases that name nothing to show: "in at the moment", "for the house"'
    )
    trade_places: tuple[str, ...] = Field(
        description='A business a shopper buys for: "I run a small gift shop", "for the store"'
    )
    gift_words: tuple[str, ...]
    purchase_words: tuple[str, ...]
    browsing_words: tuple[str, ...]
    research_words: tuple[str, ...]
    price_low_words: tuple[str, ...] = Field(description='"the cheapest of those"')
    price_high_words: tuple[str, ...]
    subject_leads: tuple[str, ...] = Field(description='Cut before a like: "i love" cats')
    subject_trails: tuple[str, ...] = Field(description='Cut after one: cats "on it"')
    subject_cuts: tuple[str, ...] = Field(description='A like ends before these: cats "but"')
    fact_templates: dict[str, str] = Field(
        description="A verb in a like or dislike → the prompts/facts template that words it"
    )
    third_person: dict[str, str] = Field(
        description="A like said of someone else, as the shopper would say it of themselves: "
        '"my sister loves cats" reads as "i love cats", held for the sister'
    )
    taste_phrases: tuple[str, ...] = Field(
        description='Besides the verbs, what says a like or dislike: "my thing", "not for me"'
    )
    negative_words: tuple[str, ...] = Field(
        description='Near its start, these turn a taste into a dislike: "I don\'t like vintage"'
    )
    forget_leads: tuple[str, ...]
    forget_words: tuple[str, ...] = Field(
        description="A message asks to forget a fact only if it says one of these"
    )
    personalization_off_words: tuple[str, ...] = Field(
        description='Say which way a personalization switch goes: "stop", "non-personalised"'
    )
    personalization_on_words: tuple[str, ...] = Field(description='"again", "turn on"')
    forget_latest: frozenset[str] = Field(description='What is left when "that" is forgotten')
    request_cues: tuple[str, ...] = Field(
        description="Openers of a search: a message with one and product words is a search"
    )
    handover_words: frozenset[str] = Field(
        description="Words that, left alone after a search opener, still ask for a person"
    )
    standing_budget_cues: tuple[str, ...] = Field(
        description='What makes a price a budget for what follows: "from now on", "my limit"'
    )
    narrow_cues: tuple[str, ...] = Field(
        description='With suggestions on screen, a search that only narrows them: "any in red?"'
    )
    different_cues: tuple[str, ...] = Field(
        description='A follow-up turns away from the search only with one: "something else '
        'entirely"; "anything else?" and "any ideas for her?" ask for more of it'
    )
    cheaper_cues: tuple[str, ...] = Field(
        description='A follow-up is "cheaper" only with one ("bit steep", "skint"); "ideas '
        'for her under £5" states a bound, it asks for no cheaper ones'
    )
    pricier_cues: tuple[str, ...] = Field(description='"nicer ones", "splash out", "upmarket"')
    up_words: tuple[str, ...]
    not_for_me_words: tuple[str, ...]


class SafetyRules(BaseModel):
    """Regular expressions for what must reach a person or the shopper's data rights.

    These stay rules, not meanings, because missing one costs more than a false match,
    and each pattern is exact enough to test against ordinary sentences.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    handoff: tuple[str, ...]
    payment: tuple[str, ...]
    complaint: tuple[str, ...]
    delivery: tuple[str, ...]
    data_erase: tuple[str, ...]
    data_export: tuple[str, ...]
    data_profile: tuple[str, ...]
    # "return" is a Python keyword, so the field is named for the topic it reports.
    return_: tuple[str, ...] = Field(alias="return")


def _read(name: str) -> object:
    return json.loads(resources.files("agent.brain.offline").joinpath(name).read_text("utf-8"))


@cache
def default_cues() -> Cues:
    """The cues shipped beside this module, parsed once."""
    return Cues.model_validate(_read("cues.json"))


@cache
def default_rules() -> SafetyRules:
    """The safety rules shipped beside this module, parsed once."""
    return SafetyRules.model_validate(_read("rules.json"))
