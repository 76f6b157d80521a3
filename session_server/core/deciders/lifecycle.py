"""A question's lifecycle: which status changes are legal."""

from __future__ import annotations

from session_server.core.errors import IllegalTransition
from session_server.core.model import Question, QuestionStatus

__all__ = ["LEGAL_TRANSITIONS", "transition"]

LEGAL_TRANSITIONS: dict[QuestionStatus, frozenset[QuestionStatus]] = {
    QuestionStatus.SUBMITTED: frozenset(
        {QuestionStatus.APPROVED, QuestionStatus.REJECTED, QuestionStatus.MERGED}
    ),
    QuestionStatus.APPROVED: frozenset(
        {
            QuestionStatus.ON_FLOOR,
            QuestionStatus.MERGED,
            QuestionStatus.FORWARDED,
            QuestionStatus.DEFERRED,
        }
    ),
    QuestionStatus.ON_FLOOR: frozenset(
        {
            QuestionStatus.ANSWERED,
            QuestionStatus.FORWARDED,
            QuestionStatus.DEFERRED,
            QuestionStatus.APPROVED,
        }
    ),
    QuestionStatus.REJECTED: frozenset(),
    QuestionStatus.MERGED: frozenset(),
    QuestionStatus.ANSWERED: frozenset(),
    QuestionStatus.FORWARDED: frozenset(),
    QuestionStatus.DEFERRED: frozenset(),
}
"""Status changes a question may make. Beyond the plan's lifecycle: an
approved question may be merged (a duplicate found late) or forwarded /
deferred without taking the floor (outside the host's authority), and a
question on the floor returns to ``approved`` when the floor is taken back
unanswered."""


def transition(question: Question, to: QuestionStatus) -> None:
    if to not in LEGAL_TRANSITIONS[question.status]:
        raise IllegalTransition(
            "question.illegal_transition",
            question=question.question_id,
            status=question.status.value,
            to=to.value,
        )
