"""Every answer of ``Tactful.recommend`` on the full Online Retail store, to keep unchanged.

    .venv/bin/python -m bench.speed.golden write answers.json.gz   # before a change
    .venv/bin/python -m bench.speed.golden check answers.json.gz   # after it

Work that makes serving cheaper must not change what is served. This asks a private copy
of the full Online Retail store, at the pinned clock the speed benchmark uses, for the
ten suggestions of 300 shoppers in browsing and in purchase mode, and for a few searches
(words, a category, a gift with a budget, an item to go with); every suggestion is kept
whole: item, score, factors with their evidence, reason. The shoppers are asked twice,
the second time in another order, so anything a process keeps between requests must
give the first answers again. ``check`` exits with 1 and shows the first differences.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.facade import Tactful
from agent.settings import Settings
from agent.stores.records import RecordStore
from bench.speed.homes import working_copy
from bench.speed.sizes import FULL, meta_now

SHOPPERS = 300
MODES = ("browsing", "purchase")
#: Requests beyond the plain lists, each asked of the first shoppers.
SEARCHES: tuple[dict[str, Any], ...] = (
    {"query": "lanterns"},
    {"query": "a red teapot", "mode": "purchase"},
    {"category": "kitchen & dining"},
    {"mode": "gift", "recipient": "sister", "budget_max": 10.0},
    {"goes_with_item_id": "22423"},
    {"new_only": True},
)
SEARCHED_SHOPPERS = 20


def answers() -> dict[str, Any]:
    """Every request's suggestions as JSON data, keyed by what was asked."""
    entry, meta = FULL.prepare()
    with tempfile.TemporaryDirectory(prefix="tactful-golden-") as tmp:
        home = working_copy(entry, Path(tmp))
        settings = Settings(home=home, now=meta_now(meta))
        with RecordStore(settings.sql_url) as records:
            shoppers = sorted(records.shopper_ids())
        random.Random(7).shuffle(shoppers)
        chosen = shoppers[:SHOPPERS]
        found: dict[str, Any] = {}
        with Tactful.open(settings) as tactful:
            for label, shopper, request in _requests(chosen):
                found[label] = _ask(tactful, shopper, request)
            # Again, the other way round: the answers must not depend on what came before.
            for label, shopper, request in reversed(list(_requests(chosen))):
                again = _ask(tactful, shopper, request)
                if again != found[label]:
                    raise AssertionError(f"{label}: asked again, the answer changed")
    return found


def _requests(shoppers: list[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for shopper in shoppers:
        for mode in MODES:
            yield f"{shopper} {mode}", shopper, {"mode": mode}
    for request in SEARCHES:
        for shopper in shoppers[:SEARCHED_SHOPPERS]:
            yield f"{shopper} {json.dumps(request, sort_keys=True)}", shopper, request


def _ask(tactful: Tactful, shopper: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in tactful.recommend(shopper, k=10, **request)]


def differences(expected: dict[str, Any], found: dict[str, Any], limit: int = 5) -> list[str]:
    """The first ``limit`` requests whose answers differ, each with the two answers."""
    out = []
    for label in sorted(expected.keys() | found.keys()):
        if expected.get(label) != found.get(label):
            out.append(
                f"{label}\n  expected {json.dumps(expected.get(label))[:600]}"
                f"\n  found    {json.dumps(found.get(label))[:600]}"
            )
            if len(out) == limit:
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("write", "check"))
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    found = answers()
    if args.action == "write":
        with gzip.open(args.path, "wt", encoding="utf-8") as out:
            json.dump(found, out, sort_keys=True)
        print(f"{len(found)} answers written to {args.path}")
        return
    with gzip.open(args.path, "rt", encoding="utf-8") as saved:
        expected = json.load(saved)
    diffs = differences(expected, found)
    if diffs:
        print("\n".join(diffs))
        sys.exit(1)
    print(f"all {len(found)} answers as saved")


if __name__ == "__main__":
    main()
