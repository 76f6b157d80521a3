"""Screening several questions at once, rejection categories, the order
inside a topic and likely duplicates (``core/similar.py``)."""

from __future__ import annotations

import copy

import pytest

from session_server.core import apply, decide
from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.codec import event_from_dict, event_to_dict
from session_server.core.errors import IllegalTransition, InvalidInput
from session_server.core.model import (
    Origin,
    QuestionStatus,
    RejectionCategory,
    State,
)
from session_server.core.similar import SimilarIndex, features, normalised, similarity
from session_server.core.views import queue_by_topic
from tests.conftest import MODERATOR, NOW, ORGANISER, phone, run


def ask(state: State, text: str, key: str, topic: str | None = None) -> int:
    run(
        state,
        c.SubmitQuestion(
            phone(f"dev-{key}"),
            text=text,
            idempotency_key=f"key-{key}-0001",
            bridge_id="long-xuyen",
            topic_id=topic,
        ),
    )
    return state.next_question_id - 1


def waiting(state: State) -> list[int]:
    return [q.question_id for q in state.questions.values() if q.status is QuestionStatus.SUBMITTED]


# --- several at once ------------------------------------------------------------


def test_several_questions_are_approved_in_one_command(live_demo: State) -> None:
    ids = waiting(live_demo)[:3]
    events = run(live_demo, c.ScreenQuestions(MODERATOR, tuple(ids), c.Verdict.APPROVE))
    assert [type(ev) for ev in events] == [e.QuestionApproved] * 3
    assert live_demo.queue[-3:] == ids


def test_several_are_rejected_for_one_counted_reason(live_demo: State) -> None:
    ids = tuple(waiting(live_demo)[:2])
    run(live_demo, c.ScreenQuestions(MODERATOR, ids, c.Verdict.REJECT, RejectionCategory.SPAM))
    for question_id in ids:
        question = live_demo.questions[question_id]
        assert question.status is QuestionStatus.REJECTED
        assert question.rejection_category is RejectionCategory.SPAM
        assert question.rejection_reason == ""


def test_other_needs_words_and_one_refusal_refuses_them_all(live_demo: State) -> None:
    first, second = waiting(live_demo)[:2]
    with pytest.raises(InvalidInput):
        decide(live_demo, c.ScreenQuestions(MODERATOR, (first,), c.Verdict.REJECT), NOW)
    queued = live_demo.queue[0]
    before = copy.deepcopy(live_demo)
    with pytest.raises(IllegalTransition):
        decide(live_demo, c.ScreenQuestions(MODERATOR, (first, queued), c.Verdict.APPROVE), NOW)
    assert live_demo == before
    with pytest.raises(InvalidInput):
        decide(live_demo, c.ScreenQuestions(MODERATOR, (first,), c.Verdict.MERGE), NOW)
    run(live_demo, c.ScreenQuestions(MODERATOR, (first, second), c.Verdict.MERGE))
    assert live_demo.questions[second].merged_into == first


def test_a_single_rejection_takes_a_category_too(live_demo: State) -> None:
    (event,) = run(live_demo, c.RejectQuestion(MODERATOR, 3, category=RejectionCategory.OFF_TOPIC))
    assert isinstance(event, e.QuestionRejected)
    assert event_to_dict(event)["category"] == "off_topic"
    assert event_from_dict(event_to_dict(event)) == event


def test_an_old_rejection_without_a_category_loads_as_other() -> None:
    old = {"name": "QuestionRejected", "at": "2024-03-05T07:30:00+00:00", "question_id": 3}
    event = event_from_dict({**old, "reason": "Trùng"})
    assert isinstance(event, e.QuestionRejected)
    assert event.category is RejectionCategory.OTHER
    assert "category" not in event_to_dict(event)  # the old shape is kept


# --- the order inside a topic -----------------------------------------------------


def test_moving_the_first_question_of_a_topic_down_keeps_the_topics_in_place(
    live_demo: State,
) -> None:
    groups = queue_by_topic(live_demo)
    topics = list(groups)
    first_topic = topics[0]
    first, second = (q.question_id for q in groups[first_topic][:2])
    run(live_demo, c.MoveQuestionInTopic(MODERATOR, first, 1))
    after = queue_by_topic(live_demo)
    assert list(after) == topics
    assert [q.question_id for q in after[first_topic][:2]] == [second, first]
    for topic in topics[1:]:
        assert after[topic] == groups[topic]


def test_a_question_moves_to_any_place_in_its_topic(live_demo: State) -> None:
    topic, group = max(queue_by_topic(live_demo).items(), key=lambda item: len(item[1]))
    ids = [q.question_id for q in group]
    run(live_demo, c.MoveQuestionInTopic(MODERATOR, ids[-1], 0))
    assert [q.question_id for q in queue_by_topic(live_demo)[topic]] == [ids[-1], *ids[:-1]]
    run(live_demo, c.MoveQuestionInTopic(MODERATOR, ids[-1], 99))
    assert [q.question_id for q in queue_by_topic(live_demo)[topic]] == ids
    with pytest.raises(IllegalTransition):
        decide(live_demo, c.MoveQuestionInTopic(MODERATOR, waiting(live_demo)[0], 0), NOW)


# --- likely duplicates --------------------------------------------------------------


def test_vietnamese_accents_fold_in_the_similarity() -> None:
    assert normalised("Việc LÀM, cho thanh niên?") == "viec lam cho thanh nien"
    assert features("việc làm") == features("viec lam") == frozenset({"viec", "lam", "viec lam"})
    a = features("Tỉnh có chính sách hỗ trợ việc làm cho thanh niên nông thôn không?")
    b = features("tinh co chinh sach ho tro viec lam cho thanh nien nong thon khong")
    assert similarity(a, b) == 1.0
    other = features("Khi nào tỉnh xây thêm sân bóng đá cho xã?")
    assert similarity(a, other) < 0.3


def test_the_index_suggests_earlier_alike_questions_only() -> None:
    index = SimilarIndex()
    assert index.add(1, "Tỉnh có hỗ trợ vốn vay khởi nghiệp cho thanh niên không?") == ()
    assert index.add(2, "Khi nào tỉnh xây thêm sân bóng đá cho xã Mỹ Hòa?") == ()
    assert index.add(3, "tinh co ho tro von vay khoi nghiep cho thanh nien khong") == (1,)
    assert index.add(
        4, "Tỉnh có hỗ trợ vốn vay để khởi nghiệp cho thanh niên nông thôn không?"
    ) == (
        1,
        3,
    )


def test_a_question_arriving_is_offered_its_likely_duplicate(live_demo: State) -> None:
    first = ask(live_demo, "Tỉnh có kế hoạch mở thêm trường nghề ở huyện An Phú không ạ?", "a")
    second = ask(live_demo, "tinh co ke hoach mo them truong nghe o huyen an phu khong", "b")
    assert live_demo.questions[second].similar == (first,)
    assert live_demo.questions[first].similar == ()


def test_imported_questions_are_offered_the_same_way(live_demo: State) -> None:
    text = "Xin hỏi tỉnh hỗ trợ thanh niên lập nghiệp ở nông thôn như thế nào?"
    for n in (1, 2):
        run(
            live_demo,
            c.SubmitQuestion(
                ORGANISER,
                text=text,
                idempotency_key=f"import-abc-{n:05d}",
                bridge_id="an-phu",
                origin=Origin.IMPORTED,
            ),
        )
    last = live_demo.questions[live_demo.next_question_id - 1]
    assert last.similar == (last.question_id - 1,)


def test_the_suggestions_are_rebuilt_alike_from_the_log(live_demo: State) -> None:
    ask(live_demo, "Tỉnh có kế hoạch mở thêm trường nghề ở huyện An Phú không ạ?", "a")
    ask(live_demo, "tinh co ke hoach mo them truong nghe o huyen an phu khong", "b")
    rebuilt = State()
    for event in _events_of(live_demo):
        apply(rebuilt, event)
    assert [q.similar for q in rebuilt.questions.values()] == [
        q.similar for q in live_demo.questions.values()
    ]


def _events_of(state: State) -> list[e.Event]:
    """The demo's log again, from its commands, plus the questions asked."""
    from session_server.demo import demo_commands
    from tests.conftest import build

    base = build(demo_commands(NOW))
    events: list[e.Event] = []
    scratch = State()
    for command in demo_commands(NOW):
        for event in decide(scratch, command, NOW):
            apply(scratch, event)
            events.append(event)
    for question in list(state.questions.values())[len(base.questions) :]:
        events.append(
            e.QuestionSubmitted(
                at=NOW,
                question_id=question.question_id,
                text=question.text,
                asker=question.asker,
                origin=question.origin,
                bridge_id=question.bridge_id,
                topic_id=question.topic_id,
                submitted_by=question.submitted_by,
                idempotency_key=f"k{question.question_id:08d}",
            )
        )
    return events
