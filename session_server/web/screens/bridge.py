"""A bridge point's console (district laptop): questions from the room, its
own queue, the floor and its request, its camera, check-in at its door
(``screens/checkin.py``); and the camera-only page
of the same link (``/s/…/camera``) for a device by the room's camera."""

from __future__ import annotations

from session_server.core.model import FloorRequest, Question, Role
from session_server.web.screens.base import ASKED, CHECKED, NOTHING_FREQUENT, Fragment, Screen
from session_server.web.screens.checkin import CheckinContext

__all__ = ["SCREEN", "BridgeContext"]


class BridgeContext(CheckinContext):
    def bridge_questions(self) -> list[Question]:
        """This bridge point's questions, the newest first."""
        bridge = self.aud.bridge_id
        return [q for q in self.s.questions.values() if q.bridge_id == bridge][::-1]

    def pending_request(self) -> FloorRequest | None:
        for request in self.s.pending_floor_requests():
            if request.bridge_id == self.aud.bridge_id:
                return request
        return None


SCREEN = Screen(
    Role.BRIDGE_OPERATOR,
    "bridge.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_floor_card.html", changed_by=NOTHING_FREQUENT),
        Fragment("_bridge_request.html", changed_by=NOTHING_FREQUENT),
        Fragment("_bridge_queue.html", changed_by=ASKED),
        Fragment("_checkin_count.html", changed_by=CHECKED),
    ),
    BridgeContext,
    rank=2,
    scope="bridge",
    media="publish",
    pages={"camera": "camera.html"},
)
