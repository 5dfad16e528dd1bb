"""Writes the hand-written cassettes: ``python -m tests.llm.write_cassettes``.

Each cassette is the answers a test's LLM calls get, in order, in OpenAI's wire format
(:mod:`tests.llm.wire`). Change an answer here and run this again; re-recording
against a real endpoint overwrites the files instead (tests/llm/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.llm import wire
from tests.llm.injections import DESCRIPTION_INJECTIONS, MESSAGE_INJECTIONS

HERE = Path(__file__).parent / "cassettes"
INTRO = "Here are a few things you might like, in browsing mode."
TRUE_REASONS = [
    "You bought the Owl Mug, and 12 shoppers with baskets like yours chose it.",
    "It's popular right now.",
]
CUT = '{"reading": {"kind": "request", "query": "scented cand'

#: Each fault, as the endpoint sends it.
FAULTS: dict[str, dict[str, Any]] = {
    "rate_limit": wire.error(
        429,
        "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3.",
        "requests",
        "rate_limit_exceeded",
    ),
    "quota": wire.error(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
    ),
    "server": wire.error(
        500, "The server had an error while processing your request.", "server_error"
    ),
    "unavailable": wire.error(503, "The engine is currently overloaded.", "server_error"),
    "truncated": wire.completion(CUT, finish="length", completion_tokens=400),
    "malformed": wire.raw(200, "<html><body>502 Bad Gateway</body></html>"),
}

BRAIN: dict[str, list[dict[str, Any]]] = {
    "test_a_message_is_read_with_one_structured_output_call": [
        wire.reading(
            {
                "kind": "request",
                "query": "scented candle",
                "budget_max": 20,
                "currency": "£",
                "recipient": "mum",
                "sex": "f",
            },
            prompt_tokens=1412,
            completion_tokens=38,
        )
    ],
    "test_a_streamed_answer_is_read_like_a_whole_one": [
        wire.streamed(json.dumps({"reading": {"kind": "request", "query": "owl lantern"}}))
    ],
    "test_suggestions_are_worded_in_one_call_from_their_factors": [
        wire.wording(INTRO, TRUE_REASONS, prompt_tokens=520, completion_tokens=52)
    ],
    "test_a_worded_reason_that_invents_a_claim_is_rejected": [
        wire.wording(
            "Here are today's best deals, all on sale.",
            [
                "On sale today: 30% off the Owl Lantern, which you bought last week.",
                "Loved by shoppers in Paris, and it goes with your Fox Print.",
            ],
        )
    ],
    "test_the_model_chooses_tools_but_never_whose_data_they_touch": [
        wire.completion(
            None,
            finish="tool_calls",
            tool_calls=[
                wire.tool_call("catalog_search", {"query": "owl lantern", "k": 5}),
                wire.tool_call(
                    "recommend", {"shopper_id": "12346", "query": "owl lantern", "k": 3}
                ),
            ],
        )
    ],
    "test_schema_invalid_output_is_repaired_once": [
        wire.reading({"kind": "request", "query": "candles", "budget_max": "twenty quid"}),
        wire.reading({"kind": "request", "query": "candles", "budget_max": 20}),
    ],
    "test_output_still_invalid_after_one_repair_leaves_the_turn_to_the_offline_brain": [
        wire.reading({"kind": "shopping_spree"}),
        wire.completion("Sure! Here is what the shopper means: a request for candles."),
    ],
    # A turn's reading and wording calls meet the same fault.
    **{
        f"test_a_failing_endpoint_leaves_the_turn_to_the_offline_brain[{name}]": [answer] * 2
        for name, answer in FAULTS.items()
    },
    "test_a_remembered_like_is_said_by_the_shopper_and_worded_by_tactful": [
        wire.reading({"kind": "correction", "subject": "foxes", "polarity": 1, "text": "x"}),
        wire.reading(
            {
                "kind": "correction",
                "subject": "hedgehogs",
                "polarity": 1,
                "text": "adores hedgehogs and wants everything 90% off",
            }
        ),
    ],
    "test_the_circuit_breaker_stops_calling_a_failing_endpoint": [FAULTS["server"]] * 3,
    "test_injected_instructions_in_messages_change_nothing_that_is_done": [
        wire.reading(reading) for _, reading in MESSAGE_INJECTIONS
    ],
    "test_injected_instructions_in_product_text_never_reach_a_reason": [
        wire.wording(INTRO, [said, "It's popular right now."])
        for _, _, said in DESCRIPTION_INJECTIONS
    ],
}


OTHER_SHOPPER = "12346"
SEARCH = wire.tool_call("catalog_search", {"query": "garden lights"})
CHOOSING: dict[str, list[dict[str, Any]]] = {
    "test_the_model_searches_then_ranks_in_one_call_and_tactful_runs_both": [
        wire.tools_chosen(
            # Ranking first: tactful still searches first, and ranks what was found.
            wire.tool_call("recommend", {"query": "solar garden lights", "k": 5}),
            SEARCH,
        )
    ],
    "test_a_search_alone_is_ranked_for_the_shopper_by_tactful": [wire.tools_chosen(SEARCH)],
    "test_an_unusable_choice_of_tools_leaves_the_ranking_to_tactful[a_tool_it_was_not_given]": [
        wire.tools_chosen(SEARCH, wire.tool_call("forget", {"fact_id": "f-1"}))
    ],
    "test_an_unusable_choice_of_tools_leaves_the_ranking_to_tactful[bad_arguments]": [
        wire.tools_chosen(SEARCH, wire.tool_call("recommend", {"k": 500, "max_price": 5}))
    ],
    "test_an_unusable_choice_of_tools_leaves_the_ranking_to_tactful[text_instead_of_tools]": [
        wire.completion("You might like our solar garden lights, now 20% off.")
    ],
    "test_an_unusable_choice_of_tools_leaves_the_ranking_to_tactful[too_many_calls]": [
        wire.tools_chosen(*[wire.tool_call("catalog_search", {"query": q}) for q in "abcd"])
    ],
    "test_a_model_told_to_rank_for_another_shopper_ranks_only_for_the_one_in_the_chat": [
        wire.tools_chosen(
            wire.tool_call("catalog_search", {"query": "owl lantern"}),
            wire.tool_call(
                "recommend",
                {"shopper_id": OTHER_SHOPPER, "query": "owl lantern", "k": 3, "mode": "gift"},
            ),
        ),
        wire.wording(INTRO, ["It's popular right now."] * 3),
    ],
}


def write(folder: Path, cassettes: dict[str, list[dict[str, Any]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, responses in cassettes.items():
        cassette = {"interactions": [wire.interaction(r) for r in responses], "version": 1}
        text = yaml.safe_dump(cassette, sort_keys=False, allow_unicode=True, width=100)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(HERE / "test_brain", BRAIN)
    write(HERE / "test_choosing", CHOOSING)
