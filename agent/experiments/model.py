"""An experiment's arms, its settings, and what each shopper was shown in it."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

#: A key names an experiment in URLs and commands, and seeds its hash.
KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: A guardrail may worsen by at most this share before the readout calls it harmed.
GUARDRAIL_MARGIN = 0.10


class Arm(StrEnum):
    """What a shopper in the experiment is shown."""

    #: tactful's own ranking.
    AI = "ai"
    #: Staff lists, in staff order.
    CURATED = "curated"
    #: "Algotorial": the staff list is the pool, tactful orders it for the shopper, and
    #: tactful's own picks fill any slots the pool leaves.
    HYBRID = "hybrid"


#: Shoppers who switched personalization off: never in the AI or hybrid arms, shown the
#: list that is the same for everyone, and reported apart from the arms.
PERSONALIZATION_OFF = "personalization_off"


class Source(StrEnum):
    """Who chose a shown item."""

    AI = "ai"
    CURATED = "curated"


class ExperimentStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    STOPPED = "stopped"


class ExperimentDraft(BaseModel):
    """What makes an experiment: its key, its arms' weights and the arm others are
    compared with."""

    key: str = Field(examples=["curation-2026-12"])
    description: str = Field(default="", max_length=500)
    weights: dict[Arm, float] = Field(
        default_factory=lambda: {Arm.AI: 1.0, Arm.CURATED: 1.0, Arm.HYBRID: 1.0},
        description="relative share of shoppers per arm",
    )
    control: Arm = Arm.AI
    guardrail_margin: float = Field(default=GUARDRAIL_MARGIN, gt=0, le=1)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY.fullmatch(value):
            raise ValueError("use 1 to 64 lower-case letters, digits, dots, dashes or underscores")
        return value

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[Arm, float]) -> dict[Arm, float]:
        return check_weights(value)


def check_weights(weights: dict[Arm, float]) -> dict[Arm, float]:
    if len(weights) < 2:
        raise ValueError("an experiment needs at least two arms")
    if any(not (w >= 0) or w == float("inf") for w in weights.values()):
        raise ValueError("weights are finite numbers, 0 or more")
    if sum(weights.values()) <= 0:
        raise ValueError("at least one arm needs a weight above 0")
    return {arm: float(weights[arm]) for arm in Arm if arm in weights}


class Experiment(ExperimentDraft):
    """A stored experiment."""

    status: ExperimentStatus = ExperimentStatus.DRAFT
    #: Raised by a restart: every shopper is assigned afresh, earlier data set aside.
    bucket_version: int = 1
    #: The weights in force in each period of the current bucket version, oldest first;
    #: a shopper is counted against the weights of the period they were assigned in.
    weights_history: list[dict[Arm, float]] = Field(default_factory=list)
    created_at: datetime
    started_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def arms(self) -> list[Arm]:
        return list(self.weights)


class ExposedItem(BaseModel):
    item_id: str
    position: int = Field(ge=1)
    source: Source


class Exposure(BaseModel):
    """One list of suggestions as a shopper in an experiment was shown it."""

    exposure_id: str
    experiment_key: str
    bucket_version: int
    shopper_id: str
    #: An :class:`Arm`'s value, or :data:`PERSONALIZATION_OFF`.
    arm: str
    at: datetime
    #: When the shop said the list was on screen; an exposure counts only from then.
    shown_at: datetime | None = None
    conversation_id: str | None = None
    items: list[ExposedItem]
