"""Two processes on one data folder: an erase or a forget made through the command line
holds in a ``Tactful`` that was already running, from its next answer on, and that
process never writes an erased fact back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agent.stores.records import RecordStore

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("running_agent.py")
TACTFUL = Path(sys.executable).with_name("tactful")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class RunningAgent:
    """The other process: a Tactful opened once and kept open, asked one command at a time."""

    def __init__(self, home: Path, now: datetime) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(DRIVER), str(home), now.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=ENV,
            cwd=ROOT,
        )
        assert self._read() == {"ready": True}

    def ask(self, do: str, shopper: str, text: str | None = None) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"do": do, "shopper": shopper, "text": text}) + "\n")
        self._process.stdin.flush()
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        assert line, f"the running agent exited with {self._process.wait()}"
        return dict(json.loads(line))

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)


@pytest.fixture
def running(demo_home: Path, data_now: datetime) -> Iterator[RunningAgent]:
    agent = RunningAgent(demo_home, data_now)
    yield agent
    agent.close()


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, in a process of its own."""
    argv = [str(TACTFUL), *args, "--home", str(home)]
    done = subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done


def test_a_forget_from_the_command_line_holds_at_the_running_agents_next_answer(
    running: RunningAgent, demo_home: Path, demo_shopper: str
) -> None:
    [fact_id] = running.ask("chat", demo_shopper, "I love owls")["facts_changed"]
    assert fact_id in running.ask("recommend", demo_shopper)["cited"]

    cli(demo_home, "forget", demo_shopper, fact_id)

    assert fact_id not in running.ask("recommend", demo_shopper)["cited"]
    assert running.ask("profile", demo_shopper)["facts"] == {fact_id: "retracted"}


def test_an_erase_from_the_command_line_holds_at_the_running_agents_next_answer(
    running: RunningAgent, demo_home: Path, demo_shopper: str
) -> None:
    [owls] = running.ask("chat", demo_shopper, "I love owls")["facts_changed"]
    allergy = running.ask("remember", demo_shopper, "I am allergic to zanzibarwood")["fact_id"]
    assert set(running.ask("profile", demo_shopper)["facts"]) == {owls, allergy}

    erased = cli(demo_home, "erase", demo_shopper, "--yes")

    assert "Erased:" in erased.stderr and "stated preferences" in erased.stderr
    assert running.ask("recommend", demo_shopper) == {"error": "UnknownShopper"}
    assert running.ask("profile", demo_shopper) == {"error": "UnknownShopper"}
    # The shopper comes back and says the same again: a new fact, never the old one.
    again = running.ask("chat", demo_shopper, "I love owls")
    [new] = again["facts_changed"]
    assert new not in {owls, allergy}
    assert not {owls, allergy} & set(again["cited"])
    assert running.ask("profile", demo_shopper) == {"facts": {new: "active"}, "event_count": 0}
    with RecordStore(f"sqlite:///{demo_home / 'tactful.db'}") as records:
        assert [f.fact_id for f in records.facts.for_shopper(demo_shopper)] == [new]
