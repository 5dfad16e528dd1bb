"""Assignment to experiment arms agrees with GrowthBook's SDK specification and is stable."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from scipy import stats

from agent.experiments.bucketing import (
    assign,
    bucket_ranges,
    choose_variation,
    fnv1a32,
    gb_hash,
)

_CASES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "growthbook_cases.json").read_text(encoding="utf-8")
)


def _named(section: str) -> list[Any]:
    return [pytest.param(*case[1:], id=case[0]) for case in _CASES[section]]


@pytest.mark.parametrize(
    ("seed", "value", "version", "expected"),
    [pytest.param(*case, id=f"v{case[2]}-{case[0]}-{case[1]}") for case in _CASES["hash"]],
)
def test_the_hash_matches_growthbooks_cases(
    seed: str, value: str, version: int, expected: float | None
) -> None:
    assert gb_hash(seed, value, version) == expected


@pytest.mark.parametrize(("arguments", "expected"), _named("getBucketRange"))
def test_bucket_ranges_match_growthbooks_cases(
    arguments: list[Any], expected: list[list[float]]
) -> None:
    n, coverage, weights = arguments

    ranges = bucket_ranges(n, coverage, weights)

    assert len(ranges) == len(expected)
    for (start, end), (want_start, want_end) in zip(ranges, expected, strict=True):
        assert start == pytest.approx(want_start, abs=1e-9)
        assert end == pytest.approx(want_end, abs=1e-9)


@pytest.mark.parametrize(("n", "ranges", "expected"), _named("chooseVariation"))
def test_choosing_a_variation_matches_growthbooks_cases(
    n: float, ranges: list[list[float]], expected: int
) -> None:
    assert choose_variation(n, [(start, end) for start, end in ranges]) == expected


def test_fnv1a_gives_the_published_32_bit_test_vectors() -> None:
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C
    assert fnv1a32("foobar") == 0xBF9CF968


def test_every_growthbook_case_section_was_extracted_with_its_source() -> None:
    assert _CASES["source"] == "growthbook/growthbook-python tests/cases.json, MIT License"
    counts = {s: len(_CASES[s]) for s in ("hash", "getBucketRange", "chooseVariation")}
    assert counts == {"hash": 15, "getBucketRange": 13, "chooseVariation": 13}


def test_assignment_is_growthbooks_version_2_hash_seeded_with_the_experiment_key() -> None:
    # gb_hash("foo", "ab", 2) is 0.2575 in GrowthBook's cases.
    assert assign("foo", "ab", [1, 1]) == 0
    assert assign("foo", "ab", [1, 3]) == 1
    assert assign("foo", "ab", [0.26, 0.74]) == 0


def test_the_same_shopper_always_gets_the_same_arm() -> None:
    weights = [1.0, 1.0, 1.0]
    first = [assign("tone-of-voice", f"shopper-{i}", weights) for i in range(500)]
    again = [assign("tone-of-voice", f"shopper-{i}", weights) for i in range(500)]

    assert first == again
    assert set(first) == {0, 1, 2}


def test_equal_weights_split_thirty_thousand_shoppers_into_thirds() -> None:
    arms = Counter(assign("tone-of-voice", f"shopper-{i}", [1, 1, 1]) for i in range(30_000))

    for arm in range(3):
        assert arms[arm] / 30_000 == pytest.approx(1 / 3, abs=0.015)


def test_an_arm_with_zero_weight_is_never_assigned() -> None:
    arms = {assign("holdout-off", f"shopper-{i}", [0, 1]) for i in range(5_000)}

    assert arms == {1}


def test_weights_need_not_sum_to_one() -> None:
    assert all(
        assign("scaled", f"shopper-{i}", [2, 6]) == assign("scaled", f"shopper-{i}", [0.25, 0.75])
        for i in range(2_000)
    )


def test_a_shoppers_arm_in_one_experiment_does_not_predict_their_arm_in_another() -> None:
    pairs = Counter(
        (assign("first", f"shopper-{i}", [1, 1, 1]), assign("second", f"shopper-{i}", [1, 1, 1]))
        for i in range(15_000)
    )
    table = [[pairs[(a, b)] for b in range(3)] for a in range(3)]

    assert stats.chi2_contingency(table).pvalue > 0.001


@pytest.mark.parametrize(
    "weights",
    [[], [0, 0], [1, -1], [float("nan"), 1], [float("inf"), 1]],
    ids=["none", "all-zero", "negative", "nan", "infinite"],
)
def test_bad_weights_are_refused_with_a_clear_message(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="weight"):
        assign("broken", "shopper-1", weights)
