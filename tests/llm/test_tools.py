"""The LangChain wrappers around the ranking tools, driven by a fake backend (no LLM)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, StructuredTool

from agent.brain.llm.tools import (
    EscalateArgs,
    ExplainArgs,
    ForgetArgs,
    RecommendArgs,
    RememberArgs,
    SearchArgs,
    ServerContext,
    build_tools,
    run_tool_call,
)
from agent.errors import UnknownFact
from tools.explain import Explanation, explain
from tools.search import SearchHit
from tools.types import (
    CatalogItem,
    Evidence,
    EvidenceKind,
    Factor,
    FactorName,
    FactSource,
    FactStatus,
    PreferenceFact,
    Suggestion,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 5, 1, 12, 0)
LANTERN = CatalogItem(item_id="lantern", title="Owl lantern", category="home", price=12.5)
TASTE = Factor(
    name=FactorName.TASTE,
    contribution=0.6,
    evidence=[Evidence(kind=EvidenceKind.EVENT, ref="e1", label="Owl mug", weight=0.6)],
)
SUGGESTION = Suggestion(
    item=LANTERN,
    score=0.5,
    factors=[TASTE, Factor(name=FactorName.DISMISSED, contribution=-0.1)],
    reason="Because you liked the Owl mug.",
)


def fact(status: FactStatus = FactStatus.ACTIVE) -> PreferenceFact:
    return PreferenceFact(
        fact_id="f1",
        shopper_id="s1",
        text="likes owls",
        subject="owls",
        source=FactSource.STATED,
        confidence=0.9,
        created_at=NOW,
        reinforced_at=NOW,
        status=status,
    )


class FakeBackend:
    """Records every call and answers with fixed objects, or raises ``error`` if set."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.error = error

    def _called(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if self.error is not None:
            raise self.error

    def search(self, query: str, **kwargs: Any) -> list[SearchHit]:
        self._called("search", query, **kwargs)
        return [SearchHit(item=LANTERN, similarity=0.81234567)]

    def recommend(self, shopper_id: str, **kwargs: Any) -> list[Suggestion]:
        self._called("recommend", shopper_id, **kwargs)
        # Built without validation, as a ranker may hand over numpy scalars.
        raw = Suggestion.model_construct(
            item=LANTERN,
            score=np.float32(0.5),
            factors=[Factor.model_construct(name=FactorName.TASTE, contribution=np.float32(0.5))],
            reason="Because you liked the Owl mug.",
        )
        return [raw]

    def explain(self, shopper_id: str, item_id: str) -> Explanation:
        self._called("explain", shopper_id, item_id)
        return explain(SUGGESTION)

    def remember(self, shopper_id: str, text: str, **kwargs: Any) -> PreferenceFact:
        self._called("remember", shopper_id, text, **kwargs)
        return fact()

    def forget(self, shopper_id: str, fact_id: str) -> PreferenceFact:
        self._called("forget", shopper_id, fact_id)
        return fact(FactStatus.RETRACTED)

    def escalate(self, shopper_id: str, conversation_id: str, reason: str) -> str:
        self._called("escalate", shopper_id, conversation_id, reason)
        return "esc-1"


def tools_by_name(backend: FakeBackend) -> dict[str, BaseTool]:
    return {tool.name: tool for tool in build_tools(backend)}


def test_build_tools_offers_six_structured_tools_with_their_argument_models() -> None:
    tools = build_tools(FakeBackend())

    assert [(t.name, t.args_schema) for t in tools] == [
        ("catalog_search", SearchArgs),
        ("recommend", RecommendArgs),
        ("explain", ExplainArgs),
        ("remember", RememberArgs),
        ("forget", ForgetArgs),
        ("escalate", EscalateArgs),
    ]
    assert all(isinstance(t, StructuredTool) for t in tools)


def test_every_tool_has_a_one_line_description_for_the_model() -> None:
    for tool in build_tools(FakeBackend()):
        assert len(tool.description) > 40, tool.name
        assert "\n" not in tool.description


def test_every_argument_the_model_sees_is_described() -> None:
    for tool in build_tools(FakeBackend()):
        schema = tool.tool_call_schema
        assert not isinstance(schema, dict)
        properties = schema.model_json_schema()["properties"]
        undescribed = [name for name, spec in properties.items() if not spec.get("description")]
        assert undescribed == [], tool.name


def test_recommend_offers_the_four_shopping_modes_and_needs_nothing_from_the_model() -> None:
    tool = tools_by_name(FakeBackend())["recommend"]
    schema = tool.tool_call_schema
    assert not isinstance(schema, dict)
    shown = schema.model_json_schema()

    assert shown["$defs"]["ShopperMode"]["enum"] == ["browsing", "research", "purchase", "gift"]
    assert shown.get("required", []) == []


def test_the_model_never_sees_a_shopper_or_conversation_argument() -> None:
    for tool in build_tools(FakeBackend()):
        schema = tool.tool_call_schema
        assert not isinstance(schema, dict)
        seen = set(schema.model_json_schema()["properties"])
        assert not seen & {"shopper_id", "conversation_id"}, tool.name


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("recommend", {"shopper_id": "12346", "k": 2}),
        ("explain", {"shopper_id": "12346", "item_id": "lantern"}),
        ("remember", {"shopper_id": "12346", "text": "likes owls"}),
        ("forget", {"shopper_id": "12346", "fact_id": "f1"}),
        ("escalate", {"shopper_id": "12346", "conversation_id": "c-other", "reason": "x"}),
    ],
)
def test_a_tool_call_acts_on_the_server_side_shopper_whatever_ids_the_model_sends(
    name: str, args: dict[str, Any]
) -> None:
    backend = FakeBackend()
    call = {"type": "tool_call", "id": "call-1", "name": name, "args": args}

    message = run_tool_call(
        build_tools(backend), call, ServerContext(shopper_id="s1", conversation_id="c1")
    )

    assert message.status == "success", message.content
    ((called, positional, _),) = backend.calls
    assert called == name
    assert positional[0] == "s1"
    assert "12346" not in positional and "c-other" not in positional


def test_a_tool_the_model_invents_is_refused() -> None:
    backend = FakeBackend()
    call = {"type": "tool_call", "id": "call-1", "name": "erase", "args": {"shopper_id": "12346"}}

    message = run_tool_call(
        build_tools(backend), call, ServerContext(shopper_id="s1", conversation_id="c1")
    )

    assert message.status == "error"
    assert backend.calls == []


def test_catalog_search_passes_its_filters_to_the_backend_and_returns_plain_hits() -> None:
    backend = FakeBackend()

    out = tools_by_name(backend)["catalog_search"].invoke(
        {"query": " owl lantern ", "k": 5, "category": "home", "price_max": 20}
    )

    assert backend.calls == [
        (
            "search",
            ("owl lantern",),
            {"k": 5, "category": "home", "price_min": None, "price_max": 20.0},
        )
    ]
    assert out == [
        {
            "item_id": "lantern",
            "title": "Owl lantern",
            "category": "home",
            "price": 12.5,
            "similarity": 0.8123,
        }
    ]
    json.dumps(out)


def test_recommend_returns_reasons_and_factor_contributions_as_plain_numbers() -> None:
    backend = FakeBackend()

    out = tools_by_name(backend)["recommend"].invoke(
        {"shopper_id": "s1", "k": 3, "mode": "gift", "recipient": "niece", "query": ""}
    )

    name, args, kwargs = backend.calls[0]
    assert (name, args) == ("recommend", ("s1",))
    assert kwargs == {
        "k": 3,
        "mode": "gift",
        "query": None,  # a blank optional argument means "not given"
        "budget_max": None,
        "category": None,
        "recipient": "niece",
        "same_country": False,
    }
    assert out == [
        {
            "item_id": "lantern",
            "title": "Owl lantern",
            "price": 12.5,
            "score": 0.5,
            "reason": "Because you liked the Owl mug.",
            "factors": {"taste": 0.5},
        }
    ]
    assert type(out[0]["score"]) is float
    json.dumps(out)


def test_explain_returns_every_factor_with_its_share_and_evidence() -> None:
    backend = FakeBackend()

    out = tools_by_name(backend)["explain"].invoke({"shopper_id": "s1", "item_id": "lantern"})

    assert backend.calls == [("explain", ("s1", "lantern"), {})]
    assert out["reason"] == "Because you liked the Owl mug."
    assert out["factors"][0] == {
        "name": "taste",
        "contribution": 0.6,
        "share": 1.0,
        "cited": True,
        "evidence": ["Owl mug"],
    }
    assert out["factors"][1]["name"] == "dismissed"
    json.dumps(out)


def test_remember_passes_subject_and_polarity_and_returns_the_fact_id() -> None:
    backend = FakeBackend()

    out = tools_by_name(backend)["remember"].invoke(
        {"shopper_id": "s1", "text": "likes owls", "subject": "owls", "polarity": -1}
    )

    assert backend.calls == [
        ("remember", ("s1", "likes owls"), {"subject": "owls", "polarity": -1})
    ]
    assert out["fact_id"] == "f1"
    json.dumps(out)


def test_forget_returns_the_retracted_fact() -> None:
    backend = FakeBackend()

    out = tools_by_name(backend)["forget"].invoke({"shopper_id": "s1", "fact_id": "f1"})

    assert backend.calls == [("forget", ("s1", "f1"), {})]
    assert out["status"] == "retracted"


def test_escalate_returns_the_escalation_id() -> None:
    backend = FakeBackend()

    out = tools_by_name(backend)["escalate"].invoke(
        {"shopper_id": "s1", "conversation_id": "c1", "reason": "Asked for a person."}
    )

    assert backend.calls == [("escalate", ("s1", "c1", "Asked for a person."), {})]
    assert out == {"escalation_id": "esc-1"}


@pytest.mark.parametrize(
    ("tool", "args", "problem"),
    [
        ("catalog_search", {"query": "owl", "k": 0}, "k: Input should be greater than or equal"),
        ("catalog_search", {"query": ""}, "query: String should have at least 1 character"),
        ("catalog_search", {"query": "   "}, "query: String should have at least 1 character"),
        ("catalog_search", {"query": "owl", "price_min": -1}, "price_min: Input should be"),
        ("catalog_search", {"query": "owl", "price_min": 9, "price_max": 5}, "price_min must"),
        ("catalog_search", {"query": "owl", "max_price": 5}, "max_price: Extra inputs"),
        ("recommend", {"shopper_id": "s1", "mode": "frantic"}, "mode: Input should be 'browsing'"),
        ("recommend", {"shopper_id": "s1", "k": 51}, "k: Input should be less than or equal"),
        ("remember", {"shopper_id": "s1", "text": " "}, "text: String should have at least"),
        ("remember", {"shopper_id": "s1", "text": "owls", "polarity": 0}, "polarity: Input"),
        ("escalate", {"shopper_id": "s1", "conversation_id": "c1"}, "reason: Field required"),
    ],
)
def test_invalid_arguments_are_refused_with_a_message_and_never_reach_the_backend(
    tool: str, args: dict[str, Any], problem: str
) -> None:
    backend = FakeBackend()

    out = tools_by_name(backend)[tool].invoke(args)

    assert isinstance(out, str)
    assert out.startswith("Invalid arguments: ")
    assert problem in out
    assert backend.calls == []


@pytest.mark.parametrize(
    "error",
    [UnknownFact("No fact f9 for this shopper."), ValueError("No fact f9 for this shopper.")],
)
def test_a_backend_error_comes_back_as_a_tool_error_message(error: Exception) -> None:
    forget = tools_by_name(FakeBackend(error))["forget"]

    out = forget.invoke({"shopper_id": "s1", "fact_id": "f9"})

    assert out == "Error: No fact f9 for this shopper."


def test_a_backend_error_in_a_model_tool_call_becomes_an_error_tool_message() -> None:
    forget = tools_by_name(FakeBackend(UnknownFact("No fact f9.")))["forget"]
    call = {"type": "tool_call", "id": "call-1", "name": "forget", "args": {"shopper_id": "s1"}}

    invalid = forget.invoke(call)
    failed = forget.invoke({**call, "args": {"shopper_id": "s1", "fact_id": "f9"}})

    assert isinstance(invalid, ToolMessage) and isinstance(failed, ToolMessage)
    assert (invalid.status, failed.status) == ("error", "error")
    assert "fact_id: Field required" in invalid.content
    assert failed.content == "Error: No fact f9."


def test_a_successful_model_tool_call_carries_json_content() -> None:
    search = tools_by_name(FakeBackend())["catalog_search"]
    call = {"type": "tool_call", "id": "call-1", "name": "catalog_search", "args": {"query": "owl"}}

    message = search.invoke(call)

    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    assert isinstance(message.content, str)
    assert json.loads(message.content)[0]["item_id"] == "lantern"


def test_tools_also_run_from_async_code_with_the_same_error_handling() -> None:
    # The tools are sync; LangChain runs them in an executor when awaited.
    forget = tools_by_name(FakeBackend(UnknownFact("No fact f9.")))["forget"]

    out = asyncio.run(forget.ainvoke({"shopper_id": "s1", "fact_id": "f9"}))

    assert out == "Error: No fact f9."


def test_an_unexpected_backend_failure_is_a_bug_and_is_not_hidden_from_the_caller() -> None:
    forget = tools_by_name(FakeBackend(RuntimeError("store exploded")))["forget"]

    with pytest.raises(RuntimeError, match="store exploded"):
        forget.invoke({"shopper_id": "s1", "fact_id": "f1"})


def test_the_tools_and_the_agent_import_without_langchain_or_openai() -> None:
    # A fresh interpreter, since this test process has imported langchain_core already.
    code = (
        "import sys, pkgutil, importlib, tools\n"
        "for m in pkgutil.iter_modules(tools.__path__):\n"
        "    importlib.import_module('tools.' + m.name)\n"
        "import agent, agent.facade, agent.cli.main, agent.brain.choice\n"
        "assert 'tools.ranker' in sys.modules\n"
        "print(sorted(m for m in sys.modules if m.startswith(('langchain', 'openai'))))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )

    assert result.stdout.strip() == "[]"
