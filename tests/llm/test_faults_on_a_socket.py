"""Timeouts and refused connections, against real sockets on this machine (a cassette
cannot hold a silence)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from agent.brain.base import ReadContext
from agent.brain.llm import llm_brain
from agent.brain.llm.client import chat_model
from agent.brain.offline.brain import OfflineBrain
from agent.errors import InvalidInput
from agent.settings import Settings
from tests.llm.conftest import UnsureOffline, llm_settings

MESSAGE = "a scented candle for my mum under £20"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_endpoint_that_never_answers_times_out_and_the_offline_brain_reads(
    silent_port: int, offline: OfflineBrain, unsure: UnsureOffline
) -> None:
    settings = llm_settings(
        llm_base_url=f"http://127.0.0.1:{silent_port}/v1", llm_timeout_seconds=0.5
    )
    brain = llm_brain(settings, unsure)

    started = time.monotonic()
    reading = brain.read(MESSAGE, ReadContext())

    assert time.monotonic() - started < 5, "one short wait, no retries"
    assert reading == offline.read(MESSAGE, ReadContext())
    assert brain.stats.fallbacks == {"timeout": 1}


def test_a_refused_connection_leaves_the_turn_to_the_offline_brain(
    closed_port: int, offline: OfflineBrain, unsure: UnsureOffline
) -> None:
    brain = llm_brain(llm_settings(llm_base_url=f"http://127.0.0.1:{closed_port}/v1"), unsure)

    reading = brain.read(MESSAGE, ReadContext())

    assert reading == offline.read(MESSAGE, ReadContext())
    assert brain.stats.fallbacks == {"connection": 1}


def test_the_client_waits_at_most_fifteen_seconds_and_never_retries() -> None:
    model = chat_model(llm_settings())

    assert Settings().llm_timeout_seconds <= 15
    assert model.request_timeout == Settings().llm_timeout_seconds
    assert model.max_retries == 0
    with pytest.raises(ValidationError):
        Settings(llm_timeout_seconds=30)


def test_a_model_named_without_a_key_or_an_endpoint_is_a_clear_settings_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    with pytest.raises(InvalidInput, match="OPENAI_API_KEY"):
        chat_model(Settings(llm_model="gpt-4o-mini"))
