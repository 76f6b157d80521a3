"""What the JSON API answers: one msgspec model per response shape (built
from the dialogue's state in ``transport/api_views.py``).

``transport/api.py`` encodes them (``msgspec.json``) and
``transport/openapi.py`` describes them (``schema_components``): a field
added here is served and documented at once. Every field is always present
(``null`` when empty) unless its model says otherwise; no response carries a
member its model does not name, nor a device id, who submitted what, or (on
public answers) an asker who did not agree to be named.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from session_server.core import model as m

__all__ = [
    "RESPONSE_MODELS",
    "CommandDone",
    "DeviceIssued",
    "Error",
    "FullState",
    "OwnQuestions",
    "PublicState",
    "QuestionAccepted",
    "VoteCast",
]

Time = Annotated[datetime, msgspec.Meta(tz=True)]
"""An RFC 3339 date-time with its offset."""
Epoch = Annotated[str, msgspec.Meta(description="Changes whenever history may have been lost.")]
Seq = Annotated[int, msgspec.Meta(description="Sequence number of the last event applied.")]
Text = Annotated[str, msgspec.Meta(description="Plain text, not HTML: escape it.")]


class Model(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A response object: these members, nothing else."""


# --- refusals ---------------------------------------------------------------------------


class Messages(Model):
    """A message in Vietnamese and English."""

    vi: str
    en: str


class Error(Model):
    """Every refusal: a code and the message in Vietnamese and English."""

    error: Annotated[
        str, msgspec.Meta(description="A stable code (role.forbidden, input.schema.too_long, …).")
    ]
    message: Messages
    confirm: Annotated[
        str,
        msgspec.Meta(
            description=(
                "Present when the person may go ahead anyway: the command's yes/no "
                "field to send it again with, set true (the floor to a bridge point "
                "with no live picture: without_feed)."
            )
        ),
    ] = ""


# --- what anybody may know --------------------------------------------------------------


class BridgeRef(Model):
    bridge_id: str
    name: str


class TopicRef(Model):
    topic_id: str
    name: str


class SpeakerRef(Model):
    speaker_id: str
    name: str
    position: str
    agency: str


class ProgrammeItem(Model):
    item_id: str
    title: str
    kind: m.ProgrammeKind
    planned_minutes: int


class PublicAsker(Model):
    """An asker who agreed to be named (nobody else is ever listed)."""

    name: str
    unit: str


class PublicQuestion(Model):
    question_id: int
    text: Text
    status: m.QuestionStatus
    bridge: BridgeRef
    topic: TopicRef | None
    votes: int
    askers: list[PublicAsker]


class PublicDialogue(Model):
    dialogue_id: str
    title: str
    theme: str
    host_body: str
    place: str
    starts_at: Time | None
    phase: m.Phase
    intake_deadline: Time | None


class PublicFloor(Model):
    holder: BridgeRef | None
    since: Time | None
    question: PublicQuestion | None
    speaker: SpeakerRef | None
    question_ends_at: Time | None
    answer_ends_at: Time | None


class PublicState(Model):
    """The dialogue as anybody may see it: the programme, the floor and,
    while the moderator keeps the public list open, the approved queue."""

    dialogue: PublicDialogue
    programme: list[ProgrammeItem]
    current_item: ProgrammeItem | None
    floor: PublicFloor
    public_list_open: bool
    queue: Annotated[
        list[PublicQuestion],
        msgspec.Meta(
            description="The approved queue in running order; empty while the moderator "
            "keeps the public list closed."
        ),
    ]
    epoch: Epoch
    seq: Seq


# --- what a caller made -----------------------------------------------------------------


class DeviceIssued(Model):
    ok: Literal[True]
    issued: Annotated[
        bool, msgspec.Meta(description="False when the client already had a valid device cookie.")
    ]


class QuestionAccepted(Model):
    question_id: int
    status: m.QuestionStatus
    epoch: Epoch
    seq: Seq


class VoteCast(Model):
    ok: Literal[True]
    question_id: Annotated[
        int,
        msgspec.Meta(
            description="The question the vote counts for (the one it joined, for a merged one)."
        ),
    ]
    votes: int
    epoch: Epoch
    seq: Seq


class CommandDone(Model):
    ok: Literal[True]
    epoch: Epoch
    seq: Seq
    events: Annotated[
        list[str], msgspec.Meta(description="Names of the events recorded (none for a repeat).")
    ]
    question_id: (
        Annotated[int, msgspec.Meta(description="Only for submit_question: the question it made.")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    revision: (
        Annotated[
            int,
            msgspec.Meta(
                description="Only for record_answer_summary: the summary's revision now, the "
                "base_revision of the next save."
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


# --- a question as its author follows it ------------------------------------------------


class Asker(Model):
    name: str
    unit: str
    age_group: str
    public: Annotated[bool, msgspec.Meta(description="Consent to be named in public.")]


class OwnForwarding(Model):
    agency: str
    deadline: date | None


class OwnQuestion(Model):
    question_id: int
    text: Text
    status: m.QuestionStatus
    bridge_id: str
    topic_id: str | None
    votes: int
    submitted_at: Time
    asker: Asker
    rejection_reason: str
    merged_into: int | None
    forwarding: OwnForwarding | None
    deferral_note: str


class OwnQuestions(Model):
    """A phone's own questions, or a bridge point's."""

    questions: list[OwnQuestion]
    epoch: Epoch
    seq: Seq


# --- the whole dialogue, for the control roles ------------------------------------------


class FullDialogue(Model):
    dialogue_id: str
    title: str
    theme: str
    host_body: str
    parent_body: str
    place: str
    starts_at: Time | None
    legal_basis: list[str]
    phase: m.Phase
    intake_deadline: Time | None


class Bridge(Model):
    bridge_id: str
    name: str
    kind: m.BridgeKind
    operator: str
    capacity: int


class Topic(Model):
    topic_id: str
    name: str
    speaker_ids: list[str]


class Speaker(Model):
    speaker_id: str
    name: str
    position: str
    agency: str
    topic_ids: list[str]


class Floor(Model):
    holder: str | None
    question_id: int | None
    speaker_id: str | None
    since: Time | None
    question_ends_at: Time | None
    answer_ends_at: Time | None


class FloorRequest(Model):
    request_id: int
    bridge_id: str
    note: str
    requested_at: Time
    status: m.FloorRequestStatus
    reason: str


class QuestionOrigin(Model):
    origin: m.Origin
    bridge_id: str


class Forwarding(Model):
    agency: str
    deadline: date | None
    note: str


class Commitment(Model):
    commitment_id: int
    what: str
    who: str
    by_when: date | None


class Answer(Model):
    speaker_id: str | None
    started_at: Time | None
    ended_at: Time | None
    summary: str
    revision: Annotated[
        int,
        msgspec.Meta(
            description="Saves of the summary so far: record_answer_summary's base_revision."
        ),
    ]
    commitments: list[Commitment]


class FullQuestion(Model):
    """A question with everything the control roles see, except device ids."""

    question_id: int
    text: Text
    status: m.QuestionStatus
    origin: m.Origin
    bridge_id: str
    topic_id: str | None
    speaker_id: str | None
    proposed_speaker_id: str | None
    votes: int
    askers: list[Asker]
    origins: list[QuestionOrigin]
    merged_from: list[int]
    merged_into: int | None
    rejection_reason: str
    forwarding: Forwarding | None
    deferral_note: str
    submitted_at: Time
    approved_at: Time | None
    floor_at: Time | None
    closed_at: Time | None
    answer: Answer | None


class FullState(Model):
    """The whole dialogue for the control roles and integrations."""

    dialogue: FullDialogue
    bridges: list[Bridge]
    topics: list[Topic]
    speakers: list[Speaker]
    programme: list[ProgrammeItem]
    current_item_id: str | None
    public_list_open: bool
    queue: Annotated[list[int], msgspec.Meta(description="Approved question ids in running order.")]
    floor: Floor
    floor_requests: list[FloorRequest]
    questions: list[FullQuestion]
    epoch: Epoch
    seq: Seq


RESPONSE_MODELS: tuple[type[Model], ...] = (
    Error,
    PublicState,
    DeviceIssued,
    QuestionAccepted,
    OwnQuestions,
    VoteCast,
    CommandDone,
    FullState,
)
"""Every top-level response (the others are their parts)."""
