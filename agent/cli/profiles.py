"""``tactful profile``, ``forget``, ``export`` and ``erase``: what is held about a shopper."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.home import HomeOption, JsonOption, open_tactful, settings_for
from agent.cli.render import clean, err, print_json, safe, show
from agent.domain import FactStatus
from agent.profile_view import what_i_know


def profile(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """What tactful thinks about a shopper, with where each belief came from."""
    with open_tactful(settings_for(home)) as tactful:
        result = tactful.profile(shopper)
        now = tactful.clock.now()
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    s = result.shopper
    show(
        f"[bold]{safe(s.shopper_id)}[/] {safe(s.country or '')} · "
        f"{result.event_count} events · personalization {'on' if s.personalized else 'off'}"
    )
    # The same answer the shopper gets in chat, with fact ids for `tactful forget`.
    for line in what_i_know(result, now, with_ids=True):
        show(safe(line))
    for fact in result.facts:
        if fact.status is FactStatus.RETRACTED:  # one line each, so `| grep` finds it
            show(f"[dim]{safe(f'{fact.text} [{fact.fact_id}] retracted')}[/]")


def forget(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    fact_id: Annotated[str, typer.Argument(help="Fact id (see `tactful profile`).")],
    home: HomeOption = None,
) -> None:
    """Retract a fact; it stops counting at once and stays in the audit trail."""
    with open_tactful(settings_for(home)) as tactful:
        fact = tactful.forget(shopper, fact_id)
    err.print(f"Forgotten: {safe(fact.text)}")


def export(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    home: HomeOption = None,
) -> None:
    """Print everything held about a shopper as JSON."""
    with open_tactful(settings_for(home)) as tactful:
        print_json(tactful.export(shopper), indent=2)


def erase(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    home: HomeOption = None,
) -> None:
    """Delete a shopper from every store (a pseudonymous audit line remains)."""
    if not yes and not typer.confirm(f"Erase everything about {clean(shopper)}?"):
        raise typer.Exit(1)
    with open_tactful(settings_for(home)) as tactful:
        counts = tactful.erase(shopper)
    err.print("Erased: " + safe(counts.summary()))
