"""The organiser's view of the media: the bridge points' links (polled by
the setup page every two seconds, the same fragment the moderator's screen
gets live) and the recordings of the floor segments."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from session_server.core.errors import SessionError
from session_server.core.model import Role
from session_server.web.organiser import signed_in_hub
from session_server.web.render import Audience, View
from session_server.web.screens import language, recording_response, render_error

__all__ = ["routes"]


async def link_health(request: Request) -> Response:
    opened = await signed_in_hub(request, to_login=False)
    if isinstance(opened, Response):
        return opened
    registry, hub, _cookie = opened
    view = View(hub.session.state, Audience(Role.ORGANISER, lang=language(request)),
                media=hub.media)
    html = registry.renderer.fragment("_media_health.html", view)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


async def recording(request: Request) -> Response:
    opened = await signed_in_hub(request, to_login=False)
    if isinstance(opened, Response):
        return opened
    registry, hub, _cookie = opened
    try:
        return recording_response(registry, hub, request.path_params["file"])
    except SessionError as error:
        return render_error(request, error)


routes: list[BaseRoute] = [
    Route("/o/{dialogue_id}/media", link_health),
    Route("/o/{dialogue_id}/recordings/{file}", recording),
]
