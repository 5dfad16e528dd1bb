"""The LLM reading benchmark's harness, against the local stand-in endpoint."""

from __future__ import annotations

import pytest

from agent.errors import InvalidInput
from bench.conversation.llm import run
from bench.llm.endpoint import StandInEndpoint


def test_the_llm_reading_is_scored_beside_the_offline_one(monkeypatch: pytest.MonkeyPatch) -> None:
    with StandInEndpoint() as endpoint:
        monkeypatch.setenv("TACTFUL_LLM_MODEL", "stand-in")
        monkeypatch.setenv("TACTFUL_LLM_BASE_URL", endpoint.base_url)
        results = run(split="dev", quick=True)

    side = results["side_by_side"]
    assert set(side["intent_macro_f1"]) == {"offline", "llm"}
    # The stand-in answers with the offline reading, so both brains read alike.
    assert side["accuracy"]["llm"] == side["accuracy"]["offline"]
    assert results["llm"]["fallbacks"] == {}
    assert results["llm"]["calls"] == results["sent_to_the_model"] == len(endpoint.requests)
    assert results["endpoint"].startswith(endpoint.base_url)


def test_without_a_model_configured_it_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TACTFUL_LLM_MODEL", raising=False)

    with pytest.raises(InvalidInput, match="TACTFUL_LLM_MODEL"):
        run(quick=True)
