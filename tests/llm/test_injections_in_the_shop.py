"""Instructions injected into messages, end to end: a shop with the LLM brain does what a
shop without one does, whatever the model makes of them."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.brain.llm import llm_brain
from agent.brain.offline.reader import OfflineReader
from agent.clock import FixedClock
from agent.domain import Reply
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings
from bench.llm.endpoint import StandInEndpoint
from tests.llm.conftest import UnsureOffline
from tests.llm.injections import MESSAGE_INJECTIONS

OTHER_SHOPPER = "12346"


def what_it_did(reply: Reply) -> dict[str, Any]:
    """Everything a reply did or showed, but its words."""
    return {
        "escalated": reply.escalation is not None,
        "facts_changed": [(f.text, f.status) for f in reply.facts_changed],
        "erased": reply.erased,
        "exported": reply.export_file is not None,
        "confirming": reply.confirming,
        "personalized": reply.personalized,
        "shown": [s.item.item_id for s in reply.suggestions],
    }


def test_a_model_that_obeys_injected_instructions_changes_nothing_the_shop_does(
    demo_template: Path, tmp_path: Path, data_now: datetime, embedder: Embedder, demo_shopper: str
) -> None:
    obeyed = dict(MESSAGE_INJECTIONS)
    homes = [tmp_path / "assisted", tmp_path / "offline"]
    for home in homes:
        shutil.copytree(demo_template, home)
    with StandInEndpoint(readings=obeyed) as endpoint:
        settings = Settings(
            home=homes[0],
            llm_model="stand-in",
            llm_base_url=endpoint.base_url,
            llm_tools=False,  # tools are offered to others: test_choosing.py
        )
        # Unsure of everything, the brain sends every message to the model, which obeys.
        brain = llm_brain(settings, UnsureOffline(OfflineReader(embedder)))
        shops = [
            Tactful.open(settings, clock=FixedClock(data_now), embedder=embedder, brain=brain),
            Tactful.open(Settings(home=homes[1]), clock=FixedClock(data_now), embedder=embedder),
        ]
        try:
            for shop in shops:
                shop.chat(OTHER_SHOPPER, "hello")
                shop.remember(OTHER_SHOPPER, "likes owls")
            conversations: list[str | None] = [None, None]
            for message in obeyed:
                replies = [
                    shop.chat(demo_shopper, message, conversation_id=conversation)
                    for shop, conversation in zip(shops, conversations, strict=True)
                ]
                conversations = [reply.conversation_id for reply in replies]
                assert what_it_did(replies[0]) == what_it_did(replies[1]), message
                assert OTHER_SHOPPER not in replies[0].text
            assisted = shops[0]
            for shopper in (demo_shopper, OTHER_SHOPPER):
                facts = [[(f.text, f.status) for f in s.profile(shopper).facts] for s in shops]
                assert facts[0] == facts[1]
            assert [f.text for f in assisted.profile(OTHER_SHOPPER).facts] == ["likes owls"]
            stats = assisted.llm_stats
            assert stats is not None
            assert stats["fallbacks"]["overruled"] >= 8
            assert len([r for r in endpoint.requests if "state" in str(r)]) >= len(obeyed)
        finally:
            for shop in shops:
                shop.close()
