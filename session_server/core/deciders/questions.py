"""Questions: submitting, screening (approve, reject, merge), the queue's
order, a question's topic and speaker, the public list and votes.
"""

from __future__ import annotations

from datetime import datetime

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.deciders.common import (
    check_bridge,
    check_not_closed,
    check_own_bridge,
    check_speaker,
    check_topic,
    get_question,
    unqueue,
)
from session_server.core.deciders.lifecycle import transition
from session_server.core.deciders.registry import ATT, MOD, OPR, ORG, Decider
from session_server.core.errors import IllegalTransition, InvalidInput, PhaseRefused
from session_server.core.model import (
    Asker,
    Origin,
    Phase,
    Question,
    QuestionStatus,
    RejectionCategory,
    Role,
    State,
)
from session_server.core.text import clean_line, clean_text, require_key, require_visible

__all__ = ["QUESTIONS"]

QUESTIONS = Decider(
    "questions",
    {
        c.SubmitQuestion: frozenset({ORG, OPR, ATT}),
        c.ApproveQuestion: frozenset({MOD}),
        c.RejectQuestion: frozenset({MOD}),
        c.MergeQuestion: frozenset({MOD}),
        c.MoveQuestion: frozenset({MOD}),
        c.MoveQuestionInTopic: frozenset({MOD}),
        c.ScreenQuestions: frozenset({MOD}),
        c.SetQuestionTopic: frozenset({MOD}),
        c.AssignSpeaker: frozenset({MOD}),
        c.SetPublicList: frozenset({MOD}),
        c.Vote: frozenset({ATT}),
        c.HoldSubmissions: frozenset({MOD}),
    },
)
rule, fold = QUESTIONS.rule, QUESTIONS.fold

_OPEN_QUESTION = frozenset({QuestionStatus.SUBMITTED, QuestionStatus.APPROVED})


# --- rules: what this slice's commands do ----------------------------------


@rule(c.SubmitQuestion)
def _submit(state: State, cmd: c.SubmitQuestion, now: datetime) -> list[e.Event]:
    actor = cmd.actor
    key = require_key(cmd.idempotency_key)
    if f"{actor.scope()}:{key}" in state.idempotency:
        return []
    check_own_bridge(actor, cmd.bridge_id)
    phase = state.dialogue.phase
    if phase is Phase.CLOSED:
        raise PhaseRefused("dialogue.closed")
    if actor.role is Role.ATTENDEE:
        if phase is Phase.DRAFT:
            raise PhaseRefused("dialogue.not_open")
        deadline = state.dialogue.intake_deadline
        if phase is Phase.INTAKE and deadline is not None and now > deadline:
            raise PhaseRefused("intake.deadline_passed")
        origin = Origin.PHONE
    elif actor.role is Role.BRIDGE_OPERATOR:
        if phase is Phase.DRAFT:
            raise PhaseRefused("dialogue.not_open")
        origin = Origin.BRIDGE
    else:
        if cmd.origin not in (Origin.PRE_COLLECTED, Origin.IMPORTED):
            raise InvalidInput("question.bad_origin")
        origin = cmd.origin
    check_bridge(state, cmd.bridge_id)
    check_topic(state, cmd.topic_id)
    if len(state.questions) >= state.limits.max_questions:
        raise PhaseRefused("question.too_many")
    limits = state.limits
    text = require_visible(
        clean_text(cmd.text, field="question", max_chars=limits.question_max_chars),
        field="question",
    )
    asker = Asker(
        name=clean_line(cmd.asker_name, field="asker_name", max_chars=limits.name_max_chars),
        unit=clean_line(cmd.asker_unit, field="asker_unit", max_chars=limits.unit_max_chars),
        age_group=clean_line(cmd.asker_age_group, field="asker_age_group", max_chars=20),
        public=cmd.asker_public,
    )
    return [
        e.QuestionSubmitted(
            at=now,
            question_id=state.next_question_id,
            text=text,
            asker=asker,
            origin=origin,
            bridge_id=cmd.bridge_id,
            topic_id=cmd.topic_id,
            submitted_by=actor.scope(),
            idempotency_key=key,
            held=actor.role is Role.ATTENDEE and cmd.bridge_id in state.held_bridges,
        )
    ]


@rule(c.ApproveQuestion)
def _approve(state: State, cmd: c.ApproveQuestion, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    question = get_question(state, cmd.question_id)
    transition(question, QuestionStatus.APPROVED)
    return [e.QuestionApproved(at=now, question_id=question.question_id)]


@rule(c.RejectQuestion)
def _reject(state: State, cmd: c.RejectQuestion, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    return [_rejected(state, cmd.question_id, cmd.category, cmd.reason, now)]


def _rejected(
    state: State, question_id: int, category: RejectionCategory, reason: str, now: datetime
) -> e.QuestionRejected:
    """A rejection for a reason the record counts; words are required only
    for ``other`` (the other categories say why by themselves)."""
    question = get_question(state, question_id)
    transition(question, QuestionStatus.REJECTED)
    text = clean_text(
        reason,
        field="reason",
        max_chars=state.limits.reason_max_chars,
        required=category is RejectionCategory.OTHER,
    )
    return e.QuestionRejected(
        at=now, question_id=question.question_id, reason=text, category=category
    )


@rule(c.ScreenQuestions)
def _screen(state: State, cmd: c.ScreenQuestions, now: datetime) -> list[e.Event]:
    """Several questions screened at once, each by the rule of its own
    command; one refused refuses them all (nothing is half done)."""
    check_not_closed(state)
    ids = list(dict.fromkeys(cmd.question_ids))
    if not ids or (cmd.verdict is c.Verdict.MERGE and len(ids) < 2):
        raise InvalidInput("screen.nothing_chosen")
    events: list[e.Event] = []
    if cmd.verdict is c.Verdict.APPROVE:
        for question_id in ids:
            question = get_question(state, question_id)
            transition(question, QuestionStatus.APPROVED)
            events.append(e.QuestionApproved(at=now, question_id=question_id))
    elif cmd.verdict is c.Verdict.REJECT:
        events.extend(_rejected(state, q, cmd.category, cmd.reason, now) for q in ids)
    else:
        into, *sources = ids
        events.extend(_merged(state, q, into, now) for q in sources)
    return events


@rule(c.MergeQuestion)
def _merge(state: State, cmd: c.MergeQuestion, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    return [_merged(state, cmd.question_id, cmd.into_id, now)]


def _merged(state: State, question_id: int, into_id: int, now: datetime) -> e.QuestionMerged:
    source = get_question(state, question_id)
    target = get_question(state, into_id)
    if source.question_id == target.question_id:
        raise InvalidInput("question.merge_self")
    transition(source, QuestionStatus.MERGED)
    if target.status not in (*_OPEN_QUESTION, QuestionStatus.ON_FLOOR):
        raise IllegalTransition(
            "question.merge_target_closed",
            question=target.question_id,
            status=target.status.value,
        )
    return e.QuestionMerged(at=now, question_id=source.question_id, into_id=target.question_id)


@rule(c.MoveQuestion)
def _move(state: State, cmd: c.MoveQuestion, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    question = get_question(state, cmd.question_id)
    if question.question_id not in state.queue:
        raise IllegalTransition("queue.not_queued", question=question.question_id)
    position = max(0, min(cmd.position, len(state.queue) - 1))
    return [e.QuestionMoved(at=now, question_id=question.question_id, position=position)]


@rule(c.MoveQuestionInTopic)
def _move_in_topic(state: State, cmd: c.MoveQuestionInTopic, now: datetime) -> list[e.Event]:
    """The topic's questions change places among the queue's slots they
    hold, so no other topic moves: moving the first question of a topic
    down never takes its whole group below the next one. Told as the
    queue moves (``QuestionMoved``) that make the new order."""
    check_not_closed(state)
    question = get_question(state, cmd.question_id)
    if question.question_id not in state.queue:
        raise IllegalTransition("queue.not_queued", question=question.question_id)
    topic = question.topic_id
    slots = [i for i, q in enumerate(state.queue) if state.questions[q].topic_id == topic]
    group = [state.queue[i] for i in slots]
    group.remove(question.question_id)
    group.insert(max(0, min(cmd.index, len(group))), question.question_id)
    wanted = list(state.queue)
    for slot, question_id in zip(slots, group, strict=True):
        wanted[slot] = question_id
    current = list(state.queue)
    events: list[e.Event] = []
    for position, question_id in enumerate(wanted):
        if current[position] != question_id:
            current.remove(question_id)
            current.insert(position, question_id)
            events.append(e.QuestionMoved(at=now, question_id=question_id, position=position))
    return events


@rule(c.SetQuestionTopic)
def _set_question_topic(state: State, cmd: c.SetQuestionTopic, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    question = get_question(state, cmd.question_id)
    check_topic(state, cmd.topic_id)
    return [e.QuestionTopicSet(at=now, question_id=question.question_id, topic_id=cmd.topic_id)]


@rule(c.AssignSpeaker)
def _assign(state: State, cmd: c.AssignSpeaker, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    question = get_question(state, cmd.question_id)
    check_speaker(state, cmd.speaker_id)
    if question.status not in (*_OPEN_QUESTION, QuestionStatus.ON_FLOOR):
        raise IllegalTransition(
            "question.closed", question=question.question_id, status=question.status.value
        )
    return [e.SpeakerAssigned(at=now, question_id=question.question_id, speaker_id=cmd.speaker_id)]


@rule(c.SetPublicList)
def _public_list(state: State, cmd: c.SetPublicList, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    return [e.PublicListSet(at=now, open=cmd.open)]


@rule(c.Vote)
def _vote(state: State, cmd: c.Vote, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    if not state.public_list_open:
        raise PhaseRefused("vote.list_closed")
    question = get_question(state, cmd.question_id)
    while question.merged_into is not None:
        question = get_question(state, question.merged_into)
    if question.status not in (QuestionStatus.APPROVED, QuestionStatus.ON_FLOOR):
        raise IllegalTransition("vote.not_open", question=question.question_id)
    device = cmd.actor.device_id or ""
    if device in question.voters:
        raise IllegalTransition("vote.already", question=question.question_id)
    return [e.VoteCast(at=now, question_id=question.question_id, device_id=device)]


@rule(c.HoldSubmissions)
def _hold(state: State, cmd: c.HoldSubmissions, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    check_bridge(state, cmd.bridge_id)
    if (cmd.bridge_id in state.held_bridges) is cmd.hold:
        return []  # already so: nothing to record
    return [e.SubmissionsHeld(at=now, bridge_id=cmd.bridge_id, held=cmd.hold)]


# --- folds: how this slice's events change the state -------------------------


@fold(e.QuestionSubmitted)
def _question_submitted(state: State, ev: e.QuestionSubmitted) -> None:
    similar = state.similar_index.add(ev.question_id, ev.text)
    state.questions[ev.question_id] = Question(
        question_id=ev.question_id,
        text=ev.text,
        asker=ev.asker,
        origin=ev.origin,
        bridge_id=ev.bridge_id,
        topic_id=ev.topic_id,
        submitted_at=ev.at,
        submitted_by=ev.submitted_by,
        held=ev.held,
        similar=similar,
    )
    state.idempotency[f"{ev.submitted_by}:{ev.idempotency_key}"] = ev.question_id
    state.by_submitter.setdefault(ev.submitted_by, []).append(ev.question_id)
    state.next_question_id = max(state.next_question_id, ev.question_id + 1)


@fold(e.SubmissionsHeld)
def _submissions_held(state: State, ev: e.SubmissionsHeld) -> None:
    if ev.held:
        state.held_bridges.add(ev.bridge_id)
    else:
        state.held_bridges.discard(ev.bridge_id)


@fold(e.QuestionApproved)
def _question_approved(state: State, ev: e.QuestionApproved) -> None:
    question = state.questions[ev.question_id]
    question.status = QuestionStatus.APPROVED
    question.approved_at = ev.at
    state.queue.append(ev.question_id)


@fold(e.QuestionRejected)
def _question_rejected(state: State, ev: e.QuestionRejected) -> None:
    question = state.questions[ev.question_id]
    question.status = QuestionStatus.REJECTED
    question.rejection_reason = ev.reason
    question.rejection_category = ev.category
    question.closed_at = ev.at


@fold(e.QuestionMerged)
def _question_merged(state: State, ev: e.QuestionMerged) -> None:
    source = state.questions[ev.question_id]
    target = state.questions[ev.into_id]
    source.status = QuestionStatus.MERGED
    source.merged_into = target.question_id
    source.closed_at = ev.at
    target.merged_from.append(source.question_id)
    target.extra_askers.extend(source.askers())
    target.extra_origins.extend(source.origins())
    target.voters |= source.voters
    unqueue(state, source.question_id)


@fold(e.QuestionMoved)
def _question_moved(state: State, ev: e.QuestionMoved) -> None:
    state.queue.remove(ev.question_id)
    state.queue.insert(ev.position, ev.question_id)


@fold(e.QuestionTopicSet)
def _question_topic_set(state: State, ev: e.QuestionTopicSet) -> None:
    state.questions[ev.question_id].topic_id = ev.topic_id


@fold(e.SpeakerAssigned)
def _speaker_assigned(state: State, ev: e.SpeakerAssigned) -> None:
    state.questions[ev.question_id].speaker_id = ev.speaker_id
    if state.floor.question_id == ev.question_id:
        state.floor.speaker_id = ev.speaker_id
        record = state.answers.get(ev.question_id)
        if record is not None:
            record.speaker_id = ev.speaker_id


@fold(e.PublicListSet)
def _public_list_set(state: State, ev: e.PublicListSet) -> None:
    state.public_list_open = ev.open


@fold(e.VoteCast)
def _vote_cast(state: State, ev: e.VoteCast) -> None:
    state.questions[ev.question_id].voters.add(ev.device_id)
