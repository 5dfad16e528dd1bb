"""Timeouts and refused connections, against real sockets on this machine (a cassette
cannot hold a silence)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.brain.base import ReadContext
from agent.brain.llm import llm_brain
from agent.brain.llm.client import chat_model
from agent.brain.offline.brain import OfflineBrain
from agent.cli.logs import LOG_FILE
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


def test_a_fallback_in_tactful_chat_goes_to_the_log_file_not_between_the_lines(
    closed_port: int, demo_home: Path, data_now: datetime, demo_shopper: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TACTFUL_", "OPENAI_"))}
    env |= {
        "TACTFUL_HOME": str(demo_home),
        "TACTFUL_NOW": data_now.isoformat(),
        "TACTFUL_LLM_MODEL": "gpt-4o-mini",
        "TACTFUL_LLM_BASE_URL": f"http://127.0.0.1:{closed_port}/v1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "chat", demo_shopper, "-m", "a gift for my sister"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "sister" in done.stdout, "the offline reply is shown"
    assert "LLM" not in done.stdout + done.stderr
    log = (demo_home / LOG_FILE).read_text(encoding="utf-8")
    assert "LLM fallback (connection)" in log
