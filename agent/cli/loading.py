"""``tactful ingest`` and ``tactful import``: load files, report bad rows by line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli.home import HomeOption, open_tactful, progress, settings_for
from agent.cli.render import err, safe
from agent.clock import latest_allowed
from agent.domain import BehaviourEvent
from agent.errors import IngestError
from agent.facade import Tactful

if TYPE_CHECKING:
    from agent.ingest.online_retail import OnlineRetailData

ingest_app = typer.Typer(help="Load a catalog or behaviour events from CSV or JSONL.")
import_app = typer.Typer(help="Import a public dataset in its own format.")

StrictOption = Annotated[bool, typer.Option(help="Stop at the first bad row.")]
_BAD_ROWS_SHOWN = 10


@ingest_app.command("catalog")
def ingest_catalog(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL with item_id, title, …")],
    strict: StrictOption = False,
    home: HomeOption = None,
) -> None:
    """Embed and store catalog items (unchanged items are skipped)."""
    from agent.ingest.readers import read_catalog

    settings = settings_for(home)
    rows = read_catalog(file, strict=strict)
    bad: list[str] = []
    with open_tactful(settings) as tactful, progress() as bars:
        task = bars.add_task("Catalog", total=None)
        report = tactful.ingest_items(
            _good_rows(rows, bad), on_progress=lambda n: bars.advance(task, n)
        )
    err.print(
        f"Items: {report.added:,} added, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {len(bad):,} bad rows skipped."
    )
    _print_bad(bad)


@ingest_app.command("events")
def ingest_events(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL with shopper_id, item_id, kind, at")],
    strict: StrictOption = False,
    home: HomeOption = None,
) -> None:
    """Store behaviour events (re-ingesting the same file adds nothing)."""
    from agent.ingest.readers import read_events

    settings = settings_for(home)
    rows = read_events(file, strict=strict)
    bad: list[str] = []
    with open_tactful(settings) as tactful, progress() as bars:
        check = _EventCheck(tactful, file, bad, strict=strict)
        task = bars.add_task("Events", total=None)
        report = tactful.record_events(
            _good_rows(rows, bad, keep=check),
            clarify=False,
            on_progress=lambda n: bars.advance(task, n),
        )
        tactful.refresh()
    future = f" ({check.future:,} dated more than a day after now)" if check.future else ""
    err.print(
        f"Events: {report.added:,} added, {report.duplicates:,} already there, "
        f"{len(bad):,} bad rows skipped{future}."
    )
    _print_bad(bad)


class _EventCheck:
    """What a file cannot know: whether an item is in the catalog, and what time it is."""

    def __init__(self, tactful: Tactful, file: Path, bad: list[str], *, strict: bool) -> None:
        self.catalog = tactful.index.catalog
        self.latest: datetime = latest_allowed(tactful.clock.now())
        self.file, self.bad, self.strict = file, bad, strict
        self.future = 0

    def __call__(self, line: int, event: BehaviourEvent) -> bool:
        if event.item_id not in self.catalog:
            problem = f"unknown item {event.item_id!r}"
        elif event.at > self.latest:
            problem = f"at {event.at:%Y-%m-%d %H:%M} is more than a day after now"
            self.future += 1
        else:
            return True
        if self.strict:
            raise IngestError(problem, path=str(self.file), line=line)
        self.bad.append(f"line {line}: {problem}")
        return False


@import_app.command("online-retail")
def import_online_retail(
    file: Annotated[Path, typer.Argument(help="The UCI Online Retail CSV (maybe .gz).")],
    strict: StrictOption = False,
    home: HomeOption = None,
) -> None:
    """Import UCI Online Retail: customers, products and purchases (idempotent)."""
    from agent.ingest.online_retail import read_online_retail

    with open_tactful(settings_for(home)) as tactful:
        latest = latest_allowed(tactful.clock.now())
        with err.status(f"Reading {safe(file.name)}…"):
            data = read_online_retail(file, strict=strict, not_after=latest)
        load_online_retail(tactful, data)


def load_online_retail(tactful: Tactful, data: OnlineRetailData) -> None:
    """Store what an Online Retail file became, with progress bars, then say what it was."""
    with progress() as bars:
        tactful.add_shoppers(data.shoppers)
        task = bars.add_task("Catalog", total=len(data.items))
        items = tactful.ingest_items(data.items, on_progress=lambda n: bars.advance(task, n))
        task = bars.add_task("Events", total=len(data.events))
        events = tactful.record_events(
            data.events, clarify=False, on_progress=lambda n: bars.advance(task, n)
        )
    with err.status("Building the shop-wide index…"):
        tactful.refresh()
    err.print(safe(data.report.summary(), multiline=True))
    err.print(
        f"Stored: {items.added:,} new items ({items.unchanged:,} unchanged, "
        f"{items.updated:,} updated); {events.added:,} new events "
        f"({events.duplicates:,} already there)."
    )


def _good_rows(
    rows: Iterator[Any],
    bad: list[str],
    keep: Callable[[int, Any], bool] | None = None,
) -> Iterator[Any]:
    for parsed in rows:
        if parsed.error is not None:
            bad.append(parsed.error)
        elif keep is None or keep(parsed.line, parsed.value):
            yield parsed.value


def _print_bad(bad: list[str]) -> None:
    for message in bad[:_BAD_ROWS_SHOWN]:
        err.print(f"  [yellow]skipped[/] {safe(message)}")
    if len(bad) > _BAD_ROWS_SHOWN:
        err.print(f"  … and {len(bad) - _BAD_ROWS_SHOWN:,} more")
