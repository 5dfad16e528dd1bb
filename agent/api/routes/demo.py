"""The demo shop (demo mode only): ``GET /`` is a shop page with real items of the demo
catalog and the chat widget, and ``POST /demo/token`` gets the page a shopper token for
one of the demo's customers.

A real shop's page never holds a key; its backend mints tokens (``POST /v1/tokens``).
The demo has no backend of its own, so this route stands in for it, for the listed
customers only, and only when ``TACTFUL_API__DEMO`` (``tactful serve --demo``) is on.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib.resources import files
from string import Template

import numpy as np
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from agent.api.deps import AgentDep, StateDep
from agent.api.errors import Forbidden
from agent.api.routes.tokens import issue_token
from agent.api.schemas import DemoTokenCreate, TokenCreate, TokenPublic
from agent.demo_data import NEW_VISITOR, demo_choice, demo_customers
from agent.domain import CatalogItem
from agent.errors import UnknownShopper
from agent.facade import Tactful

router = APIRouter(include_in_schema=False)

#: How many items the shop window shows.
SHOP_WINDOW = 12


@cache
def _page() -> Template:
    return Template(files("agent.api").joinpath("static/demo.html").read_text(encoding="utf-8"))


@router.get("/", response_class=HTMLResponse)
def shop_page(agent: AgentDep) -> HTMLResponse:
    """The demo shop: a shop window of real items, a customer picker and the widget."""
    with agent.use() as tactful:
        items = shop_window(tactful)
        customers = [(sid, customer_label(tactful, sid)) for sid in demo_customers()]
    html = _page().substitute(
        products="\n".join(_product_card(item) for item in items)
        or '<li class="empty">No catalog yet: load it with <code>tactful demo</code>.</li>',
        customers="\n".join(
            f'<option value="{escape(sid)}">{escape(label)}</option>' for sid, label in customers
        ),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/demo/token", status_code=201)
def demo_token(agent: AgentDep, state: StateDep, body: DemoTokenCreate) -> TokenPublic:
    """A shopper token for one of the demo's customers, without a key."""
    if body.shopper_id not in demo_customers():
        raise Forbidden("The demo page gets tokens only for the demo's own customers.")
    return issue_token(agent, state, TokenCreate(shopper_id=body.shopper_id))


def shop_window(tactful: Tactful, k: int = SHOP_WINDOW) -> list[CatalogItem]:
    """What most shoppers bought lately, as a shop's front page would show it."""
    catalog = tactful.index.catalog
    recent = tactful.index.current(tactful.clock.now()).recent_buyers
    rows = [int(r) for r in np.argsort(-recent, kind="stable")[:k] if r < len(catalog)]
    return [catalog.items[r] for r in rows] or catalog.items[:k]


def customer_label(tactful: Tactful, shopper_id: str) -> str:
    """How the picker names a customer: who they are and how much history they have."""
    if shopper_id == NEW_VISITOR:
        return "A first-time visitor (no history)"
    try:
        profile = tactful.profile(shopper_id)
    except UnknownShopper:
        return f"Customer {shopper_id} (not loaded)"
    bought = profile.events_by_kind.get("purchase", 0)
    label = f"Customer {shopper_id}: {bought} purchases"
    if profile.shopper.country:
        label += f", {profile.shopper.country}"
    if shopper_id == demo_choice()["shopper_id"]:
        label += " (the walk-through's customer)"
    return label


def _product_card(item: CatalogItem) -> str:
    price = f"£{item.price:.2f}" if item.price is not None else ""
    category = escape(item.category or "")
    return (
        f'<li class="product"><h3>{escape(item.title)}</h3>'
        f'<p class="category">{category}</p><p class="price">{escape(price)}</p></li>'
    )
