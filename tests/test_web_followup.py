"""Follow-up of forwarded and deferred questions: the core rule, the
organiser's board, the agency's scoped link and the public report."""

from __future__ import annotations

import copy
import dataclasses
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from docx import Document as open_document
from itsdangerous import URLSafeSerializer
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
BOARD = f"/o/{DEMO}/followup"
AFTER = datetime(2024, 3, 10, 2, 0, tzinfo=UTC)
"""Some days after the dialogue, before every deadline."""


# --- the core --------------------------------------------------------------------


def test_only_forwarded_or_deferred_questions_take_a_written_answer() -> None:
    link = c.IssueLink(Actor(Role.ORGANISER), "agency-q13-a", Role.AGENCY, question_id=13)
    agency = Actor(Role.AGENCY, link_id="agency-q13-a")
    state = record_state(extra=[link, c.RecordWrittenAnswer(agency, 13, "  Sở Y tế: có.  ")])
    answer = state.questions[13].written_answer
    assert answer is not None and answer.text == "Sở Y tế: có."
    assert answer.agency == "Sở Y tế"  # the agency it was forwarded to
    with pytest.raises(IllegalTransition):
        record_state(extra=[c.RecordWrittenAnswer(Actor(Role.ORGANISER), 1, "trả lời")])
    with pytest.raises(InvalidInput):
        record_state(extra=[link, c.RecordWrittenAnswer(agency, 13, "")])
    with pytest.raises(InvalidInput):
        record_state(extra=[link, c.RecordWrittenAnswer(agency, 13, "x" * 9000)])
    with pytest.raises(Forbidden):
        record_state(extra=[c.RecordWrittenAnswer(Actor(Role.MODERATOR), 13, "trả lời")])
    with pytest.raises(InvalidInput):  # an agency's link is for one question
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
    answered = record_state(extra=[c.RecordWrittenAnswer(Actor(Role.ORGANISER), 13, "Đã trả lời.")])
    entry = next(e for e in build_record(answered).followups if e.question_id == 13)
    assert follow_up_status(entry, date(2030, 1, 1)) == "answered"


# --- the web ---------------------------------------------------------------------


@dataclasses.dataclass
class Clock:
    """The server's time, as a test moves it: the wall clock commands are
    decided at, and the monotonic one the rate limits count with."""

    now: datetime = AFTER
    tick: float = 1000.0


def _app(clock: Clock, **limits: object) -> Starlette:
    settings = load_settings(None)
    settings = dataclasses.replace(
        settings,
        organiser_password=Secret(PASSWORD),
        media=False,
        public_url="http://testserver",
        limits=dataclasses.replace(settings.limits, **limits),  # type: ignore[arg-type]
    )
    app = create_app(settings, record_log(), SECRET)
    app.state.registry.now = lambda: clock.now
    app.state.registry.clock = lambda: clock.tick
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> Iterator[TestClient]:
    with TestClient(_app(clock)) as client:
        yield client


def _sign_in(client: TestClient) -> None:
    response = client.post("/o/login", data={"password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303


def _state(client: TestClient) -> State:
    app = client.app
    assert isinstance(app, Starlette)
    result: State = app.state.registry.hubs[DEMO].session.state
    return result


def _board_form(client: TestClient, key: str) -> dict[str, str]:
    """The hidden fields of the board's form ``key`` (its CSRF token and
    one-time command id), as the organiser's browser would send them."""
    page = client.get(BOARD)
    assert page.status_code == 200
    form = re.search(
        rf'<form method="post"[^>]*>((?:(?!</form>).)*?name="form" value="{key}".*?)</form>',
        page.text,
        re.S,
    )
    assert form, key
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1)))


def _issue(client: TestClient, question_id: int, agency: str | None = None) -> str:
    """The organiser issues an agency link for ``question_id`` on the board;
    its path."""
    data = _board_form(client, f"issue-{question_id}")
    before = {link.link_id for link in _state(client).links.values()}
    if agency is not None:
        data["agency"] = agency
    else:
        data["agency"] = next(
            e.agency for e in build_record(_state(client)).followups if e.question_id == question_id
        )
    done = client.post(BOARD, data=data, follow_redirects=False)
    assert done.status_code == 303
    (link_id,) = {link.link_id for link in _state(client).links.values()} - before
    page = client.get(BOARD)
    found = re.search(
        rf'id="fu-link-{link_id}">.*?href="https?://[^/]+(/a/[^"]+)"', page.text, re.S
    )
    assert found
    return found.group(1)


def _answer(client: TestClient, link: str, text: str, **extra: str) -> httpx.Response:
    page = client.get(link)
    assert page.status_code == 200
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    sent: httpx.Response = client.post(
        link, data={"csrf": token.group(1), "text": text, **extra}, follow_redirects=False
    )
    return sent


def _accept(client: TestClient, question_id: int) -> httpx.Response:
    answer = _state(client).questions[question_id].written_answer
    assert answer is not None
    data = _board_form(client, f"accept-{question_id}-{answer.revision}")
    done: httpx.Response = client.post(BOARD, data=data)
    return done


def _report_row(client: TestClient, question_id: int) -> str:
    report = client.get(f"/r/{DEMO}")
    assert report.status_code == 200
    text: str = report.text
    return text.split(f'id="fu-{question_id}"')[1].split("</tr>")[0]


def _notice(client: TestClient) -> str:
    document = open_document(io.BytesIO(client.get(f"/o/{DEMO}/conclusion.docx").content))
    return "\n".join(p.text for p in document.paragraphs)


def test_the_board_lists_every_question_awaiting_an_answer(
    client: TestClient, clock: Clock
) -> None:
    assert client.get(BOARD, follow_redirects=False).status_code == 303
    _sign_in(client)
    page = client.get(BOARD)
    assert "Sở Y tế" in page.text and "05/04/2024" in page.text
    assert set(map(int, re.findall(r'<tr class="fu-\w+" id="fu-(\d+)">', page.text))) == {
        13,
        14,
        16,
    }
    assert "/a/" not in page.text  # no agency has a link until the organiser issues one
    clock.now = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    assert 'class="fu-overdue" id="fu-13"' in client.get(BOARD).text


def test_an_agency_answers_through_its_link(client: TestClient) -> None:
    _sign_in(client)
    link = _issue(client, 13)
    client.cookies.clear()  # the agency is not signed in
    page = client.get(link)
    assert page.status_code == 200
    assert _state(client).questions[13].text in page.text
    assert _state(client).questions[13].asker.name not in page.text
    assert 'name="agency"' not in page.text  # the name is the link's, not the form's
    assert 'id="answering-agency">Sở Y tế<' in page.text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token
    refused = client.post(link, data={"csrf": token.group(1), "text": ""})
    assert refused.status_code == 422 and "Nội dung" in refused.text
    forged = client.post(link, data={"csrf": "0" * 32, "text": "x"})
    assert forged.status_code == 403
    sent = _answer(client, link, "Sở Y tế sẽ bố trí nhà công vụ <b>từ 2025</b>.")
    assert sent.status_code == 303
    answer = _state(client).questions[13].written_answer
    assert answer is not None and answer.text.endswith("<b>từ 2025</b>.")
    assert "chờ ban tổ chức duyệt" in client.get(f"{link}?saved=1").text
    _sign_in(client)
    assert 'class="fu-awaiting" id="fu-13"' in client.get(BOARD).text
    accepted = _accept(client, 13)
    assert accepted.status_code == 200
    assert "Đã duyệt câu trả lời câu hỏi 13" in accepted.text
    assert "The answer to question 13 was accepted" in accepted.text
    row = _report_row(client, 13)
    assert "Đã trả lời" in row and "&lt;b&gt;từ 2025&lt;/b&gt;" in row


def test_the_agency_name_cannot_be_chosen_by_the_form(client: TestClient) -> None:
    """An attacker holding Sở Y tế's link posts ``agency=Bộ Công an``: the
    answer is still Sở Y tế's, on the board, the report and the notice."""
    _sign_in(client)
    link = _issue(client, 13)
    client.cookies.clear()
    sent = _answer(client, link, "Câu trả lời giả mạo.", agency="Bộ Công an")
    assert sent.status_code == 303
    answer = _state(client).questions[13].written_answer
    assert answer is not None and answer.agency == "Sở Y tế"
    _sign_in(client)
    _accept(client, 13)
    row = _report_row(client, 13)
    assert "Câu trả lời giả mạo." in row
    assert "Sở Y tế" in row and "Bộ Công an" not in client.get(f"/r/{DEMO}").text
    assert "Bộ Công an" not in _notice(client)


def test_a_revoked_link_is_refused_and_changes_nothing(client: TestClient) -> None:
    _sign_in(client)
    link = _issue(client, 13)
    token_page = client.get(link)  # the agency's page, opened before the revocation
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', token_page.text)
    assert csrf
    link_id = next(k for k, v in _state(client).links.items() if v.role is Role.AGENCY)
    asked = client.post(BOARD, data=_board_form(client, f"revoke-{link_id}"))
    assert asked.status_code == 200 and 'id="fu-revoke-confirm"' in asked.text
    assert _state(client).links[link_id].active, "one tap only asks"
    confirm = re.search(
        r'<form method="post"[^>]*>((?:(?!</form>).)*?name="confirm" value="yes".*?)</form>',
        asked.text,
        re.S,
    )
    assert confirm
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm.group(1)))
    revoked = client.post(BOARD, data=data, follow_redirects=True)
    assert revoked.status_code == 200
    assert "Đã thu hồi đường dẫn của câu hỏi 13" in revoked.text
    assert "The link of question 13 was revoked" in revoked.text
    assert link not in revoked.text
    client.cookies.clear()
    before = copy.deepcopy(_state(client))
    page = client.get(link)
    assert page.status_code == 403
    assert "đã bị thu hồi" in page.text and "has been revoked" in page.text
    posted = client.post(link, data={"csrf": csrf.group(1), "text": "Vẫn gửi."})
    assert posted.status_code == 403
    assert _state(client) == before and before.questions[13].written_answer is None


def test_an_expired_link_is_refused_and_changes_nothing(client: TestClient, clock: Clock) -> None:
    _sign_in(client)
    link = _issue(client, 13)  # deadline 5 April 2024, 14 days of grace
    client.cookies.clear()
    clock.now = datetime(2024, 4, 19, 16, 59, tzinfo=UTC)  # 23:59 on 19 April in Vietnam
    page = client.get(link)
    assert page.status_code == 200 and "19/04/2024" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    clock.now = datetime(2024, 4, 19, 17, 0, tzinfo=UTC)  # midnight: 20 April in Vietnam
    before = copy.deepcopy(_state(client))
    expired = client.get(link)
    assert expired.status_code == 403
    assert "đã hết hạn" in expired.text and "has expired" in expired.text
    posted = client.post(link, data={"csrf": csrf.group(1), "text": "Trả lời muộn."})
    assert posted.status_code == 403 and "has expired" in posted.text
    assert _state(client) == before
    _sign_in(client)
    assert "fu-link-expired" in client.get(BOARD).text


def test_sixty_rapid_overwrites_are_mostly_refused(client: TestClient, clock: Clock) -> None:
    _sign_in(client)
    link = _issue(client, 13)
    client.cookies.clear()
    page = client.get(link)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    statuses = []
    for n in range(60):
        clock.tick += 0.005  # 60 saves in 0.3 s
        sent = client.post(
            link, data={"csrf": csrf.group(1), "text": f"Bản {n}."}, follow_redirects=False
        )
        statuses.append(sent.status_code)
        if sent.status_code == 429:
            refusal = sent.text
    assert statuses.count(303) == 3 and statuses.count(429) == 57
    assert refusal.index("Bạn gửi quá nhanh") < refusal.index("You are sending too fast")
    answer = _state(client).questions[13].written_answer
    assert answer is not None and (answer.revision, answer.text) == (3, "Bản 2.")
    assert "Bản 59." in refusal  # the refused text is kept in the box
    clock.tick += 60  # a minute later, saves pass again
    assert client.post(link, data={"csrf": csrf.group(1), "text": "Bản cuối."}).status_code == 200


def test_an_answer_is_public_only_once_accepted(client: TestClient) -> None:
    _sign_in(client)
    link = _issue(client, 14)
    client.cookies.clear()
    assert _answer(client, link, "Sở Xây dựng đã bố trí quỹ đất.").status_code == 303
    assert "Sở Xây dựng đã bố trí quỹ đất." not in _report_row(client, 14)
    _sign_in(client)
    assert "Sở Xây dựng đã bố trí quỹ đất." not in _notice(client)
    board = client.get(BOARD).text
    assert "Sở Xây dựng đã bố trí quỹ đất." in board and 'class="fu-awaiting" id="fu-14"' in board
    _accept(client, 14)
    assert "Sở Xây dựng đã bố trí quỹ đất." in _report_row(client, 14)
    assert "Sở Xây dựng đã trả lời bằng văn bản ngày" in _notice(client)
    assert "Sở Xây dựng đã bố trí quỹ đất." in _notice(client)


def test_answers_can_be_public_at_once_when_the_organiser_so_chooses(clock: Clock) -> None:
    with TestClient(_app(clock, answers_need_acceptance=False)) as client:
        _sign_in(client)
        link = _issue(client, 16, agency="Sở Nội vụ")
        client.cookies.clear()
        assert _answer(client, link, "Sở Nội vụ trả lời.").status_code == 303
        row = _report_row(client, 16)
        assert "Sở Nội vụ trả lời." in row and "Sở Nội vụ" in row


def test_a_tampered_or_foreign_link_is_refused(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, Starlette)
    access = app.state.registry.access
    assert client.get("/a/not-a-token").status_code == 403
    old_style = URLSafeSerializer(SECRET, salt="agency-answer").dumps([DEMO, 13])
    assert client.get(f"/a/{old_style}").status_code == 403  # never expired nor revocable
    assert client.get(f"/a/{access.link_token('other', 'agency-q13-a')}").status_code == 404
    assert client.get(f"/a/{access.link_token(DEMO, 'moderator01')}").status_code == 403
    _sign_in(client)
    link = _issue(client, 13)
    agency_token = link.removeprefix("/a/")
    assert client.get(f"/s/{agency_token}").status_code == 403  # not a role screen
    api = client.post(
        "/api/v1/commands",
        json={"action": "record_written_answer", "question_id": 13, "text": "Qua API."},
        headers={"Authorization": f"Bearer {agency_token}"},
    )
    assert api.status_code == 403 and _state(client).questions[13].written_answer is None
    assert DAY.year == 2024


def test_the_agency_form_keeps_its_origin(client: TestClient) -> None:
    """A browser posts a form with "Origin: null" when the page says
    Referrer-Policy: no-referrer, and that origin is refused: the agency's
    page must not say it, and its own origin must be accepted."""
    _sign_in(client)
    link = _issue(client, 13)
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


def test_a_written_answer_keeps_its_paragraphs_on_the_board_and_the_report(
    client: TestClient,
) -> None:
    """An agency answers in numbered points: the board and the public report
    show them as written (a line break kept, shown by ``.written-answer``'s
    pre-wrap), not run into one paragraph."""
    _sign_in(client)
    link = _issue(client, 13)
    client.cookies.clear()
    text = "Sở Y tế trả lời như sau:\n\n1. Năm 2025 bố trí nhà công vụ.\n2. Năm 2026 mở rộng."
    assert _answer(client, link, text).status_code == 303
    _sign_in(client)
    board = client.get(BOARD).text
    assert re.search(r'class="written-answer">Sở Y tế trả lời như sau:\n\n1\. Năm 2025', board)
    _accept(client, 13)
    row = _report_row(client, 13)
    assert re.search(r'class="written-answer">Sở Y tế trả lời như sau:\n\n1\. Năm 2025', row)
    assert (
        ".written-answer { display: block; white-space: pre-wrap;"
        in client.get("/static/app.css").text
    )
