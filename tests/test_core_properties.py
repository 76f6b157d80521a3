"""Random days: random commands from random actors never break the rules.

Each example starts from a small dialogue, then issues a random sequence of
commands (most of them refused, as on a real day with impatient phones) and
checks after every step:

- a refused command raises a typed ``SessionError`` with a catalogue entry
  and changes nothing;
- no submitted question ever disappears from the state;
- every status change is a legal transition;
- at most one question is on the floor, and only while someone holds it;
- each question's vote count equals the distinct devices that voted for it
  or for a question merged into it;
- every asker of a merged question survives on the question it joined;
- the approved queue holds exactly the approved questions, once each;
- a command whose id (from the same actor) was applied before makes no
  events, and every event carries the scoped id of its command;
- each answer record's revision counts the summaries recorded for it;

and at the end that replaying the (JSON round-tripped) log gives a state
equal to the live one.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from session_server.catalogue import MESSAGES
from session_server.core import (
    LEGAL_TRANSITIONS,
    SessionError,
    apply,
    decide,
    event_from_dict,
    event_to_dict,
)
from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.model import (
    Actor,
    BridgeKind,
    Origin,
    Phase,
    QuestionStatus,
    Role,
    State,
    TimerKind,
)
from tests.conftest import MODERATOR, NOW, ORGANISER, SECRETARY, operator, phone

BRIDGES = ("main", "north", "south")
TOPICS = ("jobs", "training")
SPEAKERS = ("labour", "education")

ACTORS = (
    ORGANISER,
    MODERATOR,
    SECRETARY,
    Actor(Role.DISPLAY),
    Actor(Role.SPEAKER, speaker_id="labour"),
    operator("north"),
    operator("south"),
    phone("p1"),
    phone("p2"),
    phone("p3"),
)

SETUP: list[c.Command] = [
    c.CreateDialogue(ORGANISER, "Đối thoại thử", intake_deadline=NOW + timedelta(hours=1)),
    c.SetBridgePoint(ORGANISER, "main", "Hội trường", BridgeKind.MAIN),
    c.SetBridgePoint(ORGANISER, "north", "Bắc"),
    c.SetBridgePoint(ORGANISER, "south", "Nam"),
    c.SetSpeaker(ORGANISER, "labour", "Speaker A", agency="Sở LĐTBXH"),
    c.SetSpeaker(ORGANISER, "education", "Speaker B", agency="Sở GDĐT"),
    c.SetTopic(ORGANISER, "jobs", "Việc làm", ("labour",)),
    c.SetTopic(ORGANISER, "training", "Đào tạo nghề", ("education", "labour")),
    c.ChangePhase(ORGANISER, Phase.INTAKE),
]

seconds = st.sampled_from([0, 30, 120, 99999])
texts = st.one_of(
    st.sampled_from(["Câu hỏi về việc làm?", "Học nghề ở đâu?", "Khởi nghiệp cần vốn?"]),
    st.sampled_from(["Vay vốn thế nào?", "Nhà ở xã hội?", "Việc làm thêm?"]),
    st.sampled_from(["Đào tạo nghề ra sao?", "Chính sách cho sinh viên?"]),
    st.sampled_from(["  ", "<script>alert(1)</script>", "x" * 1001]),
    st.text(max_size=40),
)
keys = st.sampled_from(["key-aaaaaaaa", "key-bbbbbbbb", "key-cccccccc", "key-dddddddd", "bad"])
command_ids = st.sampled_from(
    ["", "", "", "cmd-aaaaaaaa", "cmd-bbbbbbbb", "cmd-cccccccc", "no id!"]
)
"""Mostly none; a few ids that repeat (a retried command) and a malformed one."""
bridges = st.sampled_from(BRIDGES)
speakers = st.sampled_from((*SPEAKERS, None))
kinds = st.sampled_from(list(TimerKind))
PHONES = tuple(a for a in ACTORS if a.role is Role.ATTENDEE)
OPERATORS = tuple(a for a in ACTORS if a.role is Role.BRIDGE_OPERATOR)

Builder = Callable[[st.DataObject, Actor, int, int], c.Command]

# command → (the actors who would naturally issue it, how to build it from
# drawn data, an actor, a question id and a floor-request id)
BUILDERS: list[tuple[tuple[Actor, ...], Builder]] = [
    (
        (*PHONES, *OPERATORS, ORGANISER),
        lambda d, a, q, r: c.SubmitQuestion(
            a,
            d.draw(texts),
            d.draw(keys),
            a.bridge_id if a.bridge_id and d.draw(st.booleans()) else d.draw(bridges),
            origin=Origin.PRE_COLLECTED,
            topic_id=d.draw(st.sampled_from((*TOPICS, None))),
            asker_name=d.draw(st.sampled_from(["", "Lan", "Minh"])),
        ),
    ),
    ((MODERATOR,), lambda d, a, q, r: c.ApproveQuestion(a, q)),
    ((MODERATOR,), lambda d, a, q, r: c.ApproveQuestion(a, q)),
    (
        (MODERATOR,),
        lambda d, a, q, r: c.RejectQuestion(a, q, d.draw(st.sampled_from(["", "Trùng lặp"]))),
    ),
    ((MODERATOR,), lambda d, a, q, r: c.MergeQuestion(a, q, d.draw(st.integers(1, q + 1)))),
    ((MODERATOR,), lambda d, a, q, r: c.MoveQuestion(a, q, d.draw(st.integers(-1, 5)))),
    ((MODERATOR,), lambda d, a, q, r: c.AssignSpeaker(a, q, d.draw(speakers))),
    ((MODERATOR,), lambda d, a, q, r: c.SetPublicList(a, d.draw(st.booleans()))),
    (PHONES, lambda d, a, q, r: c.Vote(a, q)),
    (PHONES, lambda d, a, q, r: c.Vote(a, q)),
    (
        (MODERATOR,),
        lambda d, a, q, r: c.GiveFloor(
            a,
            d.draw(bridges),
            d.draw(st.one_of(st.none(), st.just(q))),
            d.draw(speakers),
            d.draw(seconds),
        ),
    ),
    ((MODERATOR,), lambda d, a, q, r: c.SetFloorQuestion(a, q, d.draw(speakers))),
    ((MODERATOR,), lambda d, a, q, r: c.ReleaseFloor(a)),
    ((MODERATOR,), lambda d, a, q, r: c.StartTimer(a, d.draw(kinds), d.draw(seconds))),
    ((MODERATOR,), lambda d, a, q, r: c.ExtendTimer(a, d.draw(kinds), d.draw(seconds))),
    ((MODERATOR,), lambda d, a, q, r: c.StopTimer(a, d.draw(kinds))),
    ((MODERATOR,), lambda d, a, q, r: c.MarkAnswered(a, q)),
    ((MODERATOR,), lambda d, a, q, r: c.MarkAnswered(a, q)),
    (
        (MODERATOR,),
        lambda d, a, q, r: c.ForwardQuestion(
            a,
            q,
            d.draw(st.sampled_from(["Sở Xây dựng", ""])),
            d.draw(st.sampled_from([None, date(2024, 4, 5), date(2020, 1, 1)])),
        ),
    ),
    ((MODERATOR,), lambda d, a, q, r: c.DeferQuestion(a, q)),
    (
        OPERATORS,
        lambda d, a, q, r: c.RequestFloor(
            a, a.bridge_id if a.bridge_id and d.draw(st.booleans()) else d.draw(bridges)
        ),
    ),
    ((*OPERATORS, MODERATOR), lambda d, a, q, r: c.CancelFloorRequest(a, r)),
    (
        (MODERATOR,),
        lambda d, a, q, r: c.GrantFloorRequest(a, r, d.draw(st.one_of(st.none(), st.just(q)))),
    ),
    ((MODERATOR,), lambda d, a, q, r: c.DeclineFloorRequest(a, r)),
    (
        (SECRETARY,),
        lambda d, a, q, r: c.RecordAnswerSummary(
            a,
            q,
            d.draw(st.sampled_from(["Sẽ mở thêm lớp.", "", "Sẽ mở thêm lớp. Cam kết.", "Ý khác."])),
            base_revision=d.draw(st.sampled_from([None, 0, 1, 2, 3])),
        ),
    ),
    (
        (SECRETARY,),
        lambda d, a, q, r: c.AddCommitment(
            a, q, "Mở lớp nghề", "Sở LĐTBXH", d.draw(st.sampled_from([None, date(2024, 6, 30)]))
        ),
    ),
    ((SECRETARY,), lambda d, a, q, r: c.RemoveCommitment(a, q, d.draw(st.integers(1, 3)))),
    (
        (ORGANISER, MODERATOR),
        lambda d, a, q, r: c.ChangePhase(a, d.draw(st.sampled_from(list(Phase)))),
    ),
]


WEIGHTED = [*[BUILDERS[0]] * 6, *[BUILDERS[1]] * 3, *BUILDERS]


def draw_command(data: st.DataObject, state: State) -> c.Command:
    natural, build = data.draw(st.sampled_from(WEIGHTED))
    if data.draw(st.integers(0, 9)):
        actor = data.draw(st.sampled_from(natural))
    else:
        actor = data.draw(st.sampled_from(ACTORS))
    question_id = data.draw(st.integers(1, state.next_question_id))
    recent = [q for q in (state.floor.question_id, *state.answers) if q is not None]
    if recent and data.draw(st.booleans()):
        question_id = data.draw(st.sampled_from(recent))
    request_id = data.draw(st.integers(1, state.next_request_id))
    command = build(data, actor, question_id, request_id)
    return dataclasses.replace(command, command_id=data.draw(command_ids))


def _final(state: State, question_id: int) -> int:
    while (into := state.questions[question_id].merged_into) is not None:
        question_id = into
    return question_id


def check_invariants(state: State, submitted: set[int], votes: dict[int, set[str]]) -> None:
    assert submitted <= set(state.questions), "a submitted question disappeared"
    assert set(state.questions) == submitted
    on_floor = [q for q in state.questions.values() if q.status is QuestionStatus.ON_FLOOR]
    assert len(on_floor) <= 1
    if on_floor:
        assert state.floor.holder is not None
        assert state.floor.question_id == on_floor[0].question_id
    if state.floor.holder is None:
        assert state.floor.question_id is None
    for question in state.questions.values():
        assert question.votes == len(votes.get(question.question_id, set()))
        if question.merged_into is not None:
            target = state.questions[_final(state, question.question_id)]
            for asker in question.askers():
                assert asker in target.askers(), "a merged asker was lost"
    approved = {
        q.question_id for q in state.questions.values() if q.status is QuestionStatus.APPROVED
    }
    assert len(state.queue) == len(set(state.queue))
    assert set(state.queue) == approved
    by_submitter: dict[str, list[int]] = {}
    for question in sorted(state.questions.values(), key=lambda q: q.question_id):
        by_submitter.setdefault(question.submitted_by, []).append(question.question_id)
    assert state.by_submitter == by_submitter, "each phone's own list is its questions"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), count=st.integers(1, 60), live=st.booleans())
def test_random_days_keep_the_invariants(data: st.DataObject, count: int, live: bool) -> None:
    state = State()
    log: list[e.Event] = []
    now: datetime = NOW
    setup = [*SETUP, c.ChangePhase(ORGANISER, Phase.LIVE)] if live else SETUP
    for command in setup:
        for event in decide(state, command, now):
            apply(state, event)
            log.append(event)
    submitted: set[int] = set()
    votes: dict[int, set[str]] = {}
    summaries: dict[int, int] = {}
    for _step in range(count):
        command = draw_command(data, state)
        now += timedelta(seconds=data.draw(st.integers(0, 300)))
        before = copy.deepcopy(state)
        repeat = bool(command.command_id) and command.scoped_id() in state.applied_commands
        try:
            events = decide(state, command, now)
        except SessionError as error:
            assert error.code in MESSAGES, error.code
            vi, en = error.message("vi"), error.message("en")
            assert vi and en and vi != en
            assert "{" not in vi and "{" not in en
            assert state == before, "a refused command changed the state"
            continue
        assert state == before, "decide changed the state"
        if repeat:
            assert events == [], "a repeated command id made events"
        assert all(ev.command_id == command.scoped_id() for ev in events)
        for event in events:
            statuses = {q: x.status for q, x in state.questions.items()}
            apply(state, event)
            log.append(event)
            for question_id, old in statuses.items():
                new = state.questions[question_id].status
                if new is not old:
                    assert new in LEGAL_TRANSITIONS[old], (old, new, event)
            if isinstance(event, e.QuestionSubmitted):
                assert event.question_id not in submitted
                submitted.add(event.question_id)
            elif isinstance(event, e.VoteCast):
                assert event.device_id not in votes.setdefault(event.question_id, set())
                votes[event.question_id].add(event.device_id)
            elif isinstance(event, e.QuestionMerged):
                votes.setdefault(event.into_id, set()).update(votes.get(event.question_id, set()))
            elif isinstance(event, e.AnswerSummaryRecorded):
                summaries[event.question_id] = summaries.get(event.question_id, 0) + 1
        check_invariants(state, submitted, votes)
        for question_id, record in state.answers.items():
            assert record.revision == summaries.get(question_id, 0)

    replayed = State()
    for event in log:
        stored = json.loads(json.dumps(event_to_dict(event), ensure_ascii=False))
        apply(replayed, event_from_dict(stored))
    assert replayed == state


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=1200))
def test_any_text_is_accepted_cleanly_or_refused_with_a_message(text: str) -> None:
    state = State()
    for command in [*SETUP, c.ChangePhase(ORGANISER, Phase.LIVE)]:
        for event in decide(state, command, NOW):
            apply(state, event)
    try:
        events = decide(state, c.SubmitQuestion(phone(), text, "key-aaaaaaaa", "north"), NOW)
    except SessionError as error:
        assert error.code in {
            "input.empty",
            "input.too_long",
            "input.nothing_visible",
            "input.too_many_marks",
        }
        return
    (event,) = events
    assert isinstance(event, e.QuestionSubmitted)
    stored = event.text
    assert any(ch.isalnum() for ch in stored), "a stored question has something to read"
    assert 1 <= len(stored) <= state.limits.question_max_chars
    assert stored == stored.strip()
    assert all(ch in "\n \u200c\u200d" or ch.isprintable() for ch in stored)
    stored.encode("utf-8")
