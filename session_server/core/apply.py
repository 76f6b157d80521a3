"""``apply(state, event) -> state``: fold one event into the state.

``apply`` updates ``state`` in place and returns it: a dialogue's state can
hold thousands of questions and an event touches a handful, so copying it
per event would cost more than the rest of the work. Callers that need the
state before an event copy it first (``copy.deepcopy``). ``apply`` trusts its
events: ``decide`` validated them, and the log holds only what ``decide``
made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from session_server.core import events as e
from session_server.core.model import (
    AnswerRecord,
    BridgePoint,
    Commitment,
    ConclusionDraft,
    Dialogue,
    Floor,
    FloorRequest,
    FloorRequestStatus,
    Forwarding,
    ProgrammeItem,
    Question,
    QuestionStatus,
    Recording,
    RoleLink,
    Speaker,
    State,
    TimerKind,
    Topic,
    WrittenAnswer,
)

__all__ = ["apply", "apply_all"]

E = TypeVar("E", bound=e.Event)
_Fold = Callable[[State, Any], None]
_FOLDS: dict[type[e.Event], _Fold] = {}


def _fold(cls: type[E]) -> Callable[[Callable[[State, E], None]], _Fold]:
    def register(fn: Callable[[State, E], None]) -> _Fold:
        _FOLDS[cls] = fn
        return fn

    return register


def apply(state: State, event: e.Event) -> State:
    _FOLDS[type(event)](state, event)
    if event.command_id:
        state.applied_commands.add(event.command_id)
    return state


def apply_all(state: State, events: list[e.Event]) -> State:
    for event in events:
        apply(state, event)
    return state


@_fold(e.DialogueCreated)
def _created(state: State, ev: e.DialogueCreated) -> None:
    state.created = True
    state.dialogue = Dialogue(
        title=ev.title,
        theme=ev.theme,
        host_body=ev.host_body,
        parent_body=ev.parent_body,
        place=ev.place,
        starts_at=ev.starts_at,
        legal_basis=ev.legal_basis,
        intake_deadline=ev.intake_deadline,
        created_at=ev.at,
    )


@_fold(e.DialogueUpdated)
def _updated(state: State, ev: e.DialogueUpdated) -> None:
    d = state.dialogue
    d.title, d.theme, d.host_body, d.parent_body = ev.title, ev.theme, ev.host_body, ev.parent_body
    d.place, d.starts_at, d.legal_basis = ev.place, ev.starts_at, ev.legal_basis


@_fold(e.IntakeDeadlineSet)
def _deadline(state: State, ev: e.IntakeDeadlineSet) -> None:
    state.dialogue.intake_deadline = ev.deadline


@_fold(e.PhaseChanged)
def _phase(state: State, ev: e.PhaseChanged) -> None:
    state.dialogue.phase = ev.phase


@_fold(e.BridgePointSet)
def _bridge(state: State, ev: e.BridgePointSet) -> None:
    state.bridges[ev.bridge_id] = BridgePoint(
        bridge_id=ev.bridge_id,
        name=ev.bridge_name,
        kind=ev.kind,
        operator=ev.operator,
        capacity=ev.capacity,
    )


@_fold(e.BridgePointRemoved)
def _bridge_removed(state: State, ev: e.BridgePointRemoved) -> None:
    state.bridges.pop(ev.bridge_id, None)


@_fold(e.TopicSet)
def _topic(state: State, ev: e.TopicSet) -> None:
    state.topics[ev.topic_id] = Topic(
        topic_id=ev.topic_id, name=ev.topic_name, speaker_ids=ev.speaker_ids
    )


@_fold(e.SpeakerSet)
def _speaker(state: State, ev: e.SpeakerSet) -> None:
    state.speakers[ev.speaker_id] = Speaker(
        speaker_id=ev.speaker_id,
        name=ev.speaker_name,
        position=ev.position,
        agency=ev.agency,
        topic_ids=ev.topic_ids,
    )


@_fold(e.ProgrammeSet)
def _programme(state: State, ev: e.ProgrammeSet) -> None:
    state.programme = [
        ProgrammeItem(
            item_id=i.item_id, title=i.title, kind=i.kind, planned_minutes=i.planned_minutes
        )
        for i in ev.items
    ]
    if all(i.item_id != state.current_item_id for i in state.programme):
        state.current_item_id = None


@_fold(e.CurrentItemSet)
def _current(state: State, ev: e.CurrentItemSet) -> None:
    state.current_item_id = ev.item_id


@_fold(e.QuestionSubmitted)
def _submitted(state: State, ev: e.QuestionSubmitted) -> None:
    state.questions[ev.question_id] = Question(
        question_id=ev.question_id,
        text=ev.text,
        asker=ev.asker,
        origin=ev.origin,
        bridge_id=ev.bridge_id,
        topic_id=ev.topic_id,
        submitted_at=ev.at,
        submitted_by=ev.submitted_by,
    )
    state.idempotency[f"{ev.submitted_by}:{ev.idempotency_key}"] = ev.question_id
    state.next_question_id = max(state.next_question_id, ev.question_id + 1)


@_fold(e.QuestionApproved)
def _approved(state: State, ev: e.QuestionApproved) -> None:
    question = state.questions[ev.question_id]
    question.status = QuestionStatus.APPROVED
    question.approved_at = ev.at
    state.queue.append(ev.question_id)


@_fold(e.QuestionRejected)
def _rejected(state: State, ev: e.QuestionRejected) -> None:
    question = state.questions[ev.question_id]
    question.status = QuestionStatus.REJECTED
    question.rejection_reason = ev.reason
    question.closed_at = ev.at


@_fold(e.QuestionMerged)
def _merged(state: State, ev: e.QuestionMerged) -> None:
    source = state.questions[ev.question_id]
    target = state.questions[ev.into_id]
    source.status = QuestionStatus.MERGED
    source.merged_into = target.question_id
    source.closed_at = ev.at
    target.merged_from.append(source.question_id)
    target.extra_askers.extend(source.askers())
    target.extra_origins.extend(source.origins())
    target.voters |= source.voters
    _unqueue(state, source.question_id)


@_fold(e.QuestionMoved)
def _moved(state: State, ev: e.QuestionMoved) -> None:
    state.queue.remove(ev.question_id)
    state.queue.insert(ev.position, ev.question_id)


@_fold(e.QuestionTopicSet)
def _question_topic(state: State, ev: e.QuestionTopicSet) -> None:
    state.questions[ev.question_id].topic_id = ev.topic_id


@_fold(e.SpeakerAssigned)
def _assigned(state: State, ev: e.SpeakerAssigned) -> None:
    state.questions[ev.question_id].speaker_id = ev.speaker_id
    if state.floor.question_id == ev.question_id:
        state.floor.speaker_id = ev.speaker_id
        record = state.answers.get(ev.question_id)
        if record is not None:
            record.speaker_id = ev.speaker_id


@_fold(e.PublicListSet)
def _public_list(state: State, ev: e.PublicListSet) -> None:
    state.public_list_open = ev.open


@_fold(e.VoteCast)
def _vote(state: State, ev: e.VoteCast) -> None:
    state.questions[ev.question_id].voters.add(ev.device_id)


@_fold(e.FloorGiven)
def _floor_given(state: State, ev: e.FloorGiven) -> None:
    state.floor = Floor(holder=ev.bridge_id, since=ev.at, question_ends_at=ev.question_ends_at)
    if ev.request_id is not None:
        state.floor_requests[ev.request_id].status = FloorRequestStatus.GRANTED


@_fold(e.FloorQuestionSet)
def _floor_question(state: State, ev: e.FloorQuestionSet) -> None:
    question = state.questions[ev.question_id]
    question.status = QuestionStatus.ON_FLOOR
    question.speaker_id = ev.speaker_id
    if question.floor_at is None:
        question.floor_at = ev.at
    _unqueue(state, question.question_id)
    state.floor.question_id = question.question_id
    state.floor.speaker_id = ev.speaker_id
    record = state.answers.setdefault(
        question.question_id, AnswerRecord(question_id=question.question_id)
    )
    record.speaker_id = ev.speaker_id
    record.started_at = ev.at
    record.ended_at = None


@_fold(e.FloorReleased)
def _floor_released(state: State, ev: e.FloorReleased) -> None:
    if ev.returned_question_id is not None:
        question = state.questions[ev.returned_question_id]
        question.status = QuestionStatus.APPROVED
        state.queue.insert(0, question.question_id)
        record = state.answers.get(question.question_id)
        if record is not None:
            record.ended_at = ev.at
    state.floor = Floor()


@_fold(e.TimerStarted)
def _timer_started(state: State, ev: e.TimerStarted) -> None:
    _set_timer(state, ev.kind, ev)


@_fold(e.TimerExtended)
def _timer_extended(state: State, ev: e.TimerExtended) -> None:
    _set_timer(state, ev.kind, ev)


def _set_timer(state: State, kind: TimerKind, ev: e.TimerStarted | e.TimerExtended) -> None:
    if kind is TimerKind.QUESTION:
        state.floor.question_ends_at = ev.ends_at
    else:
        state.floor.answer_ends_at = ev.ends_at


@_fold(e.TimerStopped)
def _timer_stopped(state: State, ev: e.TimerStopped) -> None:
    if ev.kind is TimerKind.QUESTION:
        state.floor.question_ends_at = None
    else:
        state.floor.answer_ends_at = None


def _close(state: State, question: Question, status: QuestionStatus, at: datetime) -> None:
    question.status = status
    question.closed_at = at
    _unqueue(state, question.question_id)
    record = state.answers.get(question.question_id)
    if record is not None and record.ended_at is None:
        record.ended_at = at


@_fold(e.QuestionAnswered)
def _answered(state: State, ev: e.QuestionAnswered) -> None:
    _close(state, state.questions[ev.question_id], QuestionStatus.ANSWERED, ev.at)


@_fold(e.QuestionForwarded)
def _forwarded(state: State, ev: e.QuestionForwarded) -> None:
    question = state.questions[ev.question_id]
    question.forwarding = Forwarding(agency=ev.agency, deadline=ev.deadline, note=ev.note)
    _close(state, question, QuestionStatus.FORWARDED, ev.at)


@_fold(e.QuestionDeferred)
def _deferred(state: State, ev: e.QuestionDeferred) -> None:
    question = state.questions[ev.question_id]
    question.deferral_note = ev.note
    _close(state, question, QuestionStatus.DEFERRED, ev.at)


@_fold(e.FloorRequested)
def _requested(state: State, ev: e.FloorRequested) -> None:
    state.floor_requests[ev.request_id] = FloorRequest(
        request_id=ev.request_id, bridge_id=ev.bridge_id, note=ev.note, requested_at=ev.at
    )
    state.next_request_id = max(state.next_request_id, ev.request_id + 1)


@_fold(e.FloorRequestCancelled)
def _request_cancelled(state: State, ev: e.FloorRequestCancelled) -> None:
    state.floor_requests[ev.request_id].status = FloorRequestStatus.CANCELLED


@_fold(e.FloorRequestDeclined)
def _request_declined(state: State, ev: e.FloorRequestDeclined) -> None:
    request = state.floor_requests[ev.request_id]
    request.status = FloorRequestStatus.DECLINED
    request.reason = ev.reason


def _record(state: State, question_id: int) -> AnswerRecord:
    record = state.answers.get(question_id)
    if record is None:
        question = state.questions[question_id]
        record = AnswerRecord(question_id=question_id, speaker_id=question.speaker_id)
        state.answers[question_id] = record
    return record


@_fold(e.AnswerSummaryRecorded)
def _summary(state: State, ev: e.AnswerSummaryRecorded) -> None:
    record = _record(state, ev.question_id)
    record.summary = ev.summary
    record.revision += 1


@_fold(e.CommitmentAdded)
def _commitment_added(state: State, ev: e.CommitmentAdded) -> None:
    _record(state, ev.question_id).commitments.append(
        Commitment(commitment_id=ev.commitment_id, what=ev.what, who=ev.who, by_when=ev.by_when)
    )
    state.next_commitment_id = max(state.next_commitment_id, ev.commitment_id + 1)


@_fold(e.CommitmentRemoved)
def _commitment_removed(state: State, ev: e.CommitmentRemoved) -> None:
    record = _record(state, ev.question_id)
    record.commitments = [k for k in record.commitments if k.commitment_id != ev.commitment_id]


@_fold(e.LinkIssued)
def _link_issued(state: State, ev: e.LinkIssued) -> None:
    state.links[ev.link_id] = RoleLink(
        link_id=ev.link_id,
        role=ev.role,
        bridge_id=ev.bridge_id,
        speaker_id=ev.speaker_id,
        label=ev.label,
        issued_at=ev.at,
    )


@_fold(e.LinkRevoked)
def _link_revoked(state: State, ev: e.LinkRevoked) -> None:
    state.links[ev.link_id].revoked_at = ev.at


@_fold(e.ConclusionDraftSet)
def _conclusion_draft(state: State, ev: e.ConclusionDraftSet) -> None:
    state.conclusion = ConclusionDraft(
        number=ev.number,
        locality=ev.locality,
        issued_on=ev.issued_on,
        attendance=ev.attendance,
        opening=ev.opening,
        conclusions=ev.conclusions,
        authority_lines=ev.authority_lines,
        signer_position=ev.signer_position,
        signer_name=ev.signer_name,
        recipients=ev.recipients,
    )


@_fold(e.WrittenAnswerRecorded)
def _written_answer(state: State, ev: e.WrittenAnswerRecorded) -> None:
    state.questions[ev.question_id].written_answer = WrittenAnswer(
        text=ev.text, agency=ev.agency, answered_at=ev.at
    )


@_fold(e.RecordingSaved)
def _recording_saved(state: State, ev: e.RecordingSaved) -> None:
    state.recordings[ev.recording_id] = Recording(
        recording_id=ev.recording_id,
        file=ev.file,
        bridge_id=ev.bridge_id,
        question_id=ev.question_id,
        started_at=ev.started_at,
        ended_at=ev.ended_at,
        duration_ms=ev.duration_ms,
        size=ev.size,
    )


def _unqueue(state: State, question_id: int) -> None:
    if question_id in state.queue:
        state.queue.remove(question_id)


_missing = set(e.EVENT_TYPES.values()) ^ set(_FOLDS)
if _missing:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"events without a fold: {_missing}")

