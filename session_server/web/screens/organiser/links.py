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
from session_server.web.screens.overlay import feed_url, overlay_url

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
    groups: list[tuple[str, str, list[tuple[RoleLink, str]]]] = field(default_factory=list)
    """(bridge id or "", heading, links): the links of each bridge point,
    then those of no bridge point (speakers, the moderator, agencies)."""
    link_roles: tuple[Role, ...] = LINK_ROLES
    missing: int = 0
    confirm: RoleLink | None = None
    """A link the organiser asked to revoke, waiting for confirmation."""
    broadcast: dict[str, tuple[str, str]] = field(default_factory=dict)
    """A hall display's link id → its broadcast overlay's page and JSON
    feed (``screens/overlay.py``), beside the display's own link."""


@dataclass(frozen=True)
class QrPage(OrganiserPage):
    sheets: list[tuple[BridgePoint, RoleLink, str]] = field(default_factory=list)
    without: list[BridgePoint] = field(default_factory=list)
    staff: list[tuple[BridgePoint, list[tuple[str, RoleLink, str]]]] = field(default_factory=list)
    """On one bridge point's sheet: its staff's links (operator console,
    camera page, hall display) as (what, link, url), printed on a page of
    their own, never on the attendees' poster."""
    vi: ScreenContext | None = None
    en: ScreenContext | None = None


SHEET_ROLES = frozenset({Role.ATTENDEE, Role.BRIDGE_OPERATOR, Role.DISPLAY})
"""Links a QR code is drawn for: the attendees' and a bridge point's staff's."""


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
    confirm: RoleLink | None = None,
) -> Response:
    state = hub.session.state
    shown = [
        (link, link_url(request, hub.dialogue_id, link) if link.active else "")
        for link in sorted_links(state)
    ]
    groups: list[tuple[str, str, list[tuple[RoleLink, str]]]] = [
        (b.bridge_id, b.name, [row for row in shown if row[0].bridge_id == b.bridge_id])
        for b in state.bridges.values()
    ]
    rest = [row for row in shown if row[0].bridge_id not in state.bridges]
    if rest:
        groups.append(("", "", rest))
    values = LinksPage(
        page_url=f"/o/{hub.dialogue_id}/links",
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        flash=flash,
        draft=draft or Draft(),
        post_url=f"/o/{hub.dialogue_id}/act",
        back=f"/o/{hub.dialogue_id}/links",
        links=shown,
        groups=groups,
        missing=len(standard_links(state, ORGANISER, lambda: "")),
        confirm=confirm,
        broadcast={
            link.link_id: (overlay_url(url), feed_url(url))
            for link, url in shown
            if link.role is Role.DISPLAY and url
        },
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
    if link is None or link.role not in SHEET_ROLES:
        raise NotFound("link.not_found")
    if not link.active:
        raise Forbidden("link.revoked")
    url = link_url(request, hub.dialogue_id, link)
    if link.role is Role.BRIDGE_OPERATOR and request.query_params.get("page") == "camera":
        url += "/camera"
    return Response(qr_svg_bytes(url), media_type="image/svg+xml")


async def qr_sheet(request: Request) -> Response:
    cookie = await signed_in(request)
    hub = await dialogue_hub(request)
    state = hub.session.state
    sheets = []
    without = []
    staff = []
    only = request.query_params.get("bridge", "")
    for bridge in state.bridges.values():
        if only and bridge.bridge_id != only:
            continue
        if only:
            rows = []
            for link in sorted_links(state):
                if link.bridge_id != bridge.bridge_id or not link.active:
                    continue
                url = link_url(request, hub.dialogue_id, link)
                if link.role is Role.BRIDGE_OPERATOR:
                    rows += [("operator", link, url), ("camera", link, url + "/camera")]
                elif link.role is Role.DISPLAY:
                    rows.append(("display", link, url))
            staff.append((bridge, rows))
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
        staff=staff,
        vi=context(request, state, lang="vi"),
        en=context(request, state, lang="en"),
    )
    return render(request, "organiser_qr.html", context(request, state), values)
