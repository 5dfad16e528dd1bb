"""The statistics of an experiment report: known values, degenerate inputs, and honesty."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from agent.experiments.stats import (
    DEFAULT_TAU,
    Sample,
    always_valid_interval,
    capped,
    compare,
    estimate,
    holm,
    non_inferior,
    sample_ratio_check,
)
from bench.experiments.statistics import run

Z95 = float(scipy_stats.norm.ppf(0.975))


def _clicks(seed: int, n: int, rate: float = 0.1) -> Sample:
    rng = np.random.default_rng(seed)
    impressions = 1 + rng.poisson(9, n)
    return Sample(rng.binomial(impressions, rng.beta(2, 2 / rate - 2, n)), impressions)


def _normal(seed: int, n: int, mean: float, sd: float = 1.0) -> Sample:
    return Sample(np.random.default_rng(seed).normal(mean, sd, n))


def test_a_mean_metric_has_the_sample_mean_and_its_variance() -> None:
    sample = Sample(np.array([1.0, 2.0, 3.0, 6.0]))

    assert sample.n == 4
    assert sample.mean == 3.0
    assert sample.variance_of_mean == pytest.approx(np.var([1, 2, 3, 6], ddof=1) / 4)


def test_a_ratio_metric_is_the_ratio_of_sums_not_the_mean_of_ratios() -> None:
    sample = Sample(np.array([1, 0, 3]), np.array([2, 8, 10]))

    assert sample.mean == pytest.approx(4 / 20)


def test_the_delta_method_variance_of_a_ratio_agrees_with_a_bootstrap() -> None:
    sample = _clicks(seed=7, n=2_000)
    assert sample.denominators is not None
    rng = np.random.default_rng(11)

    draws = rng.integers(0, sample.n, size=(2_000, sample.n))
    ratios = sample.values[draws].sum(axis=1) / sample.denominators[draws].sum(axis=1)

    assert sample.variance_of_mean == pytest.approx(ratios.var(ddof=1), rel=0.10)


def test_a_sample_needs_one_denominator_per_shopper() -> None:
    with pytest.raises(ValueError, match="one denominator per shopper"):
        Sample(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="one value per shopper"):
        Sample(np.ones((2, 2)))


def test_an_arms_estimate_is_its_mean_with_a_normal_interval() -> None:
    sample = Sample(np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0]))

    result = estimate(sample)

    half = Z95 * math.sqrt(np.var(sample.values, ddof=1) / 10)
    assert result.value == pytest.approx(0.3)
    assert (result.low, result.high) == pytest.approx((0.3 - half, 0.3 + half))
    assert result.n == 10


def test_an_arm_with_one_shopper_has_a_value_but_no_interval() -> None:
    result = estimate(Sample(np.array([5.0])))

    assert result.value == 5.0
    assert math.isnan(result.low) and math.isnan(result.high)
    assert math.isnan(estimate(Sample(np.array([]))).value)


def test_the_lift_is_relative_with_a_delta_method_interval() -> None:
    control = Sample(np.array([1.0, 2.0, 3.0, 4.0]))
    treatment = Sample(np.array([2.0, 3.0, 4.0, 5.0, 6.0]))

    result = compare(control, treatment)

    var_c = np.var([1, 2, 3, 4], ddof=1) / 4
    var_t = np.var([2, 3, 4, 5, 6], ddof=1) / 5
    se = math.sqrt(var_t / 2.5**2 + 4.0**2 * var_c / 2.5**4)
    assert result.lift == pytest.approx(4.0 / 2.5 - 1)
    assert (result.low, result.high) == pytest.approx((0.6 - Z95 * se, 0.6 + Z95 * se))
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(0.6 / se))
    assert (result.n_control, result.n_treatment) == (4, 5)
    assert result.enough_data


def test_the_interval_excludes_zero_exactly_when_the_p_value_is_below_alpha() -> None:
    control = _normal(seed=1, n=3_000, mean=10.0, sd=4.0)
    for seed, mean in enumerate((10.0, 10.1, 10.2, 10.3, 10.5)):
        result = compare(control, _normal(seed=seed + 10, n=3_000, mean=mean, sd=4.0))

        assert (result.p_value < 0.05) == (not result.low <= 0 <= result.high)


def test_a_small_lifts_p_value_agrees_with_welchs_t_test() -> None:
    control = _normal(seed=2, n=5_000, mean=10.0, sd=3.0)
    treatment = _normal(seed=3, n=4_000, mean=10.1, sd=4.0)

    welch = scipy_stats.ttest_ind(treatment.values, control.values, equal_var=False)

    assert compare(control, treatment).p_value == pytest.approx(welch.pvalue, rel=0.05)


def test_the_sequential_interval_contains_the_fixed_one() -> None:
    result = compare(_clicks(seed=4, n=3_000), _clicks(seed=5, n=3_000, rate=0.11))

    assert result.sequential_low < result.low < result.lift < result.high < result.sequential_high


@pytest.mark.parametrize(
    ("control", "treatment", "why"),
    [
        (Sample(np.zeros(50)), Sample(np.ones(50)), "control mean of zero"),
        (Sample(np.array([1.0])), Sample(np.array([1.0, 2.0])), "one shopper in control"),
        (Sample(np.array([])), Sample(np.array([])), "no shoppers"),
        (Sample(np.full(20, 2.0)), Sample(np.full(20, 3.0)), "no variance in either arm"),
        (Sample(np.ones(5), np.zeros(5)), Sample(np.ones(5), np.ones(5)), "no denominators"),
    ],
)
def test_not_enough_data_gives_nan_lifts_and_a_p_value_of_one(
    control: Sample, treatment: Sample, why: str
) -> None:
    result = compare(control, treatment)

    assert not result.enough_data, why
    assert result.p_value == 1.0
    fields = (result.lift, result.low, result.high, result.sequential_low, result.sequential_high)
    assert all(math.isnan(x) for x in fields)


def test_the_always_valid_interval_is_the_normal_mixture_boundary() -> None:
    low, high = always_valid_interval(0.05, 0.0004, 0.05, 0.1)

    v, tau2 = 0.0004, 0.01
    half = math.sqrt(v * (v + tau2) / tau2 * (math.log((v + tau2) / v) - 2 * math.log(0.05)))
    assert (low, high) == pytest.approx((0.05 - half, 0.05 + half))


def test_at_the_always_valid_bound_the_mixture_likelihood_ratio_is_one_over_alpha() -> None:
    # Robbins' normal mixture: the likelihood ratio of N(theta_hat; theta, v) integrated over
    # theta ~ N(theta0, tau**2) against theta0, which the mSPRT compares with 1 / alpha.
    estimate_, v, tau, alpha = 0.03, 0.0009, DEFAULT_TAU, 0.05

    for bound in always_valid_interval(estimate_, v, alpha, tau):
        ratio = math.sqrt(v / (v + tau**2)) * math.exp(
            tau**2 * (estimate_ - bound) ** 2 / (2 * v * (v + tau**2))
        )
        assert ratio == pytest.approx(1 / alpha)


def test_the_always_valid_interval_is_at_best_about_one_and_a_half_times_the_fixed_one() -> None:
    # Narrowest relative to the fixed interval when tau**2 is about 8.2 times the variance.
    v = DEFAULT_TAU**2 / 8.2
    low, high = always_valid_interval(0.0, v, 0.05, DEFAULT_TAU)

    assert (high - low) / (2 * Z95 * math.sqrt(v)) == pytest.approx(3.035 / Z95, rel=0.01)
    assert all(math.isnan(x) for x in always_valid_interval(0.1, 0.0, 0.05, DEFAULT_TAU))


def test_holm_equals_statsmodels() -> None:
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(3)
    # Few cases: every statsmodels Holm call runs a full garbage collection.
    cases = [list(rng.random(size) ** 3) for size in (1, 2, 3, 3, 5, 8)]
    cases += [[0.01, 0.04, 0.04, 0.5], [0.3, 0.02, 0.9, 0.02]]

    for p_values in cases:
        expected = multitest.multipletests(p_values, method="holm")[1]

        assert holm(p_values) == pytest.approx(list(expected), abs=1e-15)


def test_holm_keeps_the_order_given_and_never_exceeds_one() -> None:
    assert holm([0.04, 0.01, 0.6]) == pytest.approx([0.08, 0.03, 0.6])
    assert holm([0.5, 0.7]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_a_sample_ratio_that_matches_the_weights_passes() -> None:
    result = sample_ratio_check({"ai": 100, "curated": 100}, {"ai": 1, "curated": 1})

    assert result.p_value == pytest.approx(1.0)
    assert result.passed
    assert result.expected == {"ai": 100.0, "curated": 100.0}


def test_a_sample_ratio_check_is_pearsons_chi_square() -> None:
    # (90 - 100)**2 / 100 + (110 - 100)**2 / 100 = 2 on one degree of freedom.
    even = sample_ratio_check({"a": 90, "b": 110}, {"a": 0.5, "b": 0.5})
    # Expected 60 / 240 against 80 / 220: 400 / 60 + 400 / 240.
    uneven = sample_ratio_check({"a": 80, "b": 220}, {"a": 1, "b": 4})

    assert even.p_value == pytest.approx(scipy_stats.chi2.sf(2.0, 1))
    assert uneven.p_value == pytest.approx(scipy_stats.chi2.sf(400 / 60 + 400 / 240, 1))
    assert uneven.expected == pytest.approx({"a": 60.0, "b": 240.0})


def test_a_sample_ratio_mismatch_fails_the_check() -> None:
    result = sample_ratio_check(
        {"ai": 29_100, "curated": 30_000, "hybrid": 30_000},
        {"ai": 1 / 3, "curated": 1 / 3, "hybrid": 1 / 3},
    )

    assert result.p_value < 0.001
    assert not result.passed
    assert result.observed == {"ai": 29_100, "curated": 30_000, "hybrid": 30_000}


def test_shoppers_in_an_arm_with_zero_weight_fail_the_check_outright() -> None:
    result = sample_ratio_check({"a": 500, "b": 500, "off": 1}, {"a": 1, "b": 1, "off": 0})

    assert result.p_value == 0.0
    assert not result.passed
    assert sample_ratio_check({"a": 0, "b": 0}, {"a": 1, "b": 1}).passed


def test_a_sample_ratio_check_needs_the_same_arms_in_counts_and_weights() -> None:
    with pytest.raises(ValueError, match="same arms"):
        sample_ratio_check({"a": 1, "b": 2}, {"a": 1, "c": 1})
    with pytest.raises(ValueError, match="positive"):
        sample_ratio_check({"a": 1}, {"a": 0})


def test_a_guardrail_that_does_not_rise_is_shown_non_inferior() -> None:
    control = _normal(seed=20, n=20_000, mean=5.0)
    treatment = _normal(seed=21, n=20_000, mean=5.0)

    result = non_inferior(control, treatment, margin=0.05)

    assert result.passed
    assert result.p_value < 0.05
    assert result.upper < 0.05
    assert result.margin == 0.05


def test_a_guardrail_that_rises_past_the_margin_is_not_non_inferior() -> None:
    control = _normal(seed=22, n=20_000, mean=5.0)
    treatment = _normal(seed=23, n=20_000, mean=5.5)

    result = non_inferior(control, treatment, margin=0.05)

    assert not result.passed
    assert result.p_value > 0.5
    assert result.upper > 0.05


def test_the_non_inferiority_p_value_and_upper_bound_agree() -> None:
    control = _normal(seed=24, n=2_000, mean=5.0)
    for seed, mean in enumerate((4.9, 5.0, 5.1, 5.2, 5.3)):
        result = non_inferior(control, _normal(seed=seed + 30, n=2_000, mean=mean), 0.04)

        assert result.passed == (result.upper < 0.04)


def test_a_guardrail_without_enough_data_never_passes() -> None:
    result = non_inferior(Sample(np.zeros(10)), Sample(np.ones(10)), margin=0.05)

    assert not result.passed
    assert result.p_value == 1.0
    assert math.isnan(result.upper)


def test_capping_winsorizes_at_the_pooled_quantile() -> None:
    control = np.arange(100, dtype=float)
    treatment = np.array([5.0, 500.0])
    pooled = np.concatenate([control, treatment])

    capped_treatment = capped(treatment, 0.99, reference=pooled)

    cap = float(np.quantile(pooled, 0.99))
    assert capped_treatment.tolist() == [5.0, cap]
    assert capped(control, 0.5).max() == pytest.approx(49.5)
    assert capped(np.array([]), 0.99).size == 0


def test_the_statistics_bench_meets_its_targets_on_three_hundred_runs() -> None:
    result = run(seed=20261204, runs=300)

    assert all(0.02 <= r <= 0.08 for r in result["aa"]["false_positive_rate"].values())
    peeking = result["peeking"]
    assert all(r <= 0.06 for r in peeking["sequential_false_positive_rate"].values())
    assert all(r > 0.10 for r in peeking["naive_false_positive_rate"].values())
    assert result["planted"]["coverage"] >= 0.92
    assert result["srm"]["passed"]
    assert not result["srm"]["after_dropping"]["passed"]
    assert result["srm"]["after_dropping"]["p_value"] < 0.001
