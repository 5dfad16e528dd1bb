"""``tactful eval`` / ``make bench``: run every benchmark, then write bench/RESULTS.md.

tactful eval all            # ranking quality, tact, speed and memory (~30 min)
tactful eval ranking --quick
tactful eval conversation   # the reader on labelled utterances, then simulated shoppers (~4 min)
"""

from __future__ import annotations

import sys
import time

from bench import report

PARTS = ("ranking", "tact", "speed", "conversation")


def run_all(what: str = "all", *, quick: bool = False) -> None:
    """Run one part or all; a full run rewrites RESULTS.md, a quick one only checks."""
    parts = PARTS if what == "all" else (what,)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        from agent.errors import InvalidInput

        raise InvalidInput(
            f"Unknown benchmark {what!r}; choose ranking, tact, speed, conversation or all."
        )
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
        else:
            from bench.speed.run import run as run_speed

            run_speed(quick=quick)
        print(f"== {part} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if not quick:
        path = report.write()
        print(f"Wrote {path}", file=sys.stderr)
