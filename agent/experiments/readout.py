"""Works out an experiment's readout from what exposed shoppers did.

The primary metrics, which the verdict speaks of, are the thumbs-up share (satisfaction)
and click-through (engagement): both exist wherever suggestions are shown, in chat and
on a page. Every other metric is reported beside them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

import numpy as np

from agent.experiments import stats
from agent.experiments.metrics import (
    METRICS,
    ArmValues,
    Metric,
    ShopperRecord,
    tally,
)
from agent.experiments.model import PERSONALIZATION_OFF, Arm, Experiment, Exposure
from agent.experiments.report import (
    ExperimentReport,
    Interval,
    Lift,
    MetricResult,
    SampleRatioResult,
)
from agent.stores.records import RecordStore
from agent.stores.sql.experiments import outcomes

PRIMARY_SATISFACTION = "thumbs_up"
PRIMARY_ENGAGEMENT = "click_through"
#: Below this many exposed shoppers in any arm, nothing is concluded.
MIN_SHOPPERS = 100
ALPHA = 0.05


def build(
    experiment: Experiment,
    records: Iterable[ShopperRecord],
    assigned: Iterable[tuple[int, str, int]],
    prices: Callable[[str], float | None],
    now: datetime,
) -> ExperimentReport:
    """The report from exposed shoppers' records and the assignment counts
    ((period, arm, shoppers) over exposed shoppers)."""
    values = tally(records, prices)
    arms = [a.value for a in experiment.arms]
    control = experiment.control.value
    shoppers = {arm: values[arm].shoppers if arm in values else 0 for arm in arms}
    srm = _sample_ratio(experiment, assigned)
    metrics = [_metric(m, values, arms, control, experiment.guardrail_margin) for m in METRICS]
    off = values.get(PERSONALIZATION_OFF)
    return ExperimentReport(
        key=experiment.key,
        status=experiment.status.value,
        bucket_version=experiment.bucket_version,
        control=control,
        arms=arms,
        started_at=experiment.started_at,
        computed_at=now,
        guardrail_margin=experiment.guardrail_margin,
        shoppers=shoppers,
        personalization_off_shoppers=off.shoppers if off else 0,
        sample_ratio=srm,
        blocked=not srm.passed,
        verdict=verdict(metrics, shoppers, srm, control, experiment.guardrail_margin),
        metrics=metrics,
        personalization_off=(
            {m.name: _interval(_sample(off, m.name), m) for m in METRICS} if off else {}
        ),
    )


def _sample(values: ArmValues, name: str) -> stats.Sample:
    return stats.Sample(values.numerators[name], values.denominators[name])


def _interval(sample: stats.Sample, metric: Metric) -> Interval:
    """The estimate with its interval, kept within what the metric can be: no metric is
    below 0, and no share above 1."""
    found = stats.estimate(sample, ALPHA)
    low, high = _finite(found.low), _finite(found.high)
    return Interval(
        value=_finite(found.value),
        low=None if low is None else max(low, 0.0),
        high=None if high is None else min(high, 1.0) if metric.share else high,
        n=found.n,
    )


def _at_least_all_lost(value: float) -> float | None:
    """A lower bound of a lift: no metric here falls by more than all of it (-100 %)."""
    return None if not math.isfinite(value) else max(value, -1.0)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _metric(
    metric: Metric, values: dict[str, ArmValues], arms: list[str], control: str, margin: float
) -> MetricResult:
    samples = {
        arm: _sample(values[arm], metric.name)
        if arm in values
        else stats.Sample(np.zeros(0), np.zeros(0) if metric.ratio else None)
        for arm in arms
    }
    if metric.capped:
        pooled = [v for s in samples.values() for v in s.values.tolist()]
        samples = {
            arm: stats.Sample(stats.capped(s.values, reference=pooled) if pooled else s.values)
            for arm, s in samples.items()
        }
    treatments = [a for a in arms if a != control]
    compared = {a: stats.compare(samples[control], samples[a], ALPHA) for a in treatments}
    adjusted = dict(
        zip(treatments, stats.holm([compared[a].p_value for a in treatments]), strict=True)
    )
    lifts = {}
    for arm in treatments:
        c = compared[arm]
        lift = Lift(
            lift=_finite(c.lift),
            low=_at_least_all_lost(c.low),
            high=_finite(c.high),
            p_value=c.p_value,
            p_adjusted=adjusted[arm],
            sequential_low=_at_least_all_lost(c.sequential_low),
            sequential_high=_finite(c.sequential_high),
            significant=c.enough_data and adjusted[arm] < ALPHA,
        )
        if metric.guardrail and c.enough_data:
            check = stats.non_inferior(samples[control], samples[arm], margin, ALPHA)
            lift.upper = _finite(check.upper)
            lift.non_inferior = check.passed
        lifts[arm] = lift
    return MetricResult(
        name=metric.name,
        label=metric.label,
        family=metric.family.value,
        higher_is_better=metric.higher_is_better,
        guardrail=metric.guardrail,
        arms={arm: _interval(samples[arm], metric) for arm in arms},
        lifts=lifts,
    )


def _sample_ratio(
    experiment: Experiment, assigned: Iterable[tuple[int, str, int]]
) -> SampleRatioResult:
    """Exposed shoppers per arm against what the weights of their assignment periods
    lead one to expect."""
    observed: dict[str, int] = defaultdict(int)
    expected: dict[str, float] = defaultdict(float)
    by_period: dict[int, int] = defaultdict(int)
    for period, arm, n in assigned:
        observed[arm] += n
        by_period[period] += n
    history = experiment.weights_history or [experiment.weights]
    for period, n in by_period.items():
        weights = history[min(period, len(history) - 1)]
        total = sum(weights.values())
        for arm, weight in weights.items():
            expected[arm.value] += n * weight / total
    arms = [a.value for a in experiment.arms]
    total = sum(expected[a] for a in arms)
    shares = {a: expected[a] / total if total else experiment.weights[Arm(a)] for a in arms}
    check = stats.sample_ratio_check({a: observed[a] for a in arms}, shares)
    return SampleRatioResult(
        p_value=check.p_value,
        passed=check.passed,
        observed=check.observed,
        expected=check.expected,
    )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f} %"


def _moved(lift: Lift) -> str:
    return "raised" if (lift.lift or 0) > 0 else "lowered"


def _size(lift: Lift) -> str:
    """How big a lift is, without its sign: the verb says which way."""
    return "n/a" if lift.lift is None else f"{abs(lift.lift) * 100:.1f} %"


def _span(lift: Lift, *, sequential: bool = False) -> str:
    low, high = (lift.sequential_low, lift.sequential_high) if sequential else (lift.low, lift.high)
    return f"95 % CI {_percent(low)} to {_percent(high)}"


def verdict(
    metrics: list[MetricResult],
    shoppers: dict[str, int],
    srm: SampleRatioResult,
    control: str,
    margin: float,
) -> str:
    """One paragraph: what each treatment did to satisfaction and engagement, or why
    nothing can be said yet."""
    if not srm.passed:
        counts = ", ".join(f"{a} {n:,}" for a, n in srm.observed.items())
        return (
            f"Readout blocked: the shoppers per arm ({counts}) are not what the weights say "
            f"(sample-ratio check p = {srm.p_value:.2g}). Assignment or exposure logging "
            "is losing shoppers unevenly; find why before reading any result."
        )
    few = [a for a, n in shoppers.items() if n < MIN_SHOPPERS]
    if few:
        counts = ", ".join(f"{a} {n:,}" for a, n in shoppers.items())
        return (
            f"Not enough data yet: {counts} exposed shoppers; every arm needs at least "
            f"{MIN_SHOPPERS}."
        )
    by_name = {m.name: m for m in metrics}
    satisfaction = by_name[PRIMARY_SATISFACTION]
    engagement = by_name[PRIMARY_ENGAGEMENT]
    sentences = []
    for arm in (a for a in shoppers if a != control):
        sentences.append(_arm_sentence(arm, control, satisfaction, engagement, metrics, margin))
    return " ".join(sentences)


def _arm_sentence(
    arm: str,
    control: str,
    satisfaction: MetricResult,
    engagement: MetricResult,
    metrics: list[MetricResult],
    margin: float,
) -> str:
    sat, eng = satisfaction.lifts[arm], engagement.lifts[arm]
    if sat.lift is None:
        said = f"{arm}: not enough feedback yet to compare the {satisfaction.label} with {control}"
    elif sat.significant:
        said = f"{arm} {_moved(sat)} the {satisfaction.label} by {_size(sat)} ({_span(sat)})"
    else:
        said = (
            f"{arm}: no clear difference in the {satisfaction.label} from {control} yet "
            f"({_percent(sat.lift)}, {_span(sat)})"
        )
    engaged = f"{engagement.label} {_percent(eng.lift)}, {_span(eng)}"
    if eng.lift is None:
        said += "; engagement cannot be compared yet"
    elif eng.significant:
        if sat.significant and sat.lift is not None:
            joined = "and" if (sat.lift > 0) == (eng.lift > 0) else "but"
        else:
            joined = "but" if eng.lift < 0 else "and"
        said += f", {joined} {_moved(eng)} {engagement.label} by {_size(eng)} ({_span(eng)})"
    elif eng.low is not None and eng.low > -margin:
        # Not hurt means shown to lose less than the margin, not merely no significant loss.
        said += f" without hurting engagement ({engaged})"
    else:
        said += f"; engagement shows no clear change yet ({engaged})"
    harmed = [
        m.label
        for m in metrics
        if m.guardrail and m.lifts[arm].lift is not None and not m.lifts[arm].non_inferior
    ]
    if harmed:
        said += f"; not shown to stay within {margin * 100:.0f} % of {control} on: " + ", ".join(
            harmed
        )
    return said + "."


def shopper_records(records: RecordStore, exposures: list[Exposure]) -> list[ShopperRecord]:
    """What each exposed shopper did, read from the record store."""
    by_shopper: dict[str, list[Exposure]] = defaultdict(list)
    for exposure in exposures:
        by_shopper[exposure.shopper_id].append(exposure)
    return outcomes(records.engine, by_shopper)
