"""Check-in at a bridge point's door (``/s/…`` of a ``checkin`` link, a
phone or a second device): a delegate's QR code read by the device's camera
(``static/js/checkin.js`` with the vendored jsQR), a name searched in the
list of who is expected here, walk-ins counted. Every check-in is a
``CheckInDelegate`` and every count a ``CountWalkIns`` sent through the
outbox (``static/js/outbox.js``): kept while the link is down, sent once.

The bridge console has the same card (:class:`CheckinContext` is its
context's base), and the moderator sees the figures of every bridge point.
"""

from __future__ import annotations

from session_server.core.model import Role
from session_server.core.registration import Delegate
from session_server.core.roster import BridgeAttendance, attendance, expected_bridge
from session_server.core.text import fold_text
from session_server.web.screens.base import (
    CHECKED,
    NOTHING_FREQUENT,
    Fragment,
    Screen,
    ScreenContext,
)

__all__ = ["SCREEN", "CheckinContext"]


class CheckinContext(ScreenContext):
    RECENT = 5
    """Check-ins the door sees, the newest first (who just came in)."""

    def door(self) -> BridgeAttendance | None:
        """This bridge point's figures (checked in, expected, walk-ins)."""
        return next((r for r in attendance(self.s) if r.bridge_id == self.aud.bridge_id), None)

    def attendance(self) -> list[BridgeAttendance]:
        return attendance(self.s)

    def attendance_total(self) -> tuple[int, int]:
        """(present, expected) at every bridge point together."""
        rows = attendance(self.s)
        return sum(r.present for r in rows), sum(r.expected for r in rows)

    def expected_here(self) -> list[Delegate]:
        """Who is expected at this bridge point and not yet checked in, by
        name (accents aside): what a name search looks through."""
        waiting = [
            d
            for d in self.s.roster.delegates.values()
            if d.delegate_id not in self.s.roster.check_ins
            and expected_bridge(self.s, d) == self.aud.bridge_id
        ]
        return sorted(waiting, key=lambda d: fold_text(d.name))

    def folded(self, text: str) -> str:
        return fold_text(text)

    def recent(self) -> list[tuple[Delegate, str]]:
        """The latest check-ins here: (person, time)."""
        here = [c for c in self.s.roster.check_ins.values() if c.bridge_id == self.aud.bridge_id]
        return [
            (self.s.roster.delegates[c.delegate_id], self.hm(c.at))
            for c in here[-self.RECENT :][::-1]
            if c.delegate_id in self.s.roster.delegates
        ]


SCREEN = Screen(
    Role.CHECK_IN,
    "checkin.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_checkin_count.html", changed_by=CHECKED),
        Fragment("_checkin_people.html", changed_by=CHECKED),
    ),
    CheckinContext,
    rank=5,
    scope="bridge",
)
