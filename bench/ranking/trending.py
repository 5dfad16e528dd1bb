"""How much rising sales (the ``trending`` factor) should weigh by default.

Validation data only. Browsing's weights as shipped, the rest held, with ``trending``
at each of :data:`WEIGHTS`, scored on Online Retail's new-items validation month
(October 2011) and, because a trend that helps one season may mislead the next, on
each of the three months before it split the same way at its own cut; also on the
all-items validation month and MovieLens-100k's validation split. The test split is
never read.

    python -m bench.ranking.trending   # about a minute; bench/results/ranking_trending.json
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

from bench.ranking.embeddings import catalog_vectors
from bench.ranking.experiment import SPECS
from bench.ranking.run import RESULTS
from bench.ranking.splits import Split, time_split
from bench.ranking.tactful_method import shipped_config
from bench.ranking.tuning import TactfulTuner
from tools.types import EventKind

log = logging.getLogger("bench.ranking.trending")

OUTPUT = RESULTS / "ranking_trending.json"
WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
#: Online Retail months before the test cut, each [cut, end) with training before cut.
MONTHS = {
    "2011-10 (validation)": (datetime(2011, 10, 1), datetime(2011, 11, 1)),
    "2011-09": (datetime(2011, 9, 1), datetime(2011, 10, 1)),
    "2011-08": (datetime(2011, 8, 1), datetime(2011, 9, 1)),
    "2011-07": (datetime(2011, 7, 1), datetime(2011, 8, 1)),
}


def ndcg_by_weight(split: Split, kind: EventKind) -> dict[str, float]:
    config = shipped_config()
    tuner = TactfulTuner(split, catalog_vectors(split.items), kind)
    factors = tuner.factors(config.policy)
    return {
        str(w): round(
            tuner.metrics_of(factors.total(config.weights.model_copy(update={"trending": w}))).ndcg,
            5,
        )
        for w in WEIGHTS
    }


def measure() -> dict[str, Any]:
    started = time.perf_counter()
    retail, movielens = SPECS
    raw = retail.load()
    rows: dict[str, dict[str, float]] = {}
    for month, (cut, end) in MONTHS.items():
        split = time_split(
            raw, cut=cut, end=end, dataset=retail.name, name=month, description=month
        )
        rows[f"online-retail new items {month}"] = ndcg_by_weight(split, retail.kind)
        log.info("%s %s", month, rows[f"online-retail new items {month}"])
    assert retail.all_items is not None
    all_items = retail.all_items(raw)["validation"]
    rows["online-retail all items 2011-10 (validation)"] = ndcg_by_weight(all_items, retail.kind)
    ml = movielens.split(movielens.load())["validation"]
    rows["movielens-100k validation"] = ndcg_by_weight(ml, movielens.kind)
    ratios = {
        name: {w: round(v / found["0.0"], 4) if found["0.0"] else 0.0 for w, v in found.items()}
        for name, found in rows.items()
    }
    return {
        "objective": "NDCG@10 of browsing's shipped weights with trending = w, the rest held",
        "ndcg@10": rows,
        "ratio to trending 0": ratios,
        "shipped": shipped_config().weights.trending,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    out = measure()
    OUTPUT.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out["ratio to trending 0"], indent=2))


if __name__ == "__main__":
    main()
