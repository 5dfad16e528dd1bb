"""Do reasons tell the truth? Remove what a reason cites and score the item again.

For every suggestion, each factor its reason names is checked counterfactually: the
evidence behind it is taken away (the cited events as if they had never happened, the
cited similar shoppers left out, the cited fact dropped, the popularity statistic or the
request removed) and the item is re-scored with everything else unchanged. The reason
was faithful to that factor if the score went down.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from functools import partial

from agent.domain import Factor, FactorName, ShopperMode, Suggestion
from agent.facade import Tactful
from agent.recommender import Request
from tools.explain import cited_factors
from tools.ranker import RankInput
from tools.taste import taste_signal

K = 10


@dataclass
class FaithfulnessResult:
    suggestions: int = 0
    with_reason: int = 0
    cited: Counter[str] = field(default_factory=Counter)
    passed: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, object]:
        cited, passed = sum(self.cited.values()), sum(self.passed.values())
        return {
            "suggestions": self.suggestions,
            "share_with_reason": round(self.with_reason / self.suggestions, 6)
            if self.suggestions
            else 0.0,
            "cited_factors": cited,
            "share_cited_passing": round(passed / cited, 6) if cited else 0.0,
            "by_factor": {
                name: {"cited": self.cited[name], "passing": round(self.passed[name] / n, 6)}
                for name, n in sorted(self.cited.items())
            },
        }


def check_shopper(tactful: Tactful, shopper_id: str, result: FaithfulnessResult) -> None:
    """Check every suggestion a shopper gets in purchase mode and in browsing mode."""
    for mode in (ShopperMode.PURCHASE, ShopperMode.BROWSING):
        request = Request(mode=mode, k=K)
        base = tactful.recommender.rank_input(shopper_id, request, personalized=True)
        for suggestion in tactful.recommender.recommend(shopper_id, request, personalized=True):
            result.suggestions += 1
            result.with_reason += bool(suggestion.reason.strip())
            for factor in cited_factors(suggestion):
                result.cited[factor.name.value] += 1
                if remove_evidence(tactful, shopper_id, request, base, suggestion, factor).score:
                    result.passed[factor.name.value] += 1


@dataclass(frozen=True)
class Fall:
    """What fell once a cited factor's evidence was taken away."""

    factor: bool  # the factor's own contribution
    score: bool  # the whole score: other factors may move too (taste picks the neighbours)


def remove_evidence(
    tactful: Tactful,
    shopper_id: str,
    request: Request,
    base: RankInput,
    suggestion: Suggestion,
    factor: Factor,
) -> Fall:
    """Score the item again without the evidence of one of its factors."""
    ranker = tactful.recommender.ranker()
    without = _without(tactful, shopper_id, request, base, suggestion, factor.name)
    row = tactful.index.catalog.row(suggestion.item.item_id)
    assert row is not None
    weights = without.weights or ranker.weights[base.mode]
    after = ranker.score_all(without, weights, tactful.clock.now())
    part = after.parts.get(factor.name)
    return Fall(
        factor=(0.0 if part is None else float(part[row])) < factor.contribution - 1e-6,
        score=float(after.total()[row]) < suggestion.score - 1e-6,
    )


def _without(
    tactful: Tactful,
    shopper_id: str,
    request: Request,
    base: RankInput,
    suggestion: Suggestion,
    name: FactorName,
) -> RankInput:
    """The same ranking input with the evidence of one cited factor taken away."""
    factor = suggestion.factor(name)
    assert factor is not None
    refs = {e.ref for e in factor.evidence}
    if name is FactorName.BUY_AGAIN:
        # The orders behind the habit as if they had never happened.
        kept = {
            row: [e for e in events if e.event_id not in refs]
            for row, events in base.taste.purchases.items()
        }
        taste = replace(base.taste, purchases={row: e for row, e in kept.items() if e})
        return replace(base, taste=taste)
    if name is FactorName.BOUGHT_NEXT:
        # The cited choices as if they had never been made.
        lately = {
            row: [(e, w) for e, w in chosen if e.event_id not in refs]
            for row, chosen in base.taste.chosen_lately.items()
        }
        taste = replace(base.taste, chosen_lately={row: c for row, c in lately.items() if c})
        return replace(base, taste=taste)
    if name in (FactorName.TASTE, FactorName.LATENT):
        # The cited events as if they had never happened (in gift mode, the recipient's:
        # latent taste never speaks for a gift).
        signal = partial(
            taste_signal,
            [e for e in tactful.profiles.events(shopper_id) if e.event_id not in refs],
            tactful.index.catalog,
            now=tactful.clock.now(),
            policy=tactful.settings.decay,
            standings=tactful.profiles.standings(shopper_id),
        )
        recipient_taste = base.recipient_taste
        if recipient_taste is not None and request.recipient:
            recipient_taste = signal(recipient=request.recipient)
        return replace(base, taste=signal(), recipient_taste=recipient_taste)
    if name is FactorName.COMMUNITY:
        return replace(base, exclude_neighbours=frozenset(refs))
    if name is FactorName.STATED:
        return replace(base, facts=[(f, v) for f, v in base.facts if f.fact_id not in refs])
    if name is FactorName.REQUEST:
        return replace(
            base, query=None, query_vector=None, query_words=[], like_row=None, partner_row=None
        )
    if name in (FactorName.POPULARITY, FactorName.TRENDING):
        # Shop-wide statistics: taking the evidence away is taking the factor away.
        weights = tactful.recommender.weights[base.mode].model_copy(update={name.value: 0.0})
        return replace(base, weights=weights)
    return base
