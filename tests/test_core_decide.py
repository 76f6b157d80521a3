"""The rules of the day, one by one, with no event loop."""

from __future__ import annotations

import copy
import unicodedata
from datetime import date, timedelta

import pytest

from session_server.core import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhaseRefused,
    SessionError,
    decide,
)
from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.model import (
    Actor,
    Asker,
    Conditions,
    Limits,
    Origin,
    Phase,
    QuestionStatus,
    Role,
    State,
    TimerKind,
)
from session_server.core.views import (
    fairness,
    speaker_questions,
    submitted_question_id,
    visible_questions,
)
from tests.conftest import DISPLAY, MODERATOR, NOW, ORGANISER, SECRETARY, operator, phone, run

Q = "Xin hỏi về chính sách hỗ trợ việc làm cho thanh niên?"


def refused(state: State, command: c.Command, error: type[SessionError], code: str) -> None:
    """``command`` is refused with ``error``/``code`` and changes nothing."""
    before = copy.deepcopy(state)
    with pytest.raises(error) as info:
        decide(state, command, NOW)
    assert info.value.code == code
    assert info.value.message("vi") != info.value.message("en")
    assert state == before


def submit(state: State, actor: Actor, key: str, bridge: str = "long-xuyen", **kw: object) -> int:
    command = c.SubmitQuestion(actor, kw.pop("text", Q), key, bridge, **kw)  # type: ignore[arg-type]
    run(state, command)
    question_id = submitted_question_id(state, command)
    assert question_id is not None
    return question_id


# --- lifecycle ----------------------------------------------------------------


def test_phone_question_goes_through_the_floor_to_answered(live_demo: State) -> None:
    qid = submit(live_demo, phone(), "k-00000001", topic_id="viec-lam")
    question = live_demo.questions[qid]
    assert question.status is QuestionStatus.SUBMITTED
    assert question.origin is Origin.PHONE
    run(live_demo, c.ApproveQuestion(MODERATOR, qid))
    assert live_demo.queue[-1] == qid
    events = run(live_demo, c.GiveFloor(MODERATOR, "long-xuyen", qid, question_seconds=90))
    assert [type(x) for x in events] == [e.FloorGiven, e.FloorQuestionSet]
    assert live_demo.floor.holder == "long-xuyen"
    assert live_demo.floor.question_ends_at == NOW + timedelta(seconds=90)
    assert live_demo.floor.speaker_id == "ldtbxh", "proposed from the topic's default speakers"
    assert qid not in live_demo.queue
    run(live_demo, c.StartTimer(MODERATOR, TimerKind.ANSWER, 180))
    assert live_demo.floor.answer_ends_at == NOW + timedelta(seconds=180)
    run(live_demo, c.RecordAnswerSummary(SECRETARY, qid, "Sở sẽ tổ chức ngày hội việc làm."))
    run(
        live_demo,
        c.AddCommitment(SECRETARY, qid, "Ngày hội việc làm", "Sở LĐTBXH", date(2024, 5, 1)),
    )
    run(live_demo, c.MarkAnswered(MODERATOR, qid))
    assert question.status is QuestionStatus.ANSWERED
    assert live_demo.floor.holder is None, "marking the question ends the floor segment"
    record = live_demo.answers[qid]
    assert record.speaker_id == "ldtbxh"
    assert record.started_at == NOW and record.ended_at == NOW
    assert record.commitments[0].by_when == date(2024, 5, 1)


def test_forwarded_and_deferred_carry_their_details(live_demo: State) -> None:
    run(live_demo, c.GiveFloor(MODERATOR, "tinh", 1))
    run(live_demo, c.ForwardQuestion(MODERATOR, 1, "Sở Xây dựng", date(2024, 4, 5), "nhà ở"))
    assert live_demo.questions[1].forwarding is not None
    assert live_demo.questions[1].forwarding.agency == "Sở Xây dựng"
    assert live_demo.floor.holder is None
    run(live_demo, c.DeferQuestion(MODERATOR, 2, "Trả lời bằng văn bản"))
    assert live_demo.questions[2].status is QuestionStatus.DEFERRED
    assert live_demo.questions[2].deferral_note == "Trả lời bằng văn bản"


def test_illegal_transitions_are_refused_specifically(live_demo: State) -> None:
    run(live_demo, c.RejectQuestion(MODERATOR, 3, "Ngoài chủ đề"))
    refused(
        live_demo, c.ApproveQuestion(MODERATOR, 3), IllegalTransition, "question.illegal_transition"
    )
    refused(
        live_demo, c.MarkAnswered(MODERATOR, 1), IllegalTransition, "question.illegal_transition"
    )
    refused(
        live_demo, c.ApproveQuestion(MODERATOR, 1), IllegalTransition, "question.illegal_transition"
    )
    refused(live_demo, c.ApproveQuestion(MODERATOR, 999), NotFound, "question.not_found")
    refused(
        live_demo,
        c.RejectQuestion(MODERATOR, 3, "again"),
        IllegalTransition,
        "question.illegal_transition",
    )


def test_released_floor_returns_the_question_to_the_head_of_the_queue(live_demo: State) -> None:
    run(live_demo, c.GiveFloor(MODERATOR, "chau-doc", 2))
    run(live_demo, c.ReleaseFloor(MODERATOR))
    assert live_demo.questions[2].status is QuestionStatus.APPROVED
    assert live_demo.queue[0] == 2
    assert live_demo.floor.holder is None


# --- merge and votes ---------------------------------------------------------------


def test_merge_keeps_every_asker_origin_and_vote(live_demo: State) -> None:
    a = submit(live_demo, phone("p1"), "k-00000001", "chau-doc", asker_name="Lan")
    b = submit(
        live_demo,
        operator("tri-ton"),
        "k-00000002",
        "tri-ton",
        asker_name="Sơn",
        asker_unit="Đoàn xã",
    )
    run(live_demo, c.ApproveQuestion(MODERATOR, a))
    run(live_demo, c.ApproveQuestion(MODERATOR, b))
    run(live_demo, c.SetPublicList(MODERATOR, True))
    run(live_demo, c.Vote(phone("p2"), a))
    run(live_demo, c.Vote(phone("p3"), a))
    run(live_demo, c.Vote(phone("p3"), b))
    run(live_demo, c.Vote(phone("p4"), b))
    run(live_demo, c.MergeQuestion(MODERATOR, a, b))
    target = live_demo.questions[b]
    assert live_demo.questions[a].status is QuestionStatus.MERGED
    assert live_demo.questions[a].merged_into == b
    assert Asker(name="Lan") in target.askers()
    assert (Origin.PHONE, "chau-doc") in target.origins()
    assert target.voters == {"p2", "p3", "p4"}
    assert target.votes == 3
    assert a not in live_demo.queue
    # a vote for the merged question counts for the one it joined, once
    refused(live_demo, c.Vote(phone("p2"), a), IllegalTransition, "vote.already")
    run(live_demo, c.Vote(phone("p5"), a))
    assert target.votes == 4


def test_votes_need_the_public_list_and_count_once(live_demo: State) -> None:
    refused(live_demo, c.Vote(phone(), 1), PhaseRefused, "vote.list_closed")
    run(live_demo, c.SetPublicList(MODERATOR, True))
    run(live_demo, c.Vote(phone(), 1))
    refused(live_demo, c.Vote(phone(), 1), IllegalTransition, "vote.already")
    refused(live_demo, c.Vote(phone(), 3), IllegalTransition, "vote.not_open")  # not approved
    assert live_demo.questions[1].votes == 1


def test_merge_into_itself_or_a_closed_question_is_refused(live_demo: State) -> None:
    refused(live_demo, c.MergeQuestion(MODERATOR, 1, 1), InvalidInput, "question.merge_self")
    run(live_demo, c.RejectQuestion(MODERATOR, 3, "Trùng"))
    refused(
        live_demo,
        c.MergeQuestion(MODERATOR, 1, 3),
        IllegalTransition,
        "question.merge_target_closed",
    )


# --- roles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [
        phone(),
        operator("long-xuyen"),
        SECRETARY,
        DISPLAY,
        Actor(Role.SPEAKER, speaker_id="khdt"),
        ORGANISER,
    ],
)
def test_only_the_moderator_runs_the_floor(live_demo: State, actor: Actor) -> None:
    refused(live_demo, c.GiveFloor(actor, "tinh", 1), Forbidden, "role.forbidden")
    refused(live_demo, c.ApproveQuestion(actor, 3), Forbidden, "role.forbidden")
    refused(live_demo, c.MarkAnswered(actor, 1), Forbidden, "role.forbidden")


def test_a_phone_replaying_a_moderator_command_is_refused(live_demo: State) -> None:
    for command in (
        c.ApproveQuestion(phone(), 3),
        c.RejectQuestion(phone(), 1, "x"),
        c.MergeQuestion(phone(), 1, 2),
        c.ChangePhase(phone(), Phase.CLOSED),
        c.SetPublicList(phone(), True),
        c.RecordAnswerSummary(phone(), 1, "x"),
        c.RequestFloor(phone(), "long-xuyen"),
    ):
        refused(live_demo, command, Forbidden, "role.forbidden")


def test_a_bridge_operator_acts_only_for_its_own_bridge(live_demo: State) -> None:
    op = operator("chau-doc")
    refused(
        live_demo,
        c.SubmitQuestion(op, Q, "k-00000001", "long-xuyen"),
        Forbidden,
        "role.other_bridge",
    )
    refused(live_demo, c.RequestFloor(op, "long-xuyen"), Forbidden, "role.other_bridge")
    run(live_demo, c.RequestFloor(operator("long-xuyen"), "long-xuyen"))
    refused(live_demo, c.CancelFloorRequest(op, 1), Forbidden, "role.other_bridge")
    qid = submit(live_demo, op, "k-00000001", "chau-doc", asker_name="Hòa")
    assert live_demo.questions[qid].origin is Origin.BRIDGE


def test_an_actor_without_identity_is_refused() -> None:
    state = State()
    refused(
        state,
        c.SubmitQuestion(Actor(Role.ATTENDEE), Q, "k-00000001", "x"),
        Forbidden,
        "role.device_missing",
    )
    refused(
        state, c.RequestFloor(Actor(Role.BRIDGE_OPERATOR), "x"), Forbidden, "role.bridge_missing"
    )


def test_only_the_organiser_imports_pre_collected_questions(live_demo: State) -> None:
    qid = submit(live_demo, ORGANISER, "import-0001", "an-phu", origin=Origin.IMPORTED)
    assert live_demo.questions[qid].origin is Origin.IMPORTED
    refused(
        live_demo,
        c.SubmitQuestion(ORGANISER, Q, "import-0002", "an-phu"),
        InvalidInput,
        "question.bad_origin",
    )
    # a phone cannot claim another origin: whatever it says, it is a phone
    qid = submit(live_demo, phone(), "k-00000009", origin=Origin.PRE_COLLECTED)
    assert live_demo.questions[qid].origin is Origin.PHONE


# --- input rules ------------------------------------------------------------------------


def test_text_is_normalised_and_stripped_of_controls(live_demo: State) -> None:
    decomposed = unicodedata.normalize("NFD", "Việc làm cho thanh niên?")
    raw = f"  {decomposed}\u202e\x00\x07\r\n\r\n\r\n\r\nDòng hai\t\tcuối  "
    qid = submit(live_demo, phone(), "k-00000001", text=raw)
    assert live_demo.questions[qid].text == "Việc làm cho thanh niên?\n\nDòng hai cuối"
    assert unicodedata.is_normalized("NFC", live_demo.questions[qid].text)


def test_question_length_limit_comes_from_configuration() -> None:
    from session_server.demo import demo_commands
    from tests.conftest import build

    state = build(demo_commands(NOW))
    state.limits = Limits(question_max_chars=20)
    with pytest.raises(InvalidInput) as info:
        decide(state, c.SubmitQuestion(phone(), "x" * 21, "k-00000001", "tinh"), NOW)
    assert info.value.code == "input.too_long"
    assert "20" in info.value.message("vi") and "21" in info.value.message("en")
    decide(state, c.SubmitQuestion(phone(), "x" * 20, "k-00000001", "tinh"), NOW)


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\u202e\u200f"])
def test_empty_question_is_refused(live_demo: State, text: str) -> None:
    refused(
        live_demo,
        c.SubmitQuestion(phone(), text, "k-00000001", "tinh"),
        InvalidInput,
        "input.empty",
    )


def test_asker_fields_are_bounded(live_demo: State) -> None:
    refused(
        live_demo,
        c.SubmitQuestion(phone(), Q, "k-00000001", "tinh", asker_name="N" * 81),
        InvalidInput,
        "input.too_long",
    )
    refused(
        live_demo,
        c.SubmitQuestion(phone(), Q, "k-00000001", "tinh", asker_unit="U" * 121),
        InvalidInput,
        "input.too_long",
    )


@pytest.mark.parametrize("key", ["", "short", "has space!", "x" * 65, "ключ-ключ-ключ"])
def test_bad_idempotency_keys_are_refused(live_demo: State, key: str) -> None:
    refused(
        live_demo,
        c.SubmitQuestion(phone(), Q, key, "tinh"),
        InvalidInput,
        "input.bad_idempotency_key",
    )


def test_a_retried_submission_is_accepted_once(live_demo: State) -> None:
    command = c.SubmitQuestion(phone("p1"), Q, "k-00000001", "tinh")
    first = run(live_demo, command)
    assert len(first) == 1
    count = len(live_demo.questions)
    assert decide(live_demo, command, NOW + timedelta(seconds=5)) == []
    assert len(live_demo.questions) == count
    assert submitted_question_id(live_demo, command) == first[0].question_id  # type: ignore[attr-defined]
    # the same key from another device is another question
    other = c.SubmitQuestion(phone("p2"), Q, "k-00000001", "tinh")
    assert len(run(live_demo, other)) == 1
    assert submitted_question_id(live_demo, other) != submitted_question_id(live_demo, command)


# --- command ids ----------------------------------------------------------------------------


def test_a_repeated_command_id_is_accepted_and_changes_nothing(live_demo: State) -> None:
    qid = submit(live_demo, phone(), "k-00000001")
    approve = c.ApproveQuestion(MODERATOR, qid, command_id="cmd-approve-0001")
    (event,) = run(live_demo, approve)
    assert event.command_id == "role:moderator:cmd-approve-0001"
    assert "role:moderator:cmd-approve-0001" in live_demo.applied_commands
    before = copy.deepcopy(live_demo)
    # the same command again (a retry whose first answer was lost): no events, no refusal
    assert decide(live_demo, approve, NOW + timedelta(seconds=30)) == []
    assert live_demo == before
    # without the id it is a new command, and an illegal one
    refused(
        live_demo,
        c.ApproveQuestion(MODERATOR, qid),
        IllegalTransition,
        "question.illegal_transition",
    )


def test_every_event_of_a_command_carries_its_scoped_id(live_demo: State) -> None:
    events = run(live_demo, c.GiveFloor(MODERATOR, "tinh", 1, command_id="cmd-floor-0001"))
    assert [type(x) for x in events] == [e.FloorGiven, e.FloorQuestionSet]
    assert {x.command_id for x in events} == {"role:moderator:cmd-floor-0001"}
    # a command without an id makes events without one
    (released,) = run(live_demo, c.ReleaseFloor(MODERATOR))
    assert released.command_id == ""


def test_another_actors_same_command_id_is_not_a_repeat(live_demo: State) -> None:
    run(live_demo, c.SetPublicList(MODERATOR, True))
    assert len(run(live_demo, c.Vote(phone("p1"), 1, command_id="vote-00000001"))) == 1
    (other,) = run(live_demo, c.Vote(phone("p2"), 1, command_id="vote-00000001"))
    assert other.command_id == "device:p2:vote-00000001"
    assert live_demo.questions[1].votes == 2
    assert decide(live_demo, c.Vote(phone("p2"), 1, command_id="vote-00000001"), NOW) == []
    # the moderator and the organiser are different actors too
    run(live_demo, c.SetCurrentItem(MODERATOR, None, command_id="shared-id-0001"))
    assert len(run(live_demo, c.SetCurrentItem(ORGANISER, None, command_id="shared-id-0001"))) == 1


def test_the_role_is_checked_before_the_repeat(live_demo: State) -> None:
    qid = submit(live_demo, phone(), "k-00000001")
    run(live_demo, c.ApproveQuestion(MODERATOR, qid, command_id="cmd-approve-0001"))
    refused(
        live_demo,
        c.ApproveQuestion(phone(), qid, command_id="cmd-approve-0001"),
        Forbidden,
        "role.forbidden",
    )


@pytest.mark.parametrize(
    "command_id", ["short", "has space!", "x" * 65, "ключ-ключ-ключ", "a:b:c:d:e:f"]
)
def test_malformed_command_ids_are_refused(live_demo: State, command_id: str) -> None:
    refused(
        live_demo,
        c.ApproveQuestion(MODERATOR, 1, command_id=command_id),
        InvalidInput,
        "input.bad_command_id",
    )


def test_a_submission_may_carry_a_command_id_beside_its_key(live_demo: State) -> None:
    command = c.SubmitQuestion(phone("p1"), Q, "k-00000001", "tinh", command_id="cmd-submit-01")
    (event,) = run(live_demo, command)
    assert event.command_id == "device:p1:cmd-submit-01"
    assert decide(live_demo, command, NOW) == []
    # the key alone still recognises a retry made without the command id
    assert decide(live_demo, c.SubmitQuestion(phone("p1"), Q, "k-00000001", "tinh"), NOW) == []
    # and a new key with the same command id is still the same command
    again = c.SubmitQuestion(phone("p1"), Q, "k-00000002", "tinh", command_id="cmd-submit-01")
    assert decide(live_demo, again, NOW) == []


def test_unknown_bridge_and_topic_are_refused(live_demo: State) -> None:
    refused(
        live_demo,
        c.SubmitQuestion(phone(), Q, "k-00000001", "nowhere"),
        NotFound,
        "bridge.not_found",
    )
    refused(
        live_demo,
        c.SubmitQuestion(phone(), Q, "k-00000001", "tinh", topic_id="nope"),
        NotFound,
        "topic.not_found",
    )


# --- phases ----------------------------------------------------------------------------------


def test_phones_may_not_submit_after_the_intake_deadline(intake_demo: State) -> None:
    deadline = intake_demo.dialogue.intake_deadline
    assert deadline is not None
    late = deadline + timedelta(seconds=1)
    command = c.SubmitQuestion(phone(), Q, "k-00000001", "tinh")
    with pytest.raises(PhaseRefused) as info:
        decide(intake_demo, command, late)
    assert info.value.code == "intake.deadline_passed"
    assert decide(intake_demo, command, deadline)  # on the deadline itself: accepted
    # operators and the organiser still compile questions after it
    assert decide(intake_demo, c.SubmitQuestion(operator("tinh"), Q, "k-00000001", "tinh"), late)


def test_nothing_is_submitted_once_closed(live_demo: State) -> None:
    run(live_demo, c.ChangePhase(MODERATOR, Phase.CLOSED))
    refused(
        live_demo,
        c.SubmitQuestion(phone(), Q, "k-00000001", "tinh"),
        PhaseRefused,
        "dialogue.closed",
    )
    refused(
        live_demo,
        c.SubmitQuestion(operator("tinh"), Q, "k-00000001", "tinh"),
        PhaseRefused,
        "dialogue.closed",
    )
    refused(live_demo, c.ApproveQuestion(MODERATOR, 3), PhaseRefused, "dialogue.closed")
    # the secretary may still complete the record of an answered question
    assert live_demo.dialogue.phase is Phase.CLOSED


def test_phases_only_move_forward_one_step() -> None:
    from session_server.demo import demo_commands
    from tests.conftest import build

    state = build(demo_commands(NOW, live=False))
    refused(state, c.ChangePhase(ORGANISER, Phase.CLOSED), IllegalTransition, "phase.illegal")
    refused(state, c.ChangePhase(ORGANISER, Phase.DRAFT), IllegalTransition, "phase.illegal")
    run(state, c.ChangePhase(ORGANISER, Phase.LIVE))
    assert state.dialogue.phase is Phase.LIVE


def test_phones_cannot_submit_to_a_draft() -> None:
    state = State()
    run(state, c.CreateDialogue(ORGANISER, "Thử"))
    run(state, c.SetBridgePoint(ORGANISER, "tinh", "Tỉnh"))
    refused(
        state, c.SubmitQuestion(phone(), Q, "k-00000001", "tinh"), PhaseRefused, "dialogue.not_open"
    )


def test_commands_before_the_dialogue_exists_are_refused() -> None:
    refused(
        State(), c.SubmitQuestion(phone(), Q, "k-00000001", "tinh"), NotFound, "dialogue.not_found"
    )


# --- the floor ---------------------------------------------------------------------------------


def test_one_floor_holder_at_a_time(live_demo: State) -> None:
    run(live_demo, c.GiveFloor(MODERATOR, "tinh", 1))
    refused(live_demo, c.GiveFloor(MODERATOR, "chau-doc", 2), IllegalTransition, "floor.busy")
    refused(live_demo, c.SetFloorQuestion(MODERATOR, 2), IllegalTransition, "floor.has_question")


def test_the_floor_needs_a_live_dialogue(intake_demo: State) -> None:
    refused(intake_demo, c.GiveFloor(MODERATOR, "tinh"), PhaseRefused, "dialogue.not_live")


def test_timers_are_deadlines(live_demo: State) -> None:
    refused(
        live_demo, c.StartTimer(MODERATOR, TimerKind.QUESTION, 60), IllegalTransition, "floor.free"
    )
    run(live_demo, c.GiveFloor(MODERATOR, "tinh"))
    refused(
        live_demo,
        c.StartTimer(MODERATOR, TimerKind.ANSWER, 60),
        IllegalTransition,
        "floor.no_question",
    )
    run(live_demo, c.StartTimer(MODERATOR, TimerKind.QUESTION, 60))
    assert live_demo.floor.question_ends_at == NOW + timedelta(seconds=60)
    run(live_demo, c.ExtendTimer(MODERATOR, TimerKind.QUESTION, 30))
    assert live_demo.floor.question_ends_at == NOW + timedelta(seconds=90)
    run(live_demo, c.StopTimer(MODERATOR, TimerKind.QUESTION))
    assert live_demo.floor.question_ends_at is None
    refused(
        live_demo,
        c.ExtendTimer(MODERATOR, TimerKind.QUESTION, 30),
        IllegalTransition,
        "timer.not_running",
    )
    refused(
        live_demo, c.StartTimer(MODERATOR, TimerKind.QUESTION, 0), InvalidInput, "timer.bad_seconds"
    )
    refused(
        live_demo,
        c.StartTimer(MODERATOR, TimerKind.QUESTION, 3601),
        InvalidInput,
        "timer.bad_seconds",
    )


def test_floor_requests_form_a_queue(live_demo: State) -> None:
    run(live_demo, c.RequestFloor(operator("an-phu"), "an-phu", "Có bạn muốn hỏi"))
    run(live_demo, c.RequestFloor(operator("tri-ton"), "tri-ton"))
    refused(
        live_demo,
        c.RequestFloor(operator("an-phu"), "an-phu"),
        IllegalTransition,
        "floor_request.already_pending",
    )
    assert [r.bridge_id for r in live_demo.pending_floor_requests()] == ["an-phu", "tri-ton"]
    run(live_demo, c.GrantFloorRequest(MODERATOR, 1, question_id=5))
    assert live_demo.floor.holder == "an-phu"
    assert live_demo.floor.question_id == 5
    assert live_demo.floor_requests[1].status.value == "granted"
    run(live_demo, c.DeclineFloorRequest(MODERATOR, 2, "Hết thời gian"))
    refused(
        live_demo, c.GrantFloorRequest(MODERATOR, 2), IllegalTransition, "floor_request.not_pending"
    )
    refused(
        live_demo,
        c.RequestFloor(operator("an-phu"), "an-phu"),
        IllegalTransition,
        "floor_request.already_holds",
    )


def test_giving_the_floor_to_a_requesting_bridge_grants_its_request(live_demo: State) -> None:
    run(live_demo, c.RequestFloor(operator("phu-tan"), "phu-tan"))
    run(live_demo, c.GiveFloor(MODERATOR, "phu-tan"))
    assert live_demo.floor_requests[1].status.value == "granted"
    assert live_demo.pending_floor_requests() == []


def test_forward_deadline_cannot_be_in_the_past(live_demo: State) -> None:
    refused(
        live_demo,
        c.ForwardQuestion(MODERATOR, 1, "Sở Y tế", date(2020, 1, 1)),
        InvalidInput,
        "forward.deadline_past",
    )


def test_the_secretary_records_only_what_reached_the_floor(live_demo: State) -> None:
    refused(
        live_demo,
        c.RecordAnswerSummary(SECRETARY, 1, "x"),
        IllegalTransition,
        "answer.not_recordable",
    )
    run(live_demo, c.GiveFloor(MODERATOR, "tinh", 1))
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Tóm tắt"))
    # saving the same text again (a reconnecting screen) adds nothing to the log
    assert decide(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Tóm tắt"), NOW) == []
    run(live_demo, c.AddCommitment(SECRETARY, 1, "Việc", "Ai"))
    run(live_demo, c.RemoveCommitment(SECRETARY, 1, 1))
    assert live_demo.answers[1].commitments == []
    refused(live_demo, c.RemoveCommitment(SECRETARY, 1, 1), NotFound, "commitment.not_found")


def on_the_floor(state: State, question_id: int = 1) -> None:
    run(state, c.GiveFloor(MODERATOR, "tinh", question_id))


def test_each_recorded_summary_is_a_new_revision(live_demo: State) -> None:
    on_the_floor(live_demo)
    assert live_demo.answers[1].revision == 0
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Sở trả lời."))
    assert live_demo.answers[1].revision == 1
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Sở trả lời: sẽ mở lớp.", base_revision=1))
    assert (live_demo.answers[1].summary, live_demo.answers[1].revision) == (
        "Sở trả lời: sẽ mở lớp.",
        2,
    )
    # the same text again adds no revision
    assert (
        decide(
            live_demo,
            c.RecordAnswerSummary(SECRETARY, 1, "Sở trả lời: sẽ mở lớp.", base_revision=2),
            NOW,
        )
        == []
    )


def test_a_save_without_a_base_revision_is_the_last_write(live_demo: State) -> None:
    """The JSON API and the no-JS form may leave it out: as before, last wins."""
    on_the_floor(live_demo)
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Một bản tóm tắt dài và đầy đủ."))
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Ngắn."))
    assert live_demo.answers[1].summary == "Ngắn."


def test_a_stale_save_that_keeps_the_stored_text_is_merged(live_demo: State) -> None:
    on_the_floor(live_demo)
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Sở LĐTBXH trả lời.", base_revision=0))
    # a second laptop, still on revision 0, saves a text that extends what is stored
    (event,) = run(
        live_demo,
        c.RecordAnswerSummary(
            SECRETARY, 1, "Sở LĐTBXH trả lời. Cam kết mở 3 lớp nghề.", base_revision=0
        ),
    )
    assert isinstance(event, e.AnswerSummaryRecorded)
    assert live_demo.answers[1].summary == "Sở LĐTBXH trả lời. Cam kết mở 3 lớp nghề."
    assert live_demo.answers[1].revision == 2
    # a stale save of exactly what is stored changes nothing
    assert (
        decide(
            live_demo,
            c.RecordAnswerSummary(
                SECRETARY, 1, "Sở LĐTBXH trả lời. Cam kết mở 3 lớp nghề.", base_revision=1
            ),
            NOW,
        )
        == []
    )


def test_a_stale_save_that_would_lose_text_is_refused(live_demo: State) -> None:
    on_the_floor(live_demo)
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Sở trả lời."))
    run(
        live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Sở trả lời. Thêm cam kết.", base_revision=1)
    )
    # a save based on revision 1 that would truncate revision 2
    stale = c.RecordAnswerSummary(SECRETARY, 1, "Sở trả lời. Ý khác.", base_revision=1)
    refused(live_demo, stale, IllegalTransition, "summary.stale")
    with pytest.raises(IllegalTransition) as info:
        decide(live_demo, stale, NOW)
    assert info.value.status == 409
    assert info.value.params == {"question": 1, "revision": 2}
    assert "số 1" in info.value.message("vi") and "giữ trong ô" in info.value.message("vi")
    assert "question 1" in info.value.message("en") and "kept" in info.value.message("en")
    assert live_demo.answers[1].summary == "Sở trả lời. Thêm cam kết."
    # reviewed and saved again on the current revision: accepted
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Sở trả lời. Ý khác.", base_revision=2))
    assert live_demo.answers[1].revision == 3


def test_a_first_save_based_on_an_old_view_of_an_empty_summary_is_accepted(
    live_demo: State,
) -> None:
    on_the_floor(live_demo)
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Tạm."))
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "", base_revision=1))  # cleared
    run(live_demo, c.RecordAnswerSummary(SECRETARY, 1, "Bản mới.", base_revision=0))
    assert live_demo.answers[1].summary == "Bản mới."


# --- views ------------------------------------------------------------------------------------


def test_a_phone_sees_only_its_own_unapproved_questions(live_demo: State) -> None:
    mine = submit(live_demo, phone("p1"), "k-00000001")
    theirs = submit(live_demo, phone("p2"), "k-00000002")
    seen = {q.question_id for q in visible_questions(live_demo, phone("p1"))}
    assert mine in seen and theirs not in seen
    assert 1 not in seen, "approved questions stay hidden until the public list opens"
    run(live_demo, c.SetPublicList(MODERATOR, True))
    seen = {q.question_id for q in visible_questions(live_demo, phone("p1"))}
    assert 1 in seen and theirs not in seen and 3 not in seen
    operator_sees = {q.question_id for q in visible_questions(live_demo, operator("long-xuyen"))}
    assert mine in operator_sees and theirs in operator_sees  # both came in at long-xuyen
    display_sees = {q.question_id for q in visible_questions(live_demo, DISPLAY)}
    assert mine not in display_sees


def test_fairness_counts_submitted_approved_and_taken(live_demo: State) -> None:
    before = {f.bridge_id: f for f in fairness(live_demo)}
    qid = submit(live_demo, phone(), "k-00000001", "tri-ton")
    run(live_demo, c.ApproveQuestion(MODERATOR, qid))
    run(live_demo, c.GiveFloor(MODERATOR, "tri-ton", qid))
    after = {f.bridge_id: f for f in fairness(live_demo)}
    assert after["tri-ton"].submitted == before["tri-ton"].submitted + 1
    assert after["tri-ton"].approved == before["tri-ton"].approved + 1
    assert after["tri-ton"].taken == before["tri-ton"].taken + 1
    assert len(after) == 12


def test_speakers_see_their_questions_in_order(live_demo: State) -> None:
    mine = speaker_questions(live_demo, "ldtbxh")
    assert mine and all(q.topic_id in ("viec-lam", "dao-tao-nghe") for q in mine)
    run(live_demo, c.MoveQuestion(MODERATOR, mine[-1].question_id, 0))
    assert speaker_questions(live_demo, "ldtbxh")[0].question_id == mine[-1].question_id


def test_the_demo_is_a_provincial_dialogue(live_demo: State) -> None:
    assert live_demo.dialogue.phase is Phase.LIVE
    assert len(live_demo.bridges) == 12
    assert live_demo.main_bridge() is not None
    assert len(live_demo.questions) >= 30
    assert all(q.origin is Origin.PRE_COLLECTED for q in live_demo.questions.values())
    assert {t for t in live_demo.topics} >= {"viec-lam", "dao-tao-nghe", "khoi-nghiep"}
    assert len(live_demo.programme) == 7
    assert live_demo.current_item() is not None


# --- the floor and the bridge points' pictures (conditions outside the log) -------------


def test_a_remote_bridge_without_a_live_picture_gets_the_floor_only_when_confirmed(
    live_demo: State,
) -> None:
    feeds = Conditions(feeds={"chau-doc": "stalled", "an-phu": "live"})
    with pytest.raises(IllegalTransition) as refused_floor:
        decide(live_demo, c.GiveFloor(MODERATOR, "chau-doc"), NOW, feeds)
    assert refused_floor.value.code == "floor.no_feed"
    assert refused_floor.value.params["status"] == "media.state.stalled"
    assert refused_floor.value.confirm == "without_feed"  # the screen offers it confirmed
    assert "(đường truyền: Mất hình)" in refused_floor.value.message("vi")
    assert "(link: No picture)" in refused_floor.value.message("en")
    assert refused_floor.value.to_dict()["confirm"] == "without_feed"
    assert decide(live_demo, c.GiveFloor(MODERATOR, "chau-doc", without_feed=True), NOW, feeds)
    assert decide(live_demo, c.GiveFloor(MODERATOR, "an-phu"), NOW, feeds)
    never_published = Conditions(feeds={})
    with pytest.raises(IllegalTransition):
        decide(live_demo, c.GiveFloor(MODERATOR, "an-phu"), NOW, never_published)


def test_the_main_venue_and_a_server_without_media_need_no_picture(live_demo: State) -> None:
    main = live_demo.main_bridge()
    assert main is not None
    assert decide(live_demo, c.GiveFloor(MODERATOR, main.bridge_id), NOW, Conditions(feeds={}))
    assert decide(live_demo, c.GiveFloor(MODERATOR, "chau-doc"), NOW)  # media off


def test_a_floor_request_is_granted_under_the_same_picture_rule(live_demo: State) -> None:
    live = copy.deepcopy(live_demo)
    run(live, c.RequestFloor(operator("chau-doc"), "chau-doc"))
    (request,) = live.pending_floor_requests()
    with pytest.raises(IllegalTransition):
        decide(
            live,
            c.GrantFloorRequest(MODERATOR, request.request_id),
            NOW,
            Conditions(feeds={"chau-doc": "failed"}),
        )
    assert decide(
        live,
        c.GrantFloorRequest(MODERATOR, request.request_id, without_feed=True),
        NOW,
        Conditions(feeds={"chau-doc": "failed"}),
    )


# --- what one prankster could type (abuse) ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["\u3164\u3164\u3164", "\u2800\u2800", "?!? ... ---", "\u115f\u1160 \uffa0"],
    ids=["hangul-fillers", "blank-braille", "punctuation", "mixed-fillers"],
)
def test_a_question_needs_something_to_read(live_demo: State, text: str) -> None:
    refused(
        live_demo,
        c.SubmitQuestion(phone(), text, "k-visible1", "long-xuyen"),
        InvalidInput,
        "input.nothing_visible" if text.strip("\u3164\u2800\u115f\u1160\uffa0 ") else "input.empty",
    )


def test_stacked_marks_are_refused_but_vietnamese_is_not(live_demo: State) -> None:
    zalgo = "a" + "\u0301" * 40 + " câu hỏi"
    refused(
        live_demo,
        c.SubmitQuestion(phone(), zalgo, "k-zalgo001", "long-xuyen"),
        InvalidInput,
        "input.too_many_marks",
    )
    decomposed = unicodedata.normalize("NFD", "Thanh niên huyện Tịnh Biên hỏi về việc làm?")
    qid = submit(live_demo, phone(), "k-nfd00001", text=decomposed)
    assert live_demo.questions[qid].text == unicodedata.normalize("NFC", decomposed)


@pytest.mark.parametrize("year", [1, 1999, 2101, 9999])
def test_dates_outside_2000_to_2100_are_refused(live_demo: State, year: int) -> None:
    from datetime import datetime as dt

    moment = dt(year, 3, 5, 8, 0, tzinfo=NOW.tzinfo)
    refused(
        live_demo, c.SetIntakeDeadline(ORGANISER, moment), InvalidInput, "input.date_out_of_range"
    )
    refused(
        live_demo,
        c.UpdateDialogue(ORGANISER, "Đối thoại", starts_at=moment),
        InvalidInput,
        "input.date_out_of_range",
    )
    refused(
        live_demo,
        c.SetConclusionDraft(ORGANISER, issued_on=moment.date()),
        InvalidInput,
        "input.date_out_of_range",
    )


def test_a_bridge_asks_for_the_floor_at_most_once_in_ten_seconds(live_demo: State) -> None:
    state = copy.deepcopy(live_demo)
    op = operator("chau-doc")
    run(state, c.RequestFloor(op, "chau-doc"), NOW)
    (request,) = state.pending_floor_requests()
    run(state, c.CancelFloorRequest(op, request.request_id), NOW + timedelta(seconds=1))
    with pytest.raises(SessionError) as too_soon:
        decide(state, c.RequestFloor(op, "chau-doc"), NOW + timedelta(seconds=2))
    assert too_soon.value.code == "floor_request.too_soon"
    assert too_soon.value.params["seconds"] == 8
    assert decide(state, c.RequestFloor(op, "chau-doc"), NOW + timedelta(seconds=10))


def test_a_refusal_names_a_bridge_point_as_people_know_it(live_demo: State) -> None:
    """The operator of Huyện An Phú reads "Huyện An Phú", not "an-phu"."""

    def said(command: c.Command) -> str:
        with pytest.raises(IllegalTransition) as info:
            decide(live_demo, command, NOW)
        return info.value.message("vi") + info.value.message("en")

    run(live_demo, c.RequestFloor(operator("an-phu"), "an-phu"))
    pending = said(c.RequestFloor(operator("an-phu"), "an-phu"))
    run(live_demo, c.GrantFloorRequest(MODERATOR, 1))
    holds = said(c.RequestFloor(operator("an-phu"), "an-phu"))
    busy = said(c.GiveFloor(MODERATOR, "tri-ton"))
    in_use = said(c.RemoveBridgePoint(Actor(Role.ORGANISER), "an-phu"))
    for text in (pending, holds, busy, in_use):
        assert "Huyện An Phú" in text and "an-phu" not in text, text
