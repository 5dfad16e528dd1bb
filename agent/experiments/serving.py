"""The curated and hybrid arms' lists, built from a staff list and tactful's ranking.

Each item a person chose carries a ``curated`` factor whose evidence is the list (and
the note staff wrote for the item), so its reason says that a person chose it, and the
score stays the sum of its factors.
"""

from __future__ import annotations

import numpy as np

from agent.experiments.curation import CuratedList
from tools.catalog_index import CatalogIndex
from tools.types import Evidence, EvidenceKind, Factor, FactorName, Suggestion

#: Evidence refs of a curated factor: the list's id is the first piece's ref; the note's
#: piece has this one.
NOTE_REF = "note"
#: What staff order is worth in the curated arm: the first of n items scores n times
#: this, the last once, so scores fall in the order staff gave.
CURATED_STEP = 0.1
#: How far a hybrid pool item is put above the best of tactful's own fill.
HYBRID_MARGIN = 0.01


def curated_factor(lst: CuratedList, item_id: str, contribution: float) -> Factor:
    evidence = [Evidence.of(EvidenceKind.LIST, lst.list_id, lst.name, contribution)]
    note = lst.note_for(item_id)
    if note:
        evidence.append(Evidence.of(EvidenceKind.LIST, NOTE_REF, note, contribution))
    return Factor(name=FactorName.CURATED, contribution=contribution, evidence=evidence)


def curated(
    lst: CuratedList, catalog: CatalogIndex, allowed: np.ndarray, k: int
) -> list[Suggestion]:
    """The curated arm: the list's items in staff order, those the request allows
    (``allowed`` is a mask over the catalog's rows), at most ``k``."""
    chosen: list[int] = []
    for item in lst.items:
        row = catalog.row(item.item_id)
        if row is not None and allowed[row]:
            chosen.append(row)
        if len(chosen) == k:
            break
    suggestions = []
    for place, row in enumerate(chosen):
        product = catalog.items[row]
        score = CURATED_STEP * (len(chosen) - place)
        factor = curated_factor(lst, product.item_id, score)
        suggestions.append(Suggestion(item=product, score=score, factors=[factor]))
    return suggestions


def hybrid(
    lst: CuratedList, pool: list[Suggestion], fill: list[Suggestion], k: int
) -> list[Suggestion]:
    """The hybrid arm: the staff pool as tactful ranked it for the shopper, first; then
    tactful's own picks (``fill``, best first) in the slots the pool leaves.

    The curated factor is exactly what puts a pool item above the fill, so the list stays
    in score order and each reason is true to its score.
    """
    pool = pool[:k]
    in_pool = {s.item.item_id for s in pool}
    fill = [s for s in fill if s.item.item_id not in in_pool][: k - len(pool)]
    if not pool:
        return fill
    lowest = min(s.score for s in pool)
    best_fill = max((s.score for s in fill), default=lowest)
    lift = max(best_fill - lowest, 0.0) + HYBRID_MARGIN
    lifted = [
        s.model_copy(
            update={
                "score": s.score + lift,
                "factors": [*s.factors, curated_factor(lst, s.item.item_id, lift)],
            }
        )
        for s in pool
    ]
    return lifted + fill
