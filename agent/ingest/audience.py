"""Who a product suits: the audience table in ``audiences.json`` and what it derives.

The table does two jobs. Its ``rules`` read a product's wording ("Childrens Cutlery",
"Gin + Tonic Diet Metal Sign") into an audience, ages and tags when the wording says so;
its ``audiences`` tell the ranker, for an audience a shopper asks for, what to leave out
and what suits it. Both are data, so a shop can widen them without touching code.
"""

from __future__ import annotations

import re
from functools import cache, cached_property
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.ingest.products import clean_text
from tools.types import Audience

#: Ages written in a title: "age 3+", "3+ years", "ages 3-5", "3-5 yrs", "0-6 months".
_AGE_PLUS = re.compile(r"\b(?:ages?\s*)?(\d{1,2})\s*\+\s*(?:years?|yrs)?(?![\w+])")
_AGE_SPAN = re.compile(
    r"\b(?:ages?\s*)?(\d{1,2})\s*-\s*(\d{1,2})\s*(years?|yrs|months?|mths)\b|\bages?\s*(\d{1,2})\s*-\s*(\d{1,2})\b"
)


class AudienceRule(BaseModel):
    """Words that say who a product is for, and what that makes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    audience: Audience | None = None
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = Field(min_length=1)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Whole words, longest first (so "wine glass" wins over "wine"), optional plural."""
        words = sorted((k.lower() for k in self.keywords), key=len, reverse=True)
        alternatives = "|".join(re.escape(w) for w in words)
        return re.compile(rf"(?<![\w'])(?:{alternatives})(?:s|es)?(?![\w'])")


class AudienceProfile(BaseModel):
    """What suits one audience a shopper can ask for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ages: tuple[float, float] = Field(description="the ages it usually spans, in years")
    own_items_fit: bool = Field(
        default=True, description="whether an item said to be for this audience suits it outright"
    )
    excludes_audiences: frozenset[Audience] = frozenset()
    excludes_tags: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    prototypes: tuple[str, ...] = ()


class Derived(BaseModel):
    """What a product's wording says about who it suits (all empty when it says nothing)."""

    audience: Audience | None = None
    age_min: float | None = None
    age_max: float | None = None
    tags: tuple[str, ...] = ()


class AudienceTable(BaseModel):
    """The contents of ``audiences.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    about: str = ""
    ignore: tuple[str, ...] = ()
    rules: tuple[AudienceRule, ...]
    audiences: dict[Audience, AudienceProfile]

    @model_validator(mode="after")
    def _every_audience_described(self) -> AudienceTable:
        missing = set(Audience) - set(self.audiences)
        if missing:
            raise ValueError(f"no entry for audience {', '.join(sorted(missing))}")
        return self

    def derive(self, description: str) -> Derived:
        """The audience, ages and tags a product's wording states."""
        text = clean_text(description).lower()
        for phrase in self.ignore:
            text = text.replace(phrase.lower(), " ")
        audience: Audience | None = None
        tags: list[str] = []
        for rule in self.rules:
            if rule.pattern.search(text):
                audience = audience or rule.audience
                tags.extend(rule.tags)
        age_min, age_max = _ages(text)
        if audience is None and age_min is not None:
            audience = self.audience_for_age(age_min)
        return Derived(
            audience=audience, age_min=age_min, age_max=age_max, tags=tuple(dict.fromkeys(tags))
        )

    def audience_for_age(self, age: float) -> Audience:
        """The youngest audience whose usual ages reach ``age``."""
        for audience in Audience:
            if age <= self.audiences[audience].ages[1]:
                return audience
        return Audience.ADULT


def _ages(text: str) -> tuple[float | None, float | None]:
    span = _AGE_SPAN.search(text)
    if span:
        low, high, unit = span.group(1) or span.group(4), span.group(2) or span.group(5), span[3]
        scale = 1 / 12 if unit and unit.startswith("m") else 1.0
        first, last = sorted((float(low) * scale, float(high) * scale))
        return round(first, 2), round(last, 2)
    plus = _AGE_PLUS.search(text)
    if plus and ("age" in plus.group(0) or "year" in plus.group(0) or "yr" in plus.group(0)):
        return float(plus.group(1)), None
    return None, None


@cache
def default_audiences() -> AudienceTable:
    """The table shipped in ``agent/ingest/audiences.json``."""
    text = resources.files("agent.ingest").joinpath("audiences.json").read_text("utf-8")
    return AudienceTable.model_validate_json(text)
