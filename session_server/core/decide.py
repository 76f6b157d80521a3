"""``decide(state, command, now) -> list[Event]``: every rule of the day.

``decide`` never changes ``state``; it either returns the events that the
command causes (possibly none, for a repeated submission or command) or
raises a :class:`~session_server.core.errors.SessionError`. Checks run in
this order: role, command id, phase, existence, state, input.

A command with a ``command_id`` is checked for a repeat right after its role:
when the state already applied that id from that actor
(``State.applied_commands``), the command did what it asked before and
``decide`` returns no events. Otherwise its events carry the scoped id
(``Command.scoped_id()``), which ``apply`` remembers.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhaseRefused,
)
from session_server.core.model import (
    MAIN_KINDS,
    NO_CONDITIONS,
    Actor,
    Asker,
    BridgeKind,
    Conditions,
    FloorRequest,
    FloorRequestStatus,
    Origin,
    Phase,
    Question,
    QuestionStatus,
    Role,
    State,
    TimerKind,
)
from session_server.core.text import (
    clean_line,
    clean_text,
    require_command_id,
    require_identifier,
    require_key,
)
from session_server.core.views import proposed_speaker

__all__ = ["LEGAL_TRANSITIONS", "PERMISSIONS", "authorise", "decide"]

ORG, MOD, SEC, OPR, ATT = (
    Role.ORGANISER,
    Role.MODERATOR,
    Role.SECRETARY,
    Role.BRIDGE_OPERATOR,
    Role.ATTENDEE,
)

PERMISSIONS: dict[type[c.Command], frozenset[Role]] = {
    c.CreateDialogue: frozenset({ORG}),
    c.UpdateDialogue: frozenset({ORG}),
    c.SetIntakeDeadline: frozenset({ORG}),
    c.ChangePhase: frozenset({ORG, MOD}),
    c.SetBridgePoint: frozenset({ORG}),
    c.RemoveBridgePoint: frozenset({ORG}),
    c.SetTopic: frozenset({ORG}),
    c.SetSpeaker: frozenset({ORG}),
    c.SetProgramme: frozenset({ORG}),
    c.SetCurrentItem: frozenset({ORG, MOD}),
    c.IssueLink: frozenset({ORG}),
    c.RevokeLink: frozenset({ORG}),
    c.SubmitQuestion: frozenset({ORG, OPR, ATT}),
    c.ApproveQuestion: frozenset({MOD}),
    c.RejectQuestion: frozenset({MOD}),
    c.MergeQuestion: frozenset({MOD}),
    c.MoveQuestion: frozenset({MOD}),
    c.SetQuestionTopic: frozenset({MOD}),
    c.AssignSpeaker: frozenset({MOD}),
    c.SetPublicList: frozenset({MOD}),
    c.Vote: frozenset({ATT}),
    c.GiveFloor: frozenset({MOD}),
    c.SetFloorQuestion: frozenset({MOD}),
    c.ReleaseFloor: frozenset({MOD}),
    c.StartTimer: frozenset({MOD}),
    c.ExtendTimer: frozenset({MOD}),
    c.StopTimer: frozenset({MOD}),
    c.MarkAnswered: frozenset({MOD}),
    c.ForwardQuestion: frozenset({MOD}),
    c.DeferQuestion: frozenset({MOD}),
    c.RequestFloor: frozenset({OPR}),
    c.CancelFloorRequest: frozenset({OPR, MOD}),
    c.GrantFloorRequest: frozenset({MOD}),
    c.DeclineFloorRequest: frozenset({MOD}),
    c.RecordAnswerSummary: frozenset({SEC}),
    c.AddCommitment: frozenset({SEC}),
    c.RemoveCommitment: frozenset({SEC}),
    c.SetConclusionDraft: frozenset({ORG}),
    c.RecordWrittenAnswer: frozenset({ORG, Role.AGENCY}),
    c.SaveRecording: frozenset({Role.RECORDER}),
}
"""Which roles may issue each command. Display and speaker screens only read."""

LEGAL_TRANSITIONS: dict[QuestionStatus, frozenset[QuestionStatus]] = {
    QuestionStatus.SUBMITTED: frozenset(
        {QuestionStatus.APPROVED, QuestionStatus.REJECTED, QuestionStatus.MERGED}
    ),
    QuestionStatus.APPROVED: frozenset(
        {
            QuestionStatus.ON_FLOOR,
            QuestionStatus.MERGED,
            QuestionStatus.FORWARDED,
            QuestionStatus.DEFERRED,
        }
    ),
    QuestionStatus.ON_FLOOR: frozenset(
        {
            QuestionStatus.ANSWERED,
            QuestionStatus.FORWARDED,
            QuestionStatus.DEFERRED,
            QuestionStatus.APPROVED,
        }
    ),
    QuestionStatus.REJECTED: frozenset(),
    QuestionStatus.MERGED: frozenset(),
    QuestionStatus.ANSWERED: frozenset(),
    QuestionStatus.FORWARDED: frozenset(),
    QuestionStatus.DEFERRED: frozenset(),
}
"""Status changes a question may make. Beyond the plan's lifecycle: an
approved question may be merged (a duplicate found late) or forwarded /
deferred without taking the floor (outside the host's authority), and a
question on the floor returns to ``approved`` when the floor is taken back
unanswered."""

_OPEN_QUESTION = frozenset({QuestionStatus.SUBMITTED, QuestionStatus.APPROVED})
_RECORDABLE = frozenset(
    {
        QuestionStatus.ON_FLOOR,
        QuestionStatus.ANSWERED,
        QuestionStatus.FORWARDED,
        QuestionStatus.DEFERRED,
    }
)

C = TypeVar("C", bound=c.Command)
_Rule = Callable[[State, Any, datetime], list[e.Event]]
_RULES: dict[type[c.Command], _Rule] = {}


def _rule(cls: type[C]) -> Callable[[Callable[[State, C, datetime], list[e.Event]]], _Rule]:
    def register(fn: Callable[[State, C, datetime], list[e.Event]]) -> _Rule:
        _RULES[cls] = fn
        return fn

    return register


def authorise(command: c.Command) -> None:
    """Refuse a command its actor's role may never issue, whatever the state
    (the gateway asks before spending a rate limit; ``decide`` asks again)."""
    allowed = PERMISSIONS.get(type(command))
    if allowed is None or type(command) not in _RULES:
        raise InvalidInput("command.unknown")
    _check_actor(command.actor)
    if command.actor.role not in allowed:
        raise Forbidden("role.forbidden", role=command.actor.role.value)


def decide(state: State, command: c.Command, now: datetime,
           conditions: Conditions = NO_CONDITIONS) -> list[e.Event]:
    """The events ``command`` causes at ``now``, or a ``SessionError``.
    ``conditions``: what the server knows outside the log (media links)."""
    authorise(command)
    rule = _RULES[type(command)]
    scoped = ""
    if command.command_id:
        require_command_id(command.command_id)
        scoped = command.scoped_id()
        if scoped in state.applied_commands:
            return []  # a repeat: it did what it asked already
    if not state.created and not isinstance(command, c.CreateDialogue):
        raise NotFound("dialogue.not_found")
    events = rule(state, command, now)
    if isinstance(command, c.GiveFloor | c.GrantFloorRequest):
        _feed_live(state, command, conditions)
    if scoped:
        events = [dataclasses.replace(event, command_id=scoped) for event in events]
    return events


# --- helpers -------------------------------------------------------------------


def _check_actor(actor: Actor) -> None:
    if actor.role is Role.BRIDGE_OPERATOR and not actor.bridge_id:
        raise Forbidden("role.bridge_missing")
    if actor.role is Role.ATTENDEE and not actor.device_id:
        raise Forbidden("role.device_missing")
    if actor.role is Role.SPEAKER and not actor.speaker_id:
        raise Forbidden("role.speaker_missing")


def _own_bridge(actor: Actor, bridge_id: str) -> None:
    if actor.role is Role.BRIDGE_OPERATOR and actor.bridge_id != bridge_id:
        raise Forbidden("role.other_bridge", bridge=bridge_id)


def _question(state: State, question_id: int) -> Question:
    question = state.questions.get(question_id)
    if question is None:
        raise NotFound("question.not_found", question=question_id)
    return question


def _transition(question: Question, to: QuestionStatus) -> None:
    if to not in LEGAL_TRANSITIONS[question.status]:
        raise IllegalTransition(
            "question.illegal_transition",
            question=question.question_id,
            status=question.status.value,
            to=to.value,
        )


def _bridge(state: State, bridge_id: str) -> None:
    if bridge_id not in state.bridges:
        raise NotFound("bridge.not_found", bridge=bridge_id)


def _topic(state: State, topic_id: str | None) -> None:
    if topic_id is not None and topic_id not in state.topics:
        raise NotFound("topic.not_found", topic=topic_id)


def _speaker(state: State, speaker_id: str | None) -> None:
    if speaker_id is not None and speaker_id not in state.speakers:
        raise NotFound("speaker.not_found", speaker=speaker_id)


def _not_closed(state: State) -> None:
    if state.dialogue.phase is Phase.CLOSED:
        raise PhaseRefused("dialogue.closed")


def _live(state: State) -> None:
    if state.dialogue.phase is not Phase.LIVE:
        raise PhaseRefused("dialogue.not_live", phase=state.dialogue.phase.value)


def _seconds(state: State, seconds: int) -> int:
    if not 1 <= seconds <= state.limits.timer_max_seconds:
        raise InvalidInput("timer.bad_seconds", limit=state.limits.timer_max_seconds)
    return seconds


def _label(state: State, value: str, field: str, required: bool = True) -> str:
    return clean_line(value, field=field, max_chars=state.limits.label_max_chars, required=required)


# --- setting up ------------------------------------------------------------------


@_rule(c.CreateDialogue)
def _create(state: State, cmd: c.CreateDialogue, now: datetime) -> list[e.Event]:
    if state.created:
        raise IllegalTransition("dialogue.exists")
    return [
        e.DialogueCreated(
            at=now,
            title=clean_line(cmd.title, field="title", max_chars=state.limits.title_max_chars,
                             required=True),
            theme=clean_text(cmd.theme, field="theme", max_chars=state.limits.title_max_chars,
                             required=False),
            host_body=_label(state, cmd.host_body, "host_body", required=False),
            parent_body=_label(state, cmd.parent_body, "parent_body", required=False),
            place=_label(state, cmd.place, "place", required=False),
            starts_at=cmd.starts_at,
            legal_basis=_legal_basis(state, cmd.legal_basis),
            intake_deadline=cmd.intake_deadline,
        )
    ]


def _legal_basis(state: State, lines: tuple[str, ...]) -> tuple[str, ...]:
    if len(lines) > 20:
        raise InvalidInput("input.too_many", field="legal_basis", limit=20)
    return tuple(
        clean_text(line, field="legal_basis", max_chars=state.limits.reason_max_chars)
        for line in lines
    )


@_rule(c.UpdateDialogue)
def _update(state: State, cmd: c.UpdateDialogue, now: datetime) -> list[e.Event]:
    _not_closed(state)
    return [
        e.DialogueUpdated(
            at=now,
            title=clean_line(cmd.title, field="title", max_chars=state.limits.title_max_chars,
                             required=True),
            theme=clean_text(cmd.theme, field="theme", max_chars=state.limits.title_max_chars,
                             required=False),
            host_body=_label(state, cmd.host_body, "host_body", required=False),
            parent_body=_label(state, cmd.parent_body, "parent_body", required=False),
            place=_label(state, cmd.place, "place", required=False),
            starts_at=cmd.starts_at,
            legal_basis=_legal_basis(state, cmd.legal_basis),
        )
    ]


@_rule(c.SetIntakeDeadline)
def _deadline(state: State, cmd: c.SetIntakeDeadline, now: datetime) -> list[e.Event]:
    _not_closed(state)
    return [e.IntakeDeadlineSet(at=now, deadline=cmd.deadline)]


_NEXT_PHASE = {Phase.DRAFT: Phase.INTAKE, Phase.INTAKE: Phase.LIVE, Phase.LIVE: Phase.CLOSED}


@_rule(c.ChangePhase)
def _phase(state: State, cmd: c.ChangePhase, now: datetime) -> list[e.Event]:
    current = state.dialogue.phase
    if _NEXT_PHASE.get(current) is not cmd.phase:
        raise IllegalTransition("phase.illegal", phase=current.value, to=cmd.phase.value)
    if cmd.phase is Phase.LIVE and state.main_bridge() is None:
        raise IllegalTransition("phase.needs_main_bridge")
    events: list[e.Event] = []
    if cmd.phase is Phase.CLOSED and state.floor.holder is not None:
        events.append(e.FloorReleased(at=now, returned_question_id=state.floor.question_id))
    events.append(e.PhaseChanged(at=now, phase=cmd.phase))
    return events


@_rule(c.SetBridgePoint)
def _set_bridge(state: State, cmd: c.SetBridgePoint, now: datetime) -> list[e.Event]:
    _not_closed(state)
    bridge_id = require_identifier(cmd.bridge_id, field="bridge_id")
    main = state.main_bridge()
    if cmd.kind is BridgeKind.MAIN and main is not None and main.bridge_id != bridge_id:
        raise IllegalTransition("bridge.main_exists", bridge=main.bridge_id)
    if not 0 <= cmd.capacity <= 100_000:
        raise InvalidInput("input.out_of_range", field="capacity")
    return [
        e.BridgePointSet(
            at=now,
            bridge_id=bridge_id,
            bridge_name=_label(state, cmd.name, "name"),
            kind=cmd.kind,
            operator=_label(state, cmd.operator, "operator", required=False),
            capacity=cmd.capacity,
        )
    ]


@_rule(c.RemoveBridgePoint)
def _remove_bridge(state: State, cmd: c.RemoveBridgePoint, now: datetime) -> list[e.Event]:
    _not_closed(state)
    _bridge(state, cmd.bridge_id)
    in_use = any(q.bridge_id == cmd.bridge_id for q in state.questions.values())
    if in_use or state.floor.holder == cmd.bridge_id:
        raise IllegalTransition("bridge.in_use", bridge=cmd.bridge_id)
    return [e.BridgePointRemoved(at=now, bridge_id=cmd.bridge_id)]


@_rule(c.SetTopic)
def _set_topic(state: State, cmd: c.SetTopic, now: datetime) -> list[e.Event]:
    _not_closed(state)
    topic_id = require_identifier(cmd.topic_id, field="topic_id")
    for speaker_id in cmd.speaker_ids:
        _speaker(state, speaker_id)
    return [
        e.TopicSet(
            at=now,
            topic_id=topic_id,
            topic_name=_label(state, cmd.name, "name"),
            speaker_ids=tuple(dict.fromkeys(cmd.speaker_ids)),
        )
    ]


@_rule(c.SetSpeaker)
def _set_speaker(state: State, cmd: c.SetSpeaker, now: datetime) -> list[e.Event]:
    _not_closed(state)
    speaker_id = require_identifier(cmd.speaker_id, field="speaker_id")
    for topic_id in cmd.topic_ids:
        _topic(state, topic_id)
    return [
        e.SpeakerSet(
            at=now,
            speaker_id=speaker_id,
            speaker_name=_label(state, cmd.name, "name"),
            position=_label(state, cmd.position, "position", required=False),
            agency=_label(state, cmd.agency, "agency", required=False),
            topic_ids=tuple(dict.fromkeys(cmd.topic_ids)),
        )
    ]


@_rule(c.SetProgramme)
def _set_programme(state: State, cmd: c.SetProgramme, now: datetime) -> list[e.Event]:
    _not_closed(state)
    if len(cmd.items) > 50:
        raise InvalidInput("input.too_many", field="programme", limit=50)
    seen: set[str] = set()
    items: list[e.ProgrammeItemData] = []
    for item in cmd.items:
        item_id = require_identifier(item.item_id, field="item_id")
        if item_id in seen:
            raise InvalidInput("programme.duplicate_item", item=item_id)
        seen.add(item_id)
        if not 0 <= item.planned_minutes <= 24 * 60:
            raise InvalidInput("input.out_of_range", field="planned_minutes")
        items.append(
            e.ProgrammeItemData(
                item_id=item_id,
                title=_label(state, item.title, "title"),
                kind=item.kind,
                planned_minutes=item.planned_minutes,
            )
        )
    return [e.ProgrammeSet(at=now, items=tuple(items))]


@_rule(c.SetCurrentItem)
def _set_current(state: State, cmd: c.SetCurrentItem, now: datetime) -> list[e.Event]:
    _not_closed(state)
    if cmd.item_id is not None and all(i.item_id != cmd.item_id for i in state.programme):
        raise NotFound("programme.not_found", item=cmd.item_id)
    return [e.CurrentItemSet(at=now, item_id=cmd.item_id)]


_LINK_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")


@_rule(c.IssueLink)
def _issue_link(state: State, cmd: c.IssueLink, now: datetime) -> list[e.Event]:
    if not _LINK_ID.fullmatch(cmd.link_id) or cmd.link_id in state.links:
        raise InvalidInput("input.bad_value", field="link_id")
    if cmd.role in (Role.ORGANISER, Role.AGENCY, Role.RECORDER):
        raise InvalidInput("link.bad_role", role=cmd.role.value)
    bridge_id = speaker_id = None
    if cmd.role in (Role.BRIDGE_OPERATOR, Role.ATTENDEE, Role.DISPLAY):
        if cmd.bridge_id is None:
            raise InvalidInput("link.needs_bridge", role=cmd.role.value)
        _bridge(state, cmd.bridge_id)
        bridge_id = cmd.bridge_id
    if cmd.role is Role.SPEAKER:
        if cmd.speaker_id is None:
            raise InvalidInput("link.needs_speaker")
        _speaker(state, cmd.speaker_id)
        speaker_id = cmd.speaker_id
    return [
        e.LinkIssued(
            at=now,
            link_id=cmd.link_id,
            role=cmd.role,
            bridge_id=bridge_id,
            speaker_id=speaker_id,
            label=_label(state, cmd.label, "label", required=False),
        )
    ]


@_rule(c.RevokeLink)
def _revoke_link(state: State, cmd: c.RevokeLink, now: datetime) -> list[e.Event]:
    link = state.links.get(cmd.link_id)
    if link is None:
        raise NotFound("link.not_found")
    if not link.active:
        raise IllegalTransition("link.revoked")
    return [e.LinkRevoked(at=now, link_id=cmd.link_id)]


# --- questions --------------------------------------------------------------------


@_rule(c.SubmitQuestion)
def _submit(state: State, cmd: c.SubmitQuestion, now: datetime) -> list[e.Event]:
    actor = cmd.actor
    key = require_key(cmd.idempotency_key)
    if f"{actor.scope()}:{key}" in state.idempotency:
        return []
    _own_bridge(actor, cmd.bridge_id)
    phase = state.dialogue.phase
    if phase is Phase.CLOSED:
        raise PhaseRefused("dialogue.closed")
    if actor.role is Role.ATTENDEE:
        if phase is Phase.DRAFT:
            raise PhaseRefused("dialogue.not_open")
        deadline = state.dialogue.intake_deadline
        if phase is Phase.INTAKE and deadline is not None and now > deadline:
            raise PhaseRefused("intake.deadline_passed")
        origin = Origin.PHONE
    elif actor.role is Role.BRIDGE_OPERATOR:
        if phase is Phase.DRAFT:
            raise PhaseRefused("dialogue.not_open")
        origin = Origin.BRIDGE
    else:
        if cmd.origin not in (Origin.PRE_COLLECTED, Origin.IMPORTED):
            raise InvalidInput("question.bad_origin")
        origin = cmd.origin
    _bridge(state, cmd.bridge_id)
    _topic(state, cmd.topic_id)
    if len(state.questions) >= state.limits.max_questions:
        raise PhaseRefused("question.too_many")
    limits = state.limits
    text = clean_text(cmd.text, field="question", max_chars=limits.question_max_chars)
    asker = Asker(
        name=clean_line(cmd.asker_name, field="asker_name", max_chars=limits.name_max_chars),
        unit=clean_line(cmd.asker_unit, field="asker_unit", max_chars=limits.unit_max_chars),
        age_group=clean_line(cmd.asker_age_group, field="asker_age_group", max_chars=20),
        public=cmd.asker_public,
    )
    return [
        e.QuestionSubmitted(
            at=now,
            question_id=state.next_question_id,
            text=text,
            asker=asker,
            origin=origin,
            bridge_id=cmd.bridge_id,
            topic_id=cmd.topic_id,
            submitted_by=actor.scope(),
            idempotency_key=key,
        )
    ]


@_rule(c.ApproveQuestion)
def _approve(state: State, cmd: c.ApproveQuestion, now: datetime) -> list[e.Event]:
    _not_closed(state)
    question = _question(state, cmd.question_id)
    _transition(question, QuestionStatus.APPROVED)
    if question.status is not QuestionStatus.SUBMITTED:
        raise IllegalTransition(
            "question.illegal_transition",
            question=question.question_id,
            status=question.status.value,
            to=QuestionStatus.APPROVED.value,
        )
    return [e.QuestionApproved(at=now, question_id=question.question_id)]


@_rule(c.RejectQuestion)
def _reject(state: State, cmd: c.RejectQuestion, now: datetime) -> list[e.Event]:
    _not_closed(state)
    question = _question(state, cmd.question_id)
    _transition(question, QuestionStatus.REJECTED)
    reason = clean_text(cmd.reason, field="reason", max_chars=state.limits.reason_max_chars)
    return [e.QuestionRejected(at=now, question_id=question.question_id, reason=reason)]


@_rule(c.MergeQuestion)
def _merge(state: State, cmd: c.MergeQuestion, now: datetime) -> list[e.Event]:
    _not_closed(state)
    source = _question(state, cmd.question_id)
    target = _question(state, cmd.into_id)
    if source.question_id == target.question_id:
        raise InvalidInput("question.merge_self")
    _transition(source, QuestionStatus.MERGED)
    if target.status not in (*_OPEN_QUESTION, QuestionStatus.ON_FLOOR):
        raise IllegalTransition(
            "question.merge_target_closed",
            question=target.question_id,
            status=target.status.value,
        )
    return [e.QuestionMerged(at=now, question_id=source.question_id, into_id=target.question_id)]


@_rule(c.MoveQuestion)
def _move(state: State, cmd: c.MoveQuestion, now: datetime) -> list[e.Event]:
    _not_closed(state)
    question = _question(state, cmd.question_id)
    if question.question_id not in state.queue:
        raise IllegalTransition("queue.not_queued", question=question.question_id)
    position = max(0, min(cmd.position, len(state.queue) - 1))
    return [e.QuestionMoved(at=now, question_id=question.question_id, position=position)]


@_rule(c.SetQuestionTopic)
def _set_question_topic(state: State, cmd: c.SetQuestionTopic, now: datetime) -> list[e.Event]:
    _not_closed(state)
    question = _question(state, cmd.question_id)
    _topic(state, cmd.topic_id)
    return [e.QuestionTopicSet(at=now, question_id=question.question_id, topic_id=cmd.topic_id)]


@_rule(c.AssignSpeaker)
def _assign(state: State, cmd: c.AssignSpeaker, now: datetime) -> list[e.Event]:
    _not_closed(state)
    question = _question(state, cmd.question_id)
    _speaker(state, cmd.speaker_id)
    if question.status not in (*_OPEN_QUESTION, QuestionStatus.ON_FLOOR):
        raise IllegalTransition(
            "question.closed", question=question.question_id, status=question.status.value
        )
    return [e.SpeakerAssigned(at=now, question_id=question.question_id, speaker_id=cmd.speaker_id)]


@_rule(c.SetPublicList)
def _public_list(state: State, cmd: c.SetPublicList, now: datetime) -> list[e.Event]:
    _not_closed(state)
    return [e.PublicListSet(at=now, open=cmd.open)]


@_rule(c.Vote)
def _vote(state: State, cmd: c.Vote, now: datetime) -> list[e.Event]:
    _not_closed(state)
    if not state.public_list_open:
        raise PhaseRefused("vote.list_closed")
    question = _question(state, cmd.question_id)
    while question.merged_into is not None:
        question = _question(state, question.merged_into)
    if question.status not in (QuestionStatus.APPROVED, QuestionStatus.ON_FLOOR):
        raise IllegalTransition("vote.not_open", question=question.question_id)
    device = cmd.actor.device_id or ""
    if device in question.voters:
        raise IllegalTransition("vote.already", question=question.question_id)
    return [e.VoteCast(at=now, question_id=question.question_id, device_id=device)]


# --- the floor ----------------------------------------------------------------------


def _floor_events(
    state: State,
    now: datetime,
    bridge_id: str,
    request_id: int | None,
    question_id: int | None,
    speaker_id: str | None,
    question_seconds: int,
    without_feed: bool = False,
) -> list[e.Event]:
    _live(state)
    _bridge(state, bridge_id)
    _speaker(state, speaker_id)
    if state.floor.holder is not None:
        raise IllegalTransition("floor.busy", holder=state.floor.holder)
    ends_at = None
    if question_seconds:
        ends_at = now + timedelta(seconds=_seconds(state, question_seconds))
    events: list[e.Event] = [
        e.FloorGiven(at=now, bridge_id=bridge_id, request_id=request_id,
                     question_ends_at=ends_at, without_feed=without_feed)
    ]
    if question_id is not None:
        question = _question(state, question_id)
        _transition(question, QuestionStatus.ON_FLOOR)
        events.append(
            e.FloorQuestionSet(
                at=now,
                question_id=question.question_id,
                speaker_id=speaker_id or proposed_speaker(state, question),
            )
        )
    return events


def _feed_live(state: State, cmd: c.GiveFloor | c.GrantFloorRequest,
               conditions: Conditions) -> None:
    """The floor goes to a remote bridge point only while its picture is
    live, unless the moderator confirmed without it (``without_feed``); the
    main venue is in the hall and needs none. No rule when media is off."""
    if conditions.feeds is None or cmd.without_feed:
        return
    if isinstance(cmd, c.GiveFloor):
        bridge_id = cmd.bridge_id
    else:
        bridge_id = state.floor_requests[cmd.request_id].bridge_id
    bridge = state.bridges[bridge_id]
    if bridge.kind in MAIN_KINDS:
        return
    link = conditions.feeds.get(bridge_id, "none")
    if link != "live":
        raise IllegalTransition("floor.no_feed", bridge=bridge.name, state=link)


@_rule(c.GiveFloor)
def _give_floor(state: State, cmd: c.GiveFloor, now: datetime) -> list[e.Event]:
    pending = next(
        (r for r in state.pending_floor_requests() if r.bridge_id == cmd.bridge_id), None
    )
    return _floor_events(
        state,
        now,
        cmd.bridge_id,
        pending.request_id if pending else None,
        cmd.question_id,
        cmd.speaker_id,
        cmd.question_seconds,
        cmd.without_feed,
    )


@_rule(c.GrantFloorRequest)
def _grant(state: State, cmd: c.GrantFloorRequest, now: datetime) -> list[e.Event]:
    request = _pending_request(state, cmd.request_id)
    return _floor_events(
        state,
        now,
        request.bridge_id,
        request.request_id,
        cmd.question_id,
        cmd.speaker_id,
        cmd.question_seconds,
        cmd.without_feed,
    )


@_rule(c.SetFloorQuestion)
def _set_floor_question(state: State, cmd: c.SetFloorQuestion, now: datetime) -> list[e.Event]:
    _live(state)
    if state.floor.holder is None:
        raise IllegalTransition("floor.free")
    if state.floor.question_id is not None:
        raise IllegalTransition("floor.has_question", question=state.floor.question_id)
    question = _question(state, cmd.question_id)
    _speaker(state, cmd.speaker_id)
    _transition(question, QuestionStatus.ON_FLOOR)
    speaker_id = cmd.speaker_id or proposed_speaker(state, question)
    return [e.FloorQuestionSet(at=now, question_id=question.question_id, speaker_id=speaker_id)]


@_rule(c.ReleaseFloor)
def _release(state: State, cmd: c.ReleaseFloor, now: datetime) -> list[e.Event]:
    if state.floor.holder is None:
        raise IllegalTransition("floor.free")
    return [e.FloorReleased(at=now, returned_question_id=state.floor.question_id)]


def _timer_base(state: State) -> None:
    _live(state)
    if state.floor.holder is None:
        raise IllegalTransition("floor.free")


@_rule(c.StartTimer)
def _start_timer(state: State, cmd: c.StartTimer, now: datetime) -> list[e.Event]:
    _timer_base(state)
    if cmd.kind is TimerKind.ANSWER and state.floor.question_id is None:
        raise IllegalTransition("floor.no_question")
    ends_at = now + timedelta(seconds=_seconds(state, cmd.seconds))
    return [e.TimerStarted(at=now, kind=cmd.kind, ends_at=ends_at)]


@_rule(c.ExtendTimer)
def _extend_timer(state: State, cmd: c.ExtendTimer, now: datetime) -> list[e.Event]:
    _timer_base(state)
    ends_at = state.floor.ends_at(cmd.kind)
    if ends_at is None:
        raise IllegalTransition("timer.not_running", kind=cmd.kind.value)
    seconds = _seconds(state, cmd.seconds)
    base = max(ends_at, now)
    new_end = base + timedelta(seconds=seconds)
    if new_end - now > timedelta(seconds=state.limits.timer_max_seconds):
        raise InvalidInput("timer.bad_seconds", limit=state.limits.timer_max_seconds)
    return [e.TimerExtended(at=now, kind=cmd.kind, ends_at=new_end)]


@_rule(c.StopTimer)
def _stop_timer(state: State, cmd: c.StopTimer, now: datetime) -> list[e.Event]:
    _timer_base(state)
    if state.floor.ends_at(cmd.kind) is None:
        raise IllegalTransition("timer.not_running", kind=cmd.kind.value)
    return [e.TimerStopped(at=now, kind=cmd.kind)]


def _closing_floor(state: State, question: Question, now: datetime) -> list[e.Event]:
    """Marking the question on the floor ends the floor segment."""
    if state.floor.question_id == question.question_id:
        return [e.FloorReleased(at=now, returned_question_id=None)]
    return []


@_rule(c.MarkAnswered)
def _answered(state: State, cmd: c.MarkAnswered, now: datetime) -> list[e.Event]:
    _live(state)
    question = _question(state, cmd.question_id)
    _transition(question, QuestionStatus.ANSWERED)
    return [
        e.QuestionAnswered(at=now, question_id=question.question_id),
        *_closing_floor(state, question, now),
    ]


@_rule(c.ForwardQuestion)
def _forward(state: State, cmd: c.ForwardQuestion, now: datetime) -> list[e.Event]:
    _not_closed(state)
    question = _question(state, cmd.question_id)
    _transition(question, QuestionStatus.FORWARDED)
    agency = _label(state, cmd.agency, "agency")
    if cmd.deadline is not None and cmd.deadline < now.date():
        raise InvalidInput("forward.deadline_past")
    note = clean_text(cmd.note, field="note", max_chars=state.limits.reason_max_chars,
                      required=False)
    return [
        e.QuestionForwarded(
            at=now,
            question_id=question.question_id,
            agency=agency,
            deadline=cmd.deadline,
            note=note,
        ),
        *_closing_floor(state, question, now),
    ]


@_rule(c.DeferQuestion)
def _defer(state: State, cmd: c.DeferQuestion, now: datetime) -> list[e.Event]:
    _not_closed(state)
    question = _question(state, cmd.question_id)
    _transition(question, QuestionStatus.DEFERRED)
    note = clean_text(cmd.note, field="note", max_chars=state.limits.reason_max_chars,
                      required=False)
    return [
        e.QuestionDeferred(at=now, question_id=question.question_id, note=note),
        *_closing_floor(state, question, now),
    ]


def _pending_request(state: State, request_id: int) -> FloorRequest:
    request = state.floor_requests.get(request_id)
    if request is None:
        raise NotFound("floor_request.not_found", request=request_id)
    if request.status is not FloorRequestStatus.PENDING:
        raise IllegalTransition(
            "floor_request.not_pending", request=request_id, status=request.status.value
        )
    return request


@_rule(c.RequestFloor)
def _request_floor(state: State, cmd: c.RequestFloor, now: datetime) -> list[e.Event]:
    _own_bridge(cmd.actor, cmd.bridge_id)
    _live(state)
    _bridge(state, cmd.bridge_id)
    if any(r.bridge_id == cmd.bridge_id for r in state.pending_floor_requests()):
        raise IllegalTransition("floor_request.already_pending", bridge=cmd.bridge_id)
    if state.floor.holder == cmd.bridge_id:
        raise IllegalTransition("floor_request.already_holds", bridge=cmd.bridge_id)
    note = _label(state, cmd.note, "note", required=False)
    return [
        e.FloorRequested(
            at=now, request_id=state.next_request_id, bridge_id=cmd.bridge_id, note=note
        )
    ]


@_rule(c.CancelFloorRequest)
def _cancel_request(state: State, cmd: c.CancelFloorRequest, now: datetime) -> list[e.Event]:
    request = _pending_request(state, cmd.request_id)
    _own_bridge(cmd.actor, request.bridge_id)
    return [e.FloorRequestCancelled(at=now, request_id=request.request_id)]


@_rule(c.DeclineFloorRequest)
def _decline_request(state: State, cmd: c.DeclineFloorRequest, now: datetime) -> list[e.Event]:
    request = _pending_request(state, cmd.request_id)
    reason = clean_text(cmd.reason, field="reason", max_chars=state.limits.reason_max_chars,
                        required=False)
    return [e.FloorRequestDeclined(at=now, request_id=request.request_id, reason=reason)]


# --- the record ----------------------------------------------------------------------


def _recordable(state: State, question_id: int) -> Question:
    question = _question(state, question_id)
    if question.status not in _RECORDABLE:
        raise IllegalTransition(
            "answer.not_recordable", question=question.question_id, status=question.status.value
        )
    return question


@_rule(c.RecordAnswerSummary)
def _summary(state: State, cmd: c.RecordAnswerSummary, now: datetime) -> list[e.Event]:
    question = _recordable(state, cmd.question_id)
    summary = clean_text(cmd.summary, field="summary", max_chars=state.limits.summary_max_chars,
                         required=False)
    record = state.answers.get(question.question_id)
    if record is not None and record.summary == summary:
        return []  # the same text again (a retry, a reconnecting screen)
    revision = record.revision if record is not None else 0
    stored = record.summary if record is not None else ""
    if cmd.base_revision is not None and cmd.base_revision != revision and stored not in summary:
        # saved elsewhere since this text was loaded, and this text would lose it
        raise IllegalTransition("summary.stale", question=question.question_id,
                                revision=revision)
    return [e.AnswerSummaryRecorded(at=now, question_id=question.question_id, summary=summary)]


@_rule(c.AddCommitment)
def _add_commitment(state: State, cmd: c.AddCommitment, now: datetime) -> list[e.Event]:
    question = _recordable(state, cmd.question_id)
    record = state.answers.get(question.question_id)
    if record is not None and len(record.commitments) >= 50:
        raise InvalidInput("input.too_many", field="commitments", limit=50)
    return [
        e.CommitmentAdded(
            at=now,
            question_id=question.question_id,
            commitment_id=state.next_commitment_id,
            what=clean_text(cmd.what, field="what", max_chars=state.limits.reason_max_chars),
            who=_label(state, cmd.who, "who"),
            by_when=cmd.by_when,
        )
    ]


@_rule(c.RemoveCommitment)
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
    cleaned = (_label(state, line, field, required=False) for line in lines)
    return tuple(line for line in cleaned if line)


@_rule(c.SetConclusionDraft)
def _conclusion_draft(state: State, cmd: c.SetConclusionDraft, now: datetime) -> list[e.Event]:
    """Allowed in every phase: the notice is written after the day."""
    if cmd.attendance is not None and not 0 <= cmd.attendance <= 1_000_000:
        raise InvalidInput("input.out_of_range", field="attendance")
    summary_max = state.limits.summary_max_chars
    return [
        e.ConclusionDraftSet(
            at=now,
            number=clean_line(cmd.number, field="number", max_chars=40),
            locality=clean_line(cmd.locality, field="locality", max_chars=80),
            issued_on=cmd.issued_on,
            attendance=cmd.attendance,
            opening=clean_text(cmd.opening, field="opening", max_chars=summary_max,
                               required=False),
            conclusions=clean_text(cmd.conclusions, field="conclusions", max_chars=summary_max,
                                   required=False),
            authority_lines=_lines(state, cmd.authority_lines, "authority_lines",
                                   MAX_AUTHORITY_LINES),
            signer_position=_label(state, cmd.signer_position, "signer_position",
                                   required=False),
            signer_name=_label(state, cmd.signer_name, "signer_name", required=False),
            recipients=_lines(state, cmd.recipients, "recipients", MAX_RECIPIENTS),
        )
    ]


@_rule(c.RecordWrittenAnswer)
def _written_answer(state: State, cmd: c.RecordWrittenAnswer, now: datetime) -> list[e.Event]:
    """Allowed in every phase: written answers arrive after the day."""
    question = _question(state, cmd.question_id)
    if question.status not in (QuestionStatus.FORWARDED, QuestionStatus.DEFERRED):
        raise IllegalTransition(
            "followup.not_open", question=question.question_id, status=question.status.value
        )
    text = clean_text(cmd.text, field="text", max_chars=state.limits.summary_max_chars)
    agency = _label(state, cmd.agency, "agency", required=False)
    if not agency and question.forwarding is not None:
        agency = question.forwarding.agency
    if not agency:
        speaker = state.speakers.get(question.speaker_id or "")
        agency = speaker.agency if speaker else ""
    answer = question.written_answer
    if answer is not None and answer.text == text and answer.agency == agency:
        return []
    return [e.WrittenAnswerRecorded(at=now, question_id=question.question_id, text=text,
                                    agency=agency)]


_RECORDING_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@_rule(c.SaveRecording)
def _save_recording(state: State, cmd: c.SaveRecording, now: datetime) -> list[e.Event]:
    """Allowed in every phase: a segment may end as the dialogue closes."""
    if not _RECORDING_NAME.fullmatch(cmd.recording_id):
        raise InvalidInput("input.bad_value", field="recording_id")
    stem, dot, extension = cmd.file.rpartition(".")
    if not dot or extension != "ogg" or not _RECORDING_NAME.fullmatch(stem):
        raise InvalidInput("input.bad_value", field="file")
    if cmd.recording_id in state.recordings:
        raise InvalidInput("recording.exists", recording=cmd.recording_id)
    _bridge(state, cmd.bridge_id)
    if cmd.question_id is not None:
        _question(state, cmd.question_id)
    if cmd.duration_ms < 0 or cmd.size < 0 or cmd.ended_at < cmd.started_at:
        raise InvalidInput("input.bad_value", field="duration_ms")
    return [e.RecordingSaved(at=now, recording_id=cmd.recording_id, file=cmd.file,
                             bridge_id=cmd.bridge_id, question_id=cmd.question_id,
                             started_at=cmd.started_at, ended_at=cmd.ended_at,
                             duration_ms=cmd.duration_ms, size=cmd.size)]


_missing = set(PERMISSIONS) ^ set(_RULES)
if _missing:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"commands without a rule or permission: {_missing}")
