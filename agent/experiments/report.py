"""An experiment's readout as data: each arm's values with 95 % intervals, each
treatment's lift over the control, the sample-ratio check, the verdict; and its plot.

Worked out by :mod:`agent.experiments.readout`, which loads the statistics libraries:
this module stays cheap to import for whoever only shows a report.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field


class Interval(BaseModel):
    value: float | None
    low: float | None
    high: float | None
    n: int


class Lift(BaseModel):
    """A treatment against the control on one metric, relative (0.1 = +10 %)."""

    lift: float | None
    low: float | None
    high: float | None
    p_value: float
    #: Holm-adjusted over the treatments: what "significant" is judged by.
    p_adjusted: float
    sequential_low: float | None
    sequential_high: float | None
    significant: bool
    #: Guardrails only: the one-sided upper bound of the lift, and whether it stays
    #: below the margin (the arm is shown not to make it worse).
    upper: float | None = None
    non_inferior: bool | None = None


class MetricResult(BaseModel):
    name: str
    label: str
    family: str
    higher_is_better: bool
    guardrail: bool
    arms: dict[str, Interval]
    lifts: dict[str, Lift] = Field(default_factory=dict)


class SampleRatioResult(BaseModel):
    p_value: float
    passed: bool
    observed: dict[str, int]
    expected: dict[str, float]


class ExperimentReport(BaseModel):
    key: str
    status: str
    bucket_version: int
    control: str
    arms: list[str]
    started_at: datetime | None
    computed_at: datetime
    guardrail_margin: float
    shoppers: dict[str, int] = Field(description="exposed shoppers per arm")
    personalization_off_shoppers: int
    sample_ratio: SampleRatioResult
    blocked: bool
    verdict: str
    metrics: list[MetricResult]
    #: The same metrics for shoppers with personalization off, reported apart.
    personalization_off: dict[str, Interval] = Field(default_factory=dict)


def plot(report: ExperimentReport, path: Path) -> Path:
    """A PNG: each treatment's lift over the control, with its 95 % interval, per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    treatments = [a for a in report.arms if a != report.control]
    rows = [m for m in report.metrics if any(m.lifts[a].lift is not None for a in treatments)]
    fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(rows), 1) * len(treatments) + 1.5))
    labels: list[str] = []
    y = 0
    colours = ("tab:blue", "tab:orange", "tab:green")
    for m in rows:
        for n, arm in enumerate(treatments):
            lift = m.lifts[arm]
            if lift.lift is not None and lift.low is not None and lift.high is not None:
                ax.errorbar(
                    lift.lift * 100,
                    y,
                    xerr=[[(lift.lift - lift.low) * 100], [(lift.high - lift.lift) * 100]],
                    fmt="o",
                    color=colours[n % len(colours)],
                    label=arm if y < len(treatments) else None,
                )
            labels.append(f"{m.label} ({arm})")
            y += 1
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"lift over {report.control}, % (95 % CI)")
    ax.set_title(f"Experiment {report.key}" + (" (readout blocked)" if report.blocked else ""))
    if treatments and rows:
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
