"""Snapshot versions: each save a new one, the one before kept for readers in flight, every
file flushed before it is named, a writer killed halfway never read, builds one at a time."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from agent.snapshot import files as snapshot_files
from agent.snapshot.files import SnapshotFiles, Writer

ROOT = Path(__file__).resolve().parents[2]


def text(body: bytes) -> Writer:
    def write(out: IO[bytes]) -> None:
        out.write(body)

    return write


def data_files(folder: Path, name: str) -> set[str]:
    return {path.name for path in folder.glob(f"{name}-*")}


def test_each_save_is_a_new_version_and_only_the_one_before_it_stays(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path)

    versions = [
        files.write("interactions", {"n": n}, {"a.bin": text(b"%d" % n)}, keep=2) for n in range(3)
    ]

    assert versions == [1, 2, 3]
    saved = files.read("interactions")
    assert saved is not None and saved.version == 3 and saved.key == {"n": 2}
    left = data_files(tmp_path, "interactions")
    assert len(left) == 2
    assert {path.read_bytes() for path in tmp_path.glob("interactions-*")} == {b"1", b"2"}


def test_a_reader_that_read_the_index_before_a_newer_save_still_finds_its_files(
    tmp_path: Path,
) -> None:
    files = SnapshotFiles(tmp_path)
    files.write("interactions", {}, {"a.bin": text(b"old")}, keep=2)
    before = files.read("interactions")
    assert before is not None

    files.write("interactions", {}, {"a.bin": text(b"new")}, keep=2)

    assert before.files["a.bin"].read_bytes() == b"old"


def test_a_catalog_keeps_only_its_newest_version(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path)
    for n in range(3):
        files.write("catalog", {"n": n}, {"a.bin": text(b"%d" % n)})

    assert [path.read_bytes() for path in tmp_path.glob("catalog-*")] == [b"2"]


def test_removing_a_snapshot_removes_every_version_kept_and_the_count_goes_on(
    tmp_path: Path,
) -> None:
    files = SnapshotFiles(tmp_path)
    for n in range(3):
        files.write("interactions", {"n": n}, {"a.bin": text(b"ids")}, keep=2)

    files.remove("interactions")

    assert files.read("interactions") is None
    assert not data_files(tmp_path, "interactions")
    assert files.stamp("interactions") is None
    assert files.write("interactions", {}, {"a.bin": text(b"ids")}, keep=2) == 4


def test_every_save_changes_the_stamp_that_running_processes_watch(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path)
    assert files.stamp("interactions") is None

    stamps = set()
    for n in range(3):
        files.write("interactions", {"n": n}, {"a.bin": text(b"same bytes")}, keep=2)
        stamps.add(files.stamp("interactions"))

    assert len(stamps) == 3


def test_each_file_reaches_the_disk_before_the_name_that_makes_it_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[str] = []
    fsync, replace = os.fsync, os.replace

    def flushing(handle: int) -> None:
        steps.append("flush")
        fsync(handle)

    def renaming(source: str | Path, target: str | Path) -> None:
        steps.append(f"rename {Path(target).name}")
        replace(source, target)

    monkeypatch.setattr(snapshot_files.os, "fsync", flushing)
    monkeypatch.setattr(snapshot_files.os, "replace", renaming)

    version = SnapshotFiles(tmp_path).write("interactions", {}, {"a.bin": text(b"x")}, keep=2)

    data = next(step for step in steps if step.startswith("rename interactions-"))
    assert steps == [
        "flush",  # the data file's bytes
        data,
        "flush",  # the folder, so the data file's name is there before the index names it
        "flush",  # the index file's bytes
        "rename interactions.json",
        "flush",  # the folder again
    ]
    assert version == 1


WRITE_HALF_THEN_WAIT = """
import sys, time
from pathlib import Path
from agent.snapshot.files import SnapshotFiles

def half(out):
    out.write(b"x" * 1_000_000)
    out.flush()
    print("half", flush=True)
    time.sleep(120)  # killed here
    out.write(b"y" * 1_000_000)

SnapshotFiles(Path(sys.argv[1])).write("interactions", {"n": 2}, {"a.bin": half}, keep=2)
"""


def test_a_writer_killed_halfway_leaves_the_last_whole_version_read_and_tidied_later(
    tmp_path: Path,
) -> None:
    files = SnapshotFiles(tmp_path)
    files.write("interactions", {"n": 1}, {"a.bin": text(b"whole")}, keep=2)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITE_HALF_THEN_WAIT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "half"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=60)

    saved = files.read("interactions")
    assert saved is not None and saved.key == {"n": 1}
    assert saved.files["a.bin"].read_bytes() == b"whole"
    assert list(tmp_path.glob(".interactions-*.partial")), "the killed writer left its half"

    assert files.write("interactions", {"n": 3}, {"a.bin": text(b"next")}, keep=2) == 2
    assert not list(tmp_path.glob(".*.partial"))


def test_a_build_lock_held_by_another_process_is_not_waited_for_unless_asked(
    tmp_path: Path,
) -> None:
    files = SnapshotFiles(tmp_path)
    with files.building("interactions", wait=False) as first:
        assert first
    with open(tmp_path / ".interactions.building", "a+b") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        with files.building("interactions", wait=False) as second:
            assert not second
        fcntl.flock(other, fcntl.LOCK_UN)
        with files.building("interactions", wait=True) as third:
            assert third


def test_the_build_lock_does_not_hold_up_a_write(tmp_path: Path) -> None:
    """An erasure deletes the snapshot under the write lock while a build may run for
    minutes: the two locks are apart."""
    files = SnapshotFiles(tmp_path)
    with files.building("interactions", wait=False) as ours:
        assert ours
        assert files.write("interactions", {}, {"a.bin": text(b"x")}, keep=2) == 1
        files.remove("interactions")
    assert files.read("interactions") is None


def test_a_damaged_index_file_gives_way_to_a_fresh_first_version(tmp_path: Path) -> None:
    (tmp_path / "interactions.json").write_bytes(b'{"version": "two", "files": 3}')

    assert SnapshotFiles(tmp_path).write("interactions", {}, {"a.bin": text(b"x")}, keep=2) == 1
