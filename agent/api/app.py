"""``create_app(settings, tactful=None)``: the HTTP API as a FastAPI app.

Given a :class:`Tactful`, the app uses it (and leaves closing it to the caller); without
one it opens the stores the settings name when it starts and closes them when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agent.api.body_limit import BodySizeLimit
from agent.api.errors import install_error_handlers
from agent.api.observability import (
    REQUEST_ID_HEADER,
    Observability,
    RequestObservability,
    install_request_context,
)
from agent.api.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from agent.api.routes import (
    catalog,
    chat,
    completions,
    demo,
    escalations,
    events,
    experiments,
    health,
    live,
    lookup,
    metrics,
    recommendations,
    shoppers,
    tokens,
    widget,
)
from agent.api.state import AgentGate, ApiState
from agent.api.tokens import TokenSigner, signing_secret
from agent.facade import Tactful
from agent.settings import Settings
from agent.stores.keys import KeyStore
from tools.threads import keep_one_blas_thread

DESCRIPTION = """\
tactful's HTTP API. Authenticate with `Authorization: Bearer <secret>`:

* a **shop key** (`tactful keys create --kind shop`) from the shop's backend: acts for any
  shopper it names, loads the catalog, mints shopper tokens (`POST /v1/tokens`);
* a **staff key** (`--kind staff`): reads profiles and audit trails, corrects facts (with a
  reason), looks shoppers up, and works the escalation queue (live at
  `/v1/escalations/watch`): claims, replies in the shopper's conversation, hands back, resolves;
* a **shopper token** from the browser: acts only for its own shopper (`me` in paths).

Every error is `{"error": {"code": "...", "message": "..."}}`.
"""


def create_app(
    settings: Settings | None = None, tactful: Tactful | None = None, *, warm: bool | None = None
) -> FastAPI:
    """The app on ``settings`` (by default those of ``tactful``, else ``TACTFUL_*``).

    ``warm``: load the shop-wide snapshot at startup, before the server listens, so that
    a server that answers is ready (by default when the app opens its own agent, as each
    worker of ``tactful serve --workers`` does); else the first ranking loads it.
    """
    settings = settings or (tactful.settings if tactful is not None else Settings())
    warm_up = tactful is None if warm is None else warm
    observability = Observability(settings)
    install_request_context()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        agent = tactful or Tactful.open(settings)
        # After opening: the libraries to limit are loaded by then.
        keep_one_blas_thread()
        keys = KeyStore(settings.sql_url)
        secret = signing_secret(settings)
        app.state.api = ApiState(
            settings=settings,
            agent=AgentGate(agent),
            keys=keys,
            signer=TokenSigner(secret),
            limiter=_limiter(settings, keys, secret),
        )
        if warm_up:
            with app.state.api.agent.use() as loading:
                loading.index.current(loading.clock.now())
        observability.watch(agent, keys)
        try:
            yield
        finally:
            app.state.api.limiter.close()
            keys.close()
            if tactful is None:
                agent.close()

    app = FastAPI(
        title="tactful",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.observability = observability
    install_error_handlers(app)
    for module in (
        health,
        metrics,
        chat,
        completions,
        recommendations,
        events,
        catalog,
        tokens,
        lookup,
        shoppers,
        live,
        escalations,
        experiments,
        widget,
    ):
        app.include_router(module.router)
    if settings.api.demo:
        app.include_router(demo.router)
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Tactful-Conversation",
                REQUEST_ID_HEADER,
            ],
            expose_headers=[REQUEST_ID_HEADER],
            max_age=600,
        )
    # Outside everything but the request ids, so an oversized body is refused before
    # anything reads it.
    app.add_middleware(BodySizeLimit, max_bytes=settings.api.max_body_bytes)
    # Outermost: every answer, a refusal of the middleware above included, gets an id
    # and is counted.
    app.add_middleware(RequestObservability, observability=observability)
    return app


def _limiter(settings: Settings, keys: KeyStore, secret: bytes) -> Limiter:
    """In memory for one worker; in the database, shared, when there are several."""
    rate, burst = settings.api.rate_per_second, settings.api.rate_burst
    if settings.api.workers == 1:
        return RateLimiter(rate, burst)
    workers = settings.api.workers
    if settings.database_url is None:
        return SharedRateLimiter.beside(settings.home, rate, burst, secret, workers=workers)
    return SharedRateLimiter(keys.engine, rate, burst, secret, workers=workers)
