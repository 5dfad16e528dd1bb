"""A real ``tactful serve --demo`` on loopback for the console to talk to, with a shop key
(to act as the shop and its shoppers) and a staff key (for the console)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.settings import Settings
from agent.stores.keys import KeyKind, KeyStore
from bench.api.server import running_server


@dataclass(frozen=True)
class Server:
    url: str
    shop_key: str
    staff_key: str
    home: Path

    def as_shop(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.shop_key}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kwargs)

    def as_shopper(self, shopper_id: str, method: str, path: str, **kwargs: Any) -> Any:
        token = self.as_shop("POST", "/v1/tokens", json={"shopper_id": shopper_id}).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        response = httpx.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()

    def revoked_staff_key(self, name: str) -> str:
        """A staff key that worked once and has since been revoked."""
        keys = KeyStore(Settings(home=self.home).sql_url)
        created = keys.create(KeyKind.STAFF, name)
        keys.revoke(created.key.key_id)
        keys.close()
        return created.secret


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, data_now: datetime
) -> Iterator[Server]:
    """``tactful serve --demo`` as its own process on the demo shop's last day."""
    home = tmp_path_factory.mktemp("console") / "home"
    shutil.copytree(demo_template, home)
    keys = KeyStore(Settings(home=home).sql_url)
    shop_key = keys.create(KeyKind.SHOP, "test shop").secret
    staff_key = keys.create(KeyKind.STAFF, "Priya").secret
    keys.close()
    env = {
        "TACTFUL_NOW": data_now.isoformat(),
        "TACTFUL_API__RATE_PER_SECOND": "1000",
        "TACTFUL_API__RATE_BURST": "1000",
        "TACTFUL_API__LIVE_POLL_SECONDS": "0.2",
    }
    with running_server(home, env, demo=True, log=home.parent / "serve.log") as url:
        yield Server(url, shop_key, staff_key, home)
