"""A real tactful behind the HTTP API: the demo shop (real embedder, Chroma and SQLite in
a private folder), real keys in its database, and a ``TestClient`` on the app."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.api.state import ApiState
from agent.clock import FixedClock
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import ApiConfig, Settings
from agent.stores.keys import KeyKind, KeyStore

#: A second real customer of the demo data, whose data the first must never reach.
OTHER_SHOPPER = "17611"


@dataclass
class Api:
    """The client plus the credentials of each kind of caller."""

    client: TestClient
    tactful: Tactful
    shop_key: str
    staff_key: str
    home: Path

    @property
    def state(self) -> ApiState:
        state: ApiState = self.client.app.state.api  # type: ignore[attr-defined]
        return state

    def token(self, shopper_id: str, ttl: int = 600) -> str:
        return self.state.signer.issue(shopper_id, int(time.time()) + ttl)

    def expired_token(self, shopper_id: str) -> str:
        return self.state.signer.issue(shopper_id, int(time.time()) - 5)

    @staticmethod
    def auth(secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}

    def as_shop(self) -> dict[str, str]:
        return self.auth(self.shop_key)

    def as_staff(self) -> dict[str, str]:
        return self.auth(self.staff_key)

    def as_shopper(self, shopper_id: str) -> dict[str, str]:
        return self.auth(self.token(shopper_id))

    def call(self, method: str, path: str, secret: str | None, **kwargs: Any) -> Any:
        headers = self.auth(secret) if secret else {}
        return self.client.request(method, path, headers=headers, **kwargs)


@dataclass
class Shop:
    """An opened demo shop, not yet behind an app."""

    home: Path
    tactful: Tactful
    shop_key: str
    staff_key: str


def open_shop(home: Path, clock: FixedClock, embedder: Embedder, api: ApiConfig) -> Shop:
    settings = Settings(home=home, api=api)
    tactful = Tactful.open(settings, clock=clock, embedder=embedder)
    keys = KeyStore(settings.sql_url)
    shop_key = keys.create(KeyKind.SHOP, "web backend").secret
    staff_key = keys.create(KeyKind.STAFF, "Priya").secret
    keys.close()
    return Shop(home, tactful, shop_key, staff_key)


def serve(shop: Shop, api: ApiConfig) -> Iterator[Api]:
    app = create_app(Settings(home=shop.home, api=api), shop.tactful)
    with TestClient(app) as client:
        yield Api(client, shop.tactful, shop.shop_key, shop.staff_key, shop.home)
    shop.tactful.close()


@pytest.fixture
def api_config() -> ApiConfig:
    """Generous limits, so only the tests about limits meet them."""
    return ApiConfig(rate_per_second=1000, rate_burst=1000, max_body_bytes=200_000)


@pytest.fixture
def api(
    demo_home: Path, clock: FixedClock, embedder: Embedder, api_config: ApiConfig
) -> Iterator[Api]:
    """The API on a private copy of the demo shop."""
    yield from serve(open_shop(demo_home, clock, embedder, api_config), api_config)


@pytest.fixture(scope="module")
def shared_api(
    tmp_path_factory: pytest.TempPathFactory,
    demo_template: Path,
    data_now: datetime,
    embedder: Embedder,
) -> Iterator[Api]:
    """One API for a module whose requests are all refused (so nothing changes)."""
    home = tmp_path_factory.mktemp("api") / "home"
    shutil.copytree(demo_template, home)
    config = ApiConfig(rate_per_second=1000, rate_burst=1000)
    yield from serve(open_shop(home, FixedClock(data_now), embedder, config), config)
