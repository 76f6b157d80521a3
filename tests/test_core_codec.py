"""Events to JSON and back: the shape the logs hold."""

from __future__ import annotations

import dataclasses
import json

from session_server.core import apply, decide, event_from_dict, event_to_dict
from session_server.core import events as e
from session_server.core.model import Asker, Origin, State
from session_server.demo import demo_commands
from tests.conftest import NOW


def round_trip(event: e.Event) -> e.Event:
    return event_from_dict(json.loads(json.dumps(event_to_dict(event), ensure_ascii=False)))


def submitted(**changes: object) -> e.QuestionSubmitted:
    return e.QuestionSubmitted(
        at=NOW,
        question_id=7,
        text="Câu hỏi?",
        asker=Asker(name="Lan", public=True),
        origin=Origin.PHONE,
        bridge_id="tinh",
        topic_id=None,
        submitted_by="device:p1",
        idempotency_key="k-00000001",
        **changes,  # type: ignore[arg-type]
    )


def test_an_event_with_a_command_id_round_trips_it_last() -> None:
    event = submitted(command_id="device:p1:cmd-00000001")
    body = event_to_dict(event)
    assert list(body)[:2] == ["name", "at"] and list(body)[-1] == "command_id"
    assert body["command_id"] == "device:p1:cmd-00000001"
    assert round_trip(event) == event


def test_an_event_without_a_command_id_keeps_the_old_shape() -> None:
    event = submitted()
    body = event_to_dict(event)
    assert "command_id" not in body
    assert body == {
        "name": "QuestionSubmitted",
        "at": NOW.isoformat(),
        "question_id": 7,
        "text": "Câu hỏi?",
        "asker": {"name": "Lan", "unit": "", "age_group": "", "public": True},
        "origin": "phone",
        "bridge_id": "tinh",
        "topic_id": None,
        "submitted_by": "device:p1",
        "idempotency_key": "k-00000001",
    }
    assert round_trip(event) == event


def test_a_log_written_before_command_ids_still_loads() -> None:
    old = {"name": "QuestionApproved", "at": "2024-03-05T07:30:00+00:00", "question_id": 3}
    event = event_from_dict(old)
    assert event == e.QuestionApproved(at=NOW, question_id=3)
    assert event.command_id == ""


def test_replaying_the_stored_events_remembers_the_same_commands() -> None:
    live, events = State(), []
    for n, command in enumerate(demo_commands(NOW)):
        for event in decide(live, dataclasses.replace(command, command_id=f"cmd-{n:08d}"), NOW):
            apply(live, event)
            events.append(event)
    replayed = State()
    for event in events:
        apply(replayed, round_trip(event))
    assert replayed == live
    assert len(live.applied_commands) == len({ev.command_id for ev in events}) > 10


def test_a_later_field_is_left_out_only_from_the_event_it_was_added_to() -> None:
    """``held`` was added to QuestionSubmitted (left out when False, so old
    logs keep their shape); SubmissionsHeld always had it, and releasing a
    hold (``held=False``) must still be written, or the log cannot be read."""
    assert "held" not in event_to_dict(submitted())
    assert event_to_dict(submitted(held=True))["held"] is True
    released = e.SubmissionsHeld(at=NOW, bridge_id="tinh", held=False)
    assert event_to_dict(released)["held"] is False
    assert round_trip(released) == released
