"""What every organiser page shares: the signed-in organiser, the dialogue
of the page, the values its templates read, and a refused form shown again
with what was typed.

The organiser's pages are plain server-rendered pages and form posts (no
WebSocket). The Origin check and the headers are the middleware's; every
form carries a CSRF token bound to the organiser's session; every change is
a command through the gateway like any other screen's.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from session_server.core.errors import NotFound, Unauthorised
from session_server.core.model import Actor, Role, RoleLink, State
from session_server.core.views import BridgeFairness, fairness
from session_server.web.access import ORGANISER_COOKIE
from session_server.web.gateway import Caller, Gateway
from session_server.web.live.hub import Hub
from session_server.web.registry import Registry
from session_server.web.screens.base import Audience, ScreenContext

__all__ = [
    "ORGANISER",
    "Draft",
    "OrganiserContext",
    "OrganiserPage",
    "SignInNeeded",
    "base_url",
    "caller",
    "check_form",
    "context",
    "dialogue_hub",
    "form_values",
    "last",
    "link_url",
    "render",
    "safe_back",
    "signed_in",
    "split_list",
]

ORGANISER = Actor(Role.ORGANISER)

_BACK = re.compile(r"/o/[A-Za-z0-9_/-]*(\?[A-Za-z0-9=&_-]*)?(#[A-Za-z0-9_-]*)?")


class SignInNeeded(Exception):
    """A page of the organiser's asked for without signing in: the answer is
    the sign-in page, which comes back here (``next``)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class OrganiserContext(ScreenContext):
    def fairness(self) -> list[BridgeFairness]:
        return fairness(self.s)


def context(
    request: Request, state: State, hub: Hub | None = None, *, lang: str | None = None
) -> OrganiserContext:
    """What an organiser page's templates read (in ``lang``, else the
    request's language)."""
    return OrganiserContext(
        state,
        Audience(Role.ORGANISER, lang=lang or request.state.lang),
        media=hub.media if hub is not None else None,
    )


def form_values(form: Any) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        values.setdefault(key, []).append(value if isinstance(value, str) else "")
    return values


def last(values: Mapping[str, list[str]], name: str) -> str:
    found = values.get(name)
    return found[-1] if found else ""


def split_list(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


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
        back = last(values, "back")
        anchor = back.partition("#")[2] if "#" in back else ""
        return cls(last(values, "form"), values, anchor)

    def get(self, form: str, name: str, default: object = "") -> object:
        if not self.form or form != self.form:
            return default
        values = self.values.get(name)
        return values[-1] if values else ""

    def checked(self, form: str, name: str, value: str, default: bool) -> bool:
        if not self.form or form != self.form:
            return default
        return value in split_list(self.values.get(name, []))


@dataclass(frozen=True)
class OrganiserPage:
    """What every organiser page's template gets beside ``v`` and ``s``."""

    page_url: str
    signed_in: bool
    csrf: str
    dialogue_id: str = ""
    flash: str = ""
    draft: Draft = field(default_factory=Draft)
    new_key: str = field(default_factory=lambda: secrets.token_hex(12))
    """Fresh for each page served: its forms' one-time command ids."""


def registry_of(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


async def organiser_cookie(request: Request) -> str | None:
    """The organiser's session cookie, when it names a live session."""
    cookie = request.cookies.get(ORGANISER_COOKIE)
    return cookie if cookie and await registry_of(request).sessions.check(cookie) else None


async def signed_in(request: Request, *, page: bool = True) -> str:
    """The organiser's session: a page without it goes to the sign-in page,
    a download or a fragment is refused (401)."""
    cookie = await organiser_cookie(request)
    if cookie is None:
        if page:
            raise SignInNeeded(safe_back(request.url.path, "/o/"))
        raise Unauthorised("request.unauthorised")
    return cookie


async def dialogue_hub(request: Request) -> Hub:
    """The hub of the page's dialogue (``{dialogue_id}``): one that exists."""
    hub = await registry_of(request).get(request.path_params["dialogue_id"])
    if not hub.session.state.created:
        raise NotFound("dialogue.not_found")
    return hub


def caller(request: Request, hub: Hub) -> tuple[Gateway, Caller]:
    """The gateway, and the organiser as its caller for ``hub``'s dialogue."""
    gateway: Gateway = request.app.state.gateway
    address = request.client.host if request.client else ""
    return gateway, Caller(hub, ORGANISER, address=address)


def check_form(request: Request, cookie: str, values: Mapping[str, list[str]]) -> None:
    """A form of the organiser's carries the token of its session."""
    registry_of(request).access.check_csrf(cookie, last(values, "csrf"))


def safe_back(value: str, default: str) -> str:
    """A path to return to: only the organiser's own pages."""
    if _BACK.fullmatch(value) and "//" not in value:
        return value
    return default


def base_url(request: Request) -> str:
    return registry_of(request).settings.public_url or str(request.base_url).rstrip("/")


def link_url(request: Request, dialogue_id: str, link: RoleLink) -> str:
    token = registry_of(request).access.link_token(dialogue_id, link.link_id)
    prefix = {
        Role.ATTENDEE: "/j/",
        Role.AGENCY: "/a/",
        Role.UNIT_REGISTRAR: "/u/",
        Role.DRAFTER: "/g/",
    }.get(link.role, "/s/")
    return f"{base_url(request)}{prefix}{token}"


def render(
    request: Request, template: str, view: ScreenContext, values: Any, status: int = 200
) -> HTMLResponse:
    html = registry_of(request).renderer.page(template, view, values)
    return HTMLResponse(html, status_code=status)
