"""Plain form posts from the role screens and the phones (``…/act``): the
same commands as the socket, for a browser without JavaScript.

A thin transport over the gateway: the Origin was checked by the
middleware; the link (and a phone's device cookie) make the caller; the
form carries a CSRF token bound to the link (and device). The command runs
through the gateway; on success the page is served again (303), on a
refusal the page shows it in both languages.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from session_server.web.access import DEVICE_COOKIE
from session_server.web.gateway import Gateway, Refusal
from session_server.web.registry import Registry
from session_server.web.screens.pages import render_screen

__all__ = ["form_fields", "link_post", "phone_post"]


def form_fields(form: Any) -> dict[str, Any]:
    """A form as the gateway takes it: one string a field (the last given),
    a list where a field is given several times (ticked boxes)."""
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        text = value if isinstance(value, str) else ""
        if key in fields:
            previous = fields[key]
            fields[key] = [*previous, text] if isinstance(previous, list) else [previous, text]
        else:
            fields[key] = text
    return fields


async def _post(request: Request, phone: bool) -> Response:
    registry: Registry = request.app.state.registry
    gateway: Gateway = request.app.state.gateway
    token = request.path_params["token"]
    cookie = request.cookies.get(DEVICE_COOKIE)
    device = registry.access.read_device(cookie) if phone else None
    address = request.client.host if request.client else ""
    caller = await gateway.link_caller(
        token, device, address, phone=phone, page_device=registry.access.page_device(cookie)
    )
    fields = form_fields(await request.form())
    csrf = fields.pop("csrf", "")
    registry.access.check_csrf(
        f"{token}:{device}" if phone else token, csrf if isinstance(csrf, str) else ""
    )
    result = await gateway.attempt(caller, fields, form=True)
    if isinstance(result, Refusal):
        flash: dict[str, Any] = dict(result.error.messages())
        again = gateway.again(result, fields)
        if again is not None:  # the same command, with the person's confirmation
            flash["again"] = again.form(request.state.lang)
        return render_screen(request, caller, flash=flash, status=result.error.status)
    prefix = "/j/" if phone else "/s/"
    return RedirectResponse(f"{prefix}{token}", status_code=303)


async def link_post(request: Request) -> Response:
    return await _post(request, phone=False)


async def phone_post(request: Request) -> Response:
    return await _post(request, phone=True)
