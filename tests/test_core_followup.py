"""Agencies' written answers, as the core rules them: a link per forwarded
question with the agency's name fixed by the organiser, revoked like every
role link, expiring after the question's deadline plus the grace days; an
answer public only once the organiser accepts the revision they read."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime

import pytest

from session_server.core import commands as c
from session_server.core import decide
from session_server.core import events as e
from session_server.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from session_server.core.model import LOCAL_TZ, Actor, Limits, Role, State
from session_server.core.views import agency_link_expired, agency_link_last_day, answer_due
from tests.conftest import ORGANISER, run
from tests.recorddemo import DAY, record_state

LINK = "agency-q13-a"
AFTER = datetime(2024, 3, 10, 2, 0, tzinfo=UTC)
"""Some days after the dialogue, before every deadline."""


def agency(link_id: str = LINK) -> Actor:
    return Actor(Role.AGENCY, link_id=link_id)


@pytest.fixture
def state() -> State:
    """The dialogue after its day, with one agency link for question 13
    (forwarded to Sở Y tế, deadline 5 April 2024)."""
    state = record_state()
    run(state, c.IssueLink(ORGANISER, LINK, Role.AGENCY, question_id=13), AFTER)
    return state


def test_an_agency_link_is_for_one_forwarded_question_under_a_fixed_name(state: State) -> None:
    link = state.links[LINK]
    assert (link.role, link.question_id, link.agency) == (Role.AGENCY, 13, "Sở Y tế")
    assert link.actor() == agency()
    named = c.IssueLink(ORGANISER, "agency-q16-a", Role.AGENCY, question_id=16, agency="Sở Nội vụ")
    run(state, named, AFTER)
    assert state.links["agency-q16-a"].agency == "Sở Nội vụ"
    with pytest.raises(InvalidInput) as no_name:  # deferred, no forwarding, no speaker
        decide(state, c.IssueLink(ORGANISER, "agency-q16-b", Role.AGENCY, question_id=16), AFTER)
    assert no_name.value.code == "link.needs_agency"
    with pytest.raises(InvalidInput):
        decide(state, c.IssueLink(ORGANISER, "agency-none", Role.AGENCY), AFTER)
    with pytest.raises(IllegalTransition):  # answered on the day
        decide(state, c.IssueLink(ORGANISER, "agency-q1-a", Role.AGENCY, question_id=1), AFTER)
    with pytest.raises(InvalidInput):  # a question only for an agency's link
        decide(state, c.IssueLink(ORGANISER, "mod-link-1", Role.MODERATOR, question_id=13), AFTER)


def test_the_answer_is_under_the_links_name_whatever_the_agency_says(state: State) -> None:
    run(state, c.RecordWrittenAnswer(agency(), 13, "Sở Y tế trả lời."), AFTER)
    answer = state.questions[13].written_answer
    assert answer is not None and answer.agency == "Sở Y tế"
    before = copy.deepcopy(state)
    with pytest.raises(Forbidden) as spoofed:
        decide(state, c.RecordWrittenAnswer(agency(), 13, "Bộ trả lời.", "Bộ Công an"), AFTER)
    assert spoofed.value.code == "followup.agency_fixed"
    assert state == before
    with pytest.raises(Forbidden):  # a link answers its own question only
        decide(state, c.RecordWrittenAnswer(agency(), 14, "Trả lời câu khác."), AFTER)
    with pytest.raises(Forbidden):  # an agency without a link
        decide(state, c.RecordWrittenAnswer(Actor(Role.AGENCY), 13, "Trả lời."), AFTER)
    with pytest.raises(Forbidden):  # a link that is not an agency's
        run(state, c.IssueLink(ORGANISER, "moderator-x1", Role.MODERATOR), AFTER)
        decide(state, c.RecordWrittenAnswer(agency("moderator-x1"), 13, "Trả lời."), AFTER)


def test_a_revoked_link_records_nothing(state: State) -> None:
    run(state, c.RevokeLink(ORGANISER, LINK), AFTER)
    before = copy.deepcopy(state)
    with pytest.raises(Forbidden) as refused:
        decide(state, c.RecordWrittenAnswer(agency(), 13, "Vẫn trả lời."), AFTER)
    assert refused.value.code == "link.revoked"
    assert state == before


def test_a_link_expires_after_the_deadline_and_the_grace_days(state: State) -> None:
    link = state.links[LINK]
    assert answer_due(state, state.questions[13]) == date(2024, 4, 5)
    assert agency_link_last_day(state, link) == date(2024, 4, 19)  # 14 days of grace
    last = datetime(2024, 4, 19, 23, 59, tzinfo=LOCAL_TZ)
    assert not agency_link_expired(state, link, last)
    run(state, c.RecordWrittenAnswer(agency(), 13, "Trả lời kịp hạn."), last)
    before = copy.deepcopy(state)
    late = datetime(2024, 4, 20, 0, 0, tzinfo=LOCAL_TZ)
    with pytest.raises(Forbidden) as refused:
        decide(state, c.RecordWrittenAnswer(agency(), 13, "Trả lời muộn."), late)
    assert refused.value.code == "link.expired"
    assert state == before
    longer = dataclasses.replace(state, limits=Limits(agency_grace_days=30))
    assert not agency_link_expired(longer, link, late)


def test_an_answer_is_public_only_once_the_organiser_accepts_what_they_read(
    state: State,
) -> None:
    run(state, c.RecordWrittenAnswer(agency(), 13, "Bản đầu."), AFTER)
    question = state.questions[13]
    assert question.written_answer is not None and question.accepted_answer is None
    run(state, c.RecordWrittenAnswer(agency(), 13, "Bản sửa."), AFTER)
    assert question.written_answer.revision == 2
    with pytest.raises(IllegalTransition) as stale:  # the organiser read the first one
        decide(state, c.AcceptWrittenAnswer(ORGANISER, 13, 1), AFTER)
    assert stale.value.code == "followup.answer_changed"
    with pytest.raises(Forbidden):
        decide(state, c.AcceptWrittenAnswer(agency(), 13, 2), AFTER)
    events = run(state, c.AcceptWrittenAnswer(ORGANISER, 13, 2), AFTER)
    assert events == [e.WrittenAnswerAccepted(at=AFTER, question_id=13, revision=2)]
    assert question.accepted_answer == question.written_answer
    assert run(state, c.AcceptWrittenAnswer(ORGANISER, 13, 2), AFTER) == []  # again: nothing
    run(state, c.RecordWrittenAnswer(agency(), 13, "Bản sửa lần hai."), AFTER)
    accepted = question.accepted_answer
    assert accepted is not None and accepted.text == "Bản sửa."  # until the new one is accepted
    with pytest.raises(NotFound):  # nothing to accept on a question without an answer
        decide(state, c.AcceptWrittenAnswer(ORGANISER, 14, 1), AFTER)


def test_without_acceptance_or_from_the_organiser_an_answer_is_public_at_once() -> None:
    state = record_state()
    state.limits = Limits(answers_need_acceptance=False)
    run(state, c.IssueLink(ORGANISER, LINK, Role.AGENCY, question_id=13), AFTER)
    run(state, c.RecordWrittenAnswer(agency(), 13, "Công bố ngay."), AFTER)
    accepted = state.questions[13].accepted_answer
    assert accepted is not None and accepted.text == "Công bố ngay."
    strict = record_state()
    run(strict, c.RecordWrittenAnswer(ORGANISER, 14, "Nhận bằng văn bản giấy."), AFTER)
    answer = strict.questions[14].accepted_answer
    assert answer is not None and answer.agency == "Sở Xây dựng"
    assert DAY < AFTER
