"""``/health`` (the process answers: liveness) and ``/ready`` (it should get traffic:
readiness)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from agent.api.errors import error_response
from agent.api.observability import Observability
from agent.api.schemas import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> HealthPublic:
    """Up; says nothing about the stores."""
    return HealthPublic()


@router.get(
    "/ready",
    response_model=HealthPublic,
    responses={
        503: {
            "description": "not ready: the shop-wide snapshot is loading (`loading`), or a "
            "store does not answer (`store_unavailable`)"
        }
    },
)
def ready(request: Request) -> Any:
    """Ready for traffic: the shop-wide snapshot is loaded (not being rebuilt) and the
    database (and a Chroma server, when one is configured) answers. Answers at once,
    without waiting for the requests in progress."""
    observability: Observability = request.app.state.observability
    problem = observability.not_ready()
    if problem is not None:
        return error_response(503, problem.code, problem.message)
    return HealthPublic()
