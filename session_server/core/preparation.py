"""Before the day: the preparation timeline, the published plan and the
suggested answers, as data and read-side rules.

The city plan (``reference/``) sets its milestones relative to the day of
the dialogue (D): the plan issued at D−15, the programme, keynote and
directive speeches drafted by D−9, the questions compiled by 16:00 at D−8,
the programme and the MC's script finalised at D−7, a progress report at
D−6. :data:`CITY_PLAN_TIMELINE` holds them; the organiser starts from it and
edits each task (owner unit, deadline, status).

The question intake is one of these tasks, and its deadline is one value:
the dialogue's intake deadline (``Dialogue.intake_deadline``, the deadline a
phone's question is checked against). The intake task holds no deadline of
its own; :func:`task_deadline` reads the dialogue's, and editing the task's
deadline sets the dialogue's (``core/deciders/preparation.py``).

The Youth Law 2020 (Art. 10) wants the plan and the programme public before
the dialogue: :data:`PUBLICATION_NOTICE_DAYS` is how long before the day the
organiser is warned to publish it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from session_server.core.model import State

__all__ = [
    "CITY_PLAN_TIMELINE",
    "INTAKE_TASK_ID",
    "PUBLICATION_NOTICE_DAYS",
    "Preparation",
    "PreparationTask",
    "SuggestedAnswer",
    "TaskStatus",
    "TaskTemplate",
    "overdue_tasks",
    "publication_warning",
    "task_deadline",
    "task_overdue",
    "template_deadline",
    "timeline",
]

PUBLICATION_NOTICE_DAYS = 30
"""Days before the dialogue its plan should be public, at the latest."""

INTAKE_TASK_ID = "tong-hop-cau-hoi"
"""The template's question intake task."""


class TaskStatus(enum.StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"


@dataclass
class PreparationTask:
    task_id: str
    title: str
    owner: str = ""
    """The unit in charge (a union base, a department)."""
    deadline: datetime | None = None
    """Unused for the intake task (:func:`task_deadline`)."""
    status: TaskStatus = TaskStatus.TODO
    intake: bool = False
    """The question intake: its deadline is the dialogue's intake deadline."""


@dataclass(frozen=True)
class SuggestedAnswer:
    """A note drafted for a pre-collected question (gợi ý nội dung trả lời),
    for its speaker's eyes only: never on a public screen, an export for the
    public or a phone."""

    question_id: int
    text: str
    author: str
    """The unit or agency whose link drafted it (or the organiser)."""
    drafted_at: datetime


@dataclass
class Preparation:
    """What the state holds of the weeks before the day."""

    tasks: dict[str, PreparationTask] = field(default_factory=dict)
    """In the order they were added (the page sorts them by deadline)."""
    plan_published_at: datetime | None = None
    suggested_answers: dict[int, SuggestedAnswer] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskTemplate:
    task_id: str
    title: str
    owner: str
    days_before: int
    at: time
    """The time of day, Vietnam time, on that day."""
    intake: bool = False


_END_OF_DAY = time(17, 0)
"""A deadline given as a day ends with the office day."""

CITY_PLAN_TIMELINE: tuple[TaskTemplate, ...] = (
    TaskTemplate(
        "ban-hanh-ke-hoach",
        "Dự thảo, trình và ban hành Kế hoạch tổ chức đối thoại",
        "Ban Thường vụ Đoàn Khối",
        15,
        _END_OF_DAY,
    ),
    TaskTemplate(
        "du-thao-chuong-trinh",
        "Dự thảo Chương trình, báo cáo đề dẫn và các phát biểu chỉ đạo",
        "Chi đoàn cơ sở Sở Nội vụ",
        9,
        _END_OF_DAY,
    ),
    TaskTemplate(
        INTAKE_TASK_ID,
        "Tổng hợp câu hỏi từ các tổ chức cơ sở đoàn",
        "Chi đoàn cơ sở Văn phòng Ủy ban nhân dân thành phố",
        8,
        time(16, 0),
        intake=True,
    ),
    TaskTemplate(
        "hoan-chinh-kich-ban",
        "Hoàn chỉnh Chương trình, Kịch bản trình Ban Thường vụ thống nhất",
        "Chi đoàn cơ sở Sở Nội vụ",
        7,
        _END_OF_DAY,
    ),
    TaskTemplate(
        "bao-cao-tien-do",
        "Báo cáo tiến độ thực hiện",
        "Ban Thường vụ Đoàn Khối",
        6,
        _END_OF_DAY,
    ),
)
"""The city plan's preparation timeline (``reference/000_…``), relative to D."""


def template_deadline(starts_at: datetime, template: TaskTemplate) -> datetime:
    """The template's deadline for a dialogue starting at ``starts_at``:
    ``days_before`` calendar days earlier, at its time, Vietnam time."""
    from session_server.core.model import LOCAL_TZ

    day = starts_at.astimezone(LOCAL_TZ).date() - timedelta(days=template.days_before)
    return datetime.combine(day, template.at, tzinfo=LOCAL_TZ)


def task_deadline(state: State, task: PreparationTask) -> datetime | None:
    """A task's deadline; the intake task's is the dialogue's intake deadline."""
    if task.intake:
        return state.dialogue.intake_deadline
    return task.deadline


def task_overdue(state: State, task: PreparationTask, now: datetime) -> bool:
    """Not done, and its deadline has passed."""
    deadline = task_deadline(state, task)
    return task.status is not TaskStatus.DONE and deadline is not None and now > deadline


def timeline(state: State) -> list[PreparationTask]:
    """The tasks by deadline (those without one last), then as added."""
    tasks = list(state.preparation.tasks.values())
    order = {task.task_id: n for n, task in enumerate(tasks)}

    def key(task: PreparationTask) -> tuple[int, datetime | int, int]:
        deadline = task_deadline(state, task)
        if deadline is None:
            return (1, 0, order[task.task_id])
        return (0, deadline, order[task.task_id])

    return sorted(tasks, key=key)


def overdue_tasks(state: State, now: datetime) -> list[PreparationTask]:
    return [task for task in timeline(state) if task_overdue(state, task, now)]


def publication_warning(state: State, now: datetime) -> str | None:
    """Why the organiser should look at the plan's publication, or None:

    - ``plan.published_late``: it was published less than
      :data:`PUBLICATION_NOTICE_DAYS` days before the day;
    - ``plan.not_published_yet``: it is not published and the day is less
      than that many days away (or past).
    """
    starts_at = state.dialogue.starts_at
    if starts_at is None:
        return None
    notice = timedelta(days=PUBLICATION_NOTICE_DAYS)
    published = state.preparation.plan_published_at
    if published is not None:
        return "plan.published_late" if starts_at - published < notice else None
    return "plan.not_published_yet" if starts_at - now < notice else None
