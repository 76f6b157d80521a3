"""Commands of the weeks before the day (``core/deciders/preparation.py``):
the preparation timeline, the plan's publication, suggested answers. They
are commands like those of ``core/commands.py`` (the web's models read both
modules, ``web/models.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from session_server.core.commands import Command
from session_server.core.preparation import TaskStatus

__all__ = [
    "ApplyPreparationTemplate",
    "DraftSuggestedAnswer",
    "PublishPlan",
    "RemovePreparationTask",
    "SetPreparationTask",
]


@dataclass(frozen=True)
class ApplyPreparationTemplate(Command):
    """Add the city plan's timeline (``core/preparation.py``), its deadlines
    counted back from the dialogue's day; tasks already there are kept."""


@dataclass(frozen=True)
class SetPreparationTask(Command):
    """Add a task (no ``task_id``: one made from its title) or change one.
    The intake task's deadline is the dialogue's intake deadline: setting it
    here sets that."""

    task_id: str = ""
    title: str = ""
    owner: str = ""
    deadline: datetime | None = None
    status: TaskStatus = TaskStatus.TODO


@dataclass(frozen=True)
class RemovePreparationTask(Command):
    task_id: str


@dataclass(frozen=True)
class PublishPlan(Command):
    """Make the plan's public page reachable (Youth Law 2020, Art. 10); the
    moment is recorded."""


@dataclass(frozen=True)
class DraftSuggestedAnswer(Command):
    """A suggested answer note for a pre-collected question (empty: none),
    seen by its speaker only."""

    question_id: int
    text: str
