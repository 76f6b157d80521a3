"""A question's lifecycle: commands move it only along ``COMMAND_TRANSITIONS``;
the floor's return (``RETURN_TO_QUEUE``) is made only by ``FloorReleased``."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from session_server.core import IllegalTransition, SessionError, apply, decide
from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.decide import COMMAND_TRANSITIONS, LEGAL_TRANSITIONS, RETURN_TO_QUEUE
from session_server.core.model import Origin, Phase, QuestionStatus, State
from tests.conftest import MODERATOR, NOW, ORGANISER, run
from tests.test_core_properties import SETUP, draw_command


def test_approving_a_question_on_the_floor_is_refused_by_the_table(live_demo: State) -> None:
    run(live_demo, c.GiveFloor(MODERATOR, "chau-doc", 2))
    assert live_demo.questions[2].status is QuestionStatus.ON_FLOOR
    before = copy.deepcopy(live_demo)
    with pytest.raises(IllegalTransition) as info:
        decide(live_demo, c.ApproveQuestion(MODERATOR, 2), NOW)
    assert info.value.code == "question.illegal_transition"
    assert dict(info.value.params) == {"question": 2, "status": "on_floor", "to": "approved"}
    assert live_demo == before


def test_no_command_may_return_a_question_to_the_queue() -> None:
    assert QuestionStatus.APPROVED not in COMMAND_TRANSITIONS[QuestionStatus.ON_FLOOR]
    assert {QuestionStatus.ON_FLOOR: frozenset({QuestionStatus.APPROVED})} == RETURN_TO_QUEUE
    for status, allowed in LEGAL_TRANSITIONS.items():
        returns = RETURN_TO_QUEUE.get(status, frozenset())
        assert allowed == COMMAND_TRANSITIONS[status] | returns
        assert not COMMAND_TRANSITIONS[status] & returns, "the return is no command's to make"
    assert set(COMMAND_TRANSITIONS) == set(QuestionStatus)


@pytest.mark.parametrize(
    "take_back",
    [c.ReleaseFloor(MODERATOR), c.ChangePhase(MODERATOR, Phase.CLOSED)],
    ids=["release", "close"],
)
def test_taking_the_floor_back_returns_its_question_to_the_head_of_the_queue(
    live_demo: State, take_back: c.Command
) -> None:
    run(live_demo, c.GiveFloor(MODERATOR, "chau-doc", 2))
    events = run(live_demo, take_back)
    assert e.FloorReleased(at=NOW, returned_question_id=2) in events
    assert live_demo.questions[2].status is QuestionStatus.APPROVED
    assert live_demo.queue[0] == 2
    assert live_demo.floor.holder is None


def lifecycle_command(data: st.DataObject, state: State) -> c.Command:
    """A command that moves questions through their lifecycle, biased to the
    floor: the moderator's screening, floor and closing commands on existing
    questions, and new pre-collected questions."""
    ids = sorted(state.questions) or [1]
    q = data.draw(st.sampled_from(ids))
    if state.queue and data.draw(st.booleans()):
        q = data.draw(st.sampled_from(state.queue))
    if state.floor.question_id is not None and data.draw(st.booleans()):
        q = state.floor.question_id
    choices: list[c.Command] = [
        c.SubmitQuestion(
            ORGANISER,
            "Câu hỏi?",
            f"key-{len(state.questions):08d}",
            "north",
            origin=Origin.PRE_COLLECTED,
        ),
        c.ApproveQuestion(MODERATOR, q),
        c.ApproveQuestion(MODERATOR, q),
        c.RejectQuestion(MODERATOR, q, "Trùng"),
        c.MergeQuestion(MODERATOR, q, data.draw(st.sampled_from(ids))),
        c.GiveFloor(
            MODERATOR,
            data.draw(st.sampled_from(["main", "north"])),
            data.draw(st.sampled_from([None, q])),
        ),
        c.SetFloorQuestion(MODERATOR, q),
        c.SetFloorQuestion(MODERATOR, q),
        *[c.ReleaseFloor(MODERATOR)] * 4,
        c.MarkAnswered(MODERATOR, q),
        c.ForwardQuestion(MODERATOR, q, "Sở Xây dựng"),
        c.DeferQuestion(MODERATOR, q),
    ]
    if not data.draw(st.integers(0, 30)):
        choices.append(c.ChangePhase(MODERATOR, Phase.CLOSED))
    return data.draw(st.sampled_from(choices))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), count=st.integers(1, 60))
def test_only_the_floors_release_returns_a_question(data: st.DataObject, count: int) -> None:
    state = State()
    now: datetime = NOW
    for command in [*SETUP, c.ChangePhase(ORGANISER, Phase.LIVE)]:
        for event in decide(state, command, now):
            apply(state, event)
    for _step in range(count):
        if data.draw(st.integers(0, 3)):
            command = lifecycle_command(data, state)
        else:  # now and then, any command from any actor
            command = draw_command(data, state)
        now += timedelta(seconds=data.draw(st.integers(0, 300)))
        try:
            events = decide(state, command, now)
        except SessionError:
            continue
        for event in events:
            before = {q: x.status for q, x in state.questions.items()}
            apply(state, event)
            table = RETURN_TO_QUEUE if isinstance(event, e.FloorReleased) else COMMAND_TRANSITIONS
            for question_id, old in before.items():
                new = state.questions[question_id].status
                if new is not old:
                    assert new in table.get(old, frozenset()), (old, new, event)
