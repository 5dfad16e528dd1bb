"""The intent classifier: fitting, masking, saving, and the shipped model's freshness."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from agent.brain.offline.intent_model import IntentModel, fit
from agent.brain.offline.semantic import shipped_model
from agent.brain.offline.training import (
    HeldOutRefused,
    digest,
    intent_of,
    labelled_lines,
    training_set,
)
from agent.embedding import DIM, MODEL_ID

UTTERANCES = Path(__file__).resolve().parents[1] / "conversation" / "utterances"


def _clusters() -> tuple[np.ndarray, list[str]]:
    """Three tight clusters of unit vectors, one per label."""
    rng = np.random.default_rng(7)
    centres = np.eye(8)[:3]
    rows, labels = [], []
    for centre, label in zip(centres, ("greeting", "request", "thanks"), strict=True):
        for _ in range(20):
            row = centre + 0.05 * rng.standard_normal(8)
            rows.append(row / np.linalg.norm(row))
            labels.append(label)
    return np.array(rows), labels


def test_the_fitted_layer_tells_the_clusters_apart() -> None:
    vectors, labels = _clusters()
    model = fit(vectors, labels, "toy")
    everything = np.ones(len(model.intents), dtype=bool)

    predicted = [model.intents[int(np.argmax(model.probabilities(v, everything)))] for v in vectors]

    assert predicted == labels


def test_an_intent_the_context_rules_out_gets_no_probability() -> None:
    vectors, labels = _clusters()
    model = fit(vectors, labels, "toy")
    allowed = np.array([intent != "greeting" for intent in model.intents])

    probs = model.probabilities(vectors[0], allowed)

    assert probs[model.intents.index("greeting")] == 0.0
    assert probs.sum() == pytest.approx(1.0)


def test_a_saved_model_loads_the_same() -> None:
    vectors, labels = _clusters()
    model = fit(vectors, labels, "toy", digest="abc")
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)

    loaded = IntentModel.load(buffer)

    assert (loaded.intents, loaded.model_id, loaded.digest) == (model.intents, "toy", "abc")
    np.testing.assert_allclose(loaded.weights, model.weights)


@pytest.mark.parametrize(
    ("label", "slots", "intent"),
    [
        ("refine", {"change": "cheaper"}, "refine_cheaper"),
        ("refine", {"change": None}, "request"),
        ("feedback", {"value": "not_for_me"}, "feedback_not_for_me"),
        ("sensitive", {"topic": "return"}, "sensitive_return"),
        ("mode_switch", {"mode": "gift"}, "mode_gift"),
        ("greeting", {}, "greeting"),
    ],
)
def test_a_labelled_line_becomes_the_readers_finer_intent(
    label: str, slots: dict[str, str | None], intent: str
) -> None:
    assert intent_of(label, slots) == intent


def test_held_out_lines_are_never_trained_on(tmp_path: Path) -> None:
    held = tmp_path / "heldout_extra.jsonl"
    held.write_text(json.dumps({"text": "hi", "intent": "greeting", "slots": {}}) + "\n")

    with pytest.raises(HeldOutRefused):
        labelled_lines([held])


def test_the_shipped_model_was_fit_on_todays_examples_and_development_lines() -> None:
    examples = training_set(sorted(UTTERANCES.glob("dev*.jsonl")))
    model = shipped_model()

    assert model.model_id == MODEL_ID and model.weights.shape[0] == DIM
    assert model.digest == digest(examples, MODEL_ID), "stale model: run `make intent-model`"
