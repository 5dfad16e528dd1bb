"""When a person is better than the agent: asked for, frustration, no answer, sensitive."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from agent.domain import EscalationCause, FeedbackValue

NEGATIVE = frozenset({FeedbackValue.DOWN, FeedbackValue.NOT_FOR_ME})


class EscalationConfig(BaseModel):
    """When to hand over, and how long a hand-over may wait before the shopper is told."""

    negative_in_a_row: int = Field(default=3, ge=1)
    no_answer_in_a_row: int = Field(default=2, ge=1)
    unclaimed_minutes: float = Field(
        default=15,
        gt=0,
        allow_inf_nan=False,
        description="after this long without a person, say so and offer the agent again",
    )


def frustrated(feedback: Sequence[FeedbackValue], config: EscalationConfig) -> bool:
    """True when the latest feedback is a run of negatives long enough to stop guessing."""
    run = 0
    for value in reversed(feedback):
        if value not in NEGATIVE:
            break
        run += 1
    return run >= config.negative_in_a_row


def cause_detail(cause: EscalationCause, topic: str | None = None) -> str:
    """A short line for staff: why this conversation reached them."""
    if cause is EscalationCause.SENSITIVE and topic:
        return f"sensitive topic: {topic}"
    return {
        EscalationCause.REQUESTED: "the shopper asked for a person",
        EscalationCause.FRUSTRATION: "the shopper was frustrated",
        EscalationCause.NO_GOOD_ANSWER: "the agent found nothing that fits the request",
        EscalationCause.SENSITIVE: "sensitive topic",
    }[cause]
