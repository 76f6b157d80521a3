"""Every question gets a fate: the organiser forwards or defers approved
questions the day ran out of time for, after closing too, each with a
deadline; the one deadline rule; a topic's default speakers from the
speakers' own fields; ids made from names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from session_server.core import apply, decide
from session_server.core import commands as c
from session_server.core import events as e
from session_server.core.codec import event_from_dict, event_to_dict
from session_server.core.errors import InvalidInput, PhaseRefused
from session_server.core.model import Origin, Phase, QuestionStatus
from session_server.core.text import slug_id
from session_server.core.views import answer_due, default_agency, proposed_speaker
from tests.conftest import MODERATOR, ORGANISER, build, run
from tests.recorddemo import record_state

AFTER = datetime(2024, 3, 10, 2, 0, tzinfo=UTC)


def test_the_organiser_gives_unreached_questions_a_fate_after_closing() -> None:
    state = record_state()
    assert state.dialogue.phase is Phase.CLOSED
    with pytest.raises(PhaseRefused):  # the moderator's day is over
        decide(state, c.ForwardQuestion(MODERATOR, 2, "Sở Lao động"), AFTER)
    run(state, c.ForwardQuestion(ORGANISER, 2, "Sở Lao động", date(2024, 4, 30)), AFTER)
    run(state, c.DeferQuestion(ORGANISER, 11, "Trả lời bằng văn bản", date(2024, 4, 20)), AFTER)
    assert state.questions[2].status is QuestionStatus.FORWARDED
    assert answer_due(state, state.questions[2]) == date(2024, 4, 30)
    deferred = state.questions[11]
    assert deferred.status is QuestionStatus.DEFERRED
    assert deferred.deferral_deadline == date(2024, 4, 20)
    assert answer_due(state, deferred) == date(2024, 4, 20)
    with pytest.raises(InvalidInput) as past:
        decide(state, c.DeferQuestion(ORGANISER, 17, "", date(2024, 3, 1)), AFTER)
    assert past.value.code == "forward.deadline_past"


def test_a_deferral_without_a_deadline_is_due_follow_up_days_after() -> None:
    state = record_state()
    run(state, c.DeferQuestion(ORGANISER, 17), AFTER)
    assert answer_due(state, state.questions[17]) == date(2024, 4, 9)


def test_a_deferral_deadline_is_logged_and_old_logs_still_load() -> None:
    event = e.QuestionDeferred(at=AFTER, question_id=3, note="n", deadline=date(2024, 4, 1))
    data = event_to_dict(event)
    assert data["deadline"] == "2024-04-01"
    assert event_from_dict(data) == event
    old = {"name": "QuestionDeferred", "at": AFTER.isoformat(), "question_id": 3, "note": "n"}
    assert event_from_dict(old) == e.QuestionDeferred(at=AFTER, question_id=3, note="n")
    assert "deadline" not in event_to_dict(event_from_dict(old))


def test_a_speakers_fields_make_them_the_topics_default_speaker() -> None:
    state = record_state()
    question = state.questions[17]  # viec-lam: named by the topic
    assert proposed_speaker(state, question) == "ldtbxh"
    fresh = build(
        [
            c.CreateDialogue(ORGANISER, "Đối thoại"),
            c.SetBridgePoint(ORGANISER, "", "Hội trường tỉnh"),
            c.SetTopic(ORGANISER, "", "Việc làm"),
            c.SetSpeaker(ORGANISER, "", "Nguyễn Văn A", "Giám đốc", "Sở Lao động", ("viec-lam",)),
            c.ChangePhase(ORGANISER, Phase.INTAKE),
            c.SubmitQuestion(
                ORGANISER,
                "Việc làm cho thanh niên?",
                "k-00000001",
                "hoi-truong-tinh",
                origin=Origin.PRE_COLLECTED,
                topic_id="viec-lam",
            ),
        ]
    )
    asked = fresh.questions[1]
    assert fresh.topics["viec-lam"].speaker_ids == ()
    assert proposed_speaker(fresh, asked) == "nguyen-van-a"
    assert default_agency(fresh, asked) == "Sở Lao động"


def test_ids_are_made_from_names_and_kept_when_renamed() -> None:
    assert slug_id("Thành phố Long Xuyên") == "thanh-pho-long-xuyen"
    assert slug_id("Đào tạo nghề", {"dao-tao-nghe"}) == "dao-tao-nghe-2"
    assert slug_id("!!!") == "muc"
    state = build([c.CreateDialogue(ORGANISER, "Đối thoại")])
    run(state, c.SetBridgePoint(ORGANISER, "", "TP. Châu Đốc"))
    run(state, c.SetBridgePoint(ORGANISER, "", "TP Châu Đốc"))
    assert list(state.bridges) == ["tp-chau-doc", "tp-chau-doc-2"]
    run(state, c.SetBridgePoint(ORGANISER, "tp-chau-doc", "Thành phố Châu Đốc"))
    assert state.bridges["tp-chau-doc"].name == "Thành phố Châu Đốc"
    items = (
        c.ProgrammeEntry("", "Khai mạc"),
        c.ProgrammeEntry("", "Khai mạc"),
        c.ProgrammeEntry("thao-luan", "Thảo luận"),
    )
    run(state, c.SetProgramme(ORGANISER, items))
    assert [i.item_id for i in state.programme] == ["khai-mac", "khai-mac-2", "thao-luan"]


def test_apply_is_unchanged_for_deferrals_of_old_logs() -> None:
    state = record_state()
    apply(state, e.QuestionDeferred(at=AFTER, question_id=17, note=""))
    assert state.questions[17].deferral_deadline is None
