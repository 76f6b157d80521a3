"""The hall display (projector): the floor's picture and sound, the question
on the floor, who answers, the countdown, what is next."""

from __future__ import annotations

from session_server.core.model import BridgeKind, Question, Role
from session_server.web.screens.base import NOTHING_FREQUENT, Fragment, Screen, ScreenContext

__all__ = ["SCREEN", "DisplayContext"]


class DisplayContext(ScreenContext):
    def next_items(self, count: int = 3) -> list[Question]:
        return self.queue()[:count]

    def picture(self) -> str | None:
        """The bridge point whose picture the display shows: the floor
        holder's, else the main venue's, when live (as the programme picks)."""
        if not self.media_on():
            return None
        main = next((b for b, p in self.s.bridges.items() if p.kind is BridgeKind.MAIN), None)
        for candidate in (self.s.floor.holder, main):
            if candidate and self.feed_live(candidate):
                return candidate
        return None


SCREEN = Screen(
    Role.DISPLAY,
    "display.html",
    (
        Fragment("_display.html", changed_by=NOTHING_FREQUENT),
        Fragment("_display_slate.html", volatile=True, media=True, changed_by=NOTHING_FREQUENT),
    ),
    DisplayContext,
    rank=1,
    media="view",
    frameable=True,
)
