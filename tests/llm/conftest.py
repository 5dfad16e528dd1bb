"""Cassette settings and the LLM brain the tests in tests/llm drive.

The cassettes are replayed through the real ``openai`` SDK and LangChain's
``ChatOpenAI``; only the HTTP exchange comes from the file. With ``--record-mode``
left at ``none`` a test whose cassette is missing fails rather than calling out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from vcr.cassette import Cassette

from agent.brain.base import ReadContext
from agent.brain.intents import Understanding
from agent.brain.llm import LlmBrain, llm_brain
from agent.brain.offline.brain import OfflineBrain, offline_brain
from agent.brain.offline.reader import OfflineReader
from agent.embedding import Embedder
from agent.settings import Settings


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": ["authorization", "api-key", "openai-organization", "cookie"],
        "filter_query_parameters": ["api-key", "key"],
        "decode_compressed_response": True,
        # Calls are told apart by their order: a chat completion is always the same URL.
        "match_on": ["method", "scheme", "host", "port", "path"],
    }


@pytest.fixture(autouse=True)
def _every_answer_is_used(request: pytest.FixtureRequest) -> Iterator[None]:
    """A missing cassette, or one with answers left over, fails the test: the brain falls
    back quietly when a call fails, which must not hide a test that called nothing."""
    if request.node.get_closest_marker("vcr") is None:
        yield
        return
    cassette: Cassette = request.getfixturevalue("vcr")
    yield
    if cassette.record_mode == "none":
        assert len(cassette.data) > 0, f"no cassette at {cassette._path}"
        assert cassette.all_played, f"answers left unplayed in {cassette._path}"


def llm_settings(**overrides: Any) -> Settings:
    """The cassettes' endpoint (OpenAI's), or the one named in the environment when
    re-recording; a placeholder key is enough to replay."""
    values: dict[str, Any] = {
        "llm_model": os.environ.get("TACTFUL_LLM_MODEL") or "gpt-4o-mini",
        "llm_base_url": os.environ.get("TACTFUL_LLM_BASE_URL") or None,
        "llm_api_key": os.environ.get("OPENAI_API_KEY") or "sk-replayed-from-a-cassette",
        # Reading tests read every request; test_choosing.py turns the tools on.
        "llm_tools": False,
    }
    return Settings(**(values | overrides))


class UnsureOffline(OfflineBrain):
    """The offline brain, unsure of every reading: each message goes to the model, so the
    tests of the LLM path do not hang on which messages the offline reader is sure of."""

    def read_surely(self, message: str, context: ReadContext) -> tuple[Understanding, bool]:
        return self.read(message, context), False


@pytest.fixture(scope="session")
def offline(embedder: Embedder) -> OfflineBrain:
    return offline_brain(embedder)


@pytest.fixture(scope="session")
def unsure(embedder: Embedder) -> UnsureOffline:
    return UnsureOffline(OfflineReader(embedder))


@pytest.fixture
def brain(unsure: UnsureOffline) -> LlmBrain:
    return llm_brain(llm_settings(), unsure)
