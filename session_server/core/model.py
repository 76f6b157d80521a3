"""The domain of a dialogue day, as plain dataclasses: data, no I/O, no clock.

``State`` is one dialogue as rebuilt from its event log; ``apply`` (``core/apply.py``
and the slices' folds in ``core/deciders/``) is the only code that changes it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from session_server.core.preparation import Preparation
from session_server.core.record import (
    AnswerRecord,
    Commitment,
    ConclusionDraft,
    Forwarding,
    Recording,
    WrittenAnswer,
)
from session_server.core.registration import Roster
from session_server.core.similar import SimilarIndex

__all__ = [
    "LINK_ROLES",
    "LOCAL_TZ",
    "MAIN_KINDS",
    "NO_CONDITIONS",
    "Actor",
    "AnswerRecord",
    "Asker",
    "BridgeKind",
    "BridgePoint",
    "Commitment",
    "ConclusionDraft",
    "Conditions",
    "Dialogue",
    "Floor",
    "FloorRequest",
    "FloorRequestStatus",
    "Forwarding",
    "Limits",
    "Origin",
    "Phase",
    "ProgrammeItem",
    "ProgrammeKind",
    "Question",
    "QuestionStatus",
    "Recording",
    "RejectionCategory",
    "Role",
    "RoleLink",
    "Speaker",
    "State",
    "TimerKind",
    "Topic",
    "WrittenAnswer",
]


LOCAL_TZ = timezone(timedelta(hours=7), "ICT")
"""Vietnam's time: dialogues happen there, and times typed without an offset,
dates and the times people read are Vietnam time."""


class Phase(enum.StrEnum):
    DRAFT = "draft"
    INTAKE = "intake"
    LIVE = "live"
    CLOSED = "closed"


class Role(enum.StrEnum):
    ORGANISER = "organiser"
    MODERATOR = "moderator"
    SECRETARY = "secretary"
    BRIDGE_OPERATOR = "bridge"
    SPEAKER = "speaker"
    ATTENDEE = "attendee"
    DISPLAY = "display"
    AGENCY = "agency"
    """An agency answering a forwarded or deferred question in writing, by a
    link for that question alone (``/a/…``), its name fixed by the organiser."""
    RECORDER = "recorder"
    """The server's own media recorder: each floor segment's audio (never a role link)."""
    UNIT_REGISTRAR = "unit"
    """A participating unit registering its delegates, by its own link
    (``/u/…``, ``RoleLink.unit_id``)."""
    CHECK_IN = "checkin"
    """The check-in staff at one bridge point's door (or its console)."""
    DRAFTER = "drafter"
    """The unit or agency drafting suggested answers to pre-collected
    questions, by its own link (``/g/…``, ``core/preparation.py``)."""


LINK_ROLES = frozenset({Role.AGENCY, Role.UNIT_REGISTRAR, Role.DRAFTER})
"""Roles that act by their link alone: each link is its own actor."""


class BridgeKind(enum.StrEnum):
    MAIN = "main"
    REMOTE = "remote"


MAIN_KINDS = frozenset({BridgeKind.MAIN})


class Origin(enum.StrEnum):
    PHONE = "phone"
    BRIDGE = "bridge"
    PRE_COLLECTED = "pre_collected"
    IMPORTED = "imported"


class QuestionStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    MERGED = "merged"
    ON_FLOOR = "on_floor"
    ANSWERED = "answered"
    FORWARDED = "forwarded"
    DEFERRED = "deferred"


class RejectionCategory(enum.StrEnum):  # why, as the record counts it
    OFF_TOPIC = "off_topic"
    DUPLICATE = "duplicate"
    OFFENSIVE = "offensive"
    SPAM = "spam"  # or a test
    OTHER = "other"


class ProgrammeKind(enum.StrEnum):
    OPENING = "opening"
    KEYNOTE = "keynote"
    DISCUSSION = "discussion"
    SPEECHES = "speeches"
    DIRECTIVE = "directive"
    CONCLUSION = "conclusion"
    CLOSING = "closing"
    OTHER = "other"


class TimerKind(enum.StrEnum):
    QUESTION = "question"
    ANSWER = "answer"


class FloorRequestStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Actor:
    """Who issues a command: from a verified link or cookie, never the client's word."""

    role: Role
    bridge_id: str | None = None
    speaker_id: str | None = None
    device_id: str | None = None
    link_id: str | None = None
    """An agency's (drafter's) link: its question (topic) and its name."""

    def scope(self) -> str:
        """The namespace of this actor's idempotency keys."""
        if self.role is Role.ATTENDEE:
            return f"device:{self.device_id}"
        if self.role in LINK_ROLES and self.link_id:
            return f"link:{self.link_id}"
        if self.role is Role.BRIDGE_OPERATOR:
            return f"bridge:{self.bridge_id}"
        if self.role is Role.SPEAKER:
            return f"speaker:{self.speaker_id}"
        return f"role:{self.role.value}"


@dataclass(frozen=True)
class Conditions:
    """What ``decide`` is told of the world outside the log (read under the lock)."""

    feeds: Mapping[str, str] | None = None
    """Each bridge point's picture link (``live``, ``connecting``, ``stalled``,
    ``failed``, ``none``) when media is relayed; None: the floor needs no picture."""


NO_CONDITIONS = Conditions()


@dataclass(frozen=True)
class Limits:
    """Input bounds, taken from configuration (``session_server.config``)."""

    question_max_chars: int = 1000
    name_max_chars: int = 80
    unit_max_chars: int = 120
    reason_max_chars: int = 500
    summary_max_chars: int = 8000
    title_max_chars: int = 300
    label_max_chars: int = 200
    timer_max_seconds: int = 3600
    max_questions: int = 100_000
    follow_up_days: int = 30
    """Days an agency has to answer in writing when no deadline was set."""
    agency_grace_days: int = 14
    """Days an agency's link still works after its question's deadline."""
    answers_need_acceptance: bool = True
    """An agency's written answer is public only once the organiser accepts it."""


@dataclass
class Dialogue:
    title: str = ""
    theme: str = ""
    host_body: str = ""
    parent_body: str = ""
    place: str = ""
    starts_at: datetime | None = None
    legal_basis: tuple[str, ...] = ()
    phase: Phase = Phase.DRAFT
    intake_deadline: datetime | None = None
    created_at: datetime | None = None


@dataclass
class BridgePoint:
    bridge_id: str
    name: str
    kind: BridgeKind = BridgeKind.REMOTE
    operator: str = ""
    capacity: int = 0


@dataclass
class Topic:
    topic_id: str
    name: str
    speaker_ids: tuple[str, ...] = ()


@dataclass
class Speaker:
    speaker_id: str
    name: str
    position: str = ""
    agency: str = ""
    topic_ids: tuple[str, ...] = ()


@dataclass
class ProgrammeItem:
    item_id: str
    title: str
    kind: ProgrammeKind = ProgrammeKind.OTHER
    planned_minutes: int = 0


@dataclass(frozen=True)
class Asker:
    """Who asked, as much as they chose to say. ``public`` is the asker's
    consent to be named in the public report and the conclusion notice."""

    name: str = ""
    unit: str = ""
    age_group: str = ""
    public: bool = False


@dataclass
class Question:
    question_id: int
    text: str
    asker: Asker
    origin: Origin
    bridge_id: str
    topic_id: str | None
    submitted_at: datetime
    submitted_by: str
    """The actor scope that submitted it (``device:…``, ``bridge:…``)."""
    status: QuestionStatus = QuestionStatus.SUBMITTED
    voters: set[str] = field(default_factory=set)
    """Device ids; the vote count is ``len(voters)``."""
    extra_askers: list[Asker] = field(default_factory=list)
    extra_origins: list[tuple[Origin, str]] = field(default_factory=list)
    """(origin, bridge id) of each question merged into this one."""
    merged_from: list[int] = field(default_factory=list)
    merged_into: int | None = None
    rejection_reason: str = ""
    rejection_category: RejectionCategory | None = None  # set when rejected
    speaker_id: str | None = None
    forwarding: Forwarding | None = None
    deferral_note: str = ""
    deferral_deadline: date | None = None
    """The day a deferred question's written answer is due, when one was set."""
    written_answer: WrittenAnswer | None = None
    """The last answer recorded, accepted or not."""
    accepted_answer: WrittenAnswer | None = None
    """The answer the organiser accepted (or that needed no acceptance): the
    only one the public report and the conclusion notice show."""
    approved_at: datetime | None = None
    floor_at: datetime | None = None
    closed_at: datetime | None = None
    held: bool = False
    """Sent while its bridge point's phone questions were held for review."""
    similar: tuple[int, ...] = ()
    """Earlier questions it likely repeats, most alike, found as it arrived."""

    @property
    def votes(self) -> int:
        return len(self.voters)

    def askers(self) -> list[Asker]:
        return [self.asker, *self.extra_askers]

    def origins(self) -> list[tuple[Origin, str]]:
        return [(self.origin, self.bridge_id), *self.extra_origins]


@dataclass
class FloorRequest:
    request_id: int
    bridge_id: str
    note: str
    requested_at: datetime
    status: FloorRequestStatus = FloorRequestStatus.PENDING
    reason: str = ""


@dataclass
class Floor:
    """Who holds the floor: ``holder`` is a bridge point id (the main venue too) or None."""

    holder: str | None = None
    question_id: int | None = None
    speaker_id: str | None = None
    since: datetime | None = None
    question_ends_at: datetime | None = None
    answer_ends_at: datetime | None = None

    def ends_at(self, kind: TimerKind) -> datetime | None:
        if kind is TimerKind.QUESTION:
            return self.question_ends_at
        return self.answer_ends_at


@dataclass
class RoleLink:
    """A signed link that lets its holder act in one role (and bridge point
    or speaker) of this dialogue, until revoked. The signature lives in the
    adapter; the core keeps which links exist and which are revoked.

    An agency's link is for one forwarded or deferred question
    (``question_id``) and answers under the name the organiser fixed
    (``agency``); it also ends ``Limits.agency_grace_days`` after the
    question's deadline (``core/views.py``, ``agency_link_last_day``)."""

    link_id: str
    role: Role
    bridge_id: str | None = None
    speaker_id: str | None = None
    label: str = ""
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    question_id: int | None = None
    agency: str = ""
    unit_id: str | None = None  # a unit registrar's link: its unit
    topic_id: str | None = None  # a drafter's link for one topic only

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def actor(self, device_id: str | None = None) -> Actor:
        return Actor(
            role=self.role,
            bridge_id=self.bridge_id,
            speaker_id=self.speaker_id,
            device_id=device_id if self.role is Role.ATTENDEE else None,
            link_id=self.link_id if self.role in LINK_ROLES else None,
        )


@dataclass
class State:
    """One dialogue, as rebuilt from its log."""

    limits: Limits = field(default_factory=Limits)
    created: bool = False
    dialogue: Dialogue = field(default_factory=Dialogue)
    bridges: dict[str, BridgePoint] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    speakers: dict[str, Speaker] = field(default_factory=dict)
    programme: list[ProgrammeItem] = field(default_factory=list)
    current_item_id: str | None = None
    questions: dict[int, Question] = field(default_factory=dict)
    queue: list[int] = field(default_factory=list)
    """The moderator's running order of approved questions."""
    public_list_open: bool = False
    held_bridges: set[str] = field(default_factory=set)
    """Bridge points whose phone questions are held for review."""
    floor: Floor = field(default_factory=Floor)
    floor_requests: dict[int, FloorRequest] = field(default_factory=dict)
    answers: dict[int, AnswerRecord] = field(default_factory=dict)
    links: dict[str, RoleLink] = field(default_factory=dict)
    conclusion: ConclusionDraft | None = None
    recordings: dict[str, Recording] = field(default_factory=dict)
    """Floor segments' audio, in the order they ended."""
    idempotency: dict[str, int] = field(default_factory=dict)
    """``actor scope + ':' + key`` → question id."""
    applied_commands: set[str] = field(default_factory=set)
    """Scoped ids (``actor scope + ':' + command id``) of the commands whose
    events were applied: the same command again is a repeat."""
    next_question_id: int = 1
    similar_index: SimilarIndex = field(default_factory=SimilarIndex, compare=False, repr=False)
    by_submitter: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)
    """Question ids by who submitted them, oldest first (a phone's own list)."""
    next_request_id: int = 1
    next_commitment_id: int = 1
    roster: Roster = field(default_factory=Roster)  # units, delegates, check-ins
    preparation: Preparation = field(default_factory=Preparation)  # before the day
    programme_started_at: datetime | None = None
    """Timestamp zero of the day's video (the newest recording's start)."""
    programme_file: str = ""

    def main_bridge(self) -> BridgePoint | None:
        for bridge in self.bridges.values():
            if bridge.kind is BridgeKind.MAIN:
                return bridge
        return None

    def pending_floor_requests(self) -> list[FloorRequest]:
        return [r for r in self.floor_requests.values() if r.status is FloorRequestStatus.PENDING]

    def current_item(self) -> ProgrammeItem | None:
        for item in self.programme:
            if item.item_id == self.current_item_id:
                return item
        return None
