"""Synthetic shops of any size, stored through the product's own write paths.

Item vectors are made, not embedded (embedding 100k titles would take a quarter of an
hour): each is the real MiniLM embedding of its noun, plus a little of its style and
colour, plus noise, normalised. So items cluster by what they are, and a real chat
query ("a red mug under £10") lands near real mugs, as it would in a shop. Titles and
categories come from the category table the Online Retail importer uses.

Shoppers favour a few nouns each and otherwise follow a heavy-tailed popularity, the
shape of real purchase logs. Everything is drawn from a seeded generator, so a spec
always gives the same shop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from agent.domain import BehaviourEvent, CatalogItem, EventKind, Shopper
from agent.embedding import MiniLMEmbedder, content_hash
from agent.facade import Tactful
from agent.settings import Settings
from agent.stores.sql.items import StoredItem
from bench.speed.homes import cached_home
from bench.speed.stats import peak_rss_mb

#: Bump when the generator's output changes (it is part of the cache key).
GENERATOR_VERSION = 1
STYLES = [
    "vintage",
    "retro",
    "spotty",
    "floral",
    "heart",
    "owl",
    "bird",
    "star",
    "paisley",
    "gingham",
    "polkadot",
    "regency",
    "botanical",
    "woodland",
    "scandi",
    "rustic",
    "french",
    "english",
    "victorian",
    "art-deco",
    "cosy",
    "glitter",
    "enamel",
    "ceramic",
    "glass",
    "wooden",
    "metal",
    "tin",
    "paper",
    "felt",
    "knitted",
    "lace",
]
COLOURS = [
    "red",
    "pink",
    "blue",
    "green",
    "white",
    "black",
    "ivory",
    "cream",
    "gold",
    "silver",
    "purple",
    "orange",
    "yellow",
    "turquoise",
    "grey",
    "brown",
]
VARIANTS = ("", "", "", "", "Large", "Small", "Mini", "Jumbo", "Set of 3", "Set of 6")
COUNTRIES = ["United Kingdom"] * 16 + [
    "Germany",
    "France",
    "EIRE",
    "Spain",
    "Netherlands",
    "Belgium",
]
#: Event kinds and how often each happens.
KIND_SHARES = {
    EventKind.PURCHASE: 0.55,
    EventKind.VIEW: 0.25,
    EventKind.CART: 0.10,
    EventKind.LIKE: 0.04,
    EventKind.RETURN: 0.02,
    EventKind.RATING: 0.02,
    EventKind.DISMISS: 0.02,
}
FAVOURITES = 3
FAVOURITE_SHARE = 0.75


@dataclass(frozen=True)
class SyntheticSpec:
    """How big a synthetic shop is, and the seed it is drawn from."""

    items: int
    shoppers: int
    events: int
    seed: int = 20111209
    now: datetime = field(default=datetime(2024, 6, 1, 12, 0))

    def key(self) -> dict[str, Any]:
        return {
            "kind": "synthetic",
            "generator": GENERATOR_VERSION,
            **asdict(self),
            "now": self.now.isoformat(),
        }


def vocabulary() -> list[tuple[str, str]]:
    """(noun, category) pairs from the importer's category table, plurals dropped."""
    text = resources.files("agent.ingest").joinpath("categories.json").read_text("utf-8")
    table = json.loads(text)
    pairs: list[tuple[str, str]] = []
    for category in table["categories"]:
        words = {str(w).lower() for w in category["keywords"]}
        for word in sorted(words):
            plural = (word.endswith("s") and word[:-1] in words) or (
                word.endswith("es") and word[:-2] in words
            )
            if len(word) >= 3 and not plural and "'" not in word:
                pairs.append((word, str(category["name"])))
    return pairs


@dataclass
class CatalogPlan:
    """Which noun, style, colour, variant and price each synthetic item has."""

    nouns: list[tuple[str, str]]
    noun: np.ndarray
    style: np.ndarray
    colour: np.ndarray
    variant: np.ndarray
    price: np.ndarray
    popularity: np.ndarray

    def item(self, row: int) -> CatalogItem:
        noun, category = self.nouns[int(self.noun[row])]
        words = [STYLES[int(self.style[row])], COLOURS[int(self.colour[row])], noun]
        title = " ".join(w.capitalize() for w in " ".join(words).split())
        variant = VARIANTS[int(self.variant[row])]
        return CatalogItem(
            item_id=item_id(row),
            title=f"{title} {variant}".strip(),
            category=category,
            price=float(self.price[row]),
        )


def item_id(row: int) -> str:
    return f"syn{row:07d}"


def catalog_plan(spec: SyntheticSpec) -> CatalogPlan:
    """The catalog's attributes, drawn from the spec's seed."""
    rng = np.random.default_rng(spec.seed)
    nouns = vocabulary()
    # A few nouns are far more common than others, as mugs and bags are in a gift shop.
    noun_weights = 1.0 / np.power(rng.permutation(len(nouns)) + 5.0, 0.8)
    noun = rng.choice(len(nouns), size=spec.items, p=noun_weights / noun_weights.sum())
    price = np.round(rng.lognormal(np.log(4.0), 0.8, spec.items), 2) + 0.05
    return CatalogPlan(
        nouns=nouns,
        noun=noun,
        style=rng.integers(0, len(STYLES), spec.items),
        colour=rng.integers(0, len(COLOURS), spec.items),
        variant=rng.integers(0, len(VARIANTS), spec.items),
        price=price,
        popularity=rng.pareto(1.2, spec.items) + 1.0,
    )


class VectorMaker:
    """Item vectors from real embeddings of the words in their titles, plus noise."""

    def __init__(self, plan: CatalogPlan, seed: int) -> None:
        model = MiniLMEmbedder()
        self.plan = plan
        self.noun = model.embed([f"{n} ({c})" for n, c in plan.nouns])
        self.style = model.embed([s.replace("-", " ") for s in STYLES])
        self.colour = model.embed(list(COLOURS))
        self.rng = np.random.default_rng(seed + 2)

    def rows(self, start: int, end: int) -> np.ndarray:
        plan = self.plan
        dim = self.noun.shape[1]
        vectors = (
            self.noun[plan.noun[start:end]]
            + 0.5 * self.style[plan.style[start:end]]
            + 0.3 * self.colour[plan.colour[start:end]]
            + self.rng.standard_normal((end - start, dim)).astype(np.float32) * (0.35 / dim**0.5)
        )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.astype(np.float32)


def shoppers(spec: SyntheticSpec) -> list[Shopper]:
    rng = np.random.default_rng(spec.seed + 3)
    countries = rng.integers(0, len(COUNTRIES), spec.shoppers)
    return [
        Shopper(
            shopper_id=shopper_id(i), country=COUNTRIES[int(c)], created_at=datetime(2020, 1, 1)
        )
        for i, c in enumerate(countries)
    ]


def shopper_id(row: int) -> str:
    return f"syn-s{row:06d}"


@dataclass
class EventPlan:
    """Every synthetic event as columns, oldest first."""

    shopper: np.ndarray
    item: np.ndarray
    kind: np.ndarray
    at: list[datetime]
    quantity: np.ndarray
    rating: np.ndarray

    def __len__(self) -> int:
        return len(self.shopper)


def event_plan(spec: SyntheticSpec, plan: CatalogPlan) -> EventPlan:
    """Who did what to which item when, drawn from the spec's seed."""
    rng = np.random.default_rng(spec.seed + 1)
    n_items, n_events = spec.items, spec.events
    popularity = plan.popularity / plan.popularity.sum()
    # Items grouped by noun, most popular first, so "a favourite noun" is a slice.
    by_noun = np.lexsort((-plan.popularity, plan.noun))
    starts = np.searchsorted(plan.noun[by_noun], np.arange(len(plan.nouns)))
    sizes = np.bincount(plan.noun, minlength=len(plan.nouns))

    activity = rng.lognormal(0.0, 1.0, spec.shoppers)
    counts = 1 + rng.multinomial(n_events - spec.shoppers, activity / activity.sum())
    shopper = np.repeat(np.arange(spec.shoppers), counts)
    favourite = plan.noun[rng.choice(n_items, size=(spec.shoppers, FAVOURITES), p=popularity)]
    noun = favourite[shopper, rng.integers(0, FAVOURITES, n_events)]
    offset = np.floor(sizes[noun] * rng.random(n_events) ** 2.5).astype(np.int64)
    from_favourite = by_noun[starts[noun] + offset]
    anywhere = rng.choice(n_items, size=n_events, p=popularity)
    item = np.where(rng.random(n_events) < FAVOURITE_SHARE, from_favourite, anywhere)

    kinds = list(KIND_SHARES)
    kind = rng.choice(len(kinds), size=n_events, p=np.array(list(KIND_SHARES.values())))
    age_s = np.minimum(rng.exponential(120.0, n_events), 400.0) * 86400.0
    at64 = np.datetime64(spec.now, "s") - age_s.astype("timedelta64[s]")
    order = np.argsort(at64, kind="stable")
    return EventPlan(
        shopper=shopper[order],
        item=item[order],
        kind=kind[order],
        at=at64[order].astype("datetime64[s]").tolist(),
        quantity=rng.geometric(0.6, n_events)[order].astype(float),
        rating=rng.integers(1, 6, n_events)[order].astype(float),
    )


def events(plan: EventPlan) -> Iterator[BehaviourEvent]:
    """The planned events as the product's event type, one at a time."""
    kinds = list(KIND_SHARES)
    for i in range(len(plan)):
        kind = kinds[int(plan.kind[i])]
        yield BehaviourEvent(
            event_id=f"syn-e{i:08d}",
            shopper_id=shopper_id(int(plan.shopper[i])),
            item_id=item_id(int(plan.item[i])),
            kind=kind,
            at=plan.at[i],
            quantity=float(plan.quantity[i]),
            rating=float(plan.rating[i]) if kind is EventKind.RATING else None,
        )


def store_items(tactful: Tactful, plan: CatalogPlan, seed: int, chunk: int = 5000) -> None:
    """Write the catalog as ``ingest_items`` does, with made-up vectors: into SQL, through
    ``ChromaVectorStore.upsert_items``, then marked filed; a chunk at a time."""
    maker = VectorMaker(plan, seed)
    total = len(plan.noun)
    for start in range(0, total, chunk):
        end = min(start + chunk, total)
        batch = [plan.item(row) for row in range(start, end)]
        texts = [item.embedding_text() for item in batch]
        hashes = [content_hash(text) for text in texts]
        tactful.items.put([StoredItem(*row) for row in zip(batch, texts, hashes, strict=True)])
        tactful.vectors.upsert_items(batch, maker.rows(start, end), hashes)
        # As ingest_items does: every process, and the saved catalog, learns of them.
        filed = [(item.item_id, h) for item, h in zip(batch, hashes, strict=True)]
        tactful.items.mark_filed(filed, at=datetime.now(UTC))


def build(home: Path, spec: SyntheticSpec) -> dict[str, Any]:
    """Store a synthetic shop in ``home`` the way a shop's loader would."""
    started = time.perf_counter()
    settings = Settings(home=home, now=spec.now)
    plan = catalog_plan(spec)
    with Tactful.open(settings) as tactful:
        t = time.perf_counter()
        store_items(tactful, plan, spec.seed)
        items_s = time.perf_counter() - t
    # Reopened so the catalog index is loaded from Chroma, as at any start.
    t = time.perf_counter()
    with Tactful.open(settings) as tactful:
        open_s = time.perf_counter() - t
        tactful.add_shoppers(shoppers(spec))
        t = time.perf_counter()
        report = tactful.record_events(events(event_plan(spec, plan)), clarify=False)
        events_s = time.perf_counter() - t
        t = time.perf_counter()
        tactful.refresh()
        refresh_s = time.perf_counter() - t
    # As after any restart: the cached home holds the snapshot a running shop saves.
    Tactful.open(settings).close()
    return {
        "now": spec.now.isoformat(),
        "items": spec.items,
        "shoppers": spec.shoppers,
        "events": report.added,
        "build": {
            "upsert_items_s": round(items_s, 2),
            "open_s": round(open_s, 2),
            "record_events_s": round(events_s, 2),
            "refresh_s": round(refresh_s, 2),
            "total_s": round(time.perf_counter() - started, 2),
            "peak_rss_mb": peak_rss_mb(),
        },
    }


def prepare(name: str, spec: SyntheticSpec) -> tuple[Path, dict[str, Any]]:
    """The cached synthetic shop for ``spec``, built first if missing."""
    return cached_home(name, spec.key(), lambda home: build(home, spec))
