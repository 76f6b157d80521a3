"""Check-in at a bridge point's door (``/s/…`` of a ``checkin`` link, a
phone or a second device): a delegate's QR code read by the device's camera
(``static/js/checkin.js`` with the vendored jsQR), a name searched among
who is expected here, walk-ins counted. Every check-in is a
``CheckInDelegate`` and every count a ``CountWalkIns`` sent through the
outbox (``static/js/outbox.js``): kept while the link is down, sent once.

The bridge console has the same card (:class:`CheckinContext` is its
context's base), and the moderator sees the figures of every bridge point.

The live push after a check-in carries the figures and the latest few
check-ins only (``_checkin_count.html``): never the list of who is expected,
which is a thousand names at a provincial venue. A name is searched on the
server as it is typed (``people_page``, ``/s/{token}/people?q=…``), a
bounded answer for this door's bridge point alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from session_server.core.errors import Forbidden
from session_server.core.model import Role
from session_server.core.registration import CheckIn, Delegate
from session_server.core.roster import (
    SEARCH_MAX_CHARS,
    BridgeAttendance,
    attendance,
    find_expected,
)
from session_server.web.screens.base import (
    CHECKED,
    NOTHING_FREQUENT,
    Fragment,
    Screen,
    ScreenContext,
)

if TYPE_CHECKING:
    from session_server.web.gateway import Gateway
    from session_server.web.registry import Registry

__all__ = ["SCREEN", "CheckinContext", "PeopleFound", "people_page"]

DOORS = (Role.CHECK_IN, Role.BRIDGE_OPERATOR)
"""The links whose screen has a door's check-in card."""


class CheckinContext(ScreenContext):
    RECENT = 5
    """Check-ins the door sees, the newest first (who just came in)."""

    SEARCH_MAX = SEARCH_MAX_CHARS

    def door(self) -> BridgeAttendance | None:
        """This bridge point's figures (checked in, expected, walk-ins)."""
        return next((r for r in attendance(self.s) if r.bridge_id == self.aud.bridge_id), None)

    def attendance(self) -> list[BridgeAttendance]:
        return attendance(self.s)

    def attendance_total(self) -> tuple[int, int]:
        """(present, expected) at every bridge point together."""
        rows = attendance(self.s)
        return sum(r.present for r in rows), sum(r.expected for r in rows)

    def recent(self) -> list[tuple[Delegate, str]]:
        """The latest check-ins here: (person, time)."""
        here = [c for c in self.s.roster.check_ins.values() if c.bridge_id == self.aud.bridge_id]
        return [
            (self.s.roster.delegates[c.delegate_id], self.hm(c.at))
            for c in here[-self.RECENT :][::-1]
            if c.delegate_id in self.s.roster.delegates
        ]


@dataclass(frozen=True)
class PeopleFound:
    """A door's name search: who it found (at most FOUND_SHOWN, each with
    their check-in if any) and how many match in all."""

    found: list[tuple[Delegate, CheckIn | None]]
    total: int
    query: str


FOUND_SHOWN = 20
"""The most people a name search answers with: type more to narrow it."""


async def people_page(request: Request) -> Response:
    """``/s/{token}/people?q=…``: who is expected at this door's bridge
    point and matches ``q`` (each word begins a word of their name or unit,
    accents aside), the options of the check-in card's list. Checked-in
    people come as such, not to be chosen. For a door's links only."""
    gateway: Gateway = request.app.state.gateway
    registry: Registry = request.app.state.registry
    address = request.client.host if request.client else ""
    caller = await gateway.link_caller(request.path_params["token"], None, address, phone=False)
    if caller.actor.role not in DOORS or caller.actor.bridge_id is None:
        raise Forbidden("role.forbidden", role=caller.actor.role.value)
    # a door types a few letters at a time; a script on its link is slowed down
    link_id = caller.link.link_id if caller.link is not None else ""
    registry.socket_limit.hit(f"people:{link_id}:{address}", registry.clock())
    query = request.query_params.get("q", "")[:SEARCH_MAX_CHARS]
    state = caller.hub.session.state
    found, total = find_expected(state, caller.actor.bridge_id, query, FOUND_SHOWN)
    view = caller.hub.context(SCREEN.audience(caller.actor, request.state.lang))
    html = registry.renderer.page("_checkin_found.html", view, PeopleFound(found, total, query))
    return HTMLResponse(html)


SCREEN = Screen(
    Role.CHECK_IN,
    "checkin.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_checkin_count.html", changed_by=CHECKED),
    ),
    CheckinContext,
    rank=5,
    scope="bridge",
)
