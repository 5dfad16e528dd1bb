"""A real tactful (Chroma + SQLite) holding a split's training data, and cheap copies of it.

The tact benchmarks run the agent itself — its clarification policy, its chat, its
forget — so they need the real stores, not the ranker alone. One import is made per
split and copied for each scenario, because copying a folder is far cheaper than
embedding and storing the data again.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterable
from pathlib import Path

from agent.clock import FixedClock
from agent.domain import Shopper
from agent.embedding import Embedder
from agent.facade import Tactful
from agent.settings import Settings
from bench.ranking.splits import Split
from tools.types import BehaviourEvent


def import_split(
    split: Split, home: Path, embedder: Embedder, *, held_back: Collection[str] = frozenset()
) -> None:
    """Store the split's catalog and training events, except the event ids ``held_back``."""
    with open_home(home, split, embedder) as tactful:
        tactful.add_shoppers(
            Shopper(shopper_id=s, country=split.countries.get(s), created_at=split.now)
            for s in split.train_events
        )
        tactful.ingest_items(split.items)
        tactful.record_events(_train_events(split, held_back), clarify=False)
        tactful.refresh()


def _train_events(split: Split, held_back: Collection[str]) -> Iterable[BehaviourEvent]:
    for events in split.train_events.values():
        for event in events:
            if event.event_id not in held_back:
                yield event


def open_home(home: Path, split: Split, embedder: Embedder) -> Tactful:
    """Open a tactful on ``home`` with its clock at the split's cut."""
    return Tactful.open(Settings(home=home), clock=FixedClock(split.now), embedder=embedder)


def copy_home(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return target
