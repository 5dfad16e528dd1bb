"""Proof that the experiment statistics are honest, on seeded synthetic shoppers.

``python -m bench.experiments.statistics`` prints, as JSON, how often the report's machinery
(``agent.experiments.stats`` and ``agent.experiments.bucketing``) would mislead:

- **A/A**: three identical arms; how often a Holm-adjusted comparison calls a winner.
- **Peeking**: two identical arms read 20 times as shoppers arrive; how often any look's
  fixed interval, and any look's always-valid interval, excludes a lift of 0.
- **Planted effect**: +10 % on the click-through rate of one arm; how often it is found
  and how often the 95 % interval covers the true lift.
- **Sample ratio**: whether the mismatch check passes on real assignments, trips when 3 %
  of one arm's shoppers go missing, and how often it trips on untouched assignments.

Each part reports its numbers, its target and whether the target was met.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from agent.experiments.bucketing import assign
from agent.experiments.stats import Comparison, Sample, capped, compare, holm, sample_ratio_check

ARMS = ("ai", "curated", "hybrid")
ALPHA = 0.05

AA_SHOPPERS = 2_000
AA_TARGET = (0.03, 0.07)

# The first of the 20 looks comes at 500 shoppers an arm, by when the 5 % conversion has
# about 25 conversions an arm: fewer, and the normal approximation itself, not peeking,
# would decide the error rate.
PEEK_SHOPPERS = 10_000
PEEK_LOOKS = 20
PEEK_SEQUENTIAL_AT_MOST = 0.05
PEEK_NAIVE_ABOVE = 0.10

# Sized so that a +10 % click-through lift is found about nine times in ten after Holm.
PLANTED_SHOPPERS = 4_000
PLANTED_LIFT = 0.10
PLANTED_ARM = 2
PLANTED_COVERAGE_AT_LEAST = 0.93

SRM_SHOPPERS = 90_000
SRM_DROP = 0.03
SRM_THRESHOLD = 0.001
# Assignment is pure Python (about 6 µs a shopper), so the repeated A/A check uses fewer
# shoppers per experiment key than the single 90,000-shopper check.
SRM_AA_SHOPPERS = 30_000

Generator = np.random.Generator
Metric = Callable[[Generator, int, float], Sample]


def _conversion(rng: Generator, n: int, lift: float = 0.0) -> Sample:
    """Bought or not, at about 5 %."""
    return Sample(rng.random(n) < 0.05 * (1 + lift))


def _click_through(rng: Generator, n: int, lift: float = 0.0) -> Sample:
    """Clicks per impression: impressions vary widely between shoppers (1 to ~60, mean 10)
    and so does each shopper's own click rate (Beta(2, 18), mean 10 %)."""
    impressions = 1 + rng.negative_binomial(2, 2 / 11, n)
    rates = rng.beta(2, 18, n) * (1 + lift)
    return Sample(rng.binomial(impressions, rates), impressions)


def _revenue(rng: Generator, n: int, lift: float = 0.0) -> Sample:
    """Revenue per shopper: 5 % buy, for a long-tailed amount (log-normal, mean 60)."""
    bought = rng.random(n) < 0.05
    sigma = 1.2
    amounts = rng.lognormal(np.log(60) - sigma**2 / 2, sigma, n) * (1 + lift)
    return Sample(np.where(bought, amounts, 0.0))


def _capped_arms(samples: list[Sample]) -> list[Sample]:
    """Every arm winsorized at the pooled 99th percentile, as the report caps revenue."""
    pooled = np.concatenate([s.values for s in samples])
    return [Sample(capped(s.values, 0.99, reference=pooled)) for s in samples]


AA_METRICS: dict[str, Metric] = {
    "conversion": _conversion,
    "click_through": _click_through,
    "revenue_capped": _revenue,
}


def _any_holm_positive(comparisons: list[Comparison]) -> bool:
    return min(holm([c.p_value for c in comparisons])) < ALPHA


def _aa(rng: Generator, runs: int) -> dict[str, Any]:
    false_positives = dict.fromkeys(AA_METRICS, 0)
    for _ in range(runs):
        for name, metric in AA_METRICS.items():
            arms = [metric(rng, AA_SHOPPERS, 0.0) for _ in ARMS]
            if name == "revenue_capped":
                arms = _capped_arms(arms)
            comparisons = [compare(arms[0], treatment, ALPHA) for treatment in arms[1:]]
            false_positives[name] += _any_holm_positive(comparisons)
    rates = {name: count / runs for name, count in false_positives.items()}
    low, high = AA_TARGET
    return {
        "runs": runs,
        "arms": list(ARMS),
        "shoppers_per_arm": AA_SHOPPERS,
        "false_positive_rate": rates,
        "target": list(AA_TARGET),
        "met": all(low <= rate <= high for rate in rates.values()),
    }


def _prefix(sample: Sample, n: int) -> Sample:
    denominators = None if sample.denominators is None else sample.denominators[:n]
    return Sample(sample.values[:n], denominators)


def _peeking(rng: Generator, runs: int) -> dict[str, Any]:
    metrics: dict[str, Metric] = {"conversion": _conversion, "click_through": _click_through}
    looks = [PEEK_SHOPPERS * (k + 1) // PEEK_LOOKS for k in range(PEEK_LOOKS)]
    naive = dict.fromkeys(metrics, 0)
    sequential = dict.fromkeys(metrics, 0)
    for _ in range(runs):
        for name, metric in metrics.items():
            control = metric(rng, PEEK_SHOPPERS, 0.0)
            treatment = metric(rng, PEEK_SHOPPERS, 0.0)
            naive_hit = sequential_hit = False
            for n in looks:
                result = compare(_prefix(control, n), _prefix(treatment, n), ALPHA)
                naive_hit = naive_hit or not result.low <= 0 <= result.high
                sequential_hit = sequential_hit or not (
                    result.sequential_low <= 0 <= result.sequential_high
                )
            naive[name] += naive_hit
            sequential[name] += sequential_hit
    naive_rates = {name: count / runs for name, count in naive.items()}
    sequential_rates = {name: count / runs for name, count in sequential.items()}
    return {
        "runs": runs,
        "looks": PEEK_LOOKS,
        "shoppers_per_arm": PEEK_SHOPPERS,
        "naive_false_positive_rate": naive_rates,
        "sequential_false_positive_rate": sequential_rates,
        "target": {"sequential_at_most": PEEK_SEQUENTIAL_AT_MOST, "naive_above": PEEK_NAIVE_ABOVE},
        "met": all(rate <= PEEK_SEQUENTIAL_AT_MOST for rate in sequential_rates.values())
        and all(rate > PEEK_NAIVE_ABOVE for rate in naive_rates.values()),
    }


def _planted(rng: Generator, runs: int) -> dict[str, Any]:
    detected = covered = sequentially_covered = other_arm_positive = 0
    lifts: list[float] = []
    for _ in range(runs):
        arms = [
            _click_through(rng, PLANTED_SHOPPERS, PLANTED_LIFT if i == PLANTED_ARM else 0.0)
            for i in range(len(ARMS))
        ]
        comparisons = [compare(arms[0], treatment, ALPHA) for treatment in arms[1:]]
        adjusted = holm([c.p_value for c in comparisons])
        planted = comparisons[PLANTED_ARM - 1]
        lifts.append(planted.lift)
        detected += adjusted[PLANTED_ARM - 1] < ALPHA and planted.lift > 0
        covered += planted.low <= PLANTED_LIFT <= planted.high
        sequentially_covered += planted.sequential_low <= PLANTED_LIFT <= planted.sequential_high
        other_arm_positive += adjusted[2 - PLANTED_ARM] < ALPHA
    coverage = covered / runs
    return {
        "runs": runs,
        "metric": "click_through",
        "arm": ARMS[PLANTED_ARM],
        "true_lift": PLANTED_LIFT,
        "shoppers_per_arm": PLANTED_SHOPPERS,
        "mean_estimated_lift": float(np.mean(lifts)),
        "detection_rate": detected / runs,
        "coverage": coverage,
        "sequential_coverage": sequentially_covered / runs,
        "untouched_arm_false_positive_rate": other_arm_positive / runs,
        "target": {"coverage_at_least": PLANTED_COVERAGE_AT_LEAST},
        "met": coverage >= PLANTED_COVERAGE_AT_LEAST,
    }


def _arm_counts(key: str, shopper_ids: list[str]) -> list[int]:
    counts = [0] * len(ARMS)
    weights = [1.0] * len(ARMS)
    for shopper_id in shopper_ids:
        counts[assign(key, shopper_id, weights)] += 1
    return counts


def _srm(seed: int, runs: int) -> dict[str, Any]:
    weights = dict.fromkeys(ARMS, 1.0)
    shopper_ids = [f"shopper-{i:06d}" for i in range(SRM_SHOPPERS)]
    counts = dict(zip(ARMS, _arm_counts(f"srm-{seed}", shopper_ids), strict=True))
    untouched = sample_ratio_check(counts, weights, SRM_THRESHOLD)

    # Shoppers lost from one arm only, as when its page fails to log them.
    dropped = round(counts[ARMS[0]] * SRM_DROP)
    after = {**counts, ARMS[0]: counts[ARMS[0]] - dropped}
    broken = sample_ratio_check(after, weights, SRM_THRESHOLD)

    keys = max(runs // 5, 20)
    aa_ids = shopper_ids[:SRM_AA_SHOPPERS]
    failures = 0
    for k in range(keys):
        aa_counts = dict(zip(ARMS, _arm_counts(f"srm-aa-{seed}-{k}", aa_ids), strict=True))
        failures += not sample_ratio_check(aa_counts, weights, SRM_THRESHOLD).passed
    return {
        "shoppers": SRM_SHOPPERS,
        "counts": counts,
        "p_value": untouched.p_value,
        "passed": untouched.passed,
        "after_dropping": {
            "arm": ARMS[0],
            "share": SRM_DROP,
            "shoppers": dropped,
            "counts": after,
            "p_value": broken.p_value,
            "passed": broken.passed,
        },
        "aa_keys": keys,
        "aa_shoppers_per_key": SRM_AA_SHOPPERS,
        "aa_failure_rate": failures / keys,
        "target": {
            "untouched_passes": True,
            "after_dropping_fails_below": SRM_THRESHOLD,
            "aa_failure_rate_about": SRM_THRESHOLD,
        },
        "met": untouched.passed and not broken.passed,
    }


def run(seed: int = 20261204, runs: int = 1000) -> dict[str, Any]:
    """Every check, each with its numbers, its target and whether it was met.

    ``runs`` simulated experiments feed the A/A, peeking and planted-effect checks (one
    seeded generator for all), and ``runs / 5`` experiment keys the repeated
    sample-ratio check.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    result: dict[str, Any] = {
        "seed": seed,
        "aa": _aa(rng, runs),
        "peeking": _peeking(rng, runs),
        "planted": _planted(rng, runs),
        "srm": _srm(seed, runs),
    }
    result["met"] = all(result[part]["met"] for part in ("aa", "peeking", "planted", "srm"))
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
