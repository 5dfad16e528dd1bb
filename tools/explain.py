"""Plain-language reasons, built only from the factors that produced a score."""

from __future__ import annotations

from pydantic import BaseModel, Field

import prompts
from tools.types import Evidence, Factor, FactorName, Suggestion

#: A factor is cited when it carries at least this share of the positive score.
CITE_SHARE = 0.12
MAX_PHRASES = 2


class FactorLine(BaseModel):
    name: FactorName
    contribution: float
    share: float = Field(description="share of the positive score, 0–1")
    evidence: list[Evidence]
    cited: bool


class Explanation(BaseModel):
    """The full "why am I seeing this?" breakdown of one suggestion."""

    item_id: str
    title: str
    score: float
    reason: str
    factors: list[FactorLine]


def cited_factors(suggestion: Suggestion) -> list[Factor]:
    """Positive factors big enough to name, most important first."""
    positive = [f for f in suggestion.factors if f.contribution > 0]
    total = sum(f.contribution for f in positive)
    if total <= 0:
        return []
    ranked = sorted(positive, key=lambda f: -f.contribution)
    cited = [f for f in ranked if f.contribution / total >= CITE_SHARE and _phrase(f)]
    if not cited:
        cited = [f for f in ranked if _phrase(f)][:1]
    return cited[:MAX_PHRASES]


def reason_for(suggestion: Suggestion) -> str:
    """One sentence: "Because A, and B." — only from factors that contributed."""
    phrases = [p for p in (_phrase(f) for f in cited_factors(suggestion)) if p]
    if not phrases:
        return prompts.render("reasons/fallback").strip()
    return prompts.join_reasons(phrases).strip()


def explain(suggestion: Suggestion) -> Explanation:
    """Every factor with its share and evidence, marking which ones the reason names."""
    cited = {f.name for f in cited_factors(suggestion)}
    positive_total = sum(f.contribution for f in suggestion.factors if f.contribution > 0) or 1.0
    return Explanation(
        item_id=suggestion.item.item_id,
        title=suggestion.item.title,
        score=suggestion.score,
        reason=suggestion.reason or reason_for(suggestion),
        factors=[
            FactorLine(
                name=f.name,
                contribution=f.contribution,
                share=max(f.contribution, 0.0) / positive_total,
                evidence=f.evidence,
                cited=f.name in cited,
            )
            for f in suggestion.factors
        ],
    )


def _phrase(factor: Factor) -> str | None:
    evidence = factor.evidence
    if factor.name is FactorName.TASTE and evidence:
        items = _list([e.label for e in evidence[:2]])
        return prompts.render("reasons/taste", items=items).strip()
    if factor.name is FactorName.STATED:
        liked = [e for e in evidence if e.weight > 0]
        if liked:
            return prompts.render("reasons/stated", fact=liked[0].label).strip()
        return None
    if factor.name is FactorName.COMMUNITY:
        countries = {e.label.removeprefix("a shopper in ") for e in evidence}
        if len(countries) == 1 and evidence and evidence[0].label.startswith("a shopper in "):
            return prompts.render("reasons/community_country", country=countries.pop()).strip()
        return prompts.render("reasons/community").strip()
    if factor.name is FactorName.POPULARITY:
        return prompts.render("reasons/popularity").strip()
    if factor.name is FactorName.REQUEST and evidence and evidence[0].label:
        return prompts.render("reasons/request", query=evidence[0].label).strip()
    return None


def _list(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
