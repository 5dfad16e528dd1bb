"""Finding a key: answered from memory while nothing is committed, never after a revoke."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.stores.keys import KeyKind, KeyStore


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'keys.db'}"


def test_a_key_revoked_by_another_process_is_refused_at_once(url: str) -> None:
    server, cli = KeyStore(url), KeyStore(url)  # two stores stand in for two processes
    try:
        created = cli.create(KeyKind.SHOP, "backend")
        assert server.find(created.secret) == created.key
        assert server.find(created.secret) == created.key  # kept: nothing committed since

        cli.revoke(created.key.key_id)

        assert server.find(created.secret) is None
    finally:
        server.close()
        cli.close()


def test_a_kept_key_is_not_read_again_until_someone_commits(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyStore(url)
    try:
        created = store.create(KeyKind.STAFF, "Priya")
        assert store.find(created.secret) == created.key
        reads = 0
        connect = store.engine.connect

        def counting_connect():  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += 1
            return connect()

        monkeypatch.setattr(store.engine, "connect", counting_connect)
        assert store.find(created.secret) == created.key
        assert reads == 0
        other = store.create(KeyKind.SHOP, "backend")  # a commit: what is kept may be stale
        reads = 0
        assert store.find(created.secret) == created.key
        assert reads == 1
        assert store.find(other.secret) == other.key
    finally:
        store.close()
