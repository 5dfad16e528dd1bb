"""The conversation evaluator runs on the dev split, and the utterance files are sound.

These check the harness and the data, not how well the reader does.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agent.brain.offline.semantic import default_examples
from bench.conversation.labels import AUDIENCES, CHANGES, LABELS, REQUIRED_SLOTS
from bench.conversation.run import UTTERANCES, run

SPLITS = ("dev", "heldout")
CONTEXT = {
    "awaiting_answer": bool,
    "suggestion_count": int,
    "confirming": bool,
    "handover_open": bool,
}


def _lines(split: str) -> list[str]:
    paths = sorted(UTTERANCES.glob(f"{split}*.jsonl"))
    return [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_dev_run_scores_every_label_with_measures_between_zero_and_one() -> None:
    results = run(split="dev", quick=True)

    assert set(results["per_intent"]) == set(LABELS)
    for label, scores in results["per_intent"].items():
        assert scores["support"] > 0, label
        for key in ("precision", "recall", "f1"):
            assert 0.0 <= scores[key] <= 1.0, (label, key)
    for key in ("accuracy", "intent_macro_f1", "handover_recall", "false_handover_rate"):
        assert 0.0 <= results[key] <= 1.0, key
    for slot in ("budget_max", "budget_min", "recipient.relation", "query"):
        value = results["slots"][slot]
        assert value is None or 0.0 <= value <= 1.0, slot
    assert set(results["met"]) == set(results["targets"])


@pytest.mark.parametrize("split", SPLITS)
def test_every_utterance_line_parses_with_a_known_label_context_and_slots(split: str) -> None:
    lines = _lines(split)

    assert lines
    for number, line in enumerate(lines, start=1):
        row = json.loads(line)
        where = f"{split} line {number}"
        assert set(row) == {"text", "context", "intent", "slots"}, where
        assert isinstance(row["text"], str) and row["text"].strip(), where
        assert row["intent"] in LABELS, where
        assert set(row["context"]) == set(CONTEXT), where
        for key, kind in CONTEXT.items():
            assert type(row["context"][key]) is kind, where
        assert REQUIRED_SLOTS.get(row["intent"], frozenset()) <= set(row["slots"]), where
        if row["intent"] == "refine":
            assert row["slots"]["change"] in CHANGES, where
        if row["intent"] in ("request", "refine"):
            assert row["slots"]["audience"] in AUDIENCES | {None}, where
            assert isinstance(row["slots"]["exclude"], list), where


def test_dev_and_heldout_share_no_text() -> None:
    texts = {split: {json.loads(line)["text"] for line in _lines(split)} for split in SPLITS}

    assert not texts["dev"] & texts["heldout"]


def test_the_readers_own_examples_share_no_text_with_the_held_out_split() -> None:
    examples = {e.text.lower().strip() for e in default_examples()}
    held = {json.loads(line)["text"].lower().strip() for line in _lines("heldout")}

    assert len(examples & held) == 0  # the count only: held-out texts are never printed


def test_the_set_is_large_enough_and_the_held_out_part_measures_every_label() -> None:
    dev, heldout = len(_lines("dev")), len(_lines("heldout"))
    labels = Counter(json.loads(line)["intent"] for s in SPLITS for line in _lines(s))
    held = Counter(json.loads(line)["intent"] for line in _lines("heldout"))

    assert dev + heldout >= 400
    assert {label: labels[label] for label in LABELS if labels[label] < 8} == {}
    assert heldout >= 400 and heldout / (dev + heldout) >= 0.2
    assert {label: held[label] for label in LABELS if held[label] < 4} == {}
