"""The record: the secretary's answer summary (with revisions) and
commitments, the conclusion notice's draft, agencies' written answers (each
through its own link, under the name the link fixes, until the link is
revoked or expires; public once the organiser accepts it), and the
recordings of floor segments.
"""

from __future__ import annotations

import re
from datetime import datetime

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.deciders.common import (
    check_bridge,
    check_date,
    clean_label,
    get_question,
)
from session_server.core.deciders.registry import ORG, SEC, Decider
from session_server.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from session_server.core.model import (
    Actor,
    AnswerRecord,
    Commitment,
    ConclusionDraft,
    Question,
    QuestionStatus,
    Recording,
    Role,
    RoleLink,
    State,
    WrittenAnswer,
)
from session_server.core.text import clean_line, clean_text, fold_text
from session_server.core.views import agency_link_expired

__all__ = ["MAX_AUTHORITY_LINES", "MAX_RECIPIENTS", "RECORD"]

RECORD = Decider(
    "record",
    {
        c.RecordAnswerSummary: frozenset({SEC}),
        c.AddCommitment: frozenset({SEC}),
        c.RemoveCommitment: frozenset({SEC}),
        c.SetConclusionDraft: frozenset({ORG}),
        c.RecordWrittenAnswer: frozenset({ORG, Role.AGENCY}),
        c.AcceptWrittenAnswer: frozenset({ORG}),
        c.SaveRecording: frozenset({Role.RECORDER}),
    },
)
rule, fold = RECORD.rule, RECORD.fold

_RECORDABLE = frozenset(
    {
        QuestionStatus.ON_FLOOR,
        QuestionStatus.ANSWERED,
        QuestionStatus.FORWARDED,
        QuestionStatus.DEFERRED,
    }
)


# --- rules: what this slice's commands do ----------------------------------


def _recordable(state: State, question_id: int) -> Question:
    question = get_question(state, question_id)
    if question.status not in _RECORDABLE:
        raise IllegalTransition(
            "answer.not_recordable", question=question.question_id, status=question.status.value
        )
    return question


@rule(c.RecordAnswerSummary)
def _summary(state: State, cmd: c.RecordAnswerSummary, now: datetime) -> list[e.Event]:
    question = _recordable(state, cmd.question_id)
    summary = clean_text(
        cmd.summary, field="summary", max_chars=state.limits.summary_max_chars, required=False
    )
    record = state.answers.get(question.question_id)
    if record is not None and record.summary == summary:
        return []  # the same text again (a retry, a reconnecting screen)
    revision = record.revision if record is not None else 0
    stored = record.summary if record is not None else ""
    if cmd.base_revision is not None and cmd.base_revision != revision and stored not in summary:
        # saved elsewhere since this text was loaded, and this text would lose it
        raise IllegalTransition("summary.stale", question=question.question_id, revision=revision)
    return [e.AnswerSummaryRecorded(at=now, question_id=question.question_id, summary=summary)]


@rule(c.AddCommitment)
def _add_commitment(state: State, cmd: c.AddCommitment, now: datetime) -> list[e.Event]:
    question = _recordable(state, cmd.question_id)
    record = state.answers.get(question.question_id)
    if record is not None and len(record.commitments) >= 50:
        raise InvalidInput("input.too_many", field="commitments", limit=50)
    check_date(cmd.by_when, "by_when")
    return [
        e.CommitmentAdded(
            at=now,
            question_id=question.question_id,
            commitment_id=state.next_commitment_id,
            what=clean_text(cmd.what, field="what", max_chars=state.limits.reason_max_chars),
            who=clean_label(state, cmd.who, "who"),
            by_when=cmd.by_when,
        )
    ]


@rule(c.RemoveCommitment)
def _remove_commitment(state: State, cmd: c.RemoveCommitment, now: datetime) -> list[e.Event]:
    question = _recordable(state, cmd.question_id)
    record = state.answers.get(question.question_id)
    if record is None or all(k.commitment_id != cmd.commitment_id for k in record.commitments):
        raise NotFound("commitment.not_found", commitment=cmd.commitment_id)
    return [
        e.CommitmentRemoved(
            at=now, question_id=question.question_id, commitment_id=cmd.commitment_id
        )
    ]


MAX_RECIPIENTS = 40
MAX_AUTHORITY_LINES = 3


def _lines(state: State, lines: tuple[str, ...], field: str, limit: int) -> tuple[str, ...]:
    if len(lines) > limit:
        raise InvalidInput("input.too_many", field=field, limit=limit)
    cleaned = (clean_label(state, line, field, required=False) for line in lines)
    return tuple(line for line in cleaned if line)


@rule(c.SetConclusionDraft)
def _conclusion_draft(state: State, cmd: c.SetConclusionDraft, now: datetime) -> list[e.Event]:
    """Allowed in every phase: the notice is written after the day."""
    if cmd.attendance is not None and not 0 <= cmd.attendance <= 1_000_000:
        raise InvalidInput("input.out_of_range", field="attendance")
    check_date(cmd.issued_on, "issued_on")
    summary_max = state.limits.summary_max_chars
    return [
        e.ConclusionDraftSet(
            at=now,
            number=clean_line(cmd.number, field="number", max_chars=40),
            locality=clean_line(cmd.locality, field="locality", max_chars=80),
            issued_on=cmd.issued_on,
            attendance=cmd.attendance,
            opening=clean_text(cmd.opening, field="opening", max_chars=summary_max, required=False),
            conclusions=clean_text(
                cmd.conclusions, field="conclusions", max_chars=summary_max, required=False
            ),
            authority_lines=_lines(
                state, cmd.authority_lines, "authority_lines", MAX_AUTHORITY_LINES
            ),
            signer_position=clean_label(
                state, cmd.signer_position, "signer_position", required=False
            ),
            signer_name=clean_label(state, cmd.signer_name, "signer_name", required=False),
            recipients=_lines(state, cmd.recipients, "recipients", MAX_RECIPIENTS),
        )
    ]


def _open_question(state: State, question_id: int) -> Question:
    question = get_question(state, question_id)
    if question.status not in (QuestionStatus.FORWARDED, QuestionStatus.DEFERRED):
        raise IllegalTransition(
            "followup.not_open", question=question.question_id, status=question.status.value
        )
    return question


def agency_link(state: State, actor: Actor, question_id: int, now: datetime) -> RoleLink:
    """The link an agency acts through, if it may still answer
    ``question_id`` by it: issued for that question, not revoked, not past
    its question's deadline plus the grace days."""
    link = state.links.get(actor.link_id or "")
    if link is None or link.role is not Role.AGENCY:
        raise Forbidden("link.invalid")
    if not link.active:
        raise Forbidden("link.revoked")
    if link.question_id != question_id:
        raise Forbidden("link.other_question", question=question_id)
    if agency_link_expired(state, link, now):
        raise Forbidden("link.expired")
    return link


@rule(c.RecordWrittenAnswer)
def _written_answer(state: State, cmd: c.RecordWrittenAnswer, now: datetime) -> list[e.Event]:
    """Allowed in every phase: written answers arrive after the day."""
    question = _open_question(state, cmd.question_id)
    text = clean_text(cmd.text, field="text", max_chars=state.limits.summary_max_chars)
    agency = clean_label(state, cmd.agency, "agency", required=False)
    pending = False
    if cmd.actor.role is Role.AGENCY:
        link = agency_link(state, cmd.actor, question.question_id, now)
        if agency and fold_text(agency) != fold_text(link.agency):
            raise Forbidden("followup.agency_fixed", agency=link.agency)
        agency = link.agency
        pending = state.limits.answers_need_acceptance
    if not agency and question.forwarding is not None:
        agency = question.forwarding.agency
    if not agency:
        speaker = state.speakers.get(question.speaker_id or "")
        agency = speaker.agency if speaker else ""
    answer = question.written_answer
    same = answer is not None and answer.text == text and answer.agency == agency
    if same and (pending or question.accepted_answer == answer):
        return []  # the same answer again
    return [
        e.WrittenAnswerRecorded(
            at=now, question_id=question.question_id, text=text, agency=agency, pending=pending
        )
    ]


@rule(c.AcceptWrittenAnswer)
def _accept_answer(state: State, cmd: c.AcceptWrittenAnswer, now: datetime) -> list[e.Event]:
    """The revision the organiser read; a newer one must be read first."""
    question = _open_question(state, cmd.question_id)
    answer = question.written_answer
    if answer is None:
        raise NotFound("followup.no_answer", question=question.question_id)
    if cmd.revision != answer.revision:
        raise IllegalTransition("followup.answer_changed", question=question.question_id)
    if question.accepted_answer == answer:
        return []
    return [
        e.WrittenAnswerAccepted(at=now, question_id=question.question_id, revision=answer.revision)
    ]


_RECORDING_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@rule(c.SaveRecording)
def _save_recording(state: State, cmd: c.SaveRecording, now: datetime) -> list[e.Event]:
    """Allowed in every phase: a segment may end as the dialogue closes."""
    if not _RECORDING_NAME.fullmatch(cmd.recording_id):
        raise InvalidInput("input.bad_value", field="recording_id")
    stem, dot, extension = cmd.file.rpartition(".")
    if not dot or extension != "ogg" or not _RECORDING_NAME.fullmatch(stem):
        raise InvalidInput("input.bad_value", field="file")
    if cmd.recording_id in state.recordings:
        raise InvalidInput("recording.exists", recording=cmd.recording_id)
    check_bridge(state, cmd.bridge_id)
    if cmd.question_id is not None:
        get_question(state, cmd.question_id)
    if cmd.duration_ms < 0 or cmd.size < 0 or cmd.ended_at < cmd.started_at:
        raise InvalidInput("input.bad_value", field="duration_ms")
    return [
        e.RecordingSaved(
            at=now,
            recording_id=cmd.recording_id,
            file=cmd.file,
            bridge_id=cmd.bridge_id,
            question_id=cmd.question_id,
            started_at=cmd.started_at,
            ended_at=cmd.ended_at,
            duration_ms=cmd.duration_ms,
            size=cmd.size,
        )
    ]


# --- folds: how this slice's events change the state -------------------------


def _record(state: State, question_id: int) -> AnswerRecord:
    record = state.answers.get(question_id)
    if record is None:
        question = state.questions[question_id]
        record = AnswerRecord(question_id=question_id, speaker_id=question.speaker_id)
        state.answers[question_id] = record
    return record


@fold(e.AnswerSummaryRecorded)
def _answer_summary_recorded(state: State, ev: e.AnswerSummaryRecorded) -> None:
    record = _record(state, ev.question_id)
    record.summary = ev.summary
    record.revision += 1


@fold(e.CommitmentAdded)
def _commitment_added(state: State, ev: e.CommitmentAdded) -> None:
    _record(state, ev.question_id).commitments.append(
        Commitment(commitment_id=ev.commitment_id, what=ev.what, who=ev.who, by_when=ev.by_when)
    )
    state.next_commitment_id = max(state.next_commitment_id, ev.commitment_id + 1)


@fold(e.CommitmentRemoved)
def _commitment_removed(state: State, ev: e.CommitmentRemoved) -> None:
    record = _record(state, ev.question_id)
    record.commitments = [k for k in record.commitments if k.commitment_id != ev.commitment_id]


@fold(e.ConclusionDraftSet)
def _conclusion_draft_set(state: State, ev: e.ConclusionDraftSet) -> None:
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


@fold(e.WrittenAnswerRecorded)
def _written_answer_recorded(state: State, ev: e.WrittenAnswerRecorded) -> None:
    question = state.questions[ev.question_id]
    before = question.written_answer
    answer = WrittenAnswer(
        text=ev.text,
        agency=ev.agency,
        answered_at=ev.at,
        revision=before.revision + 1 if before is not None else 1,
    )
    question.written_answer = answer
    if not ev.pending:
        question.accepted_answer = answer


@fold(e.WrittenAnswerAccepted)
def _written_answer_accepted(state: State, ev: e.WrittenAnswerAccepted) -> None:
    question = state.questions[ev.question_id]
    if question.written_answer is not None and question.written_answer.revision == ev.revision:
        question.accepted_answer = question.written_answer


@fold(e.RecordingSaved)
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
