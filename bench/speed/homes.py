"""Built stores cached under ``bench/.cache``, so a rerun skips the slow imports.

A cache entry is a finished ``TACTFUL_HOME`` plus ``meta.json``. Its key covers what
decides its contents: the source (a dataset's sha256, or the synthetic generator's
parameters), the embedding model and the source code of the two stores, so a change
to the storage schema rebuilds it instead of benchmarking a stale layout. Entries are
built in a scratch folder and renamed into place, so an interrupted build never
leaves a half-built home behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from agent.embedding import MODEL_ID
from bench.speed.paths import ROOT, cache_root

#: Bump when what a cached home contains changes for reasons the key does not see.
CACHE_VERSION = 1
_STORE_SOURCES = ("agent/stores/records.py", "agent/stores/vectors.py")

Builder = Callable[[Path], dict[str, Any]]


def store_fingerprint() -> str:
    """A digest of what shapes the stored data: store code, model, Chroma version."""
    digest = hashlib.sha256()
    for name in _STORE_SOURCES:
        digest.update((ROOT / name).read_bytes())
    digest.update(MODEL_ID.encode())
    digest.update(metadata.version("chromadb").encode())
    return digest.hexdigest()[:16]


def cache_key(name: str, source: dict[str, Any]) -> str:
    """The folder name of a cache entry: the size's name and a digest of its key."""
    key = {"version": CACHE_VERSION, "store": store_fingerprint(), **source}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return f"{name}-{digest}"


def cached_home(name: str, source: dict[str, Any], build: Builder) -> tuple[Path, dict[str, Any]]:
    """The cached home for ``source``, built first with ``build(home)`` if missing.

    Returns the entry's folder (the store is its ``home`` subfolder) and its meta;
    ``meta["built_now"]`` says whether this call built it.
    """
    entry = cache_root() / cache_key(name, source)
    meta_file = entry / "meta.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        return entry, {**meta, "built_now": False}
    scratch = cache_root() / f".building-{entry.name}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    meta = {**build(scratch / "home"), "key": source}
    (scratch / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    shutil.rmtree(entry, ignore_errors=True)
    scratch.rename(entry)
    return entry, {**meta, "built_now": True}


def working_copy(entry: Path, into: Path, *, only_chroma: bool = False) -> Path:
    """A private copy of a cached home under ``into``: benchmarks write to their stores.

    With ``only_chroma`` just the vector store is copied (the catalog with its vectors)
    and the SQL side starts empty, ready for an event-ingestion run.
    """
    home = into / "home"
    source = entry / "home"
    if only_chroma:
        home.mkdir(parents=True)
        shutil.copytree(source / "chroma", home / "chroma")
    else:
        shutil.copytree(source, home)
    return home
