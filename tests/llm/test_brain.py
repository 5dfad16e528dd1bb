"""The LLM brain against hand-written cassettes: reading, wording, tools, faults, injections."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agent.brain import intents as i
from agent.brain.base import ReadContext
from agent.brain.llm import LlmBrain, llm_brain
from agent.brain.llm.client import chat_model
from agent.brain.llm.tools import ServerContext, build_tools, run_tool_call
from agent.brain.offline.brain import OfflineBrain
from agent.conversation import outcome as o
from agent.domain import ShopperMode
from tests.llm.conftest import UnsureOffline, llm_settings
from tests.llm.injections import DESCRIPTION_INJECTIONS, MESSAGE_INJECTIONS
from tests.llm.test_tools import FakeBackend
from tools.types import CatalogItem, Evidence, EvidenceKind, Factor, FactorName, Suggestion

pytestmark = pytest.mark.vcr

CALM = ReadContext()
SHOWN = o.Shown(mode=ShopperMode.BROWSING, personalized=True)


def owl(title: str = "Owl Lantern", description: str = "") -> Suggestion:
    return Suggestion(
        item=CatalogItem(item_id="22910", title=title, description=description, price=4.95),
        score=0.8,
        factors=[
            Factor(
                name=FactorName.TASTE,
                contribution=0.5,
                evidence=[Evidence(kind=EvidenceKind.EVENT, ref="e1", label="Owl Mug", weight=0.5)],
            ),
            Factor(
                name=FactorName.COMMUNITY,
                contribution=0.3,
                evidence=[
                    Evidence(
                        kind=EvidenceKind.SHOPPER,
                        ref="community",
                        label="12 shoppers with baskets like yours",
                        weight=0.3,
                    )
                ],
            ),
            Factor(name=FactorName.DISMISSED, contribution=-0.1),
        ],
        reason="Because you bought Owl Mug, and it was chosen by 12 shoppers with baskets "
        "like yours.",
    )


FOX = Suggestion(
    item=CatalogItem(item_id="22911", title="Fox Print", price=7.5),
    score=0.4,
    factors=[
        Factor(
            name=FactorName.POPULARITY,
            contribution=0.4,
            evidence=[
                Evidence(kind=EvidenceKind.STATISTIC, ref="popular_now", label="", weight=0.4)
            ],
        )
    ],
    reason="Because it's popular right now.",
)


def test_a_message_is_read_with_one_structured_output_call(brain: LlmBrain) -> None:
    reading = brain.read("need a nice smelling candle for my mum, twenty quid max", CALM)

    assert reading == i.Request(
        query="scented candle", budget_max=20, currency="£", recipient="mum", sex="f"
    )
    assert (brain.stats.calls, brain.stats.input_tokens, brain.stats.output_tokens) == (
        1,
        1412,
        38,
    )
    assert not brain.stats.fallbacks


def test_a_streamed_answer_is_read_like_a_whole_one(unsure: UnsureOffline) -> None:
    brain = llm_brain(llm_settings(llm_stream=True), unsure)

    reading = brain.read("got any lanterns with owls on them", CALM)

    assert reading == i.Request(query="owl lantern")
    assert brain.stats.calls == 1 and brain.stats.input_tokens == 900
    assert not brain.stats.fallbacks


def test_suggestions_are_worded_in_one_call_from_their_factors(brain: LlmBrain) -> None:
    brain.stats.start_turn()

    worded = brain.word_shown(SHOWN, [owl(), FOX])

    assert brain.stats.calls == 1
    assert worded.text == "Here are a few things you might like, in browsing mode."
    assert worded.reasons == [
        "You bought the Owl Mug, and 12 shoppers with baskets like yours chose it.",
        "It's popular right now.",
    ]
    assert brain.stats.ungrounded == 0


def test_a_worded_reason_that_invents_a_claim_is_rejected(brain: LlmBrain) -> None:
    brain.stats.start_turn()
    suggestions = [owl(), FOX]

    worded = brain.word_shown(SHOWN, suggestions)

    assert worded.reasons == [s.reason for s in suggestions], "the template reasons stand"
    assert worded.text == brain.word(SHOWN), "and the template intro"
    assert brain.stats.ungrounded == 3


def test_the_model_chooses_tools_but_never_whose_data_they_touch() -> None:
    backend = FakeBackend()
    tools = build_tools(backend)
    model = chat_model(llm_settings()).bind_tools(tools)

    answer = model.invoke([HumanMessage("find owl lanterns and rank them for me")])
    context = ServerContext(shopper_id="17850", conversation_id="c-1")
    results = [run_tool_call(tools, call, context) for call in answer.tool_calls]

    assert [call["name"] for call in answer.tool_calls] == ["catalog_search", "recommend"]
    assert all(r.status == "success" for r in results)
    assert [name for name, _, _ in backend.calls] == ["search", "recommend"]
    assert backend.calls[1][1] == ("17850",), "the shopper comes from the server, not the model"


def test_schema_invalid_output_is_repaired_once(brain: LlmBrain) -> None:
    reading = brain.read("candles, no more than 20", CALM)

    assert reading == i.Request(query="candles", budget_max=20)
    assert brain.stats.calls == 2
    assert not brain.stats.fallbacks


def test_output_still_invalid_after_one_repair_leaves_the_turn_to_the_offline_brain(
    brain: LlmBrain, offline: OfflineBrain
) -> None:
    message = "candles, no more than 20"

    reading = brain.read(message, CALM)

    assert reading == offline.read(message, CALM)
    assert brain.stats.calls == 2
    assert brain.stats.fallbacks == {"invalid": 1}


@pytest.mark.parametrize(
    "cause",
    [
        pytest.param("rate_limit", id="rate_limit"),
        pytest.param("rate_limit", id="quota"),
        pytest.param("server", id="server"),
        pytest.param("server", id="unavailable"),
        pytest.param("truncated", id="truncated"),
        pytest.param("malformed", id="malformed"),
    ],
)
def test_a_failing_endpoint_leaves_the_turn_to_the_offline_brain(
    brain: LlmBrain, offline: OfflineBrain, cause: str
) -> None:
    message = "a scented candle for my mum under £20"

    reading = brain.read(message, CALM)
    worded = brain.word_shown(SHOWN, [owl(), FOX])

    assert reading == offline.read(message, CALM)
    # The wording call of the same turn meets the same fault: the templates stand.
    assert worded.reasons == [owl().reason, FOX.reason]
    assert worded.text == offline.word(SHOWN)
    assert brain.stats.calls == 2
    assert brain.stats.fallbacks == {cause: 2}


def test_a_remembered_like_is_said_by_the_shopper_and_worded_by_tactful(
    brain: LlmBrain, offline: OfflineBrain
) -> None:
    message = "honestly I love anything with hedgehogs on it"

    invented = brain.read(message, CALM)
    remembered = brain.read(message, CALM)

    assert invented == offline.read(message, CALM), "they never said foxes"
    assert isinstance(remembered, i.Correction)
    assert remembered.subject == "hedgehogs"
    assert remembered.text == "loves hedgehogs", "the fact in tactful's words, not the model's"
    assert brain.stats.fallbacks == {"unsaid": 1}


def test_the_circuit_breaker_stops_calling_a_failing_endpoint(brain: LlmBrain) -> None:
    for _ in range(4):
        brain.read("a scented candle for my mum under £20", CALM)

    assert brain.stats.calls == 3, "three failures in a row, then no fourth call"
    assert brain.stats.fallbacks == {"server": 3, "breaker_open": 1}


def test_injected_instructions_in_messages_change_nothing_that_is_done(
    brain: LlmBrain, offline: OfflineBrain
) -> None:
    for message, obeyed in MESSAGE_INJECTIONS:
        reading = brain.read(message, CALM)

        # The model obeyed, and its reading acts on data or hands over: that is done
        # only when the offline rules, which no wording talks round, read the same.
        assert reading == offline.read(message, CALM), (message, obeyed)
        assert "12346" not in reading.model_dump_json()
    assert brain.stats.calls == len(MESSAGE_INJECTIONS) >= 12


def test_injected_instructions_in_product_text_never_reach_a_reason(
    brain: LlmBrain, vcr: Any
) -> None:
    for title, description, obeyed in DESCRIPTION_INJECTIONS:
        brain.stats.start_turn()
        suggestions = [owl(title, description), FOX]

        worded = brain.word_shown(SHOWN, suggestions)

        assert worded.reasons[0] == suggestions[0].reason, obeyed
    bodies = [str(request.body) for request in vcr.requests]
    assert len(bodies) == len(DESCRIPTION_INJECTIONS) >= 10
    for (_, description, _), body in zip(DESCRIPTION_INJECTIONS, bodies, strict=True):
        assert not description or description not in body, "descriptions are never sent"
