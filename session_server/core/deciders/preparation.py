"""Before the day: the preparation timeline (one task of which is the
question intake, whose deadline is the dialogue's intake deadline), the
plan's publication, and the suggested answers to pre-collected questions
drafted through a drafter's link (``core/preparation.py`` for the data and
the read-side rules).
"""

from __future__ import annotations

from datetime import datetime

from session_server.core import commands as c
from session_server.core import commands_preparation as cp
from session_server.core import events as e
from session_server.core import events_preparation as ep
from session_server.core.deciders.common import (
    check_date,
    check_not_closed,
    check_topic,
    clean_label,
    get_question,
)
from session_server.core.deciders.registry import ORG, Decider
from session_server.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from session_server.core.model import Origin, QuestionStatus, Role, State
from session_server.core.preparation import (
    CITY_PLAN_TIMELINE,
    PreparationTask,
    SuggestedAnswer,
    TaskStatus,
    template_deadline,
)
from session_server.core.text import clean_text, require_identifier, slug_id

__all__ = ["PREPARATION", "PRE_COLLECTED", "drafter_link"]

PREPARATION = Decider(
    "preparation",
    {
        cp.ApplyPreparationTemplate: frozenset({ORG}),
        cp.SetPreparationTask: frozenset({ORG}),
        cp.RemovePreparationTask: frozenset({ORG}),
        cp.PublishPlan: frozenset({ORG}),
        cp.DraftSuggestedAnswer: frozenset({ORG, Role.DRAFTER}),
    },
)
rule, fold = PREPARATION.rule, PREPARATION.fold

PRE_COLLECTED = frozenset({Origin.PRE_COLLECTED, Origin.IMPORTED})
"""The origins of the questions compiled before the day."""

MAX_TASKS = 100


# --- rules ----------------------------------------------------------------------------


@rule(cp.ApplyPreparationTemplate)
def _template(state: State, cmd: cp.ApplyPreparationTemplate, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    starts_at = state.dialogue.starts_at
    if starts_at is None:
        raise IllegalTransition("prep.needs_day")
    tasks = state.preparation.tasks
    has_intake = any(task.intake for task in tasks.values())
    events: list[e.Event] = []
    for template in CITY_PLAN_TIMELINE:
        if template.task_id in tasks or (template.intake and has_intake):
            continue
        deadline = template_deadline(starts_at, template)
        if template.intake and state.dialogue.intake_deadline is None:
            events.append(e.IntakeDeadlineSet(at=now, deadline=deadline))
        events.append(
            ep.PreparationTaskSet(
                at=now,
                task_id=template.task_id,
                title=template.title,
                owner=template.owner,
                deadline=None if template.intake else deadline,
                status=TaskStatus.TODO,
                intake=template.intake,
            )
        )
    return events


@rule(cp.SetPreparationTask)
def _set_task(state: State, cmd: cp.SetPreparationTask, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    check_date(cmd.deadline, "deadline")
    tasks = state.preparation.tasks
    title = clean_label(state, cmd.title, "title")
    if cmd.task_id:
        task_id = require_identifier(cmd.task_id, field="task_id")
    else:
        task_id = slug_id(title, tasks, "viec")
    found = tasks.get(task_id)
    if found is None and len(tasks) >= MAX_TASKS:
        raise InvalidInput("input.too_many", field="tasks", limit=MAX_TASKS)
    intake = found is not None and found.intake
    events: list[e.Event] = []
    if intake and cmd.deadline != state.dialogue.intake_deadline:
        events.append(e.IntakeDeadlineSet(at=now, deadline=cmd.deadline))
    events.append(
        ep.PreparationTaskSet(
            at=now,
            task_id=task_id,
            title=title,
            owner=clean_label(state, cmd.owner, "owner", required=False),
            deadline=None if intake else cmd.deadline,
            status=cmd.status,
            intake=intake,
        )
    )
    return events


@rule(cp.RemovePreparationTask)
def _remove_task(state: State, cmd: cp.RemovePreparationTask, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    if cmd.task_id not in state.preparation.tasks:
        raise NotFound("prep.task_not_found", task=cmd.task_id)
    return [ep.PreparationTaskRemoved(at=now, task_id=cmd.task_id)]


@rule(cp.PublishPlan)
def _publish(state: State, cmd: cp.PublishPlan, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    if state.preparation.plan_published_at is not None:
        raise IllegalTransition("plan.already_published")
    if state.dialogue.starts_at is None:
        raise IllegalTransition("prep.needs_day")
    return [ep.PlanPublished(at=now)]


@rule(cp.DraftSuggestedAnswer)
def _suggest(state: State, cmd: cp.DraftSuggestedAnswer, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    question = get_question(state, cmd.question_id)
    author = ""
    if cmd.actor.role is Role.DRAFTER:
        link = state.links.get(cmd.actor.link_id or "")
        if link is None or not link.active or link.role is not Role.DRAFTER:
            raise Forbidden("link.invalid")
        if link.topic_id is not None and question.topic_id != link.topic_id:
            raise Forbidden("suggested.other_topic", question=question.question_id)
        author = link.agency
    if question.origin not in PRE_COLLECTED:
        raise IllegalTransition("suggested.not_pre_collected", question=question.question_id)
    if question.status in (QuestionStatus.REJECTED, QuestionStatus.MERGED):
        raise IllegalTransition(
            "suggested.question_closed", question=question.question_id, status=question.status
        )
    text = clean_text(
        cmd.text, field="suggested", max_chars=state.limits.summary_max_chars, required=False
    )
    current = state.preparation.suggested_answers.get(question.question_id)
    if current is None and not text:
        return []
    if current is not None and current.text == text and current.author == author:
        return []
    return [
        ep.SuggestedAnswerDrafted(
            at=now, question_id=question.question_id, text=text, author=author
        )
    ]


def drafter_link(state: State, cmd: c.IssueLink, now: datetime) -> e.LinkIssued:
    """A drafter's link: the unit or agency drafting suggested answers, its
    name fixed here, for every pre-collected question or one topic's."""
    if any(v is not None for v in (cmd.bridge_id, cmd.speaker_id, cmd.question_id, cmd.unit_id)):
        raise InvalidInput("input.bad_value", field="question_id")
    name = clean_label(state, cmd.agency, "agency", required=False)
    if not name:
        raise InvalidInput("link.needs_drafter_name")
    check_topic(state, cmd.topic_id)
    return e.LinkIssued(
        at=now,
        link_id=cmd.link_id,
        role=Role.DRAFTER,
        bridge_id=None,
        speaker_id=None,
        label=clean_label(state, cmd.label, "label", required=False) or name,
        agency=name,
        topic_id=cmd.topic_id,
    )


# --- folds ----------------------------------------------------------------------------


@fold(ep.PreparationTaskSet)
def _task_set(state: State, ev: ep.PreparationTaskSet) -> None:
    state.preparation.tasks[ev.task_id] = PreparationTask(
        task_id=ev.task_id,
        title=ev.title,
        owner=ev.owner,
        deadline=ev.deadline,
        status=ev.status,
        intake=ev.intake,
    )


@fold(ep.PreparationTaskRemoved)
def _task_removed(state: State, ev: ep.PreparationTaskRemoved) -> None:
    state.preparation.tasks.pop(ev.task_id, None)


@fold(ep.PlanPublished)
def _plan_published(state: State, ev: ep.PlanPublished) -> None:
    state.preparation.plan_published_at = ev.at


@fold(ep.SuggestedAnswerDrafted)
def _suggested(state: State, ev: ep.SuggestedAnswerDrafted) -> None:
    notes = state.preparation.suggested_answers
    if ev.text:
        notes[ev.question_id] = SuggestedAnswer(ev.question_id, ev.text, ev.author, ev.at)
    else:
        notes.pop(ev.question_id, None)
