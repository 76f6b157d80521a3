"""Events: what happened, in the past tense. The event log stores these.

Every event has ``at`` (the time ``decide`` was given) and a class-level
``name`` under which it is stored. Field values are already validated and
normalised: ``apply`` trusts them.

``command_id`` (keyword only) is the scoped id of the command that caused the
event (``Command.scoped_id()``: the actor's scope, ``:``, the command's id),
or "" when that command carried none (and in logs written before command
ids existed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from session_server.core.model import (
    Asker,
    BridgeKind,
    Origin,
    Phase,
    ProgrammeKind,
    RejectionCategory,
    Role,
    TimerKind,
)

__all__ = [
    "EVENT_TYPES",
    "AnswerSummaryRecorded",
    "BridgePointRemoved",
    "BridgePointSet",
    "CommitmentAdded",
    "CommitmentRemoved",
    "ConclusionDraftSet",
    "CurrentItemSet",
    "DialogueCreated",
    "DialogueUpdated",
    "Event",
    "FloorGiven",
    "FloorQuestionSet",
    "FloorReleased",
    "FloorRequestCancelled",
    "FloorRequestDeclined",
    "FloorRequested",
    "IntakeDeadlineSet",
    "LinkIssued",
    "LinkRevoked",
    "PhaseChanged",
    "ProgrammeItemData",
    "ProgrammeRecordingStarted",
    "ProgrammeSet",
    "PublicListSet",
    "QuestionAnswered",
    "QuestionApproved",
    "QuestionDeferred",
    "QuestionForwarded",
    "QuestionMerged",
    "QuestionMoved",
    "QuestionRejected",
    "QuestionSubmitted",
    "QuestionTopicSet",
    "RecordingSaved",
    "SpeakerAssigned",
    "SpeakerSet",
    "SubmissionsHeld",
    "TimerExtended",
    "TimerStarted",
    "TimerStopped",
    "TopicSet",
    "VoteCast",
    "WrittenAnswerAccepted",
    "WrittenAnswerRecorded",
]


@dataclass(frozen=True)
class Event:
    name: ClassVar[str] = "Event"
    at: datetime
    command_id: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class DialogueCreated(Event):
    name: ClassVar[str] = "DialogueCreated"
    title: str
    theme: str
    host_body: str
    parent_body: str
    place: str
    starts_at: datetime | None
    legal_basis: tuple[str, ...]
    intake_deadline: datetime | None


@dataclass(frozen=True)
class DialogueUpdated(Event):
    name: ClassVar[str] = "DialogueUpdated"
    title: str
    theme: str
    host_body: str
    parent_body: str
    place: str
    starts_at: datetime | None
    legal_basis: tuple[str, ...]


@dataclass(frozen=True)
class IntakeDeadlineSet(Event):
    name: ClassVar[str] = "IntakeDeadlineSet"
    deadline: datetime | None


@dataclass(frozen=True)
class PhaseChanged(Event):
    name: ClassVar[str] = "PhaseChanged"
    phase: Phase


@dataclass(frozen=True)
class BridgePointSet(Event):
    name: ClassVar[str] = "BridgePointSet"
    bridge_id: str
    bridge_name: str
    kind: BridgeKind
    operator: str
    capacity: int


@dataclass(frozen=True)
class BridgePointRemoved(Event):
    name: ClassVar[str] = "BridgePointRemoved"
    bridge_id: str


@dataclass(frozen=True)
class TopicSet(Event):
    name: ClassVar[str] = "TopicSet"
    topic_id: str
    topic_name: str
    speaker_ids: tuple[str, ...]


@dataclass(frozen=True)
class SpeakerSet(Event):
    name: ClassVar[str] = "SpeakerSet"
    speaker_id: str
    speaker_name: str
    position: str
    agency: str
    topic_ids: tuple[str, ...]


@dataclass(frozen=True)
class ProgrammeItemData:
    item_id: str
    title: str
    kind: ProgrammeKind
    planned_minutes: int


@dataclass(frozen=True)
class ProgrammeSet(Event):
    name: ClassVar[str] = "ProgrammeSet"
    items: tuple[ProgrammeItemData, ...]


@dataclass(frozen=True)
class CurrentItemSet(Event):
    name: ClassVar[str] = "CurrentItemSet"
    item_id: str | None


@dataclass(frozen=True)
class QuestionSubmitted(Event):
    name: ClassVar[str] = "QuestionSubmitted"
    question_id: int
    text: str
    asker: Asker
    origin: Origin
    bridge_id: str
    topic_id: str | None
    submitted_by: str
    idempotency_key: str
    held: bool = False
    """Submitted through a bridge point whose phone questions are held."""


@dataclass(frozen=True)
class QuestionApproved(Event):
    name: ClassVar[str] = "QuestionApproved"
    question_id: int


@dataclass(frozen=True)
class QuestionRejected(Event):
    name: ClassVar[str] = "QuestionRejected"
    question_id: int
    reason: str
    category: RejectionCategory = RejectionCategory.OTHER
    """Logs written before categories load as ``other``, their reason in words."""


@dataclass(frozen=True)
class QuestionMerged(Event):
    name: ClassVar[str] = "QuestionMerged"
    question_id: int
    into_id: int


@dataclass(frozen=True)
class QuestionMoved(Event):
    name: ClassVar[str] = "QuestionMoved"
    question_id: int
    position: int


@dataclass(frozen=True)
class QuestionTopicSet(Event):
    name: ClassVar[str] = "QuestionTopicSet"
    question_id: int
    topic_id: str | None


@dataclass(frozen=True)
class SpeakerAssigned(Event):
    name: ClassVar[str] = "SpeakerAssigned"
    question_id: int
    speaker_id: str | None


@dataclass(frozen=True)
class PublicListSet(Event):
    name: ClassVar[str] = "PublicListSet"
    open: bool


@dataclass(frozen=True)
class SubmissionsHeld(Event):
    name: ClassVar[str] = "SubmissionsHeld"
    bridge_id: str
    held: bool


@dataclass(frozen=True)
class VoteCast(Event):
    name: ClassVar[str] = "VoteCast"
    question_id: int
    device_id: str


@dataclass(frozen=True)
class FloorGiven(Event):
    name: ClassVar[str] = "FloorGiven"
    bridge_id: str
    request_id: int | None
    question_ends_at: datetime | None
    without_feed: bool = False


@dataclass(frozen=True)
class FloorQuestionSet(Event):
    """A question goes on the floor (``approved → on_floor``)."""

    name: ClassVar[str] = "FloorQuestionSet"
    question_id: int
    speaker_id: str | None


@dataclass(frozen=True)
class FloorReleased(Event):
    """The floor is free again; a question still on it returns to the queue."""

    name: ClassVar[str] = "FloorReleased"
    returned_question_id: int | None


@dataclass(frozen=True)
class TimerStarted(Event):
    name: ClassVar[str] = "TimerStarted"
    kind: TimerKind
    ends_at: datetime


@dataclass(frozen=True)
class TimerExtended(Event):
    name: ClassVar[str] = "TimerExtended"
    kind: TimerKind
    ends_at: datetime


@dataclass(frozen=True)
class TimerStopped(Event):
    name: ClassVar[str] = "TimerStopped"
    kind: TimerKind


@dataclass(frozen=True)
class QuestionAnswered(Event):
    name: ClassVar[str] = "QuestionAnswered"
    question_id: int


@dataclass(frozen=True)
class QuestionForwarded(Event):
    name: ClassVar[str] = "QuestionForwarded"
    question_id: int
    agency: str
    deadline: date | None
    note: str


@dataclass(frozen=True)
class QuestionDeferred(Event):
    name: ClassVar[str] = "QuestionDeferred"
    question_id: int
    note: str
    deadline: date | None = None


@dataclass(frozen=True)
class FloorRequested(Event):
    name: ClassVar[str] = "FloorRequested"
    request_id: int
    bridge_id: str
    note: str


@dataclass(frozen=True)
class FloorRequestCancelled(Event):
    name: ClassVar[str] = "FloorRequestCancelled"
    request_id: int


@dataclass(frozen=True)
class FloorRequestDeclined(Event):
    name: ClassVar[str] = "FloorRequestDeclined"
    request_id: int
    reason: str


@dataclass(frozen=True)
class AnswerSummaryRecorded(Event):
    name: ClassVar[str] = "AnswerSummaryRecorded"
    question_id: int
    summary: str


@dataclass(frozen=True)
class CommitmentAdded(Event):
    name: ClassVar[str] = "CommitmentAdded"
    question_id: int
    commitment_id: int
    what: str
    who: str
    by_when: date | None


@dataclass(frozen=True)
class CommitmentRemoved(Event):
    name: ClassVar[str] = "CommitmentRemoved"
    question_id: int
    commitment_id: int


@dataclass(frozen=True)
class LinkIssued(Event):
    name: ClassVar[str] = "LinkIssued"
    link_id: str
    role: Role
    bridge_id: str | None
    speaker_id: str | None
    label: str
    question_id: int | None = None
    """An agency's link: its question (added later, see ``core/codec.py``)."""
    agency: str = ""
    """An agency's link: the name it answers under."""
    unit_id: str | None = None  # a unit registrar's link: its unit (added later)
    topic_id: str | None = None  # a drafter's link for one topic (added later)


@dataclass(frozen=True)
class LinkRevoked(Event):
    name: ClassVar[str] = "LinkRevoked"
    link_id: str


@dataclass(frozen=True)
class ConclusionDraftSet(Event):
    name: ClassVar[str] = "ConclusionDraftSet"
    number: str
    locality: str
    issued_on: date | None
    attendance: int | None
    opening: str
    conclusions: str
    authority_lines: tuple[str, ...]
    signer_position: str
    signer_name: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class WrittenAnswerRecorded(Event):
    name: ClassVar[str] = "WrittenAnswerRecorded"
    question_id: int
    text: str
    agency: str
    pending: bool = False
    """Awaits the organiser's acceptance. Logs written before acceptance
    existed lack it: their answers count as accepted."""


@dataclass(frozen=True)
class WrittenAnswerAccepted(Event):
    name: ClassVar[str] = "WrittenAnswerAccepted"
    question_id: int
    revision: int


@dataclass(frozen=True)
class RecordingSaved(Event):
    name: ClassVar[str] = "RecordingSaved"
    recording_id: str
    file: str
    bridge_id: str
    question_id: int | None
    started_at: datetime
    ended_at: datetime
    duration_ms: int
    size: int


@dataclass(frozen=True)
class ProgrammeRecordingStarted(Event):
    name: ClassVar[str] = "ProgrammeRecordingStarted"
    started_at: datetime
    file: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        DialogueCreated,
        DialogueUpdated,
        IntakeDeadlineSet,
        PhaseChanged,
        BridgePointSet,
        BridgePointRemoved,
        TopicSet,
        SpeakerSet,
        ProgrammeSet,
        CurrentItemSet,
        QuestionSubmitted,
        QuestionApproved,
        QuestionRejected,
        QuestionMerged,
        QuestionMoved,
        QuestionTopicSet,
        SpeakerAssigned,
        PublicListSet,
        SubmissionsHeld,
        VoteCast,
        FloorGiven,
        FloorQuestionSet,
        FloorReleased,
        TimerStarted,
        TimerExtended,
        TimerStopped,
        QuestionAnswered,
        QuestionForwarded,
        QuestionDeferred,
        FloorRequested,
        FloorRequestCancelled,
        FloorRequestDeclined,
        AnswerSummaryRecorded,
        CommitmentAdded,
        CommitmentRemoved,
        LinkIssued,
        LinkRevoked,
        ConclusionDraftSet,
        WrittenAnswerRecorded,
        WrittenAnswerAccepted,
        RecordingSaved,
        ProgrammeRecordingStarted,
    )
}

# Registration and check-in, and the weeks before the day, keep their events
# in modules of their own, which need ``Event`` above: imported last, and
# part of the one set.
from session_server.core.events_preparation import PREPARATION_EVENTS  # noqa: E402
from session_server.core.events_registration import REGISTRATION_EVENTS  # noqa: E402

EVENT_TYPES.update({cls.name: cls for cls in (*REGISTRATION_EVENTS, *PREPARATION_EVENTS)})
