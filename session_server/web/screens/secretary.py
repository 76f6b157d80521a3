"""The secretary's laptop: the answer summary and commitments of the
question on the floor and of every question dealt with, with recordings."""

from __future__ import annotations

from session_server.core.model import Question, QuestionStatus, Role
from session_server.web.screens.base import NOTHING_FREQUENT, Fragment, Screen, ScreenContext

__all__ = ["SCREEN", "SecretaryContext"]

_DEALT_WITH = (QuestionStatus.ANSWERED, QuestionStatus.FORWARDED, QuestionStatus.DEFERRED)


class SecretaryContext(ScreenContext):
    def closed_questions(self) -> list[Question]:
        """Every question dealt with, the latest first."""
        return sorted(
            (q for q in self.s.questions.values() if q.status in _DEALT_WITH),
            key=lambda q: q.closed_at or q.submitted_at,
            reverse=True,
        )


SCREEN = Screen(
    Role.SECRETARY,
    "secretary.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_sec_floor.html", changed_by=NOTHING_FREQUENT),
        Fragment("_sec_record.html", changed_by=NOTHING_FREQUENT),
    ),
    SecretaryContext,
    rank=3,
    recordings=True,
)
