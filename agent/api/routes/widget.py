"""``GET /widget.js``: the shoppers' chat widget, one script a shop's pages load.

It defines the ``<tactful-chat>`` element; see the README's "Chat widget" section.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Response

router = APIRouter(tags=["widget"])

#: Long enough to spare repeat visits the download, short enough that a new release
#: reaches every page within the hour.
_MAX_AGE_SECONDS = 3600


@cache
def widget_source() -> bytes:
    """The widget's JavaScript, as it ships in the package."""
    return files("agent.api").joinpath("static/widget.js").read_bytes()


@router.get(
    "/widget.js",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}},
)
def widget() -> Response:
    """The script that defines ``<tactful-chat>``; load it with one ``<script>`` tag."""
    return Response(
        widget_source(),
        media_type="text/javascript",
        headers={
            "Cache-Control": f"public, max-age={_MAX_AGE_SECONDS}",
            # Any shop's page may load it, including with crossorigin="anonymous".
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        },
    )
