"""How many threads do the numeric work changes how long it takes, never the numbers:
the embedder's one-thread session for short texts, and a ranking with OpenBLAS held to
one thread whatever the process's own setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from agent.embedding import SMALL_BATCH_TOKENS, MiniLMEmbedder
from tools.threads import one_blas_thread

TEXTS = [
    "show me red lanterns",
    "a present for my 8 year old niece under £15",
    "WHITE HANGING HEART T-LIGHT HOLDER",
    "I'm not into candles",
    "Set of 3 cake tins pantry design, vintage kitchen storage, cream and green",
] * 20


def test_short_and_long_batches_give_the_same_vectors_on_one_thread_or_two() -> None:
    one, two = MiniLMEmbedder(threads=1), MiniLMEmbedder(threads=2)

    # One text at a time stays under the small-batch size; all at once goes over it.
    singles = [(one.embed([t])[0], two.embed([t])[0]) for t in TEXTS[:5]]
    assert len(" ".join(TEXTS).split()) > SMALL_BATCH_TOKENS

    for a, b in singles:
        assert np.array_equal(a, b)
    assert np.array_equal(one.embed(TEXTS), two.embed(TEXTS))


def test_products_held_to_one_blas_thread_do_not_depend_on_the_process_setting() -> None:
    rng = np.random.default_rng(7)
    catalog = rng.standard_normal((4000, 384)).astype(np.float32)
    query = rng.standard_normal(384).astype(np.float32)
    picked = catalog[rng.choice(4000, 12, replace=False)]

    def products() -> tuple[np.ndarray, np.ndarray]:
        return catalog @ query, catalog @ picked.T

    # On some CPUs OpenBLAS sums in another order when it splits a product over threads.
    with threadpool_limits(limits=1, user_api="blas"):
        reference = products()
    with threadpool_limits(limits=2, user_api="blas"), one_blas_thread:
        held = products()

    assert all(np.array_equal(a, b) for a, b in zip(reference, held, strict=True))


def test_the_blas_thread_count_comes_back_after_nested_blocks() -> None:
    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()

    with one_blas_thread:
        with one_blas_thread:
            inside = blas_threads()
        still = blas_threads()

    assert inside == still == [1] * len(before)
    assert blas_threads() == before


def test_a_blas_loaded_after_the_first_block_is_held_to_one_thread_too() -> None:
    # In a process of its own: whether scipy.linalg is loaded yet depends on what ran.
    script = """
import json
import numpy  # numpy's OpenBLAS is loaded before the first block, as in any ranking
from threadpoolctl import threadpool_info
from tools.threads import one_blas_thread

def blas():
    return sorted((lib["filepath"], lib["num_threads"]) for lib in threadpool_info()
                  if lib["user_api"] == "blas")

with one_blas_thread:
    pass
import scipy.linalg  # loads scipy's own OpenBLAS beside numpy's
with one_blas_thread:
    inside = blas()
print(json.dumps({"inside": inside, "after": blas()}))
"""
    found = json.loads(
        subprocess.run(
            [sys.executable, "-c", script],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ | {"OPENBLAS_NUM_THREADS": "2"},
        ).stdout
    )

    assert len(found["inside"]) == 2, "scipy.linalg loads a second BLAS"
    assert [threads for _, threads in found["inside"]] == [1, 1]
    assert [threads for _, threads in found["after"]] == [2, 2]
