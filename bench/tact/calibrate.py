"""Calibrate the clarification rule on the VALIDATION split only.

Every replayed real purchase and every injected one is assessed once (its fit
signals against the history, and its top-10 change); the rule is a function of those
numbers, so fitting it costs nothing more. How many suggestions an event must change
to be worth a question is the definition of consequential, not a setting. Recall
counts the consequential injected events; precision, every question. The question
score's weights and threshold, and the fit thresholds for holding without a question,
become `ClarifyConfig`'s defaults; the test split is never seen. The fitting and the
choice are the product's own (:mod:`agent.policy.calibration`, which ``tactful tune``
runs on a shop's history).

Each injected event is also counted as it stands when held (at low weight, awaiting
an answer): how many of the ten it still changes, for the protection target.

    python -m bench.tact.calibrate [--customers N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

from agent.embedding import load_default_embedder
from agent.policy.calibration import (
    Case,
    choose,
    consequential_injected,
    fit_ask,
    grid,
    held_out_both_ways,
)
from agent.policy.clarify import CONSEQUENTIAL_CHANGE, Assessment
from bench.ranking.datasets import load_online_retail
from bench.ranking.splits import online_retail_splits
from bench.tact.collapse import inject, plan_replays
from bench.tact.stores import import_split, open_home
from tools.taste import Standing

RESULTS = Path(__file__).resolve().parents[1] / "results"
CACHE = Path(__file__).resolve().parents[1] / ".cache"
SEED = 20111001
#: Validation customers assessed (at most: the split has 934 to replay): all, for a steadier
#: fit than the test run's 400.
CUSTOMERS = 1200


def collect(customers: int) -> tuple[list[Case], list[int], int]:
    """Assess every replayed and injected event of a sample of validation customers;
    also how many of the ten each consequential injected event changes when held, and
    how many customers there were."""
    split = online_retail_splits(load_online_retail())["validation"]
    chosen = sorted(random.Random(SEED).sample(split.users, min(customers, len(split.users))))
    plans = plan_replays(split, chosen)
    embedder = load_default_embedder()
    cases: list[Case] = []
    held_moves: list[int] = []
    with tempfile.TemporaryDirectory(prefix="tactful-calibrate-") as workdir:
        home = Path(workdir) / "home"
        import_split(split, home, embedder, held_back={e.event_id for p in plans for e in p.replay})
        with open_home(home, split, embedder) as tactful:
            inject(split, plans, tactful, SEED)
            for done, plan in enumerate(plans):
                if done % 50 == 0:
                    print(f"[calibrate] {done} of {len(plans)} customers", file=sys.stderr)
                events = plan.replay + ([plan.injected] if plan.injected else [])
                tactful.record_events(events, clarify=False)
                for event in events:
                    assessment = tactful.clarifier.assess(event, always_impact=True)
                    if assessment is not None:
                        cases.append(Case(event is plan.injected, assessment))
                last = cases[-1] if cases else None
                consequential = (
                    (last.assessment.changed or 0) >= CONSEQUENTIAL_CHANGE if last else False
                )
                if (
                    plan.injected is not None
                    and last is not None
                    and last.injected
                    and consequential
                ):
                    held_moves.append(tactful.clarifier.impact(plan.injected, Standing.HELD))
    return cases, held_moves, len(plans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    args = parser.parse_args()
    # v3: co-purchase, neighbour, category and price signals; moves when held.
    cache = CACHE / f"clarify-cases-v3-{args.customers}.json"
    if cache.exists():  # assessing is the slow part; fitting is instant
        stored = json.loads(cache.read_text())
        cases = [Case(c["injected"], Assessment(**c["assessment"])) for c in stored["cases"]]
        held_moves = stored["held_moves"]
        customers = stored.get("customers", args.customers)
    else:
        cases, held_moves, customers = collect(args.customers)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(
            json.dumps(
                {
                    "cases": [
                        {"injected": c.injected, "assessment": c.assessment.model_dump()}
                        for c in cases
                    ],
                    "held_moves": held_moves,
                    "customers": customers,
                }
            )
        )
    rows = grid(cases)
    fitted = fit_ask(cases)
    both_ways = held_out_both_ways(cases)
    chosen = choose(cases)
    result = {
        "split": "online-retail validation (cut 2011-10-01)",
        "customers": customers,
        "cases": len(cases),
        "injected": sum(c.injected for c in cases),
        "consequential_injected": consequential_injected(cases),
        "chosen": chosen.model_dump() if chosen else None,
        "both_ways_held_out": dict(
            zip(("precision", "recall", "questions"), both_ways, strict=True)
        ),
        "ask": fitted.model_dump() if fitted else None,
        "held_consequential_injected_moving_more_than_2": sum(m > 2 for m in held_moves),
        "held_moves_max": max(held_moves, default=0),
        "hold_thresholds": rows[0],
        "both_ways_rule_top": rows[:10],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "clarify_calibration.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
