"""Plain-language reasons, built only from the factors that produced a score."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field

import prompts
from tools.interactions import POPULAR_NOW
from tools.ranker import (
    ANCHOR_REF,
    INTERVAL_REF,
    LATEST_CHOICE_REF,
    NEXT_COUNT_REF,
    ORDERS_REF,
    PARTNER_REF,
    QUERY_LOOSE_REF,
    QUERY_MEANING_REF,
    SINCE_REF,
)
from tools.trending import RISING_REF
from tools.types import (
    BehaviourEvent,
    EventKind,
    Evidence,
    EvidenceKind,
    Factor,
    FactorName,
    Suggestion,
)

#: A factor is cited when it carries at least this share of the positive score.
CITE_SHARE = 0.12
MAX_PHRASES = 2
#: How the reason says what the shopper did with a cited item: only a purchase is "bought".
TASTE_TEMPLATES = {
    EventKind.PURCHASE: "reasons/taste",
    EventKind.LIKE: "reasons/taste_liked",
    EventKind.VIEW: "reasons/taste_viewed",
    EventKind.CART: "reasons/taste_carted",
    EventKind.RATING: "reasons/taste_rated",
    EventKind.OWN: "reasons/taste_owned",
}

#: How the reason says what the shopper did with the items behind a latent score.
LATENT_TEMPLATES = {
    EventKind.PURCHASE: "reasons/latent",
    EventKind.LIKE: "reasons/latent_liked",
    EventKind.RATING: "reasons/latent_rated",
    EventKind.CART: "reasons/latent_carted",
}

#: How the reason says what the shopper chose before what others chose next.
NEXT_TEMPLATES = {
    EventKind.PURCHASE: "reasons/bought_next",
    EventKind.RATING: "reasons/bought_next_rated",
}


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
    # A person's pick is why the item is on the list at all: it is always said, first.
    ranked = sorted(positive, key=lambda f: (f.name is not FactorName.CURATED, -f.contribution))
    cited = [
        f
        for f in ranked
        if (f.contribution / total >= CITE_SHARE or f.name is FactorName.CURATED) and _nameable(f)
    ]
    if not cited:
        cited = [f for f in ranked if _nameable(f)][:1]
    return cited[:MAX_PHRASES]


def reason_for(suggestion: Suggestion, events: Mapping[str, BehaviourEvent]) -> str:
    """One sentence: "Because A, and B." — only from factors that contributed.

    ``events`` are the shopper's own events by id: a cited event is named only if it is
    there, and worded by what the shopper did ("bought", "liked", "bought … for your
    niece").
    """
    phrases = [p for p in (_phrase(f, events) for f in cited_factors(suggestion)) if p]
    # "you bought X" says nothing that "you bought X lately, and …" does not.
    phrases = [p for p in phrases if not any(q != p and q.startswith(p) for q in phrases)]
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
        reason=suggestion.reason,
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


def _nameable(factor: Factor) -> bool:
    """Whether the reason can say something true about this factor."""
    evidence = factor.evidence
    if factor.name in (FactorName.TASTE, FactorName.COMMUNITY, FactorName.AUDIENCE):
        return bool(evidence and evidence[0].label)
    if factor.name is FactorName.REQUEST:
        return any(e.label and e.weight > 0 for e in evidence)
    if factor.name is FactorName.STATED:
        return any(e.weight > 0 for e in evidence)
    if factor.name is FactorName.POPULARITY:
        return any(e.ref == POPULAR_NOW for e in evidence)
    if factor.name is FactorName.TRENDING:
        return any(e.ref == RISING_REF for e in evidence)
    if factor.name is FactorName.BUY_AGAIN:
        refs = {e.ref for e in evidence}
        timed = any(r.startswith(INTERVAL_REF) for r in refs)
        return timed and ORDERS_REF in refs and SINCE_REF in refs
    if factor.name is FactorName.BOUGHT_NEXT:
        return any(e.kind is EvidenceKind.EVENT for e in evidence) and any(
            e.ref.startswith(NEXT_COUNT_REF) for e in evidence
        )
    if factor.name is FactorName.LATENT:
        return any(e.kind is EvidenceKind.EVENT and e.weight > 0 for e in evidence)
    if factor.name is FactorName.CURATED:
        return bool(evidence and evidence[0].label)
    return False


def _phrase(factor: Factor, events: Mapping[str, BehaviourEvent]) -> str | None:
    if not _nameable(factor):
        return None
    evidence = factor.evidence
    if factor.name is FactorName.TASTE:
        return _taste_phrase(evidence, events)
    if factor.name is FactorName.STATED:
        liked = next(e for e in evidence if e.weight > 0)
        return prompts.render("reasons/stated", fact=liked.label).strip()
    if factor.name is FactorName.COMMUNITY:
        return _community_phrase(evidence)
    if factor.name is FactorName.POPULARITY:
        return prompts.render("reasons/popularity").strip()
    if factor.name is FactorName.TRENDING:
        return prompts.render("reasons/trending", pace=evidence[0].label).strip()
    if factor.name is FactorName.AUDIENCE:
        return prompts.render("reasons/audience", who=evidence[0].label).strip()
    if factor.name is FactorName.BUY_AGAIN:
        return _buy_again_phrase(evidence)
    if factor.name is FactorName.BOUGHT_NEXT:
        return _next_phrase(evidence, events)
    if factor.name is FactorName.LATENT:
        return _latent_phrase(evidence, events)
    if factor.name is FactorName.CURATED:
        return _curated_phrase(evidence)
    return _request_phrase(evidence)


def _curated_phrase(evidence: list[Evidence]) -> str:
    """ "a person on our team chose it: our bestseller for new parents", the note staff
    wrote for the item, else the list's name."""
    if len(evidence) > 1 and evidence[1].label:
        return prompts.render("reasons/curated_note", note=evidence[1].label).strip()
    return prompts.render("reasons/curated", list=evidence[0].label).strip()


def _community_phrase(evidence: list[Evidence]) -> str:
    """ "it was chosen by 12 shoppers with baskets like yours, most recently 5 days ago":
    who they are from the summary label, when from the latest-choice statistic."""
    latest = next((e for e in evidence if e.ref == LATEST_CHOICE_REF and e.label), None)
    if latest is None:
        return prompts.render("reasons/community", shoppers=evidence[0].label).strip()
    return prompts.render(
        "reasons/community_recent", shoppers=evidence[0].label, when=latest.label
    ).strip()


def _buy_again_phrase(evidence: list[Evidence]) -> str:
    """ "you order this about every 5 weeks, last time 6 weeks ago", timed by the habit
    the interval is: the shopper's own, the item's across the shop, or the shop's."""
    interval = next(e for e in evidence if e.ref.startswith(INTERVAL_REF))
    since = next(e for e in evidence if e.ref == SINCE_REF)
    whose = interval.ref.removeprefix(INTERVAL_REF)
    return prompts.render(
        f"reasons/buy_again_{whose}", interval=interval.label, since=since.label
    ).strip()


def _next_phrase(evidence: list[Evidence], events: Mapping[str, BehaviourEvent]) -> str | None:
    """ "you bought Jumbo Bag Red lately, and this has followed it in shoppers' orders 12
    times": the choice that led here most often (evidence lists each source's
    events, then its count), worded by what the shopper did."""
    first = next(e for e in evidence if e.kind is EvidenceKind.EVENT)
    count = next(e for e in evidence if e.ref.startswith(NEXT_COUNT_REF))
    event = events.get(first.ref)
    template = NEXT_TEMPLATES.get(event.kind) if event is not None else None
    if template is None:
        return None
    return prompts.render(template, item=first.label, times=_times(int(count.label))).strip()


def _latent_phrase(evidence: list[Evidence], events: Mapping[str, BehaviourEvent]) -> str | None:
    """ "shoppers with tastes like yours, going by the Jumbo Bag Red and Lunch Box you
    bought, tend to choose it": the items adding most to the score (evidence lists them
    largest first) that the shopper did the same thing with as the first."""
    said = [
        (e.label, template)
        for e in evidence
        if e.weight > 0
        and (event := events.get(e.ref)) is not None
        and (template := LATENT_TEMPLATES.get(event.kind)) is not None
    ]
    if not said:
        return None
    template = said[0][1]
    items = list(dict.fromkeys(label for label, t in said if t == template))
    return prompts.render(template, items=_list(items[:MAX_PHRASES])).strip()


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _request_phrase(evidence: list[Evidence]) -> str:
    """What was asked for that it matches: the query's words, the item it is like, what
    goes with the item asked about, or several of these."""
    phrases = []
    for e in evidence:
        if not (e.label and e.weight > 0):
            continue
        if e.ref.startswith(ANCHOR_REF):
            phrases.append(prompts.render("reasons/similar_to", item=e.label).strip())
        elif e.ref.startswith(PARTNER_REF):
            phrases.append(
                prompts.render("reasons/goes_with", item=e.label, count=int(e.weight)).strip()
            )
        elif e.ref == QUERY_MEANING_REF:
            phrases.append(prompts.render("reasons/request_meaning", query=e.label).strip())
        elif e.ref == QUERY_LOOSE_REF:
            phrases.append(prompts.render("reasons/request_loose", query=e.label).strip())
        else:
            phrases.append(prompts.render("reasons/request", query=e.label).strip())
    return " and ".join(phrases)


def _taste_phrase(evidence: list[Evidence], events: Mapping[str, BehaviourEvent]) -> str | None:
    """Up to two cited items the shopper did the same thing with, the strongest first."""
    said = [(e.label, w) for e in evidence if (w := _wording(events.get(e.ref))) is not None]
    if not said:
        return None
    template, recipient = said[0][1]
    items = list(dict.fromkeys(label for label, wording in said if wording == said[0][1]))
    return prompts.render(
        template, items=_list(items[:MAX_PHRASES]), recipient=recipient or ""
    ).strip()


def _wording(event: BehaviourEvent | None) -> tuple[str, str | None] | None:
    """The template for what the shopper did, and for whom when it was not for them."""
    if event is None:
        return None
    if event.kind is EventKind.PURCHASE and event.recipient:
        # "niece, 8" is kept with the age; "for your niece" reads without it.
        return "reasons/taste_for", event.recipient.split(",")[0].strip()
    template = TASTE_TEMPLATES.get(event.kind)
    return (template, event.recipient) if template else None


def _list(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
