"""The ``tactful`` command line: load data, ask for suggestions, chat, and control profiles."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agent.domain import BehaviourEvent, EventKind, Reply, Suggestion
from agent.errors import IngestError, InvalidInput, TactfulError
from agent.facade import Tactful, parse_mode
from agent.settings import Settings

if TYPE_CHECKING:
    from agent.ingest.online_retail import OnlineRetailData

out = Console()
err = Console(stderr=True, soft_wrap=True)  # one message, one line, whatever the width
T = TypeVar("T")


def _say_error(exc: TactfulError) -> None:
    err.print(f"[red]{exc.title}:[/] {escape(exc.message)}")


class _Commands(typer.core.TyperGroup):
    """Every command: a user mistake becomes one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TactfulError as exc:
            _say_error(exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    help="tactful: a conversational preference agent that personalizes with tact.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Load a catalog or behaviour events from CSV or JSONL.")
import_app = typer.Typer(help="Import a public dataset in its own format.")
events_app = typer.Typer(help="Record single behaviour events.")
app.add_typer(ingest_app, name="ingest")
app.add_typer(import_app, name="import")
app.add_typer(events_app, name="events")

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data folder (default: $TACTFUL_HOME or ~/.tactful)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (see README).")]


def _settings(home: Path | None) -> Settings:
    try:
        return Settings(home=home) if home is not None else Settings()
    except ValidationError as exc:
        from agent.ingest.readers import explain_validation_error

        raise InvalidInput(
            f"Bad setting ({explain_validation_error(exc)}); check the TACTFUL_* variables."
        ) from None


def _open(home: Path | None) -> Tactful:
    with err.status("Loading tactful…"):
        return Tactful.open(_settings(home))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


# -- ingestion --------------------------------------------------------------------------
@ingest_app.command("catalog")
def ingest_catalog(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL with item_id, title, …")],
    strict: Annotated[bool, typer.Option(help="Stop at the first bad row.")] = False,
    home: HomeOption = None,
) -> None:
    """Embed and store catalog items (unchanged items are skipped)."""
    from agent.ingest.readers import read_catalog

    rows = read_catalog(file, strict=strict)
    with _open(home) as tactful, _progress() as progress:
        task = progress.add_task("Catalog", total=None)
        bad: list[str] = []
        report = tactful.ingest_items(
            _good_rows(rows, bad),
            on_progress=lambda n: progress.advance(task, n),
        )
    err.print(
        f"Items: {report.added:,} added, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {len(bad):,} bad rows skipped."
    )
    _print_bad(bad)


@ingest_app.command("events")
def ingest_events(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL with shopper_id, item_id, kind, at")],
    strict: Annotated[bool, typer.Option(help="Stop at the first bad row.")] = False,
    home: HomeOption = None,
) -> None:
    """Store behaviour events (re-ingesting the same file adds nothing)."""
    from agent.ingest.readers import read_events

    rows = read_events(file, strict=strict)
    with _open(home) as tactful, _progress() as progress:
        task = progress.add_task("Events", total=None)
        bad: list[str] = []
        catalog = tactful.index.catalog

        def known(parsed_line: int, event: BehaviourEvent) -> bool:
            if event.item_id in catalog:
                return True
            message = f"line {parsed_line}: unknown item {event.item_id!r}"
            if strict:
                raise IngestError(
                    f"unknown item {event.item_id!r}", path=str(file), line=parsed_line
                )
            bad.append(message)
            return False

        report = tactful.record_events(
            _good_rows(rows, bad, keep=known),
            clarify=False,
            on_progress=lambda n: progress.advance(task, n),
        )
        tactful.refresh()
    err.print(
        f"Events: {report.added:,} added, {report.duplicates:,} already there, "
        f"{len(bad):,} bad rows skipped."
    )
    _print_bad(bad)


@import_app.command("online-retail")
def import_online_retail(
    file: Annotated[Path, typer.Argument(help="The UCI Online Retail CSV (maybe .gz).")],
    strict: Annotated[bool, typer.Option(help="Stop at the first bad row.")] = False,
    home: HomeOption = None,
) -> None:
    """Import UCI Online Retail: customers, products and purchases (idempotent)."""
    from agent.ingest.online_retail import read_online_retail

    with err.status(f"Reading {file.name}…"):
        data = read_online_retail(file, strict=strict)
    with _open(home) as tactful:
        err.print(load_online_retail(tactful, data))


def load_online_retail(tactful: Tactful, data: OnlineRetailData) -> str:
    """Store what an Online Retail file became, with progress bars; returns a summary."""
    with _progress() as progress:
        tactful.add_shoppers(data.shoppers)
        task = progress.add_task("Catalog", total=len(data.items))
        items = tactful.ingest_items(data.items, on_progress=lambda n: progress.advance(task, n))
        task = progress.add_task("Events", total=len(data.events))
        events = tactful.record_events(
            data.events, clarify=False, on_progress=lambda n: progress.advance(task, n)
        )
    with err.status("Building the shop-wide index…"):
        tactful.refresh()
    return (
        f"{data.report.summary()}\n"
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
    for message in bad[:10]:
        err.print(f"  [yellow]skipped[/] {escape(message)}")
    if len(bad) > 10:
        err.print(f"  … and {len(bad) - 10:,} more")


# -- asking -----------------------------------------------------------------------------
@app.command()
def recommend(
    shoppers: Annotated[list[str] | None, typer.Argument(help="Shopper ids.")] = None,
    shoppers_file: Annotated[
        Path | None, typer.Option("--shoppers", help="A file with one shopper id per line.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="How many suggestions.")] = 10,
    mode: Annotated[str | None, typer.Option(help="browsing|research|purchase|gift")] = None,
    query: Annotated[str | None, typer.Option(help="What the shopper asked for.")] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Suggestions with reasons; several shoppers give one JSON line each."""
    ids = list(shoppers or [])
    if shoppers_file is not None:
        ids += _read_ids(shoppers_file)
    if not ids:
        raise InvalidInput("Name at least one shopper, or pass --shoppers FILE.")
    parsed_mode = parse_mode(mode)
    with _open(home) as tactful:
        for shopper_id in ids:
            suggestions = tactful.recommend(shopper_id, k=k, mode=parsed_mode, query=query)
            if as_json or len(ids) > 1:
                print(json.dumps(suggestions_json(shopper_id, parsed_mode, query, suggestions)))
            else:
                _print_suggestions(suggestions)


def suggestions_json(
    shopper_id: str, mode: Any, query: str | None, suggestions: list[Suggestion]
) -> dict[str, Any]:
    """The stable JSON shape documented in the README."""
    return {
        "shopper_id": shopper_id,
        "mode": mode.value if mode else "browsing",
        "query": query,
        "suggestions": [_suggestion_json(s) for s in suggestions],
    }


def _suggestion_json(s: Suggestion) -> dict[str, Any]:
    return {
        "item_id": s.item.item_id,
        "title": s.item.title,
        "category": s.item.category,
        "price": s.item.price,
        "score": s.score,
        "reason": s.reason,
        "factors": [
            {
                "name": f.name.value,
                "contribution": f.contribution,
                "evidence": [e.model_dump(mode="json") for e in f.evidence],
            }
            for f in s.factors
        ],
    }


def _read_ids(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"Cannot read {path}: it is not UTF-8 text.") from None
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _print_suggestions(suggestions: list[Suggestion]) -> None:
    for index, s in enumerate(suggestions, start=1):
        price = f"£{s.item.price:.2f}" if s.item.price is not None else ""
        title, item_id = escape(s.item.title), escape(s.item.item_id)
        out.print(f"[bold]{index:>2}. {title}[/] [dim]{item_id} {price}[/]")
        out.print(f"    [italic]{escape(s.reason)}[/]")


@app.command()
def chat(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    message: Annotated[str | None, typer.Option("-m", "--message", help="One message.")] = None,
    mode: Annotated[str | None, typer.Option(help="browsing|research|purchase|gift")] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Chat as a shopper: one message with -m, or interactively."""
    with _open(home) as tactful:
        if message is not None:
            reply = tactful.chat(shopper, message, mode=mode)
            if as_json:
                print(reply.model_dump_json())
            else:
                print_reply(reply)
            return
        chat_loop(tactful, shopper, mode=mode)


def chat_loop(tactful: Tactful, shopper: str, *, mode: str | None = None) -> None:
    """Read messages from the terminal until an empty line, /quit or end of input."""
    out.print("[dim]Type a message; /quit or an empty line to leave.[/]")
    conversation_id: str | None = None
    while True:
        try:
            line = out.input("[bold cyan]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        if not line.strip() or line.strip() in {"/quit", "/exit"}:
            return
        try:
            reply = tactful.chat(shopper, line, conversation_id=conversation_id, mode=mode)
        except TactfulError as exc:
            _say_error(exc)
            continue
        mode = None  # the conversation remembers a chosen mode
        conversation_id = reply.conversation_id
        print_reply(reply)


def print_reply(reply: Reply) -> None:
    """The reply's words, its suggestions with reasons, then any question last."""
    text = reply.text
    if reply.question is not None:
        text = text.replace(reply.question.text, "").strip()
    out.print(f"[bold green]tactful>[/] {escape(text)}")
    if reply.suggestions:
        out.print(f"[dim]({reply.mode.value} mode: {escape(reply.mode_reason)})[/]")
        _print_suggestions(reply.suggestions)
    if reply.question is not None:
        out.print(f"[bold green]tactful>[/] {escape(reply.question.text)}")


# -- events and profiles ----------------------------------------------------------------
@events_app.command("add")
def events_add(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    item: Annotated[str, typer.Argument(help="Item id.")],
    kind: Annotated[str, typer.Option(help="view|cart|purchase|rating|like|dismiss|return")] = (
        "purchase"
    ),
    at: Annotated[str | None, typer.Option(help="ISO time (default: now).")] = None,
    quantity: Annotated[float, typer.Option(help="How many.")] = 1.0,
    rating: Annotated[float | None, typer.Option(help="0–5, for --kind rating.")] = None,
    home: HomeOption = None,
) -> None:
    """Record one event; an out-of-profile one may be held behind a question."""
    import uuid

    from agent.ingest.readers import explain_validation_error

    try:
        event_kind = EventKind(kind)
    except ValueError:
        valid = ", ".join(k.value for k in EventKind)
        raise InvalidInput(f"Unknown kind {kind!r}; choose one of: {valid}.") from None
    if event_kind is EventKind.RATING and rating is None:
        raise InvalidInput("A rating event needs --rating, from 0 to 5.")
    when = _parse_time(at) if at else None
    with _open(home) as tactful:
        try:
            event = BehaviourEvent(
                event_id=f"cli-{uuid.uuid4().hex[:12]}",
                shopper_id=shopper,
                item_id=item,
                kind=event_kind,
                at=when or tactful.clock.now(),
                quantity=quantity,
                rating=rating,
                context="cli",
            )
        except ValidationError as exc:
            raise InvalidInput(explain_validation_error(exc) + ".") from None
        report = tactful.record_events([event])
    err.print(f"Recorded {event.kind.value} of {escape(item)} by {escape(shopper)}.")
    for question in report.questions:
        err.print(f"Held for a question: {escape(question.text)}")


def _parse_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not an ISO time like 2011-12-01T10:30.") from None


@app.command()
def profile(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """What tactful thinks about a shopper, with where each belief came from."""
    with _open(home) as tactful:
        result = tactful.profile(shopper)
    if as_json:
        print(result.model_dump_json())
        return
    s = result.shopper
    out.print(
        f"[bold]{escape(s.shopper_id)}[/] {escape(s.country or '')} · "
        f"{result.event_count} events · personalization {'on' if s.personalized else 'off'}"
    )
    out.print("[bold]Facts[/]" if result.facts else "[dim]No facts yet.[/]")
    for fact in result.facts:
        retracted = fact.status.value == "retracted"
        out.print(  # one line per fact, so `| grep` finds its status too
            f"  [{'strike dim' if retracted else 'default'}]{fact.fact_id}  "
            f"{escape(fact.text)}  ({fact.source.value}, confidence {fact.confidence:.2f}, "
            f"{fact.created_at:%Y-%m-%d}{', retracted' if retracted else ''})[/]",
            soft_wrap=True,
        )
    if result.taste:
        out.print("[bold]Taste, strongest first[/]")
        for evidence in result.taste:
            out.print(f"  {escape(evidence.label)}  [dim]{evidence.weight:.2f}[/]")
    for question in result.held:
        out.print(f"[yellow]Held:[/] {escape(question.item_title)} — {escape(question.text)}")


@app.command()
def forget(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    fact_id: Annotated[str, typer.Argument(help="Fact id (see `tactful profile`).")],
    home: HomeOption = None,
) -> None:
    """Retract a fact; it stops counting at once and stays in the audit trail."""
    with _open(home) as tactful:
        fact = tactful.forget(shopper, fact_id)
    err.print(f"Forgotten: {escape(fact.text)}")


@app.command()
def export(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    home: HomeOption = None,
) -> None:
    """Print everything held about a shopper as JSON."""
    with _open(home) as tactful:
        print(json.dumps(tactful.export(shopper), indent=2))


@app.command()
def erase(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    home: HomeOption = None,
) -> None:
    """Delete a shopper from every store (a pseudonymous audit line remains)."""
    if not yes and not typer.confirm(f"Erase everything about {shopper}?"):
        raise typer.Exit(1)
    with _open(home) as tactful:
        counts = tactful.erase(shopper)
    err.print("Erased: " + ", ".join(f"{n} {what}" for what, n in counts.items() if n))


@app.command("eval")
def evaluate(
    what: Annotated[str, typer.Argument(help="ranking | tact | speed | all")] = "all",
    quick: Annotated[bool, typer.Option(help="A small slice: checks the harness works.")] = False,
) -> None:
    """Run the evaluation harness and benchmarks; results go to bench/RESULTS.md."""
    try:
        from bench.run import run_all
    except ImportError as exc:  # an install without the source checkout's bench/
        raise TactfulError(f"The benchmarks are not installed here ({exc}).") from None
    run_all(what, quick=quick)


@app.command()
def demo(home: HomeOption = None) -> None:
    """Load the bundled Online Retail subset and chat as one of its real customers."""
    from agent.demo import run_demo

    run_demo(_settings(home), out=out, err=err)


def main() -> None:
    """Entry point: user mistakes print a clear message and a non-zero exit, no traceback."""
    app()


if __name__ == "__main__":
    main()
