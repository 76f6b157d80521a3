"""Events to JSON and back: the shape the logs hold."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from session_server.core import apply, decide, event_from_dict, event_to_dict
from session_server.core import events as e
from session_server.core.model import Asker, Origin, Role, State
from session_server.demo import demo_commands
from session_server.export.record import build_record
from tests.conftest import NOW
from tests.recorddemo import record_state


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


def test_agency_links_and_accepted_answers_round_trip() -> None:
    link = e.LinkIssued(
        at=NOW,
        link_id="agency-q13-a",
        role=Role.AGENCY,
        bridge_id=None,
        speaker_id=None,
        label="Sở Y tế",
        question_id=13,
        agency="Sở Y tế",
    )
    pending = e.WrittenAnswerRecorded(
        at=NOW, question_id=13, text="Trả lời.", agency="Sở Y tế", pending=True
    )
    accepted = e.WrittenAnswerAccepted(at=NOW, question_id=13, revision=1, command_id="role:o:c1")
    for event in (link, pending, accepted):
        assert round_trip(event) == event
    assert event_to_dict(pending)["pending"] is True
    assert event_to_dict(accepted) == {
        "name": "WrittenAnswerAccepted",
        "at": NOW.isoformat(),
        "question_id": 13,
        "revision": 1,
        "command_id": "role:o:c1",
    }
    role_link = dataclasses.replace(link, role=Role.MODERATOR, question_id=None, agency="")
    assert set(event_to_dict(role_link)) == {
        "name", "at", "link_id", "role", "bridge_id", "speaker_id", "label"
    }  # fmt: skip


def test_an_old_log_without_acceptance_loads_with_its_answers_accepted() -> None:
    """Logs written before agency links and acceptance: the link has no
    question, and an answer then recorded counts as accepted."""
    old: list[dict[str, Any]] = [
        {
            "name": "LinkIssued",
            "at": "2024-03-05T07:30:00+00:00",
            "link_id": "moderator01",
            "role": "moderator",
            "bridge_id": None,
            "speaker_id": None,
            "label": "Chủ tọa",
        },
        {
            "name": "WrittenAnswerRecorded",
            "at": "2024-03-20T02:00:00+00:00",
            "question_id": 13,
            "text": "Sở Y tế trả lời.",
            "agency": "Sở Y tế",
        },
    ]
    link, answer = (event_from_dict(body) for body in old)
    assert isinstance(link, e.LinkIssued) and (link.question_id, link.agency) == (None, "")
    assert isinstance(answer, e.WrittenAnswerRecorded) and answer.pending is False
    state = record_state()
    for event in (link, answer):
        apply(state, event)
    assert state.links["moderator01"].question_id is None
    accepted = state.questions[13].accepted_answer
    assert accepted is not None and accepted == state.questions[13].written_answer
    assert build_record(state).followups[0].written_answer == "Sở Y tế trả lời."
