"""The widget script, the demo shop page and its token route, and calling a hand-over off."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from agent.api.routes.demo import _product_card
from agent.api.routes.widget import widget_source
from agent.clock import FixedClock
from agent.demo_data import NEW_VISITOR, demo_customers
from agent.domain import CatalogItem
from agent.embedding import Embedder
from agent.settings import ApiConfig
from tests.api.conftest import Api, open_shop, serve

#: The widget's size budget, gzipped: it loads on every page of a shop.
WIDGET_BUDGET_BYTES = 30 * 1024
#: Ways a script turns a string into markup; text from the API must never reach them.
HTML_SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser")


@pytest.fixture
def demo_api(
    demo_home: Path, clock: FixedClock, embedder: Embedder, api_config: ApiConfig
) -> Iterator[Api]:
    config = api_config.model_copy(update={"demo": True})
    yield from serve(open_shop(demo_home, clock, embedder, config), config)


def test_widget_script_is_served_as_javascript_within_its_size_budget(shared_api: Api) -> None:
    response = shared_api.client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age" in response.headers["cache-control"]
    assert "customElements.define(TAG" in response.text
    assert len(gzip.compress(response.content, 9)) <= WIDGET_BUDGET_BYTES


def test_widget_script_never_parses_text_as_html() -> None:
    assert not HTML_SINKS.search(widget_source().decode("utf-8"))


def test_without_demo_mode_there_is_no_shop_page_and_no_key_free_token(shared_api: Api) -> None:
    assert shared_api.client.get("/").status_code == 404
    refused = shared_api.client.post("/demo/token", json={"shopper_id": demo_customers()[0]})
    assert refused.status_code == 404


def test_demo_page_shows_real_items_and_the_demo_customers(demo_api: Api) -> None:
    page = demo_api.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    titles = re.findall(r'<li class="product"><h3>(.*?)</h3>', page.text)
    assert len(titles) == 12
    catalog = {item.title for item in demo_api.tactful.index.catalog.items}
    assert all(title.replace("&#x27;", "'").replace("&amp;", "&") in catalog for title in titles)
    for shopper_id in demo_customers():
        assert f'<option value="{shopper_id}">' in page.text
    assert '<script src="/widget.js"' in page.text


def test_demo_page_escapes_product_text() -> None:
    item = CatalogItem(
        item_id="x1", title="<img src=x onerror=alert(1)>", category="<b>toys</b>", price=2.5
    )
    card = _product_card(item)
    assert "<img" not in card and "<b>" not in card
    assert "&lt;img src=x onerror=alert(1)&gt;" in card


def test_demo_token_acts_for_a_demo_customer_only(demo_api: Api, demo_shopper: str) -> None:
    minted = demo_api.client.post("/demo/token", json={"shopper_id": demo_shopper})
    assert minted.status_code == 201
    token = minted.json()["token"]
    profile = demo_api.call("GET", "/v1/shoppers/me/profile", token)
    assert profile.json()["shopper"]["shopper_id"] == demo_shopper
    visitor = demo_api.client.post("/demo/token", json={"shopper_id": NEW_VISITOR})
    assert visitor.status_code == 201
    refused = demo_api.client.post("/demo/token", json={"shopper_id": "12347"})
    assert refused.status_code == 403


def _asked_for_a_person(api: Api, token: str) -> dict[str, str]:
    reply = api.call("POST", "/v1/chat", token, json={"message": "hi"}).json()
    body = {"conversation_id": reply["conversation_id"]}
    escalation: dict[str, str] = api.call(
        "POST", "/v1/shoppers/me/escalations", token, json=body
    ).json()
    assert escalation["status"] == "waiting"
    return escalation


def test_shopper_calls_off_their_hand_over_and_the_agent_helps_again(
    api: Api, demo_shopper: str
) -> None:
    token = api.token(demo_shopper)
    escalation = _asked_for_a_person(api, token)
    path = f"/v1/shoppers/me/escalations/{escalation['escalation_id']}/call-off"
    called_off = api.call("POST", path, token)
    assert called_off.status_code == 200
    assert called_off.json()["status"] == "called_off"
    assert api.tactful.open_escalations() == []
    again = api.call("POST", path, token)
    assert again.status_code == 400


def test_shopper_cannot_call_off_someone_elses_hand_over(api: Api, demo_shopper: str) -> None:
    escalation = _asked_for_a_person(api, api.token(demo_shopper))
    path = f"/v1/shoppers/me/escalations/{escalation['escalation_id']}/call-off"
    refused = api.call("POST", path, api.token("17611"))
    assert refused.status_code == 404
    assert api.tactful.escalation(escalation["escalation_id"]).status == "waiting"


def test_demo_data_names_its_day_after_the_data_ends(data_now: datetime) -> None:
    from agent.demo_data import demo_now

    now = demo_now()
    assert now is not None and now.date() == data_now.date()
