"""``GET /v1/shoppers?q=…``: support staff find a shopper by the id a customer gives them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from agent.api import support
from agent.api.deps import AgentDep, StaffUser
from agent.api.schemas import ShopperMatch

router = APIRouter(prefix="/v1/shoppers", tags=["shoppers"])


@router.get("")
def find_shoppers(
    agent: AgentDep,
    _caller: StaffUser,
    q: Annotated[str, Query(min_length=1, max_length=128, description="the id or its start")],
) -> list[ShopperMatch]:
    """Up to 20 shoppers whose id starts with ``q``, with their open hand-overs."""
    with agent.use() as tactful:
        return support.find_shoppers(tactful, q)
