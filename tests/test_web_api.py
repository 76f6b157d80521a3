"""The JSON API: same rules and errors as the screens, JSON in and out."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.datastructures import Secret
from starlette.routing import Route
from starlette.testclient import TestClient

from session_server.catalogue import MESSAGES
from session_server.config import load_settings
from session_server.core.commands import Command, IssueLink, RevokeLink
from session_server.core.model import Actor, Role
from session_server.demo import DEMO_DIALOGUE_ID, DEMO_QUESTIONS, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.access import DEVICE_COOKIE, ORGANISER_COOKIE
from session_server.web.app import create_app
from session_server.web.transport import api, openapi

ORGANISER = Actor(Role.ORGANISER)
BRIDGE_A = "chau-doc"
BRIDGE_B = "tan-chau"

LINKS: dict[str, tuple[Role, str | None]] = {
    "apimodlink01": (Role.MODERATOR, None),
    "apiseclink01": (Role.SECRETARY, None),
    "apiphonelnk1": (Role.ATTENDEE, BRIDGE_A),
    "apibridgeA01": (Role.BRIDGE_OPERATOR, BRIDGE_A),
    "apibridgeB01": (Role.BRIDGE_OPERATOR, BRIDGE_B),
    "apidisplay01": (Role.DISPLAY, BRIDGE_A),
    "apirevoked01": (Role.MODERATOR, None),
}
N_DEMO = len(DEMO_QUESTIONS)


def seed_commands(now: datetime) -> list[Command]:
    commands: list[Command] = list(demo_commands(now))
    for link_id, (role, bridge) in LINKS.items():
        commands.append(IssueLink(ORGANISER, link_id, role, bridge_id=bridge))
    commands.append(RevokeLink(ORGANISER, "apirevoked01"))
    return commands


@pytest.fixture
def app() -> Starlette:
    settings = dataclasses.replace(
        load_settings(None),
        organiser_password=Secret("pw"),
        media=False,
        public_url="http://testserver",
    )
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)

    async def seed() -> None:
        await session.load()
        await session.execute_all(seed_commands(datetime.now(UTC)), datetime.now(UTC))

    asyncio.run(seed())
    return create_app(settings, log, "x" * 32)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def token(app: Starlette, link_id: str) -> str:
    result: str = app.state.registry.access.link_token(DEMO_DIALOGUE_ID, link_id)
    return result


def bearer(app: Starlette, link_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(app, link_id)}"}


def state_of(app: Starlette) -> Any:
    return app.state.registry.hubs[DEMO_DIALOGUE_ID].session


def phone(client: TestClient, app: Starlette) -> dict[str, str]:
    """Open the phone page (it sets the device cookie); the phone's headers."""
    response = client.get(f"/j/{token(app, 'apiphonelnk1')}")
    assert response.status_code == 200
    assert DEVICE_COOKIE in client.cookies
    return bearer(app, "apiphonelnk1")


def command(client: TestClient, app: Starlette, link_id: str, **body: Any) -> Any:
    return client.post("/api/v1/commands", json=body, headers=bearer(app, link_id))


def assert_refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code
    assert set(body["message"]) == {"vi", "en"}
    assert body["message"]["vi"] and body["message"]["en"]
    assert body["message"]["vi"] != body["message"]["en"]
    return body


# --- a tiny JSON Schema check for the subset the document uses ---


def check_schema(value: Any, schema: dict[str, Any], doc: dict[str, Any], where: str = "$") -> None:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        check_schema(value, doc["components"]["schemas"][name], doc, where)
        return
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                check_schema(value, option, doc, where)
                return
            except AssertionError as error:
                errors.append(str(error))
        raise AssertionError(f"{where}: matches no option: {errors}")
    if "const" in schema:
        assert value == schema["const"], where
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in enum"
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        kinds = {
            "string": str,
            "integer": int,
            "boolean": bool,
            "null": type(None),
            "object": dict,
            "array": list,
        }
        ok = any(
            isinstance(value, kinds[n]) and not (n == "integer" and isinstance(value, bool))
            for n in names
        )
        assert ok, f"{where}: {value!r} is not {names}"
    if isinstance(value, dict) and "properties" in schema:
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(schema["properties"])
            assert not extra, f"{where}: undocumented {sorted(extra)}"
        for name, sub in schema["properties"].items():
            if name in value:
                check_schema(value[name], sub, doc, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check_schema(item, schema["items"], doc, f"{where}[{i}]")


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document of the test app's settings (the default limits)."""
    return openapi.openapi_document(load_settings(None).limits)


def check_response(response: Any, path: str, method: str = "get") -> None:
    doc = document()
    operation = doc["paths"][path][method]
    spec = operation["responses"][str(response.status_code)]
    if "$ref" in spec:
        spec = doc["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    check_schema(response.json(), spec["content"]["application/json"]["schema"], doc)


# --- public state ---


def test_public_state_shows_the_floor_and_nothing_private(
    client: TestClient, app: Starlette
) -> None:
    headers = phone(client, app)
    secret_text = "Câu hỏi riêng chưa duyệt từ điện thoại"
    response = client.post(
        "/api/v1/questions",
        headers=headers,
        json={
            "text": secret_text,
            "idempotency_key": "privatekey01",
            "asker_name": "Ẩn Danh",
        },
    )
    assert response.status_code == 201
    # the public list is closed: no queue yet
    public = client.get(f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/public")
    assert public.status_code == 200
    assert public.json()["public_list_open"] is False
    assert public.json()["queue"] == []
    check_response(public, "/api/v1/dialogues/{dialogue_id}/public")

    assert command(client, app, "apimodlink01", action="set_public_list", open=True).json()["ok"]
    assert (
        command(
            client,
            app,
            "apimodlink01",
            action="give_floor",
            bridge_id=BRIDGE_A,
            question_id=2,
            speaker_id="ldtbxh",
            question_seconds=120,
        ).status_code
        == 200
    )
    public = client.get(f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/public")
    body = public.json()
    check_response(public, "/api/v1/dialogues/{dialogue_id}/public")
    assert body["dialogue"]["title"].startswith("Đối thoại")
    assert body["dialogue"]["phase"] == "live"
    assert body["current_item"]["item_id"] == "doi-thoai"
    floor = body["floor"]
    assert floor["holder"] == {
        "bridge_id": BRIDGE_A,
        "name": state_of(app).state.bridges[BRIDGE_A].name,
    }
    assert floor["question"]["question_id"] == 2
    assert floor["speaker"]["name"] == "Mai Đức Trí"
    assert floor["speaker"]["agency"]
    assert floor["question_ends_at"] and floor["answer_ends_at"] is None
    assert datetime.fromisoformat(floor["question_ends_at"]).tzinfo is not None
    # question 2's asker did not consent: not named on the floor
    assert floor["question"]["askers"] == []
    queued = {q["question_id"]: q for q in body["queue"]}
    assert queued and all(q["status"] == "approved" for q in queued.values())
    assert 2 not in queued  # on the floor, not in the queue
    assert 3 not in queued  # never approved (every third demo question)
    assert N_DEMO + 1 not in queued  # the phone's question is still submitted
    assert queued[1]["askers"] == [
        {"name": "Trần Thị Mỹ Linh", "unit": "Đoàn Trường Đại học An Giang"}
    ]
    assert queued[1]["bridge"]["bridge_id"] == "long-xuyen"
    assert queued[1]["topic"]["topic_id"] == "viec-lam"
    assert isinstance(body["epoch"], str) and body["seq"] == state_of(app).seq
    text = public.text
    assert secret_text not in text
    assert "Ẩn Danh" not in text
    assert "Nguyễn Văn Tài" not in text  # question 2, asker_public=False
    assert "device:" not in text and "submitted_by" not in text and "voters" not in text
    device_id = app.state.registry.access.read_device(client.cookies.get(DEVICE_COOKIE))
    assert device_id not in text


def test_public_state_of_an_unknown_dialogue(client: TestClient) -> None:
    assert_refused(client.get("/api/v1/dialogues/no-such-day/public"), 404, "dialogue.not_found")
    assert_refused(client.get("/api/v1/dialogues/BAD ID/public"), 400, "input.bad_identifier")


# --- submitting ---


def test_phone_submits_and_a_retry_makes_no_duplicate(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    body = {
        "text": "Xin hỏi về học bổng?",
        "idempotency_key": "retrykey0001",
        "asker_name": "Lan",
        "asker_public": True,
    }
    first = client.post("/api/v1/questions", headers=headers, json=body)
    assert first.status_code == 201
    check_response(first, "/api/v1/questions", "post")
    assert first.json()["question_id"] == N_DEMO + 1
    assert first.json()["status"] == "submitted"
    seq = state_of(app).seq
    assert first.json()["seq"] == seq
    again = client.post("/api/v1/questions", headers=headers, json=body)
    assert again.status_code == 200
    check_response(again, "/api/v1/questions", "post")
    assert again.json()["question_id"] == N_DEMO + 1
    assert state_of(app).seq == seq
    assert len(state_of(app).state.questions) == N_DEMO + 1
    question = state_of(app).state.questions[N_DEMO + 1]
    assert question.bridge_id == BRIDGE_A and question.origin.value == "phone"


def test_too_long_question_is_refused_in_both_languages(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    seq = state_of(app).seq
    response = client.post(
        "/api/v1/questions",
        headers=headers,
        json={"text": "a" * 1001, "idempotency_key": "toolongkey01"},
    )
    body = assert_refused(response, 422, "input.schema.too_long")  # the model's bound
    check_response(response, "/api/v1/questions", "post")
    assert "1000" in body["message"]["vi"] and "1000" in body["message"]["en"]
    assert "Câu hỏi" in body["message"]["vi"]
    assert state_of(app).seq == seq
    assert len(state_of(app).state.questions) == N_DEMO


def test_markup_is_stored_and_returned_as_text(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    text = "<script>alert('x')</script> & <b>đậm</b>"
    response = client.post(
        "/api/v1/questions", headers=headers, json={"text": text, "idempotency_key": "markupkey001"}
    )
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    question_id = response.json()["question_id"]
    assert state_of(app).state.questions[question_id].text == text
    mine = client.get("/api/v1/questions/mine", headers=headers)
    assert mine.headers["content-type"].startswith("application/json")
    assert [q["text"] for q in mine.json()["questions"]] == [text]
    # the phone page shows the same question escaped, never as markup
    page = client.get(f"/j/{token(app, 'apiphonelnk1')}")
    assert "&lt;script&gt;alert(" in page.text
    assert "<script>alert(" not in page.text
    assert "&lt;b&gt;đậm&lt;/b&gt;" in page.text


def test_bridge_point_comes_from_the_link(client: TestClient, app: Starlette) -> None:
    response = client.post(
        "/api/v1/questions",
        headers=bearer(app, "apibridgeA01"),
        json={
            "text": "Câu hỏi từ hội trường huyện",
            "idempotency_key": "bridgekey001",
            "bridge_id": BRIDGE_B,
            "origin": "imported",
            "asker_name": "Ông Bảy",
        },
    )
    assert response.status_code == 201
    question = state_of(app).state.questions[response.json()["question_id"]]
    assert question.bridge_id == BRIDGE_A
    assert question.origin.value == "bridge"
    assert question.submitted_by == f"bridge:{BRIDGE_A}"
    # the operator follows its bridge's questions, not bridge B's
    mine = client.get("/api/v1/questions/mine", headers=bearer(app, "apibridgeA01"))
    assert mine.status_code == 200
    check_response(mine, "/api/v1/questions/mine")
    listed = mine.json()["questions"]
    assert {q["bridge_id"] for q in listed} == {BRIDGE_A}
    assert question.question_id in {q["question_id"] for q in listed}
    assert 2 in {q["question_id"] for q in listed}  # pre-collected at Châu Đốc
    other = client.get("/api/v1/questions/mine", headers=bearer(app, "apibridgeB01")).json()
    assert question.question_id not in {q["question_id"] for q in other["questions"]}


def test_operator_cannot_request_the_floor_for_another_bridge(
    client: TestClient, app: Starlette
) -> None:
    seq = state_of(app).seq
    response = command(client, app, "apibridgeA01", action="request_floor", bridge_id=BRIDGE_B)
    assert_refused(response, 403, "role.other_bridge")
    assert BRIDGE_B in response.json()["message"]["en"]
    assert state_of(app).seq == seq
    own = command(client, app, "apibridgeA01", action="request_floor", note="Có câu hỏi")
    assert own.status_code == 200
    assert own.json()["events"] == ["FloorRequested"]
    check_response(own, "/api/v1/commands", "post")
    pending = state_of(app).state.pending_floor_requests()
    assert [r.bridge_id for r in pending] == [BRIDGE_A]


def test_operator_cannot_submit_for_another_bridge_through_commands(
    client: TestClient, app: Starlette
) -> None:
    response = command(
        client,
        app,
        "apibridgeA01",
        action="submit_question",
        text="Hỏi hộ huyện khác",
        idempotency_key="otherbridge1",
        bridge_id=BRIDGE_B,
    )
    assert_refused(response, 403, "role.other_bridge")
    done = command(
        client,
        app,
        "apibridgeA01",
        action="submit_question",
        text="Hỏi cho huyện mình",
        idempotency_key="ownbridge001",
    )
    assert done.status_code == 200
    assert done.json()["question_id"] == N_DEMO + 1
    assert done.json()["events"] == ["QuestionSubmitted"]


# --- commands ---


def test_phone_cannot_replay_a_moderator_command(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    seq = state_of(app).seq
    response = client.post(
        "/api/v1/commands", headers=headers, json={"action": "approve_question", "question_id": 3}
    )
    body = assert_refused(response, 403, "role.forbidden")
    check_response(response, "/api/v1/commands", "post")
    assert "người tham dự" in body["message"]["vi"]
    assert state_of(app).seq == seq


def test_moderator_approves_and_the_phone_sees_it(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    made = client.post(
        "/api/v1/questions",
        headers=headers,
        json={"text": "Khi nào có kết quả?", "idempotency_key": "approvekey01"},
    )
    question_id = made.json()["question_id"]
    mine = client.get("/api/v1/questions/mine", headers=headers)
    check_response(mine, "/api/v1/questions/mine")
    assert [(q["question_id"], q["status"]) for q in mine.json()["questions"]] == [
        (question_id, "submitted")
    ]
    done = command(client, app, "apimodlink01", action="approve_question", question_id=question_id)
    assert done.status_code == 200
    check_response(done, "/api/v1/commands", "post")
    assert done.json()["ok"] is True
    assert done.json()["events"] == ["QuestionApproved"]
    assert done.json()["seq"] == state_of(app).seq
    mine = client.get("/api/v1/questions/mine", headers=headers).json()
    assert [(q["question_id"], q["status"]) for q in mine["questions"]] == [
        (question_id, "approved")
    ]
    assert mine["seq"] == state_of(app).seq
    # approving twice is an illegal transition
    assert_refused(
        command(client, app, "apimodlink01", action="approve_question", question_id=question_id),
        409,
        "question.illegal_transition",
    )


def test_commands_refuse_unknown_actions_and_bad_fields(client: TestClient, app: Starlette) -> None:
    assert_refused(
        command(client, app, "apimodlink01", action="drop_tables"), 400, "command.unknown"
    )
    assert_refused(
        command(client, app, "apimodlink01", action="approve_question", question_id="seven"),
        422,
        "input.schema.type",
    )
    assert_refused(
        command(client, app, "apimodlink01", action="approve_question", question_id=9999),
        404,
        "question.not_found",
    )
    assert_refused(
        command(client, app, "apidisplay01", action="release_floor"), 403, "role.forbidden"
    )


def test_secretary_records_through_commands(client: TestClient, app: Starlette) -> None:
    command(client, app, "apimodlink01", action="give_floor", bridge_id="long-xuyen", question_id=1)
    response = command(
        client,
        app,
        "apiseclink01",
        action="add_commitment",
        question_id=1,
        what="Tổ chức ngày hội việc làm",
        who="Sở LĐTBXH",
        by_when="2099-06-30",
    )
    assert response.status_code == 200
    assert response.json()["events"] == ["CommitmentAdded"]
    # what was recorded, as the full state and the bridge point's own list show it
    assert (
        command(
            client,
            app,
            "apimodlink01",
            action="forward_question",
            question_id=1,
            agency="Sở Nội vụ",
            deadline="2099-07-15",
            note="Ngoài thẩm quyền",
        ).status_code
        == 200
    )
    assert (
        command(
            client, app, "apimodlink01", action="merge_question", question_id=5, into_id=4
        ).status_code
        == 200
    )
    assert (
        command(
            client, app, "apibridgeA01", action="request_floor", note="Xin phát biểu"
        ).status_code
        == 200
    )
    response = client.get(
        f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state", headers=bearer(app, "apiseclink01")
    )
    check_response(response, "/api/v1/dialogues/{dialogue_id}/state")
    body = response.json()
    q1 = next(q for q in body["questions"] if q["question_id"] == 1)
    assert q1["status"] == "forwarded"
    assert q1["forwarding"] == {
        "agency": "Sở Nội vụ",
        "deadline": "2099-07-15",
        "note": "Ngoài thẩm quyền",
    }
    assert q1["answer"]["commitments"] == [
        {
            "commitment_id": 1,
            "what": "Tổ chức ngày hội việc làm",
            "who": "Sở LĐTBXH",
            "by_when": "2099-06-30",
        }
    ]
    q4 = next(q for q in body["questions"] if q["question_id"] == 4)
    assert q4["merged_from"] == [5] and len(q4["origins"]) == 2
    assert [(r["bridge_id"], r["status"], r["note"]) for r in body["floor_requests"]] == [
        (BRIDGE_A, "pending", "Xin phát biểu")
    ]
    assert {b["bridge_id"] for b in body["bridges"]} >= {BRIDGE_A, BRIDGE_B}
    assert all(isinstance(t["speaker_ids"], list) for t in body["topics"])


def test_a_command_sent_again_with_its_command_id_is_done_once(
    client: TestClient, app: Starlette
) -> None:
    body = {"action": "approve_question", "question_id": 3, "command_id": "approve-3-api-01"}
    first = command(client, app, "apimodlink01", **body)
    assert first.status_code == 200 and first.json()["events"] == ["QuestionApproved"]
    again = command(client, app, "apimodlink01", **body)  # the first answer was lost
    assert again.status_code == 200, again.text
    assert again.json()["events"] == [] and again.json()["seq"] == first.json()["seq"]
    assert_refused(
        command(client, app, "apimodlink01", action="approve_question", question_id=3),
        409,
        "question.illegal_transition",
    )
    assert_refused(
        command(
            client,
            app,
            "apimodlink01",
            action="move_question",
            question_id=3,
            position=0,
            command_id="no good",
        ),
        400,
        "input.bad_command_id",
    )


def test_a_retried_command_id_is_not_charged_to_the_rate_limit(
    client: TestClient, app: Starlette
) -> None:
    headers = phone(client, app)
    body = {"text": "Câu hỏi gửi lại nhiều lần?", "idempotency_key": "k-limit-00001"}
    first = client.post(
        "/api/v1/commands",
        headers=headers,
        json={"action": "submit_question", **body, "command_id": "limit-cmd-1"},
    )
    assert first.status_code == 200, first.text
    for n in range(8):  # a flaky link resends it (with a new key even): not "too fast"
        again = client.post(
            "/api/v1/commands",
            headers=headers,
            json={
                "action": "submit_question",
                **body,
                "idempotency_key": f"k-limit-1{n:04d}",
                "command_id": "limit-cmd-1",
            },
        )
        assert again.status_code == 200, again.text
        assert again.json()["events"] == []


def test_a_stale_summary_save_is_refused_not_truncated(client: TestClient, app: Starlette) -> None:
    command(client, app, "apimodlink01", action="give_floor", bridge_id="long-xuyen", question_id=1)
    path = f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state"

    def answer() -> Any:
        response = client.get(path, headers=bearer(app, "apiseclink01"))
        check_response(response, "/api/v1/dialogues/{dialogue_id}/state")
        (q1,) = [q for q in response.json()["questions"] if q["question_id"] == 1]
        return q1["answer"]

    assert answer()["revision"] == 0
    save = {"action": "record_answer_summary", "question_id": 1}
    saved = command(client, app, "apiseclink01", **save, summary="Sở trả lời.", base_revision=0)
    assert saved.status_code == 200
    check_response(saved, "/api/v1/commands", "post")
    assert saved.json()["revision"] == 1  # the next save's base_revision
    assert "question_id" not in saved.json()
    assert (
        command(
            client,
            app,
            "apiseclink01",
            **save,
            summary="Sở trả lời. Cam kết thêm.",
            base_revision=1,
        ).status_code
        == 200
    )
    body = assert_refused(
        command(client, app, "apiseclink01", **save, summary="Sở trả lời?", base_revision=1),
        409,
        "summary.stale",
    )
    assert "question 1" in body["message"]["en"]
    assert answer()["summary"] == "Sở trả lời. Cam kết thêm." and answer()["revision"] == 2
    # a save that leaves base_revision out is the last write, as before
    assert command(client, app, "apiseclink01", **save, summary="Ngắn.").status_code == 200
    assert answer()["summary"] == "Ngắn."


# --- votes ---


def test_vote_once(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    closed = client.post("/api/v1/votes", headers=headers, json={"question_id": 1})
    assert_refused(closed, 409, "vote.list_closed")
    command(client, app, "apimodlink01", action="set_public_list", open=True)
    first = client.post("/api/v1/votes", headers=headers, json={"question_id": 1})
    assert first.status_code == 201
    check_response(first, "/api/v1/votes", "post")
    assert first.json()["votes"] == 1 and first.json()["question_id"] == 1
    second = client.post("/api/v1/votes", headers=headers, json={"question_id": 1})
    assert_refused(second, 409, "vote.already")
    assert state_of(app).state.questions[1].votes == 1
    assert_refused(
        client.post("/api/v1/votes", headers=headers, json={}), 422, "input.schema.missing"
    )
    # only phones vote
    assert_refused(
        client.post("/api/v1/votes", headers=bearer(app, "apimodlink01"), json={"question_id": 4}),
        403,
        "role.forbidden",
    )


def test_a_vote_sent_again_with_its_command_id_is_counted_once(
    client: TestClient, app: Starlette
) -> None:
    headers = phone(client, app)
    command(client, app, "apimodlink01", action="set_public_list", open=True)
    body = {"question_id": 1, "command_id": "vote-q1-00001"}
    first = client.post("/api/v1/votes", headers=headers, json=body)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/votes", headers=headers, json=body)  # the answer was lost
    assert again.status_code == 200, again.text
    check_response(again, "/api/v1/votes", "post")
    assert again.json() == first.json()
    assert state_of(app).state.questions[1].votes == 1
    # a new vote for the same question is still refused
    assert_refused(
        client.post("/api/v1/votes", headers=headers, json={"question_id": 1}), 409, "vote.already"
    )
    # a vote whose question was merged meanwhile: its retry names the one it joined
    body = {"question_id": 4, "command_id": "vote-q4-00001"}
    assert client.post("/api/v1/votes", headers=headers, json=body).status_code == 201
    merged = command(client, app, "apimodlink01", action="merge_question", question_id=4, into_id=5)
    assert merged.status_code == 200, merged.text
    again = client.post("/api/v1/votes", headers=headers, json=body)
    assert again.status_code == 200, again.text
    assert again.json()["question_id"] == 5
    assert again.json()["votes"] == state_of(app).state.questions[5].votes >= 1


def test_a_submission_sent_again_with_its_command_id_makes_one_question(
    client: TestClient, app: Starlette
) -> None:
    headers = phone(client, app)
    body = {
        "text": "Hỏi một lần thôi?",
        "idempotency_key": "once-key-0001",
        "command_id": "once-cmd-0001",
    }
    first = client.post("/api/v1/questions", headers=headers, json=body)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/questions", headers=headers, json=body)
    assert again.status_code == 200, again.text
    assert again.json()["question_id"] == first.json()["question_id"]
    assert len(state_of(app).state.questions) == N_DEMO + 1


# --- authentication and the request itself ---


def test_wrong_content_type_is_refused(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    seq = state_of(app).seq
    form = client.post(
        "/api/v1/questions",
        headers=headers,
        data={"text": "form post", "idempotency_key": "formpost0001"},
    )
    body = assert_refused(form, 415, "request.content_type")
    assert "application/json" in body["message"]["en"]
    plain = client.post(
        "/api/v1/commands",
        headers={**bearer(app, "apimodlink01"), "Content-Type": "text/plain"},
        content='{"action": "release_floor"}',
    )
    assert_refused(plain, 415, "request.content_type")
    assert state_of(app).seq == seq
    # a charset parameter is fine
    ok = client.post(
        "/api/v1/questions",
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
        content='{"text": "có charset", "idempotency_key": "charset00001"}',
    )
    assert ok.status_code == 201


def test_bad_json_is_refused(client: TestClient, app: Starlette) -> None:
    headers = {**bearer(app, "apimodlink01"), "Content-Type": "application/json"}
    for content in ('{"action": ', "not json", '{"action": NaN}', b"\xff\xfe\x00"):
        response = client.post("/api/v1/commands", headers=headers, content=content)
        assert_refused(response, 400, "request.bad_json")
    deep = "[" * 100_000 + "]" * 100_000
    assert client.post("/api/v1/commands", headers=headers, content=deep).status_code == 413
    nested = "[" * 20_000 + "]" * 20_000
    assert_refused(
        client.post("/api/v1/commands", headers=headers, content=nested), 400, "request.bad_json"
    )
    assert_refused(
        client.post("/api/v1/commands", headers=headers, content="[1, 2]"),
        400,
        "request.json_object",
    )


def test_body_size_limit(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    response = client.post(
        "/api/v1/questions",
        headers=headers,
        json={"text": "x" * (70 * 1024), "idempotency_key": "bigbody00001"},
    )
    body = assert_refused(response, 413, "request.too_large")
    assert str(api.MAX_BODY) in body["message"]["en"]


def test_no_token_is_401(client: TestClient, app: Starlette) -> None:
    phone(client, app)  # the device cookie alone is not enough
    for response in (
        client.post(
            "/api/v1/questions", json={"text": "không có mã", "idempotency_key": "notoken00001"}
        ),
        client.post("/api/v1/votes", json={"question_id": 1}),
        client.post("/api/v1/commands", json={"action": "release_floor"}),
        client.get("/api/v1/questions/mine"),
        client.get("/api/v1/device"),
        client.get(f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state"),
        client.post(
            "/api/v1/commands",
            json={"action": "release_floor"},
            headers={"Authorization": "Basic dXNlcjpwdw=="},
        ),
    ):
        assert_refused(response, 401, "request.unauthorised")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(state_of(app).state.questions) == N_DEMO


def test_invalid_and_revoked_tokens_are_403(client: TestClient, app: Starlette) -> None:
    revoked = command(client, app, "apirevoked01", action="release_floor")
    assert_refused(revoked, 403, "link.revoked")
    forged = token(app, "apimodlink01")[:-2] + "xx"
    response = client.post(
        "/api/v1/commands",
        json={"action": "set_public_list", "open": True},
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert_refused(response, 403, "link.invalid")
    other = app.state.registry.access.link_token(DEMO_DIALOGUE_ID, "nosuchlink01")
    response = client.get("/api/v1/questions/mine", headers={"Authorization": f"Bearer {other}"})
    assert_refused(response, 403, "link.invalid")
    assert state_of(app).state.public_list_open is False


def test_phone_needs_its_device_cookie(client: TestClient, app: Starlette) -> None:
    headers = bearer(app, "apiphonelnk1")
    response = client.post(
        "/api/v1/questions",
        headers=headers,
        json={"text": "không có cookie", "idempotency_key": "nocookie0001"},
    )
    assert_refused(response, 403, "role.device_missing")
    client.cookies.set(DEVICE_COOKIE, "forged.cookie")
    response = client.post("/api/v1/votes", headers=headers, json={"question_id": 1})
    assert_refused(response, 403, "role.device_missing")


def test_api_client_gets_a_device_cookie(app: Starlette) -> None:
    with TestClient(app) as client:
        headers = bearer(app, "apiphonelnk1")
        issued = client.get("/api/v1/device", headers=headers)
        assert issued.status_code == 200
        check_response(issued, "/api/v1/device")
        assert issued.json() == {"ok": True, "issued": True}
        set_cookie = issued.headers["set-cookie"]
        assert set_cookie.startswith(f"{DEVICE_COOKIE}=")
        assert "httponly" in set_cookie.lower() and "samesite=lax" in set_cookie.lower()
        again = client.get("/api/v1/device", headers=headers)
        assert again.json() == {"ok": True, "issued": False}
        assert "set-cookie" not in again.headers
        made = client.post(
            "/api/v1/questions",
            headers=headers,
            json={"text": "Từ ứng dụng", "idempotency_key": "apiclient001"},
        )
        assert made.status_code == 201
        # only attendee links get a device
        assert_refused(
            client.get("/api/v1/device", headers=bearer(app, "apimodlink01")), 403, "role.forbidden"
        )


def test_other_site_origin_is_refused(client: TestClient, app: Starlette) -> None:
    headers = {**bearer(app, "apimodlink01"), "Origin": "https://evil.example"}
    response = client.post(
        "/api/v1/commands", headers=headers, json={"action": "set_public_list", "open": True}
    )
    assert_refused(response, 403, "request.origin")
    same = {**bearer(app, "apimodlink01"), "Origin": "http://testserver"}
    response = client.post(
        "/api/v1/commands", headers=same, json={"action": "set_public_list", "open": True}
    )
    assert response.status_code == 200


def test_rate_limit_answers_429_with_retry_after(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    limit = int(app.state.registry.settings.rate_device.split("/")[0])
    for n in range(limit):
        response = client.post(
            "/api/v1/questions",
            headers=headers,
            json={"text": f"Câu hỏi {n}", "idempotency_key": f"ratekey{n:05d}"},
        )
        assert response.status_code == 201
    response = client.post(
        "/api/v1/questions",
        headers=headers,
        json={"text": "một câu nữa", "idempotency_key": "ratekeyextra"},
    )
    assert_refused(response, 429, "rate.limited")
    check_response(response, "/api/v1/questions", "post")
    assert int(response.headers["Retry-After"]) >= 1
    assert len(state_of(app).state.questions) == N_DEMO + limit
    # a retry of a question already recorded still tells the phone its id
    retry = client.post(
        "/api/v1/questions",
        headers=headers,
        json={"text": "Câu hỏi 0", "idempotency_key": "ratekey00000"},
    )
    assert retry.status_code == 200
    assert retry.json()["question_id"] == N_DEMO + 1


# --- the full state ---


def test_full_state_for_control_roles_only(client: TestClient, app: Starlette) -> None:
    headers = phone(client, app)
    client.post(
        "/api/v1/questions",
        headers=headers,
        json={"text": "Câu hỏi của tôi", "idempotency_key": "fullstate001", "asker_name": "Bình"},
    )
    path = f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state"
    for link_id in ("apimodlink01", "apiseclink01"):
        response = client.get(path, headers=bearer(app, link_id))
        assert response.status_code == 200
        check_response(response, "/api/v1/dialogues/{dialogue_id}/state")
        questions = response.json()["questions"]
        assert len(questions) == N_DEMO + 1
        statuses = {q["question_id"]: q["status"] for q in questions}
        assert statuses[1] == "approved" and statuses[3] == "submitted"
        assert statuses[N_DEMO + 1] == "submitted"
        assert questions[-1]["askers"][0]["name"] == "Bình"
        device_id = app.state.registry.access.read_device(client.cookies.get(DEVICE_COOKIE))
        assert device_id not in response.text
    for link_id in ("apiphonelnk1", "apibridgeA01", "apidisplay01"):
        assert_refused(client.get(path, headers=bearer(app, link_id)), 403, "role.forbidden")
    other = app.state.registry.access.link_token("another-day", "apimodlink01")
    assert client.get(path, headers={"Authorization": f"Bearer {other}"}).status_code in (
        403,
        404,
    )


def test_full_state_for_the_organiser_cookie(client: TestClient, app: Starlette) -> None:
    path = f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/state"
    # a cookie signed with the secret but naming no session opened is nothing
    client.cookies.set(ORGANISER_COOKIE, app.state.registry.access.organiser_cookie("made-up"))
    assert client.get(path).status_code == 401
    signed_in = client.post("/o/login", data={"password": "pw"}, follow_redirects=False)
    assert signed_in.status_code == 303
    client.cookies.set(ORGANISER_COOKIE, signed_in.cookies[ORGANISER_COOKIE])
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    check_response(response, "/api/v1/dialogues/{dialogue_id}/state")
    # but the organiser cookie changes nothing by itself
    assert_refused(
        client.post("/api/v1/commands", json={"action": "release_floor"}),
        401,
        "request.unauthorised",
    )


def test_token_of_one_dialogue_cannot_read_another(client: TestClient, app: Starlette) -> None:
    response = client.get(
        "/api/v1/dialogues/another-day/state", headers=bearer(app, "apimodlink01")
    )
    assert_refused(response, 403, "request.other_dialogue")


# --- the OpenAPI document ---


def test_openapi_document_covers_every_route(client: TestClient, app: Starlette) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc == openapi.openapi_document(app.state.registry.settings.limits)
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    served = {
        (route.path, method.lower())
        for route in api.routes
        if isinstance(route, Route) and route.path.startswith("/api/v1")
        for method in (route.methods or ())
        if method != "HEAD"
    }
    documented = {
        (path, method) for path, operations in doc["paths"].items() for method in operations
    }
    assert served == documented
    assert len(served) == 7
    assert doc["components"]["securitySchemes"]["roleToken"] == {
        **doc["components"]["securitySchemes"]["roleToken"],
        "type": "http",
        "scheme": "bearer",
    }
    schemas = doc["components"]["schemas"]
    message = schemas["Error"]["properties"]["message"]
    message = schemas[message["$ref"].rsplit("/", 1)[1]] if "$ref" in message else message
    assert message["required"] == ["vi", "en"]
    for path, operations in doc["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for operation in operations.values():
            assert operation["operationId"] and operation["responses"]
            params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert params == names
            for response_spec in operation["responses"].values():
                ref = response_spec.get("$ref")
                if ref:
                    assert ref.rsplit("/", 1)[1] in doc["components"]["responses"]
    refs = set(re.findall(r'"\$ref":\s*"#/components/schemas/(\w+)"', response.text))
    assert {"PublicState", "FullState", "CommandDone", "Error", "Command"} <= refs
    assert refs <= set(doc["components"]["schemas"])
    assert doc["components"]["responses"]["Refused429"]["headers"]["Retry-After"]
    for path, method in served - {(p, "get") for p, _ in served}:
        assert "422" in doc["paths"][path][method]["responses"]  # every POST has a model
    assert set(doc["components"]["schemas"]["Command"]["properties"]["action"]["enum"]) >= {
        "approve_question",
        "request_floor",
        "give_floor",
        "vote",
        "submit_question",
    }


def test_every_error_code_of_the_api_is_in_the_catalogue() -> None:
    source = Path(api.__file__).read_text(encoding="utf-8")
    codes = set(
        re.findall(r'(?:Error|Forbidden|Input|Unauthorised|Large|Type)\("([a-z_.]+)"', source)
    )
    assert {
        "request.content_type",
        "request.too_large",
        "request.unauthorised",
        "request.bad_json",
        "request.json_object",
        "request.other_dialogue",
    } <= codes
    assert codes <= MESSAGES.keys()
