"""``tactful serve``: the HTTP API (see ``agent.api``) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.home import HomeOption, open_tactful, settings_for
from agent.cli.render import err
from agent.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    home: HomeOption = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Also serve the demo shop page at / (load the data with `tactful demo`). "
            "Never on a real shop: the page gets tokens for the demo's customers without a key.",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) and the chat widget at /widget.js;
    create keys with `tactful keys create`."""
    # Imported here: the rest of the command line needs neither FastAPI nor uvicorn.
    import uvicorn

    from agent.api.app import create_app

    settings = settings_for(home)
    if demo:
        settings = _demo_settings(settings)
    with open_tactful(settings) as tactful:
        if demo:
            err.print(f"Demo shop on http://{host}:{port}/ ; Ctrl+C stops it.")
        err.print(f"tactful API on http://{host}:{port} (docs at /docs); Ctrl+C stops it.")
        uvicorn.run(create_app(settings, tactful), host=host, port=port, log_level="warning")


def _demo_settings(settings: Settings) -> Settings:
    """Demo mode on, and the clock on the demo data's 'today' as `tactful demo` has it
    (unless ``TACTFUL_NOW`` pins it already)."""
    from agent.demo_data import demo_now

    api = settings.api.model_copy(update={"demo": True})
    now = settings.now or demo_now()
    return settings.model_copy(update={"api": api, "now": now})
