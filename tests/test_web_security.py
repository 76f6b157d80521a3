"""What a prankster with only a link can try on the web layer, refused once
and for all: another site's page posting here (even through a rebound DNS
name), framing the screens, reading the dialogues' ids from /healthz or a
draft from the public API, and replaying a form post."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server.demo import DEMO_DIALOGUE_ID
from tests.webapp import build_app, token


@pytest.fixture
def app() -> Starlette:
    return build_app(frame_ancestors=("https://obs.example",))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def test_pages_run_only_this_sites_scripts_and_are_not_framed(
    app: Starlette, client: TestClient
) -> None:
    page = client.get(f"/s/{token(app, 'moderator01')}")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert not re.search(r"<script>(?!</script>)|\son(click|load|change)=", page.text)


def test_a_hall_display_may_be_framed_by_the_broadcast_tools_only(
    app: Starlette, client: TestClient
) -> None:
    page = client.get(f"/s/{token(app, 'display0001')}")
    assert page.status_code == 200
    assert "frame-ancestors https://obs.example" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    report = client.get(f"/r/{DEMO_DIALOGUE_ID}")
    assert "frame-ancestors 'none'" in report.headers["content-security-policy"]


def test_the_origin_is_checked_against_the_servers_addresses_not_the_host_header(
    app: Starlette, client: TestClient
) -> None:
    """A page of another site reached through a rebound DNS name sends its
    own name as both Host and Origin: still another site."""
    phone = token(app, "phchaudoc01")
    page = client.get(f"/j/{phone}").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf
    rebound = client.post(
        f"/j/{phone}/act",
        data={
            "action": "submit_question",
            "csrf": csrf.group(1),
            "idempotency_key": "rebound-0001",
            "text": "Câu hỏi giả mạo?",
        },
        headers={"origin": "http://evil.example", "host": "evil.example"},
    )
    assert rebound.status_code == 403
    assert "another site" in rebound.text or "trang web khác" in rebound.text


def test_healthz_tells_anybody_only_that_the_server_answers(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "store": "ok"}
    assert DEMO_DIALOGUE_ID not in client.get("/healthz").text


def test_the_public_api_keeps_a_draft_to_itself(app: Starlette, client: TestClient) -> None:
    assert client.get(f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/public").status_code == 200
    registry = app.state.registry
    draft = registry.hubs[DEMO_DIALOGUE_ID].session.state
    phase = draft.dialogue.phase
    try:
        draft.dialogue.phase = type(phase)("draft")
        refused = client.get(f"/api/v1/dialogues/{DEMO_DIALOGUE_ID}/public")
        assert refused.status_code == 404
        assert refused.json()["error"] == "dialogue.not_found"
    finally:
        draft.dialogue.phase = phase


def test_a_form_post_replayed_is_done_once(app: Starlette, client: TestClient) -> None:
    """A moderator's form sent again with the same token (a reload, a replay)
    carries the same one-time command id: the core applies it once."""
    moderator = token(app, "moderator01")
    page = client.get(f"/s/{moderator}").text
    form = re.search(
        r'<form method="post" action="[^"]*" ws-send class="inline">'
        r'<input type="hidden" name="action" value="set_public_list">(.*?)</form>',
        page,
    )
    assert form, "the moderator's page has its public-list form"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(1)))
    assert fields.get("command_id"), "a page served whole gives each form a one-time id"
    log = app.state.registry.hubs[DEMO_DIALOGUE_ID].session
    before = log.seq
    for _ in range(5):
        sent = client.post(
            f"/s/{moderator}/act",
            data={"action": "set_public_list", **fields},
            headers={"origin": "http://testserver"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
    assert log.seq == before + 1, "five replays, one event"
