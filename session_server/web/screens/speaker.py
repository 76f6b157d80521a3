"""A speaker's tablet or phone: the questions assigned to them, in order."""

from __future__ import annotations

from session_server.core.model import Question, Role
from session_server.core.views import speaker_questions
from session_server.web.screens.base import NOTHING_FREQUENT, Fragment, Screen, ScreenContext

__all__ = ["SCREEN", "SpeakerContext"]


class SpeakerContext(ScreenContext):
    def speaker_list(self) -> list[Question]:
        return speaker_questions(self.s, self.aud.speaker_id or "")


SCREEN = Screen(
    Role.SPEAKER,
    "speaker.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_floor_card.html", changed_by=NOTHING_FREQUENT),
        Fragment("_speaker_list.html", changed_by=NOTHING_FREQUENT),
    ),
    SpeakerContext,
    rank=4,
    scope="speaker",
)
