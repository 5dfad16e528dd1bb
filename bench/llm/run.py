"""LLM calls and tokens per chat turn over the scripted conversations.

    python -m bench.llm.run [--quick]

Plays every conversation in tests/conversation/scripts/ on the bundled demo shop with
the LLM brain on, and reports per turn: calls (budget: at most 2, and at most 1 on most
turns), input and output tokens, turns read exactly with no call, turns whose items
came from tools the model chose, and fallbacks.

The endpoint is the one ``TACTFUL_LLM_MODEL`` / ``TACTFUL_LLM_BASE_URL`` /
``OPENAI_API_KEY`` name; with no model set it is the local stand-in
(bench/llm/endpoint.py), whose answers echo the offline brain's and whose token counts
are estimates at 4 characters a token. The output says which it used. Writes
``bench/results/llm_budget[_quick].json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from agent.clock import FixedClock
from agent.demo_data import DEMO_FILE, demo_choice, replay_now
from agent.embedding import load_default_embedder
from agent.facade import Tactful
from agent.ingest.online_retail import read_online_retail
from agent.settings import Settings
from bench.llm.endpoint import StandInEndpoint

BENCH = Path(__file__).resolve().parents[1]
RESULTS = BENCH / "results"
SCRIPTS = BENCH.parent / "tests" / "conversation" / "scripts"
QUICK_SCRIPTS = 6


def scripts(quick: bool) -> list[dict[str, Any]]:
    """Every scripted conversation, as ``{"name", "shopper", "turns": [text, …]}``."""
    found = []
    for path in sorted(SCRIPTS.glob("*.yaml")):
        for script in yaml.safe_load(path.read_text(encoding="utf-8"))["scripts"]:
            found.append(
                {
                    "name": f"{path.stem}/{script['name']}",
                    "shopper": script.get("shopper", "new"),
                    "turns": [turn["say"] for turn in script["turns"]],
                }
            )
    return found[:QUICK_SCRIPTS] if quick else found


@contextlib.contextmanager
def endpoint() -> Iterator[tuple[Settings, str]]:
    """LLM settings, and a line saying which endpoint they point at."""
    configured = Settings()
    if configured.llm_model:
        where = configured.llm_base_url or "OpenAI"
        yield configured, f"{where}, model {configured.llm_model}; tokens as it reports them"
        return
    with StandInEndpoint() as stand_in:
        settings = Settings(llm_model="stand-in", llm_base_url=stand_in.base_url)
        yield (
            settings,
            (
                f"the local stand-in at {stand_in.base_url} (answers echo the offline brain; "
                "tokens estimated at 4 characters each, not a provider's count)"
            ),
        )


def run(quick: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    data = read_online_retail(DEMO_FILE)
    assert data.report.last_event_at is not None
    clock = FixedClock(replay_now(data.report.last_event_at))
    embedder = load_default_embedder()
    turns: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder, endpoint() as (llm, which):
        settings = llm.model_copy(update={"home": Path(folder)})
        with Tactful.open(settings, clock=clock, embedder=embedder) as shop:
            shop.add_shoppers(data.shoppers)
            shop.ingest_items(data.items)
            shop.record_events(data.events, clarify=False)
            shop.refresh()
            for number, script in enumerate(scripts(quick)):
                shopper = (
                    demo_choice()["shopper_id"]
                    if script["shopper"] == "demo"
                    else f"bench-llm-{number}"
                )
                conversation = None
                for text in script["turns"]:
                    before = shop.llm_stats or {}
                    reply = shop.chat(shopper, text, conversation_id=conversation)
                    conversation = reply.conversation_id
                    turns.append(_turn(before, shop.llm_stats or {}))
            totals = shop.llm_stats or {}
    calls = [t["calls"] for t in turns]
    inputs = [t["input_tokens"] for t in turns]
    results: dict[str, Any] = {
        "endpoint": which,
        "conversations": len(scripts(quick)),
        "turns": len(turns),
        "calls_per_turn": {
            "mean": round(statistics.fmean(calls), 3),
            "max": max(calls),
            "distribution": {str(k): v for k, v in sorted(Counter(calls).items())},
            "share_at_most_one": round(sum(c <= 1 for c in calls) / len(calls), 3),
        },
        "input_tokens_per_turn": {
            "mean": round(statistics.fmean(inputs), 1),
            "p95": sorted(inputs)[int(0.95 * (len(inputs) - 1))],
            "max": max(inputs),
        },
        "output_tokens_per_turn": {
            "mean": round(statistics.fmean(t["output_tokens"] for t in turns), 1)
        },
        "input_token_bound_per_call": settings.llm_max_input_tokens,
        "sure_turns": totals.get("sure_turns"),
        "tool_turns": totals.get("tool_turns"),
        "fallbacks": totals.get("fallbacks"),
        "ungrounded_wordings": totals.get("ungrounded"),
        "budget_met": max(calls) <= 2 and sum(c <= 1 for c in calls) > len(calls) / 2,
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"llm_budget{'_quick' if quick else ''}.json"
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def _turn(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    return {
        key: int(after.get(key, 0)) - int(before.get(key, 0))
        for key in ("calls", "input_tokens", "output_tokens")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a few conversations only")
    args = parser.parse_args()
    results = run(quick=args.quick)
    print(f"Endpoint: {results['endpoint']}")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
