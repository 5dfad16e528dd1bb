"""``/metrics``: the server's metrics for Prometheus, to the networks the settings allow.

No key: Prometheus scrapes each server directly, and a key it could send would be a shop
or staff key, which also reads shoppers' profiles, kept in the monitoring system's
configuration. The metrics hold no personal data (routes are templates, never paths with
shopper ids), but they tell traffic and errors, so only ``TACTFUL_API__METRICS_FROM``
(loopback by default) may read them, and never through a proxy: behind one on the same
machine every caller would look like loopback.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from fastapi import APIRouter, Request, Response

from agent.api.errors import Forbidden
from agent.api.observability import Observability

router = APIRouter(tags=["operations"])

#: Headers a proxy adds; a request with any of them did not come straight from its sender.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


@lru_cache(maxsize=8)
def _networks(
    allowed: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in allowed)


def may_read_metrics(request: Request, allowed: tuple[str, ...]) -> bool:
    """Whether the request came straight from an address in ``allowed``."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(allowed))


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus' text format"},
        403: {"description": "the caller's address may not read the metrics"},
    },
)
def metrics(request: Request) -> Response:
    """Requests, latencies, errors, LLM fallbacks, the escalation queue and experiment
    exposures, for the whole server (every worker's counts added up)."""
    observability: Observability = request.app.state.observability
    allowed = tuple(observability.settings.api.metrics_from)
    if not may_read_metrics(request, allowed):
        raise Forbidden(
            "Metrics are served only to direct requests from TACTFUL_API__METRICS_FROM "
            f"({', '.join(allowed) or 'nobody'})."
        )
    body, content_type = observability.exposition()
    return Response(body, media_type=content_type)
