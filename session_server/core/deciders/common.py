"""What more than one slice uses: lookups and checks for rules, and the
queue helper for folds."""

from __future__ import annotations

from datetime import date, datetime

from session_server.core.errors import Forbidden, InvalidInput, NotFound, PhaseRefused
from session_server.core.model import Actor, Phase, Question, Role, State
from session_server.core.text import clean_line

__all__ = [
    "EARLIEST",
    "LATEST",
    "bridge_label",
    "check_bridge",
    "check_date",
    "check_live",
    "check_not_closed",
    "check_own_bridge",
    "check_speaker",
    "check_topic",
    "clean_label",
    "get_question",
    "unqueue",
]


EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
"""The dates a dialogue's record may name: anything else is a typing slip."""


def check_date(value: date | datetime | None, field: str) -> None:
    """A date or moment within 2000–2100 (a year 1 or 9999 breaks every page
    and document that prints it)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(
            "input.date_out_of_range", field=field, earliest=EARLIEST.year, latest=LATEST.year
        )


def check_own_bridge(actor: Actor, bridge_id: str) -> None:
    if actor.role is Role.BRIDGE_OPERATOR and actor.bridge_id != bridge_id:
        raise Forbidden("role.other_bridge", bridge=bridge_id)


def get_question(state: State, question_id: int) -> Question:
    found = state.questions.get(question_id)
    if found is None:
        raise NotFound("question.not_found", question=question_id)
    return found


def bridge_label(state: State, bridge_id: str) -> str:
    """A bridge point as a refusal names it to a person: its name (its id
    only if it has none here)."""
    bridge = state.bridges.get(bridge_id)
    return bridge.name if bridge is not None else bridge_id


def check_bridge(state: State, bridge_id: str) -> None:
    if bridge_id not in state.bridges:
        raise NotFound("bridge.not_found", bridge=bridge_id)


def check_topic(state: State, topic_id: str | None) -> None:
    if topic_id is not None and topic_id not in state.topics:
        raise NotFound("topic.not_found", topic=topic_id)


def check_speaker(state: State, speaker_id: str | None) -> None:
    if speaker_id is not None and speaker_id not in state.speakers:
        raise NotFound("speaker.not_found", speaker=speaker_id)


def check_not_closed(state: State) -> None:
    if state.dialogue.phase is Phase.CLOSED:
        raise PhaseRefused("dialogue.closed")


def check_live(state: State) -> None:
    if state.dialogue.phase is not Phase.LIVE:
        raise PhaseRefused("dialogue.not_live", phase=state.dialogue.phase.value)


def clean_label(state: State, value: str, field: str, required: bool = True) -> str:
    return clean_line(value, field=field, max_chars=state.limits.label_max_chars, required=required)


def unqueue(state: State, question_id: int) -> None:
    """Take a question out of the approved queue, if it is there."""
    if question_id in state.queue:
        state.queue.remove(question_id)
