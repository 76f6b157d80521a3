"""An attendee's phone (``/j/…``, from a bridge point's QR code): ask, follow
one's own questions, the floor, and upvote approved questions."""

from __future__ import annotations

from session_server.core.model import Question, Role
from session_server.core.text import fold_text
from session_server.web.screens.base import NOTHING_FREQUENT, VOTED, Fragment, Screen, ScreenContext

__all__ = ["SCREEN", "PhoneContext"]


class PhoneContext(ScreenContext):
    PUBLIC_TOP = 20
    """Approved questions a phone's live list shows; the rest by search or "more"."""

    def mine(self) -> list[Question]:
        """This device's questions, the newest first."""
        ids = self.s.by_submitter.get(f"device:{self.device_id}", ())
        return [self.s.questions[q] for q in reversed(ids)]

    def public_list(self, query: str = "") -> list[Question]:
        """The approved questions phones may upvote, most votes first (the
        queue's order among equals); with ``query``, those whose text holds
        it, accents and case aside."""
        if not self.s.public_list_open:
            return []
        questions = (self.s.questions[q] for q in self.s.queue)
        folded = fold_text(query)
        if folded:
            questions = (q for q in questions if folded in fold_text(q.text))
        return sorted(questions, key=lambda q: -q.votes)

    def public_top(self) -> list[Question]:
        return self.public_list()[: self.PUBLIC_TOP]

    def public_count(self) -> int:
        return len(self.s.queue) if self.s.public_list_open else 0


SCREEN = Screen(
    Role.ATTENDEE,
    "phone.html",
    (
        Fragment("_status.html", volatile=True, changed_by=NOTHING_FREQUENT),
        Fragment("_floor_card.html", changed_by=NOTHING_FREQUENT),
        Fragment("_phone_public_count.html", changed_by=NOTHING_FREQUENT),
        Fragment("_phone_public.html", changed_by=VOTED),
        Fragment("_phone_mine.html", personal=True),
    ),
    PhoneContext,
    rank=6,
    prefix="/j/",
)
