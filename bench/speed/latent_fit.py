"""What fitting the latent factors costs a refresh at the 100k synthetic scale.

    .venv/bin/python -m bench.speed.latent_fit

The synthetic shop's events (``bench.speed.synthetic``, 100k items, 20k shoppers, 1M
events) become the engagement matrix the interaction index builds, without storing
them; then :meth:`tools.latent.LatentFactors.fit` runs with the product's settings.
Prints the fit's CPU time (wall time is whatever else the machine is doing), the
resident memory before and after, the factors' size, and the CPU time of placing one
shopper with 40 items and scoring every item for them, as a ranking does.
"""

from __future__ import annotations

import json
import resource
import time

import numpy as np

from bench.speed.sizes import SYNTHETIC_100K
from bench.speed.synthetic import KIND_SHARES, catalog_plan, event_plan
from tools.interactions import ENGAGEMENT_VALUES, _engagement
from tools.latent import LatentFactors, LatentSettings
from tools.signals import DecayPolicy, decayed_weights

PLACEMENTS = 50


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(row for row in status if row.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    spec = SYNTHETIC_100K.synthetic
    assert spec is not None
    plan = event_plan(spec, catalog_plan(spec))
    kinds = np.array([k.value for k in KIND_SHARES])[plan.kind]
    at = np.array(plan.at, dtype="datetime64[s]")
    age = (np.datetime64(spec.now, "s") - at).astype(np.float64) / 86400.0
    weights = decayed_weights(kinds, plan.rating, plan.quantity, age, DecayPolicy())
    engaged = np.isin(kinds, ENGAGEMENT_VALUES)
    engagement = _engagement(
        weights[engaged],
        plan.shopper[engaged],
        plan.item[engaged],
        (spec.shoppers, spec.items),
    )
    del plan, kinds, at, age, weights, engaged

    settings = LatentSettings()
    before = _rss_mib()
    cpu, wall = time.process_time(), time.perf_counter()
    fitted = LatentFactors.fit(engagement, settings)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    after = _rss_mib()

    rng = np.random.default_rng(0)
    shopper = {int(r): 1.0 for r in rng.choice(spec.items, 40, replace=False)}
    placing = time.process_time()
    for _ in range(PLACEMENTS):
        placed = fitted.shopper(shopper)
        assert placed is not None
        placed.scores(fitted.item_factors)
    placing = time.process_time() - placing

    print(
        json.dumps(
            {
                "settings": settings.model_dump(),
                "engagement": {"shape": list(engagement.shape), "nonzeros": engagement.nnz},
                "fit_cpu_s": round(cpu, 1),
                "fit_wall_s": round(wall, 1),
                "rss_mib_before_fit": round(before),
                "rss_mib_after_fit": round(after),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "item_factors_mib": round(fitted.item_factors.nbytes / 2**20, 1),
                "place_and_score_one_shopper_cpu_ms": round(placing / PLACEMENTS * 1000, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
