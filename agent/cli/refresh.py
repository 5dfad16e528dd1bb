"""``tactful refresh``: rebuild the shop-wide snapshot in this process, for every worker.

The snapshot (similar shoppers, co-purchases, trends, re-order intervals, what follows
what, latent factors) is built from every event and saved, as a new version, in the
snapshot folder (``TACTFUL_SNAPSHOT__FOLDER``, by default ``TACTFUL_HOME/snapshot``),
where every running process takes it up within ``TACTFUL_SNAPSHOT__POLL_SECONDS``
without a restart (:mod:`agent.shop_index`). With ``TACTFUL_SNAPSHOT__REFRESH=job`` the
workers leave rebuilding a stale snapshot to this command: run it from a scheduler.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from uuid import uuid4

from agent.cli.home import HomeOption, JsonOption, open_tactful, settings_for
from agent.cli.render import clean, err, out, print_json
from agent.errors import StoreUnavailable

#: Builds tried before giving up, when an erasure during a build keeps it from being saved.
ATTEMPTS = 3


def refresh(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Rebuild the shop-wide snapshot and save it where every worker takes it up.

    Waits for a build another process has under way, then builds from every event; the
    running workers swap the new snapshot in within a few seconds, without a restart.
    """
    settings = settings_for(home)
    folder = settings.snapshot.folder_in(settings.home)
    _check_writable(folder)
    with open_tactful(settings) as tactful:
        started = time.perf_counter()
        with err.status("Building the shop-wide snapshot…"):
            for _ in range(ATTEMPTS):
                rebuilt = tactful.index.rebuild(tactful.clock.now())
                if rebuilt.version is not None:
                    break
        seconds = time.perf_counter() - started
        index = tactful.index.interactions
        assert index is not None
        shoppers, items = len(index.shopper_ids), len(tactful.index.catalog)
    if rebuilt.version is None:
        raise StoreUnavailable(
            f"The snapshot was built but could not be saved in {folder}: shoppers were "
            f"erased during each of {ATTEMPTS} builds, or the folder filled up. Run "
            "`tactful refresh` again."
        )
    if as_json:
        print_json(
            {
                "version": rebuilt.version,
                "folder": str(folder),
                "events": rebuilt.events,
                "shoppers": shoppers,
                "items": items,
                "seconds": round(seconds, 2),
            }
        )
        return
    # Unwrapped, no markup read into it: a path is printed as it is.
    out.print(
        f"Saved snapshot version {rebuilt.version} in {clean(str(folder))}: {shoppers:,} "
        f"shoppers and {items:,} items from {rebuilt.events:,} events, built in "
        f"{seconds:.1f} s. Running workers take it up within "
        f"{settings.snapshot.poll_seconds:g} s.",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )


def _check_writable(folder: Path) -> None:
    """Fail before the build, in one line, when the snapshot could not be saved."""
    probe = folder / f".refresh-{uuid4().hex[:8]}.probe"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"x")
            os.fsync(handle.fileno())
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or exc
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = "a file is in the way of the folder"
        raise StoreUnavailable(
            f"Cannot save the snapshot in {folder} ({reason}); point "
            "TACTFUL_SNAPSHOT__FOLDER at a folder this user can write."
        ) from None
    finally:
        with contextlib.suppress(OSError, ValueError):
            probe.unlink(missing_ok=True)
