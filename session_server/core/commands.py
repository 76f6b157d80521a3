"""Commands: what someone asks the dialogue to do, in the imperative.

Each carries its ``actor``; ``decide`` checks the actor's role before
anything else. Text fields arrive raw from a phone or browser and are
normalised and bounded by ``decide``.

Each may carry a ``command_id`` (keyword only): made by the client, or by the
session (``runtime/session.py``) when the client made none. ``decide``
stamps it, scoped by the actor (:meth:`Command.scoped_id`), on the events the
command causes; ``apply`` remembers it (``State.applied_commands``). A command
whose scoped id the state already holds is a repeat: ``decide`` accepts it
and returns no events. So a command whose outcome was unknown (a timeout, a
lost link) can be sent again, or recognised in the log, without being
applied twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from session_server.core.model import (
    Actor,
    BridgeKind,
    Origin,
    Phase,
    ProgrammeKind,
    RejectionCategory,
    Role,
    TimerKind,
)

__all__ = [
    "AcceptWrittenAnswer",
    "AddCommitment",
    "ApproveQuestion",
    "AssignSpeaker",
    "CancelFloorRequest",
    "ChangePhase",
    "Command",
    "CreateDialogue",
    "DeclineFloorRequest",
    "DeferQuestion",
    "ExtendTimer",
    "ForwardQuestion",
    "GiveFloor",
    "GrantFloorRequest",
    "HoldSubmissions",
    "IssueLink",
    "MarkAnswered",
    "MergeQuestion",
    "MoveQuestion",
    "MoveQuestionInTopic",
    "ProgrammeEntry",
    "RecordAnswerSummary",
    "RecordWrittenAnswer",
    "RejectQuestion",
    "ReleaseFloor",
    "RemoveBridgePoint",
    "RemoveCommitment",
    "RequestFloor",
    "RevokeLink",
    "SaveRecording",
    "ScreenQuestions",
    "SetBridgePoint",
    "SetConclusionDraft",
    "SetCurrentItem",
    "SetFloorQuestion",
    "SetIntakeDeadline",
    "SetProgramme",
    "SetPublicList",
    "SetQuestionTopic",
    "SetSpeaker",
    "SetTopic",
    "StartProgrammeRecording",
    "StartTimer",
    "StopTimer",
    "SubmitQuestion",
    "UpdateDialogue",
    "Verdict",
    "Vote",
]


@dataclass(frozen=True)
class Command:
    actor: Actor
    command_id: str = field(default="", kw_only=True)
    """8..64 of ``A-Z a-z 0-9 _ -``, or "" for none (see the module's docstring)."""

    def scoped_id(self) -> str:
        """``actor scope + ':' + command_id`` ("" without a command id): two
        actors may use the same id without one's command repeating the other's."""
        if not self.command_id:
            return ""
        return f"{self.actor.scope()}:{self.command_id}"


# --- setting up (organiser) -------------------------------------------------


@dataclass(frozen=True)
class CreateDialogue(Command):
    title: str
    theme: str = ""
    host_body: str = ""
    parent_body: str = ""
    place: str = ""
    starts_at: datetime | None = None
    legal_basis: tuple[str, ...] = ()
    intake_deadline: datetime | None = None


@dataclass(frozen=True)
class UpdateDialogue(Command):
    title: str
    theme: str = ""
    host_body: str = ""
    parent_body: str = ""
    place: str = ""
    starts_at: datetime | None = None
    legal_basis: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetIntakeDeadline(Command):
    deadline: datetime | None


@dataclass(frozen=True)
class ChangePhase(Command):
    phase: Phase


@dataclass(frozen=True)
class SetBridgePoint(Command):
    """Add a bridge point or change one (same ``bridge_id``). Added with
    an empty ``bridge_id``, its id is made from its name (the same for
    topics, speakers and programme items)."""

    bridge_id: str = ""
    name: str = ""
    kind: BridgeKind = BridgeKind.REMOTE
    operator: str = ""
    capacity: int = 0


@dataclass(frozen=True)
class RemoveBridgePoint(Command):
    bridge_id: str


@dataclass(frozen=True)
class SetTopic(Command):
    topic_id: str = ""
    name: str = ""
    speaker_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetSpeaker(Command):
    speaker_id: str = ""
    name: str = ""
    position: str = ""
    agency: str = ""
    topic_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgrammeEntry:
    item_id: str
    title: str
    kind: ProgrammeKind = ProgrammeKind.OTHER
    planned_minutes: int = 0


@dataclass(frozen=True)
class SetProgramme(Command):
    items: tuple[ProgrammeEntry, ...]


@dataclass(frozen=True)
class SetCurrentItem(Command):
    item_id: str | None


@dataclass(frozen=True)
class IssueLink(Command):
    """A role link (``link_id`` made by the adapter). An agency's link names its
    forwarded or deferred question and the agency answering under that name (by
    default the one forwarded to, else its speaker's), whatever it types."""

    link_id: str
    role: Role
    bridge_id: str | None = None
    speaker_id: str | None = None
    label: str = ""
    question_id: int | None = None
    agency: str = ""
    unit_id: str | None = None
    topic_id: str | None = None  # a drafter's link for one topic only


@dataclass(frozen=True)
class RevokeLink(Command):
    link_id: str


# --- questions ---------------------------------------------------------------


@dataclass(frozen=True)
class SubmitQuestion(Command):
    """A question from a phone, a bridge operator, or the organiser's import.

    ``idempotency_key`` is made by the client; a retry with the same key from
    the same actor is accepted once (``decide`` returns no events and the
    original id stays in ``state.idempotency``)."""

    text: str
    idempotency_key: str
    bridge_id: str
    origin: Origin = Origin.PHONE
    topic_id: str | None = None
    asker_name: str = ""
    asker_unit: str = ""
    asker_age_group: str = ""
    asker_public: bool = False


@dataclass(frozen=True)
class ApproveQuestion(Command):
    question_id: int


@dataclass(frozen=True)
class RejectQuestion(Command):
    """Turn a question down, for a reason the record counts (``category``);
    ``reason`` in words, required when the category is ``other``."""

    question_id: int
    reason: str = ""
    category: RejectionCategory = RejectionCategory.OTHER


class Verdict(enum.StrEnum):  # several questions screened at once
    APPROVE = "approve"
    REJECT = "reject"
    MERGE = "merge"


@dataclass(frozen=True)
class ScreenQuestions(Command):
    """Approve, reject (for one reason) or merge several waiting questions
    at once: the same events as one by one, stored together or not at all.
    ``merge`` joins them all into the first of ``question_ids``."""

    question_ids: tuple[int, ...]
    verdict: Verdict
    category: RejectionCategory = RejectionCategory.OTHER
    reason: str = ""


@dataclass(frozen=True)
class MergeQuestion(Command):
    question_id: int
    into_id: int


@dataclass(frozen=True)
class MoveQuestion(Command):
    """Put an approved question at ``position`` (0-based) of the queue."""

    question_id: int
    position: int


@dataclass(frozen=True)
class MoveQuestionInTopic(Command):
    """Put an approved question at ``index`` (0-based) among the queued
    questions of its own topic; the topics keep their places in the queue."""

    question_id: int
    index: int


@dataclass(frozen=True)
class SetQuestionTopic(Command):
    question_id: int
    topic_id: str | None


@dataclass(frozen=True)
class AssignSpeaker(Command):
    question_id: int
    speaker_id: str | None


@dataclass(frozen=True)
class SetPublicList(Command):
    open: bool


@dataclass(frozen=True)
class Vote(Command):
    question_id: int


@dataclass(frozen=True)
class HoldSubmissions(Command):
    """Hold (or stop holding) the phone questions of one bridge point for
    review: they are recorded, but kept apart from the moderator's inbox
    (a link that one prankster floods)."""

    bridge_id: str
    hold: bool = True


# --- the floor ---------------------------------------------------------------


@dataclass(frozen=True)
class GiveFloor(Command):
    """Give the floor to a bridge point (the main venue included), optionally
    with a question that goes on the floor and its answering speaker."""

    bridge_id: str
    question_id: int | None = None
    speaker_id: str | None = None
    question_seconds: int = 0
    without_feed: bool = False
    """The moderator confirmed giving the floor to a bridge point whose
    camera is not live (the adapter refuses otherwise)."""


@dataclass(frozen=True)
class SetFloorQuestion(Command):
    question_id: int
    speaker_id: str | None = None


@dataclass(frozen=True)
class ReleaseFloor(Command):
    """Take the floor back; a question still on it returns to the queue."""


@dataclass(frozen=True)
class StartTimer(Command):
    kind: TimerKind
    seconds: int


@dataclass(frozen=True)
class ExtendTimer(Command):
    kind: TimerKind
    seconds: int


@dataclass(frozen=True)
class StopTimer(Command):
    kind: TimerKind


@dataclass(frozen=True)
class MarkAnswered(Command):
    question_id: int


@dataclass(frozen=True)
class ForwardQuestion(Command):
    """Send to the competent agency (the moderator during the day; the
    organiser in any phase, after closing too). ``deadline``: the day the
    written answer is due, else ``Limits.follow_up_days`` after today."""

    question_id: int
    agency: str
    deadline: date | None = None
    note: str = ""


@dataclass(frozen=True)
class DeferQuestion(Command):
    """Answer in writing after the event (the moderator during the day; the
    organiser in any phase, after closing too), by ``deadline`` if given."""

    question_id: int
    note: str = ""
    deadline: date | None = None


@dataclass(frozen=True)
class RequestFloor(Command):
    bridge_id: str
    note: str = ""


@dataclass(frozen=True)
class CancelFloorRequest(Command):
    request_id: int


@dataclass(frozen=True)
class GrantFloorRequest(Command):
    request_id: int
    question_id: int | None = None
    speaker_id: str | None = None
    question_seconds: int = 0
    without_feed: bool = False


@dataclass(frozen=True)
class DeclineFloorRequest(Command):
    request_id: int
    reason: str = ""


from session_server.core.commands_record import (  # noqa: E402  (they subclass Command)
    AcceptWrittenAnswer,
    AddCommitment,
    RecordAnswerSummary,
    RecordWrittenAnswer,
    RemoveCommitment,
    SaveRecording,
    SetConclusionDraft,
    StartProgrammeRecording,
)
