"""``tactful curate …`` (staff lists) and ``tactful experiments …`` (AI-only against
human-curated against hybrid, with the readout)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from agent.cli.home import HomeOption, JsonOption, open_tactful, settings_for
from agent.cli.render import err, out, print_json, safe, show
from agent.errors import InvalidInput
from agent.experiments.curation import (
    CuratedItem,
    CuratedList,
    CuratedListDraft,
    ListTarget,
    slug,
)
from agent.experiments.model import Arm, Experiment, ExperimentDraft
from agent.experiments.report import ExperimentReport, Interval, Lift, plot
from agent.facade import parse_mode

curate_app = typer.Typer(help="Lists staff make: items in order, each with an optional note.")
experiments_app = typer.Typer(
    help="Compare tactful's ranking (ai), staff lists (curated) and both (hybrid)."
)

ItemsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--item",
        help="An item id, optionally with a note after '=': --item '22728=our bestseller "
        "for new parents'. Repeat it, in the order the list shows them.",
    ),
]
FileOption = Annotated[
    Path | None,
    typer.Option("--file", help="A CSV file with an item_id column and an optional note column."),
]


def _items(items: list[str] | None, file: Path | None) -> list[CuratedItem]:
    pairs = [tuple(part.strip() for part in i.split("=", 1)) for i in items or []]
    if file is not None:
        try:
            with file.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise InvalidInput(f"Cannot read {file}: {exc.strerror or exc}.") from None
        if rows and "item_id" not in rows[0]:
            raise InvalidInput(f"{file} needs an item_id column (and may have a note column).")
        pairs += [(row["item_id"].strip(), (row.get("note") or "").strip()) for row in rows]
    if not pairs:
        raise InvalidInput("Give the list's items with --item (repeatable) or --file.")
    try:
        return [
            CuratedItem(item_id=pair[0], note=pair[1] if len(pair) > 1 else None) for pair in pairs
        ]
    except ValidationError as exc:
        raise InvalidInput(_first_error(exc)) from None


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}." if where else f"{first['msg']}."


def _draft(
    name: str,
    items: list[CuratedItem],
    mode: str | None,
    category: str | None,
    recipient: str | None,
    occasion: str | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
) -> CuratedListDraft:
    try:
        return CuratedListDraft(
            name=name,
            items=items,
            target=ListTarget(
                mode=parse_mode(mode),
                category=category,
                recipient=recipient,
                occasion=occasion,
            ),
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except ValidationError as exc:
        raise InvalidInput(_first_error(exc)) from None


def _show_list(lst: CuratedList) -> None:
    target = lst.target
    aims = [
        f"{what} {value}"
        for what, value in (
            ("mode", target.mode.value if target.mode else None),
            ("category", target.category),
            ("for", target.recipient),
            ("occasion", target.occasion),
        )
        if value
    ]
    window = ""
    if lst.valid_from or lst.valid_until:
        start = f"{lst.valid_from:%Y-%m-%d}" if lst.valid_from else "now"
        end = f"{lst.valid_until:%Y-%m-%d}" if lst.valid_until else "no end"
        window = f", valid {start} to {end}"
    show(
        f"[bold]{safe(lst.list_id)}[/]  {safe(lst.name)} — {len(lst.items)} items, "
        f"{safe(', '.join(aims) or 'any request')}{window}"
    )


@curate_app.command("create")
def create_list(
    name: Annotated[str, typer.Argument(help="The list's name; its id is made from it.")],
    item: ItemsOption = None,
    file: FileOption = None,
    mode: Annotated[str | None, typer.Option(help="browsing, research, purchase or gift.")] = None,
    category: Annotated[str | None, typer.Option(help="Only for this category.")] = None,
    recipient: Annotated[
        str | None, typer.Option("--for", help="Only for this recipient: 'mum', 'baby'.")
    ] = None,
    occasion: Annotated[str | None, typer.Option(help="Only for this occasion.")] = None,
    valid_from: Annotated[datetime | None, typer.Option(help="Shown from (UTC).")] = None,
    valid_until: Annotated[datetime | None, typer.Option(help="Shown until (UTC).")] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the list of that name if it exists.")
    ] = False,
    staff: Annotated[str, typer.Option(help="Who made it, for the record.")] = "staff",
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Make a list, or with --replace change one: its items, where it applies, and when."""
    draft = _draft(
        name,
        _items(item, file),
        mode,
        category,
        recipient,
        occasion,
        valid_from,
        valid_until,
    )
    with open_tactful(settings_for(home)) as tactful:
        existing = slug(draft.name)
        taken = any(lst.list_id == existing for lst in tactful.experiments.lists())
        made = tactful.save_list(
            draft, actor=f"staff:{staff}", list_id=existing if replace and taken else None
        )
    if as_json:
        print_json(made.model_dump(mode="json"))
        return
    err.print(f"{'Replaced' if replace and taken else 'Made'} list {safe(made.list_id)}.")
    _show_list(made)


@curate_app.command("list")
def list_lists(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Every curated list, with where it applies."""
    with open_tactful(settings_for(home)) as tactful:
        lists = tactful.experiments.lists()
    if as_json:
        print_json([lst.model_dump(mode="json") for lst in lists])
        return
    if not lists:
        err.print("No curated lists yet: `tactful curate create NAME --item ID …` makes one.")
    for lst in lists:
        _show_list(lst)


@curate_app.command("show")
def show_list(
    list_id: Annotated[str, typer.Argument(help="The list's id (see `tactful curate list`).")],
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """One list's items in order, with their notes."""
    with open_tactful(settings_for(home)) as tactful:
        lst = tactful.experiments.get_list(list_id)
        titles = {
            i.item_id: tactful.item(i.item_id).title if i.item_id in tactful.index.catalog else "?"
            for i in lst.items
        }
    if as_json:
        print_json(lst.model_dump(mode="json"))
        return
    _show_list(lst)
    for n, i in enumerate(lst.items, start=1):
        note = f" — {safe(i.note)}" if i.note else ""
        show(f"{n:>3}. {safe(i.item_id)}  {safe(titles[i.item_id])}{note}")


@curate_app.command("delete")
def delete_list(
    list_id: Annotated[str, typer.Argument(help="The list's id.")],
    home: HomeOption = None,
) -> None:
    """Delete a list; the curated and hybrid arms stop showing it at once."""
    with open_tactful(settings_for(home)) as tactful:
        tactful.experiments.delete_list(list_id)
    err.print(f"Deleted list {safe(list_id)}.")


def _weights(text: str) -> dict[Arm, float]:
    """ "ai=1,curated=1,hybrid=2" → weights by arm."""
    weights: dict[Arm, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            arm = Arm(name.strip().lower())
            weights[arm] = float(value) if value.strip() else 1.0
        except ValueError:
            raise InvalidInput(
                f"Bad arm weight {part.strip()!r}: write ARM=WEIGHT with ARM one of "
                "ai, curated, hybrid, e.g. ai=1,curated=1,hybrid=1."
            ) from None
    return weights


def _show_experiment(e: Experiment) -> None:
    weights = ", ".join(f"{a.value}={w:g}" for a, w in e.weights.items())
    show(
        f"[bold]{safe(e.key)}[/]  {e.status.value}  arms {weights}, control {e.control.value}, "
        f"bucket version {e.bucket_version}"
        + (f"  — {safe(e.description)}" if e.description else "")
    )


@experiments_app.command("create")
def create_experiment(
    key: Annotated[str, typer.Argument(help="A short key, e.g. curation-2026-12.")],
    arms: Annotated[str, typer.Option(help="Arms and their weights.")] = "ai=1,curated=1,hybrid=1",
    control: Annotated[str, typer.Option(help="The arm the others are compared with.")] = "ai",
    description: Annotated[str, typer.Option(help="What it tests.")] = "",
    margin: Annotated[
        float, typer.Option(help="How much worse a guardrail may get (0.1 = 10 %).")
    ] = 0.1,
    start: Annotated[bool, typer.Option("--start", help="Start it at once.")] = False,
    home: HomeOption = None,
) -> None:
    """Make an experiment (and with --start, run it)."""
    try:
        draft = ExperimentDraft(
            key=key,
            description=description,
            weights=_weights(arms),
            control=Arm(control.strip().lower()),
            guardrail_margin=margin,
        )
    except ValidationError as exc:
        raise InvalidInput(_first_error(exc)) from None
    except ValueError:
        raise InvalidInput(f"Unknown control arm {control!r}; use ai, curated or hybrid.") from None
    with open_tactful(settings_for(home)) as tactful:
        made = tactful.experiments.create(draft)
        if start:
            made = tactful.experiments.start(made.key)
    err.print(f"Made experiment {safe(made.key)}{' and started it' if start else ''}.")
    _show_experiment(made)


def _change(key: str, home: HomeOption, what: str) -> None:
    with open_tactful(settings_for(home)) as tactful:
        changed = getattr(tactful.experiments, what)(key)
    _show_experiment(changed)


@experiments_app.command("start")
def start_experiment(key: str, home: HomeOption = None) -> None:
    """Run it: shoppers are assigned to arms as they are served."""
    _change(key, home, "start")


@experiments_app.command("stop")
def stop_experiment(key: str, home: HomeOption = None) -> None:
    """Stop it: everyone gets tactful's ranking again; the data stays for the report."""
    _change(key, home, "stop")


@experiments_app.command("restart")
def restart_experiment(key: str, home: HomeOption = None) -> None:
    """A new bucket version: everyone is assigned afresh and the readout starts over."""
    _change(key, home, "restart")


@experiments_app.command("weights")
def set_weights(
    key: str,
    weights: Annotated[str, typer.Argument(help="e.g. ai=2,curated=1,hybrid=1")],
    home: HomeOption = None,
) -> None:
    """New weights for shoppers not assigned yet; those assigned keep their arm."""
    with open_tactful(settings_for(home)) as tactful:
        changed = tactful.experiments.set_weights(key, _weights(weights))
    _show_experiment(changed)


@experiments_app.command("list")
def list_experiments(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Every experiment and how it stands."""
    with open_tactful(settings_for(home)) as tactful:
        found = tactful.experiments.experiments()
    if as_json:
        print_json([e.model_dump(mode="json") for e in found])
        return
    if not found:
        err.print("No experiments yet: `tactful experiments create KEY --start` makes one.")
    for e in found:
        _show_experiment(e)


@experiments_app.command("report")
def report(
    key: str,
    plot_file: Annotated[
        Path | None, typer.Option("--plot", help="Also draw the lifts to this PNG file.")
    ] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Each arm's engagement and satisfaction with 95 % intervals, the lifts over the
    control, the sample-ratio check, the guardrails and the verdict."""
    with open_tactful(settings_for(home)) as tactful:
        found = tactful.experiment_report(key)
    if plot_file is not None:
        plot(found, plot_file)
    if as_json:
        print_json(found.model_dump(mode="json"))
    else:
        show_report(found)
    if plot_file is not None:
        err.print(f"Plot written to {plot_file}.")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _value(interval: Interval) -> str:
    """ "0.0512 ± 0.0031 (1,204)": the value, the half-width of its 95 % interval, and
    how many shoppers."""
    if interval.value is None:
        return f"— ({interval.n:,})"
    if interval.low is None or interval.high is None:
        return f"{interval.value:.4g} ({interval.n:,})"
    half = (interval.high - interval.low) / 2
    return f"{interval.value:.4g} ± {half:.2g} ({interval.n:,})"


def _lift(lift: Lift) -> str:
    if lift.lift is None:
        return "—"
    text = f"{_pct(lift.lift)} ({_pct(lift.low)}…{_pct(lift.high)})"
    if lift.significant:
        text += " *"
    if lift.non_inferior is False:
        text += " !"
    return text


def show_report(found: ExperimentReport) -> None:
    """The readout as text: the verdict first, then each metric per arm, then the lifts."""
    show(
        f"[bold]Experiment {safe(found.key)}[/] ({found.status}, bucket version "
        f"{found.bucket_version}); control {found.control}"
    )
    shoppers = ", ".join(f"{a} {n:,}" for a, n in found.shoppers.items())
    srm = found.sample_ratio
    show(
        f"Exposed shoppers: {shoppers}; personalization off "
        f"{found.personalization_off_shoppers:,}. Sample-ratio check p = {srm.p_value:.3g} "
        f"({'passed' if srm.passed else 'FAILED'})."
    )
    show(f"[bold]Verdict:[/] {safe(found.verdict)}")
    values = Table(title="Per arm: value ± 95 % interval (shoppers)", title_justify="left")
    values.add_column("metric")
    for arm in found.arms:
        values.add_column(arm)
    lifts = Table(title=f"Lift over {found.control} (95 % interval)", title_justify="left")
    lifts.add_column("metric")
    treatments = [a for a in found.arms if a != found.control]
    for arm in treatments:
        lifts.add_column(arm)
    for m in found.metrics:
        name = m.label + (" (guardrail)" if m.guardrail else "")
        values.add_row(name, *(_value(m.arms[arm]) for arm in found.arms))
        lifts.add_row(name, *(_lift(m.lifts[arm]) for arm in treatments))
    out.print(values)
    out.print(lifts)
    show(
        f"* Holm-adjusted p < 0.05.  ! a guardrail not shown to stay within "
        f"{found.guardrail_margin:.0%}.  These intervals hold for one planned look; the "
        "always-valid ones, safe to check at any time, are in --json (sequential_low/high)."
    )
