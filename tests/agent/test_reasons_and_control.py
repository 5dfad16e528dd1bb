"""Reasons built only from what counted; the shopper's control over what is known."""

from __future__ import annotations

from collections import Counter

import pytest

from agent.domain import FactorName, FactStatus, Suggestion
from agent.errors import UnknownFact
from agent.facade import Tactful
from agent.ingest.online_retail import OnlineRetailData
from tools.explain import cited_factors, explain

#: Words in a reason that can only come from one factor.
PHRASE_OF = {
    FactorName.TASTE: "you bought",
    FactorName.COMMUNITY: "baskets like yours",
    FactorName.POPULARITY: "popular",
    FactorName.REQUEST: 'it matches "',
}


def check_reason(suggestion: Suggestion) -> None:
    assert suggestion.reason.strip(), suggestion.item.title
    contributed = {f.name for f in suggestion.factors if f.contribution > 0}
    for factor in cited_factors(suggestion):
        assert factor.name in contributed
    for name, phrase in PHRASE_OF.items():
        if phrase in suggestion.reason:
            assert name in contributed, f"{suggestion.reason!r} names {name} which did not count"
    assert abs(suggestion.score - sum(f.contribution for f in suggestion.factors)) < 1e-4


def test_every_suggestion_has_a_reason_naming_only_factors_that_counted(
    tactful: Tactful, demo_data: OnlineRetailData
) -> None:
    shoppers = [s for s, _ in Counter(e.shopper_id for e in demo_data.events).most_common(25)]
    checked = 0
    for shopper in shoppers:
        for mode, query in [("browsing", None), ("purchase", None), ("gift", "teapot")]:
            for suggestion in tactful.recommend(shopper, k=10, mode=mode, query=query):
                check_reason(suggestion)
                checked += 1
    assert checked == len(shoppers) * 30


def test_why_shows_the_breakdown_with_the_evidence_behind_it(
    tactful: Tactful, demo_shopper: str
) -> None:
    shown = tactful.chat(demo_shopper, "show me something")
    why = tactful.chat(demo_shopper, "why the first one?", conversation_id=shown.conversation_id)
    first = shown.suggestions[0]

    assert first.item.title in why.text
    assert first.reason in why.text
    breakdown = explain(first)
    assert [f.name for f in breakdown.factors] == [f.name for f in first.factors]
    assert any(f.cited for f in breakdown.factors)
    taste = first.factor(FactorName.TASTE)
    if taste is not None:
        assert taste.evidence[0].label in why.text


def test_a_correction_changes_the_very_next_answer(tactful: Tactful, demo_shopper: str) -> None:
    before = tactful.chat(demo_shopper, "show me candles")
    assert any("candle" in s.item.title.lower() for s in before.suggestions)

    tactful.chat(demo_shopper, "I'm not into candles", conversation_id=before.conversation_id)
    after = tactful.recommend(demo_shopper, k=10)

    assert not any("candle" in s.item.title.lower() for s in after)


def _relies_on(suggestions: list[Suggestion], fact_id: str) -> bool:
    return any(e.ref == fact_id for s in suggestions for f in s.factors for e in f.evidence)


def test_after_forget_no_suggestion_relies_on_the_forgotten_fact(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "I love owls")
    (fact,) = reply.facts_changed
    assert _relies_on(reply.suggestions, fact.fact_id)

    tactful.forget(demo_shopper, fact.fact_id)

    for mode in ("browsing", "purchase", "research"):
        for query in (None, "owl", "cushion"):
            assert not _relies_on(
                tactful.recommend(demo_shopper, k=20, mode=mode, query=query), fact.fact_id
            )
    profile = tactful.profile(demo_shopper)
    (kept,) = [f for f in profile.facts if f.fact_id == fact.fact_id]
    assert kept.status is FactStatus.RETRACTED
    actions = [a.action for a in tactful.records.audit_for(demo_shopper)]
    assert "fact.add" in actions and "fact.forgotten" in actions


def test_forgetting_an_unknown_fact_is_a_clear_error(tactful: Tactful, demo_shopper: str) -> None:
    with pytest.raises(UnknownFact, match="no fact 'f-nope'"):
        tactful.forget(demo_shopper, "f-nope")


def test_switching_personalization_off_gives_non_personal_suggestions(
    tactful: Tactful, demo_shopper: str
) -> None:
    reply = tactful.chat(demo_shopper, "stop personalizing")
    assert reply.personalized is False
    for suggestion in tactful.recommend(demo_shopper, k=10):
        names = {f.name for f in suggestion.factors}
        assert not names & {FactorName.TASTE, FactorName.STATED, FactorName.COMMUNITY}
    back = tactful.chat(demo_shopper, "turn personalization back on")
    assert back.personalized is True
