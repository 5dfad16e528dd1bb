"""Deterministic assignment of shoppers to experiment arms, as GrowthBook's SDKs do it.

The hash, the bucket ranges and the choice of a variation follow GrowthBook's SDK
specification (the ``hash``, ``getBucketRange`` and ``chooseVariation`` cases of its
``tests/cases.json``), so an assignment made here agrees with one made by any GrowthBook
SDK given the same seed, hash version and weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_UINT32 = 0xFFFFFFFF
# GrowthBook keeps weights that sum to 1 within this tolerance and replaces any others.
_WEIGHT_SUM_TOLERANCE = 0.01


def fnv1a32(text: str) -> int:
    """The 32-bit FNV-1a hash of ``text``, taken over its code points.

    That is what GrowthBook's Python SDK does; for ASCII text, such as our shopper ids,
    it is the same as hashing the bytes, and every GrowthBook SDK agrees.
    """
    value = _FNV_OFFSET
    for character in text:
        value = ((value ^ ord(character)) * _FNV_PRIME) & _UINT32
    return value


def gb_hash(seed: str, value: str, version: int) -> float | None:
    """GrowthBook's hash of ``value`` under ``seed``: a number in [0, 1).

    Version 1 gives three decimals; version 2 hashes the decimal digits of a first hash
    again and gives four. Any other version gives ``None``, as in GrowthBook.
    """
    if version == 2:
        return _hash_v2(seed, value)
    if version == 1:
        return (fnv1a32(value + seed) % 1000) / 1000
    return None


def _hash_v2(seed: str, value: str) -> float:
    return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000


def _equal_weights(n: int) -> list[float]:
    return [1 / n] * n if n >= 1 else []


def bucket_ranges(
    n: int, coverage: float = 1.0, weights: Sequence[float] | None = None
) -> list[tuple[float, float]]:
    """The slice of [0, 1) that each of ``n`` variations owns.

    Each variation's range starts where the previous weight ends and covers ``coverage``
    of its weight, so lowering coverage never moves a shopper from one arm to another.
    Coverage is clamped to [0, 1]; weights that are missing, of the wrong length or do not
    sum to 1 (within 0.01) are replaced by equal weights.
    """
    coverage = min(max(coverage, 0.0), 1.0)
    if (
        weights is None
        or len(weights) != n
        or not 1 - _WEIGHT_SUM_TOLERANCE <= sum(weights) <= 1 + _WEIGHT_SUM_TOLERANCE
    ):
        weights = _equal_weights(n)
    ranges: list[tuple[float, float]] = []
    cumulative = 0.0
    for weight in weights:
        start = cumulative
        cumulative += weight
        ranges.append((start, start + coverage * weight))
    return ranges


def choose_variation(n: float, ranges: Sequence[tuple[float, float]]) -> int:
    """The index of the first range holding ``n`` (start inclusive, end exclusive), or -1."""
    for index, (start, end) in enumerate(ranges):
        if start <= n < end:
            return index
    return -1


def assign(experiment_key: str, shopper_id: str, weights: Sequence[float]) -> int:
    """The index of the arm that ``shopper_id`` sees in the experiment ``experiment_key``.

    It is GrowthBook's hash version 2, set explicitly (GrowthBook's SDKs fall back to
    version 1, which has only 1,000 buckets), seeded with the experiment key, at full
    coverage, so a GrowthBook SDK given the same key, ``hashVersion: 2`` and the normalised
    weights assigns the same arm. ``weights`` are any non-negative numbers with at least
    one positive; they are normalised to sum to 1, so ``[1, 1, 1]`` splits evenly and
    ``[0, 1]`` sends everyone to arm 1. The same shopper always gets the same arm.

    Raises ``ValueError`` when the weights are empty, negative, not finite or all zero.
    """
    if not weights:
        raise ValueError("An experiment needs at least one arm weight; got none.")
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError(f"Arm weights must be finite and non-negative; got {list(weights)}.")
    total = math.fsum(weights)
    if total <= 0:
        raise ValueError(f"At least one arm weight must be positive; got {list(weights)}.")
    ranges = bucket_ranges(len(weights), 1.0, [w / total for w in weights])
    # Version 2 buckets stop at 0.9999 and normalised ranges end within rounding of 1, so
    # every shopper lands in an arm with positive weight.
    return choose_variation(_hash_v2(experiment_key, shopper_id), ranges)
