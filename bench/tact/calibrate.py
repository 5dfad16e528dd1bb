"""Calibrate the clarification rule's thresholds on the VALIDATION split only.

Every replayed real purchase and every injected one is assessed once (text
similarity to the history, taste percentile, top-10 change); the rule is a threshold
function of those numbers, so a grid over the thresholds costs nothing more. Only the
fit thresholds are searched: how many suggestions an event must change to be worth a
question is the definition of consequential, not a setting. Recall counts the
consequential injected events; precision, every question. The rule with the most
recall among those at least :data:`PRECISION_FLOOR` precise becomes `ClarifyConfig`'s
defaults; the test split is never seen.

    python -m bench.tact.calibrate [--customers N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.embedding import load_default_embedder
from agent.policy.clarify import CONSEQUENTIAL_CHANGE, Assessment, ClarifyConfig
from bench.ranking.datasets import load_online_retail
from bench.ranking.splits import online_retail_splits
from bench.tact.collapse import inject, plan_replays
from bench.tact.stores import import_split, open_home

RESULTS = Path(__file__).resolve().parents[1] / "results"
CACHE = Path(__file__).resolve().parents[1] / ".cache"
SEED = 20111001
SIMILARITY_GRID = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
PERCENTILE_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
#: Questions that are wrong more often than this cost more trust than they save.
PRECISION_FLOOR = 0.8


@dataclass
class Case:
    injected: bool
    assessment: Assessment


def collect(customers: int) -> list[Case]:
    """Assess every replayed and injected event of a sample of validation customers."""
    split = online_retail_splits(load_online_retail())["validation"]
    chosen = sorted(random.Random(SEED).sample(split.users, min(customers, len(split.users))))
    plans = plan_replays(split, chosen)
    embedder = load_default_embedder()
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="tactful-calibrate-") as workdir:
        home = Path(workdir) / "home"
        import_split(split, home, embedder, held_back={e.event_id for p in plans for e in p.replay})
        with open_home(home, split, embedder) as tactful:
            inject(split, plans, tactful, SEED)
            for plan in plans:
                events = plan.replay + ([plan.injected] if plan.injected else [])
                tactful.record_events(events, clarify=False)
                for event in events:
                    assessment = tactful.clarifier.assess(event, always_impact=True)
                    if assessment is not None:
                        cases.append(Case(event is plan.injected, assessment))
    return cases


def grid(cases: list[Case]) -> list[dict[str, Any]]:
    """Precision, recall and questions for every threshold combination."""
    consequential = _consequential_injected(cases)
    rows = []
    for similarity, percentile in itertools.product(SIMILARITY_GRID, PERCENTILE_GRID):
        rule = ClarifyConfig(fit_similarity=similarity, fit_percentile=percentile)
        asked = [c for c in cases if rule.asks_about(c.assessment)]
        hits = sum(c.injected for c in asked)
        precision = hits / len(asked) if asked else 0.0
        recall = hits / consequential if consequential else 0.0
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        rows.append(
            {
                "fit_similarity": similarity,
                "fit_percentile": percentile,
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "questions": len(asked),
            }
        )
    # The most recall among rules precise enough to be worth the shopper's time.
    return sorted(
        rows, key=lambda r: (r["precision"] < PRECISION_FLOOR, -r["recall"], -r["precision"])
    )


def _consequential_injected(cases: list[Case]) -> int:
    return sum(c.injected and (c.assessment.changed or 0) >= CONSEQUENTIAL_CHANGE for c in cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=600)
    args = parser.parse_args()
    # v2: the impact is measured on the list as served in the default mode.
    cache = CACHE / f"clarify-cases-v2-{args.customers}.json"
    if cache.exists():  # assessing is the slow part; the grid is instant
        cases = [
            Case(c["injected"], Assessment(**c["assessment"]))
            for c in json.loads(cache.read_text())
        ]
    else:
        cases = collect(args.customers)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(
            json.dumps(
                [{"injected": c.injected, "assessment": c.assessment.model_dump()} for c in cases]
            )
        )
    rows = grid(cases)
    result = {
        "split": "online-retail validation (cut 2011-10-01)",
        "customers": args.customers,
        "cases": len(cases),
        "injected": sum(c.injected for c in cases),
        "consequential_injected": _consequential_injected(cases),
        "best": rows[0],
        "top": rows[:10],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "clarify_calibration.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
