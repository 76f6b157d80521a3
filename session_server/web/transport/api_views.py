"""The JSON API's answers built from the dialogue's state
(``transport/api_models.py`` declares their shapes)."""

from __future__ import annotations

from typing import Any, TypeVar

from session_server.core import model as m
from session_server.core.views import proposed_speaker, visible_questions
from session_server.web.transport.api_models import (
    Answer,
    Asker,
    Bridge,
    BridgeRef,
    Commitment,
    Floor,
    FloorRequest,
    Forwarding,
    FullDialogue,
    FullQuestion,
    FullState,
    Model,
    OwnForwarding,
    OwnQuestion,
    OwnQuestions,
    ProgrammeItem,
    PublicAsker,
    PublicDialogue,
    PublicFloor,
    PublicQuestion,
    PublicState,
    QuestionOrigin,
    Speaker,
    SpeakerRef,
    Topic,
    TopicRef,
)

__all__ = ["full_state", "own_questions", "public_state"]


PUBLIC_VIEWER = m.Actor(m.Role.DISPLAY)
"""An anonymous reader sees what a hall display sees."""


M = TypeVar("M", bound=Model)


def _copy(model: type[M], source: object, **given: Any) -> M:
    """``model`` with each field not ``given`` read off ``source`` by its name
    (the models call things as the state does); a sequence is copied as a list."""
    values = {
        name: given[name] if name in given else getattr(source, name)
        for name in model.__struct_fields__
    }
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
        PublicQuestion,
        question,
        bridge=_bridge_ref(state, question.bridge_id),
        topic=_topic_ref(state, question.topic_id),
        askers=[
            PublicAsker(name=a.name, unit=a.unit)
            for a in question.askers()
            if a.public and (a.name or a.unit)
        ],
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
            PublicFloor,
            floor,
            holder=_bridge_ref(state, floor.holder) if floor.holder is not None else None,
            question=_public_question(state, on_floor) if on_floor is not None else None,
            speaker=_speaker_ref(state, floor.speaker_id),
        ),
        public_list_open=state.public_list_open,
        queue=[_public_question(state, public[q]) for q in state.queue if q in public]
        if state.public_list_open
        else [],
        epoch=epoch,
        seq=seq,
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
    return OwnQuestions(
        questions=[
            _copy(
                OwnQuestion,
                q,
                asker=_copy(Asker, q.asker),
                forwarding=_copy(OwnForwarding, q.forwarding) if q.forwarding else None,
            )
            for q in mine
        ],
        epoch=epoch,
        seq=seq,
    )


def _answer(record: m.AnswerRecord | None) -> Answer | None:
    if record is None:
        return None
    return _copy(Answer, record, commitments=[_copy(Commitment, c) for c in record.commitments])


def _full_question(state: m.State, question: m.Question) -> FullQuestion:
    forwarding = question.forwarding
    return _copy(
        FullQuestion,
        question,
        proposed_speaker_id=proposed_speaker(state, question),
        askers=[_copy(Asker, a) for a in question.askers()],
        origins=[
            QuestionOrigin(origin=origin, bridge_id=bridge_id)
            for origin, bridge_id in question.origins()
        ],
        forwarding=_copy(Forwarding, forwarding) if forwarding is not None else None,
        answer=_answer(state.answers.get(question.question_id)),
    )


def full_state(state: m.State, dialogue_id: str, *, epoch: str, seq: int) -> FullState:
    """The whole dialogue for the control roles and integrations."""
    return _copy(
        FullState,
        state,
        dialogue=_copy(FullDialogue, state.dialogue, dialogue_id=dialogue_id),
        bridges=[_copy(Bridge, b) for b in state.bridges.values()],
        topics=[_copy(Topic, t) for t in state.topics.values()],
        speakers=[_copy(Speaker, s) for s in state.speakers.values()],
        programme=[_copy(ProgrammeItem, item) for item in state.programme],
        floor=_copy(Floor, state.floor),
        floor_requests=[_copy(FloorRequest, r) for r in state.floor_requests.values()],
        questions=[_full_question(state, q) for q in state.questions.values()],
        epoch=epoch,
        seq=seq,
    )
