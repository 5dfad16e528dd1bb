"""The latent-factor signal's settings and weight, measured on VALIDATION splits only.

    python -m bench.ranking.latent      # after a full `python -m bench.ranking.run`

1. **ALS settings** (:class:`tools.latent.LatentSettings`): the latent factor alone ranks
   each validation split (Online Retail new items, MovieLens-100k) in purchase mode; a
   coordinate search over factors, regularization, alpha and iterations maximises the
   mean, over both splits, of its NDCG@10 over the best tuned baseline's. Of the
   settings tried within :data:`TOLERANCE` of the best, the cheapest to fit is chosen.
   One setting for every shop, as for the other defaults.
2. **Weight**: the shipped settings (weights, decay and the product's own
   :class:`~tools.latent.LatentSettings`) with only the latent weight changed, scored
   as :class:`~bench.ranking.tuning.TactfulTuner` scores a purchase session and as
   ``tactful recommend`` ranks (browsing, diversity step included), each with the
   paired standard error of the gain over users.

Writes ``bench/results/ranking_latent.json``. Test splits are never loaded.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import numpy as np

from bench.ranking.defaults import Benchmark, best_baseline, diverse_top_k
from bench.ranking.embeddings import catalog_vectors
from bench.ranking.experiment import BASELINES, SPECS
from bench.ranking.run import RESULTS
from bench.ranking.suggestions import paired
from bench.ranking.tactful_method import (
    TactfulConfig,
    default_config,
    interaction_index,
    shipped_config,
    user_taste,
)
from bench.ranking.tuning import TactfulTuner
from tools.latent import LatentFactors, LatentSettings, engaged_weights
from tools.tuning.metrics import user_metrics
from tools.tuning.search import coordinate_search

log = logging.getLogger("bench.ranking")

OUTPUT = RESULTS / "ranking_latent.json"
SETTINGS_GRID: dict[str, list[Any]] = {
    "factors": [32, 64, 128],
    "regularization": [1.0, 3.0, 10.0, 30.0, 100.0],
    "alpha": [0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
    "iterations": [10, 15, 30],
}
LATENT_WEIGHTS = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
#: Settings whose mean ratio is this close to the best are as good: the paired standard
#: error of a change in NDCG@10 on these splits is 1–3 % of the baseline's. A refresh's
#: cost grows with factors × iterations, so the cheapest of them is chosen.
TOLERANCE = 0.01


class LatentAlone:
    """One validation split: the engagement the product would fit, each user's own
    engagement, and the latent factor's NDCG@10 per user under any settings."""

    def __init__(self, tuner: TactfulTuner, baseline_ndcg: float) -> None:
        split, policy = tuner.split, default_config().policy
        self.tuner = tuner
        self.baseline_ndcg = baseline_ndcg
        self.engagement = interaction_index(split, tuner.catalog, policy).engagement
        self.engaged = [
            engaged_weights(user_taste(split, tuner.catalog, u, policy)) for u in tuner.users
        ]

    def per_user(self, settings: LatentSettings) -> np.ndarray:
        scores = LatentFactors.fit(self.engagement, settings).score_matrix(self.engaged)
        return np.array([u[2] for u in self.tuner.per_user(scores)])

    def ratio(self, settings: LatentSettings) -> float:
        return float(self.per_user(settings).mean()) / self.baseline_ndcg


def purchase_ndcg(benchmark: Benchmark, config: TactfulConfig) -> np.ndarray:
    """Per-user NDCG@10 of a purchase session (TactfulTuner's score)."""
    tuner = benchmark.tuner
    return np.array(
        [u[2] for u in tuner.per_user(tuner.factors(config.policy).total(config.weights))]
    )


def browsing_ndcg(benchmark: Benchmark, config: TactfulConfig) -> np.ndarray:
    """Per-user NDCG@10 as ``tactful recommend`` ranks (Benchmark.ndcg, per user)."""
    tuner = benchmark.tuner
    scores = tuner.factors(config.policy).total(config.weights)
    ranked = diverse_top_k(scores, tuner.excluded, benchmark.similarity, config.weights.diversity)
    return np.array([user_metrics(ranked[i].tolist(), t)[2] for i, t in enumerate(tuner.targets)])


def with_latent(config: TactfulConfig, weight: float) -> TactfulConfig:
    return TactfulConfig(
        config.weights.model_copy(update={"latent": weight}), config.policy, config.buy_again
    )


def measure(previous: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    splits = {}
    for spec in SPECS:
        split = spec.split(spec.load())["validation"]
        vectors = catalog_vectors(split.items)
        name, ndcg = best_baseline(previous["validation"][spec.name], BASELINES)
        splits[spec.name] = (split, vectors, spec.kind, name, ndcg)

    alone = {
        name: LatentAlone(TactfulTuner(split, vectors, kind), ndcg)
        for name, (split, vectors, kind, _, ndcg) in splits.items()
    }
    seen: dict[str, dict[str, float]] = {}

    def mean_ratio(params: dict[str, Any]) -> float:
        settings = LatentSettings(**params)
        ratios = {name: a.ratio(settings) for name, a in alone.items()}
        seen[json.dumps(params, sort_keys=True)] = ratios
        log.info("%s %s", params, ratios)
        return float(np.mean(list(ratios.values())))

    start = {"factors": 64, "regularization": 10.0, "alpha": 4.0, "iterations": 15}
    found = coordinate_search(start, SETTINGS_GRID, mean_ratio)
    as_good = [dict(p) for p, score in found.tried.items() if score >= found.score - TOLERANCE]
    cheapest = min(
        as_good,
        key=lambda p: (p["factors"] * p["iterations"], -found.tried[tuple(sorted(p.items()))]),
    )
    chosen = LatentSettings(**cheapest)
    out: dict[str, Any] = {
        "baselines": {name: {s[3]: s[4]} for name, s in splits.items()},
        "settings": {
            "objective": "mean over both validation splits of the latent factor alone's "
            "NDCG@10 (purchase mode) / the best tuned baseline's",
            "grid": SETTINGS_GRID,
            "start": start,
            "best": found.best,
            "best_ratios": seen[json.dumps(found.best, sort_keys=True)],
            "chosen": chosen.model_dump(),
            "chosen_ratios": seen[json.dumps(cheapest, sort_keys=True)],
            "shipped": LatentSettings().model_dump(),
            "trials": len(found.tried),
            "tried": seen,
        },
    }

    weights: dict[str, Any] = {}
    for name, (split, vectors, kind, baseline, ndcg) in splits.items():
        tuner = TactfulTuner(split, vectors, kind)
        benchmark = Benchmark(name, tuner, baseline, ndcg)
        rows: dict[str, Any] = {}
        for label, config, score in (
            ("purchase (TactfulTuner)", default_config(), purchase_ndcg),
            ("browsing (as tactful recommend ranks)", shipped_config(), browsing_ndcg),
        ):
            reference = score(benchmark, config)
            rows[label] = {}
            for weight in LATENT_WEIGHTS:
                candidate = score(benchmark, with_latent(config, weight))
                rows[label][str(weight)] = paired(reference, candidate) | {
                    "ratio": round(float(candidate.mean()) / ndcg, 5)
                }
            log.info("%s %s: %s", name, label, json.dumps(rows[label]))
        weights[name] = rows
    out["weight, shipped settings held"] = weights
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    path = RESULTS / "ranking.json"
    if not path.exists():
        sys.exit("Run `python -m bench.ranking.run` first: its tuned baselines are the yardstick.")
    out = measure(json.loads(path.read_text(encoding="utf-8")))
    OUTPUT.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out["settings"]["chosen"], indent=2))


if __name__ == "__main__":
    main()
