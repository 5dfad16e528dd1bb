"""Calibrate the clarification rule's thresholds on the VALIDATION split only.

Every replayed real purchase and every injected one is assessed once (text
similarity to the history, taste percentile, top-10 change); the rule is a threshold
function of those numbers, so a grid over the thresholds costs nothing more. Only the
fit thresholds are searched: how many suggestions an event must change to be worth a
question is the definition of consequential, not a setting. Recall counts the
consequential injected events; precision, every question. The rule with the most
recall among those at least ``PRECISION_FLOOR`` precise becomes `ClarifyConfig`'s
defaults; the test split is never seen. The grid and the choice are the product's own
(:mod:`agent.policy.calibration`, which ``tactful tune`` runs on a shop's history).

    python -m bench.tact.calibrate [--customers N]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from agent.embedding import load_default_embedder
from agent.policy.calibration import Case, consequential_injected, grid
from agent.policy.clarify import Assessment
from bench.ranking.datasets import load_online_retail
from bench.ranking.splits import online_retail_splits
from bench.tact.collapse import inject, plan_replays
from bench.tact.stores import import_split, open_home

RESULTS = Path(__file__).resolve().parents[1] / "results"
CACHE = Path(__file__).resolve().parents[1] / ".cache"
SEED = 20111001


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
        "consequential_injected": consequential_injected(cases),
        "best": rows[0],
        "top": rows[:10],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "clarify_calibration.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
