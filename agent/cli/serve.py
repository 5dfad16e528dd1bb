"""``tactful serve``: the HTTP API (see ``agent.api``) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.home import HomeOption, open_tactful, settings_for
from agent.cli.render import err


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    home: HomeOption = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs); create keys with `tactful keys create`."""
    # Imported here: the rest of the command line needs neither FastAPI nor uvicorn.
    import uvicorn

    from agent.api.app import create_app

    settings = settings_for(home)
    with open_tactful(settings) as tactful:
        err.print(f"tactful API on http://{host}:{port} (docs at /docs); Ctrl+C stops it.")
        uvicorn.run(create_app(settings, tactful), host=host, port=port, log_level="warning")
