"""The pages of role links: ``/s/{token}`` (moderator, secretary, bridge
console, hall display, speaker), ``/s/{token}/camera`` (a bridge point's
camera alone), ``/s/{token}/overlay`` (a hall display's broadcast
overlay), ``/j/{token}`` (a phone: it also gets its device cookie),
the phone's search (``/j/{token}/questions``) and the floor's recordings
for the screens that may play them.

Each page is its screen's declaration (``screens/__init__.py``) rendered
with the screen's context and a :class:`~session_server.web.screens.base.LinkPage`.
A refused link raises; the error handlers answer it (``web/errors.py``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from session_server.core.errors import Forbidden, NotFound
from session_server.core.model import Question, Role
from session_server.media.manager import recording_path
from session_server.web.access import DEVICE_COOKIE
from session_server.web.gateway import Gateway, LinkCaller
from session_server.web.live.hub import Hub
from session_server.web.middleware import FRAMEABLE
from session_server.web.registry import Registry
from session_server.web.screens import SCREENS, VIEWS
from session_server.web.screens.base import LinkPage
from session_server.web.screens.overlay import OVERLAY
from session_server.web.screens.phone import PhoneContext

__all__ = [
    "FoundPage",
    "camera_page",
    "link_page",
    "overlay_page",
    "phone_page",
    "phone_questions",
    "recording_file",
    "recording_response",
    "render_screen",
]

YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class FoundPage:
    """A phone's search or "more": the questions found, a snapshot."""

    found: list[Question]
    total: int
    offset: int
    query: str
    now: datetime
    post_url: str
    csrf: str
    new_key: str = field(default_factory=lambda: secrets.token_hex(12))


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def render_screen(
    request: Request,
    caller: LinkCaller,
    flash: Mapping[str, Any] | None = None,
    status: int = 200,
    page: str | None = None,
    view: str = "",
) -> HTMLResponse:
    """The page of ``caller``'s screen (``page``: another page of the same
    link; ``view``: another view of it, ``VIEWS``), showing the state now;
    ``flash`` a refusal to show on it."""
    registry: Registry = request.app.state.registry
    hub, actor = caller.hub, caller.actor
    screen = VIEWS[(actor.role, view)] if view else SCREENS[actor.role]
    # m=1 marks the screens a proxy sends to the media node (docs/scaling.md)
    query = f"?view={view}" if view else "" if actor.role is Role.ATTENDEE else "?m=1"
    device = actor.device_id
    token = caller.token
    context = hub.context(screen.audience(actor, request.state.lang), device)
    values = LinkPage(
        link=caller.link,  # type: ignore[arg-type]
        ws_url=f"/ws/{token}{query}",
        post_url=f"{screen.prefix}{token}/act",
        page_url=f"{screen.prefix}{token}",
        csrf=registry.access.csrf_token(f"{token}:{device}" if device else token),
        epoch=hub.session.epoch,
        seq=hub.session.seq,
        new_key=secrets.token_hex(12),
        flash=flash,
        ice_json=json.dumps([s.as_dict() for s in registry.settings.ice_servers]),
        server_ms=round(registry.now().timestamp() * 1000),
    )
    html = registry.renderer.page(screen.pages.get(page or "", screen.page), context, values)
    if screen.frameable:
        setattr(request.state, FRAMEABLE, True)  # web/middleware.py: FRAME_ANCESTORS
    return HTMLResponse(html, status_code=status)


async def link_page(request: Request) -> Response:
    token = request.path_params["token"]
    caller = await _gateway(request).link_caller(token, None, _address(request))
    if caller.actor.role is Role.ATTENDEE:
        return RedirectResponse(f"/j/{token}", status_code=303)
    return render_screen(request, caller)


async def camera_page(request: Request) -> Response:
    """A bridge point's camera alone: a device by the room's camera that
    publishes it (the main venue's camera page, or a district's second
    device beside the console)."""
    caller = await _gateway(request).link_caller(
        request.path_params["token"], None, _address(request), phone=False
    )
    if caller.actor.role is not Role.BRIDGE_OPERATOR:
        raise Forbidden("role.forbidden", role=caller.actor.role.value)
    return render_screen(request, caller, page="camera")


async def overlay_page(request: Request) -> Response:
    """A hall display's broadcast overlay (``screens/overlay.py``): a
    transparent page for a broadcast crew's browser source."""
    caller = await _gateway(request).link_caller(
        request.path_params["token"], None, _address(request), phone=False
    )
    if caller.actor.role is not Role.DISPLAY:
        raise Forbidden("role.forbidden", role=caller.actor.role.value)
    return render_screen(request, caller, view=OVERLAY.view)


async def phone_page(request: Request) -> Response:
    registry: Registry = request.app.state.registry
    token = request.path_params["token"]
    device = registry.access.read_device(request.cookies.get(DEVICE_COOKIE))
    caller = await _gateway(request).link_caller(token, device, _address(request))
    if caller.actor.role is not Role.ATTENDEE:
        return RedirectResponse(f"/s/{token}", status_code=303)
    cookie = None
    if device is None:  # a new phone: cookies are issued at a bounded rate (web/limits.py)
        registry.limits.new_device(
            caller.hub.session.state, caller.actor.bridge_id, _address(request), registry.clock()
        )
        device, cookie = registry.access.new_device()
        caller = await _gateway(request).link_caller(token, device, _address(request))
    response = render_screen(request, caller)
    if cookie is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            cookie,
            max_age=YEAR,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


async def phone_questions(request: Request) -> Response:
    """Approved questions beyond a phone's live list: a search (``q``) or the
    next ones (``offset``), as a snapshot the phone asked for."""
    registry: Registry = request.app.state.registry
    token = request.path_params["token"]
    device = registry.access.read_device(request.cookies.get(DEVICE_COOKIE))
    caller = await _gateway(request).link_caller(token, device, _address(request), phone=True)
    registry.socket_limit.hit(f"questions:{device}", registry.clock())
    query = request.query_params.get("q", "")[:100]
    try:
        offset = max(0, min(int(request.query_params.get("offset", "0")), 10**6))
    except ValueError:
        offset = 0
    screen = SCREENS[Role.ATTENDEE]
    view = caller.hub.context(screen.audience(caller.actor, request.state.lang), device)
    assert isinstance(view, PhoneContext)
    found = view.public_list(query)
    values = FoundPage(
        found=found[offset : offset + PhoneContext.PUBLIC_TOP],
        total=len(found),
        offset=offset,
        query=query,
        now=datetime.now(UTC),
        post_url=f"/j/{token}/act",
        csrf=registry.access.csrf_token(f"{token}:{device}"),
    )
    return HTMLResponse(registry.renderer.page("_phone_found.html", view, values))


async def recording_file(request: Request) -> Response:
    """A floor segment's recording, for the screens that may play them
    (checked against the link on every request)."""
    caller = await _gateway(request).link_caller(
        request.path_params["token"], None, _address(request), phone=False
    )
    screen = SCREENS.get(caller.actor.role)
    if screen is None or not screen.recordings:
        raise Forbidden("role.forbidden", role=caller.actor.role.value)
    return recording_response(request.app.state.registry, caller.hub, request.path_params["file"])


def recording_response(registry: Registry, hub: Hub, file: str) -> Response:
    """The Ogg file of a recording the log knows, by its file name (never a
    path the request made up)."""
    recording = next((r for r in hub.session.state.recordings.values() if r.file == file), None)
    path = None
    if recording is not None:
        path = recording_path(registry.settings.recordings_dir, hub.dialogue_id, recording.file)
    if path is None or not path.is_file():
        raise NotFound("recording.not_found")
    return FileResponse(
        path, media_type="audio/ogg", filename=file, content_disposition_type="inline"
    )
