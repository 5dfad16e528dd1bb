"""What the console reads from the server, and sends to it, as the JSON the HTTP API has.

These mirror the API's bodies, keeping only the fields the console shows (the rest is
ignored), so the console depends on the HTTP contract and never on the server's Python
code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Escalation(Model):
    escalation_id: str
    conversation_id: str
    shopper_id: str
    cause: str
    detail: str
    at: datetime
    status: str
    staff: str | None = None

    @property
    def open(self) -> bool:
        return self.status in ("waiting", "with_staff")


class QueueEntry(Model):
    escalation: Escalation
    waiting_seconds: float
    turns: int


class Turn(Model):
    role: str
    text: str
    at: datetime
    staff: str | None = None


class Factor(Model):
    name: str
    contribution: float


class Item(Model):
    item_id: str
    title: str
    price: float | None = None


class Suggestion(Model):
    item: Item
    score: float
    factors: list[Factor] = Field(default_factory=list)
    reason: str = ""


class ShownSuggestions(Model):
    at: datetime
    suggestions: list[Suggestion]


class EscalationDetail(Model):
    escalation: Escalation
    transcript: list[Turn]
    now: datetime | None = None
    waiting_seconds: float = 0.0
    suggestions: list[ShownSuggestions] = Field(default_factory=list)


class Fact(Model):
    fact_id: str
    text: str
    source: str
    confidence: float
    created_at: datetime
    reinforced_at: datetime
    status: str

    @property
    def active(self) -> bool:
        return self.status == "active"


class Evidence(Model):
    kind: str
    ref: str
    label: str
    weight: float


class HeldEvent(Model):
    """An out-of-profile event held at low weight until the shopper says who it was for."""

    question_id: str
    item_title: str
    status: str


class Shopper(Model):
    shopper_id: str
    country: str | None = None
    personalized: bool = True


class Profile(Model):
    shopper: Shopper
    facts: list[Fact]
    taste: list[Evidence] = Field(default_factory=list)
    held: list[HeldEvent] = Field(default_factory=list)
    event_count: int = 0


class AuditRecord(Model):
    at: datetime
    actor: str
    action: str
    target: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class ShopperMatch(Model):
    shopper_id: str
    open_escalations: list[Escalation]
    now: datetime


class CuratedItem(Model):
    item_id: str
    note: str | None = None


class ListTarget(Model):
    """Where a curated list applies; a target left empty matches anything."""

    mode: str | None = None
    category: str | None = None
    recipient: str | None = None
    occasion: str | None = None


class CuratedListDraft(Model):
    """What staff send to make or replace a curated list; the server checks it."""

    name: str
    items: list[CuratedItem]
    target: ListTarget = Field(default_factory=ListTarget)
    #: Naive datetimes in UTC, as the server keeps them.
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class CuratedList(CuratedListDraft):
    list_id: str
    created_by: str
    created_at: datetime
    updated_at: datetime


class Experiment(Model):
    key: str
    status: str
    control: str
    weights: dict[str, float] = Field(default_factory=dict)
    bucket_version: int = 1


class ExperimentReport(Model):
    key: str
    status: str
    verdict: str
    #: Exposed shoppers per arm.
    shoppers: dict[str, int] = Field(default_factory=dict)
    blocked: bool = False
