"""The clarification policy on real labels: Amazon magazine reviews that say who a
subscription was for.

Protocol and label rule as in ``../shared/datasets/README.md`` (section
``amazon-magazines-2018/``): each reviewer's reviews are replayed in time order as
purchases through a real tactful, whose own policy decides whether to ask about each
one, seeing only the reviewer's earlier events and the new item, never the review
text. A question is answered truthfully from the label and the event joins the
history. Reported, not tuned to: the set is small and its labels are noisy.

    python -m bench.tact.magazines
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.clock import FixedClock
from agent.domain import BehaviourEvent, CatalogItem, EventKind, Shopper
from agent.embedding import Embedder, load_default_embedder
from agent.facade import Tactful
from agent.settings import Settings
from bench.ranking.datasets import DATASETS
from bench.tact.intervals import wilson

DATA = DATASETS / "amazon-magazines-2018"
REVIEWS = "Magazine_Subscriptions_5.json.gz"
META = "meta_Magazine_Subscriptions.json.gz"
#: Events with at least this many earlier events by the same reviewer are reported apart.
WITH_HISTORY = 3

_OTHER = (
    r"\b(?:gift|present)s?\s+(?:for|to)\s+(?:my|our|a|an)\b",
    r"\b(?:bought|buy|buying|got|get|getting|ordered|order|ordering|purchased|purchase|gave"
    r"|give|giving|given|sent|send|renewed|renew)\s+(?:this|it|these|them|one"
    r"|this\s+subscription|the\s+subscription|a\s+subscription)\s+(?:\w+\s+){0,2}?for\s+"
    r"(?:my|our|a\s+(?:friend|relative|family\s+member|co-?worker|colleague|neighbou?r))\b",
    r"\bfor\s+my\s+(?:\d+\s*-?\s*(?:year|yr)s?[\s-]*old\s+)?(?:wife|husband|hubby|spouse|son"
    r"|sons|daughter|daughters|mom|mother|mum|dad|father|parents?|niece|nieces|nephew|nephews"
    r"|sister|sisters|brother|brothers|friend|friends|grand\w+|boyfriend|girlfriend"
    r"|fianc[eé]e?|kids?|children|child|aunt|uncle|cousin|\w+-in-law|in-laws|boss|teacher"
    r"|neighbou?r)\b",
    r"\b(?:bought|got|ordered|purchased|gave|given|sent|renewed|I\s+(?:buy|get|give|order"
    r"|send|renew))\s+(?:(?:this|it|these|them|one|this\s+subscription|the\s+subscription"
    r"|a\s+subscription)\s+)?as\s+an?\s+(?:christmas\s+|birthday\s+|xmas\s+|holiday\s+"
    r"|wedding\s+)?(?:gift|present)\b",
)
_RECEIVED = (
    r"\b(?:received|receive|receiving)\b[^.!?]{0,40}\b(?:gift|present)\b",
    r"\b(?:gift|present)\s+(?:from|to\s+me)\b",
    r"\b(?:was|were)\s+given\s+(?:a|an|this|the)\b",
    r"\b(?:gave|bought|got|gifted|ordered)\s+(?:me|us)\s+(?:this|it|these|a|an|the)\b",
    r"\bgifted\s+(?:to\s+)?me\b",
)
_SELF = (
    r"\bfor\s+myself\b",
    r"\bfor\s+my\s+own\s+use\b",
    r"\btreat(?:ed)?\s+myself\b",
    r"\b(?:bought|buy|buying|got|get|getting|ordered|order|ordering|purchased|purchase|gave"
    r"|give|giving|given|sent|send|renewed|renew)\s+(?:this|it|these|them|one"
    r"|this\s+subscription|the\s+subscription|a\s+subscription)\s+for\s+me\b",
)
#: Checked in this order; anything else is "unlabelled" and counts as negative.
_LABELS = (
    ("received", re.compile("|".join(_RECEIVED), re.IGNORECASE)),
    ("other", re.compile("|".join(_OTHER), re.IGNORECASE)),
    ("self", re.compile("|".join(_SELF), re.IGNORECASE)),
)


def label(summary: str, text: str) -> str:
    """ "received", "other", "self" or "unlabelled", by the dataset README's rule."""
    joined = f"{summary} || {text}"
    for name, pattern in _LABELS:
        if pattern.search(joined):
            return name
    return "unlabelled"


@dataclass(frozen=True)
class Review:
    shopper_id: str
    item_id: str
    at: datetime
    label: str


def load(root: Path = DATA) -> tuple[list[CatalogItem], list[Review]]:
    """The reviewed items (described by their metadata) and the deduplicated reviews in
    time order, ties in file order."""
    seen: set[tuple[str, str, int, str]] = set()
    reviews: list[Review] = []
    for row in _json_lines(root / REVIEWS):
        text = row.get("reviewText", "")
        key = (row["reviewerID"], row["asin"], row["unixReviewTime"], text)
        if key in seen:
            continue
        seen.add(key)
        reviews.append(
            Review(
                shopper_id=row["reviewerID"],
                item_id=row["asin"],
                at=datetime.fromtimestamp(row["unixReviewTime"], UTC).replace(tzinfo=None),
                label=label(row.get("summary", ""), text),
            )
        )
    reviews.sort(key=lambda r: r.at)  # stable: ties keep file order
    reviewed = {r.item_id for r in reviews}
    meta: dict[str, dict[str, Any]] = {}
    for row in _json_lines(root / META):
        if row["asin"] in reviewed:
            meta.setdefault(row["asin"], row)  # an item listed twice: the first row
    return [_item(asin, meta.get(asin, {})) for asin in sorted(reviewed)], reviews


def _json_lines(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _item(asin: str, meta: dict[str, Any]) -> CatalogItem:
    """Item text from description, genre path and publisher: the titles are broken."""
    description = " ".join(meta.get("description") or []).strip()
    genres = [g for g in meta.get("category") or [] if g != "Magazine Subscriptions"]
    brand = (meta.get("brand") or "").strip()
    title = (brand or description[:60] or asin)[:200]
    return CatalogItem(
        item_id=asin,
        title=title,
        description=f"{description} {' > '.join(genres)}".strip()[:5000],
        category=(genres[-1] if genres else None),
    )


@dataclass
class Counts:
    events: int = 0
    other: int = 0
    asked: int = 0
    asked_other: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "labelled_other": self.other,
            "asked": self.asked,
            "asked_other": self.asked_other,
            "precision": wilson(self.asked_other, self.asked),
            "recall": wilson(self.asked_other, self.other),
            "ask_rate": wilson(self.asked, self.events),
        }


@dataclass
class MagazineResult:
    all_events: Counts = field(default_factory=Counts)
    with_history: Counts = field(default_factory=Counts)
    received: int = 0
    #: For each event labelled "other": how many of the top ten it changes.
    other_changes: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "all": self.all_events.summary(),
            "with_history": {**self.with_history.summary(), "earlier_events": WITH_HISTORY},
            "received_left_out": self.received,
            "other_events_changing_the_top_10": sum(c > 0 for c in self.other_changes),
            "other_events_top_10_changes": sorted(self.other_changes, reverse=True),
        }


def run(
    embedder: Embedder | None = None,
    root: Path = DATA,
    progress: Callable[[str], None] = print,
) -> MagazineResult:
    """Replay every review through a real tactful's own clarification policy."""
    items, reviews = load(root)
    embedder = embedder or load_default_embedder()
    result = MagazineResult()
    earlier: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="tactful-magazines-") as home:
        clock = FixedClock(reviews[0].at)
        tactful = Tactful.open(Settings(home=Path(home)), clock=clock, embedder=embedder)
        try:
            tactful.ingest_items(items)
            tactful.add_shoppers(
                Shopper(shopper_id=s, created_at=clock.at) for s in {r.shopper_id for r in reviews}
            )
            for i, review in enumerate(reviews):
                clock.at = review.at
                _replay(tactful, review, i, earlier.get(review.shopper_id, 0), result)
                earlier[review.shopper_id] = earlier.get(review.shopper_id, 0) + 1
                if (i + 1) % 500 == 0:
                    progress(f"{i + 1:,} of {len(reviews):,} reviews replayed")
        finally:
            tactful.close()
    return result


def _replay(
    tactful: Tactful, review: Review, index: int, earlier: int, result: MagazineResult
) -> None:
    event = BehaviourEvent(
        event_id=f"review-{index}",
        shopper_id=review.shopper_id,
        item_id=review.item_id,
        kind=EventKind.PURCHASE,
        at=review.at,
    )
    questions = tactful.record_events([event], clarify=True).questions
    other = review.label == "other"
    if other:
        # Measured before the answer: once it is known to be for someone else, the event
        # no longer counts as the shopper's own, whatever is asked.
        assessment = tactful.clarifier.assess(event, always_impact=True)
        result.other_changes.append((assessment.changed or 0) if assessment else 0)
    for question in questions:
        # Answered at once and truthfully, so no question stays open to block the next.
        tactful.clarifier.answer(question, about_me=not other, recipient=None)
    if review.label == "received":
        result.received += 1
        return
    asked = bool(questions)
    for counts in (result.all_events, *([result.with_history] if earlier >= WITH_HISTORY else [])):
        counts.events += 1
        counts.other += other
        counts.asked += asked
        counts.asked_other += asked and other


def main() -> None:
    print(json.dumps(run(progress=lambda line: print(line, file=sys.stderr)).summary(), indent=2))


if __name__ == "__main__":
    main()
