"""The published plan of a dialogue (``/p/{dialogue_id}``): no sign-in, no
personal data. The Youth Law 2020 (Art. 10) wants the plan and the
programme public before the dialogue: once the organiser publishes it
(``PublishPlan``, the moment recorded), anybody can read the theme, the
date, the place and the bridge points, the programme with its planned
times, how and until when to send questions, and the QR code of the main
venue's attendee link (the one token a public page may show: it is printed
on the hall's poster anyway). Nothing else: no operator, no asker, no
phone number, no other link.

The page's body is ``_plan_body.html``; ``plan.html`` puts the programme's
player above it (``_live_player.html``: the live stream while the dialogue
is live, the day's video once it is closed)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from session_server.core.errors import NotFound
from session_server.core.model import BridgePoint, Phase, Role, State
from session_server.export.mc_script import PlannedItem, planned_items
from session_server.web.registry import Registry
from session_server.web.screens.base import Audience, ScreenContext
from session_server.web.screens.onair import OnAir, on_air
from session_server.web.screens.organiser.links import qr_svg_bytes

__all__ = ["PlanPage", "main_attendee_url", "public_plan"]


@dataclass(frozen=True)
class PlanPage:
    page_url: str
    main: BridgePoint | None
    remote: list[BridgePoint]
    items: list[PlannedItem]
    attendee_url: str
    """The main venue's attendee link ("" when it has none active)."""
    qr_data_uri: str
    """Its QR code, an SVG as a ``data:`` URI ("" without a link)."""
    questions_open: bool
    """Whether questions are still taken (the dialogue is not closed)."""
    on_air: OnAir | None = None
    """The programme's live stream or the day's video (``_live_player.html``)."""


def main_attendee_url(registry: Registry, dialogue_id: str, state: State, base: str) -> str:
    """The main venue's first active attendee link, or ""."""
    main = state.main_bridge()
    if main is None:
        return ""
    for link in state.links.values():
        if link.active and link.role is Role.ATTENDEE and link.bridge_id == main.bridge_id:
            return f"{base}/j/{registry.access.link_token(dialogue_id, link.link_id)}"
    return ""


async def public_plan(request: Request) -> Response:
    registry: Registry = request.app.state.registry
    dialogue_id = request.path_params["dialogue_id"]
    hub = await registry.get(dialogue_id)
    state = hub.session.state
    if not state.created or state.preparation.plan_published_at is None:
        raise NotFound("dialogue.not_found")
    base = registry.settings.public_url or str(request.base_url).rstrip("/")
    url = main_attendee_url(registry, dialogue_id, state, base)
    qr = base64.b64encode(qr_svg_bytes(url)).decode("ascii") if url else ""
    main = state.main_bridge()
    values = PlanPage(
        page_url=f"/p/{dialogue_id}",
        main=main,
        remote=[b for b in state.bridges.values() if b is not main],
        items=planned_items(state),
        attendee_url=url,
        qr_data_uri=f"data:image/svg+xml;base64,{qr}" if qr else "",
        questions_open=state.dialogue.phase is not Phase.CLOSED,
        on_air=on_air(registry, hub),
    )
    view = ScreenContext(state, Audience(Role.DISPLAY, lang=request.state.lang))
    html = registry.renderer.page("plan.html", view, values)
    return HTMLResponse(html)  # public: cached a minute, no referrer (web/middleware.py)
