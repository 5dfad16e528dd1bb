"""Driving ``<tactful-chat>`` on a page: a shop page that embeds it as the README says,
and the few moves every test makes (send a message, wait for the reply, read cards)."""

from __future__ import annotations

from html import escape

from playwright.sync_api import Locator, Page

from tests.browser.conftest import Server

SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"></head>
<body><main><h1>A shop</h1><p>Some products.</p></main>
<script src="{url}/widget.js" defer></script>
<tactful-chat api-base="{url}" token="{token}" brand-color="#7c3aed" currency="GBP" open>
</tactful-chat></body></html>"""


def open_shop_page(page: Page, server: Server, shopper_id: str) -> Locator:
    """A page of the shop (same origin as the API here) with the widget for ``shopper_id``."""
    html = SHOP_PAGE.format(url=server.url, token=escape(server.token(shopper_id)))
    address = f"{server.url}/shop/{shopper_id}"
    page.route(address, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(address)
    chat = page.locator("tactful-chat")
    chat.get_by_role("log", name="Conversation").wait_for()
    return chat


def say(chat: Locator, message: str) -> Locator:
    """Send ``message`` and wait for the whole reply; returns the reply's bubble."""
    replies = chat.locator(".msg.agent:not(.note):not(.error)")
    before = replies.count()
    chat.get_by_label("Your message").fill(message)
    chat.get_by_role("button", name="Send").click()
    reply = replies.nth(before)
    reply.wait_for()
    chat.locator(".msg.agent[aria-busy]").wait_for(state="detached")
    return reply


def card_titles(reply: Locator) -> list[str]:
    return reply.locator(".card h4").all_text_contents()


def card_reasons(reply: Locator) -> list[str]:
    return reply.locator(".card .reason").all_text_contents()
