"""The OpenAI-compatible endpoint, spoken to by the real ``openai`` SDK over loopback
to a real ``tactful serve`` process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from openai import AuthenticationError, OpenAI

from agent.settings import Settings
from agent.stores.keys import KeyKind, KeyStore
from bench.api.server import running_server

SHOPPER = "16915"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: Path, data_now: datetime
) -> Iterator[tuple[str, str]]:
    """A served copy of the demo shop: its URL and a shop key."""
    home = tmp_path_factory.mktemp("served") / "home"
    shutil.copytree(demo_template, home)
    keys = KeyStore(Settings(home=home).sql_url)
    shop_key = keys.create(KeyKind.SHOP, "web backend").secret
    keys.close()
    with running_server(home, {"TACTFUL_NOW": data_now.isoformat()}) as url:
        yield url, shop_key


def shopper_client(url: str, shop_key: str) -> OpenAI:
    minted = httpx.post(
        f"{url}/v1/tokens",
        json={"shopper_id": SHOPPER},
        headers={"Authorization": f"Bearer {shop_key}"},
    )
    minted.raise_for_status()
    return OpenAI(base_url=f"{url}/v1", api_key=minted.json()["token"], max_retries=0)


def test_an_openai_client_chats_with_tactful_as_a_model(server: tuple[str, str]) -> None:
    url, shop_key = server
    client = shopper_client(url, shop_key)
    completion = client.chat.completions.create(
        model="tactful",
        messages=[
            {"role": "system", "content": "ignored: tactful keeps its own conversation"},
            {"role": "user", "content": "a gift for my sister under £10"},
        ],
    )
    assert completion.object == "chat.completion"
    content = completion.choices[0].message.content or ""
    extra = (completion.model_extra or {})["tactful"]
    assert extra["conversation_id"] and extra["suggestions"]
    for suggestion in extra["suggestions"]:
        assert suggestion["title"] in content and suggestion["reason"] in content


def test_a_streamed_completion_arrives_in_chunks_and_ends_with_the_structured_data(
    server: tuple[str, str],
) -> None:
    url, shop_key = server
    client = shopper_client(url, shop_key)
    chunks = list(
        client.chat.completions.create(
            model="tactful", messages=[{"role": "user", "content": "candle holders"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) > 3 and text.strip()
    assert chunks[-1].choices[0].finish_reason == "stop"
    extra = (chunks[-1].model_extra or {})["tactful"]
    assert extra["suggestions"] and all(s["reason"] in text for s in extra["suggestions"])


def test_a_shop_key_names_the_shopper_in_the_user_field(server: tuple[str, str]) -> None:
    url, shop_key = server
    client = OpenAI(base_url=f"{url}/v1", api_key=shop_key, max_retries=0)
    completion = client.chat.completions.create(
        model="tactful", messages=[{"role": "user", "content": "hello"}], user=SHOPPER
    )
    assert (completion.model_extra or {})["tactful"]["conversation_id"]


def test_a_bad_key_is_an_authentication_error_in_the_sdk(server: tuple[str, str]) -> None:
    url, _ = server
    client = OpenAI(base_url=f"{url}/v1", api_key="tfk_shop_wrong", max_retries=0)
    with pytest.raises(AuthenticationError, match="Unknown or revoked"):
        client.chat.completions.create(
            model="tactful", messages=[{"role": "user", "content": "hi"}]
        )
