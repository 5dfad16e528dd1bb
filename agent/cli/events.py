"""``tactful events add``: record one thing a shopper did, once."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from agent.cli.home import HomeOption, open_tactful, settings_for
from agent.cli.render import err, safe
from agent.clock import latest_allowed, parse_time
from agent.domain import BehaviourEvent, EventKind
from agent.errors import InvalidInput
from agent.ingest.readers import explain_validation_error

events_app = typer.Typer(help="Record single behaviour events.")


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
    event_id: Annotated[
        str | None,
        typer.Option("--id", help="The event's id (default: made from shopper, item, kind, time)."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Record one event; an out-of-profile one may be held behind a question.

    The same event added twice (same id) is stored once.
    """
    try:
        event_kind = EventKind(kind)
    except ValueError:
        valid = ", ".join(k.value for k in EventKind)
        raise InvalidInput(f"Unknown kind {kind!r}; choose one of: {valid}.") from None
    if event_kind is EventKind.RATING and rating is None:
        raise InvalidInput("A rating event needs --rating, from 0 to 5.")
    when = _parse_at(at) if at else None
    with open_tactful(settings_for(home)) as tactful:
        now = tactful.clock.now()
        when = when or now
        if when > latest_allowed(now):
            raise InvalidInput(
                f"--at {when:%Y-%m-%d %H:%M} is more than a day after now "
                f"({now:%Y-%m-%d %H:%M}); events are recorded once they happen."
            )
        try:
            event = BehaviourEvent(
                event_id=event_id or _derived_id(shopper, item, event_kind, when),
                shopper_id=shopper,
                item_id=item,
                kind=event_kind,
                at=when,
                quantity=quantity,
                rating=rating,
                context="cli",
            )
        except ValidationError as exc:
            raise InvalidInput(explain_validation_error(exc) + ".") from None
        report = tactful.record_events([event])
    if report.added:
        err.print(
            f"Recorded {event.kind.value} of {safe(item)} by {safe(shopper)} "
            f"as event {safe(event.event_id)}."
        )
    else:
        err.print(f"Already recorded as event {safe(event.event_id)}; nothing added.")
    for question in report.questions:
        err.print(f"Held for a question: {safe(question.text)}")


def _derived_id(shopper: str, item: str, kind: EventKind, at: datetime) -> str:
    # Made from what the event says, so running the same command twice records it once.
    what = "|".join((shopper, item, kind.value, at.isoformat()))
    return "cli-" + hashlib.sha1(what.encode("utf-8", "replace")).hexdigest()[:16]


def _parse_at(value: str) -> datetime:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise InvalidInput(f"--at {value!r} {exc}.") from None
