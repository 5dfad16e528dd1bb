"""A shopper using ``<tactful-chat>`` in a real browser against a real ``tactful serve``.

Each test is a different shopper, so tests share one server without seeing each other.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import AXE, DESKTOP, PHONE, Server
from tests.browser.widget_page import card_reasons, card_titles, open_shop_page, say

HOSTILE_TITLE = (
    '<img src=x onerror="window.pwned=1">Xylophone lantern <script>window.pwned=2</script> '
    + "Extraordinarilylongwordthatnevereverbreaksbyitselfanywhereatall" * 2
)
HOSTILE_MESSAGE = "<img src=x onerror=window.pwned=3> xylophone lantern <b>please</b>"


def test_shopper_chats_and_gets_streamed_reply_with_cards_and_reasons(
    page: Page, server: Server
) -> None:
    chat = open_shop_page(page, server, "b-cards")
    reply = say(chat, "candles please")
    assert reply.locator(".text").text_content()
    titles = card_titles(reply)
    assert len(titles) >= 3
    assert all(reason.startswith("Because") for reason in card_reasons(reply))
    expect(reply.locator(".card .price").first).to_contain_text("£")


def test_why_panel_shows_the_factors_and_links_to_the_fact_behind_them(
    page: Page, server: Server
) -> None:
    chat = open_shop_page(page, server, "b-why")
    say(chat, "I love candles")
    reply = say(chat, "candles please")
    card = reply.locator(".card").first
    why = card.get_by_role("button", name="Why am I seeing this?")
    why.click()
    expect(why).to_have_attribute("aria-expanded", "true")
    panel = card.locator(".why")
    expect(panel).to_contain_text("What you asked for:")
    expect(panel).to_contain_text("What you told me:")
    expect(panel).to_contain_text("You told me: loves candles")
    panel.get_by_role("button", name="See or change it").click()
    about = chat.locator("#view-about")
    expect(about).to_be_visible()
    expect(chat.get_by_role("button", name="Correct: loves candles")).to_be_focused()


def test_deleting_a_fact_in_place_changes_the_next_suggestions(page: Page, server: Server) -> None:
    chat = open_shop_page(page, server, "b-forget")
    say(chat, "I love candles")
    before = say(chat, "show me some ideas")
    assert any("loves candles" in reason for reason in card_reasons(before))
    chat.get_by_role("button", name="About me").click()
    expect(chat.get_by_role("heading", name="What tactful thinks about me")).to_be_focused()
    fact = chat.locator(".fact", has_text="loves candles")
    expect(fact).to_contain_text("You said it")
    chat.get_by_role("button", name="Delete: loves candles").click()
    expect(fact).to_have_count(0)
    expect(chat.get_by_role("status")).to_contain_text("Deleted: loves candles")
    chat.get_by_role("button", name="Chat", exact=True).click()
    after = say(chat, "show me some ideas")
    assert card_titles(after)
    assert not any("loves candles" in reason for reason in card_reasons(after))


def test_correcting_a_fact_in_place_keeps_the_new_wording(page: Page, server: Server) -> None:
    chat = open_shop_page(page, server, "b-correct")
    say(chat, "I love candles")
    chat.get_by_role("button", name="About me").click()
    chat.get_by_role("button", name="Correct: loves candles").click()
    field = chat.get_by_label("What's right instead")
    expect(field).to_be_focused()
    field.fill("loves scented candles")
    field.press("Enter")
    expect(chat.get_by_role("button", name="Correct: loves scented candles")).to_be_focused()
    profile = server.as_shop("GET", "/v1/shoppers/b-correct/profile").json()
    active = [f["text"] for f in profile["facts"] if f["status"] == "active"]
    assert active == ["loves scented candles"]


def test_clarifying_question_comes_with_quick_replies(
    page: Page, server: Server, demo_shopper: str, gift_item: str
) -> None:
    chat = open_shop_page(page, server, demo_shopper)
    say(chat, "hi")
    # An hour ago, on the shop's site: a purchase far from this customer's history.
    event = {"event_id": "b-gift-1", "shopper_id": demo_shopper, "item_id": gift_item}
    server.as_shop("POST", "/v1/events", json={"events": [{**event, "kind": "purchase"}]})
    reply = say(chat, "show me something new")
    expect(reply.locator(".text")).to_contain_text("for someone else?")
    quick = reply.get_by_role("group", name="Quick replies")
    quick.get_by_role("button", name="For someone else").click()
    answer = chat.locator(".msg.agent:not(.note)").last
    chat.locator(".msg.agent[aria-busy]").wait_for(state="detached")
    expect(quick).to_have_count(0)
    expect(chat.locator(".msg.me").last).to_have_text(re.compile("You said: For someone else"))
    assert "for someone else?" not in (answer.locator(".text").text_content() or "")


def test_switching_personalization_off_gives_suggestions_for_everyone(
    page: Page, server: Server
) -> None:
    chat = open_shop_page(page, server, "17611")
    chat.get_by_role("button", name="Your data").click()
    switch = chat.get_by_role("switch", name="Personalized suggestions")
    expect(switch).to_have_attribute("aria-checked", "true")
    # The switch turns once the server has the change, however busy it is.
    with page.expect_response(lambda r: r.url.endswith("/personalization")) as answered:
        switch.click()
    assert answered.value.ok
    expect(switch).to_have_attribute("aria-checked", "false")
    profile = server.as_shop("GET", "/v1/shoppers/17611/profile").json()
    assert profile["shopper"]["personalized"] is False
    chat.get_by_role("button", name="Chat", exact=True).click()
    reply = say(chat, "show me some ideas")
    assert not any("you bought" in r.lower() for r in card_reasons(reply))
    chat.get_by_role("button", name="Your data").click()
    expect(switch).to_have_attribute("aria-checked", "false")


def test_shopper_asks_for_a_person_and_calls_it_off(page: Page, server: Server) -> None:
    chat = open_shop_page(page, server, "b-person")
    say(chat, "hi")
    chat.get_by_role("button", name="Talk to a person").click()
    banner = chat.locator(".handover")
    expect(banner).to_contain_text("Waiting for a person")
    waiting = server.as_shop("GET", "/v1/shoppers/b-person/profile").json()["escalations"]
    assert [e["status"] for e in waiting] == ["waiting"]
    chat.get_by_role("button", name="Call it off").click()
    expect(banner).to_be_hidden()
    expect(chat.get_by_role("button", name="Talk to a person")).to_be_focused()
    after = server.as_shop("GET", "/v1/shoppers/b-person/profile").json()["escalations"]
    assert [e["status"] for e in after] == ["called_off"]


def test_a_person_joins_and_their_reply_shows_while_the_widget_is_open(
    page: Page, server: Server
) -> None:
    chat = open_shop_page(page, server, "b-staff")
    say(chat, "hi")
    chat.get_by_role("button", name="Talk to a person").click()
    expect(chat.locator(".handover")).to_contain_text("Waiting for a person")
    (waiting,) = server.as_shop("GET", "/v1/shoppers/b-staff/profile").json()["escalations"]
    escalation = f"/v1/escalations/{waiting['escalation_id']}"

    server.as_shop("POST", f"{escalation}/claim", {"staff": "Priya"}).raise_for_status()
    expect(chat).to_contain_text("Priya from the team has joined.")
    reply = "Hello, I'm Priya. Let me look at your order."
    server.as_shop("POST", f"{escalation}/messages", {"text": reply}).raise_for_status()

    expect(chat.locator(".log")).to_contain_text(reply)
    expect(chat.locator(".log")).to_contain_text("Priya (team)")


def test_html_in_a_message_and_in_a_product_title_shows_as_text(page: Page, server: Server) -> None:
    item = {"item_id": "b-hostile", "title": HOSTILE_TITLE, "category": "candles", "price": 3.5}
    assert server.as_shop("PUT", "/v1/catalog/items", json={"items": [item]}).status_code == 200
    chat = open_shop_page(page, server, "b-hostile")
    reply = say(chat, HOSTILE_MESSAGE)
    expect(chat.locator(".msg.me .text").last).to_have_text(HOSTILE_MESSAGE)
    title = reply.locator(".card h4").filter(has_text="Xylophone lantern")
    expect(title).to_have_text(HOSTILE_TITLE)
    page.wait_for_timeout(300)  # would give an injected onerror time to run
    assert page.evaluate("window.pwned") is None
    tags = page.evaluate(
        "[...document.querySelector('tactful-chat').shadowRoot.querySelectorAll('img, script, b')]"
        ".map(n => n.tagName)"
    )
    assert tags == []
    # A word longer than the panel wraps instead of widening it.
    assert title.evaluate("t => t.closest('.card').scrollWidth <= t.closest('.card').clientWidth")


def test_feedback_rating_and_keyboard_open_close(page: Page, server: Server) -> None:
    chat = open_shop_page(page, server, "b-feedback")
    reply = say(chat, "candles please")
    title = card_titles(reply)[0]
    up = reply.get_by_role("button", name=f"I like {title}")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    not_for_me = reply.get_by_role("button", name=f"{title} is not for me")
    not_for_me.click()
    expect(not_for_me).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    chat.get_by_role("button", name="Rate this chat").click()
    four = chat.get_by_role("button", name="4 out of 5")
    four.click()
    expect(four).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    launcher = chat.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.get_by_label("Your message")).to_be_focused()


def test_export_downloads_and_erase_asks_first(page: Page, server: Server) -> None:
    chat = open_shop_page(page, server, "b-data")
    say(chat, "I love candles")
    chat.get_by_role("button", name="Your data").click()
    with page.expect_download() as download:
        chat.get_by_role("button", name="Download my data").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert "loves candles" in json.dumps(exported)
    chat.get_by_role("button", name="Erase my data…").click()
    cancel = chat.get_by_role("button", name="Cancel")
    expect(cancel).to_be_focused()
    cancel.click()
    assert server.as_shop("GET", "/v1/shoppers/b-data/profile").status_code == 200
    chat.get_by_role("button", name="Erase my data…").click()
    chat.get_by_role("button", name="Yes, erase everything").click()
    expect(chat.get_by_role("status")).to_contain_text("Erased:")
    assert server.as_shop("GET", "/v1/shoppers/b-data/profile").status_code == 404


def _serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_widget_has_no_serious_accessibility_violations(page: Page, server: Server) -> None:
    chat = open_shop_page(page, server, "b-axe")
    say(chat, "I love candles")
    reply = say(chat, "candles please")
    reply.get_by_role("button", name="Why am I seeing this?").first.click()
    chat.get_by_role("button", name="Talk to a person").click()
    expect(chat.locator(".handover")).to_be_visible()
    violations = _serious_violations(page)
    chat.get_by_role("button", name="About me").click()
    expect(chat.locator(".fact")).to_have_count(1)
    violations += _serious_violations(page)
    chat.get_by_role("button", name="Your data").click()
    chat.get_by_role("button", name="Erase my data…").click()
    violations += _serious_violations(page)
    assert violations == []


def test_demo_page_picks_a_customer_and_chats(page: Page, server: Server) -> None:
    page.goto(server.url + "/")
    expect(page.locator(".product")).to_have_count(12)
    chat = page.locator("tactful-chat")
    expect(chat).to_have_attribute("token", re.compile(r"^tfs1\."))
    first = chat.get_attribute("token")
    page.get_by_label("Shop as").select_option("17611")
    expect(chat).not_to_have_attribute("token", first or "")
    expect(page.locator("#picker-status")).to_contain_text("Customer 17611")
    reply = say(chat, "show me some ideas")
    assert card_titles(reply)
    assert _serious_violations(page) == []


def test_screenshots_at_desktop_and_phone_width(
    page: Page, server: Server, artifacts: Path
) -> None:
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(server.url + "/")
        chat = page.locator("tactful-chat")
        expect(chat).to_have_attribute("token", re.compile(r"^tfs1\."))
        reply = say(chat, "a gift for my sister under £10")
        reply.get_by_role("button", name="Why am I seeing this?").first.click()
        panel = chat.locator(".panel")
        assert panel.evaluate("p => p.scrollWidth <= p.clientWidth")
        box = panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        page.screenshot(path=str(artifacts / f"widget-{name}.png"))
        chat.get_by_role("button", name="About me").click()
        page.screenshot(path=str(artifacts / f"widget-{name}-about.png"))


def test_in_an_experiment_the_widget_confirms_the_list_it_showed(
    page: Page, server: Server
) -> None:
    items = [{"item_id": i} for i in ("22728", "22727", "22726")]
    made = server.as_shop("POST", "/v1/curated-lists", {"name": "Clocks", "items": items})
    assert made.status_code == 201, made.text
    experiment = {"key": "widget", "weights": {"ai": 0, "curated": 1}, "start": True}
    assert server.as_shop("POST", "/v1/experiments", experiment).status_code == 201
    try:
        chat = open_shop_page(page, server, "b-experiment")
        with page.expect_response(lambda r: "/v1/exposures/" in r.url) as confirmed:
            reply = say(chat, "what would you suggest?")
        assert confirmed.value.status == 204
        assert all("a person on our team chose it" in r for r in card_reasons(reply))
        report = server.as_shop("GET", "/v1/experiments/widget/report").json()
        assert report["shoppers"]["curated"] == 1
    finally:
        server.as_shop("POST", "/v1/experiments/widget/stop")
        server.as_shop("DELETE", "/v1/curated-lists/clocks")
