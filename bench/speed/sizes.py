"""The catalog sizes the benchmark measures, and how each one's store is prepared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.speed import online_retail, synthetic
from bench.speed.paths import DEMO_FILE, FULL_FILE
from bench.speed.synthetic import SyntheticSpec


@dataclass(frozen=True)
class Size:
    """One shop to measure: an Online Retail file, or a synthetic spec."""

    name: str
    label: str
    online_retail: Path | None = None
    synthetic: SyntheticSpec | None = None
    #: Whom the one-shot start-up recommends for (None: the first shopper stored).
    shopper: str | None = None

    def available(self) -> bool:
        return self.synthetic is not None or (
            self.online_retail is not None and self.online_retail.exists()
        )

    def prepare(self) -> tuple[Path, dict[str, Any]]:
        """The cached store (built first if missing) and its meta."""
        if self.online_retail is not None:
            return online_retail.prepare(self.name, self.online_retail)
        assert self.synthetic is not None
        return synthetic.prepare(self.name, self.synthetic)


def meta_now(meta: dict[str, Any]) -> datetime:
    """The pinned clock a prepared store is replayed at."""
    return datetime.fromisoformat(str(meta["now"]))


DEMO = Size("demo", "demo subset of Online Retail", online_retail=DEMO_FILE)
FULL = Size("online_retail", "full Online Retail", online_retail=FULL_FILE, shopper="17850")
SYNTHETIC_100K = Size(
    "synthetic_100k",
    "100k synthetic items",
    synthetic=SyntheticSpec(items=100_000, shoppers=20_000, events=1_000_000),
)
SYNTHETIC_1M = Size(
    "synthetic_1m",
    "1M synthetic items",
    synthetic=SyntheticSpec(items=1_000_000, shoppers=50_000, events=2_000_000),
)
SIZES = {size.name: size for size in (DEMO, FULL, SYNTHETIC_100K, SYNTHETIC_1M)}
