"""A question's lifecycle: which status changes are legal, and how.

A command changes a question's status only along :data:`COMMAND_TRANSITIONS`
(checked by :func:`transition`). One change no command asks for:
:data:`RETURN_TO_QUEUE`, a question on the floor going back to ``approved``
when the floor is taken back unanswered (``FloorReleased`` with the question
returned, made only by :func:`floor_taken_back`). So approving a question on
the floor is refused by the table, not by a special case.
"""

from __future__ import annotations

from datetime import datetime

from session_server.core import events as e
from session_server.core.errors import IllegalTransition
from session_server.core.model import Question, QuestionStatus, State

__all__ = [
    "COMMAND_TRANSITIONS",
    "LEGAL_TRANSITIONS",
    "RETURN_TO_QUEUE",
    "floor_taken_back",
    "transition",
]

_S = QuestionStatus

COMMAND_TRANSITIONS: dict[QuestionStatus, frozenset[QuestionStatus]] = {
    _S.SUBMITTED: frozenset({_S.APPROVED, _S.REJECTED, _S.MERGED}),
    _S.APPROVED: frozenset({_S.ON_FLOOR, _S.MERGED, _S.FORWARDED, _S.DEFERRED}),
    _S.ON_FLOOR: frozenset({_S.ANSWERED, _S.FORWARDED, _S.DEFERRED}),
    _S.REJECTED: frozenset(),
    _S.MERGED: frozenset(),
    _S.ANSWERED: frozenset(),
    _S.FORWARDED: frozenset(),
    _S.DEFERRED: frozenset(),
}
"""Status changes a command may make. Beyond the plan's lifecycle: an
approved question may be merged (a duplicate found late) or forwarded /
deferred without taking the floor (outside the host's authority)."""

RETURN_TO_QUEUE: dict[QuestionStatus, frozenset[QuestionStatus]] = {
    _S.ON_FLOOR: frozenset({_S.APPROVED}),
}
"""The floor's return: a question on the floor goes back to ``approved`` (at
the head of the queue) when the floor is taken back unanswered. Only
``FloorReleased`` does it; no command may ask for it."""

LEGAL_TRANSITIONS: dict[QuestionStatus, frozenset[QuestionStatus]] = {
    status: allowed | RETURN_TO_QUEUE.get(status, frozenset())
    for status, allowed in COMMAND_TRANSITIONS.items()
}
"""Every status change a question may make: what commands may do, and the
floor's return."""


def transition(question: Question, to: QuestionStatus) -> None:
    """Refuse a command's status change that :data:`COMMAND_TRANSITIONS` does
    not allow."""
    if to not in COMMAND_TRANSITIONS[question.status]:
        raise IllegalTransition(
            "question.illegal_transition",
            question=question.question_id,
            status=question.status.value,
            to=to.value,
        )


def floor_taken_back(state: State, now: datetime) -> e.FloorReleased:
    """The floor taken back unanswered (released, or the dialogue closing):
    the question on it, if any, returns to the queue (:data:`RETURN_TO_QUEUE`)."""
    return e.FloorReleased(at=now, returned_question_id=state.floor.question_id)
