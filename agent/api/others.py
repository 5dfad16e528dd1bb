"""What the API says about other shoppers behind a suggestion: how many, never who.

The ranker cites every similar shopper whose choice a community score counts, by id (the
faithfulness checks remove them one by one). Over HTTP that would tell a shopper who
else bought the item, so each factor's similar shoppers become one piece of evidence:
the summary the reason already uses ("12 shoppers with baskets like yours"), with their
summed likeness as its weight. The Python API keeps them all, for the shop's own code.
Recommendations ask the ranker for them folded (``name_shoppers=False``), which spares
making hundreds of citations per list only to fold them; what else cites them is folded
here.
"""

from __future__ import annotations

from agent.domain import Reply
from tools.explain import Explanation
from tools.ranker import SIMILAR_SHOPPERS_REF
from tools.types import Evidence, EvidenceKind, Factor, Suggestion


def unnamed(evidence: list[Evidence]) -> list[Evidence]:
    """``evidence`` with its similar shoppers folded into one unnamed entry."""
    others: list[Evidence] = []
    label, weight, found = "", 0.0, 0
    for piece in evidence:
        if piece.kind is not EvidenceKind.SHOPPER:
            others.append(piece)
            continue
        label, weight, found = label or piece.label, weight + piece.weight, found + 1
    if not found or (found == 1 and evidence[0].ref == SIMILAR_SHOPPERS_REF):
        return evidence  # nobody named, or folded already
    together = Evidence.of(EvidenceKind.SHOPPER, SIMILAR_SHOPPERS_REF, label, round(weight, 6))
    return [together, *others]


def public_suggestions(suggestions: list[Suggestion]) -> list[Suggestion]:
    return [_public_suggestion(s) for s in suggestions]


def _public_suggestion(suggestion: Suggestion) -> Suggestion:
    """The suggestion with its similar shoppers folded; itself when it names none."""
    factors = [_public_factor(f) for f in suggestion.factors]
    if all(new is old for new, old in zip(factors, suggestion.factors, strict=True)):
        return suggestion
    return suggestion.model_copy(update={"factors": factors})


def _public_factor(factor: Factor) -> Factor:
    """The factor with its similar shoppers folded; itself when it cites none."""
    folded = unnamed(factor.evidence)
    if folded is factor.evidence:
        return factor
    return factor.model_copy(update={"evidence": folded})


def public_reply(reply: Reply) -> Reply:
    return reply.model_copy(update={"suggestions": public_suggestions(reply.suggestions)})


def public_explanation(explanation: Explanation) -> Explanation:
    lines = [f.model_copy(update={"evidence": unnamed(f.evidence)}) for f in explanation.factors]
    return explanation.model_copy(update={"factors": lines})
