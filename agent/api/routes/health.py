"""``/health`` (the process answers) and ``/ready`` (its stores answer too)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter

from agent.api.deps import AgentDep, StateDep
from agent.api.schemas import HealthPublic
from agent.errors import StoreUnavailable

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> HealthPublic:
    """Up; says nothing about the stores."""
    return HealthPublic()


@router.get("/ready", responses={503: {"description": "a store does not answer"}})
def ready(agent: AgentDep, state: StateDep) -> HealthPublic:
    """Ready for traffic: the database answers and the catalog is loaded."""
    try:
        with state.keys.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        with agent.use() as tactful, tactful.records.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        raise StoreUnavailable("The database does not answer.") from None
    return HealthPublic()
