"""The hall display (projector): the floor's picture and sound, the question
on the floor, who answers, the countdown, what is next."""

from __future__ import annotations

from session_server.core.model import Question, Role
from session_server.web.screens.base import NOTHING_FREQUENT, Fragment, Screen, ScreenContext

__all__ = ["SCREEN", "DisplayContext"]


class DisplayContext(ScreenContext):
    def next_items(self, count: int = 3) -> list[Question]:
        return self.queue()[:count]


SCREEN = Screen(
    Role.DISPLAY,
    "display.html",
    (Fragment("_display.html", changed_by=NOTHING_FREQUENT),),
    DisplayContext,
    rank=1,
    media="view",
    frameable=True,
)
