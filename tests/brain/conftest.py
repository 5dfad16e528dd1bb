"""One offline reader for the brain tests, on the real (offline, fast) embedding model."""

from __future__ import annotations

import pytest

from agent.brain.offline.reader import OfflineReader
from agent.embedding import load_default_embedder


@pytest.fixture(scope="session")
def reader() -> OfflineReader:
    return OfflineReader(load_default_embedder())
