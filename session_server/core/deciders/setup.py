"""Setting up: the dialogue and its phases, bridge points, topics, speakers,
the programme and role links.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime

from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.deciders.attendance import unit_link
from session_server.core.deciders.common import (
    bridge_label,
    check_bridge,
    check_date,
    check_not_closed,
    check_speaker,
    check_topic,
    clean_label,
    get_question,
)
from session_server.core.deciders.lifecycle import floor_taken_back
from session_server.core.deciders.preparation import drafter_link
from session_server.core.deciders.registry import MOD, ORG, Decider
from session_server.core.errors import IllegalTransition, InvalidInput, NotFound
from session_server.core.model import (
    BridgeKind,
    BridgePoint,
    Dialogue,
    Phase,
    ProgrammeItem,
    QuestionStatus,
    Role,
    RoleLink,
    Speaker,
    State,
    Topic,
)
from session_server.core.roster import in_attendance
from session_server.core.text import clean_line, clean_text, require_identifier, slug_id

__all__ = ["NEXT_PHASE", "SETUP"]

SETUP = Decider(
    "setup",
    {
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
    },
)
rule, fold = SETUP.rule, SETUP.fold


# --- rules: what this slice's commands do ----------------------------------


@rule(c.CreateDialogue)
def _create(state: State, cmd: c.CreateDialogue, now: datetime) -> list[e.Event]:
    if state.created:
        raise IllegalTransition("dialogue.exists")
    check_date(cmd.starts_at, "starts_at")
    check_date(cmd.intake_deadline, "intake_deadline")
    return [
        e.DialogueCreated(
            at=now,
            title=clean_line(
                cmd.title, field="title", max_chars=state.limits.title_max_chars, required=True
            ),
            theme=clean_text(
                cmd.theme, field="theme", max_chars=state.limits.title_max_chars, required=False
            ),
            host_body=clean_label(state, cmd.host_body, "host_body", required=False),
            parent_body=clean_label(state, cmd.parent_body, "parent_body", required=False),
            place=clean_label(state, cmd.place, "place", required=False),
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


@rule(c.UpdateDialogue)
def _update(state: State, cmd: c.UpdateDialogue, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    check_date(cmd.starts_at, "starts_at")
    return [
        e.DialogueUpdated(
            at=now,
            title=clean_line(
                cmd.title, field="title", max_chars=state.limits.title_max_chars, required=True
            ),
            theme=clean_text(
                cmd.theme, field="theme", max_chars=state.limits.title_max_chars, required=False
            ),
            host_body=clean_label(state, cmd.host_body, "host_body", required=False),
            parent_body=clean_label(state, cmd.parent_body, "parent_body", required=False),
            place=clean_label(state, cmd.place, "place", required=False),
            starts_at=cmd.starts_at,
            legal_basis=_legal_basis(state, cmd.legal_basis),
        )
    ]


@rule(c.SetIntakeDeadline)
def _deadline(state: State, cmd: c.SetIntakeDeadline, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    check_date(cmd.deadline, "intake_deadline")
    return [e.IntakeDeadlineSet(at=now, deadline=cmd.deadline)]


NEXT_PHASE: dict[Phase, Phase] = {
    Phase.DRAFT: Phase.INTAKE,
    Phase.INTAKE: Phase.LIVE,
    Phase.LIVE: Phase.CLOSED,
}
"""The one order of a dialogue's phases."""


@rule(c.ChangePhase)
def _phase(state: State, cmd: c.ChangePhase, now: datetime) -> list[e.Event]:
    current = state.dialogue.phase
    if NEXT_PHASE.get(current) is not cmd.phase:
        raise IllegalTransition("phase.illegal", phase=current.value, to=cmd.phase.value)
    if cmd.phase is Phase.LIVE and state.main_bridge() is None:
        raise IllegalTransition("phase.needs_main_bridge")
    events: list[e.Event] = []
    if cmd.phase is Phase.CLOSED and state.floor.holder is not None:
        events.append(floor_taken_back(state, now))
    events.append(e.PhaseChanged(at=now, phase=cmd.phase))
    return events


def _id_of(state: State, given: str, name: str, known: Collection[str], field: str) -> str:
    """The id a set-up command names, or, when it names none (a thing being
    added), one made from its name (``slug_id``) that no other has. An id
    never changes afterwards: renaming keeps it."""
    if given:
        return require_identifier(given, field=field)
    return slug_id(clean_label(state, name, "name"), known)


@rule(c.SetBridgePoint)
def _set_bridge(state: State, cmd: c.SetBridgePoint, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    bridge_id = _id_of(state, cmd.bridge_id, cmd.name, state.bridges, "bridge_id")
    main = state.main_bridge()
    if cmd.kind is BridgeKind.MAIN and main is not None and main.bridge_id != bridge_id:
        raise IllegalTransition("bridge.main_exists", bridge=main.name)
    if not 0 <= cmd.capacity <= 100_000:
        raise InvalidInput("input.out_of_range", field="capacity")
    return [
        e.BridgePointSet(
            at=now,
            bridge_id=bridge_id,
            bridge_name=clean_label(state, cmd.name, "name"),
            kind=cmd.kind,
            operator=clean_label(state, cmd.operator, "operator", required=False),
            capacity=cmd.capacity,
        )
    ]


@rule(c.RemoveBridgePoint)
def _remove_bridge(state: State, cmd: c.RemoveBridgePoint, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    check_bridge(state, cmd.bridge_id)
    in_use = any(q.bridge_id == cmd.bridge_id for q in state.questions.values())
    if in_use or state.floor.holder == cmd.bridge_id or in_attendance(state, cmd.bridge_id):
        raise IllegalTransition("bridge.in_use", bridge=bridge_label(state, cmd.bridge_id))
    return [e.BridgePointRemoved(at=now, bridge_id=cmd.bridge_id)]


@rule(c.SetTopic)
def _set_topic(state: State, cmd: c.SetTopic, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    topic_id = _id_of(state, cmd.topic_id, cmd.name, state.topics, "topic_id")
    for speaker_id in cmd.speaker_ids:
        check_speaker(state, speaker_id)
    return [
        e.TopicSet(
            at=now,
            topic_id=topic_id,
            topic_name=clean_label(state, cmd.name, "name"),
            speaker_ids=tuple(dict.fromkeys(cmd.speaker_ids)),
        )
    ]


@rule(c.SetSpeaker)
def _set_speaker(state: State, cmd: c.SetSpeaker, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    speaker_id = _id_of(state, cmd.speaker_id, cmd.name, state.speakers, "speaker_id")
    for topic_id in cmd.topic_ids:
        check_topic(state, topic_id)
    return [
        e.SpeakerSet(
            at=now,
            speaker_id=speaker_id,
            speaker_name=clean_label(state, cmd.name, "name"),
            position=clean_label(state, cmd.position, "position", required=False),
            agency=clean_label(state, cmd.agency, "agency", required=False),
            topic_ids=tuple(dict.fromkeys(cmd.topic_ids)),
        )
    ]


@rule(c.SetProgramme)
def _set_programme(state: State, cmd: c.SetProgramme, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    if len(cmd.items) > 50:
        raise InvalidInput("input.too_many", field="programme", limit=50)
    seen: set[str] = set()
    items: list[e.ProgrammeItemData] = []
    kept = {item.item_id for item in cmd.items if item.item_id}
    for item in cmd.items:
        item_id = item.item_id or slug_id(item.title, kept | seen, "muc")
        item_id = require_identifier(item_id, field="item_id")
        if item_id in seen:
            raise InvalidInput("programme.duplicate_item", item=item_id)
        seen.add(item_id)
        if not 0 <= item.planned_minutes <= 24 * 60:
            raise InvalidInput("input.out_of_range", field="planned_minutes")
        items.append(
            e.ProgrammeItemData(
                item_id=item_id,
                title=clean_label(state, item.title, "title"),
                kind=item.kind,
                planned_minutes=item.planned_minutes,
            )
        )
    return [e.ProgrammeSet(at=now, items=tuple(items))]


@rule(c.SetCurrentItem)
def _set_current(state: State, cmd: c.SetCurrentItem, now: datetime) -> list[e.Event]:
    check_not_closed(state)
    if cmd.item_id is not None and all(i.item_id != cmd.item_id for i in state.programme):
        raise NotFound("programme.not_found", item=cmd.item_id)
    return [e.CurrentItemSet(at=now, item_id=cmd.item_id)]


_LINK_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")


@rule(c.IssueLink)
def _issue_link(state: State, cmd: c.IssueLink, now: datetime) -> list[e.Event]:
    if not _LINK_ID.fullmatch(cmd.link_id) or cmd.link_id in state.links:
        raise InvalidInput("input.bad_value", field="link_id")
    if cmd.role in (Role.ORGANISER, Role.RECORDER):
        raise InvalidInput("link.bad_role", role=cmd.role.value)
    if cmd.role is Role.AGENCY:
        return [_agency_link(state, cmd, now)]
    if cmd.role is Role.DRAFTER:
        return [drafter_link(state, cmd, now)]
    if cmd.question_id is not None or cmd.agency or cmd.topic_id is not None:
        raise InvalidInput("input.bad_value", field="question_id")
    if cmd.role is Role.UNIT_REGISTRAR:
        return [unit_link(state, cmd, now)]
    if cmd.unit_id is not None:
        raise InvalidInput("input.bad_value", field="unit_id")
    bridge_id = speaker_id = None
    if cmd.role in (Role.BRIDGE_OPERATOR, Role.ATTENDEE, Role.DISPLAY, Role.CHECK_IN):
        if cmd.bridge_id is None:
            raise InvalidInput("link.needs_bridge", role=cmd.role.value)
        check_bridge(state, cmd.bridge_id)
        bridge_id = cmd.bridge_id
    if cmd.role is Role.SPEAKER:
        if cmd.speaker_id is None:
            raise InvalidInput("link.needs_speaker")
        check_speaker(state, cmd.speaker_id)
        speaker_id = cmd.speaker_id
    return [
        e.LinkIssued(
            at=now,
            link_id=cmd.link_id,
            role=cmd.role,
            bridge_id=bridge_id,
            speaker_id=speaker_id,
            label=clean_label(state, cmd.label, "label", required=False),
        )
    ]


def _agency_link(state: State, cmd: c.IssueLink, now: datetime) -> e.LinkIssued:
    """An agency's link: one forwarded or deferred question, and the name
    the agency answers under, fixed here (the forwarding's agency, else the
    question's speaker's, unless the organiser names one)."""
    if cmd.question_id is None:
        raise InvalidInput("link.needs_question")
    question = get_question(state, cmd.question_id)
    if question.status not in (QuestionStatus.FORWARDED, QuestionStatus.DEFERRED):
        raise IllegalTransition(
            "followup.not_open", question=question.question_id, status=question.status.value
        )
    agency = clean_label(state, cmd.agency, "agency", required=False)
    if not agency and question.forwarding is not None:
        agency = question.forwarding.agency
    if not agency:
        speaker = state.speakers.get(question.speaker_id or "")
        agency = speaker.agency if speaker else ""
    if not agency:
        raise InvalidInput("link.needs_agency", question=question.question_id)
    return e.LinkIssued(
        at=now,
        link_id=cmd.link_id,
        role=Role.AGENCY,
        bridge_id=None,
        speaker_id=None,
        label=clean_label(state, cmd.label, "label", required=False) or agency,
        question_id=question.question_id,
        agency=agency,
    )


@rule(c.RevokeLink)
def _revoke_link(state: State, cmd: c.RevokeLink, now: datetime) -> list[e.Event]:
    link = state.links.get(cmd.link_id)
    if link is None:
        raise NotFound("link.not_found")
    if not link.active:
        raise IllegalTransition("link.revoked")
    return [e.LinkRevoked(at=now, link_id=cmd.link_id)]


# --- folds: how this slice's events change the state -------------------------


@fold(e.DialogueCreated)
def _dialogue_created(state: State, ev: e.DialogueCreated) -> None:
    state.created = True
    state.dialogue = Dialogue(
        title=ev.title,
        theme=ev.theme,
        host_body=ev.host_body,
        parent_body=ev.parent_body,
        place=ev.place,
        starts_at=ev.starts_at,
        legal_basis=ev.legal_basis,
        intake_deadline=ev.intake_deadline,
        created_at=ev.at,
    )


@fold(e.DialogueUpdated)
def _dialogue_updated(state: State, ev: e.DialogueUpdated) -> None:
    d = state.dialogue
    d.title, d.theme, d.host_body, d.parent_body = ev.title, ev.theme, ev.host_body, ev.parent_body
    d.place, d.starts_at, d.legal_basis = ev.place, ev.starts_at, ev.legal_basis


@fold(e.IntakeDeadlineSet)
def _intake_deadline_set(state: State, ev: e.IntakeDeadlineSet) -> None:
    state.dialogue.intake_deadline = ev.deadline


@fold(e.PhaseChanged)
def _phase_changed(state: State, ev: e.PhaseChanged) -> None:
    state.dialogue.phase = ev.phase


@fold(e.BridgePointSet)
def _bridge_point_set(state: State, ev: e.BridgePointSet) -> None:
    state.bridges[ev.bridge_id] = BridgePoint(
        bridge_id=ev.bridge_id,
        name=ev.bridge_name,
        kind=ev.kind,
        operator=ev.operator,
        capacity=ev.capacity,
    )


@fold(e.BridgePointRemoved)
def _bridge_point_removed(state: State, ev: e.BridgePointRemoved) -> None:
    state.bridges.pop(ev.bridge_id, None)


@fold(e.TopicSet)
def _topic_set(state: State, ev: e.TopicSet) -> None:
    state.topics[ev.topic_id] = Topic(
        topic_id=ev.topic_id, name=ev.topic_name, speaker_ids=ev.speaker_ids
    )


@fold(e.SpeakerSet)
def _speaker_set(state: State, ev: e.SpeakerSet) -> None:
    state.speakers[ev.speaker_id] = Speaker(
        speaker_id=ev.speaker_id,
        name=ev.speaker_name,
        position=ev.position,
        agency=ev.agency,
        topic_ids=ev.topic_ids,
    )


@fold(e.ProgrammeSet)
def _programme_set(state: State, ev: e.ProgrammeSet) -> None:
    state.programme = [
        ProgrammeItem(
            item_id=i.item_id, title=i.title, kind=i.kind, planned_minutes=i.planned_minutes
        )
        for i in ev.items
    ]
    if all(i.item_id != state.current_item_id for i in state.programme):
        state.current_item_id = None


@fold(e.CurrentItemSet)
def _current_item_set(state: State, ev: e.CurrentItemSet) -> None:
    state.current_item_id = ev.item_id


@fold(e.LinkIssued)
def _link_issued(state: State, ev: e.LinkIssued) -> None:
    state.links[ev.link_id] = RoleLink(
        link_id=ev.link_id,
        role=ev.role,
        bridge_id=ev.bridge_id,
        speaker_id=ev.speaker_id,
        label=ev.label,
        issued_at=ev.at,
        question_id=ev.question_id,
        agency=ev.agency,
        unit_id=ev.unit_id,
        topic_id=ev.topic_id,
    )


@fold(e.LinkRevoked)
def _link_revoked(state: State, ev: e.LinkRevoked) -> None:
    state.links[ev.link_id].revoked_at = ev.at
