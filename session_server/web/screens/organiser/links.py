"""A dialogue's role links (``/o/{dialogue_id}/links``: issue, revoke) and
the QR codes of its attendee links (one SVG each, a printable sheet)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import segno
from starlette.requests import Request
from starlette.responses import Response

from session_server.core.errors import Forbidden, NotFound
from session_server.core.links import standard_links
from session_server.core.model import BridgePoint, Role, RoleLink, State
from session_server.web.live.hub import Hub
from session_server.web.screens.base import ScreenContext
from session_server.web.screens.organiser.common import (
    ORGANISER,
    Draft,
    OrganiserPage,
    context,
    dialogue_hub,
    link_url,
    registry_of,
    render,
    signed_in,
)

__all__ = [
    "LINK_ROLES",
    "LinksPage",
    "QrPage",
    "links",
    "links_page",
    "qr_sheet",
    "qr_svg",
    "qr_svg_bytes",
]

LINK_ROLES: tuple[Role, ...] = (
    Role.MODERATOR,
    Role.SECRETARY,
    Role.BRIDGE_OPERATOR,
    Role.DISPLAY,
    Role.ATTENDEE,
    Role.SPEAKER,
)
"""Roles a link can be issued for, in the order the links page lists them."""


@dataclass(frozen=True)
class LinksPage(OrganiserPage):
    post_url: str = ""
    back: str = ""
    links: list[tuple[RoleLink, str]] = field(default_factory=list)
    link_roles: tuple[Role, ...] = LINK_ROLES
    missing: int = 0


@dataclass(frozen=True)
class QrPage(OrganiserPage):
    sheets: list[tuple[BridgePoint, RoleLink, str]] = field(default_factory=list)
    without: list[BridgePoint] = field(default_factory=list)
    vi: ScreenContext | None = None
    en: ScreenContext | None = None


def sorted_links(state: State) -> list[RoleLink]:
    bridges = list(state.bridges)
    speakers = list(state.speakers)

    def key(link: RoleLink) -> tuple[int, int, int, str]:
        bridge = bridges.index(link.bridge_id) if link.bridge_id in bridges else len(bridges)
        speaker = speakers.index(link.speaker_id) if link.speaker_id in speakers else 0
        issued = link.issued_at.isoformat() if link.issued_at else ""
        return (
            LINK_ROLES.index(link.role) if link.role in LINK_ROLES else len(LINK_ROLES),
            bridge,
            speaker,
            issued,
        )

    return sorted(state.links.values(), key=key)


def links_page(
    request: Request,
    hub: Hub,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> Response:
    state = hub.session.state
    values = LinksPage(
        page_url=f"/o/{hub.dialogue_id}/links",
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        flash=flash,
        draft=draft or Draft(),
        post_url=f"/o/{hub.dialogue_id}/act",
        back=f"/o/{hub.dialogue_id}/links",
        links=[
            (link, link_url(request, hub.dialogue_id, link) if link.active else "")
            for link in sorted_links(state)
        ],
        missing=len(standard_links(state, ORGANISER, lambda: "")),
    )
    return render(request, "organiser_links.html", context(request, state), values, status)


async def links(request: Request) -> Response:
    cookie = await signed_in(request)
    return links_page(request, await dialogue_hub(request), cookie)


def qr_svg_bytes(url: str) -> bytes:
    """``url`` as a QR code (error correction M) in SVG, sized by its viewBox."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=6, border=4, xmldecl=False, omitsize=True, light="#fff"
    )
    return buffer.getvalue()


async def qr_svg(request: Request) -> Response:
    await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    link = hub.session.state.links.get(request.path_params["link_id"])
    if link is None or link.role is not Role.ATTENDEE:
        raise NotFound("link.not_found")
    if not link.active:
        raise Forbidden("link.revoked")
    return Response(
        qr_svg_bytes(link_url(request, hub.dialogue_id, link)), media_type="image/svg+xml"
    )


async def qr_sheet(request: Request) -> Response:
    cookie = await signed_in(request)
    hub = await dialogue_hub(request)
    state = hub.session.state
    sheets = []
    without = []
    for bridge in state.bridges.values():
        found = [
            link
            for link in sorted_links(state)
            if link.role is Role.ATTENDEE and link.bridge_id == bridge.bridge_id and link.active
        ]
        if not found:
            without.append(bridge)
        for link in found:
            sheets.append((bridge, link, link_url(request, hub.dialogue_id, link)))
    values = QrPage(
        page_url=f"/o/{hub.dialogue_id}/qr",
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        sheets=sheets,
        without=without,
        vi=context(request, state, lang="vi"),
        en=context(request, state, lang="en"),
    )
    return render(request, "organiser_qr.html", context(request, state), values)
