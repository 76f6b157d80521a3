"""The organiser's livestream page in Chromium (1280×800, the district
laptop), against a real server with media on: a destination is added (its
key typed once), started, goes live to a local RTMP receiver, and is
stopped; the key is in no page, no log line and no export; axe-core finds
nothing serious, nothing scrolls sideways."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import test_e2e_browser as e2e
from tests import test_e2e_screens as screens
from tests._server import RunningServer, start_server
from tests.test_e2e_browser import DESKTOP, horizontal_overflow
from tests.test_e2e_screens import axe, one_h1, open_page, shot
from tests.test_media_onair import Receiver, free_port

pytestmark = pytest.mark.slow

browser = e2e.browser
pages = screens.pages  # contexts opened by one test, closed after it
DIALOGUE = "an-giang-2024"
KEY = "FB-1234567890-secret?s_bl=1&s_ps=1&a=Abc"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("e2e-onair")
    running = start_server(
        folder,
        env={
            "MEDIA": "1",
            "MEDIA_ADDRESSES": "127.0.0.1",
            "LOG_LEVEL": "DEBUG",
            "ONAIR": "640x360",
            "STREAM_KEYS_DIR": str(folder / "keys"),
        },
    )
    try:
        yield running
    finally:
        running.stop()


def sign_in(browser: Any, pages: list[Any], server: RunningServer) -> Any:
    page = open_page(browser, pages, f"{server.base_url}/o/login", **DESKTOP)
    page.locator("input[type=password]").fill(server.password)
    with page.expect_navigation():
        page.locator("input[type=password]").press("Enter")
    return page


def test_the_organiser_streams_to_a_destination_and_never_sees_the_key_again(
    browser: Any, pages: list[Any], server: RunningServer
) -> None:
    assert DESKTOP["viewport"] == {"width": 1280, "height": 800}
    port = free_port()
    receiver = Receiver(port, KEY)
    page = sign_in(browser, pages, server)
    page.goto(f"{server.base_url}/o/{DIALOGUE}/onair")
    one_h1(page)
    page.fill("#onair-label", "Facebook – Cổng thông tin")
    page.fill("#onair-url", f"rtmp://127.0.0.1:{port}/live")
    page.fill("#onair-key", KEY)
    with page.expect_navigation():
        page.locator("form.onair-add button[type=submit]").click()
    row = page.locator("#onair-table tr[data-dest]")
    assert row.count() == 1
    assert "••••" in row.inner_text() and KEY not in page.content()
    with page.expect_navigation():
        row.get_by_role("button", name="Phát").click()
    # polled every 2 s: connecting, then live with its bitrate
    page.wait_for_selector('#onair-table tr[data-state="live"]', timeout=20_000)
    deadline = time.monotonic() + 15
    # nobody publishes here: the programme is the dark slate, two pictures a second
    while len(receiver.times("video")) < 6 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert receiver.codecs == {"h264", "aac"}
    page.wait_for_function(
        "() => /kbit\\/s/.test(document.querySelector('#onair-table').innerText)"
    )
    assert horizontal_overflow(page) == []
    assert page.locator("form.onair-add button[type=submit]").is_visible()
    assert axe(page) == []
    shot(page, "organiser-onair-1280x800")
    assert KEY not in page.content()

    with page.expect_navigation():
        page.locator("#onair-table tr[data-dest]").get_by_role("button", name="Dừng").click()
    page.wait_for_selector('#onair-table tr[data-state="stopped"]')
    assert receiver.done.wait(10)

    # a refused form gives back what was typed, never the key
    page.fill("#onair-label", "YouTube")
    page.fill("#onair-url", "http://not-rtmp.example/live")
    page.fill("#onair-key", KEY)
    page.locator("form.onair-add button[type=submit]").click()
    page.wait_for_selector(".flash-error")
    assert page.locator("#onair-label").input_value() == "YouTube"
    assert page.locator("#onair-key").input_value() == ""
    assert KEY not in page.content()

    # no page, log line or export holds the key
    cookies = page.context.cookies()
    header = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    for path in (f"/o/{DIALOGUE}/onair/status", f"/o/{DIALOGUE}/export/archive.zip"):
        request = urllib.request.Request(f"{server.base_url}{path}", headers={"Cookie": header})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert KEY.encode() not in response.read()
    assert KEY not in "\n".join(server.output)
    keys = Path(server.folder / "keys" / f"{DIALOGUE}.json")
    assert keys.stat().st_mode & 0o777 == 0o600 and KEY in keys.read_text()
