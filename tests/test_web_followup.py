"""Follow-up of forwarded and deferred questions: the core rule, the
organiser's board, the agency's scoped link and the public report."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from session_server.config import load_settings
from session_server.core import commands as c
from session_server.core.errors import Forbidden, IllegalTransition, InvalidInput
from session_server.core.model import Actor, Role, State
from session_server.demo import DEMO_DIALOGUE_ID
from session_server.export.record import build_record, due_date, follow_up_status
from session_server.web.app import create_app
from tests.recorddemo import DAY, record_log, record_state

DEMO = DEMO_DIALOGUE_ID
PASSWORD = "pw-for-tests"
SECRET = "z" * 32
AGENCY = Actor(Role.AGENCY)
BOARD = f"/o/{DEMO}/followup"


# --- the core --------------------------------------------------------------------


def test_only_forwarded_or_deferred_questions_take_a_written_answer() -> None:
    state = record_state(extra=[c.RecordWrittenAnswer(AGENCY, 13, "  Sở Y tế trả lời: có.  ")])
    answer = state.questions[13].written_answer
    assert answer is not None and answer.text == "Sở Y tế trả lời: có."
    assert answer.agency == "Sở Y tế"  # the agency it was forwarded to
    with pytest.raises(IllegalTransition):
        record_state(extra=[c.RecordWrittenAnswer(AGENCY, 1, "trả lời")])  # answered live
    with pytest.raises(InvalidInput):
        record_state(extra=[c.RecordWrittenAnswer(AGENCY, 13, "")])
    with pytest.raises(InvalidInput):
        record_state(extra=[c.RecordWrittenAnswer(AGENCY, 13, "x" * 9000)])
    with pytest.raises(Forbidden):
        record_state(extra=[c.RecordWrittenAnswer(Actor(Role.MODERATOR), 13, "trả lời")])
    with pytest.raises(InvalidInput):  # no role link for agencies: their links are per question
        record_state(extra=[c.IssueLink(Actor(Role.ORGANISER), "agency00001", Role.AGENCY)])


def test_deadlines_default_to_follow_up_days_and_go_overdue() -> None:
    state = record_state()
    deferred = state.questions[16]
    closed = deferred.closed_at
    assert closed is not None
    assert due_date(state, deferred) == (closed + timedelta(hours=7)).date() + timedelta(days=30)
    assert due_date(state, state.questions[13]) == date(2024, 4, 5)  # the one set
    assert due_date(state, state.questions[1]) is None
    entry = next(e for e in build_record(state).followups if e.question_id == 13)
    assert follow_up_status(entry, date(2024, 4, 5)) == "pending"
    assert follow_up_status(entry, date(2024, 4, 6)) == "overdue"
    answered = record_state(extra=[c.RecordWrittenAnswer(AGENCY, 13, "Đã trả lời.")])
    entry = next(e for e in build_record(answered).followups if e.question_id == 13)
    assert follow_up_status(entry, date(2030, 1, 1)) == "answered"


# --- the web ---------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = dataclasses.replace(
        load_settings(None),
        organiser_password=Secret(PASSWORD),
        media=False,
        public_url="http://testserver",
    )
    with TestClient(create_app(settings, record_log(), SECRET)) as client:
        yield client


def _sign_in(client: TestClient) -> None:
    response = client.post("/o/login", data={"password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303


def _state(client: TestClient) -> State:
    app = client.app
    assert isinstance(app, Starlette)
    result: State = app.state.registry.hubs[DEMO].session.state
    return result


def _links(client: TestClient) -> dict[int, str]:
    page = client.get(BOARD)
    assert page.status_code == 200
    found = re.findall(
        r'<tr class="fu-\w+" id="fu-(\d+)">.*?href="https?://[^/]+(/a/[^"]+)"', page.text, re.S
    )
    return {int(qid): path for qid, path in found}


def test_the_board_lists_every_question_awaiting_an_answer(client: TestClient) -> None:
    assert client.get(BOARD, follow_redirects=False).status_code == 303
    _sign_in(client)
    page = client.get(BOARD)
    assert "Sở Y tế" in page.text and "05/04/2024" in page.text
    assert set(_links(client)) == {13, 14, 16}
    assert 'class="fu-overdue" id="fu-13"' in page.text  # 2024 deadlines are long past


def test_an_agency_answers_through_its_link(client: TestClient) -> None:
    _sign_in(client)
    links = _links(client)
    client.cookies.clear()  # the agency is not signed in
    page = client.get(links[13])
    assert page.status_code == 200
    assert _state(client).questions[13].text in page.text
    assert _state(client).questions[13].asker.name not in page.text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    refused = client.post(links[13], data={"csrf": token.group(1), "text": ""})
    assert refused.status_code == 422 and "Nội dung" in refused.text
    forged = client.post(links[13], data={"csrf": "0" * 32, "text": "x"})
    assert forged.status_code == 403
    sent = client.post(
        links[13],
        data={
            "csrf": token.group(1),
            "agency": "Sở Y tế",
            "text": "Sở Y tế sẽ bố trí nhà công vụ <b>từ 2025</b>.",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    answer = _state(client).questions[13].written_answer
    assert answer is not None and answer.text.endswith("<b>từ 2025</b>.")
    report = client.get(f"/r/{DEMO}")
    row = report.text.split('id="fu-13"')[1].split("</tr>")[0]
    assert "Đã trả lời" in row and "&lt;b&gt;từ 2025&lt;/b&gt;" in row
    overdue = report.text.split('id="fu-14"')[1].split("</tr>")[0]
    assert 'class="overdue"' in overdue


def test_a_tampered_or_foreign_link_is_refused(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, Starlette)
    access = app.state.registry.access
    assert client.get("/a/not-a-token").status_code == 403
    assert client.get(f"/a/{access.answer_token(DEMO, 1)}").status_code == 404  # answered live
    assert client.get(f"/a/{access.answer_token('other', 13)}").status_code == 404
    role_link = access.link_token(DEMO, "moderator01")
    assert client.get(f"/a/{role_link}").status_code == 403  # another kind of token
    assert DAY.year == 2024


def test_the_agency_form_keeps_its_origin(client: TestClient) -> None:
    """A browser posts a form with "Origin: null" when the page says
    Referrer-Policy: no-referrer, and that origin is refused: the agency's
    page must not say it, and its own origin must be accepted."""
    _sign_in(client)
    link = _links(client)[13]
    client.cookies.clear()
    page = client.get(link)
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    null = client.post(link, data={"csrf": token.group(1), "text": "x"}, headers={"origin": "null"})
    assert null.status_code == 403
    sent = client.post(
        link,
        data={"csrf": token.group(1), "text": "Đã có văn bản trả lời."},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
