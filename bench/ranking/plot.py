"""The NDCG@10 chart: every method and ablation per dataset, with the target line."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on a server

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

BASELINE_COLOUR = "#9e9e9e"
TACTFUL_COLOUR = "#1f5fa8"
DEFAULTS_COLOUR = "#8fb3dc"
ABLATION_COLOUR = "#e0a040"
TARGET_COLOUR = "#c62828"


def colour(method: str) -> str:
    """Grey for baselines, blue for tactful, pale blue for its defaults, amber for ablations."""
    if method == "tactful":
        return TACTFUL_COLOUR
    if method.startswith("tactful (product"):
        return DEFAULTS_COLOUR
    if method.startswith("tactful"):
        return ABLATION_COLOUR
    return BASELINE_COLOUR


def draw_ndcg(
    ndcg: dict[str, dict[str, float]],
    targets: dict[str, tuple[float, str]],
    path: Path,
    title: str = "NDCG@10 on the test split (higher is better)",
) -> None:
    """One horizontal bar chart per dataset; ``targets`` maps dataset → (value, label)."""
    datasets = list(ndcg)
    fig, axes = plt.subplots(1, len(datasets), figsize=(7 * len(datasets), 5.6), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        methods = list(ndcg[dataset])
        values = [ndcg[dataset][m] for m in methods]
        positions = list(range(len(methods)))[::-1]  # first method at the top
        bars = ax.barh(positions, values, color=[colour(m) for m in methods])
        ax.set_yticks(positions, methods, fontsize=10)
        target = targets.get(dataset)
        top = max([*values, target[0] if target else 0.0]) * 1.22
        ax.set_xlim(0, top)
        for bar, value in zip(bars, values, strict=True):
            ax.text(
                value + top * 0.01,
                bar.get_y() + bar.get_height() / 2,
                f"{value:.4f}",
                va="center",
                fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5},
            )
        if target:
            value, label = target
            ax.axvline(value, color=TARGET_COLOUR, linestyle="--", linewidth=1.5)
            ax.text(
                value - top * 0.01,
                len(methods) - 0.05,
                f"{label}: {value:.4f}",
                color=TARGET_COLOUR,
                fontsize=9,
                ha="right",
                va="center",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5},
            )
        ax.set_title(dataset, fontsize=12)
        ax.set_xlabel("NDCG@10")
        ax.grid(axis="x", alpha=0.3)
        ax.set_ylim(-0.7, len(methods) + 0.35)
    legend = [
        Patch(color=BASELINE_COLOUR, label="baseline"),
        Patch(color=TACTFUL_COLOUR, label="tactful, tuned on validation"),
        Patch(color=DEFAULTS_COLOUR, label="tactful, product defaults"),
        Patch(color=ABLATION_COLOUR, label="tactful with one part removed"),
        Line2D([0], [0], color=TARGET_COLOUR, linestyle="--", label="target"),
    ]
    fig.legend(handles=legend, loc="lower center", ncol=len(legend), fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=13)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
