"""The organiser's livestream page (``/o/{dialogue_id}/onair``): the
dialogue's RTMP(S) destinations (Facebook Live, YouTube, a portal's media
server), each started and stopped on its own, with its state (connecting,
live with its bitrate, retrying, failed with the reason) refreshed every two
seconds; where the portal's player (HLS) and the day's video are.

A stream key is typed once, into a password field, and never shown again:
the page shows its masked form only (``media/destinations.py``). A form that
is refused gives back what was typed except the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from session_server.core.errors import InvalidInput, SessionError
from session_server.media.broadcast import Broadcast
from session_server.media.destinations import Destination
from session_server.media.onair import DestinationStatus
from session_server.web.live.hub import Hub
from session_server.web.screens.organiser.common import (
    Draft,
    OrganiserPage,
    check_form,
    context,
    dialogue_hub,
    form_values,
    last,
    registry_of,
    render,
    signed_in,
)

__all__ = ["OnAirPage", "onair", "onair_status"]

ACTIONS = frozenset({"add", "start", "stop", "remove"})


@dataclass(frozen=True)
class OnAirPage(OrganiserPage):
    post_url: str = ""
    back: str = ""
    available: bool = False
    """Whether this server streams (media on, ``ONAIR`` not off)."""
    on_air: bool = False
    """Whether the outputs run now (the day is live)."""
    rows: list[tuple[Destination, DestinationStatus]] = field(default_factory=list)
    hls_url: str = ""
    video_url: str = ""
    chapters_url: str = ""


def _broadcast(hub: Hub) -> Broadcast | None:
    return hub.media.broadcast if hub.media is not None else None


def _values(request: Request, hub: Hub, cookie: str, flash: str, draft: Draft) -> OnAirPage:
    broadcast = _broadcast(hub)
    base = f"/r/{hub.dialogue_id}"
    return OnAirPage(
        page_url=f"/o/{hub.dialogue_id}/onair",
        signed_in=True,
        csrf=registry_of(request).access.csrf_token(cookie),
        dialogue_id=hub.dialogue_id,
        flash=flash,
        draft=draft,
        post_url=f"/o/{hub.dialogue_id}/onair",
        back=f"/o/{hub.dialogue_id}/onair",
        available=broadcast is not None,
        on_air=broadcast is not None and broadcast.onair is not None,
        rows=broadcast.destinations() if broadcast is not None else [],
        hls_url=f"{base}/live/index.m3u8",
        video_url=f"{base}/video.mp4",
        chapters_url=f"{base}/chapters.vtt",
    )


def _page(
    request: Request,
    hub: Hub,
    cookie: str,
    flash: str = "",
    status: int = 200,
    draft: Draft | None = None,
) -> Response:
    values = _values(request, hub, cookie, flash, draft or Draft())
    view = context(request, hub.session.state, hub)
    return render(request, "organiser_onair.html", view, values, status)


async def onair(request: Request) -> Response:
    if request.method == "POST":
        return await _act(request)
    cookie = await signed_in(request)
    hub = await dialogue_hub(request)
    return _page(request, hub, cookie)


async def onair_status(request: Request) -> Response:
    """The destinations' table alone (polled by the page)."""
    cookie = await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    values = _values(request, hub, cookie, "", Draft())
    view = context(request, hub.session.state, hub)
    html = registry_of(request).renderer.page("_onair_destinations.html", view, values)
    return HTMLResponse(html)


async def _act(request: Request) -> Response:
    cookie = await signed_in(request, page=False)
    hub = await dialogue_hub(request)
    values = form_values(await request.form())
    check_form(request, cookie, values)
    action = last(values, "action")
    broadcast = _broadcast(hub)
    try:
        if broadcast is None:
            raise InvalidInput("onair.off")
        if action not in ACTIONS:
            raise InvalidInput("command.unknown")
        dest_id = last(values, "dest_id")
        if action == "add":
            broadcast.store.add(last(values, "label"), last(values, "url"), last(values, "key"))
        elif action == "start":
            broadcast.start_destination(dest_id)
        elif action == "stop":
            broadcast.stop_destination(dest_id)
        else:
            broadcast.remove_destination(dest_id)
    except SessionError as error:
        kept = {k: v for k, v in values.items() if k != "key"}  # the key is never echoed
        flash = error.message(request.state.lang)
        return _page(request, hub, cookie, flash, error.status, Draft.of(kept))
    return RedirectResponse(f"/o/{hub.dialogue_id}/onair#onair-destinations", status_code=303)
