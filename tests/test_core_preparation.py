"""Before the day, as the core rules it: the preparation timeline from the
city plan's template (deadlines counted back from the day), edited task by
task, overdue when not done past its deadline; the question intake as one
of its tasks with one deadline (the dialogue's); the plan's publication and
its warning; suggested answers drafted through a drafter's link."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from session_server.core import commands as c
from session_server.core import commands_preparation as cp
from session_server.core import decide
from session_server.core import events as e
from session_server.core import events_preparation as ep
from session_server.core.codec import event_from_dict, event_to_dict
from session_server.core.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PhaseRefused,
)
from session_server.core.model import LOCAL_TZ, Actor, Origin, Phase, Role, State
from session_server.core.preparation import (
    INTAKE_TASK_ID,
    PUBLICATION_NOTICE_DAYS,
    TaskStatus,
    overdue_tasks,
    publication_warning,
    task_deadline,
    task_overdue,
    timeline,
)
from tests.conftest import ORGANISER, build, phone, run

DAY = datetime(2024, 6, 27, 14, 0, tzinfo=LOCAL_TZ)
"""The city plan's day: 14:00, Thursday 27 June 2024."""
EARLY = datetime(2024, 5, 20, 9, 0, tzinfo=LOCAL_TZ)


def local(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture
def state() -> State:
    return build(
        [
            c.CreateDialogue(ORGANISER, "Hội nghị đối thoại", place="Hội trường", starts_at=DAY),
            c.SetBridgePoint(ORGANISER, "hoi-truong", "Hội trường", kind=c.BridgeKind.MAIN),
            c.SetTopic(ORGANISER, "viec-lam", "Việc làm"),
            c.SetTopic(ORGANISER, "dao-tao", "Đào tạo"),
        ],
        EARLY,
    )


def test_the_template_counts_the_city_plans_milestones_back_from_the_day(state: State) -> None:
    events = run(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY)
    tasks = timeline(state)
    deadlines = [task_deadline(state, task) for task in tasks]
    # the city plan: 12/6 (D−15), 18/6 (D−9), 16:00 19/6 (D−8), 20/6 (D−7), 21/6 (D−6)
    assert deadlines == [
        local(12, 6, 17),
        local(18, 6, 17),
        local(19, 6, 16),
        local(20, 6, 17),
        local(21, 6, 17),
    ]
    assert all(task.owner and task.status is TaskStatus.TODO for task in tasks)
    assert [task.intake for task in tasks] == [False, False, True, False, False]
    # the intake task's deadline is the dialogue's: one value, set once
    assert state.dialogue.intake_deadline == local(19, 6, 16)
    assert state.preparation.tasks[INTAKE_TASK_ID].deadline is None
    assert sum(isinstance(event, e.IntakeDeadlineSet) for event in events) == 1
    # applied again, nothing is added and nothing changes
    assert run(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY) == []


def test_the_template_keeps_an_intake_deadline_already_set(state: State) -> None:
    run(state, c.SetIntakeDeadline(ORGANISER, local(20, 6, 11)), EARLY)
    run(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY)
    intake = state.preparation.tasks[INTAKE_TASK_ID]
    assert task_deadline(state, intake) == local(20, 6, 11)


def test_the_template_needs_the_day() -> None:
    state = build([c.CreateDialogue(ORGANISER, "Không ngày")], EARLY)
    with pytest.raises(IllegalTransition) as refused:
        decide(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY)
    assert refused.value.code == "prep.needs_day"
    assert "ngày" in refused.value.messages()["vi"] and "date" in refused.value.messages()["en"]


def test_a_task_is_edited_added_and_removed(state: State) -> None:
    run(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY)
    edit = cp.SetPreparationTask(
        ORGANISER,
        "ban-hanh-ke-hoach",
        "Ban hành Kế hoạch",
        "Ban Thường vụ",
        local(13, 6, 10),
        TaskStatus.DOING,
    )
    run(state, edit, EARLY)
    task = state.preparation.tasks["ban-hanh-ke-hoach"]
    assert (task.title, task.owner, task.deadline, task.status) == (
        "Ban hành Kế hoạch",
        "Ban Thường vụ",
        local(13, 6, 10),
        TaskStatus.DOING,
    )
    run(state, cp.SetPreparationTask(ORGANISER, "", "Thuê âm thanh", "Văn phòng"), EARLY)
    assert state.preparation.tasks["thue-am-thanh"].deadline is None
    assert timeline(state)[-1].task_id == "thue-am-thanh"  # no deadline: last
    run(state, cp.RemovePreparationTask(ORGANISER, "thue-am-thanh"), EARLY)
    assert "thue-am-thanh" not in state.preparation.tasks
    before = copy.deepcopy(state)
    with pytest.raises(NotFound):
        decide(state, cp.RemovePreparationTask(ORGANISER, "khong-co"), EARLY)
    with pytest.raises(InvalidInput):  # a title is needed
        decide(state, cp.SetPreparationTask(ORGANISER, "", "  "), EARLY)
    with pytest.raises(InvalidInput):  # a typing slip of a year
        decide(
            state,
            cp.SetPreparationTask(
                ORGANISER, "", "X", deadline=local(1, 1, 1) - timedelta(days=365 * 30)
            ),
            EARLY,
        )
    with pytest.raises(InvalidInput):
        decide(state, cp.SetPreparationTask(ORGANISER, "Bad Id!", "X"), EARLY)
    with pytest.raises(Forbidden):  # only the organiser plans
        decide(state, cp.SetPreparationTask(Actor(Role.MODERATOR), "", "X"), EARLY)
    assert state == before


def test_the_intake_task_and_the_phones_deadline_are_one_rule(state: State) -> None:
    run(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY)
    run(state, c.ChangePhase(ORGANISER, Phase.INTAKE), EARLY)
    # moving the task's deadline moves the phones' deadline …
    moved = cp.SetPreparationTask(
        ORGANISER, INTAKE_TASK_ID, "Tổng hợp câu hỏi", "Văn phòng", local(18, 6, 12)
    )
    events = run(state, moved, EARLY)
    assert [type(event) for event in events] == [e.IntakeDeadlineSet, ep.PreparationTaskSet]
    assert state.dialogue.intake_deadline == local(18, 6, 12)
    question = c.SubmitQuestion(phone(), "Câu hỏi?", "k-00000001", "hoi-truong")
    with pytest.raises(PhaseRefused) as late:
        decide(state, question, local(18, 6, 12, 1))
    assert late.value.code == "intake.deadline_passed"
    decide(state, question, local(18, 6, 11, 59))
    # … and the dialogue's deadline set elsewhere is the task's
    run(state, c.SetIntakeDeadline(ORGANISER, local(19, 6, 9)), EARLY)
    assert task_deadline(state, state.preparation.tasks[INTAKE_TASK_ID]) == local(19, 6, 9)
    # the status alone changes nothing of the deadline
    done = cp.SetPreparationTask(
        ORGANISER,
        INTAKE_TASK_ID,
        "Tổng hợp câu hỏi",
        "Văn phòng",
        local(19, 6, 9),
        TaskStatus.DONE,
    )
    assert [type(event) for event in run(state, done, EARLY)] == [ep.PreparationTaskSet]


def test_a_task_is_overdue_when_not_done_past_its_deadline(state: State) -> None:
    run(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY)
    plan = state.preparation.tasks["ban-hanh-ke-hoach"]
    assert not task_overdue(state, plan, local(12, 6, 17))  # at the deadline: not yet
    assert task_overdue(state, plan, local(12, 6, 17, 1))
    assert [t.task_id for t in overdue_tasks(state, local(19, 6, 16, 30))] == [
        "ban-hanh-ke-hoach",
        "du-thao-chuong-trinh",
        INTAKE_TASK_ID,
    ]
    run(
        state,
        cp.SetPreparationTask(
            ORGANISER, plan.task_id, plan.title, plan.owner, plan.deadline, TaskStatus.DONE
        ),
        EARLY,
    )
    assert [t.task_id for t in overdue_tasks(state, local(19, 6, 16, 30))] == [
        "du-thao-chuong-trinh",
        INTAKE_TASK_ID,
    ]
    assert overdue_tasks(state, EARLY) == []


def test_publishing_the_plan_is_recorded_and_late_publication_warned(state: State) -> None:
    assert publication_warning(state, EARLY) is None  # 38 days before
    late_now = DAY - timedelta(days=PUBLICATION_NOTICE_DAYS - 1)
    assert publication_warning(state, late_now) == "plan.not_published_yet"
    events = run(state, cp.PublishPlan(ORGANISER), late_now)
    assert [type(event) for event in events] == [ep.PlanPublished]
    assert state.preparation.plan_published_at == late_now
    assert publication_warning(state, late_now) == "plan.published_late"
    with pytest.raises(IllegalTransition) as again:
        decide(state, cp.PublishPlan(ORGANISER), late_now)
    assert again.value.code == "plan.already_published"
    on_time = build([c.CreateDialogue(ORGANISER, "Sớm", starts_at=DAY)], EARLY)
    run(on_time, cp.PublishPlan(ORGANISER), DAY - timedelta(days=PUBLICATION_NOTICE_DAYS))
    assert publication_warning(on_time, DAY) is None  # exactly 30 days: in time
    undated = build([c.CreateDialogue(ORGANISER, "Không ngày")], EARLY)
    assert publication_warning(undated, EARLY) is None
    with pytest.raises(IllegalTransition):
        decide(undated, cp.PublishPlan(ORGANISER), EARLY)


DRAFTER = Actor(Role.DRAFTER, link_id="drafter-vp-1")
TOPIC_DRAFTER = Actor(Role.DRAFTER, link_id="drafter-dt-1")


@pytest.fixture
def with_questions(state: State) -> State:
    run(state, c.ChangePhase(ORGANISER, Phase.INTAKE), EARLY)
    for n, (topic, origin) in enumerate(
        [("viec-lam", Origin.PRE_COLLECTED), ("dao-tao", Origin.IMPORTED)], 1
    ):
        run(
            state,
            c.SubmitQuestion(
                ORGANISER,
                f"Câu hỏi tổng hợp {n}?",
                f"pre-000000{n}",
                "hoi-truong",
                origin,
                topic,
                asker_name="Nguyễn Văn A",
                asker_unit="Chi đoàn X",
                asker_public=n == 1,
            ),
            EARLY,
        )
    run(state, c.SubmitQuestion(phone(), "Từ điện thoại?", "ph-0000001", "hoi-truong"), EARLY)
    run(state, c.IssueLink(ORGANISER, "drafter-vp-1", Role.DRAFTER, agency="Văn phòng UBND"), EARLY)
    run(
        state,
        c.IssueLink(ORGANISER, "drafter-dt-1", Role.DRAFTER, agency="Sở GD&ĐT", topic_id="dao-tao"),
        EARLY,
    )
    return state


def test_a_drafter_link_has_a_fixed_name_and_maybe_a_topic(with_questions: State) -> None:
    link = with_questions.links["drafter-dt-1"]
    assert (link.role, link.agency, link.topic_id, link.label) == (
        Role.DRAFTER,
        "Sở GD&ĐT",
        "dao-tao",
        "Sở GD&ĐT",
    )
    assert link.actor() == TOPIC_DRAFTER
    with pytest.raises(InvalidInput) as nameless:
        decide(with_questions, c.IssueLink(ORGANISER, "drafter-x-1", Role.DRAFTER), EARLY)
    assert nameless.value.code == "link.needs_drafter_name"
    with pytest.raises(NotFound):
        decide(
            with_questions,
            c.IssueLink(ORGANISER, "drafter-x-2", Role.DRAFTER, agency="A", topic_id="khong"),
            EARLY,
        )
    with pytest.raises(InvalidInput):  # a topic only for a drafter's link
        decide(
            with_questions,
            c.IssueLink(ORGANISER, "mod-link-9", Role.MODERATOR, topic_id="dao-tao"),
            EARLY,
        )
    issued = next(
        ev
        for ev in decide(
            with_questions,
            c.IssueLink(ORGANISER, "drafter-x-3", Role.DRAFTER, agency="A", topic_id="dao-tao"),
            EARLY,
        )
    )
    assert event_from_dict(event_to_dict(issued)) == issued
    old = event_to_dict(
        e.LinkIssued(
            at=EARLY,
            link_id="m1234567",
            role=Role.MODERATOR,
            bridge_id=None,
            speaker_id=None,
            label="",
        )
    )
    assert "topic_id" not in old  # old logs keep their shape


def test_suggested_answers_are_drafted_for_pre_collected_questions(with_questions: State) -> None:
    state = with_questions
    run(state, cp.DraftSuggestedAnswer(DRAFTER, 1, "Nêu chương trình hỗ trợ việc làm."), EARLY)
    note = state.preparation.suggested_answers[1]
    assert (note.text, note.author) == ("Nêu chương trình hỗ trợ việc làm.", "Văn phòng UBND")
    assert (
        run(state, cp.DraftSuggestedAnswer(DRAFTER, 1, "Nêu chương trình hỗ trợ việc làm."), EARLY)
        == []
    )
    run(state, cp.DraftSuggestedAnswer(TOPIC_DRAFTER, 2, "Học bổng nghề."), EARLY)
    run(state, cp.DraftSuggestedAnswer(ORGANISER, 2, "Học bổng nghề, thêm số liệu."), EARLY)
    assert state.preparation.suggested_answers[2].author == ""
    before = copy.deepcopy(state)
    with pytest.raises(Forbidden) as other_topic:
        decide(state, cp.DraftSuggestedAnswer(TOPIC_DRAFTER, 1, "Không phải của tôi."), EARLY)
    assert other_topic.value.code == "suggested.other_topic"
    with pytest.raises(IllegalTransition) as from_phone:
        decide(state, cp.DraftSuggestedAnswer(DRAFTER, 3, "Gợi ý."), EARLY)
    assert from_phone.value.code == "suggested.not_pre_collected"
    with pytest.raises(InvalidInput):  # too long
        decide(
            state,
            cp.DraftSuggestedAnswer(DRAFTER, 1, "x" * (state.limits.summary_max_chars + 1)),
            EARLY,
        )
    with pytest.raises(NotFound):
        decide(state, cp.DraftSuggestedAnswer(DRAFTER, 99, "Gợi ý."), EARLY)
    for actor in (
        phone(),
        Actor(Role.DISPLAY),
        Actor(Role.SPEAKER, speaker_id="x"),
        Actor(Role.AGENCY, link_id="drafter-vp-1"),
    ):
        with pytest.raises(Forbidden):
            decide(state, cp.DraftSuggestedAnswer(actor, 1, "Gợi ý."), EARLY)
    run(state, c.RevokeLink(ORGANISER, "drafter-vp-1"), EARLY)
    with pytest.raises(Forbidden):  # a revoked link drafts nothing
        decide(state, cp.DraftSuggestedAnswer(DRAFTER, 1, "Sau khi thu hồi."), EARLY)
    assert state.preparation.suggested_answers == {**before.preparation.suggested_answers}
    # an empty note withdraws it
    run(state, cp.DraftSuggestedAnswer(ORGANISER, 2, ""), EARLY)
    assert 2 not in state.preparation.suggested_answers
    assert run(state, cp.DraftSuggestedAnswer(ORGANISER, 2, ""), EARLY) == []


def test_the_preparation_events_survive_the_log(with_questions: State) -> None:
    state = with_questions
    run(state, cp.ApplyPreparationTemplate(ORGANISER), EARLY)
    events = [
        *decide(state, cp.PublishPlan(ORGANISER), EARLY),
        *decide(state, cp.DraftSuggestedAnswer(DRAFTER, 1, "Gợi ý."), EARLY),
        *decide(state, cp.RemovePreparationTask(ORGANISER, "bao-cao-tien-do"), EARLY),
        *decide(
            state,
            cp.SetPreparationTask(ORGANISER, "", "Việc", deadline=datetime(2024, 6, 1, tzinfo=UTC)),
            EARLY,
        ),
    ]
    for event in events:
        assert event_from_dict(event_to_dict(event)) == event
