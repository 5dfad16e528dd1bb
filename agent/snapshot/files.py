"""One folder of saved snapshots, each written whole or not at all.

A snapshot named ``catalog`` is a small ``catalog.json`` (what it was built from, the
names of its data files and a checksum of each) plus those data files, named with a
fresh random token (``catalog-<token>.vectors.npy``). Data files are written first under
names no reader looks for, then renamed; ``catalog.json`` is replaced last, in one
rename. A reader that finds ``catalog.json`` therefore finds finished data files, or
none at all if a newer writer has removed them meanwhile: it then builds from the
stores, as it does for a file that is missing, truncated or altered (the checksum tells).

Writers take the folder's lock, so two processes saving at once do not remove each
other's files; readers never wait for it.
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

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Saved:
    """A snapshot as its index file describes it: the key it was saved with, and where
    its data files are (each checked against its checksum)."""

    key: dict[str, Any]
    files: dict[str, Path]


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
            return Saved(key=dict(index["key"]), files=files)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(
        self,
        name: str,
        key: Mapping[str, Any],
        parts: Mapping[str, Writer],
        *,
        allowed: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Save a snapshot of ``name`` from ``parts`` (suffix → writer); whether it did.

        Nothing is written when another process is saving in this folder right now (its
        snapshot is as good, and waiting for it would hold up this one's answer), or
        when ``allowed``, asked under the lock, says no; nor when the folder cannot be
        written (a full disk, a read-only home): a snapshot only saves time, so the next
        start builds from the stores instead.
        """
        try:
            # Open to its owner only, as export files are: the interaction snapshot holds
            # every shopper's id and what they engaged with.
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with self._lock(wait=False) as locked:
                if not locked or not allowed():
                    return False
                self._write_locked(name, key, parts)
            return True
        except OSError:
            return False

    def _write_locked(self, name: str, key: Mapping[str, Any], parts: Mapping[str, Writer]) -> None:
        token = uuid4().hex
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
        index = {"key": dict(key), "files": files, "checksums": checksums}
        body = json.dumps(index, sort_keys=True).encode("utf-8")
        _replace(self.folder / f"{name}.json", lambda out: out.write(body))
        self._remove_others(name, keep=set(files.values()))

    def remove(self, name: str) -> None:
        """Delete the snapshot ``name`` (waiting for a writer that is saving one)."""
        if not self.folder.is_dir():
            return
        with self._lock(wait=True):
            (self.folder / f"{name}.json").unlink(missing_ok=True)
            self._remove_others(name, keep=set())

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
    def _lock(self, *, wait: bool) -> Iterator[bool]:
        if fcntl is None:
            yield True
            return
        with open(self.folder / ".lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _replace(path: Path, write: Writer) -> None:
    """Write ``path`` under another name first, then rename it into place."""
    partial = path.with_name(f".{path.name}-{uuid4().hex[:8]}.partial")
    try:
        with open(partial, "wb") as out:
            write(out)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _checksum(path: Path) -> int:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc
