"""``tactful eval`` / ``make bench``: run every benchmark, then write bench/RESULTS.md.

tactful eval all            # ranking quality, tact, speed and memory (~30 min)
tactful eval ranking --quick
tactful eval conversation   # the reader on labelled utterances, then simulated shoppers (~4 min)
tactful eval conversation --brain llm   # the utterances read by the LLM brain too
tactful eval llm            # LLM calls and tokens per turn over the scripted conversations
tactful eval experiments    # simulated shoppers in an AI / curated / hybrid experiment (~3 min)
"""

from __future__ import annotations

import sys
import time

from bench import report

PARTS = ("ranking", "tact", "speed", "conversation", "experiments")
#: Run by name only: they need an LLM endpoint (or the local stand-in).
LLM_PARTS = ("llm",)
BRAINS = ("offline", "llm")


def run_all(what: str = "all", *, quick: bool = False, brain: str = "offline") -> None:
    """Run one part or all; a full run rewrites RESULTS.md, a quick one only checks."""
    from agent.errors import InvalidInput

    parts = PARTS if what == "all" else (what,)
    unknown = [p for p in parts if p not in (*PARTS, *LLM_PARTS)]
    if unknown:
        raise InvalidInput(
            f"Unknown benchmark {what!r}; choose ranking, tact, speed, conversation, "
            "experiments, llm or all."
        )
    if brain not in BRAINS:
        raise InvalidInput(f"Unknown brain {brain!r}; choose offline or llm.")
    if brain == "llm":
        if parts != ("conversation",):
            raise InvalidInput(
                "--brain llm reads the labelled utterances: use it with conversation."
            )
        from bench.conversation.llm import run as run_llm_reading

        _print(run_llm_reading(quick=quick))
        return
    if parts == LLM_PARTS:
        from bench.llm.run import run as run_llm_budget

        _print(run_llm_budget(quick=quick))
        return
    for part in parts:
        started = time.perf_counter()
        print(f"== {part}{' (quick)' if quick else ''}", file=sys.stderr, flush=True)
        if part == "ranking":
            from bench.ranking.run import run as run_ranking

            run_ranking(quick=quick)
        elif part == "tact":
            from bench.tact.run import run as run_tact

            run_tact(quick=quick)
        elif part == "conversation":
            from bench.conversation.run import run as run_conversation
            from bench.conversation.simulate import run as run_simulated_shoppers

            run_conversation(quick=quick)
            run_simulated_shoppers(quick=quick)
        elif part == "experiments":
            from bench.experiments.simulator import run as run_experiments

            run_experiments(quick=quick)
        else:
            from bench.speed.run import run as run_speed

            run_speed(quick=quick)
        print(f"== {part} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if not quick:
        path = report.write()
        print(f"Wrote {path}", file=sys.stderr)


def _print(results: dict[str, object]) -> None:
    import json

    print(json.dumps(results, indent=2, ensure_ascii=False))
