"""Satisfaction ratings: one score from 1 to 5 a shopper gives a conversation.

Kept apart from thumbs feedback because it rates the whole conversation, not a
suggestion, and feeds the satisfaction side of experiments rather than the ranking.
A later rating of the same conversation replaces the earlier one.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from agent.stores.sql.base import ID, metadata, utc

MAX_COMMENT = 1000

satisfaction = sa.Table(
    "satisfaction",
    metadata,
    sa.Column("shopper_id", ID, nullable=False, index=True),
    sa.Column("conversation_id", ID, primary_key=True),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("at", sa.DateTime, nullable=False),
)


class SatisfactionRating(BaseModel):
    """How satisfied a shopper said they were with one conversation."""

    conversation_id: str
    score: int = Field(ge=1, le=5, description="1 = not at all, 5 = very")
    comment: str | None = Field(default=None, max_length=MAX_COMMENT)
    at: datetime


def save(engine: Engine, shopper_id: str, rating: SatisfactionRating) -> None:
    """Store a rating, replacing one the shopper gave the same conversation before."""
    where = satisfaction.c.conversation_id == rating.conversation_id
    with engine.begin() as conn:
        conn.execute(sa.delete(satisfaction).where(where))
        conn.execute(
            sa.insert(satisfaction).values(
                shopper_id=shopper_id,
                conversation_id=rating.conversation_id,
                score=rating.score,
                comment=rating.comment,
                at=utc(rating.at),
            )
        )


def ratings_for(engine: Engine, shopper_id: str) -> list[SatisfactionRating]:
    """A shopper's ratings, oldest first."""
    query = (
        sa.select(satisfaction)
        .where(satisfaction.c.shopper_id == shopper_id)
        .order_by(satisfaction.c.at)
    )
    with engine.connect() as conn:
        return [
            SatisfactionRating(
                conversation_id=row.conversation_id,
                score=row.score,
                comment=row.comment,
                at=row.at,
            )
            for row in conn.execute(query)
        ]
