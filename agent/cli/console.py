"""``tactful console``: the support console, a Textual app in the ``tui`` package.

It talks to a running ``tactful serve`` over HTTP and needs only its URL and a staff
token, so staff can run it from their own machines. Textual is imported here, when the
command runs, and is an optional install (``pip install 'tactful[console]'``): the rest
of the command line and the server never need it.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agent.errors import InvalidInput

TOKEN_VARIABLE = "TACTFUL_STAFF_TOKEN"


def console(
    server: Annotated[
        str, typer.Option(help="Where `tactful serve` answers.")
    ] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None,
        typer.Option(
            help=f"A staff key (`tactful keys create --kind staff`); or set {TOKEN_VARIABLE}.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Work the escalation queue: claim hand-overs, reply, fix facts, hand back, resolve."""
    token = token or os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise InvalidInput(
            f"Give a staff token with --token or {TOKEN_VARIABLE} "
            "(make one with `tactful keys create --kind staff --name <you>`)."
        )
    if not server.startswith(("http://", "https://")):
        raise InvalidInput(f"--server must be an http:// or https:// URL, not {server!r}.")
    try:
        from tui.cli import run
    except ImportError as exc:
        raise InvalidInput(
            f"The console is not installed here ({exc.name} is missing): "
            "pip install 'tactful[console]'."
        ) from None
    run(server, token)
