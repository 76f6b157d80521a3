"""Role screens through the page, the plain form post and the WebSocket:
each role is refused what it may not do, and a refusal changes nothing."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from session_server.core import commands as c
from session_server.core.model import Actor, QuestionStatus, Role, State
from session_server.core.views import default_agency
from session_server.demo import DEMO_DIALOGUE_ID
from tests.webapp import build_app, token


@pytest.fixture
def app() -> Starlette:
    return build_app()


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def state(app: Starlette) -> State:
    result: State = app.state.registry.hubs[DEMO_DIALOGUE_ID].session.state
    return result


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def ws_send(ws: object, message: dict[str, object]) -> str:
    """Send an action and return the reply addressed to this socket."""
    ws.send_json(message)  # type: ignore[attr-defined]
    while True:
        reply: str = ws.receive_text()  # type: ignore[attr-defined]
        if 'id="flash"' in reply:
            return reply


def hello(ws: object) -> str:
    ws.send_json({"type": "hello", "epoch": "", "seq": -1})  # type: ignore[attr-defined]
    first: str = ws.receive_text()  # type: ignore[attr-defined]
    return first


# --- pages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link_id", "marker"),
    [
        ("moderator01", 'id="mod-inbox"'),
        ("secretary01", 'id="sec-floor"'),
        ("display0001", 'id="display"'),
        ("opchaudoc01", 'id="bridge-queue"'),
        ("speaker0001", 'id="speaker-list"'),
    ],
)
def test_each_link_opens_its_own_screen(
    app: Starlette, client: TestClient, link_id: str, marker: str
) -> None:
    response = client.get(f"/s/{token(app, link_id)}")
    assert response.status_code == 200
    assert marker in response.text
    assert 'ws-connect="/ws/' in response.text
    assert 'data-epoch="' in response.text and 'data-seq="' in response.text
    # no-referrer would make browsers post this page's forms with "Origin: null"
    assert response.headers["Referrer-Policy"] == "same-origin"
    for other in ('id="mod-inbox"', 'id="sec-floor"', 'id="bridge-queue"', 'id="speaker-list"'):
        if other != marker:
            assert other not in response.text


def test_phone_page_sets_a_device_cookie_and_english_switch(
    app: Starlette, client: TestClient
) -> None:
    response = client.get(f"/j/{token(app, 'phchaudoc01')}")
    assert response.status_code == 200
    assert "ssd" in response.cookies
    assert "TP. Châu Đốc" in response.text
    assert "Gửi câu hỏi" in response.text
    english = client.get(f"/j/{token(app, 'phchaudoc01')}?lang=en")
    assert "Send question" in english.text
    assert client.cookies.get("lang") == "en"


def test_a_forged_or_revoked_link_is_refused(app: Starlette, client: TestClient) -> None:
    moderator = token(app, "moderator01")
    forged = moderator[:-2] + ("AA" if not moderator.endswith("AA") else "BB")
    response = client.get(f"/s/{forged}")
    assert response.status_code == 403
    assert "không hợp lệ" in response.text and "invalid" in response.text
    hub = app.state.registry.hubs[DEMO_DIALOGUE_ID]
    client.portal.call(hub.execute, c.RevokeLink(Actor(Role.ORGANISER), "moderator01"))
    response = client.get(f"/s/{moderator}")
    assert response.status_code == 403
    assert "thu hồi" in response.text and "revoked" in response.text


def test_a_link_of_an_unknown_dialogue_is_refused(app: Starlette, client: TestClient) -> None:
    other = app.state.registry.access.link_token("no-such-dialogue", "moderator01")
    assert client.get(f"/s/{other}").status_code == 404
    assert "no-such-dialogue" not in app.state.registry.known


# --- plain form posts (no JavaScript) -------------------------------------------------


def test_a_phone_submits_with_a_plain_form(app: Starlette, client: TestClient) -> None:
    page = client.get(f"/j/{token(app, 'phchaudoc01')}").text
    form = {
        "action": "submit_question",
        "csrf": csrf(page),
        "idempotency_key": "plainform-0001",
        "text": "Câu hỏi gửi không cần JavaScript?",
        "bridge_id": "tri-ton",  # ignored: the link says Châu Đốc
    }
    response = client.post(f"/j/{token(app, 'phchaudoc01')}/act", data=form, follow_redirects=False)
    assert response.status_code == 303
    again = client.post(f"/j/{token(app, 'phchaudoc01')}/act", data=form, follow_redirects=False)
    assert again.status_code == 303
    mine = [
        q for q in state(app).questions.values() if q.text == "Câu hỏi gửi không cần JavaScript?"
    ]
    assert len(mine) == 1, "a repeated post with the same key is not a second question"
    assert mine[0].bridge_id == "chau-doc"
    assert "Câu hỏi gửi không cần JavaScript?" in client.get(f"/j/{token(app, 'phchaudoc01')}").text


def test_a_form_post_without_csrf_or_from_another_site_changes_nothing(
    app: Starlette, client: TestClient
) -> None:
    before = copy.deepcopy(state(app))
    moderator = token(app, "moderator01")
    page = client.get(f"/s/{moderator}").text
    form = {"action": "approve_question", "question_id": "3"}
    response = client.post(f"/s/{moderator}/act", data=form)
    assert response.status_code == 403
    assert "tải lại trang" in response.text and "reload the page" in response.text
    response = client.post(
        f"/s/{moderator}/act",
        data={**form, "csrf": csrf(page)},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert state(app) == before
    ok = client.post(
        f"/s/{moderator}/act",
        data={**form, "csrf": csrf(page)},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert state(app).questions[3].status is QuestionStatus.APPROVED


def test_an_invalid_form_gets_a_bilingual_message(app: Starlette, client: TestClient) -> None:
    phone = token(app, "phchaudoc01")
    page = client.get(f"/j/{phone}").text
    before = len(state(app).questions)
    response = client.post(
        f"/j/{phone}/act",
        data={
            "action": "submit_question",
            "csrf": csrf(page),
            "idempotency_key": "toolong-0001",
            "text": "x" * 1001,
        },
    )
    assert response.status_code == 422
    assert "quá dài" in response.text
    assert len(state(app).questions) == before


def test_the_phone_form_cannot_issue_moderator_commands(app: Starlette, client: TestClient) -> None:
    phone = token(app, "phchaudoc01")
    page = client.get(f"/j/{phone}").text
    before = copy.deepcopy(state(app))
    response = client.post(
        f"/j/{phone}/act",
        data={"action": "approve_question", "csrf": csrf(page), "question_id": "3"},
    )
    assert response.status_code == 403
    assert state(app) == before


# --- the WebSocket ---------------------------------------------------------------------


def test_a_phone_socket_replaying_moderator_commands_is_refused(
    app: Starlette, client: TestClient
) -> None:
    client.get(f"/j/{token(app, 'phchaudoc01')}")
    before = copy.deepcopy(state(app))
    with client.websocket_connect(f"/ws/{token(app, 'phchaudoc01')}") as ws:
        hello(ws)
        for message in (
            {"action": "approve_question", "question_id": 3},
            {"action": "give_floor", "bridge_id": "chau-doc", "question_id": 1},
            {"action": "change_phase", "phase": "closed"},
            {"action": "issue_link", "link_id": "sneaky-link-01", "role": "moderator"},
            {"action": "record_answer_summary", "question_id": 1, "summary": "x"},
        ):
            reply = ws_send(ws, message)
            assert "flash-error" in reply
            assert "không được thực hiện" in reply
    assert state(app) == before


def test_a_bridge_operator_cannot_act_for_another_bridge(
    app: Starlette, client: TestClient
) -> None:
    with (
        client.websocket_connect(f"/ws/{token(app, 'optriton001')}") as tri_ton,
        client.websocket_connect(f"/ws/{token(app, 'opchaudoc01')}") as chau_doc,
    ):
        hello(tri_ton)
        hello(chau_doc)
        moderator = app.state.registry.hubs[DEMO_DIALOGUE_ID]
        del moderator
        # asking the floor for another bridge is refused; for its own, granted
        reply = ws_send(tri_ton, {"action": "request_floor", "bridge_id": "chau-doc"})
        assert "flash-error" in reply and "điểm cầu của mình" in reply
        assert state(app).pending_floor_requests() == []
        assert "flash-ok" in ws_send(tri_ton, {"action": "request_floor"})
        (request,) = state(app).pending_floor_requests()
        assert request.bridge_id == "tri-ton"
        reply = ws_send(
            chau_doc, {"action": "cancel_floor_request", "request_id": request.request_id}
        )
        assert "flash-error" in reply and "điểm cầu của mình" in reply
        assert state(app).pending_floor_requests() == [request]
        # a question for another bridge is refused; without a bridge it is its own
        reply = ws_send(
            chau_doc,
            {
                "action": "submit_question",
                "text": "Hỏi từ phòng họp",
                "idempotency_key": "bridge-key-0001",
                "bridge_id": "tri-ton",
            },
        )
        assert "flash-error" in reply
        ws_send(
            chau_doc,
            {
                "action": "submit_question",
                "text": "Hỏi từ phòng họp",
                "idempotency_key": "bridge-key-0001",
                "asker_name": "Hòa",
            },
        )
    question = max(state(app).questions.values(), key=lambda q: q.question_id)
    assert question.bridge_id == "chau-doc"
    assert question.origin.value == "bridge"


def test_display_and_speaker_sockets_have_no_commands(app: Starlette, client: TestClient) -> None:
    before = copy.deepcopy(state(app))
    for link_id in ("display0001", "speaker0001"):
        with client.websocket_connect(f"/ws/{token(app, link_id)}") as ws:
            hello(ws)
            reply = ws_send(ws, {"action": "approve_question", "question_id": 3})
            assert "flash-error" in reply
    assert state(app) == before


def test_a_pong_gives_the_servers_time_and_the_pings_number_only(
    app: Starlette, client: TestClient
) -> None:
    """A screen counts its countdowns on the server's clock (``link.js``):
    each pong says the server's time in milliseconds, and gives back the
    ping's number when it is a plain number; anything else in a ping is
    dropped, and a ping changes nothing."""
    before = copy.deepcopy(state(app))
    with client.websocket_connect(f"/ws/{token(app, 'display0001')}") as ws:
        hello(ws)
        for n, back in ((7, 7), (0, 0), (2**31 - 1, 2**31 - 1), (2**31, None), (-1, None)):
            ws.send_json({"type": "ping", "n": n})
            pong = ws.receive_json()
            assert pong.get("n") == back and pong["type"] == "pong", (n, pong)
            server_ms = datetime.now(UTC).timestamp() * 1000
            assert server_ms - 2000 < pong["now"] <= server_ms + 1, pong  # rounded to the ms
        odd: tuple[object, ...] = ("7", True, 1.5, None, {"x": 1}, "<b>1</b>")
        for number in odd:
            ws.send_json({"type": "ping", "n": number})
            pong = ws.receive_json()
            assert set(pong) == {"type", "now"}, (number, pong)
    assert state(app) == before


def test_a_socket_from_another_origin_is_refused(app: Starlette, client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect(
            f"/ws/{token(app, 'moderator01')}", headers={"origin": "https://evil.example"}
        ),
    ):
        pass
    assert info.value.code == 1008


def test_a_phone_socket_needs_its_device_cookie(app: Starlette, client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect(f"/ws/{token(app, 'phchaudoc01')}"),
    ):
        pass
    assert info.value.code == 1008


def test_revoking_a_link_closes_its_socket_at_the_next_command(
    app: Starlette, client: TestClient
) -> None:
    hub = app.state.registry.hubs[DEMO_DIALOGUE_ID]
    with client.websocket_connect(f"/ws/{token(app, 'moderator01')}") as ws:
        hello(ws)
        client.portal.call(hub.execute, c.RevokeLink(Actor(Role.ORGANISER), "moderator01"))
        ws.send_json({"action": "approve_question", "question_id": 3})
        with pytest.raises(WebSocketDisconnect) as info:
            while True:
                ws.receive_text()
        assert info.value.code == 1008
    assert state(app).questions[3].status is QuestionStatus.SUBMITTED


def test_malformed_messages_are_refused_with_a_message(app: Starlette, client: TestClient) -> None:
    with client.websocket_connect(f"/ws/{token(app, 'moderator01')}") as ws:
        hello(ws)
        for raw in (
            "not json",
            "[1, 2]",
            '{"action": "no_such_thing"}',
            '{"action": "approve_question", "question_id": "three"}',
            '{"action": "approve_question"}',
        ):
            ws.send_text(raw)
            reply = ws.receive_text()
            assert "flash-error" in reply


def test_a_phone_submission_reaches_the_moderator_escaped(
    app: Starlette, client: TestClient
) -> None:
    client.get(f"/j/{token(app, 'phchaudoc01')}")
    with (
        client.websocket_connect(f"/ws/{token(app, 'moderator01')}") as moderator,
        client.websocket_connect(f"/ws/{token(app, 'phchaudoc01')}") as phone,
    ):
        hello(moderator)
        hello(phone)
        reply = ws_send(
            phone,
            {
                "action": "submit_question",
                "text": "<script>alert(1)</script> Việc làm?",
                "idempotency_key": "escape-test-01",
            },
        )
        assert "flash-ok" in reply
        ack = phone.receive_json()
        assert ack == {"type": "ack", "key": "escape-test-01", "question_id": 37}
        pushed = moderator.receive_text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Việc làm?" in pushed
        assert "<script>alert" not in pushed


def test_a_queued_question_is_forwarded_to_its_speakers_agency_with_a_deadline(
    app: Starlette, client: TestClient
) -> None:
    """From the queue, not only the floor: "forward" offers the agency of
    the topic's speaker and a deadline; "answer in writing" a deadline and
    a note."""
    moderator = token(app, "moderator01")
    page = client.get(f"/s/{moderator}").text
    st = state(app)
    with_agency = [q for q in st.queue if default_agency(st, st.questions[q])]
    assert with_agency, "the demo's queue has questions of a speaker with an agency"
    qid = with_agency[0]
    agency = default_agency(st, st.questions[qid])
    card = page.split(f'id="mq-{qid}"', 1)[1].split("</li>", 1)[0]
    assert f'value="{agency}"' in card
    assert f'id="queue-deadline-{qid}"' in card and f'id="queue-defer-deadline-{qid}"' in card
    sent = client.post(
        "/api/v1/commands",
        headers={"Authorization": f"Bearer {moderator}"},
        json={
            "action": "forward_question",
            "question_id": qid,
            "agency": agency,
            "deadline": "2027-01-15",
        },
    )
    assert sent.status_code == 200, sent.text
    forwarding = state(app).questions[qid].forwarding
    assert forwarding is not None and str(forwarding.deadline) == "2027-01-15"
