"""Events of the weeks before the day (``core/deciders/preparation.py``),
logged like those of ``core/events.py`` (which adds them to ``EVENT_TYPES``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from session_server.core.events import Event
from session_server.core.preparation import TaskStatus

__all__ = [
    "PREPARATION_EVENTS",
    "PlanPublished",
    "PreparationTaskRemoved",
    "PreparationTaskSet",
    "SuggestedAnswerDrafted",
]


@dataclass(frozen=True)
class PreparationTaskSet(Event):
    name: ClassVar[str] = "PreparationTaskSet"
    task_id: str
    title: str
    owner: str
    deadline: datetime | None
    """None for the intake task: its deadline is the dialogue's."""
    status: TaskStatus
    intake: bool = False


@dataclass(frozen=True)
class PreparationTaskRemoved(Event):
    name: ClassVar[str] = "PreparationTaskRemoved"
    task_id: str


@dataclass(frozen=True)
class PlanPublished(Event):
    """The plan's public page went up, at ``at``."""

    name: ClassVar[str] = "PlanPublished"


@dataclass(frozen=True)
class SuggestedAnswerDrafted(Event):
    name: ClassVar[str] = "SuggestedAnswerDrafted"
    question_id: int
    text: str
    """Empty: the note was withdrawn."""
    author: str


PREPARATION_EVENTS: tuple[type[Event], ...] = (
    PreparationTaskSet,
    PreparationTaskRemoved,
    PlanPublished,
    SuggestedAnswerDrafted,
)
