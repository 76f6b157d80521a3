"""End to end on Redis: a phone's question sent while the event log is down
is kept in the browser and sent again by itself when the log returns, with
no reload, and recorded once.

A real ``session-server`` on a private ``redis-server`` (AOF,
``appendfsync always``) and headless Chromium (the harness of
``tests/test_e2e_browser.py``). Redis is killed (SIGKILL) while the phone is
open; the phone sends a question: the server refuses it with
``log.unavailable`` (a refusal that may pass later), the screen's status bar
says the log is down, and the outbox keeps the question. Redis comes back on
the same port and data: the outbox sends the question again after its
backoff, the server acknowledges it, and the log holds it exactly once.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests import test_e2e_browser as e2e
from tests._server import RunningServer, start_server
from tests.redis_fixture import RedisServer
from tests.test_e2e_browser import (
    PHONE,
    Screens,
    eventually,
    evidence,
    expect,
    outbox_items,
    question_item,
    wait_online,
)

pytestmark = pytest.mark.slow

browser = e2e.browser
screens = e2e.screens

BACK_WITHIN_S = 45.0
"""The outbox's backoff is capped at 30 s; Redis is down for about 3 s."""


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer.start(tmp_path_factory.mktemp("redis"), appendonly=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis: RedisServer) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("e2e-redis"), store=redis.url, env={"RATE_DEVICE": "100/60"}
    )
    try:
        yield running
    finally:
        running.stop()


def _questions_with(server: RunningServer, text: str) -> int:
    """How many questions of the log hold ``text`` (through the moderator's API)."""
    token = server.link("moderator").path.split("/")[2]
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/dialogues/an-giang-2024/state",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        state: dict[str, Any] = json.load(response)
    return sum(1 for q in state["questions"] if text in q["text"])


def test_a_question_sent_while_the_log_is_down_goes_out_by_itself_when_it_returns(
    browser: Any, server: RunningServer, screens: Screens, redis: RedisServer
) -> None:
    text = f"Câu hỏi gửi lúc mất kết nối Redis {time.monotonic_ns()}"
    with evidence(screens, server):
        phone = screens.open("phone", server.link("attendee").url, **PHONE)
        wait_online(phone)
        phone.evaluate("window.__notReloaded = true")
        redis.kill()
        phone.locator("#ask-form textarea[name=text]").fill(text)
        phone.locator("#ask-form button[type=submit]").click()
        # refused for now: kept in the browser, shown as waiting, the log's state on the bar
        eventually(
            lambda: any(item.get("attempts", 0) >= 1 for item in outbox_items(phone)),
            15,
            "the refusal counted against the kept question",
        )
        expect(phone.locator("#outbox")).to_be_visible()
        expect(phone.locator("#outbox li")).to_contain_text(text)
        expect(phone.locator("#status .store-down")).to_be_visible()
        expect(phone.locator("#ask-form textarea[name=text]")).to_have_value("")
        time.sleep(2)
        redis.launch()  # the same port and data: the log comes back
        started = time.monotonic()
        mine = question_item(phone, "#mine", text)
        expect(mine).to_have_count(1, timeout=int(BACK_WITHIN_S * 1000))
        print(f"question recorded {time.monotonic() - started:.1f} s after Redis returned")
        eventually(lambda: outbox_items(phone) == [], 10, "the outbox emptied")
        expect(phone.locator("#outbox")).to_be_hidden()
        expect(phone.locator("#status .store-down")).to_have_count(0, timeout=15_000)
        assert phone.evaluate("window.__notReloaded === true"), "the page was reloaded"
        assert _questions_with(server, text) == 1, "recorded exactly once"
