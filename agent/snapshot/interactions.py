"""The shop-wide interaction index as one uncompressed ``.npz`` file of plain arrays.

Only what :meth:`InteractionIndex.build` computes is saved; the column copies and unit
rows the index derives from it are derived again on loading, the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO

import numpy as np
from scipy import sparse

from agent.snapshot.files import Saved, Writer
from tools.buy_again import RepurchaseIntervals
from tools.interactions import InteractionIndex
from tools.latent import LatentFactors
from tools.sequence import NextChoices
from tools.trending import SalesPace

ARRAYS = "arrays.npz"

_MATRICES = ("engagement", "recent_engagement", "co_engagement", "latest_days", "next_counts")


def interaction_parts(index: InteractionIndex) -> dict[str, Writer]:
    """How to write the index's file."""

    def arrays(out: IO[bytes]) -> None:
        np.savez(out, allow_pickle=False, **_arrays(index))

    return {ARRAYS: arrays}


def read_interactions(saved: Saved, built_at: datetime, n_items: int) -> InteractionIndex:
    """The index saved in ``saved``; ValueError when it does not fit ``n_items`` items."""
    with np.load(saved.files[ARRAYS], allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    matrices = {name: _matrix(arrays, name) for name in _MATRICES}
    latent = arrays["latent_factors"]
    if any(matrix.shape[1] != n_items for matrix in matrices.values()) or len(latent) != n_items:
        raise ValueError("saved interactions are for another number of items")
    countries = zip(arrays["countries"].tolist(), arrays["country_known"].tolist(), strict=True)
    return InteractionIndex(
        shopper_ids=arrays["shopper_ids"].tolist(),
        countries=[country if known else None for country, known in countries],
        engagement=matrices["engagement"],
        co_engagement=matrices["co_engagement"],
        popularity=arrays["popularity"],
        recent_buyers=arrays["recent_buyers"],
        built_at=built_at,
        trending_days=float(arrays["trending_days"]),
        pace=SalesPace(arrays["pace_recent"], arrays["pace_base"]),
        intervals=RepurchaseIntervals(
            item_median_days=arrays["item_median_days"],
            item_gaps=arrays["item_gaps"],
            shop_median_days=float(arrays["shop_median_days"]),
        ),
        recent_engagement=matrices["recent_engagement"],
        latest_days=matrices["latest_days"],
        next_choices=NextChoices(matrices["next_counts"], arrays["next_totals"]),
        # Factors saved before any were fitted have no columns: fitted on first use.
        latent=LatentFactors(
            latent, float(arrays["latent_regularization"]), float(arrays["latent_alpha"])
        )
        if latent.shape[1]
        else None,
    )


def _arrays(index: InteractionIndex) -> dict[str, np.ndarray]:
    latent = index.fitted_latent or LatentFactors.empty(index.n_items)
    # Fixed-width text arrays, not objects: loading them needs no pickle.
    arrays = {
        "shopper_ids": np.array(index.shopper_ids, dtype=str),
        "countries": np.array([c or "" for c in index.countries], dtype=str),
        "country_known": np.array([c is not None for c in index.countries], dtype=bool),
        "popularity": index.popularity,
        "recent_buyers": index.recent_buyers,
        "trending_days": np.array(index.trending_days),
        "pace_recent": index.pace.recent,
        "pace_base": index.pace.base,
        "item_median_days": index.intervals.item_median_days,
        "item_gaps": index.intervals.item_gaps,
        "shop_median_days": np.array(index.intervals.shop_median_days),
        "next_totals": index.next_choices.totals,
        # The fitted item factors: opening a shop never retrains.
        "latent_factors": latent.item_factors,
        "latent_regularization": np.array(latent.regularization),
        "latent_alpha": np.array(latent.alpha),
    }
    matrices = {
        "engagement": index.engagement,
        "recent_engagement": index.recent_engagement,
        "co_engagement": index.co_engagement,
        "latest_days": index.latest_days,
        "next_counts": index.next_choices.counts,
    }
    for name, matrix in matrices.items():
        arrays |= {
            f"{name}.format": np.array(matrix.format),
            f"{name}.data": matrix.data,
            f"{name}.indices": matrix.indices,
            f"{name}.indptr": matrix.indptr,
            f"{name}.shape": np.array(matrix.shape),
        }
    return arrays


def _matrix(arrays: dict[str, np.ndarray], name: str) -> sparse.csr_matrix | sparse.csc_matrix:
    kind = {"csr": sparse.csr_matrix, "csc": sparse.csc_matrix}[str(arrays[f"{name}.format"])]
    parts = (arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"])
    return kind(parts, shape=tuple(int(n) for n in arrays[f"{name}.shape"]))
