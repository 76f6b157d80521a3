"""The organiser's screens: sign-in, the dialogues, a dialogue's setup, its
role links and their QR codes.

Plain server-rendered pages and form posts, no WebSocket. Every change to a
dialogue posts to one endpoint, ``/o/{dialogue_id}/act``: the organiser
cookie, the Origin and the CSRF token are checked, the form becomes a core
command (``parse_action``) and runs through the dialogue's hub, which appends
it to the log and pushes it to the live screens. A refused command shows the
same page again with the catalogue's message and what was typed.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import segno
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from session_server.core.commands import CreateDialogue
from session_server.core.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    RateLimited,
    SessionError,
    Unauthorised,
)
from session_server.core.links import standard_links
from session_server.core.model import (
    BridgeKind,
    Phase,
    ProgrammeKind,
    Role,
    RoleLink,
    State,
)
from session_server.core.text import clean_line
from session_server.store.base import check_dialogue_id
from session_server.web.access import ORGANISER_COOKIE, ORGANISER_MAX_AGE, new_link_id
from session_server.web.actions import LOCAL_TZ, parse_action
from session_server.web.hub import Hub
from session_server.web.ratelimit import Rate, RateLimiter
from session_server.web.registry import Registry
from session_server.web.render import Audience, View
from session_server.web.screens import (
    LANG_COOKIE,
    YEAR,
    check_origin,
    language,
    registry_of,
    render_error,
)

__all__ = ["LOGIN_RATE", "Draft", "routes"]

logger = logging.getLogger(__name__)

LOGIN_RATE = Rate(5, 300)
"""Wrong passwords allowed per client address: five at once, then one more
a minute. Once over, every attempt (even the right password) waits."""

LINK_ROLES: tuple[Role, ...] = (
    Role.MODERATOR,
    Role.SECRETARY,
    Role.BRIDGE_OPERATOR,
    Role.DISPLAY,
    Role.ATTENDEE,
    Role.SPEAKER,
)
"""Roles a link can be issued for, in the order the links page lists them."""

NEXT_PHASE: dict[Phase, Phase] = {
    Phase.DRAFT: Phase.INTAKE,
    Phase.INTAKE: Phase.LIVE,
    Phase.LIVE: Phase.CLOSED,
}

LIST_FIELDS = frozenset({"speaker_ids", "topic_ids"})
"""Fields sent as checkboxes (several values) or as comma-separated ids."""

LINE_FIELDS = frozenset({"legal_basis"})
"""Fields typed in a textarea, one entry a line."""

STANDARD_LINKS = "issue_standard_links"
"""The one form action that is not a single core command."""

RESERVED_IDS = frozenset({"login", "logout"})
"""Dialogue ids that would be hidden by the organiser's own pages."""

_BACK = re.compile(r"/o/[A-Za-z0-9_/-]*(\?[A-Za-z0-9=&_-]*)?(#[A-Za-z0-9_-]*)?")


# --- helpers -----------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What the organiser typed into a form that was refused, to show again.

    Each form carries a hidden ``form`` key (``add-bridge``,
    ``bridge-tinh``…); only the form that was sent gets its values back."""

    form: str = ""
    values: Mapping[str, list[str]] = field(default_factory=dict)
    anchor: str = ""
    """The page section the form is in: its message is shown there too."""

    @classmethod
    def of(cls, values: Mapping[str, list[str]]) -> Draft:
        back = _last(values, "back")
        anchor = back.partition("#")[2] if "#" in back else ""
        return cls(_last(values, "form"), values, anchor)

    def get(self, form: str, name: str, default: object = "") -> object:
        if not self.form or form != self.form:
            return default
        values = self.values.get(name)
        return values[-1] if values else ""

    def checked(self, form: str, name: str, value: str, default: bool) -> bool:
        if not self.form or form != self.form:
            return default
        return value in _split_list(self.values.get(name, []))


class _LoginThrottle:
    """Failed sign-ins per client address, on a token bucket; an address
    over the limit is refused outright until its wait is over."""

    def __init__(self, rate: Rate) -> None:
        self.limiter = RateLimiter(rate)
        self.blocked: dict[str, float] = {}

    def check(self, key: str, now: float) -> None:
        until = self.blocked.get(key)
        if until is None:
            return
        if now < until:
            raise RateLimited("rate.limited", seconds=max(1, math.ceil(until - now)))
        del self.blocked[key]

    def failed(self, key: str, now: float) -> None:
        try:
            self.limiter.hit(key, now)
        except RateLimited as error:
            wait = error.params.get("seconds", 1)
            self.blocked[key] = now + (wait if isinstance(wait, int | float) else 1)
            if len(self.blocked) > 10_000:
                self.blocked = {k: t for k, t in self.blocked.items() if t > now}
            raise


_throttles: weakref.WeakKeyDictionary[Registry, _LoginThrottle] = weakref.WeakKeyDictionary()
_link_locks: weakref.WeakKeyDictionary[Hub, asyncio.Lock] = weakref.WeakKeyDictionary()


def _throttle(registry: Registry) -> _LoginThrottle:
    throttle = _throttles.get(registry)
    if throttle is None:
        throttle = _throttles[registry] = _LoginThrottle(LOGIN_RATE)
    return throttle


def _signed_in(request: Request, registry: Registry) -> str | None:
    """The organiser cookie, when it is valid."""
    cookie = request.cookies.get(ORGANISER_COOKIE)
    return cookie if cookie and registry.access.is_organiser(cookie) else None


def _safe_back(value: str, default: str) -> str:
    """A path to return to: only the organiser's own pages."""
    if _BACK.fullmatch(value) and "//" not in value:
        return value
    return default


def _to_login(request: Request) -> Response:
    target = _safe_back(request.url.path, "/o/")
    return RedirectResponse(f"/o/login?next={quote(target, safe='/')}", status_code=303)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _values(form: FormData) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        values.setdefault(key, []).append(_str(value))
    return values


def _last(values: Mapping[str, list[str]], name: str) -> str:
    found = values.get(name)
    return found[-1] if found else ""


def _split_list(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _command_data(values: Mapping[str, list[str]]) -> dict[str, Any]:
    """The form as ``parse_action`` takes it: one string a field, lists for
    the tuple fields."""
    data: dict[str, Any] = {}
    for key, found in values.items():
        if key in LIST_FIELDS:
            data[key] = _split_list(found)
        elif key in LINE_FIELDS:
            data[key] = [
                line.strip() for value in found for line in value.splitlines() if line.strip()
            ]
        else:
            data[key] = found[-1]
    return data


def _local_input(moment: datetime | None) -> str:
    """A moment as an ``<input type="datetime-local">`` value, Vietnam time."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _base_url(request: Request, registry: Registry) -> str:
    return registry.settings.public_url or str(request.base_url).rstrip("/")


def _link_url(request: Request, registry: Registry, dialogue_id: str, link: RoleLink) -> str:
    token = registry.access.link_token(dialogue_id, link.link_id)
    prefix = "/j/" if link.role is Role.ATTENDEE else "/s/"
    return f"{_base_url(request, registry)}{prefix}{token}"


def _view(state: State, lang: str) -> View:
    return View(state, Audience(Role.ORGANISER, lang=lang))


def _respond(request: Request, html: str, status: int = 200) -> HTMLResponse:
    response = HTMLResponse(html, status_code=status)
    lang = request.query_params.get("lang")
    if lang in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    # not "no-referrer": with it, browsers send "Origin: null" with form posts
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _render(
    request: Request,
    registry: Registry,
    template: str,
    view: View,
    *,
    cookie: str | None,
    page_url: str,
    dialogue_id: str = "",
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
    **extra: Any,
) -> HTMLResponse:
    html = registry.renderer.page(
        template,
        view,
        page_url=page_url,
        signed_in=cookie is not None,
        csrf=registry.access.csrf_token(cookie) if cookie else "",
        dialogue_id=dialogue_id,
        flash=flash,
        draft=draft or Draft(),
        **extra,
    )
    return _respond(request, html, status)


async def _hub(registry: Registry, dialogue_id: str) -> Hub:
    """The hub of a dialogue that exists (created, not just opened)."""
    hub = await registry.get(dialogue_id)
    if not hub.session.state.created:
        raise NotFound("dialogue.not_found")
    return hub


async def signed_in_hub(
    request: Request, *, to_login: bool = True
) -> tuple[Registry, Hub, str] | Response:
    """The organiser's registry, dialogue hub and session cookie for a page
    under ``/o/{dialogue_id}``; or the response to send instead: the sign-in
    page (or a 401 for a download, ``to_login=False``), or the error page of
    an unknown dialogue."""
    registry = registry_of(request)
    cookie = _signed_in(request, registry)
    if cookie is None:
        if not to_login:
            return render_error(request, Unauthorised("request.unauthorised"))
        return _to_login(request)
    try:
        hub = await _hub(registry, request.path_params["dialogue_id"])
    except SessionError as error:
        return render_error(request, error)
    return registry, hub, cookie


def _check_post(request: Request, registry: Registry, cookie: str, values: Mapping[str, list[str]]
                ) -> None:
    check_origin(registry, request.headers, request.headers.get("host"), request.url.scheme)
    registry.access.check_csrf(cookie, _last(values, "csrf"))


# --- sign-in -----------------------------------------------------------------


def _login_page(
    request: Request, registry: Registry, next_path: str, error: SessionError | None, status: int
) -> HTMLResponse:
    view = _view(State(limits=registry.settings.limits), language(request))
    html = registry.renderer.page(
        "organiser_login.html",
        view,
        page_url=request.url.path,
        signed_in=False,
        csrf="",
        dialogue_id="",
        flash="",
        draft=Draft(),
        next_path=next_path,
        error=error.messages() if error else None,
    )
    return _respond(request, html, status)


async def login(request: Request) -> Response:
    registry = registry_of(request)
    if request.method == "GET":
        next_path = _safe_back(request.query_params.get("next", ""), "/o/")
        if _signed_in(request, registry):
            return RedirectResponse(next_path, status_code=303)
        return _login_page(request, registry, next_path, None, 200)
    form = _values(await request.form())
    next_path = _safe_back(_last(form, "next"), "/o/")
    client = request.client.host if request.client else "unknown"
    throttle = _throttle(registry)
    now = registry.clock()
    try:
        check_origin(registry, request.headers, request.headers.get("host"), request.url.scheme)
        throttle.check(client, now)
        expected = str(registry.settings.organiser_password)
        if not registry.access.check_password(_last(form, "password"), expected):
            logger.warning("organiser sign-in refused from %s", client)
            throttle.failed(client, now)
            refused = Unauthorised("organiser.bad_password")
            return _login_page(request, registry, next_path, refused, refused.status)
    except SessionError as error:
        return _login_page(request, registry, next_path, error, error.status)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        ORGANISER_COOKIE,
        registry.access.organiser_cookie(),
        max_age=ORGANISER_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/o/login", status_code=303)
    response.delete_cookie(ORGANISER_COOKIE, httponly=True, samesite="lax")
    return response


# --- the dialogues -----------------------------------------------------------


def _dialogues_page(
    request: Request,
    registry: Registry,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> HTMLResponse:
    dialogues = []
    for dialogue_id in sorted(registry.known):
        hub = registry.hubs.get(dialogue_id)
        if hub is not None and hub.session.state.created:
            dialogues.append((dialogue_id, hub.session.state))
    return _render(
        request,
        registry,
        "organiser_list.html",
        _view(State(limits=registry.settings.limits), language(request)),
        cookie=cookie,
        page_url="/o/",
        flash=flash,
        status=status,
        draft=draft,
        dialogues=dialogues,
    )


async def dialogues(request: Request) -> Response:
    registry = registry_of(request)
    cookie = _signed_in(request, registry)
    if cookie is None:
        return _to_login(request)
    if request.method == "GET":
        return _dialogues_page(request, registry, cookie)
    values = _values(await request.form())
    try:
        _check_post(request, registry, cookie, values)
    except SessionError as error:
        return render_error(request, error)
    dialogue_id = _last(values, "dialogue_id").strip()
    try:
        check_dialogue_id(dialogue_id)
        if dialogue_id in RESERVED_IDS:
            raise InvalidInput("dialogue.reserved_id", dialogue=dialogue_id)
        hub = registry.hubs.get(dialogue_id)
        if hub is not None and hub.session.state.created:
            raise IllegalTransition("dialogue.exists")
        title = clean_line(_last(values, "title"), field="title",
                           max_chars=registry.settings.limits.title_max_chars, required=True)
        command = parse_action(
            {"action": "create_dialogue", "title": title}, registry.access.organiser_actor()
        )
        if not isinstance(command, CreateDialogue):  # pragma: no cover
            raise InvalidInput("command.unknown")
        hub = await registry.open(dialogue_id)
        await hub.execute(command)
    except SessionError as error:
        return _dialogues_page(
            request, registry, cookie, flash=error.message(language(request)),
            status=error.status, draft=Draft.of(values),
        )
    logger.info("dialogue %s created by the organiser", dialogue_id)
    return RedirectResponse(f"/o/{dialogue_id}", status_code=303)


# --- a dialogue's setup ------------------------------------------------------


def _setup_page(
    request: Request,
    registry: Registry,
    hub: Hub,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> HTMLResponse:
    state = hub.session.state
    programme = "\n".join(
        f"{item.item_id} | {item.title} | {item.kind.value} | {item.planned_minutes}"
        for item in state.programme
    )
    return _render(
        request,
        registry,
        "organiser.html",
        View(state, Audience(Role.ORGANISER, lang=language(request)), media=hub.media),
        cookie=cookie,
        media_on=hub.media is not None,
        page_url=f"/o/{hub.dialogue_id}",
        dialogue_id=hub.dialogue_id,
        flash=flash,
        status=status,
        draft=draft,
        post_url=f"/o/{hub.dialogue_id}/act",
        back=f"/o/{hub.dialogue_id}",
        next_phase=NEXT_PHASE.get(state.dialogue.phase),
        local_input=_local_input,
        programme_text=programme,
        programme_kinds=list(ProgrammeKind),
        bridge_kinds=list(BridgeKind),
    )


async def setup(request: Request) -> Response:
    opened = await signed_in_hub(request)
    if isinstance(opened, Response):
        return opened
    registry, hub, cookie = opened
    return _setup_page(request, registry, hub, cookie)


# --- role links and QR codes -------------------------------------------------


def _sorted_links(state: State) -> list[RoleLink]:
    bridges = list(state.bridges)
    speakers = list(state.speakers)

    def key(link: RoleLink) -> tuple[int, int, int, str]:
        bridge = bridges.index(link.bridge_id) if link.bridge_id in bridges else len(bridges)
        speaker = speakers.index(link.speaker_id) if link.speaker_id in speakers else 0
        issued = link.issued_at.isoformat() if link.issued_at else ""
        return (LINK_ROLES.index(link.role) if link.role in LINK_ROLES else len(LINK_ROLES),
                bridge, speaker, issued)

    return sorted(state.links.values(), key=key)


def _links_page(
    request: Request,
    registry: Registry,
    hub: Hub,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> HTMLResponse:
    state = hub.session.state
    links = [
        (link, _link_url(request, registry, hub.dialogue_id, link) if link.active else "")
        for link in _sorted_links(state)
    ]
    return _render(
        request,
        registry,
        "organiser_links.html",
        _view(state, language(request)),
        cookie=cookie,
        page_url=f"/o/{hub.dialogue_id}/links",
        dialogue_id=hub.dialogue_id,
        flash=flash,
        status=status,
        draft=draft,
        post_url=f"/o/{hub.dialogue_id}/act",
        back=f"/o/{hub.dialogue_id}/links",
        links=links,
        link_roles=LINK_ROLES,
        missing=len(standard_links(state, registry.access.organiser_actor(), lambda: "")),
    )


async def links(request: Request) -> Response:
    opened = await signed_in_hub(request)
    if isinstance(opened, Response):
        return opened
    registry, hub, cookie = opened
    return _links_page(request, registry, hub, cookie)


def qr_svg_bytes(url: str) -> bytes:
    """``url`` as a QR code (error correction M) in SVG, sized by its viewBox."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=6, border=4, xmldecl=False, omitsize=True, light="#fff"
    )
    return buffer.getvalue()


async def qr_svg(request: Request) -> Response:
    registry = registry_of(request)
    if _signed_in(request, registry) is None:
        return render_error(request, Unauthorised("request.unauthorised"))
    try:
        hub = await _hub(registry, request.path_params["dialogue_id"])
        link = hub.session.state.links.get(request.path_params["link_id"])
        if link is None or link.role is not Role.ATTENDEE:
            raise NotFound("link.not_found")
        if not link.active:
            raise Forbidden("link.revoked")
    except SessionError as error:
        return render_error(request, error)
    url = _link_url(request, registry, hub.dialogue_id, link)
    return Response(
        qr_svg_bytes(url),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def qr_sheet(request: Request) -> Response:
    opened = await signed_in_hub(request)
    if isinstance(opened, Response):
        return opened
    registry, hub, cookie = opened
    state = hub.session.state
    sheets = []
    without = []
    for bridge in state.bridges.values():
        found = [
            link for link in _sorted_links(state)
            if link.role is Role.ATTENDEE and link.bridge_id == bridge.bridge_id and link.active
        ]
        if not found:
            without.append(bridge)
        for link in found:
            sheets.append((bridge, link, _link_url(request, registry, hub.dialogue_id, link)))
    return _render(
        request,
        registry,
        "organiser_qr.html",
        _view(state, language(request)),
        cookie=cookie,
        page_url=f"/o/{hub.dialogue_id}/qr",
        dialogue_id=hub.dialogue_id,
        sheets=sheets,
        without=without,
        vi=_view(state, "vi"),
        en=_view(state, "en"),
    )


# --- every organiser form post -----------------------------------------------


async def _run(registry: Registry, hub: Hub, values: Mapping[str, list[str]]) -> None:
    actor = registry.access.organiser_actor()
    if _last(values, "action") == STANDARD_LINKS:
        lock = _link_locks.get(hub)
        if lock is None:
            lock = _link_locks[hub] = asyncio.Lock()
        async with lock:
            for issue in standard_links(hub.session.state, actor, new_link_id):
                await hub.execute(issue)
        return
    data = _command_data(values)
    if data.get("action") == "issue_link":
        data["link_id"] = new_link_id()
    await hub.execute(parse_action(data, actor))


async def act(request: Request) -> Response:
    registry = registry_of(request)
    cookie = _signed_in(request, registry)
    if cookie is None:
        return render_error(request, Unauthorised("request.unauthorised"))
    dialogue_id = request.path_params["dialogue_id"]
    try:
        hub = await _hub(registry, dialogue_id)
        values = _values(await request.form())
        _check_post(request, registry, cookie, values)
    except SessionError as error:
        return render_error(request, error)
    back = _safe_back(_last(values, "back"), f"/o/{dialogue_id}")
    try:
        await _run(registry, hub, values)
    except SessionError as error:
        page = _links_page if back.split("#")[0].split("?")[0].endswith("/links") else _setup_page
        return page(
            request, registry, hub, cookie, flash=error.message(language(request)),
            status=error.status, draft=Draft.of(values),
        )
    return RedirectResponse(back, status_code=303)


routes: list[BaseRoute] = [
    Route("/o/login", login, methods=["GET", "POST"]),
    Route("/o/logout", logout),
    Route("/o/", dialogues, methods=["GET", "POST"]),
    Route("/o/{dialogue_id}", setup),
    Route("/o/{dialogue_id}/act", act, methods=["POST"]),
    Route("/o/{dialogue_id}/links", links),
    Route("/o/{dialogue_id}/qr", qr_sheet),
    Route("/o/{dialogue_id}/qr/{link_id}.svg", qr_svg),
]
