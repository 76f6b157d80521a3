"""The role screens reached by a signed link, and their plain form posts.

``/s/{token}`` serves the moderator, secretary, bridge console, hall display
and speaker screens; ``/j/{token}`` is the phone page of a bridge point's
attendee link (it sets the device cookie). Every action on a screen is a
form: with JavaScript it travels over the page's WebSocket, without it the
form posts to ``…/act`` and the page is served again.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from session_server.core.commands import Command, SubmitQuestion, Vote
from session_server.core.errors import Forbidden, NotFound, SessionError
from session_server.core.model import Actor, Role, RoleLink
from session_server.core.views import submitted_question_id
from session_server.media.manager import recording_path
from session_server.web.access import DEVICE_COOKIE, LinkClaim
from session_server.web.actions import parse_action
from session_server.web.hub import Hub
from session_server.web.registry import Registry
from session_server.web.render import Audience, View

__all__ = [
    "LinkContext",
    "camera_page",
    "check_origin",
    "execute_limited",
    "language",
    "link_page",
    "link_post",
    "phone_page",
    "phone_post",
    "phone_questions",
    "recording_file",
    "recording_response",
    "render_error",
]

logger = logging.getLogger(__name__)

PAGES: dict[Role, str] = {
    Role.MODERATOR: "moderator.html",
    Role.SECRETARY: "secretary.html",
    Role.BRIDGE_OPERATOR: "bridge.html",
    Role.DISPLAY: "display.html",
    Role.SPEAKER: "speaker.html",
    Role.ATTENDEE: "phone.html",
}

LANG_COOKIE = "lang"
YEAR = 365 * 24 * 3600


def language(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "vi"
    return lang if lang in ("vi", "en") else "vi"


def registry_of(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def check_origin(registry: Registry, headers: Any, host: str | None, scheme: str) -> None:
    """Refuse a browser request whose Origin is another site."""
    origin = headers.get("origin")
    if not origin:
        return
    allowed = {f"{scheme}://{host}", *registry.settings.trusted_origins}
    if registry.settings.public_url:
        allowed.add(registry.settings.public_url)
    if origin.rstrip("/") not in allowed:
        raise Forbidden("request.origin")


@dataclass
class LinkContext:
    registry: Registry
    hub: Hub
    claim: LinkClaim
    link: RoleLink
    token: str


async def resolve(registry: Registry, token: str) -> LinkContext:
    claim = registry.access.read_link(token)
    hub = await registry.get(claim.dialogue_id)
    link = registry.access.active_link(hub.session.state, claim)
    return LinkContext(registry, hub, claim, link, token)


def render_error(request: Request, error: SessionError) -> HTMLResponse:
    registry = registry_of(request)
    lang = language(request)
    html = registry.renderer.env.get_template("error.html").render(
        lang=lang, messages=error.messages(), code=error.code
    )
    return HTMLResponse(html, status_code=error.status)


def execute_limited(registry: Registry, hub: Hub, actor: Actor, command: Command) -> None:
    """Rate limits for what phones and bridge consoles send. A retried
    submission (or command id) the log already holds is not charged: it
    changes nothing."""
    state = hub.session.state
    if (
        isinstance(command, SubmitQuestion)
        and submitted_question_id(state, command) is not None
    ) or (command.command_id and command.scoped_id() in state.applied_commands):
        return
    now = registry.clock()
    if isinstance(command, (SubmitQuestion, Vote)) and actor.role is Role.ATTENDEE:
        registry.device_limit.hit(f"{actor.device_id}:{type(command).__name__}", now)
    elif isinstance(command, SubmitQuestion) and actor.role is Role.BRIDGE_OPERATOR:
        registry.bridge_limit.hit(actor.bridge_id or "", now)


def _page(
    ctx: LinkContext,
    request: Request,
    actor: Actor,
    csrf_subject: str,
    flash: dict[str, str] | None = None,
    status: int = 200,
    page: str | None = None,
    **extra: Any,
) -> HTMLResponse:
    registry, hub = ctx.registry, ctx.hub
    lang = language(request)
    view = View(hub.session.state, Audience.of(actor, lang), actor.device_id,
                store_ok=hub.store_ok, media=hub.media)
    base = "/j/" if actor.role is Role.ATTENDEE else "/s/"
    html = registry.renderer.page(
        page or PAGES[actor.role],
        view,
        # m=1 marks the screens a proxy sends to the media node (docs/scaling.md)
        ws_url=f"/ws/{ctx.token}" + ("" if actor.role is Role.ATTENDEE else "?m=1"),
        post_url=f"{base}{ctx.token}/act",
        page_url=f"{base}{ctx.token}",
        csrf=registry.access.csrf_token(csrf_subject),
        epoch=hub.session.epoch,
        seq=hub.session.seq,
        new_key=secrets.token_hex(12),
        link=ctx.link,
        flash=flash,
        ice_json=json.dumps([s.as_dict() for s in registry.settings.ice_servers]),
        **extra,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    # same-origin: the link token never leaks to another site, and form posts
    # keep a real Origin header (no-referrer would make it "null")
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def link_page(request: Request) -> Response:
    registry = registry_of(request)
    token = request.path_params["token"]
    try:
        ctx = await resolve(registry, token)
    except SessionError as error:
        return render_error(request, error)
    if ctx.link.role is Role.ATTENDEE:
        return RedirectResponse(f"/j/{token}", status_code=303)
    return _page(ctx, request, ctx.link.actor(), token)


async def camera_page(request: Request) -> Response:
    """A bridge point's camera alone: a device by the room's camera that
    publishes it (the main venue's camera page, or a district's second
    device beside the console)."""
    registry = registry_of(request)
    token = request.path_params["token"]
    try:
        ctx = await resolve(registry, token)
        if ctx.link.role is not Role.BRIDGE_OPERATOR:
            raise Forbidden("role.forbidden", role=ctx.link.role.value)
    except SessionError as error:
        return render_error(request, error)
    return _page(ctx, request, ctx.link.actor(), token, page="camera.html")


RECORDING_ROLES = frozenset({Role.MODERATOR, Role.SECRETARY})


async def recording_file(request: Request) -> Response:
    """A floor segment's recording, for the secretary's and moderator's
    screens (checked against the link on every request)."""
    registry = registry_of(request)
    try:
        ctx = await resolve(registry, request.path_params["token"])
        if ctx.link.role not in RECORDING_ROLES:
            raise Forbidden("role.forbidden", role=ctx.link.role.value)
        return recording_response(registry, ctx.hub, request.path_params["file"])
    except SessionError as error:
        return render_error(request, error)


def recording_response(registry: Registry, hub: Hub, file: str) -> Response:
    """The Ogg file of a recording the log knows, by its file name (never a
    path the request made up)."""
    recording = next((r for r in hub.session.state.recordings.values() if r.file == file), None)
    path = None
    if recording is not None:
        path = recording_path(registry.settings.recordings_dir, hub.dialogue_id, recording.file)
    if path is None or not path.is_file():
        raise NotFound("recording.not_found")
    return FileResponse(path, media_type="audio/ogg", filename=file,
                        content_disposition_type="inline")


async def _post(request: Request, attendee: bool) -> Response:
    """A plain form post from a role screen or a phone: the same checks as
    the socket (origin, link, role) plus a CSRF token, then the core."""
    registry = registry_of(request)
    token = request.path_params["token"]
    device = registry.access.read_device(request.cookies.get(DEVICE_COOKIE)) if attendee else None
    subject = f"{token}:{device}" if attendee else token
    page = f"/j/{token}" if attendee else f"/s/{token}"
    try:
        ctx = await resolve(registry, token)
        if (ctx.link.role is Role.ATTENDEE) is not attendee:
            raise Forbidden("role.forbidden", role=ctx.link.role.value)
        if attendee and device is None:
            raise Forbidden("role.device_missing")
        check_origin(registry, request.headers, request.headers.get("host"), request.url.scheme)
        form = await request.form()
        registry.access.check_csrf(subject, _str(form.get("csrf")))
        actor = ctx.link.actor(device)
        command = parse_action({k: _str(v) for k, v in form.items()}, actor)
        execute_limited(registry, ctx.hub, actor, command)
        await ctx.hub.execute(command)
    except SessionError as error:
        try:
            ctx = await resolve(registry, token)
        except SessionError:
            return render_error(request, error)
        if (ctx.link.role is Role.ATTENDEE) is not attendee or (attendee and device is None):
            return render_error(request, error)
        return _page(ctx, request, ctx.link.actor(device), subject, flash=error.messages(),
                     status=error.status)
    return RedirectResponse(page, status_code=303)


async def link_post(request: Request) -> Response:
    return await _post(request, attendee=False)


def _device(request: Request, registry: Registry) -> tuple[str, str | None]:
    """The phone's device id, and a new cookie value when it had none."""
    device = registry.access.read_device(request.cookies.get(DEVICE_COOKIE))
    if device is not None:
        return device, None
    return registry.access.new_device()


def _set_device(response: Response, cookie: str | None, secure: bool) -> None:
    if cookie is not None:
        response.set_cookie(
            DEVICE_COOKIE, cookie, max_age=YEAR, httponly=True, samesite="lax", secure=secure
        )


async def phone_page(request: Request) -> Response:
    registry = registry_of(request)
    token = request.path_params["token"]
    try:
        ctx = await resolve(registry, token)
    except SessionError as error:
        return render_error(request, error)
    if ctx.link.role is not Role.ATTENDEE:
        return RedirectResponse(f"/s/{token}", status_code=303)
    device, cookie = _device(request, registry)
    response = _page(ctx, request, ctx.link.actor(device), f"{token}:{device}")
    _set_device(response, cookie, request.url.scheme == "https")
    return response


async def phone_questions(request: Request) -> Response:
    """Approved questions beyond a phone's live list: a search (``q``) or the
    next ones (``offset``), as a snapshot the phone asked for."""
    registry = registry_of(request)
    token = request.path_params["token"]
    try:
        ctx = await resolve(registry, token)
        if ctx.link.role is not Role.ATTENDEE:
            raise Forbidden("role.forbidden", role=ctx.link.role.value)
        device = registry.access.read_device(request.cookies.get(DEVICE_COOKIE))
        if device is None:
            raise Forbidden("role.device_missing")
        registry.socket_limit.hit(f"questions:{device}", registry.clock())
    except SessionError as error:
        return render_error(request, error)
    query = request.query_params.get("q", "")[:100]
    try:
        offset = max(0, min(int(request.query_params.get("offset", "0")), 10**6))
    except ValueError:
        offset = 0
    actor = ctx.link.actor(device)
    view = View(ctx.hub.session.state, Audience.of(actor, language(request)), device)
    found = view.public_list(query)
    html = registry.renderer.page(
        "_phone_found.html", view, found=found[offset: offset + View.PUBLIC_TOP],
        total=len(found), offset=offset, query=query, now=datetime.now(UTC),
        post_url=f"/j/{token}/act", csrf=registry.access.csrf_token(f"{token}:{device}"),
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store",
                                       "Referrer-Policy": "same-origin"})


async def phone_post(request: Request) -> Response:
    return await _post(request, attendee=True)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
