"""A unit's registration page (``/u/{token}``): the unit registers its
delegates (name, position, optional phone) within its quota, until the
registration deadline, and may withdraw one before it.

The link is a role link of the ``unit`` role issued by the organiser for one
unit (the units page, ``organiser/roster.py``): the unit never comes from
the form. Each change is a command through the gateway
(``RegisterDelegate``, ``WithdrawDelegate``) by the link's actor; a refusal
(quota full, deadline passed, a name twice) is shown in place, in Vietnamese
and English, with what was typed. Posts through one link are bounded like a
socket's messages (``RATE_SOCKET``). The page also gives the unit its
delegates' invitations (DOCX, each with its QR code)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from session_server.core.deciders.attendance import registration_open
from session_server.core.errors import Forbidden, NotFound, SessionError
from session_server.core.model import Role
from session_server.core.registration import Delegate, Unit
from session_server.core.roster import unit_delegates, unit_quota
from session_server.export.invitation import invitations, render_invitations
from session_server.web.access import new_link_id
from session_server.web.gateway import Gateway, LinkCaller, Refusal
from session_server.web.registry import Registry
from session_server.web.screens.base import Audience, ScreenContext, today

__all__ = ["UnitPage", "unit_invitations", "unit_page"]

logger = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class UnitPage:
    page_url: str
    post_url: str
    csrf: str
    unit: Unit
    quota: int
    delegates: list[Delegate]
    deadline: datetime | None
    open: bool
    refusal: dict[str, str] | None = None
    done: str = ""
    """``register`` or ``withdraw`` after a change, for the confirmation."""
    typed: dict[str, str] = field(default_factory=dict)
    confirming: Delegate | None = None
    """The delegate a withdrawal was asked for: the page asks first."""
    new_id: str = field(default_factory=new_link_id)
    """The id the next delegate gets: sent again, the same form changes
    the same person rather than adding one twice."""


async def _caller(request: Request) -> tuple[LinkCaller, Unit]:
    gateway: Gateway = request.app.state.gateway
    address = request.client.host if request.client else ""
    caller = await gateway.link_caller(request.path_params["token"], address=address, unit=True)
    assert caller.link is not None
    unit = caller.hub.session.state.roster.units.get(caller.link.unit_id or "")
    if unit is None:
        raise NotFound("unit.not_found", unit=caller.link.label)
    return caller, unit


def _page(
    request: Request,
    caller: LinkCaller,
    unit: Unit,
    *,
    refusal: SessionError | None = None,
    typed: dict[str, str] | None = None,
    done: str = "",
    confirm: str = "",
) -> Response:
    registry: Registry = request.app.state.registry
    state = caller.hub.session.state
    token = request.path_params["token"]
    values = UnitPage(
        page_url=f"/u/{token}",
        post_url=f"/u/{token}",
        csrf=registry.access.csrf_token(token),
        unit=unit,
        quota=unit_quota(state, unit),
        delegates=(delegates := unit_delegates(state, unit.unit_id)),
        deadline=state.roster.deadline,
        open=registration_open(state, registry.now()),
        refusal=refusal.messages() if refusal else None,
        done=done,
        typed=typed or {},
        confirming=next((d for d in delegates if d.delegate_id == confirm), None),
    )
    view = ScreenContext(state, Audience(Role.UNIT_REGISTRAR, lang=request.state.lang))
    return HTMLResponse(
        registry.renderer.page("unit_register.html", view, values),
        status_code=refusal.status if refusal else 200,
    )


async def unit_page(request: Request) -> Response:
    caller, unit = await _caller(request)
    if request.method == "GET":
        done = request.query_params.get("done", "")
        return _page(request, caller, unit, done=done if done in _DONE else "")
    registry: Registry = request.app.state.registry
    gateway: Gateway = request.app.state.gateway
    form = await request.form()
    raw = {k: v for k, v in form.items() if isinstance(v, str)}
    registry.access.check_csrf(request.path_params["token"], raw.get("csrf", ""))
    assert caller.link is not None
    # a unit posts a few times; a script on its link is slowed down (RATE_SOCKET)
    registry.socket_limit.hit(f"unit:{caller.link.link_id}", registry.clock())
    action = raw.get("action", "")
    if action == "withdraw":
        if raw.get("confirm") != "yes":  # asked first: nothing changes yet
            return _page(request, caller, unit, confirm=raw.get("delegate_id", ""))
        message = {"action": "withdraw_delegate", "delegate_id": raw.get("delegate_id", "")}
    else:
        action = "register"
        message = {
            "action": "register_delegate",
            "delegate_id": raw.get("delegate_id", ""),
            "unit_id": unit.unit_id,
            "name": raw.get("name", ""),
            "position": raw.get("position", ""),
            "phone": raw.get("phone", ""),
        }
    if raw.get("command_id"):
        message["command_id"] = raw["command_id"]
    result = await gateway.attempt(caller, message, form=True)
    if isinstance(result, Refusal):
        if isinstance(result.error, Forbidden):
            raise result.error  # revoked meanwhile: the page says so
        return _page(request, caller, unit, refusal=result.error, typed=raw)
    logger.info(
        "dialogue %s: %s by unit %s", caller.hub.dialogue_id, message["action"], unit.unit_id
    )
    return RedirectResponse(f"{request.url.path}?done={action}", status_code=303)


_DONE = frozenset({"register", "withdraw"})


async def unit_invitations(request: Request) -> Response:
    """The unit's delegates' invitations, one a page, each with its QR code."""
    caller, unit = await _caller(request)
    registry: Registry = request.app.state.registry
    assert caller.link is not None
    # each is a DOCX with a QR code a delegate: a few a minute per link
    registry.limits.download(caller.hub.dialogue_id, caller.link.link_id, registry.clock())
    state = caller.hub.session.state
    words = invitations(state, unit_delegates(state, unit.unit_id), issued_on=today(registry.now()))
    # tens of milliseconds a delegate: made off the event loop every screen shares
    data = await asyncio.to_thread(render_invitations, words)
    return Response(
        data,
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="giay-moi-{unit.unit_id}.docx"'},
    )
