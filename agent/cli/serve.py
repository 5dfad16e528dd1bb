"""``tactful serve``: the HTTP API (see ``agent.api``) with uvicorn.

One worker serves from this process. Several are processes of their own
(:mod:`agent.cli.workers`), each building the app with :func:`agent.api.app.create_app`
from the ``TACTFUL_*`` environment and opening its own :class:`Tactful` on the same
stores; what they share is the stores, so the settings this command decides (``--home``,
demo mode and its clock) are handed to them through that environment. Their vectors are
one Chroma server's (``TACTFUL_CHROMA_URL``): embedded Chroma keeps its own view of the
folder in each process, so a fact one worker files is not found by another.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from agent.cli.home import HomeOption, check_stores, open_tactful, settings_for
from agent.cli.logs import server_logging
from agent.cli.render import err
from agent.cli.workers import DRAIN_SECONDS, metrics_folder, run_workers
from agent.clock import SystemClock
from agent.errors import InvalidInput
from agent.settings import Settings

#: One: each worker holds its own model, catalog and shop-wide index.
DEFAULT_WORKERS = 1
MAX_WORKERS = 64


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes, each with its own tactful on the same data folder "
            "(about 0.8 GB each at a 4,000-item catalog) and one Chroma server.",
            min=1,
            max=MAX_WORKERS,
        ),
    ] = DEFAULT_WORKERS,
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
    settings = _clock_runs(settings)
    if demo:
        err.print(f"Demo shop on http://{host}:{port}/ ; Ctrl+C stops it.")
    if workers == 1:
        with (
            server_logging(settings.log_format),
            metrics_folder(1),
            open_tactful(settings) as tactful,
        ):
            err.print(f"tactful API on http://{host}:{port} (docs at /docs); Ctrl+C stops it.")
            uvicorn.run(
                create_app(settings, tactful, warm=True),
                host=host,
                port=port,
                log_level="warning",
                log_config=None,  # its records go to the server's log, in its format
                timeout_graceful_shutdown=DRAIN_SECONDS,
            )
        return
    _check_shared_stores(settings)
    # A store that cannot open fails here, once and clearly, not in every worker.
    check_stores(settings)
    os.environ.update(_worker_environment(settings, workers))
    err.print(
        f"tactful API on http://{host}:{port} (docs at /docs), {workers} workers; Ctrl+C stops it."
    )
    with server_logging(settings.log_format), metrics_folder(workers):
        run_workers(host, port, workers, log_format=settings.log_format)


def _check_shared_stores(settings: Settings) -> None:
    """Refuse stores several processes cannot share, saying how to point at servers."""
    if not settings.chroma_url:
        raise InvalidInput(
            "Several workers need a Chroma server, not embedded Chroma: run "
            f"`chroma run --path {settings.chroma_path} --port 8001` and set "
            "TACTFUL_CHROMA_URL=http://127.0.0.1:8001 (and TACTFUL_DATABASE_URL to a "
            "PostgreSQL when the workers run on several machines)."
        )
    if _in_memory(settings.sql_url):
        raise InvalidInput("Several workers need a database they can share, not an in-memory one.")


def _in_memory(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def _worker_environment(settings: Settings, workers: int) -> dict[str, str]:
    """What the workers need to build the same settings as this command did."""
    environment = {"TACTFUL_HOME": str(settings.home), "TACTFUL_API__WORKERS": str(workers)}
    if settings.api.demo:
        environment["TACTFUL_API__DEMO"] = "true"
    if settings.now is not None:
        environment["TACTFUL_NOW"] = settings.now.isoformat()
    if settings.now_since is not None:
        environment["TACTFUL_NOW_SINCE"] = settings.now_since.isoformat()
    return environment


def _clock_runs(settings: Settings) -> Settings:
    """A pinned clock runs on from the moment the server starts: a served replay of old
    data still sees time pass (how long a hand-over has waited)."""
    if settings.now is None or settings.now_since is not None:
        return settings
    return settings.model_copy(update={"now_since": SystemClock().now()})


def _demo_settings(settings: Settings) -> Settings:
    """Demo mode on, and the clock on the demo data's 'today' as `tactful demo` has it
    (unless ``TACTFUL_NOW`` pins it already)."""
    from agent.demo_data import demo_now

    api = settings.api.model_copy(update={"demo": True})
    now = settings.now or demo_now()
    return settings.model_copy(update={"api": api, "now": now})
