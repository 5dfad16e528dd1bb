"""Warm latency of ``recommend`` and of offline chat turns on a prepared store.

Runs in its own process (see :mod:`bench.speed.stage`), so the peak RSS it reports
is this size's alone: loading, indexing and serving, nothing from other sizes.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from agent.facade import Tactful
from agent.settings import Settings
from bench.speed.homes import working_copy
from bench.speed.messages import conversation
from bench.speed.sizes import SIZES, meta_now
from bench.speed.stats import peak_rss_mb, rss_mb, summarize_ms

TURNS_PER_CONVERSATION = 6


def serve(
    size: str,
    *,
    recommends: int = 200,
    conversations: int = 20,
    warmup: int = 10,
    seed: int = 7,
) -> dict[str, Any]:
    """Open a copy of the size's store, build its index, then time recommends and chats.

    ``recommends`` go to as many distinct shoppers; each of ``conversations`` is a
    six-turn session (see :mod:`bench.speed.messages`) with another shopper. A few
    warm-up calls first load the model session and fill the first caches, so what is
    timed is a running service, not its start.
    """
    entry, meta = SIZES[size].prepare()
    now = meta_now(meta)
    rss_start = rss_mb()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix=f"tactful-bench-{size}-") as tmp:
        home = working_copy(entry, Path(tmp))
        started = time.perf_counter()
        tactful = Tactful.open(Settings(home=home, now=now))
        open_catalog_s = time.perf_counter() - started
        started = time.perf_counter()
        tactful.refresh()
        index_s = time.perf_counter() - started
        rss_ready = rss_mb()
        try:
            result = _measure(tactful, recommends, conversations, warmup, seed)
        finally:
            tactful.close()
    return {
        "items": meta["items"],
        "shoppers": meta["shoppers"],
        "events": meta["events"],
        **result,
        "open_s": round(open_catalog_s + index_s, 3),
        "open_catalog_s": round(open_catalog_s, 3),
        "index_s": round(index_s, 3),
        "rss_mb": {"start": rss_start, "ready": rss_ready, "end": rss_mb()},
        "peak_rss_mb": peak_rss_mb(),
        # Other work on a small machine moves latencies more than anything measured here.
        "load_average_1m": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
        "build": meta.get("build", {}),
    }


def _measure(
    tactful: Tactful, recommends: int, conversations: int, warmup: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    everyone = tactful.records.shopper_ids()
    wanted = warmup + 1 + recommends + conversations
    picked = rng.sample(everyone, min(wanted, len(everyone)))
    warm, picked = picked[: warmup + 1], picked[warmup + 1 :]
    for shopper in warm[:-1]:
        tactful.recommend(shopper)
    _chat(tactful, warm[-1], rng)

    recommend_s = []
    for shopper in picked[:recommends]:
        started = time.perf_counter()
        tactful.recommend(shopper)
        recommend_s.append(time.perf_counter() - started)

    turns: list[tuple[str, float]] = []
    outcomes: dict[str, int] = defaultdict(int)
    escalated: list[str] = []
    # Shoppers left after the recommends; reused only if the shop has too few.
    chatters = picked[recommends:] or picked
    for i in range(conversations):
        for family, seconds, outcome, text in _chat(tactful, chatters[i % len(chatters)], rng):
            turns.append((family, seconds))
            outcomes[outcome] += 1
            if outcome == "escalated":
                escalated.append(text)
    by_family: dict[str, list[float]] = defaultdict(list)
    for family, seconds in turns:
        by_family[family].append(seconds)
    return {
        "recommend_ms": summarize_ms(recommend_s),
        "chat_ms": {
            **summarize_ms([s for _, s in turns]),
            "by_family": {f: summarize_ms(s) for f, s in sorted(by_family.items())},
            "outcomes": dict(sorted(outcomes.items())),
            # A waiting hand-over still gets answers, each carrying its escalation.
            "escalated_by": escalated[:5],
        },
    }


def _chat(tactful: Tactful, shopper: str, rng: random.Random) -> list[tuple[str, float, str, str]]:
    """One session; per turn its family, seconds, what kind of reply it got, and its text."""
    timed: list[tuple[str, float, str, str]] = []
    conversation_id: str | None = None
    for turn in conversation(rng):
        started = time.perf_counter()
        reply = tactful.chat(shopper, turn.text, conversation_id=conversation_id)
        seconds = time.perf_counter() - started
        conversation_id = reply.conversation_id
        if reply.escalation is not None and not reply.suggestions:
            outcome = "escalated"
        elif reply.no_match:
            outcome = "no_match"
        elif reply.suggestions:
            outcome = "suggestions"
        else:
            outcome = "text_only"
        timed.append((turn.family, seconds, outcome, turn.text))
    return timed
