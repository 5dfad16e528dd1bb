"""A failure inside Chroma reaches an API caller as the command line says it: 503, and the
one line that names ``tactful reindex``; never a 500 or a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromadb.errors import InternalError
from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.settings import ApiConfig, Settings
from agent.stores.vectors import ChromaVectorStore, index_failure
from tests.api.conftest import open_shop

HNSW_FAILURE = "Error in compaction: Failed to apply logs to the hnsw segment writer"


def test_a_failure_inside_chroma_is_503_with_the_line_naming_reindex(
    demo_home: Path,
    clock: FixedClock,
    embedder: Embedder,
    api_config: ApiConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = open_shop(demo_home, clock, embedder, api_config)
    app = create_app(Settings(home=demo_home, api=api_config), shop.tactful)
    item = {"item_id": "T-OWL-MUG", "title": "Owl mug", "price": 4.5}

    def hnsw_failure(*_args: Any, **_kwargs: Any) -> None:
        raise InternalError(HNSW_FAILURE)

    # Not raised into the test: the answer is what a caller gets.
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {"Authorization": f"Bearer {shop.shop_key}"}
        with monkeypatch.context() as failing:
            failing.setattr(ChromaVectorStore, "upsert_items", hnsw_failure)
            failed = client.put("/v1/catalog/items", json={"items": [item]}, headers=headers)
        again = client.put("/v1/catalog/items", json={"items": [item]}, headers=headers)
    filed = shop.tactful.items.states(["T-OWL-MUG"])["T-OWL-MUG"].filed
    in_catalog = "T-OWL-MUG" in shop.tactful.index.catalog
    shop.tactful.close()

    expected = index_failure(InternalError(HNSW_FAILURE))
    assert expected is not None
    assert failed.status_code == 503, failed.text
    assert failed.json() == {"error": {"code": "store_unavailable", "message": expected.message}}
    assert "run `tactful reindex` to rebuild the index" in expected.message
    assert "Traceback" not in failed.text
    # The item reached SQL before Chroma failed; the next write files it.
    assert again.status_code == 200, again.text
    assert again.json() == {"added": 0, "updated": 0, "unchanged": 1}
    assert filed and in_catalog
