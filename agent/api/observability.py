"""What an operator sees of a running API: request ids, log lines that carry them,
Prometheus metrics and the readiness probe's answer.

- **Request ids.** Every request gets one: the caller's ``X-Request-ID`` when it is a
  sane token (a load balancer's or the shop backend's own, so one id follows a request
  through every system), else a new one. It goes back in the response's ``X-Request-ID``
  and onto every log record written while the request is handled, with its method and
  path; a line per request adds its status and duration.
- **Metrics.** Requests and latencies by route template (never the raw path, which holds
  shopper ids) and status, errors by code, requests in flight, the LLM brain's fallbacks
  to the offline one and the exposures experiments logged; at scrape time, from the
  stores every worker shares, the escalation queue. With several workers
  (``tactful serve --workers``) each process writes its values to files in
  ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) and whichever
  worker answers ``/metrics`` adds up every worker's.
- **Readiness.** Not ready while the shop-wide snapshot loads or rebuilds (requests then
  wait behind it) or while a store does not answer.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.domain import EscalationStatus
from agent.settings import Settings

if TYPE_CHECKING:
    from agent.facade import Tactful
    from agent.stores.keys import KeyStore
    from agent.stores.records import RecordStore

log = logging.getLogger("tactful.api")
access_log = logging.getLogger("tactful.api.access")

REQUEST_ID_HEADER = "X-Request-ID"
#: A caller's id is kept when it is this kind of token: what tracing systems send (UUIDs,
#: ``Root=1-…`` trace ids), nothing that could split a log line or smuggle markup.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")
#: The environment variable that puts prometheus-client in multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Latency buckets in seconds: a probe's millisecond up to a chat turn waiting on an LLM.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The route label of a request no route matched (a 404): the raw path would let any
#: caller add series at will.
UNMATCHED = "unmatched"
#: The methods counted by name; any other a caller makes up is counted as "other".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Probes and scrapes come every few seconds; a line each would bury the requests.
_QUIET_ROUTES = frozenset({"/health", "/ready", "/metrics"})
#: The most of an error body read for its code.
_ERROR_BODY_BYTES = 4096
#: Longest wait for the Chroma server's heartbeat in a readiness check.
HEARTBEAT_SECONDS = 1.0


@dataclass(frozen=True)
class RequestContext:
    """The request a log record was written for."""

    request_id: str
    method: str
    path: str


_current: ContextVar[RequestContext | None] = ContextVar("tactful_request", default=None)


def current_request() -> RequestContext | None:
    """The request being handled in this context, if any."""
    return _current.get()


def request_id_from(value: str | None) -> str:
    """The caller's request id when it is a sane token, else a new one."""
    if value is not None and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def install_request_context() -> None:
    """Make every log record written while a request is handled carry its id, method and
    path, whichever logger and handler it goes to (idempotent).

    A record factory rather than a handler's filter: the fields are then there for any
    handler, a log collector's or a test's, not only the ones ``tactful serve`` sets up.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "tactful_request_context", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        context = _current.get()
        if context is not None:
            record.request_id = context.request_id
            record.method = context.method
            record.path = context.path
        return record

    factory.tactful_request_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def multiprocess_folder() -> str | None:
    """Where the workers' metric files are, when several processes serve (else None)."""
    return os.environ.get(MULTIPROC_ENV) or None


class _CatchingUp:
    """A counter kept level with a running total counted elsewhere (the LLM brain's
    fallbacks, the experiments' exposures): each look adds what was counted since the
    last one. The library then needs to know nothing of Prometheus."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self._seen: dict[tuple[str, ...], int] = {}
        self._lock = threading.Lock()

    def catch_up(self, totals: Iterable[tuple[tuple[str, ...], int]]) -> None:
        """Add what each label set's running total in ``totals`` grew by since the last
        look."""
        with self._lock:
            for labels, total in totals:
                new = total - self._seen.get(labels, 0)
                if new > 0:
                    self.counter.labels(*labels).inc(new)
                    self._seen[labels] = total


class ApiMetrics:
    """The metrics each process counts as it serves.

    They are registered in a registry of this instance's own, so each app (a test makes
    many in one process) counts from zero. In multiprocess mode prometheus-client keeps
    the values in this process's files instead, and a scrape reads every process's.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "tactful_http_requests",
            "HTTP requests answered, by method, route template and status",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "tactful_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, in seconds",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "tactful_http_errors",
            "Error answers (status 400 and up), by route template and error code",
            ("route", "code"),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "tactful_http_requests_in_flight",
            "Requests being handled now, in every live worker",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.fallbacks = _CatchingUp(
            Counter(
                "tactful_llm_fallbacks",
                "Turns the LLM brain left to the offline brain, by cause",
                ("cause",),
                registry=self.registry,
            )
        )
        self.exposures = _CatchingUp(
            Counter(
                "tactful_experiment_exposures",
                "Suggestion lists logged as exposures in experiments, by experiment and arm",
                ("experiment", "arm"),
                registry=self.registry,
            )
        )

    def observe(
        self, method: str, route: str, status: int, seconds: float, code: str | None
    ) -> None:
        """Count one answered request."""
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)
        if code is not None:
            self.errors.labels(route, code).inc()


class SharedState(Collector):
    """Read at scrape time from the stores every worker shares, so the answer is the
    server's whole state whichever worker gives it: the escalation queue."""

    def __init__(self, records: RecordStore) -> None:
        self._records = records

    def collect(self) -> Iterator[Metric]:
        try:
            queue = self._records.open_escalations()
        except sa.exc.SQLAlchemyError as exc:
            # A scrape still shows the requests that failed for it.
            log.warning("metrics: the database did not answer (%s)", type(exc).__name__)
            return
        waiting = GaugeMetricFamily(
            "tactful_escalations_open",
            "Hand-overs with the team, by status (waiting for a person, or with one)",
            labels=("status",),
        )
        for status in (EscalationStatus.WAITING, EscalationStatus.WITH_STAFF):
            waiting.add_metric([status.value], sum(e.status is status for e in queue))
        yield waiting


@dataclass(frozen=True)
class NotReady:
    """Why the server should get no traffic now."""

    code: str
    message: str


class Observability:
    """The app's metrics, and what readiness and the shared-state metrics read: the agent
    and the key store, handed over by the app's startup (:meth:`watch`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = ApiMetrics()
        self._tactful: Tactful | None = None
        self._keys: KeyStore | None = None

    def watch(self, tactful: Tactful, keys: KeyStore) -> None:
        """Start reading from the app's agent and key store."""
        self._tactful, self._keys = tactful, keys

    def after_request(self) -> None:
        """Bring the counts the library keeps up to date: LLM fallbacks, exposures."""
        if self._tactful is None:
            return
        self.metrics.exposures.catch_up(self._tactful.experiments.exposures_logged().items())
        stats = self._tactful.llm_stats if self.settings.llm_model else None
        fallbacks = stats.get("fallbacks") if stats else None
        if isinstance(fallbacks, Mapping):
            self.metrics.fallbacks.catch_up(((cause,), n) for cause, n in fallbacks.items())

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        # A fresh registry per scrape, as prometheus-client's multiprocess mode asks.
        registry = CollectorRegistry()
        folder = multiprocess_folder()
        if folder is None:
            registry.register(self.metrics.registry)
        else:
            MultiProcessCollector(registry, path=folder)  # every worker's files
        if self._tactful is not None:
            registry.register(SharedState(self._tactful.records))
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def not_ready(self) -> NotReady | None:
        """Why this worker should get no traffic now, or None when it is ready.

        Reads without waiting for the agent: a probe must answer while a long request (a
        rebuild above all) holds it.
        """
        if self._tactful is None or self._keys is None:
            return NotReady("starting", "The server is starting.")
        if self._tactful.index.building:
            return NotReady("loading", "The shop-wide snapshot is loading; try again shortly.")
        try:
            for engine in (self._keys.engine, self._tactful.records.engine):
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return NotReady("store_unavailable", "The database does not answer.")
        url = self.settings.chroma_url
        if url and not _chroma_answers(url):
            return NotReady("store_unavailable", f"The Chroma server at {url} does not answer.")
        return None


def _chroma_answers(url: str) -> bool:
    base = (url if "://" in url else f"http://{url}").rstrip("/")
    try:
        return httpx.get(f"{base}/api/v2/heartbeat", timeout=HEARTBEAT_SECONDS).is_success
    except httpx.HTTPError:
        return False


def route_of(scope: Scope) -> str:
    """The template of the route that handled the request (``/v1/shoppers/{shopper_id}``)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _error_code(body: bytes, status: int) -> str:
    """The ``code`` of the API's error body, else one named after the status."""
    try:
        parsed = json.loads(body)
        code = parsed["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"http_{status}"
    return code if isinstance(code, str) else f"http_{status}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestObservability:
    """ASGI middleware, outermost: a request id for each request, its log context, its
    line in the log and its metrics.

    An unexpected failure is answered here, through the app's own handler for it, so
    that even that answer carries the request id.
    """

    def __init__(self, app: ASGIApp, observability: Observability) -> None:
        self.app = app
        self.observability = observability

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(_header(scope, b"x-request-id"))
        method, path = scope["method"], scope["path"]
        token = _current.set(RequestContext(request_id, method, path))
        metrics = self.observability.metrics
        started = time.perf_counter()
        status, response_started = 500, False
        error_body: bytearray | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started, error_body
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
                if status >= 400:
                    error_body = bytearray()
            elif message["type"] == "http.response.body" and error_body is not None:
                error_body += message.get("body", b"")[: _ERROR_BODY_BYTES - len(error_body)]
            await send(message)

        metrics.in_flight.inc()
        try:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                if response_started:
                    log.error("failure after the answer had started", exc_info=exc)
                    raise
                await self._answer_unexpected(scope, receive, send_with_id, exc)
        finally:
            metrics.in_flight.dec()
            seconds = time.perf_counter() - started
            route = route_of(scope)
            code = None if error_body is None else _error_code(bytes(error_body), status)
            counted = method if method in _METHODS else "other"
            metrics.observe(counted, route, status, seconds, code)
            self.observability.after_request()
            if route not in _QUIET_ROUTES or status >= 400:
                duration_ms = round(seconds * 1000, 1)
                access_log.info(
                    "%s %s %d %.1f ms",
                    method,
                    path,
                    status,
                    duration_ms,
                    extra={"status": status, "duration_ms": duration_ms},
                )
            _current.reset(token)

    async def _answer_unexpected(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception
    ) -> None:
        app = scope.get("app")
        handlers: Mapping[Any, Any] = getattr(app, "exception_handlers", {})
        handler = handlers.get(Exception)
        if handler is None:
            log.error("unexpected failure", exc_info=exc)
            raise exc
        response = handler(Request(scope, receive), exc)
        if inspect.isawaitable(response):
            response = await response
        await response(scope, receive, send)
