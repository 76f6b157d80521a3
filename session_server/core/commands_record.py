"""The record slice's commands (``core/deciders/record.py``, and the day's
video's start, ``core/deciders/onair.py``): the secretary's summaries and
commitments, the conclusion's text, written answers, recordings. Kept
beside ``commands.py``, which re-exports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from session_server.core.commands import Command

__all__ = [
    "AcceptWrittenAnswer",
    "AddCommitment",
    "RecordAnswerSummary",
    "RecordWrittenAnswer",
    "RemoveCommitment",
    "SaveRecording",
    "SetConclusionDraft",
    "StartProgrammeRecording",
]


@dataclass(frozen=True)
class RecordAnswerSummary(Command):
    """The whole summary, as the secretary's box holds it.

    ``base_revision`` is the summary's revision (``AnswerRecord.revision``)
    that the text was based on. ``None`` (a client that does not say): the
    last save wins. When another save came first, the text is accepted only
    if it keeps what is stored now (it extends it, so nothing is lost);
    otherwise the save is refused (``summary.stale``) and the secretary
    reviews and saves again."""

    question_id: int
    summary: str
    base_revision: int | None = None


@dataclass(frozen=True)
class AddCommitment(Command):
    question_id: int
    what: str
    who: str
    by_when: date | None = None


@dataclass(frozen=True)
class RemoveCommitment(Command):
    question_id: int
    commitment_id: int


@dataclass(frozen=True)
class SetConclusionDraft(Command):
    """The organiser's free text of the conclusion notice (all of it at once)."""

    number: str = ""
    locality: str = ""
    issued_on: date | None = None
    attendance: int | None = None
    opening: str = ""
    conclusions: str = ""
    authority_lines: tuple[str, ...] = ()
    signer_position: str = ""
    signer_name: str = ""
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordWrittenAnswer(Command):
    """A written answer to a forwarded or deferred question (again to
    correct it). An agency answers through its link, under the name the link
    fixes (``agency`` may only repeat it), and its answer awaits the
    organiser's acceptance when ``Limits.answers_need_acceptance``; the
    organiser may record one received otherwise (``agency`` defaults to the
    one it was forwarded to)."""

    question_id: int
    text: str
    agency: str = ""


@dataclass(frozen=True)
class AcceptWrittenAnswer(Command):
    """The organiser accepts the written answer they read (its
    ``revision``): from then on the public report and the notice show it."""

    question_id: int
    revision: int


@dataclass(frozen=True)
class SaveRecording(Command):
    """The recorder saved the audio of one floor segment."""

    recording_id: str
    file: str
    bridge_id: str
    question_id: int | None
    started_at: datetime
    ended_at: datetime
    duration_ms: int
    size: int


@dataclass(frozen=True)
class StartProgrammeRecording(Command):
    """The recorder started the day's video (``file``): its timestamp zero
    is ``started_at``, so the report can place each question in it."""

    started_at: datetime
    file: str
