"""``tactful demo``: a real customer of the bundled data, and the gift moment."""

from __future__ import annotations

import sys
from datetime import timedelta

from agent.cli.asking import chat_loop, print_reply
from agent.cli.home import open_tactful
from agent.cli.loading import load_online_retail
from agent.cli.render import err, out, safe, show
from agent.demo_data import DEMO_FILE, demo_choice, replay_now
from agent.domain import BehaviourEvent, EventKind
from agent.settings import Settings

SUGGESTED_MESSAGES = (
    "it was for my niece",
    "what do you know about me?",
    "for me",
    "why the first one?",
    "I'm not into candles",
    "a gift for my sister under £10",
    "talk to a person",
    "never mind",
)
#: What the walk-through says for the shopper when nobody is at the keyboard.
SCRIPTED_MESSAGES = SUGGESTED_MESSAGES[:2]


def run_demo(settings: Settings) -> None:
    """Load the demo subset, then walk through asking about an out-of-profile purchase."""
    from agent.ingest.online_retail import read_online_retail

    choice = demo_choice()
    shopper_id, gift_item = choice["shopper_id"], choice["gift_item_id"]
    with err.status("Reading the demo data…"):
        data = read_online_retail(DEMO_FILE)
    if settings.now is None and data.report.last_event_at is not None:
        # The data ends in December 2011: replay it as if that were the next day, so
        # decay treats last week's orders as last week's.
        settings = settings.model_copy(update={"now": replay_now(data.report.last_event_at)})
    with open_tactful(settings) as tactful:
        if tactful.records.get_shopper(shopper_id) is not None:
            tactful.erase(shopper_id)  # start the walk-through afresh on every run
        load_online_retail(tactful, data)
        now = tactful.clock.now()
        out.rule(f"Shopper {safe(shopper_id)}, a real customer from the demo data")
        profile = tactful.profile(shopper_id)
        show(
            f"{profile.event_count} purchases on record. Strongest taste signals: "
            + "; ".join(safe(e.label) for e in profile.taste[:4])
            + "."
        )
        show("[bold cyan]you>[/] hi")
        reply = tactful.chat(shopper_id, "hi")
        print_reply(reply)

        item = tactful.item(gift_item)
        out.rule(f"An hour ago they bought: {safe(item.title)}")
        report = tactful.record_events(
            [
                BehaviourEvent(
                    event_id=f"demo-{shopper_id}-{gift_item}",
                    shopper_id=shopper_id,
                    item_id=gift_item,
                    kind=EventKind.PURCHASE,
                    at=now - timedelta(hours=1),
                    context="demo",
                )
            ]
        )
        if report.questions:
            show(
                "[dim]It fits nothing in their history and would change their suggestions a "
                "lot, so tactful holds it at low weight and asks once, at the next turn.[/]"
            )
        conversation = reply.conversation_id
        show("[bold cyan]you>[/] show me something new")
        reply = tactful.chat(shopper_id, "show me something new", conversation_id=conversation)
        print_reply(reply)
        out.rule("Your turn")
        if sys.stdin.isatty():
            show("Try: " + ", ".join(f"'{m}'" for m in SUGGESTED_MESSAGES) + ".")
            chat_loop(tactful, shopper_id)
            return
        for message in SCRIPTED_MESSAGES:
            show(f"[bold cyan]you>[/] {safe(message)}")
            print_reply(tactful.chat(shopper_id, message, conversation_id=conversation))
