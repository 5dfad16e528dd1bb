"""Snapshot files are written whole or not at all, and two writers never mix theirs."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

import pytest

from agent.snapshot.files import SnapshotFiles, Writer


def text(body: bytes) -> Writer:
    def write(out: IO[bytes]) -> None:
        out.write(body)

    return write


def broken(out: IO[bytes]) -> None:
    out.write(b"half of it")
    raise OSError("the disk is full")


def test_a_saved_snapshot_reads_back_with_its_key_and_files(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path / "snapshot")

    assert files.write("catalog", {"position": 7}, {"a.bin": text(b"one"), "b.bin": text(b"2")})

    saved = files.read("catalog")
    assert saved is not None and saved.key == {"position": 7}
    assert saved.files["a.bin"].read_bytes() == b"one"


def test_a_write_that_fails_halfway_leaves_the_previous_snapshot_whole(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path / "snapshot")
    files.write("catalog", {"position": 1}, {"a.bin": text(b"old")})

    assert not files.write("catalog", {"position": 2}, {"a.bin": text(b"new"), "b.bin": broken})

    saved = files.read("catalog")
    assert saved is not None and saved.key == {"position": 1}
    assert saved.files["a.bin"].read_bytes() == b"old"
    left = {p.name for p in (tmp_path / "snapshot").iterdir()}
    assert left == {".lock", "catalog.json", saved.files["a.bin"].name}


def test_a_newer_snapshot_replaces_the_older_files(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path / "snapshot")
    files.write("catalog", {"position": 1}, {"a.bin": text(b"old")})
    files.write("interactions", {"position": 1}, {"c.bin": text(b"other")})

    files.write("catalog", {"position": 2}, {"a.bin": text(b"new")})

    names = {p.name for p in (tmp_path / "snapshot").glob("*-*")}
    assert len(names) == 2 and any(name.startswith("interactions-") for name in names)


def test_nothing_is_written_while_another_process_saves(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path / "snapshot")
    files.write("catalog", {"position": 1}, {"a.bin": text(b"old")})

    with open(tmp_path / "snapshot" / ".lock", "a+b") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        assert not files.write("catalog", {"position": 2}, {"a.bin": text(b"new")})

    saved = files.read("catalog")
    assert saved is not None and saved.key == {"position": 1}


def test_a_write_the_caller_no_longer_allows_is_not_made(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path / "snapshot")

    assert not files.write("catalog", {}, {"a.bin": text(b"x")}, allowed=lambda: False)
    assert files.read("catalog") is None


@pytest.mark.parametrize("index", [b"", b"{", b"[]", b'{"key": {}}', b'{"key": 1, "files": 2}'])
def test_an_unreadable_index_file_means_no_snapshot(tmp_path: Path, index: bytes) -> None:
    (tmp_path / "catalog.json").write_bytes(index)

    assert SnapshotFiles(tmp_path).read("catalog") is None


def test_a_folder_that_cannot_be_written_saves_nothing_and_raises_nothing(tmp_path: Path) -> None:
    (tmp_path / "snapshot").write_text("a file where the folder should be")

    assert not SnapshotFiles(tmp_path / "snapshot").write("catalog", {}, {"a.bin": text(b"x")})


def test_the_folder_is_open_to_its_owner_only(tmp_path: Path) -> None:
    SnapshotFiles(tmp_path / "snapshot").write("interactions", {}, {"a.bin": text(b"ids")})

    assert (tmp_path / "snapshot").stat().st_mode & 0o077 == 0
