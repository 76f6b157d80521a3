"""The organiser's view of the media: the bridge points' links (polled by
the setup page every two seconds, the same fragment the moderator's screen
gets live) and the recordings of the floor segments."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from session_server.web.screens.organiser.common import (
    context,
    dialogue_hub,
    registry_of,
    signed_in,
)
from session_server.web.screens.pages import recording_response

__all__ = ["link_health", "recording"]


async def link_health(request: Request) -> Response:
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    view = context(request, hub.session.state, hub)
    return HTMLResponse(registry_of(request).renderer.fragment("_media_health.html", view))


async def recording(request: Request) -> Response:
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    return recording_response(registry_of(request), hub, request.path_params["file"])
