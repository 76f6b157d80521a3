"""A speaker's tablet or phone: the questions assigned to them, in order,
each pre-collected one with its suggested answer note when one was drafted
(``core/preparation.py``; no other screen shows it)."""

from __future__ import annotations

from session_server.core.model import Question, Role
from session_server.core.preparation import SuggestedAnswer
from session_server.core.views import speaker_questions
from session_server.web.screens.base import NOTHING_FREQUENT, Fragment, Screen, ScreenContext

__all__ = ["SCREEN", "SpeakerContext"]


class SpeakerContext(ScreenContext):
    def speaker_list(self) -> list[Question]:
        return speaker_questions(self.s, self.aud.speaker_id or "")

    def suggested(self, question: Question) -> SuggestedAnswer | None:
        """The note drafted for one of this speaker's questions."""
        return self.s.preparation.suggested_answers.get(question.question_id)


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
