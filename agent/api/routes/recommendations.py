"""``POST /v1/recommendations`` and ``GET /v1/recommendations/{item_id}/why``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from agent.api.deps import AgentDep, AnyCaller, ShopperSide
from agent.api.others import public_explanation, public_suggestions
from agent.api.responses import json_response
from agent.api.schemas import RecommendationsPublic, RecommendCreate
from agent.domain import ShopperMode
from tools.explain import Explanation

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])


@router.post("", response_model=RecommendationsPublic)
def recommend(agent: AgentDep, caller: ShopperSide, body: RecommendCreate) -> Response:
    """The top ``k`` suggestions, each with the factors behind its score and a reason."""
    shopper_id = caller.shopper(body.shopper_id)
    request = body.model_dump(exclude={"shopper_id"})
    with agent.use() as tactful:
        suggestions = tactful.recommend(shopper_id, **request, name_shoppers=False)
        exposure_id = tactful.expose(shopper_id, suggestions)
    answer = RecommendationsPublic(
        shopper_id=shopper_id,
        mode=body.mode or ShopperMode.BROWSING,
        query=body.query,
        suggestions=public_suggestions(suggestions),
        exposure_id=exposure_id,
    )
    return json_response(answer)


@router.get("/{item_id}/why")
def why(
    agent: AgentDep,
    caller: AnyCaller,
    item_id: str,
    shopper_id: Annotated[str | None, Query(description="leave out with a shopper token")] = None,
    mode: ShopperMode | None = None,
    query: Annotated[str | None, Query(max_length=2000)] = None,
) -> Explanation:
    """ "Why am I seeing this?": the full breakdown for one item, as ranked now."""
    shopper = caller.shopper(shopper_id)
    with agent.use() as tactful:
        explanation = tactful.explain(shopper, item_id, mode=mode, query=query)
    return public_explanation(explanation)
