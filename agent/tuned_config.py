"""Settings fitted to one shop by ``tactful tune``, kept under the data folder: the
ranking's weights and half-lives, and the question rule's thresholds.

Each tuning is written as the next numbered file in ``TACTFUL_HOME/tuning/`` (never over
an earlier one), and the newest is what ``recommend``, ``chat`` and the API rank with.
``tactful tune --undo`` removes the newest, bringing back the one before (or the
built-in defaults).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from agent.errors import InvalidInput
from agent.policy.calibration import Calibration
from tools.buy_again import BuyAgainPolicy
from tools.ranker import MODE_WEIGHTS, RankWeights
from tools.signals import DecayPolicy
from tools.types import ShopperMode

#: The file format; a newer tactful reads older formats, never the other way round.
FORMAT = 1


class Tuning(BaseModel):
    """What one tuning chose, and the evidence for it."""

    format: Literal[1] = 1
    created: datetime
    #: The validation window: the last this many days of the shop's events.
    window_days: float
    cut: datetime
    shoppers: int
    trials: int
    #: Whether the tuned ranking served better than the defaults (else they are kept).
    ranking_adopted: bool = True
    policy: DecayPolicy
    weights: dict[ShopperMode, RankWeights]
    #: What ``recommend --new-only`` ranks with, when not ``weights`` (older tunings).
    new_only_weights: dict[ShopperMode, RankWeights] | None = None
    #: Which weights served lists without what each shopper has best: "tuned" (the
    #: ones above), "defaults" (the built-in ones) or "discovery" (searched for them).
    new_only_choice: str | None = None
    #: How re-orders are read, when the tuning chose (older tunings: the built-in reading).
    buy_again: BuyAgainPolicy | None = None
    #: The question rule's thresholds, when the history could support a choice.
    clarify: Calibration | None = None
    #: NDCG@10 and the rest, as served, for "tuned", "defaults" and each baseline.
    validation: dict[str, dict[str, float]] = Field(default_factory=dict)

    @field_validator("weights", "new_only_weights", mode="before")
    @classmethod
    def _shipped_for_newer_factors(cls, weights: object) -> object:
        """A factor added since the tuning was written keeps its shipped weight (not 0:
        the tuning never chose to turn it off)."""
        if not isinstance(weights, dict):
            return weights
        modes = {m.value: m for m in ShopperMode}
        return {
            mode: MODE_WEIGHTS[modes[mode]].model_dump() | given
            if isinstance(given, dict) and mode in modes
            else given
            for mode, given in weights.items()
        }


def tuning_dir(home: Path) -> Path:
    return home / "tuning"


def _numbered(home: Path) -> list[Path]:
    folder = tuning_dir(home)
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.json") if p.stem.isdigit()]
    return sorted(files, key=lambda p: int(p.stem))


def latest(home: Path) -> tuple[Path, Tuning] | None:
    """The newest tuning under ``home``, or None when the shop was never tuned."""
    files = _numbered(home)
    if not files:
        return None
    path = files[-1]
    try:
        return path, Tuning.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError) as exc:
        raise InvalidInput(
            f"The tuned settings in {path} cannot be read ({type(exc).__name__}); "
            "run `tactful tune --undo` to go back to the previous ones, or tune again."
        ) from None


def save(home: Path, tuned: Tuning) -> Path:
    """Write ``tuned`` as the next numbered file, whole or not at all."""
    folder = tuning_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    files = _numbered(home)
    number = int(files[-1].stem) + 1 if files else 1
    path = folder / f"{number:04d}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(tuned.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path


def undo(home: Path) -> Path | None:
    """Remove the newest tuning; the path removed, or None when there was none."""
    files = _numbered(home)
    if not files:
        return None
    files[-1].unlink()
    return files[-1]
