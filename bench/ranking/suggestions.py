"""Proposed changes to the product's ranking defaults, measured on VALIDATION only.

    python -m bench.ranking.suggestions     # after a full run, whose tuned values it reads

Nothing here touches a test split. For each dataset it reports validation NDCG@10 of:
the product defaults; the tuned configuration; the defaults with one tuned value at a
time (which default matters); and prototypes of changes outside ``RankWeights`` /
``DecayPolicy`` (how the interaction snapshot is built, a latent-factor signal), each
with its weights re-tuned on validation. Every difference comes with the paired
standard error over users, so a change within noise reads as one.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from typing import Any

import numpy as np

from bench.ranking.baselines import ALS
from bench.ranking.embeddings import catalog_vectors
from bench.ranking.experiment import SPECS, TACTFUL, DatasetSpec
from bench.ranking.run import RESULTS
from bench.ranking.tactful_method import (
    NO_DECAY_DAYS,
    IndexOptions,
    TactfulConfig,
    default_config,
)
from bench.ranking.tuning import WEIGHT_GRID, TactfulTuner
from tools.tuning.search import coordinate_search
from tools.types import EventKind

log = logging.getLogger("bench.ranking")
LATENT_WEIGHTS = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
#: One purchase-mode setting for every shop, chosen on both validation splits together
#: (a small grid around the per-dataset optima): the candidate for the product's defaults.
PROPOSED_WEIGHTS = {
    "taste": 1.0,
    "taste_content_share": 0.5,
    "community": 2.0,
    "popularity": 0.1,
    "neighbours": 200,
}
PROPOSED_POLICY = {
    "purchase_days": 30.0,
    "rating_days": 30.0,
    "recent_boost": 100.0,
    "recent_days": 3.0,
}


def paired(reference: np.ndarray, candidate: np.ndarray) -> dict[str, float]:
    """Mean NDCG@10 of ``candidate``, its gain over ``reference`` and that gain's std. error."""
    diff = candidate - reference
    return {
        "ndcg@10": round(float(candidate.mean()), 5),
        "gain": round(float(diff.mean()), 5),
        "gain_se": round(float(diff.std(ddof=1) / math.sqrt(len(diff))), 5),
    }


def measure(spec: DatasetSpec, tuned: dict[str, Any]) -> dict[str, Any]:
    """Every suggestion for one dataset, on its validation split."""
    validation = spec.split(spec.load())["validation"]
    vectors = catalog_vectors(validation.items)
    tuner = TactfulTuner(validation, vectors, spec.kind)
    defaults, best = default_config(), TactfulConfig.from_dict(tuned[TACTFUL])

    def ndcg(t: TactfulTuner, config: TactfulConfig) -> np.ndarray:
        return np.array([u[2] for u in t.per_user(t.factors(config.policy).total(config.weights))])

    base = ndcg(tuner, defaults)
    out: dict[str, Any] = {"product defaults": paired(base, base)}
    out["tuned (weights + decay)"] = paired(base, ndcg(tuner, best))
    proposed = TactfulConfig(
        defaults.weights.model_copy(update=PROPOSED_WEIGHTS),
        defaults.policy.model_copy(update=PROPOSED_POLICY),
    )
    out["proposed defaults (one setting for both datasets)"] = paired(base, ndcg(tuner, proposed))
    out["defaults + tuned weights only"] = paired(
        base, ndcg(tuner, TactfulConfig(best.weights, defaults.policy))
    )
    out["defaults + tuned decay only"] = paired(
        base, ndcg(tuner, TactfulConfig(defaults.weights, best.policy))
    )
    for name in WEIGHT_GRID:
        value = getattr(best.weights, name)
        changed = defaults.weights.model_copy(update={name: value})
        out[f"defaults + {name}={value}"] = paired(
            base, ndcg(tuner, TactfulConfig(changed, defaults.policy))
        )
    default_knobs = tuner.policy_params(defaults.policy)
    for name, value in tuner.policy_params(best.policy).items():
        policy = tuner.policy(defaults.policy, default_knobs | {name: value})
        out[f"defaults + {name}={value}"] = paired(
            base, ndcg(tuner, TactfulConfig(defaults.weights, policy))
        )

    # Beyond the two configuration objects: each prototype against the tuned config,
    # weights re-tuned on validation so the comparison is fair to the change.
    tuned_ndcg = ndcg(tuner, best)
    no_decay = best.policy.model_copy(
        update={f"{kind.value}_days": NO_DECAY_DAYS for kind in EventKind} | {"recent_boost": 0.0}
    )
    snapshots = {
        "snapshot: co-purchase neighbours_per_item=50 (product 100)": IndexOptions(
            neighbours_per_item=50
        ),
        "snapshot: popularity trending_days=7 (product 30)": IndexOptions(trending_days=7.0),
        "snapshot: no decay in the shop-wide index (own taste still decays)": IndexOptions(
            policy=no_decay
        ),
    }
    for label, options in snapshots.items():
        variant = TactfulTuner(validation, vectors, spec.kind, options)
        retuned, _ = variant.tune_weights(best)
        out[label] = paired(tuned_ndcg, ndcg(variant, retuned))
    out["latent factor: + ALS score as a factor"] = _latent(tuner, best, tuned["ALS"], tuned_ndcg)
    return out


def _latent(
    tuner: TactfulTuner, best: TactfulConfig, als_params: dict[str, Any], reference: np.ndarray
) -> dict[str, Any]:
    """tactful's factors plus a matrix-factorization score (max-scaled per user)."""
    latent = ALS(tuner.split, **als_params).scores(tuner.users).astype(np.float32)
    latent = np.clip(latent, 0.0, None)
    top = latent.max(axis=1, keepdims=True)
    latent = np.divide(latent, top, out=np.zeros_like(latent), where=top > 0)
    factors = tuner.factors(best.policy)

    def total(params: dict[str, Any]) -> np.ndarray:
        weights = best.weights.model_copy(update={k: params[k] for k in WEIGHT_GRID})
        return factors.total(weights) + params["latent"] * latent

    start = {name: getattr(best.weights, name) for name in WEIGHT_GRID} | {"latent": 0.0}
    found = coordinate_search(
        start,
        WEIGHT_GRID | {"latent": LATENT_WEIGHTS},
        lambda params: tuner.metrics_of(total(params)).ndcg,
    )
    candidate = np.array([u[2] for u in tuner.per_user(total(found.best))])
    return paired(reference, candidate) | {"weights": found.best}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    path = RESULTS / "ranking.json"
    if not path.exists():
        sys.exit("Run `python -m bench.ranking.run` first: suggestions start from its tuning.")
    tuned = json.loads(path.read_text(encoding="utf-8"))["tuned"]
    report = {spec.name: measure(spec, tuned[spec.name]) for spec in SPECS}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
