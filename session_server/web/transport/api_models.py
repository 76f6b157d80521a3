"""What the JSON API answers: one msgspec model per response shape, built
from the dialogue's state.

``transport/api.py`` encodes them (``msgspec.json``) and
``transport/openapi.py`` describes them (``schema_components``): a field
added here is served and documented at once. Every field is always present
(``null`` when empty) unless its model says otherwise; no response carries a
member its model does not name, nor a device id, who submitted what, or (on
public answers) an asker who did not agree to be named.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from session_server.core import model as m
from session_server.core.views import proposed_speaker, visible_questions

__all__ = [
    "RESPONSE_MODELS", "CommandDone", "DeviceIssued", "Error", "FullState", "OwnQuestions",
    "PublicState", "QuestionAccepted", "VoteCast", "full_state", "own_questions", "public_state",
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

    error: Annotated[str, msgspec.Meta(
        description="A stable code (role.forbidden, input.schema.too_long, …).")]
    message: Messages


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
    queue: Annotated[list[PublicQuestion], msgspec.Meta(
        description="The approved queue in running order; empty while the moderator "
        "keeps the public list closed.")]
    epoch: Epoch
    seq: Seq


# --- what a caller made -----------------------------------------------------------------


class DeviceIssued(Model):
    ok: Literal[True]
    issued: Annotated[bool, msgspec.Meta(
        description="False when the client already had a valid device cookie.")]


class QuestionAccepted(Model):
    question_id: int
    status: m.QuestionStatus
    epoch: Epoch
    seq: Seq


class VoteCast(Model):
    ok: Literal[True]
    question_id: Annotated[int, msgspec.Meta(
        description="The question the vote counts for (the one it joined, for a merged one).")]
    votes: int
    epoch: Epoch
    seq: Seq


class CommandDone(Model):
    ok: Literal[True]
    epoch: Epoch
    seq: Seq
    events: Annotated[list[str], msgspec.Meta(
        description="Names of the events recorded (none for a repeat).")]
    question_id: Annotated[int, msgspec.Meta(
        description="Only for submit_question: the question it made.")] | msgspec.UnsetType = (
        msgspec.UNSET)
    revision: Annotated[int, msgspec.Meta(
        description="Only for record_answer_summary: the summary's revision now, the "
        "base_revision of the next save.")] | msgspec.UnsetType = msgspec.UNSET


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
    revision: Annotated[int, msgspec.Meta(
        description="Saves of the summary so far: record_answer_summary's base_revision.")]
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
    queue: Annotated[list[int], msgspec.Meta(
        description="Approved question ids in running order.")]
    floor: Floor
    floor_requests: list[FloorRequest]
    questions: list[FullQuestion]
    epoch: Epoch
    seq: Seq


RESPONSE_MODELS: tuple[type[Model], ...] = (
    Error, PublicState, DeviceIssued, QuestionAccepted, OwnQuestions, VoteCast, CommandDone,
    FullState,
)
"""Every top-level response (the others are their parts)."""

PUBLIC_VIEWER = m.Actor(m.Role.DISPLAY)
"""An anonymous reader sees what a hall display sees."""


# --- built from the state ---------------------------------------------------------------

M = TypeVar("M", bound=Model)


def _copy(model: type[M], source: object, **given: Any) -> M:
    """``model`` with each field not ``given`` read off ``source`` by its name
    (the models call things as the state does); a sequence is copied as a list."""
    values = {name: given[name] if name in given else getattr(source, name)
              for name in model.__struct_fields__}
    return model(**{k: list(v) if isinstance(v, tuple | list) else v for k, v in values.items()})


def _bridge_ref(state: m.State, bridge_id: str) -> BridgeRef:
    bridge = state.bridges.get(bridge_id)
    return BridgeRef(bridge_id=bridge_id, name=bridge.name if bridge else bridge_id)


def _topic_ref(state: m.State, topic_id: str | None) -> TopicRef | None:
    if topic_id is None:
        return None
    topic = state.topics.get(topic_id)
    return TopicRef(topic_id=topic_id, name=topic.name if topic else topic_id)


def _speaker_ref(state: m.State, speaker_id: str | None) -> SpeakerRef | None:
    speaker = state.speakers.get(speaker_id or "")
    return _copy(SpeakerRef, speaker) if speaker is not None else None


def _public_question(state: m.State, question: m.Question) -> PublicQuestion:
    return _copy(
        PublicQuestion, question, bridge=_bridge_ref(state, question.bridge_id),
        topic=_topic_ref(state, question.topic_id),
        askers=[PublicAsker(name=a.name, unit=a.unit) for a in question.askers()
                if a.public and (a.name or a.unit)],
    )


def public_state(state: m.State, dialogue_id: str, *, epoch: str, seq: int) -> PublicState:
    """What anybody may know of the dialogue right now: never a device id,
    never who submitted what, never a name the asker did not agree to show."""
    floor = state.floor
    public = {q.question_id: q for q in visible_questions(state, PUBLIC_VIEWER)}
    on_floor = public.get(floor.question_id) if floor.question_id is not None else None
    current = state.current_item()
    return PublicState(
        dialogue=_copy(PublicDialogue, state.dialogue, dialogue_id=dialogue_id),
        programme=[_copy(ProgrammeItem, item) for item in state.programme],
        current_item=_copy(ProgrammeItem, current) if current is not None else None,
        floor=_copy(
            PublicFloor, floor,
            holder=_bridge_ref(state, floor.holder) if floor.holder is not None else None,
            question=_public_question(state, on_floor) if on_floor is not None else None,
            speaker=_speaker_ref(state, floor.speaker_id),
        ),
        public_list_open=state.public_list_open,
        queue=[_public_question(state, public[q]) for q in state.queue if q in public]
        if state.public_list_open else [],
        epoch=epoch, seq=seq,
    )


def own_questions(state: m.State, actor: m.Actor, *, epoch: str, seq: int) -> OwnQuestions:
    """A phone's questions (``actor`` an attendee with its device), or those
    of a bridge operator's bridge point, each as its author follows it."""
    visible = visible_questions(state, actor)
    if actor.role is m.Role.ATTENDEE:
        scope = actor.scope()
        mine = [q for q in visible if q.submitted_by == scope]
    else:
        mine = [q for q in visible if q.bridge_id == actor.bridge_id]
    return OwnQuestions(questions=[
        _copy(OwnQuestion, q, asker=_copy(Asker, q.asker),
              forwarding=_copy(OwnForwarding, q.forwarding) if q.forwarding else None)
        for q in mine
    ], epoch=epoch, seq=seq)


def _answer(record: m.AnswerRecord | None) -> Answer | None:
    if record is None:
        return None
    return _copy(Answer, record,
                 commitments=[_copy(Commitment, c) for c in record.commitments])


def _full_question(state: m.State, question: m.Question) -> FullQuestion:
    forwarding = question.forwarding
    return _copy(
        FullQuestion, question, proposed_speaker_id=proposed_speaker(state, question),
        askers=[_copy(Asker, a) for a in question.askers()],
        origins=[QuestionOrigin(origin=origin, bridge_id=bridge_id)
                 for origin, bridge_id in question.origins()],
        forwarding=_copy(Forwarding, forwarding) if forwarding is not None else None,
        answer=_answer(state.answers.get(question.question_id)),
    )


def full_state(state: m.State, dialogue_id: str, *, epoch: str, seq: int) -> FullState:
    """The whole dialogue for the control roles and integrations."""
    return _copy(
        FullState, state,
        dialogue=_copy(FullDialogue, state.dialogue, dialogue_id=dialogue_id),
        bridges=[_copy(Bridge, b) for b in state.bridges.values()],
        topics=[_copy(Topic, t) for t in state.topics.values()],
        speakers=[_copy(Speaker, s) for s in state.speakers.values()],
        programme=[_copy(ProgrammeItem, item) for item in state.programme],
        floor=_copy(Floor, state.floor),
        floor_requests=[_copy(FloorRequest, r) for r in state.floor_requests.values()],
        questions=[_full_question(state, q) for q in state.questions.values()],
        epoch=epoch, seq=seq,
    )
