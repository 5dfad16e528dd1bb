"""``PUT /v1/catalog/items``: add or update items (shop key only)."""

from __future__ import annotations

from fastapi import APIRouter

from agent.api.deps import AgentDep, ShopOnly
from agent.api.schemas import CatalogCreate
from agent.facade import ItemIngestReport

router = APIRouter(prefix="/v1/catalog", tags=["catalog"])


@router.put("/items")
@router.post("/items", include_in_schema=False)
def upsert_items(agent: AgentDep, _caller: ShopOnly, body: CatalogCreate) -> ItemIngestReport:
    """Embed and store items; an unchanged item (same content) costs nothing."""
    with agent.use() as tactful:
        return tactful.ingest_items(body.items)
