"""The organiser's screens: sign-in, dialogues, setup forms, links and QR codes."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from session_server.config import load_settings
from session_server.core.model import BridgeKind, Phase, ProgrammeKind, Role, State
from session_server.demo import DEMO_BRIDGES, DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.access import ORGANISER_COOKIE
from session_server.web.app import create_app
from session_server.web.registry import Registry
from session_server.web.screens.organiser.auth import LOGIN_FREE

PASSWORD = "pw-for-tests"
SECRET = "x" * 32
DEMO = DEMO_DIALOGUE_ID
SETUP = f"/o/{DEMO}"
ACT = f"/o/{DEMO}/act"
LINKS = f"/o/{DEMO}/links"
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _app() -> TestClient:
    settings = dataclasses.replace(
        load_settings(None),
        organiser_password=Secret(PASSWORD),
        media=False,
        public_url="http://testserver",
    )
    log = MemoryEventLog()

    async def seed() -> None:
        session = DialogueSession(log, DEMO, settings.limits)
        await session.load()
        now = datetime.now(UTC)
        await session.execute_all(demo_commands(now), now)

    asyncio.run(seed())
    return TestClient(create_app(settings, log, SECRET))


@pytest.fixture
def anonymous() -> Iterator[TestClient]:
    with _app() as client:
        yield client


@pytest.fixture
def client() -> Iterator[TestClient]:
    with _app() as client:
        response = client.post("/o/login", data={"password": PASSWORD}, follow_redirects=False)
        assert response.status_code == 303
        yield client


def registry(client: TestClient) -> Registry:
    app = client.app
    assert isinstance(app, Starlette)
    result: Registry = app.state.registry
    return result


def state(client: TestClient, dialogue_id: str = DEMO) -> State:
    return registry(client).hubs[dialogue_id].session.state


def csrf(client: TestClient, path: str = SETUP) -> str:
    page = client.get(path)
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def act(
    client: TestClient,
    data: dict[str, Any],
    back: str = SETUP,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Post an organiser form the way the setup page does."""
    body = {"csrf": csrf(client), "back": back, **data}
    response: httpx.Response = client.post(ACT, data=body, headers=headers, follow_redirects=False)
    return response


# --- sign-in -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/o/", SETUP, LINKS, f"/o/{DEMO}/qr"])
def test_every_page_needs_the_organiser(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/o/login?next=")


def test_home_leads_to_the_sign_in(anonymous: TestClient) -> None:
    response = anonymous.get("/")
    assert response.url.path == "/o/login"
    assert "Đăng nhập ban tổ chức" in response.text
    english = anonymous.get("/o/login?lang=en")
    assert "Organiser sign-in" in english.text


def test_posts_and_qr_need_the_organiser(anonymous: TestClient) -> None:
    before = len(state(anonymous).bridges)
    response = anonymous.post(
        ACT, data={"action": "set_bridge_point", "bridge_id": "x", "name": "X"}
    )
    assert response.status_code == 401
    assert "Cần đăng nhập ban tổ chức" in response.text
    assert len(state(anonymous).bridges) == before
    assert anonymous.get(f"/o/{DEMO}/qr/whatever.svg").status_code == 401
    anonymous.cookies.set(ORGANISER_COOKIE, "forged.value.sig")
    forged = anonymous.get(SETUP, follow_redirects=False)
    assert forged.status_code == 303


def test_wrong_password_is_refused_in_both_languages(anonymous: TestClient) -> None:
    response = anonymous.post("/o/login", data={"password": "nope"})
    assert response.status_code == 401
    assert "Mật khẩu không đúng." in response.text
    assert "Wrong password." in response.text
    assert ORGANISER_COOKIE not in response.cookies
    assert anonymous.get("/o/", follow_redirects=False).status_code == 303


def test_failed_sign_ins_are_rate_limited(anonymous: TestClient) -> None:
    for _ in range(LOGIN_FREE.count):
        assert anonymous.post("/o/login", data={"password": "nope"}).status_code == 401
    limited = anonymous.post("/o/login", data={"password": "nope"})
    assert limited.status_code == 429
    assert "vui lòng đợi 2 giây" in limited.text and "please wait 2 seconds" in limited.text
    assert limited.headers["retry-after"] == "2"
    # while limited, even the right password waits
    right = anonymous.post("/o/login", data={"password": PASSWORD}, follow_redirects=False)
    assert right.status_code == 429
    assert ORGANISER_COOKIE not in right.cookies


def test_sign_in_sets_a_safe_cookie_and_returns_to_the_page(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/o/login", data={"password": PASSWORD, "next": LINKS}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == LINKS
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{ORGANISER_COOKIE}=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert anonymous.get(LINKS).status_code == 200


def test_sign_in_never_redirects_off_site(anonymous: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/o/", "/s/abc", "/o/\\evil"):
        response = anonymous.post(
            "/o/login", data={"password": PASSWORD, "next": target}, follow_redirects=False
        )
        assert response.headers["location"] == "/o/"


def test_sign_in_from_another_site_is_refused(anonymous: TestClient) -> None:
    response = anonymous.post(
        "/o/login", data={"password": PASSWORD}, headers={"origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert ORGANISER_COOKIE not in response.cookies


def test_sign_out(client: TestClient) -> None:
    response = client.get("/o/logout", follow_redirects=False)
    assert response.status_code == 303
    client.cookies.delete(ORGANISER_COOKIE)
    assert client.get("/o/", follow_redirects=False).status_code == 303


# --- the dialogues -----------------------------------------------------------


def test_the_list_links_every_dialogue(client: TestClient) -> None:
    page = client.get("/o/")
    assert page.status_code == 200
    assert f'href="/o/{DEMO}"' in page.text
    assert "Đối thoại giữa lãnh đạo Ủy ban nhân dân tỉnh" in page.text
    assert "Tạo buổi đối thoại mới" in page.text
    assert "Create a new dialogue" in client.get("/o/?lang=en").text


def test_create_a_dialogue(client: TestClient) -> None:
    token = csrf(client, "/o/")
    response = client.post(
        "/o/",
        data={
            "csrf": token,
            "action": "create_dialogue",
            "dialogue_id": "can-tho-2025",
            "title": "Đối thoại với thanh niên Cần Thơ",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/o/can-tho-2025"
    created = state(client, "can-tho-2025")
    assert created.created and created.dialogue.title == "Đối thoại với thanh niên Cần Thơ"
    assert created.dialogue.phase is Phase.DRAFT
    assert client.get("/o/can-tho-2025").status_code == 200
    assert 'href="/o/can-tho-2025"' in client.get("/o/").text


@pytest.mark.parametrize(
    ("dialogue_id", "title", "status", "vi"),
    [
        ("Bad Id!", "Tiêu đề", 400, "chỉ gồm chữ thường"),
        ("ok-id", "   ", 400, "không được để trống"),
        (DEMO, "Lần nữa", 409, "Buổi đối thoại đã được tạo."),
        ("login", "Tiêu đề", 400, "Không dùng được mã"),
    ],
)
def test_create_refusals(
    client: TestClient, dialogue_id: str, title: str, status: int, vi: str
) -> None:
    known = set(registry(client).known)
    token = csrf(client, "/o/")
    response = client.post(
        "/o/",
        data={
            "csrf": token,
            "action": "create_dialogue",
            "form": "create",
            "dialogue_id": dialogue_id,
            "title": title,
        },
    )
    assert response.status_code == status
    assert vi in response.text
    hubs = registry(client).hubs
    assert {d for d in hubs if hubs[d].session.state.created} == known


def test_create_needs_csrf(client: TestClient) -> None:
    response = client.post(
        "/o/", data={"action": "create_dialogue", "dialogue_id": "abc", "title": "T"}
    )
    assert response.status_code == 403
    assert "abc" not in registry(client).hubs


def test_unknown_dialogue_is_404(client: TestClient) -> None:
    assert client.get("/o/no-such-dialogue").status_code == 404
    assert client.get("/o/no-such-dialogue/links").status_code == 404
    assert client.get("/o/no-such-dialogue/qr").status_code == 404


# --- the setup page ----------------------------------------------------------


def test_setup_page_shows_everything(client: TestClient) -> None:
    page = client.get(SETUP)
    assert page.status_code == 200
    text = page.text
    for name in (
        "TP. Long Xuyên",
        "Việc làm, thị trường lao động",
        "Mai Đức Trí",
        "Thảo luận, đối thoại",
    ):
        assert name in text
    assert 'id="fairness"' in text and 'id="status"' in text
    assert "Chuyển sang giai đoạn: đã kết thúc" in text
    assert page.headers["cache-control"] == "no-store"
    english = client.get(SETUP + "?lang=en").text
    assert "Bridge points" in english and "Move to phase: closed" in english


def test_edit_and_add_bridge_points(client: TestClient) -> None:
    response = act(
        client,
        {
            "action": "set_bridge_point",
            "bridge_id": "long-xuyen",
            "name": "Thành phố Long Xuyên",
            "kind": "remote",
            "operator": "Người mới",
            "capacity": "150",
        },
        back=f"{SETUP}#org-bridges",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{SETUP}#org-bridges"
    bridge = state(client).bridges["long-xuyen"]
    assert (bridge.name, bridge.operator, bridge.capacity) == (
        "Thành phố Long Xuyên",
        "Người mới",
        150,
    )
    act(
        client,
        {
            "action": "set_bridge_point",
            "bridge_id": "an-phu-2",
            "name": "Xã mới",
            "kind": "remote",
            "operator": "",
            "capacity": "",
        },
    )
    assert state(client).bridges["an-phu-2"].kind is BridgeKind.REMOTE
    assert "Xã mới" in client.get(SETUP).text


def test_remove_a_bridge_point(client: TestClient) -> None:
    act(client, {"action": "set_bridge_point", "bridge_id": "tam-thoi", "name": "Tạm thời"})
    assert "tam-thoi" in state(client).bridges
    act(client, {"action": "remove_bridge_point", "bridge_id": "tam-thoi"})
    assert "tam-thoi" not in state(client).bridges
    # a bridge point with questions stays
    response = act(client, {"action": "remove_bridge_point", "bridge_id": "long-xuyen"})
    assert response.status_code == 409
    assert "long-xuyen" in state(client).bridges


def test_topics_with_default_speakers(client: TestClient) -> None:
    client.post(
        ACT,
        data={
            "csrf": csrf(client),
            "back": SETUP,
            "action": "set_topic",
            "topic_id": "moi-truong",
            "name": "Môi trường",
            "speaker_ids": ["nnptnt", "khcn"],
        },
    )
    topic = state(client).topics["moi-truong"]
    assert topic.name == "Môi trường"
    assert topic.speaker_ids == ("nnptnt", "khcn")
    # comma-separated ids work too; no box ticked clears them
    act(
        client,
        {
            "action": "set_topic",
            "topic_id": "moi-truong",
            "name": "Môi trường",
            "speaker_ids": "khcn, ubnd",
        },
    )
    assert state(client).topics["moi-truong"].speaker_ids == ("khcn", "ubnd")
    act(client, {"action": "set_topic", "topic_id": "moi-truong", "name": "Môi trường"})
    assert state(client).topics["moi-truong"].speaker_ids == ()


def test_speakers_with_topics(client: TestClient) -> None:
    client.post(
        ACT,
        data={
            "csrf": csrf(client),
            "back": SETUP,
            "action": "set_speaker",
            "speaker_id": "tnmt",
            "name": "Nguyễn Văn Mới",
            "position": "Giám đốc",
            "agency": "Sở Tài nguyên và Môi trường",
            "topic_ids": ["khac", "viec-lam"],
        },
    )
    speaker = state(client).speakers["tnmt"]
    assert (speaker.name, speaker.position, speaker.agency) == (
        "Nguyễn Văn Mới",
        "Giám đốc",
        "Sở Tài nguyên và Môi trường",
    )
    assert speaker.topic_ids == ("khac", "viec-lam")
    assert "Nguyễn Văn Mới" in client.get(SETUP).text


def test_unknown_speaker_for_a_topic_is_refused(client: TestClient) -> None:
    response = act(
        client, {"action": "set_topic", "topic_id": "x-topic", "name": "X", "speaker_ids": "nobody"}
    )
    assert response.status_code == 404
    assert "x-topic" not in state(client).topics


def test_programme_from_lines(client: TestClient) -> None:
    lines = "mo-dau | Khai mạc | opening | 5\n\nhoi-dap | Hỏi đáp | discussion | 90\n"
    response = act(client, {"action": "set_programme", "items": lines})
    assert response.status_code == 303
    programme = state(client).programme
    assert [(i.item_id, i.title, i.kind, i.planned_minutes) for i in programme] == [
        ("mo-dau", "Khai mạc", ProgrammeKind.OPENING, 5),
        ("hoi-dap", "Hỏi đáp", ProgrammeKind.DISCUSSION, 90),
    ]


def test_dialogue_fields_and_legal_basis_lines(client: TestClient) -> None:
    act(
        client,
        {
            "action": "update_dialogue",
            "title": "Tiêu đề mới",
            "theme": "Chủ đề",
            "host_body": "UBND tỉnh",
            "parent_body": "",
            "place": "Hội trường",
            "starts_at": "2025-03-26T08:00",
            "legal_basis": "Căn cứ Luật Thanh niên, năm 2020;\r\n\r\nCăn cứ Nghị định 13;",
        },
    )
    dialogue = state(client).dialogue
    assert dialogue.title == "Tiêu đề mới"
    assert dialogue.legal_basis == ("Căn cứ Luật Thanh niên, năm 2020;", "Căn cứ Nghị định 13;")
    assert dialogue.starts_at is not None
    assert dialogue.starts_at.astimezone(UTC).hour == 1  # 08:00 in Vietnam
    assert 'value="2025-03-26T08:00"' in client.get(SETUP).text


def test_intake_deadline_set_and_cleared(client: TestClient) -> None:
    act(client, {"action": "set_intake_deadline", "deadline": "2030-01-02T17:00"})
    deadline = state(client).dialogue.intake_deadline
    assert deadline is not None and deadline.year == 2030
    act(client, {"action": "set_intake_deadline", "deadline": ""})
    assert state(client).dialogue.intake_deadline is None


def test_phase_moves_to_the_next_phase_only(client: TestClient) -> None:
    response = act(client, {"action": "change_phase", "phase": "draft"})
    assert response.status_code == 409
    assert state(client).dialogue.phase is Phase.LIVE
    act(client, {"action": "change_phase", "phase": "closed"})
    assert state(client).dialogue.phase is Phase.CLOSED
    assert "Buổi đối thoại đã kết thúc." in client.get(SETUP).text


def test_organiser_may_not_act_as_moderator(client: TestClient) -> None:
    response = act(client, {"action": "approve_question", "question_id": "3"})
    assert response.status_code == 403
    assert "Vai trò ban tổ chức không được thực hiện thao tác này." in response.text


# --- refusals change nothing ---------------------------------------------------


def test_post_without_csrf_changes_nothing(client: TestClient) -> None:
    response = client.post(
        ACT, data={"action": "set_bridge_point", "bridge_id": "x-new", "name": "X"}
    )
    assert response.status_code == 403
    assert "Phiên làm việc đã hết hạn" in response.text
    bad = client.post(
        ACT,
        data={"csrf": "0" * 32, "action": "set_bridge_point", "bridge_id": "x-new", "name": "X"},
    )
    assert bad.status_code == 403
    assert "x-new" not in state(client).bridges


def test_post_from_another_site_changes_nothing(client: TestClient) -> None:
    response = act(
        client,
        {"action": "set_bridge_point", "bridge_id": "x-new", "name": "X"},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "Yêu cầu đến từ trang khác" in response.text
    assert "x-new" not in state(client).bridges
    same = act(
        client,
        {"action": "set_bridge_point", "bridge_id": "x-new", "name": "X"},
        headers={"origin": "http://testserver"},
    )
    assert same.status_code == 303


def test_invalid_bridge_id_is_explained_in_both_languages(client: TestClient) -> None:
    before = dict(state(client).bridges)
    data = {
        "action": "set_bridge_point",
        "form": "add-bridge",
        "bridge_id": "Bad Id!",
        "name": "Điểm cầu thử",
        "kind": "remote",
        "capacity": "10",
    }
    response = act(client, data, back=f"{SETUP}#org-bridges")
    assert response.status_code == 400
    text = response.text
    assert "Mã điểm cầu chỉ gồm chữ thường không dấu" in text
    assert 'value="Điểm cầu thử"' in text  # kept for a retry
    client.cookies.set("lang", "en")
    english = act(client, data).text
    assert "Bridge point id may contain only lower-case ASCII letters" in english
    assert state(client).bridges == before


def test_malformed_programme_is_refused_and_kept(client: TestClient) -> None:
    before = list(state(client).programme)
    bad = "mo-dau | Khai mạc | opening | 5\nthis line has no fields"
    response = act(
        client,
        {"action": "set_programme", "form": "programme", "items": bad},
        back=f"{SETUP}#org-programme",
    )
    assert response.status_code == 400
    text = response.text
    assert "Chương trình không hợp lệ." in text
    assert state(client).programme == before
    client.cookies.set("lang", "en")
    english = act(client, {"action": "set_programme", "items": "a | b | nonsense-kind | 5"})
    assert "Programme is not valid." in english.text
    assert state(client).programme == before


def test_back_is_limited_to_organiser_pages(client: TestClient) -> None:
    for back in ("https://evil.example/", "//evil.example", "/s/token", "/o/x/../../s"):
        response = act(client, {"action": "set_intake_deadline", "deadline": ""}, back=back)
        assert response.headers["location"] == SETUP


# --- links and QR codes ---------------------------------------------------------


def _issue_standard(client: TestClient) -> None:
    response = act(client, {"action": "issue_standard_links"}, back=f"{LINKS}#org-links")
    assert response.status_code == 303


def _token(client: TestClient, link_id: str) -> str:
    token: str = registry(client).access.link_token(DEMO, link_id)
    return token


def test_issue_standard_links_once(client: TestClient) -> None:
    _issue_standard(client)
    links = state(client).links
    bridges, speakers = len(state(client).bridges), len(state(client).speakers)
    assert len(links) == 2 + 3 * bridges + speakers
    _issue_standard(client)
    assert len(state(client).links) == len(links)
    page = client.get(LINKS).text
    for link in links.values():
        prefix = "/j/" if link.role is Role.ATTENDEE else "/s/"
        assert f"http://testserver{prefix}{_token(client, link.link_id)}" in page
    assert "Đã đủ bộ đường dẫn chuẩn." in page


def test_issue_one_link_with_a_server_made_id(client: TestClient) -> None:
    act(
        client,
        {
            "action": "issue_link",
            "role": "attendee",
            "bridge_id": "cho-moi",
            "label": "Bàn lễ tân",
            "link_id": "chosen-by-client",
        },
        back=LINKS,
    )
    links = list(state(client).links.values())
    assert len(links) == 1
    assert links[0].link_id != "chosen-by-client"
    assert (links[0].role, links[0].bridge_id, links[0].label) == (
        Role.ATTENDEE,
        "cho-moi",
        "Bàn lễ tân",
    )
    refused = act(client, {"action": "issue_link", "role": "bridge", "form": "issue"}, back=LINKS)
    assert refused.status_code == 400
    assert "cần chọn điểm cầu" in refused.text
    assert len(state(client).links) == 1


def test_revoked_link_stops_working_at_once(client: TestClient) -> None:
    _issue_standard(client)
    moderator = next(link for link in state(client).links.values() if link.role is Role.MODERATOR)
    token = _token(client, moderator.link_id)
    assert client.get(f"/s/{token}").status_code == 200
    asked = act(
        client, {"action": "revoke_link", "link_id": moderator.link_id}, back=f"{LINKS}#org-links"
    )
    # one click only asks: nothing is revoked before the organiser confirms
    assert asked.status_code == 200
    assert 'id="org-revoke-confirm"' in asked.text
    assert "Thu hồi đường dẫn này?" in asked.text and "Revoke this link?" not in asked.text
    assert state(client).links[moderator.link_id].active
    assert client.get(f"/s/{token}").status_code == 200
    confirm = re.search(r'id="org-revoke-confirm".*?name="confirm" value="(yes)"', asked.text, re.S)
    assert confirm
    response = act(
        client,
        {"action": "revoke_link", "link_id": moderator.link_id, "confirm": "yes"},
        back=f"{LINKS}#org-links",
    )
    assert response.status_code == 303
    assert not state(client).links[moderator.link_id].active
    page = client.get(f"/s/{token}")
    assert page.status_code == 403
    assert "Đường dẫn này đã bị thu hồi" in page.text
    assert "This link has been revoked" in page.text
    assert "Đã thu hồi" in client.get(LINKS).text
    again = act(
        client,
        {"action": "revoke_link", "link_id": moderator.link_id, "confirm": "yes"},
        back=LINKS,
    )
    assert again.status_code == 409


def test_qr_code_of_an_attendee_link(client: TestClient) -> None:
    _issue_standard(client)
    links = state(client).links.values()
    attendee = next(link for link in links if link.role is Role.ATTENDEE)
    response = client.get(f"/o/{DEMO}/qr/{attendee.link_id}.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    moderator = next(link for link in links if link.role is Role.MODERATOR)
    assert client.get(f"/o/{DEMO}/qr/{moderator.link_id}.svg").status_code == 404
    assert client.get(f"/o/{DEMO}/qr/no-such-link.svg").status_code == 404
    act(
        client, {"action": "revoke_link", "link_id": attendee.link_id, "confirm": "yes"}, back=LINKS
    )
    assert client.get(f"/o/{DEMO}/qr/{attendee.link_id}.svg").status_code == 403


def test_qr_sheet_lists_every_bridge_point(client: TestClient) -> None:
    sheet = client.get(f"/o/{DEMO}/qr")
    assert "Chưa có mã QR nào" in sheet.text
    _issue_standard(client)
    sheet = client.get(f"/o/{DEMO}/qr")
    assert sheet.status_code == 200
    text = sheet.text
    assert len(DEMO_BRIDGES) == 12
    for _bridge_id, name, *_rest in DEMO_BRIDGES:
        assert f'<h2 class="qr-bridge">{name}</h2>' in text
    assert text.count('class="qr-code"') == 12
    assert "Quét mã để gửi câu hỏi" in text and "Scan the code to send your question" in text
    assert "@page" in text
    for link in state(client).links.values():
        if link.role is Role.ATTENDEE:
            assert f"/o/{DEMO}/qr/{link.link_id}.svg" in text
            assert f"http://testserver/j/{_token(client, link.link_id)}" in text


# --- escaping ----------------------------------------------------------------------


def test_user_text_is_escaped_on_every_organiser_page(client: TestClient) -> None:
    act(client, {"action": "set_bridge_point", "bridge_id": "xss", "name": XSS})
    act(
        client,
        {
            "action": "set_speaker",
            "speaker_id": "xss-speaker",
            "name": XSS,
            "position": XSS,
            "agency": XSS,
        },
    )
    act(client, {"action": "set_topic", "topic_id": "xss-topic", "name": XSS})
    act(client, {"action": "update_dialogue", "title": XSS, "theme": XSS, "legal_basis": XSS})
    _issue_standard(client)
    assert state(client).bridges["xss"].name == XSS
    for path in ("/o/", SETUP, LINKS, f"/o/{DEMO}/qr", f"{SETUP}?lang=en"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert XSS not in page.text, path
        assert ESCAPED in page.text, path
    refused = act(
        client,
        {"action": "set_bridge_point", "form": "add-bridge", "bridge_id": "Bad Id!", "name": XSS},
    )
    assert XSS not in refused.text and ESCAPED in refused.text


def test_links_are_grouped_by_bridge_point_with_a_sheet_each(client: TestClient) -> None:
    _issue_standard(client)
    page = client.get(LINKS).text
    group = page.split('id="links-cho-moi"')[1].split("</tbody>")[0]
    assert f"/o/{DEMO}/qr?bridge=cho-moi" in group
    roles = {link.role for link in state(client).links.values() if link.bridge_id == "cho-moi"}
    assert Role.BRIDGE_OPERATOR in roles and Role.ATTENDEE in roles
    assert group.count("<tr") == 1 + len(
        [link for link in state(client).links.values() if link.bridge_id == "cho-moi"]
    )
    sheet = client.get(f"/o/{DEMO}/qr?bridge=cho-moi").text
    assert sheet.count('class="card qr-sheet"') == 1  # the attendees' poster of that point
    staff = sheet.split('id="qr-staff-cho-moi"')[1]
    operator = next(
        link
        for link in state(client).links.values()
        if link.bridge_id == "cho-moi" and link.role is Role.BRIDGE_OPERATOR
    )
    assert f"/o/{DEMO}/qr/{operator.link_id}.svg?page=camera" in staff
    assert "/camera</p>" in staff
    camera = client.get(f"/o/{DEMO}/qr/{operator.link_id}.svg?page=camera")
    assert camera.status_code == 200 and camera.headers["content-type"] == "image/svg+xml"
    assert 'id="qr-staff-' not in client.get(f"/o/{DEMO}/qr").text


def test_programme_rows_with_vietnamese_kinds_and_the_city_template(client: TestClient) -> None:
    rows = {
        "action": "set_programme",
        "item_id": ["", "", ""],
        "title": ["Khai mạc", "Đối thoại", ""],
        "kind": ["opening", "thảo luận, đối thoại", "other"],
        "minutes": ["5", "90", "0"],
    }
    assert act(client, rows).status_code == 303
    programme = state(client).programme
    assert [(i.item_id, i.kind, i.planned_minutes) for i in programme] == [
        ("khai-mac", ProgrammeKind.OPENING, 5),
        ("doi-thoai", ProgrammeKind.DISCUSSION, 90),
    ]
    page = client.get(SETUP).text
    section = page.split('id="org-programme"')[1].split("</section>")[0]
    assert '<option value="discussion" selected>thảo luận, đối thoại</option>' in section
    assert "| opening |" not in section
    renamed = {
        "action": "set_programme",
        "item_id": ["khai-mac", "doi-thoai"],
        "title": ["Khai mạc hội nghị", "Đối thoại"],
        "kind": ["opening", "discussion"],
        "minutes": ["10", "90"],
        "remove": ["doi-thoai"],
    }
    assert act(client, renamed).status_code == 303
    assert [(i.item_id, i.title) for i in state(client).programme] == [
        ("khai-mac", "Khai mạc hội nghị")
    ]
    assert act(client, {"action": "programme_template"}).status_code == 303
    programme = state(client).programme
    assert len(programme) == 7
    assert [i.kind for i in programme] == [
        ProgrammeKind.OPENING,
        ProgrammeKind.KEYNOTE,
        ProgrammeKind.DISCUSSION,
        ProgrammeKind.SPEECHES,
        ProgrammeKind.DIRECTIVE,
        ProgrammeKind.CONCLUSION,
        ProgrammeKind.CLOSING,
    ]
    assert programme[0].title == "Tuyên bố lý do, giới thiệu đại biểu"
    assert programme[-1].item_id == "be-mac-chup-anh-luu-niem"


def test_added_things_get_ids_from_their_names(client: TestClient) -> None:
    page = client.get(SETUP).text
    adding = page.split('id="add-bridge"')[1].split("</tr>")[0]
    assert 'name="bridge_id" value=""' in adding and "required" not in adding.split("name=")[1]
    added = act(client, {"action": "set_bridge_point", "bridge_id": "", "name": "Thị xã Mới"})
    assert added.status_code == 303
    assert state(client).bridges["thi-xa-moi"].name == "Thị xã Mới"
    act(client, {"action": "set_bridge_point", "bridge_id": "thi-xa-moi", "name": "TX. Mới"})
    assert state(client).bridges["thi-xa-moi"].name == "TX. Mới"
    act(client, {"action": "set_topic", "topic_id": "", "name": "Nhà ở xã hội"})
    assert "nha-o-xa-hoi" in state(client).topics
    speaker = {
        "action": "set_speaker",
        "speaker_id": "",
        "name": "Trần Thị B",
        "agency": "Sở Xây dựng",
        "topic_ids": "nha-o-xa-hoi",
    }
    act(client, speaker)
    assert state(client).speakers["tran-thi-b"].topic_ids == ("nha-o-xa-hoi",)
    topics = client.get(SETUP).text.split('id="org-topics"')[1].split("</section>")[0]
    row = topics.split('id="topic-nha-o-xa-hoi"')[1].split("</tr>")[0]
    assert re.search(r'value="tran-thi-b"\s+checked', row)
