"""``tactful reindex``: rebuild Chroma, the search index, from the database.

See :mod:`agent.stores.reindex` for what is rebuilt and why it is safe to interrupt.
"""

from __future__ import annotations

from agent.cli.home import HomeOption, guarded, progress, settings_for
from agent.cli.render import err, safe
from agent.embedding import load_default_embedder
from agent.snapshot.files import SnapshotFiles
from agent.snapshot.shop import CATALOG
from agent.stores import reindex as rebuilding
from agent.stores.records import RecordStore
from agent.stores.sql.items import ItemStore
from agent.stores.vectors import chroma_location


def reindex(home: HomeOption = None) -> None:
    """Rebuild Chroma from the database: every item and fact filed again.

    Repairs a damaged index (a command said to run this); a damaged embedded store is
    moved aside, not deleted. Stop `tactful serve` on this home first.
    """
    settings = settings_for(home)
    snapshots = SnapshotFiles(settings.snapshot.folder_in(settings.home))
    with guarded(settings), RecordStore(settings.sql_url) as records:
        embedder = load_default_embedder()
        # The saved catalog is a copy of what Chroma held: the next start reads the
        # rebuilt store instead (removed first, so an interrupted rebuild leaves none).
        snapshots.remove(CATALOG)
        with err.status("Emptying the index…"):
            store, moved = rebuilding.open_empty(settings, records, embedder.dim)
        if moved is not None:
            err.print(
                f"The damaged Chroma store was moved to {safe(str(moved))}; delete it once "
                "the rebuilt index serves well."
            )
        with progress() as bars:
            items = bars.add_task("Items", total=ItemStore(records.engine).count())
            facts = bars.add_task("Facts", total=len(records.facts.all()))
            done = rebuilding.rebuild(
                records,
                store,
                embedder,
                on_items=lambda n: bars.advance(items, n),
                on_facts=lambda n: bars.advance(facts, n),
            )
        store.close()
        snapshots.remove(CATALOG)
    err.print(
        f"Rebuilt the index at {safe(chroma_location(settings))}: "
        f"{_count(done.items, 'item')} and {_count(done.facts, 'fact')} filed again."
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
