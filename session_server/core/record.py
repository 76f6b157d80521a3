"""The record's data types (``core/deciders/record.py``): what the
secretary records of each answer, the agencies' written answers, the
conclusion notice's typed text and the floor segments' recordings. Part of
the dialogue's state (``core/model.py``, which re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "AnswerRecord",
    "Commitment",
    "ConclusionDraft",
    "Forwarding",
    "Recording",
    "WrittenAnswer",
]


@dataclass(frozen=True)
class Commitment:
    commitment_id: int
    what: str
    who: str
    by_when: date | None = None


@dataclass
class AnswerRecord:
    question_id: int
    speaker_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    summary: str = ""
    revision: int = 0
    """How many times the summary was recorded: a save names the revision its
    text was based on (``RecordAnswerSummary.base_revision``)."""
    commitments: list[Commitment] = field(default_factory=list)


@dataclass(frozen=True)
class Forwarding:
    agency: str
    deadline: date | None = None
    note: str = ""


@dataclass(frozen=True)
class ConclusionDraft:
    """What the organiser types into the conclusion notice (the rest comes from the
    log); empty values fall back to defaults from the state (``export/record.py``)."""

    number: str = ""
    """The notice's number and code, e.g. ``25/TB-UBND``."""
    locality: str = ""
    """The place name of the date line ("An Giang, ngày …")."""
    issued_on: date | None = None
    attendance: int | None = None
    """Typed by the organiser: counts only when nobody was checked in (``core/roster.py``)."""
    opening: str = ""
    conclusions: str = ""
    authority_lines: tuple[str, ...] = ()
    """The signature's authority, e.g. ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH")."""
    signer_position: str = ""
    signer_name: str = ""
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class WrittenAnswer:
    """An agency's written answer to a forwarded or deferred question."""

    text: str
    agency: str
    answered_at: datetime
    revision: int = 1
    """Answers recorded so far: the organiser accepts the one read (``AcceptWrittenAnswer``)."""


@dataclass
class Recording:
    """The audio of one floor segment (Ogg/Opus), kept beside the log."""

    recording_id: str
    file: str
    bridge_id: str
    question_id: int | None
    started_at: datetime
    ended_at: datetime
    duration_ms: int
    size: int
