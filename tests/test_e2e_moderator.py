"""End to end: the moderator's console on a podium tablet, in headless Chromium.

- the floor card, the inbox and the queue in the viewport at 1280×800 and
  1024×768, with no page scroll sideways or down (docs/screenshots/moderator.png);
- 100 questions sent through the API, then screened in bulk: all picked,
  half approved, half rejected for a counted reason;
- a question sent again without its accents is offered for merging on its
  card and merged in one tap.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._server import RunningServer, ScreenLink, start_server
from tests.test_e2e_browser import (
    Screens,
    browser,
    evidence,
    expect,
    horizontal_overflow,
    publish_shots,
    screens,
    shot,
    wait_online,
)

__all__ = ["browser", "screens"]  # fixtures used by name

pytestmark = pytest.mark.slow

PODIUM = ({"width": 1280, "height": 800}, {"width": 1024, "height": 768})
DISTRICT = "TP. Long Xuyên"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("e2e-moderator"), env={"RATE_BRIDGE": "1000/60"})
    try:
        yield running
    finally:
        running.stop()


def api(server: RunningServer, link: ScreenLink, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{server.base_url}/api/v1{path}",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {link.path.split('/')[2]}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def ask(server: RunningServer, text: str, key: str) -> int:
    link = server.link("bridge operator", DISTRICT)
    answer = api(server, link, "/questions", {"text": text, "idempotency_key": key})
    question_id: int = answer["question_id"]
    return question_id


def in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return bool(
        box
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + min(box["width"], 200) <= size["width"]
        and box["y"] + 80 <= size["height"]
    )


def test_the_console_fits_a_podium_tablet(
    browser: Any, server: RunningServer, screens: Screens
) -> None:
    paths: list[Path] = []
    with evidence(screens, server):
        for size in PODIUM:
            name = f"moderator-{size['width']}"
            page = screens.open(name, server.link("moderator").url, viewport=size, has_touch=True)
            wait_online(page)
            assert not horizontal_overflow(page), horizontal_overflow(page)
            width, height = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            assert width <= size["width"], f"{name}: the page is {width} px wide"
            assert height <= size["height"], f"{name}: the page is {height} px tall"
            for panel in ("#mod-floor", "#mod-inbox-panel", "#mod-queue-title"):
                assert in_view(page, panel), f"{name}: {panel} is not in view"
            if size["width"] == 1280:
                paths.append(shot(page, "moderator", full_page=False))
        publish_shots(paths)
        assert not screens.errors, screens.errors


def test_one_hundred_questions_are_screened_in_bulk(
    browser: Any, server: RunningServer, screens: Screens
) -> None:
    stamp = time.strftime("%H%M%S")
    ids = [
        ask(
            server,
            f"Bulk {stamp} câu {n}: tỉnh hỗ trợ đề tài số {n * 7919} ra sao?",
            f"b{stamp}{n:04d}",
        )
        for n in range(100)
    ]
    with evidence(screens, server):
        page = screens.open("moderator", server.link("moderator").url, viewport=PODIUM[0])
        wait_online(page)
        inbox = page.locator("#mi-list")
        # the first page holds the oldest 100 (the demo's own first); reach ours
        for _ in range(3):
            if inbox.locator(f'li[data-question="{ids[0]}"]').count():
                break
            page.locator("[data-inbox-next]").click()
            inbox = page.locator("#mi-more")
            expect(inbox.locator(".page-line")).to_be_visible()
        first_half, second_half = ids[:50], ids[50:]
        page.locator("[data-pick-all]").uncheck()
        for question_id in first_half:
            inbox.locator(f'input[data-pick="{question_id}"]').check()
        expect(page.locator("[data-picked-count]")).to_have_text("50")
        page.locator('form[data-bulk]:has(input[value="approve"]) button').click()
        expect(page.locator(f'#mq-list li[data-question="{first_half[-1]}"]')).to_be_visible()
        expect(page.locator("[data-picked-count]")).to_have_text("0")
        for question_id in second_half:
            inbox.locator(f'input[data-pick="{question_id}"]').check()
        reject = page.locator('form[data-bulk]:has(input[value="reject"])')
        reject.locator("select[name=category]").select_option("spam")
        reject.locator("button").click()
        for question_id in ids:
            expect(
                page.locator(f'li[data-question="{question_id}"]:has([data-pick])')
            ).to_have_count(0)
        for question_id in first_half:
            expect(page.locator(f'#mq-list li[data-question="{question_id}"]')).to_have_count(1)
        assert not screens.errors, screens.errors


def test_a_likely_duplicate_is_merged_in_one_tap(
    browser: Any, server: RunningServer, screens: Screens
) -> None:
    stamp = time.strftime("%H%M%S")
    first = ask(
        server, f"Khi nào xã Mỹ Hòa {stamp} có sân bóng đá mini cho thanh niên ạ?", f"d{stamp}1"
    )
    again = ask(
        server, f"khi nao xa my hoa {stamp} co san bong da mini cho thanh nien", f"d{stamp}2"
    )
    with evidence(screens, server):
        page = screens.open("moderator", server.link("moderator").url, viewport=PODIUM[1])
        wait_online(page)
        card = page.locator(f'li[data-question="{again}"]:has([data-pick])').first
        if not card.count():
            page.locator("[data-inbox-next]").click()
            card = page.locator(f'#mi-more li[data-question="{again}"]')
        expect(card.locator(".alike")).to_have_text(f"≈ #{first}")
        card.locator(".merge-alike button").click()
        expect(page.locator(f'li[data-question="{again}"]:has([data-pick])')).to_have_count(0)
        expect(page.locator(f'li[data-question="{first}"]:has([data-pick])').first).to_be_attached()
        assert not screens.errors, screens.errors
