"""Fit the reader's intent model and write it beside this module.

    python -m agent.brain.offline.training tests/conversation/utterances/dev*.jsonl

(``make intent-model``). It learns from the example phrasings shipped here
(``intent_examples.jsonl``) and from labelled utterance files in the format of
``tests/conversation/utterances`` — a shop can add its own. Held-out files are refused:
they measure the reader and must never teach it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from agent.brain.offline import intent_model
from agent.brain.offline.intent_model import IntentModel
from agent.brain.offline.semantic import MODEL_FILE, Example, default_examples, fit_examples
from agent.embedding import Embedder, load_default_embedder

#: A labelled line's label and slots → the reader's finer intent: a refine says what it
#: changes, feedback which way it goes.
_SUB_KIND = {"refine": "change", "feedback": "value", "sensitive": "topic", "mode_switch": "mode"}
_PREFIX = {"mode_switch": "mode"}


class HeldOutRefused(ValueError):
    """A held-out utterance file was given as training data."""


def intent_of(label: str, slots: dict[str, Any]) -> str:
    """The reader's intent for a line labelled ``label`` with ``slots``: "refine" with
    change "cheaper" is ``refine_cheaper``; a refine that only narrows (no change) reads
    like a request, which the reader then turns into a refine."""
    key = _SUB_KIND.get(label)
    if key is None:
        return label
    kind = slots.get(key)
    if not kind:
        return "request" if label == "refine" else label
    return f"{_PREFIX.get(label, label)}_{kind}"


def labelled_lines(paths: Iterable[Path]) -> list[Example]:
    """The utterances in ``paths`` as examples of the reader's intents."""
    out = []
    for path in paths:
        if "heldout" in path.name:
            raise HeldOutRefused(f"{path} is held out for measuring; it cannot be trained on")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(Example(intent=intent_of(row["intent"], row["slots"]), text=row["text"]))
    return out


def training_set(paths: Sequence[Path]) -> list[Example]:
    """The shipped example phrasings and the labelled lines of ``paths``."""
    return [*default_examples(), *labelled_lines(sorted(paths))]


def digest(examples: Sequence[Example], model_id: str) -> str:
    """A fingerprint of what a model is fit on and how, to tell a stale model file."""
    settings = (intent_model.TEMPERATURE, intent_model.L2, intent_model.ITERATIONS)
    payload = json.dumps([model_id, settings, [(e.intent, e.text) for e in examples]])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def train(examples: Sequence[Example], embedder: Embedder) -> IntentModel:
    """Fit a model to ``examples``, fingerprinted so a stale one is told."""
    return fit_examples(examples, embedder, digest(examples, embedder.model_id))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="labelled utterance files (JSONL)")
    args = parser.parse_args(argv)
    examples = training_set(args.files)
    model = train(examples, load_default_embedder())
    target = Path(str(resources.files("agent.brain.offline").joinpath(MODEL_FILE)))
    model.save(target)
    print(f"{len(examples)} examples, {len(model.intents)} intents → {target}")


if __name__ == "__main__":
    main()
