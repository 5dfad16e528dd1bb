"""``bench/plots/latency.png``: latency against catalog size, with the targets drawn in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers or CI

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from bench.speed.targets import TARGETS

SERIES = (
    ("recommend_ms", "median", "recommend median", "tab:blue", "o", ":"),
    ("recommend_ms", "p95", "recommend p95", "tab:blue", "o", "-"),
    ("chat_ms", "median", "chat turn median", "tab:orange", "s", ":"),
    ("chat_ms", "p95", "chat turn p95", "tab:orange", "s", "-"),
)
TARGET_LINES = (
    ("recommend_p95_ms", "recommend p95 target", "tab:blue"),
    ("chat_p95_ms", "chat turn p95 target", "tab:orange"),
)


def plot_latency(result: dict[str, Any], path: Path) -> Path:
    """Draw median and p95 of recommend and chat per size (log-log) with the targets."""
    sizes = sorted(
        (v["items"], name, v)
        for name, v in result.items()
        if isinstance(v, dict) and "recommend_ms" in v
    )
    fig, ax = plt.subplots(figsize=(8, 5.2), dpi=120)
    xs = [items for items, _, _ in sizes]
    for key, stat, label, colour, marker, style in SERIES:
        ys = [v[key][stat] for _, _, v in sizes]
        ax.plot(xs, ys, linestyle=style, marker=marker, color=colour, label=label)
    for key, label, colour in TARGET_LINES:
        points = sorted(
            (result[name]["items"], limits[key])
            for name, limits in TARGETS.items()
            if name in result and key in limits
        )
        if points:
            ax.plot(
                [x for x, _ in points],
                [y for _, y in points],
                linestyle="--",
                marker="_",
                markersize=18,
                color=colour,
                alpha=0.6,
                label=label,
            )
    for items, name, _ in sizes:
        # A labelled guide per size, placed in axes height so it never leaves the plot.
        ax.axvline(items, color="grey", linewidth=0.6, alpha=0.4)
        ax.text(
            items,
            0.02,
            f" {name.replace('_', ' ')} ({items:,})",
            transform=ax.get_xaxis_transform(),
            rotation=90,
            fontsize=7,
            color="dimgrey",
            va="bottom",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Plain milliseconds ("60") read better than powers of ten ("6×10¹") on a log axis.
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel("catalog size (items, log scale)")
    ax.set_ylabel("latency (ms, log scale)")
    machine = result.get("machine", {})
    ax.set_title(
        "tactful warm latency by catalog size (offline chat, embedded stores)\n"
        f"{machine.get('cpu', '')}, {machine.get('cores', '?')} cores, "
        f"load average {machine.get('load_average', {}).get('start', ['?'])[0]} at start",
        fontsize=9,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
