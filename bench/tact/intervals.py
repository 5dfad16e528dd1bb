"""Shares with their 95 % Wilson intervals: the counts in the tact benchmarks are small."""

from __future__ import annotations

import math
from typing import Any


def wilson(part: int, whole: int) -> dict[str, Any]:
    """``part / whole`` with its 95 % Wilson interval (all zero when ``whole`` is 0)."""
    if not whole:
        return {"value": 0.0, "low": 0.0, "high": 0.0}
    z, p = 1.96, part / whole
    centre = (p + z * z / (2 * whole)) / (1 + z * z / whole)
    half = z * math.sqrt(p * (1 - p) / whole + z * z / (4 * whole * whole)) / (1 + z * z / whole)
    return {
        "value": round(p, 4),
        "low": round(max(centre - half, 0.0), 4),
        "high": round(min(centre + half, 1.0), 4),
    }
