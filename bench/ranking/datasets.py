"""The two real datasets, read into tactful's own types (items, events, countries).

Nothing here splits or filters by time: that is :mod:`bench.ranking.splits`' job.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agent.ingest.online_retail import read_online_retail
from tools.types import BehaviourEvent, CatalogItem, EventKind

#: ``../shared/datasets`` next to the repository root, as the datasets README asks.
DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
ONLINE_RETAIL_FILE = DATASETS / "online-retail" / "online-retail.csv.gz"
MOVIELENS_DIR = DATASETS / "movielens-100k"


@dataclass(frozen=True)
class RawData:
    """A dataset as tactful would hold it: the catalog and the behaviour log."""

    items: list[CatalogItem]
    events: list[BehaviourEvent]
    countries: dict[str, str | None] = field(default_factory=dict)


def load_online_retail(path: Path = ONLINE_RETAIL_FILE) -> RawData:
    """The importer's purchase events: customers with an id, no cancellations, price > 0.

    The importer already drops guest checkouts, zero prices and non-product codes, and
    turns cancellations into returns; keeping only its purchases applies the protocol.
    """
    data = read_online_retail(path)
    purchases = [e for e in data.events if e.kind is EventKind.PURCHASE and e.quantity > 0]
    countries = {s.shopper_id: s.country for s in data.shoppers}
    return RawData(items=data.items, events=purchases, countries=countries)


def load_movielens(folder: Path = MOVIELENS_DIR) -> RawData:
    """MovieLens-100k ratings as ``rating`` events; movies as items (title + genres)."""
    genres = _genres(folder / "u.genre")
    items: list[CatalogItem] = []
    # u.item is Latin-1 ("Café au lait"), not UTF-8.
    with (folder / "u.item").open(encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle, delimiter="|"):
            if not row:
                continue
            flags = row[5:]
            names = [genres[i] for i, flag in enumerate(flags) if flag == "1"]
            items.append(
                CatalogItem(
                    item_id=row[0],
                    title=row[1] or f"Movie {row[0]}",
                    description=", ".join(names),
                    category=names[0] if names else None,
                )
            )
    events: list[BehaviourEvent] = []
    with (folder / "u.data").open(encoding="latin-1") as handle:
        for line in handle:
            user, item, rating, stamp = line.split()
            events.append(
                BehaviourEvent(
                    event_id=f"ml-{user}-{item}",
                    shopper_id=user,
                    item_id=item,
                    kind=EventKind.RATING,
                    at=datetime.fromtimestamp(int(stamp), UTC).replace(tzinfo=None),
                    rating=float(rating),
                )
            )
    return RawData(items=items, events=events)


def _genres(path: Path) -> list[str]:
    """Genre names in flag order (u.genre lists ``name|index``)."""
    pairs = []
    with path.open(encoding="latin-1") as handle:
        for line in handle:
            if "|" in line:
                name, index = line.strip().split("|")
                pairs.append((int(index), name))
    return [name for _, name in sorted(pairs)]
