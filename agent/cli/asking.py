"""``tactful recommend`` and ``tactful chat``: suggestions with reasons, and conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.home import HomeOption, JsonOption, open_tactful, settings_for
from agent.cli.render import out, print_json, safe, say_error, show
from agent.domain import Reply, ShopperMode, Suggestion
from agent.errors import InvalidInput, TactfulError
from agent.facade import Tactful, parse_mode

ModeOption = Annotated[str | None, typer.Option(help="browsing|research|purchase|gift")]


def recommend(
    shoppers: Annotated[list[str] | None, typer.Argument(help="Shopper ids.")] = None,
    shoppers_file: Annotated[
        Path | None, typer.Option("--shoppers", help="A file with one shopper id per line.")
    ] = None,
    k: Annotated[int, typer.Option("--k", help="How many suggestions.")] = 10,
    mode: ModeOption = None,
    query: Annotated[str | None, typer.Option(help="What the shopper asked for.")] = None,
    new_only: Annotated[
        bool,
        typer.Option(
            "--new-only", help="Discovery only: leave out everything the shopper bought before."
        ),
    ] = False,
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
    with open_tactful(settings_for(home)) as tactful:
        for shopper_id in ids:
            suggestions = tactful.recommend(
                shopper_id, k=k, mode=parsed_mode, query=query, new_only=new_only
            )
            if as_json or len(ids) > 1:
                print_json(suggestions_json(shopper_id, parsed_mode, query, suggestions))
            else:
                _print_suggestions(suggestions)


def suggestions_json(
    shopper_id: str, mode: ShopperMode | None, query: str | None, suggestions: list[Suggestion]
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
        show(f"[bold]{index:>2}. {safe(s.item.title)}[/] [dim]{safe(s.item.item_id)} {price}[/]")
        show(f"    [italic]{safe(s.reason)}[/]")


def chat(
    shopper: Annotated[str, typer.Argument(help="Shopper id.")],
    message: Annotated[str | None, typer.Option("-m", "--message", help="One message.")] = None,
    mode: ModeOption = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Chat as a shopper: one message with -m, or interactively."""
    with open_tactful(settings_for(home)) as tactful:
        if message is None:
            chat_loop(tactful, shopper, mode=mode)
            return
        reply = tactful.chat(shopper, message, mode=mode)
        if as_json:
            print_json(reply.model_dump(mode="json"))
        else:
            print_reply(reply)


def chat_loop(tactful: Tactful, shopper: str, *, mode: str | None = None) -> None:
    """Read messages from the terminal until an empty line, /quit or end of input."""
    show("[dim]Type a message; /quit or an empty line to leave.[/]")
    conversation_id: str | None = None
    while True:
        try:
            line = out.input("[bold cyan]you>[/] ")
            line.encode("utf-8")  # a stray byte read in the C locale, as a lone surrogate
        except (EOFError, KeyboardInterrupt):
            out.print()
            return
        except UnicodeError:
            say_error(InvalidInput("That line is not UTF-8 text; nothing was sent."))
            continue
        if not line.strip() or line.strip() in {"/quit", "/exit"}:
            return
        try:
            reply = tactful.chat(shopper, line, conversation_id=conversation_id, mode=mode)
        except TactfulError as exc:
            say_error(exc)
            continue
        mode = None  # the conversation remembers a chosen mode
        conversation_id = reply.conversation_id
        print_reply(reply)


def print_reply(reply: Reply) -> None:
    """The reply's words, its suggestions with reasons, then any question last."""
    text = reply.text
    if reply.question is not None:
        text = text.replace(reply.question.text, "").strip()
    show(f"[bold green]tactful>[/] {safe(text, multiline=True)}")
    if reply.suggestions:
        show(f"[dim]({reply.mode.value} mode: {safe(reply.mode_reason)})[/]")
        _print_suggestions(reply.suggestions)
    if reply.question is not None:
        show(f"[bold green]tactful>[/] {safe(reply.question.text, multiline=True)}")
