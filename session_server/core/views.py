"""Read-side rules: what each role may see, and figures derived from state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from session_server.core.commands import SubmitQuestion
from session_server.core.model import (
    LOCAL_TZ,
    Actor,
    Question,
    QuestionStatus,
    Role,
    RoleLink,
    State,
)

__all__ = [
    "PUBLIC_STATUSES",
    "BridgeFairness",
    "agency_link_expired",
    "agency_link_last_day",
    "answer_due",
    "default_agency",
    "fairness",
    "proposed_speaker",
    "queue_by_topic",
    "speaker_questions",
    "submitted_question_id",
    "topic_speakers",
    "visible_questions",
]

PUBLIC_STATUSES = frozenset(
    {
        QuestionStatus.APPROVED,
        QuestionStatus.ON_FLOOR,
        QuestionStatus.ANSWERED,
        QuestionStatus.FORWARDED,
        QuestionStatus.DEFERRED,
    }
)
"""Statuses a question must have before anyone but its author, the bridge it
came from and the control roles may see it."""


def visible_questions(state: State, actor: Actor) -> list[Question]:
    """The questions ``actor`` may see, in submission order.

    Control roles see everything. A bridge operator sees its own bridge's
    questions and the public ones. An attendee sees its own questions in any
    status, the one on the floor, and the public ones while the moderator has
    the public list open. Displays and speakers see only public questions."""
    role = actor.role
    if role in (Role.ORGANISER, Role.MODERATOR, Role.SECRETARY):
        return list(state.questions.values())
    if role is Role.BRIDGE_OPERATOR:
        return [
            q
            for q in state.questions.values()
            if q.bridge_id == actor.bridge_id or q.status in PUBLIC_STATUSES
        ]
    if role is Role.ATTENDEE:
        scope = actor.scope()
        return [
            q
            for q in state.questions.values()
            if q.submitted_by == scope
            or q.status is QuestionStatus.ON_FLOOR
            or (state.public_list_open and q.status in PUBLIC_STATUSES)
        ]
    return [q for q in state.questions.values() if q.status in PUBLIC_STATUSES]


def submitted_question_id(state: State, command: SubmitQuestion) -> int | None:
    """The question a submission made, first time or on a retry."""
    return state.idempotency.get(f"{command.actor.scope()}:{command.idempotency_key}")


def topic_speakers(state: State, topic_id: str | None) -> list[str]:
    """A topic's default speakers: those the topic names, then every speaker
    whose fields (``Speaker.topic_ids``, "Lĩnh vực phụ trách") include it."""
    found: list[str] = []
    topic = state.topics.get(topic_id or "")
    if topic is None:
        return found
    for speaker_id in topic.speaker_ids:
        if speaker_id in state.speakers and speaker_id not in found:
            found.append(speaker_id)
    for speaker in state.speakers.values():
        if topic.topic_id in speaker.topic_ids and speaker.speaker_id not in found:
            found.append(speaker.speaker_id)
    return found


def proposed_speaker(state: State, question: Question) -> str | None:
    """The assigned speaker, else the topic's first default speaker."""
    if question.speaker_id is not None:
        return question.speaker_id
    found = topic_speakers(state, question.topic_id)
    return found[0] if found else None


def default_agency(state: State, question: Question) -> str:
    """Where a question is sent by default: the agency it was forwarded to,
    else the agency of its (proposed) speaker, else ""."""
    if question.forwarding is not None and question.forwarding.agency:
        return question.forwarding.agency
    speaker = state.speakers.get(proposed_speaker(state, question) or "")
    return speaker.agency if speaker is not None else ""


def speaker_questions(state: State, speaker_id: str) -> list[Question]:
    """What a speaker will answer: on the floor first, then the queue order."""
    ordered = [state.questions[q] for q in state.queue]
    floor = state.floor.question_id
    if floor is not None:
        ordered.insert(0, state.questions[floor])
    return [q for q in ordered if proposed_speaker(state, q) == speaker_id]


def queue_by_topic(state: State) -> dict[str | None, list[Question]]:
    """The approved queue grouped by topic, each group in queue order."""
    groups: dict[str | None, list[Question]] = {}
    for question_id in state.queue:
        question = state.questions[question_id]
        groups.setdefault(question.topic_id, []).append(question)
    return groups


@dataclass(frozen=True)
class BridgeFairness:
    bridge_id: str
    submitted: int
    approved: int
    taken: int


def fairness(state: State) -> list[BridgeFairness]:
    """Per bridge point: questions submitted there, approved, taken to the
    floor. A question merged into another counts where it came from, and
    counts as approved/taken when the question it joined was."""
    figures = {b: [0, 0, 0] for b in state.bridges}
    for question in state.questions.values():
        row = figures.setdefault(question.bridge_id, [0, 0, 0])
        row[0] += 1
        effective = _effective(state, question)
        if effective.approved_at is not None:
            row[1] += 1
        if effective.floor_at is not None:
            row[2] += 1
    return [BridgeFairness(b, *row) for b, row in figures.items()]


def _effective(state: State, question: Question) -> Question:
    seen = 0
    while question.merged_into is not None and seen < len(state.questions):
        question = state.questions[question.merged_into]
        seen += 1
    return question


def answer_due(state: State, question: Question) -> date | None:
    """The deadline of a written answer: the one set when the question was
    forwarded, else ``follow_up_days`` after it was forwarded or deferred."""
    if question.status not in (QuestionStatus.FORWARDED, QuestionStatus.DEFERRED):
        return None
    if question.forwarding is not None and question.forwarding.deadline is not None:
        return question.forwarding.deadline
    if question.status is QuestionStatus.DEFERRED and question.deferral_deadline is not None:
        return question.deferral_deadline
    if question.closed_at is None:
        return None
    closed = question.closed_at.astimezone(LOCAL_TZ).date()
    return closed + timedelta(days=state.limits.follow_up_days)


def agency_link_last_day(state: State, link: RoleLink) -> date | None:
    """The last day (Vietnam time) an agency's link works: its question's
    deadline plus ``agency_grace_days``; None when there is no deadline."""
    question = state.questions.get(link.question_id if link.question_id is not None else -1)
    due = answer_due(state, question) if question is not None else None
    return due + timedelta(days=state.limits.agency_grace_days) if due is not None else None


def agency_link_expired(state: State, link: RoleLink, now: datetime) -> bool:
    last_day = agency_link_last_day(state, link)
    return last_day is not None and now.astimezone(LOCAL_TZ).date() > last_day
