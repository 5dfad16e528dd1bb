"""One folder of saved snapshots, each written whole or not at all.

A snapshot named ``catalog`` is a small ``catalog.json`` (what it was built from, its
version, the names of its data files and a checksum of each) plus those data files,
named with the version and a fresh random token (``catalog-000003-<token>.vectors.npy``).
Data files are written first under names no reader looks for, flushed to the disk and
renamed; ``catalog.json`` is replaced last, in one rename, and the folder is flushed
after each step, so even a machine that loses power mid-write leaves either the old
snapshot or the new one. A reader that finds ``catalog.json`` therefore finds finished
data files, or none at all if newer writers have removed them meanwhile: it then builds
from the stores, as it does for a file that is missing, truncated or altered (the
checksum tells).

Every save numbers a new version, one more than the last, even after the snapshot was
removed (the lock file keeps the count). The files of the versions before it are removed,
except as many as the writer asks to keep (the interaction snapshot keeps the one
before): a process that read ``interactions.json`` just before a newer one replaced it
still finds the files it names.

Writers take the folder's lock, so two processes saving at once do not remove each
other's files; readers never wait for it. Whoever builds a snapshot may also hold its
build lock (:meth:`SnapshotFiles.building`) for the whole build, so that several
processes that need the same snapshot build it once.
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from uuid import uuid4

try:
    import fcntl
except ImportError:  # not on Windows: writes stay atomic, only the tidying is unguarded
    fcntl = None  # type: ignore[assignment]

#: Writes one data file's bytes to an open binary file (what it returns is ignored).
Writer = Callable[[IO[bytes]], object]
#: What tells one saved index file from another: its inode, modification time and size.
Stamp = tuple[int, int, int]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Saved:
    """A snapshot as its index file describes it: the key it was saved with, where its
    data files are (each checked against its checksum), and its version (0 when it was
    saved before snapshots had versions)."""

    key: dict[str, Any]
    files: dict[str, Path]
    version: int = 0


class SnapshotFiles:
    """Saved snapshots under one folder (created on the first save)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self, name: str) -> Saved | None:
        """The snapshot ``name``, or None when there is none or any part of it is damaged."""
        try:
            index = json.loads((self.folder / f"{name}.json").read_bytes())
            files = {part: self.folder / file for part, file in index["files"].items()}
            for part, path in files.items():
                if _checksum(path) != index["checksums"][part]:
                    return None
            return Saved(key=dict(index["key"]), files=files, version=int(index.get("version", 0)))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def stamp(self, name: str) -> Stamp | None:
        """What tells the current index file of ``name`` from any other (None: there is
        none). One ``stat``: cheap enough to ask every few seconds."""
        try:
            found = os.stat(self.folder / f"{name}.json")
        except OSError:
            return None
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    def write(
        self,
        name: str,
        key: Mapping[str, Any],
        parts: Mapping[str, Writer],
        *,
        allowed: Callable[[], bool] = lambda: True,
        wait: bool = False,
        keep: int = 1,
    ) -> int | None:
        """Save a snapshot of ``name`` from ``parts`` (suffix → writer); the version it
        was saved as, or None when it was not.

        Nothing is written when another process is saving in this folder right now (its
        snapshot is as good, and waiting for it would hold up this one's answer) unless
        ``wait``, or when ``allowed``, asked under the lock, says no; nor when the folder
        cannot be written (a full disk, a read-only home): a snapshot only saves time, so
        the next start builds from the stores instead. The files of the ``keep - 1``
        versions before this one stay; older ones are removed.
        """
        try:
            self._make_folder()
            with self._lock(".lock", wait=wait) as locked:
                if not locked or not allowed():
                    return None
                return self._write_locked(name, key, parts, keep)
        except OSError:
            return None

    def _make_folder(self) -> None:
        # Open to its owner only, as export files are: the interaction snapshot holds
        # every shopper's id and what they engaged with.
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _write_locked(
        self, name: str, key: Mapping[str, Any], parts: Mapping[str, Writer], keep: int
    ) -> int:
        version, earlier = _history(self._index(name), keep)
        version = max(version, self._last_versions().get(name, 0)) + 1
        token = f"{version:06d}-{uuid4().hex}"
        files: dict[str, str] = {}
        checksums: dict[str, int] = {}
        try:
            for part, write in parts.items():
                file = files[part] = f"{name}-{token}.{part}"
                _replace(self.folder / file, write)
                checksums[part] = _checksum(self.folder / file)
        except BaseException:
            for file in files.values():
                (self.folder / file).unlink(missing_ok=True)
            raise
        # The data files' names reach the disk before an index that names them.
        _flush_folder(self.folder)
        index = {
            "key": dict(key),
            "version": version,
            "files": files,
            "checksums": checksums,
            "earlier": earlier,  # the data files of the versions kept before this one
        }
        body = json.dumps(index, sort_keys=True).encode("utf-8")
        _replace(self.folder / f"{name}.json", lambda out: out.write(body))
        _flush_folder(self.folder)
        self._note_version(name, version)
        kept = set(files.values()) | {file for files in earlier for file in files}
        self._remove_others(name, keep=kept)
        return version

    def _last_versions(self) -> dict[str, int]:
        """The last version saved of each snapshot, kept in the lock file: it outlives
        :meth:`remove`, so versions count on after an erasure rather than from 1."""
        try:
            found = json.loads((self.folder / ".lock").read_bytes() or b"{}")
            return {str(name): int(version) for name, version in found.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    def _note_version(self, name: str, version: int) -> None:
        versions = self._last_versions() | {name: version}
        with open(self.folder / ".lock", "a+b") as lock:  # the file locked by this writer
            lock.truncate(0)
            lock.write(json.dumps(versions, sort_keys=True).encode("utf-8"))

    def _index(self, name: str) -> dict[str, Any] | None:
        """The index file of ``name`` as written, whatever state its data files are in."""
        try:
            index = json.loads((self.folder / f"{name}.json").read_bytes())
        except (OSError, ValueError):
            return None
        return index if isinstance(index, dict) else None

    def remove(self, name: str) -> None:
        """Delete the snapshot ``name``, every version of it (waiting for a writer that
        is saving one)."""
        if not self.folder.is_dir():
            return
        with self._lock(".lock", wait=True):
            (self.folder / f"{name}.json").unlink(missing_ok=True)
            self._remove_others(name, keep=set())

    @contextlib.contextmanager
    def building(self, name: str, *, wait: bool) -> Iterator[bool]:
        """Hold the build lock of ``name`` for the block; yields whether this process
        holds it (without ``wait``, False at once when another one does).

        Apart from the folder's write lock, which a build must not hold: an erasure takes
        that one to delete the snapshot and must not wait for a build. A folder that
        cannot be made yields True: there is nothing to share then.
        """
        try:
            self._make_folder()
        except OSError:
            yield True
            return
        with self._lock(f".{name}.building", wait=wait) as locked:
            yield locked

    def _remove_others(self, name: str, keep: set[str]) -> None:
        # Under the lock no other writer has files in flight, so whatever is not kept is
        # an older snapshot's or was left by a writer that stopped halfway.
        for path in self.folder.glob(f"{name}-*"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
        for path in self.folder.glob(f".{name}-*.partial"):
            path.unlink(missing_ok=True)
        for path in self.folder.glob(f".{name}.json-*.partial"):
            path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _lock(self, file: str, *, wait: bool) -> Iterator[bool]:
        if fcntl is None:
            yield True
            return
        with open(self.folder / file, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _history(index: dict[str, Any] | None, keep: int) -> tuple[int, list[list[str]]]:
    """The version of the snapshot an index file describes (0 for none), and the data
    files of it and the versions before it that stay with ``keep`` versions kept."""
    if index is None:
        return 0, []
    try:
        version = int(index.get("version", 0))
        earlier = [[str(file) for file in index["files"].values()]]
        earlier += [[str(file) for file in files] for files in index.get("earlier", [])]
    except (KeyError, TypeError, ValueError, AttributeError):
        return 0, []  # damaged: nothing of it is worth keeping
    return version, earlier[: max(keep - 1, 0)]


def _replace(path: Path, write: Writer) -> None:
    """Write ``path`` under another name first, flush it to the disk, then rename it
    into place."""
    partial = path.with_name(f".{path.name}-{uuid4().hex[:8]}.partial")
    try:
        with open(partial, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _flush_folder(folder: Path) -> None:
    """Flush the folder's entries (the renames in it) to the disk, where the system
    allows opening a folder for that."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems refuse to flush a folder; the renames stand regardless
    finally:
        os.close(handle)


def _checksum(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc
