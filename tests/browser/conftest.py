"""A real ``tactful serve --demo`` on a loopback port, on a private copy of the demo shop,
and a real headless Chromium (the system's own: no browser is downloaded) to drive it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.cli.processes import free_port, stop
from agent.settings import Settings
from agent.stores.keys import KeyKind, KeyStore
from bench.api.server import wait_ready

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

if not CHROMIUM.exists():
    # `make test` installs it; on CI a missing browser is a failure, not a skip.
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@dataclass(frozen=True)
class Server:
    """A running ``tactful serve`` and the shop's key for it."""

    url: str
    shop_key: str
    home: Path

    def token(self, shopper_id: str) -> str:
        response = httpx.post(
            f"{self.url}/v1/tokens",
            json={"shopper_id": shopper_id},
            headers={"Authorization": f"Bearer {self.shop_key}"},
        )
        response.raise_for_status()
        token: str = response.json()["token"]
        return token

    def as_shop(self, method: str, path: str, json: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.shop_key}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, json=json, timeout=30)


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, data_now: datetime
) -> Iterator[Server]:
    """``tactful serve --demo`` as a separate process, on the day after the data ends."""
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(demo_template, home)
    keys = KeyStore(Settings(home=home).sql_url)
    shop_key = keys.create(KeyKind.SHOP, "test shop").secret
    keys.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACTFUL_")}
    env |= {
        "TACTFUL_NOW": data_now.isoformat(),
        "TACTFUL_API__RATE_PER_SECOND": "1000",
        "TACTFUL_API__RATE_BURST": "1000",
    }
    log = home.parent / "serve.log"
    command = [sys.executable, "-m", "agent.cli", "serve", "--demo", "--home", str(home)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url, 120, log=log)
        yield Server(url, shop_key, home)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Per module, not per session: Playwright's sync API keeps an event loop running in
    # this thread while it is open, and later tests that call asyncio.run() need it gone.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
