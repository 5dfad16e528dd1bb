"""Ingestion throughput: catalog items against the raw model, and events per second."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agent.domain import BehaviourEvent, Shopper
from agent.embedding import Embedder, MiniLMEmbedder, load_default_embedder
from agent.facade import Tactful
from agent.ingest.online_retail import read_online_retail
from agent.settings import Settings
from bench.speed import synthetic
from bench.speed.homes import working_copy
from bench.speed.sizes import SIZES, meta_now
from bench.speed.stats import peak_rss_mb


class TimedEmbedder:
    """An :class:`Embedder` that adds up the time spent inside the one it wraps.

    Handed to ``Tactful.open``, it splits ingestion time into embedding and the rest
    (hash checks, Chroma upserts, the in-memory index) without touching the product.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started


def item_throughput(source: str, *, n_items: int, batch_size: int = 256) -> dict[str, Any]:
    """Items/s through ``Tactful.ingest_items`` on fresh items, beside the raw model's rate.

    Both see the same texts in the same batches; the work alternates batch by batch
    (raw first, then ingest first) so drift in the machine's load hits both alike.
    """
    items = read_online_retail(Path(source)).items[:n_items]
    texts = [item.embedding_text() for item in items]
    raw = MiniLMEmbedder()
    with tempfile.TemporaryDirectory(prefix="tactful-bench-ingest-") as tmp:
        embedder = TimedEmbedder(load_default_embedder())
        with Tactful.open(Settings(home=Path(tmp) / "home"), embedder=embedder) as tactful:
            # One warm-up batch each on texts not in the catalog: model sessions start lazily.
            warm = [f"warm-up text number {i}" for i in range(32)]
            raw.embed(warm)
            embedder.embed([f"{text}." for text in warm])
            embedder.seconds = 0.0
            raw_s = ingest_s = 0.0
            added = 0
            for number, start in enumerate(range(0, len(items), batch_size)):
                chunk = slice(start, start + batch_size)
                for step in ("raw", "ingest") if number % 2 == 0 else ("ingest", "raw"):
                    started = time.perf_counter()
                    if step == "raw":
                        raw.embed(texts[chunk])
                        raw_s += time.perf_counter() - started
                    else:
                        added += tactful.ingest_items(items[chunk], batch_size=batch_size).added
                        ingest_s += time.perf_counter() - started
    if added != len(items):
        raise RuntimeError(f"expected {len(items)} fresh items, ingestion added {added}")
    return {
        "items": len(items),
        "batch_size": batch_size,
        "raw_embed_s": round(raw_s, 3),
        "ingest_s": round(ingest_s, 3),
        "ingest_embed_s": round(embedder.seconds, 3),
        "ingest_other_s": round(ingest_s - embedder.seconds, 3),
        "raw_embed_per_s": round(len(items) / raw_s, 1),
        "items_per_s": round(len(items) / ingest_s, 1),
        "ratio": round(raw_s / ingest_s, 4),
        "peak_rss_mb": peak_rss_mb(),
    }


def event_throughput(size: str) -> dict[str, Any]:
    """Events/s through ``record_events(clarify=False)`` into a store holding only the catalog.

    The events are built before the clock starts; only storing them is timed.
    """
    entry, meta = SIZES[size].prepare()
    spec = SIZES[size].synthetic
    shoppers: list[Shopper]
    events: list[BehaviourEvent]
    if spec is not None:
        shoppers = synthetic.shoppers(spec)
        events = list(synthetic.events(synthetic.event_plan(spec, synthetic.catalog_plan(spec))))
    else:
        source = SIZES[size].online_retail
        assert source is not None
        data = read_online_retail(source)
        shoppers, events = data.shoppers, data.events
    with tempfile.TemporaryDirectory(prefix=f"tactful-bench-events-{size}-") as tmp:
        home = working_copy(entry, Path(tmp), only_chroma=True)
        with Tactful.open(Settings(home=home, now=meta_now(meta))) as tactful:
            started = time.perf_counter()
            tactful.add_shoppers(shoppers)
            shoppers_s = time.perf_counter() - started
            started = time.perf_counter()
            report = tactful.record_events(events, clarify=False)
            events_s = time.perf_counter() - started
    return {
        "events": report.added,
        "seconds": round(events_s, 3),
        "events_per_s": round(report.added / events_s, 1),
        "add_shoppers_s": round(shoppers_s, 3),
        "peak_rss_mb": peak_rss_mb(),
    }
