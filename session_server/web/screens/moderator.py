"""The moderator's console (podium tablet): screening, the queue by topic,
the floor, floor requests, fairness per bridge point, the pictures' links."""

from __future__ import annotations

import time

from session_server.core.model import Question, QuestionStatus, Role
from session_server.core.views import BridgeFairness, fairness, proposed_speaker, queue_by_topic
from session_server.web.limits import Alert
from session_server.web.screens.base import (
    ASKED,
    NOTHING_FREQUENT,
    VOTED,
    Fragment,
    Screen,
    ScreenContext,
)

__all__ = ["SCREEN", "ModeratorContext"]


class ModeratorContext(ScreenContext):
    INBOX_SHOWN = 100

    HELD_SHOWN = 20

    def inbox(self) -> list[Question]:
        """The oldest questions waiting to be screened, at most INBOX_SHOWN:
        the moderator works from the top, and a screen of thousands would
        cost every push (``inbox_count`` says how many wait). Questions held
        for review are apart (``held``)."""
        return self._waiting(held=False, limit=self.INBOX_SHOWN)

    def inbox_count(self) -> int:
        return sum(
            1
            for q in self.s.questions.values()
            if q.status is QuestionStatus.SUBMITTED and not q.held
        )

    def held(self) -> list[Question]:
        """Questions sent while their bridge point's were held for review."""
        return self._waiting(held=True, limit=self.HELD_SHOWN)

    def held_count(self) -> int:
        return sum(
            1 for q in self.s.questions.values() if q.status is QuestionStatus.SUBMITTED and q.held
        )

    def _waiting(self, held: bool, limit: int) -> list[Question]:
        waiting = []
        for question in self.s.questions.values():
            if question.status is QuestionStatus.SUBMITTED and question.held is held:
                waiting.append(question)
                if len(waiting) == limit:
                    break
        return waiting

    def alerts(self) -> list[Alert]:
        """Addresses sending far more questions than the others, right now."""
        if self.traffic is None:
            return []
        alerts: list[Alert] = self.traffic.alerts(time.monotonic())
        return alerts

    def queue_groups(self) -> list[tuple[str | None, list[Question]]]:
        return list(queue_by_topic(self.s).items())

    def proposed(self, question: Question) -> str | None:
        return proposed_speaker(self.s, question)

    def fairness(self) -> list[BridgeFairness]:
        return fairness(self.s)


SCREEN = Screen(
    Role.MODERATOR,
    "moderator.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_programme.html", changed_by=NOTHING_FREQUENT),
        Fragment("_mod_floor.html", volatile=True, media=True, changed_by=NOTHING_FREQUENT),
        Fragment("_mod_requests.html", changed_by=NOTHING_FREQUENT),
        Fragment("_mod_alerts.html", volatile=True, changed_by=ASKED),
        Fragment("_mod_inbox_head.html", changed_by=ASKED),
        Fragment("_mod_inbox.html", changed_by=ASKED),
        Fragment("_mod_queue_head.html", changed_by=NOTHING_FREQUENT),
        Fragment("_mod_queue.html", changed_by=VOTED),
        Fragment("_fairness.html", changed_by=ASKED),
        Fragment("_media_health.html", volatile=True, media=True, changed_by=NOTHING_FREQUENT),
    ),
    ModeratorContext,
    rank=0,
    recordings=True,
)
