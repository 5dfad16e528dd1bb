"""The labelled utterances read by the LLM brain, beside the offline brain.

    tactful eval conversation --brain llm      # or: python -m bench conversation --brain llm

Needs an endpoint: ``TACTFUL_LLM_MODEL`` with ``OPENAI_API_KEY`` or
``TACTFUL_LLM_BASE_URL``. The LLM brain sends the model what the offline reader is not
sure of, so the two differ only there; the results say how many utterances that was,
and what the calls cost. Writes ``bench/results/conversation_llm[_<split>][_quick].json``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agent.brain.base import ReadContext
from agent.brain.llm import llm_brain
from agent.brain.offline.brain import offline_brain
from agent.embedding import load_default_embedder
from agent.errors import InvalidInput
from agent.settings import Settings
from bench.conversation.run import RESULTS, Split, load, score

QUICK_UTTERANCES = 60


def run(split: Split = "heldout", quick: bool = False) -> dict[str, Any]:
    settings = Settings()
    if not settings.llm_model:
        raise InvalidInput(
            "No LLM is configured: set TACTFUL_LLM_MODEL, and OPENAI_API_KEY or "
            "TACTFUL_LLM_BASE_URL (bench/llm/endpoint.py serves a local stand-in)."
        )
    started = time.perf_counter()
    utterances = load(split)[: QUICK_UTTERANCES if quick else None]
    offline = offline_brain(load_default_embedder())
    brain = llm_brain(settings, offline)
    contexts = [ReadContext(**u["context"]) for u in utterances]
    offline_readings = [
        offline.read(u["text"], c) for u, c in zip(utterances, contexts, strict=True)
    ]
    llm_readings = [brain.read(u["text"], c) for u, c in zip(utterances, contexts, strict=True)]
    offline_scores = score(utterances, offline_readings)
    llm_scores = score(utterances, llm_readings)
    results: dict[str, Any] = {
        "split": split,
        "utterances": len(utterances),
        "endpoint": f"{settings.llm_base_url or 'OpenAI'}, model {settings.llm_model}",
        "sent_to_the_model": len(utterances) - brain.stats.sure_turns,
        "llm": brain.stats.as_dict(),
        "side_by_side": {
            key: {"offline": offline_scores[key], "llm": llm_scores[key]}
            for key in ("accuracy", "intent_macro_f1", "handover_recall", "false_handover_rate")
        },
        "per_intent_f1": {
            label: {
                "support": figures["support"],
                "offline": figures["f1"],
                "llm": llm_scores["per_intent"][label]["f1"],
            }
            for label, figures in offline_scores["per_intent"].items()
            if figures["support"]
        },
        "slots": {"offline": offline_scores["slots"], "llm": llm_scores["slots"]},
    }
    results["seconds"] = round(time.perf_counter() - started, 1)
    name = "conversation_llm" + ("" if split == "heldout" else f"_{split}")
    path = RESULTS / f"{name}{'_quick' if quick else ''}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results
