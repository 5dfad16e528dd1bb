"""Does "forget" work at once? State a liking, forget it, check the very next answer."""

from __future__ import annotations

from dataclasses import dataclass

from agent.domain import Suggestion
from agent.facade import Tactful

#: Likings a shopper might state; each matches some items of the Online Retail catalog.
LIKINGS = ("owls", "hearts", "vintage style", "roses", "birds", "stars", "polka dots")


@dataclass
class ControlResult:
    forgets: int = 0
    effective: int = 0
    relied_before: int = 0

    def summary(self) -> dict[str, float | int]:
        return {
            "forgets": self.forgets,
            "share_effective_next_answer": round(self.effective / self.forgets, 6)
            if self.forgets
            else 0.0,
            "share_where_fact_counted_before": round(self.relied_before / self.forgets, 6)
            if self.forgets
            else 0.0,
        }


def check_shopper(tactful: Tactful, shopper_id: str, index: int, result: ControlResult) -> None:
    """One liking stated in chat, then forgotten (alternately by API and in chat)."""
    liking = LIKINGS[index % len(LIKINGS)]
    reply = tactful.chat(shopper_id, f"I love {liking}")
    facts = [f for f in reply.facts_changed if f.polarity > 0]
    if not facts:
        return
    fact = facts[0]
    result.forgets += 1
    result.relied_before += _relies_on(reply.suggestions, fact.fact_id)
    if index % 2:
        tactful.forget(shopper_id, fact.fact_id)
        after = tactful.recommend(shopper_id, k=10)
    else:
        after = tactful.chat(
            shopper_id, f"forget that I love {liking}", conversation_id=reply.conversation_id
        ).suggestions
    result.effective += not _relies_on(after, fact.fact_id)


def _relies_on(suggestions: list[Suggestion], fact_id: str) -> bool:
    return any(e.ref == fact_id for s in suggestions for f in s.factors for e in f.evidence)
