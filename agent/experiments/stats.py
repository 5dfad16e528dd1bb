"""The statistics of an experiment report: estimates, relative lifts, and the checks around them.

Every sample holds one value per shopper, because the shopper is the unit that was
randomised; events of one shopper are not independent and are summed per shopper first.
Lifts are relative (``treatment / control - 1``) with delta-method variances (Deng, Knoblich
and Lu, "Applying the Delta Method in Metric Analytics", KDD 2018).

Where a number cannot be computed honestly (a control mean of 0, fewer than two shoppers
in an arm, no variance at all) the functions return ``nan`` for the estimate and its
interval and a p-value of 1.0 rather than raising; a report prints "not enough data".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import stats as scipy_stats

FloatArray = npt.NDArray[np.float64]

# The scale of the normal mixture over relative lifts in the always-valid interval. At a
# given look the interval is narrowest when tau**2 is about 8 times the lift's variance (for
# alpha = 0.05), so 0.1 suits a lift whose standard error is about 3.5 %, where a fixed 95 %
# interval spans +/-7 %: the effects of 7 to 10 % that this shop's experiments are sized for.
DEFAULT_TAU = 0.1

_NAN = float("nan")


def _as_floats(values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"A sample holds one value per shopper; got shape {array.shape}.")
    return array


@dataclass(frozen=True)
class Sample:
    """One metric's values in one arm, one per shopper.

    A mean metric (converted or not, revenue) has only ``values``. A ratio metric (clicks
    per impression) has a numerator in ``values`` and a denominator in ``denominators``
    per shopper, and its mean is the ratio of the sums, not the mean of the ratios.
    """

    values: np.ndarray
    denominators: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _as_floats(self.values))
        if self.denominators is not None:
            denominators = _as_floats(self.denominators)
            if denominators.shape != self.values.shape:
                raise ValueError(
                    "A ratio metric needs one denominator per shopper: "
                    f"{self.values.size} values, {denominators.size} denominators."
                )
            object.__setattr__(self, "denominators", denominators)

    @property
    def n(self) -> int:
        """The number of shoppers."""
        return int(self.values.size)

    @property
    def mean(self) -> float:
        """The mean per shopper, or for a ratio metric the sum of values over the sum of
        denominators; ``nan`` when there are no shoppers or the denominators sum to 0."""
        if self.n == 0:
            return _NAN
        if self.denominators is None:
            return float(self.values.mean())
        total = float(self.denominators.sum())
        return float(self.values.sum()) / total if total != 0 else _NAN

    @property
    def variance_of_mean(self) -> float:
        """The variance of :attr:`mean` over repeated experiments; ``nan`` below two shoppers.

        For a ratio metric it is the delta method's (Deng et al. 2018): with per-shopper
        numerators Y and denominators X,
        ``(var Y / mx**2 - 2 my cov(X, Y) / mx**3 + my**2 var X / mx**4) / n``.
        """
        if self.n < 2:
            return _NAN
        if self.denominators is None:
            return float(self.values.var(ddof=1)) / self.n
        mean_y = float(self.values.mean())
        mean_x = float(self.denominators.mean())
        if mean_x == 0:
            return _NAN
        covariance = np.cov(self.values, self.denominators, ddof=1)
        var_y, cov_xy, var_x = covariance[0, 0], covariance[0, 1], covariance[1, 1]
        variance = (
            var_y / mean_x**2 - 2 * mean_y * cov_xy / mean_x**3 + mean_y**2 * var_x / mean_x**4
        ) / self.n
        # Rounding can leave a perfectly proportional ratio a hair below zero.
        return max(float(variance), 0.0)


@dataclass(frozen=True)
class Estimate:
    """One arm's value of a metric with its (1 - alpha) interval; ``nan`` bounds when the
    arm has fewer than two shoppers."""

    value: float
    low: float
    high: float
    n: int


def estimate(sample: Sample, alpha: float = 0.05) -> Estimate:
    """The arm's mean with a normal (1 - alpha) interval.

    With fewer than two shoppers the bounds are ``nan`` (and so is the value with none).
    """
    value = sample.mean
    variance = sample.variance_of_mean
    if not (math.isfinite(value) and math.isfinite(variance)):
        return Estimate(value=value, low=_NAN, high=_NAN, n=sample.n)
    half = _z(1 - alpha / 2) * math.sqrt(variance)
    return Estimate(value=value, low=value - half, high=value + half, n=sample.n)


@dataclass(frozen=True)
class Comparison:
    """A treatment against the control, as a relative lift.

    ``low``/``high`` is the fixed-horizon (1 - alpha) interval, valid when the report is
    read once at a planned sample size; ``sequential_low``/``sequential_high`` is the
    always-valid interval, which may be read after every shopper. All lift fields are
    ``nan`` and ``p_value`` is 1.0 when there is not enough data (see :func:`compare`).
    """

    lift: float
    low: float
    high: float
    p_value: float
    sequential_low: float
    sequential_high: float
    n_control: int
    n_treatment: int

    @property
    def enough_data(self) -> bool:
        """Whether a lift could be estimated at all."""
        return math.isfinite(self.lift)


def _z(probability: float) -> float:
    return float(scipy_stats.norm.ppf(probability))


def _lift_and_variance(control: Sample, treatment: Sample) -> tuple[float, float]:
    """The relative lift and the delta-method variance of it, or ``(nan, nan)``.

    For independent arms, ``var(mt / mc) ~ vt / mc**2 + mt**2 vc / mc**4``.
    """
    mean_c, mean_t = control.mean, treatment.mean
    var_c, var_t = control.variance_of_mean, treatment.variance_of_mean
    finite = all(math.isfinite(x) for x in (mean_c, mean_t, var_c, var_t))
    if not finite or mean_c == 0:
        return _NAN, _NAN
    variance = var_t / mean_c**2 + mean_t**2 * var_c / mean_c**4
    if not variance > 0:
        return _NAN, _NAN
    return mean_t / mean_c - 1, variance


def compare(
    control: Sample, treatment: Sample, alpha: float = 0.05, tau: float = DEFAULT_TAU
) -> Comparison:
    """The relative lift of ``treatment`` over ``control`` with its intervals and p-value.

    ``lift = mean_t / mean_c - 1``; the (1 - alpha) interval is the delta method's, and the
    two-sided p-value tests lift == 0 with a z test on that same lift, so the interval
    excludes 0 exactly when p < alpha. The sequential interval is
    :func:`always_valid_interval` of the same lift and variance.

    Not enough data (a control mean of 0, fewer than two shoppers in an arm, or zero
    variance in both) gives ``nan`` for the lift and every bound and a p-value of 1.0.
    """
    lift, variance = _lift_and_variance(control, treatment)
    if not math.isfinite(lift):
        return Comparison(
            lift=_NAN,
            low=_NAN,
            high=_NAN,
            p_value=1.0,
            sequential_low=_NAN,
            sequential_high=_NAN,
            n_control=control.n,
            n_treatment=treatment.n,
        )
    se = math.sqrt(variance)
    half = _z(1 - alpha / 2) * se
    sequential_low, sequential_high = always_valid_interval(lift, variance, alpha, tau)
    return Comparison(
        lift=lift,
        low=lift - half,
        high=lift + half,
        p_value=float(2 * scipy_stats.norm.sf(abs(lift) / se)),
        sequential_low=sequential_low,
        sequential_high=sequential_high,
        n_control=control.n,
        n_treatment=treatment.n,
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given: compare each with the unadjusted alpha.

    Holm's step-down method keeps the chance of any false positive among the comparisons
    at alpha, as Bonferroni does, while rejecting at least as often. The values equal
    ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]`` (the tests check
    that); it is written out because statsmodels runs a full ``gc.collect()`` on every Holm
    call (see statsmodels PR #8671), 60 to 130 ms each in this project's processes, which a
    report would pay for every metric and the statistics bench thousands of times.
    """
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    # The k-th smallest of m p-values is multiplied by m - k + 1, and an adjusted value is
    # never below one that precedes it.
    stepped = np.maximum.accumulate(p[order] * np.arange(p.size, 0, -1))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(x) for x in adjusted]


def always_valid_interval(
    estimate: float, variance: float, alpha: float, tau: float
) -> tuple[float, float]:
    """A (1 - alpha) confidence sequence for a lift: it may be checked after every shopper.

    It is the normal-mixture boundary (Robbins 1970) that the mixture sequential
    probability ratio test inverts (Johari, Koomen, Pekelis and Walsh, "Always valid
    inference", 2017/2022; Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric,
    nonasymptotic confidence sequences", 2021, with rho = sigma**4 / tau**2):

        estimate +/- sqrt(v (v + tau**2) / tau**2 * (log((v + tau**2) / v) - 2 log alpha))

    where ``v`` is the estimate's variance at this look. The probability that any look's
    interval misses the true lift is at most alpha, for an estimate that behaves like a
    normal mean; the delta-method lift does once each arm has a few dozen conversions or
    clicks (``bench/experiments/statistics.py`` checks it from 25).
    ``tau`` is the mixture's scale on the lift: see :data:`DEFAULT_TAU`. Returns
    ``(nan, nan)`` when the variance is not positive and finite.
    """
    if not (math.isfinite(estimate) and math.isfinite(variance) and variance > 0):
        return _NAN, _NAN
    spread = variance + tau**2
    half = math.sqrt(
        variance * spread / tau**2 * (math.log(spread / variance) - 2 * math.log(alpha))
    )
    return estimate - half, estimate + half


@dataclass(frozen=True)
class SampleRatio:
    """Whether the shoppers per arm match the weights they were assigned with."""

    p_value: float
    passed: bool
    observed: dict[str, int]
    expected: dict[str, float]


def sample_ratio_check(
    counts: Mapping[str, int], weights: Mapping[str, float], threshold: float = 0.001
) -> SampleRatio:
    """A sample-ratio-mismatch check: chi-square goodness of fit of shoppers per arm.

    A mismatch means assignment or logging lost shoppers unevenly, and then no lift in
    the report can be trusted. ``passed`` is ``p >= threshold``; the strict default keeps
    false alarms to one experiment in a thousand. An arm with weight 0 is left out of the
    test, but any shopper in it fails the check outright (p = 0). With no shoppers at all
    there is nothing to contradict the weights: p = 1.0 and it passes.

    Raises ``ValueError`` when the arms of ``counts`` and ``weights`` differ or a weight is
    negative or they are all 0.
    """
    if set(counts) != set(weights):
        raise ValueError(
            f"Counts and weights must name the same arms: {sorted(counts)} vs {sorted(weights)}."
        )
    if any(not math.isfinite(w) or w < 0 for w in weights.values()):
        raise ValueError(f"Arm weights must be finite and non-negative; got {dict(weights)}.")
    total_weight = math.fsum(weights.values())
    if total_weight <= 0:
        raise ValueError(f"At least one arm weight must be positive; got {dict(weights)}.")
    arms = list(weights)
    observed = {arm: int(counts[arm]) for arm in arms}
    total = sum(observed.values())
    expected = {arm: total * weights[arm] / total_weight for arm in arms}
    tested = [arm for arm in arms if weights[arm] > 0]
    if any(observed[arm] > 0 for arm in arms if weights[arm] == 0):
        p_value = 0.0
    elif total == 0 or len(tested) < 2:
        p_value = 1.0
    else:
        p_value = float(
            scipy_stats.chisquare(
                [observed[arm] for arm in tested], [expected[arm] for arm in tested]
            ).pvalue
        )
    return SampleRatio(
        p_value=p_value, passed=p_value >= threshold, observed=observed, expected=expected
    )


@dataclass(frozen=True)
class NonInferiority:
    """Whether a treatment is shown not to worsen a guardrail by ``margin`` or more.

    ``upper`` is the one-sided (1 - alpha) upper bound of the relative lift; ``nan`` (with
    p = 1.0, not passed) when there is not enough data.
    """

    margin: float
    p_value: float
    passed: bool
    upper: float


def non_inferior(
    control: Sample, treatment: Sample, margin: float, alpha: float = 0.05
) -> NonInferiority:
    """A non-inferiority test for a guardrail where higher is worse.

    For escalations, complaints or the "not for me" rate: H0 is that the treatment raises
    the metric by ``margin`` or more (relative lift >= margin); the one-sided z test on the
    delta-method lift rejects it, and the treatment passes, when p < alpha, which is the
    same as the one-sided upper bound lying below the margin. A margin of 0.05 tolerates
    at most 5 % more escalations. Not enough data never passes (p = 1.0, upper = nan).
    """
    lift, variance = _lift_and_variance(control, treatment)
    if not math.isfinite(lift):
        return NonInferiority(margin=margin, p_value=1.0, passed=False, upper=_NAN)
    se = math.sqrt(variance)
    p_value = float(scipy_stats.norm.cdf((lift - margin) / se))
    return NonInferiority(
        margin=margin,
        p_value=p_value,
        passed=p_value < alpha,
        upper=lift + _z(1 - alpha) * se,
    )


def capped(
    values: npt.ArrayLike, quantile: float = 0.99, *, reference: npt.ArrayLike | None = None
) -> FloatArray:
    """``values`` winsorized at a quantile: a few huge orders otherwise swamp a revenue mean.

    The cap is the ``quantile`` of ``reference``, which should be every arm's values pooled,
    so that all arms are capped at the same amount; without it the cap comes from ``values``
    themselves (pass the pooled values, then split them by arm). Values below the cap are
    unchanged.
    """
    array = _as_floats(values)
    pool = array if reference is None else _as_floats(reference)
    if pool.size == 0:
        return array.copy()
    return np.minimum(array, float(np.quantile(pool, quantile)))
