"""Where the shop-wide snapshot is kept, and who rebuilds it when it goes stale.

Set with ``TACTFUL_SNAPSHOT__<FIELD>``, e.g. ``TACTFUL_SNAPSHOT__REFRESH=job``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

#: ``auto``: a process whose snapshot went stale rebuilds it, one process at a time.
#: ``job``: only ``tactful refresh`` rebuilds a stale one (run it from a scheduler).
RefreshMode = Literal["auto", "job"]


class SnapshotConfig(BaseModel):
    """The saved catalog and interaction snapshots (:mod:`agent.snapshot`)."""

    folder: Path | None = Field(
        default=None,
        description="where snapshots are saved and loaded; home/snapshot when unset. Every "
        "worker, on every machine, must see the same folder",
    )
    refresh: RefreshMode = Field(
        default="auto",
        description="auto: after 5,000 new events or a day, the process that notices first "
        "rebuilds the shop-wide snapshot and the others load it; job: only `tactful refresh` "
        "rebuilds it, every process uses the last one it saved however old, and a process "
        "builds one itself only when it has none it may use (none saved yet, or an erasure "
        "or a catalog change since)",
    )
    poll_seconds: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="how often a running process looks (one stat of a small file) for a "
        "newer snapshot saved by another one, which it then loads in the background",
    )

    def folder_in(self, home: Path) -> Path:
        """The snapshot folder for a data folder ``home``."""
        return self.folder if self.folder is not None else home / "snapshot"
