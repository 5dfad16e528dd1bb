"""Score the reader on the labelled utterances: intents, hand-overs and search slots.

python -m bench.conversation.run               # the held-out split (what RESULTS.md shows)
python -m bench.conversation.run --split dev   # the split one may study and tune against

Writes ``bench/results/conversation.json`` for the held-out split, otherwise
``conversation_<split>[_quick].json``. The set reads in seconds, most of them spent
embedding the intent examples once, so ``quick`` changes only the file name: the quick
run checks the harness, not the reader.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from agent.brain.base import ReadContext
from agent.brain.intents import Understanding
from agent.brain.offline.reader import OfflineReader
from agent.embedding import load_default_embedder
from bench.conversation.labels import HANDOVER, LABELS, SEARCHES, gold_slots, label_of
from bench.conversation.labels import searched_slots as read_slots

BENCH = Path(__file__).resolve().parents[1]
RESULTS = BENCH / "results"
UTTERANCES = BENCH.parent / "tests" / "conversation" / "utterances"
SLOTS = ("change", "budget_max", "budget_min", "recipient.relation", "query")

TARGETS = {
    "intent_macro_f1": ">= 0.95",
    "handover_recall": ">= 0.98",
    "false_handover_rate": "<= 0.01",
    "budget_max": ">= 0.95",
    "budget_min": ">= 0.95",
    "recipient.relation": ">= 0.95",
}

Split = Literal["heldout", "dev"]


def load(split: Split) -> list[dict[str, Any]]:
    """The utterances of one split, one dict per line: ``<split>.jsonl`` and any later
    batch written for it (``<split>_more.jsonl``)."""
    paths = sorted(UTTERANCES.glob(f"{split}*.jsonl"))
    lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    return [json.loads(line) for line in lines if line.strip()]


def run(split: Split = "heldout", quick: bool = False) -> dict[str, Any]:
    """Read every utterance of ``split`` and score the readings; writes the results file."""
    started = time.perf_counter()
    utterances = load(split)
    reader = OfflineReader(load_default_embedder())
    readings = [reader.read(u["text"], ReadContext(**u["context"])) for u in utterances]
    gold = [u["intent"] for u in utterances]
    predicted = [label_of(r) for r in readings]
    results: dict[str, Any] = {
        "split": split,
        "utterances": len(utterances),
        **score(utterances, readings),
        "definitions": {
            "intent_macro_f1": "mean F1 over the labels present in the split",
            "handover_recall": "share of handoff or sensitive utterances read as either",
            "false_handover_rate": "share of the other utterances read as handoff or sensitive",
            "slots": "exact match over utterances whose gold label is request or refine"
            " and read with the same label; null when there are none",
        },
        "targets": TARGETS,
    }
    if split == "dev":  # held-out texts stay out of the results so nobody tunes on them
        results["misread"] = [
            {"text": u["text"], "gold": g, "read": p, "as": r.model_dump(exclude_defaults=True)}
            for u, g, p, r in zip(utterances, gold, predicted, readings, strict=True)
            if g != p
        ]
    results["met"] = _met(results)
    results["seconds"] = round(time.perf_counter() - started, 3)
    name = "conversation" if split == "heldout" else f"conversation_{split}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}{'_quick' if quick else ''}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def score(utterances: list[dict[str, Any]], readings: list[Understanding]) -> dict[str, Any]:
    """Intents, hand-overs and search slots of ``readings`` against the labels."""
    gold = [u["intent"] for u in utterances]
    predicted = [label_of(r) for r in readings]
    per_intent = _per_intent(gold, predicted)
    scored = [i for i in per_intent.values() if i["support"]]
    return {
        "accuracy": _share(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold)),
        "intent_macro_f1": _share(sum(i["f1"] for i in scored), len(scored)),
        **_handover(gold, predicted),
        "slots": _slots(utterances, readings, gold, predicted),
        "per_intent": per_intent,
        "confusions": _confusions(gold, predicted),
    }


def _share(part: float, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _per_intent(gold: list[str], predicted: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        support = gold.count(label)
        read = predicted.count(label)
        precision = _share(tp, read)
        recall = _share(tp, support)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {
            "support": support,
            "read": read,
            "precision": precision,
            "recall": recall,
            "f1": round(f1, 4),
        }
    return out


def _handover(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    asked = [p in HANDOVER for g, p in zip(gold, predicted, strict=True) if g in HANDOVER]
    others = [p in HANDOVER for g, p in zip(gold, predicted, strict=True) if g not in HANDOVER]
    return {
        "handover_recall": _share(sum(asked), len(asked)),
        "handover_utterances": len(asked),
        "false_handover_rate": _share(sum(others), len(others)),
        "false_handovers": sum(others),
    }


def _slots(
    utterances: list[dict[str, Any]],
    readings: list[Any],
    gold: list[str],
    predicted: list[str],
) -> dict[str, Any]:
    pairs = [
        (gold_slots(u["slots"]), read_slots(r))
        for u, r, g, p in zip(utterances, readings, gold, predicted, strict=True)
        if g in SEARCHES and g == p
    ]
    out: dict[str, Any] = {"pairs": len(pairs)}
    for slot in SLOTS:
        hits = sum(_same(slot, want.get(slot), got.get(slot)) for want, got in pairs)
        out[slot] = _share(hits, len(pairs)) if pairs else None
    return out


def _same(slot: str, want: Any, got: Any) -> bool:
    if slot == "query":
        return " ".join(str(want or "").lower().split()) == " ".join(str(got or "").lower().split())
    if isinstance(want, int | float) and isinstance(got, int | float):
        return math.isclose(want, got, abs_tol=0.005)
    return bool(want == got)


def _confusions(gold: list[str], predicted: list[str]) -> list[dict[str, Any]]:
    counts = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return [{"gold": g, "read": p, "count": n} for (g, p), n in counts.most_common()]


def _met(results: dict[str, Any]) -> dict[str, bool | None]:
    values = {
        "intent_macro_f1": results["intent_macro_f1"],
        "handover_recall": results["handover_recall"],
        "false_handover_rate": results["false_handover_rate"],
        **{slot: results["slots"][slot] for slot in ("budget_max", "budget_min")},
        "recipient.relation": results["slots"]["recipient.relation"],
    }
    met: dict[str, bool | None] = {}
    for key, target in TARGETS.items():
        value = values[key]
        if value is None:
            met[key] = None
            continue
        bound = float(target.split()[1])
        met[key] = value >= bound if target.startswith(">=") else value <= bound
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=("heldout", "dev"), default="heldout")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(split=args.split, quick=args.quick), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
