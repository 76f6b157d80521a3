"""End to end: each operator's screen fits its device and passes axe-core.

One server (media on, so the hall display shows its picture panel) and one
Chromium for the module; the floor is set through the moderator's JSON API.

- the hall display at 1920×1080 and 1280×720 with a question at the length
  limit and with an ordinary one: nothing scrolls, the question, who answers
  and the countdown are in view, the question readable from the back row;
  the overtime countdown and every state pass AA contrast; a floor without a
  picture shows a labelled slate;
- the bridge console at 1280×800 holding the floor: its floor state, the
  question and the countdown above the fold; its link label follows the
  real link after the browser went offline and back;
- the phone (360×740), secretary and speaker (1280×800) never scroll sideways;
- axe-core (``static/vendor/axe.min.js``, injected here only): no serious or
  critical violation on the display, bridge, phone, secretary, speaker, the
  error page and a revoked link's screen, which explains itself in both
  languages.

``SCREENSHOTS=1`` (or ``UPDATE_SCREENSHOTS=1``) copies the screens to
``docs/screenshots/``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from session_server.config import Limits
from tests import test_e2e_browser as e2e
from tests._server import RunningServer, ScreenLink, start_server
from tests.test_e2e_browser import (
    DESKTOP,
    PHONE,
    PROJECTOR,
    action_form,
    eventually,
    expect,
    horizontal_overflow,
    main_hall_display,
    wait_online,
)

pytestmark = pytest.mark.slow

browser = e2e.browser

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "static" / "vendor" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
HD = {"width": 1280, "height": 720}
FULL_HD = PROJECTOR["viewport"]
REMOTE = "chau-doc"
REMOTE_NAME = "TP. Châu Đốc"
LIMIT = Limits().question_max_chars
ORDINARY = (
    "Thanh niên nông thôn muốn vay vốn khởi nghiệp thì cần thủ tục gì, "
    "và tỉnh hỗ trợ lãi suất ra sao ạ? Xin cảm ơn"
)
assert len(ORDINARY) == 110, len(ORDINARY)
BACK_ROW_PX = 40.0
"""The question's smallest font at 1080p for an ordinary question."""
AA = 4.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("e2e-screens"),
        env={
            "MEDIA": "1",
            "MEDIA_ADDRESSES": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "RATE_DEVICE": "100/60",
        },
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def pages(browser: Any) -> Iterator[list[Any]]:
    """Contexts opened by one test, closed after it."""
    contexts: list[Any] = []
    yield contexts
    for context in contexts:
        context.close()


def open_page(browser: Any, contexts: list[Any], url: str, **options: Any) -> Any:
    # axe-core is injected as a script: the pages' CSP (script-src 'self') is
    # bypassed for it, in the test browser only
    context = browser.new_context(locale="vi-VN", bypass_csp=True, **options)
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(e2e.LIVE_MS)
    page.goto(url)
    return page


# --- the moderator's API ----------------------------------------------------------


def api(server: RunningServer, link: ScreenLink, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"{server.base_url}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {link.path.split('/')[2]}",
            "Content-Type": "application/json",
        },
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def command(server: RunningServer, action: str, **fields: Any) -> Any:
    return api(server, server.link("moderator"), "/commands", {"action": action, **fields})


def free_floor(server: RunningServer) -> Any:
    state = api(server, server.link("moderator"), "/dialogues/an-giang-2024/state")
    if state["floor"]["holder"]:
        command(server, "release_floor")
    return state


def floor_with(server: RunningServer, text: str, bridge: str, seconds: int = 600) -> int:
    """Ask ``text`` from ``bridge``, approve it, give that bridge the floor
    with it and assign the first speaker."""
    assert bridge == REMOTE, bridge
    operator = server.link("bridge operator", REMOTE_NAME)
    made = api(
        server,
        operator,
        "/questions",
        {
            "text": text,
            "asker_name": "Nguyễn Thị Thu Hà",
            "asker_unit": "Đoàn phường Châu Phú A",
            "asker_public": True,
            "idempotency_key": f"screens-{time.monotonic_ns()}",
        },
    )
    qid: int = made["question_id"]
    command(server, "approve_question", question_id=qid)
    state = free_floor(server)
    command(
        server,
        "give_floor",
        bridge_id=bridge,
        question_id=qid,
        question_seconds=seconds,
        speaker_id=state["speakers"][0]["speaker_id"],
        without_feed=True,  # no camera in this test
    )
    return qid


def long_question() -> str:
    words = (
        "Em là đoàn viên ở xã vùng sâu, nhiều bạn trẻ muốn ở lại quê lập nghiệp "
        "nhưng thiếu vốn, thiếu đất sản xuất và thiếu thông tin thị trường; "
    )
    text = ""
    while len(text) < LIMIT:
        text += words
    return text[: LIMIT - 1] + "?"


# --- what the browser measures ------------------------------------------------------


def scroll_size(page: Any) -> dict[str, int]:
    result: dict[str, int] = page.evaluate("""() => {
        const d = document.documentElement;
        return {sw: d.scrollWidth, sh: d.scrollHeight, w: innerWidth, h: innerHeight};
    }""")
    return result


def in_view(page: Any, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, f"{selector} starts outside the screen: {box}"
    assert box["x"] + box["width"] <= size["width"] + 1, f"{selector} is cut at the right: {box}"
    assert box["y"] + box["height"] <= size["height"] + 1, f"{selector} is below the fold: {box}"


CONTRAST = """(el) => {
    const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number);
                           return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
    const lum = (rgb) => { const [r, g, b] = rgb.slice(0, 3).map((v) => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    let bg = null;
    for (let node = el; node; node = node.parentElement) {
        const c = parse(getComputedStyle(node).backgroundColor);
        if (c[3] > 0.99) { bg = c; break; }
    }
    bg = bg || [255, 255, 255, 1];
    const fg = parse(getComputedStyle(el).color);
    const a = lum(fg), b = lum(bg);
    return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
            fg: getComputedStyle(el).color, bg: 'rgb(' + bg.slice(0, 3).join(', ') + ')'};
}"""


def contrast(page: Any, selector: str) -> dict[str, Any]:
    result: dict[str, Any] = page.locator(selector).first.evaluate(CONTRAST)
    return result


def axe(page: Any, tags: list[str] | None = None) -> list[str]:
    """The serious and critical violations axe-core finds on the page (its
    default rules, or those of ``tags``)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async (tags) => (await axe.run(document, tags ? {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: tags}} : {resultTypes: ['violations']})).violations",
        tags,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – "
        + "; ".join(n["target"][0] for n in v["nodes"][:4])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def one_h1(page: Any) -> None:
    assert page.locator("h1").count() == 1, page.locator("h1").all_inner_texts()
    levels = page.evaluate(
        "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
        ".filter(h => h.offsetParent !== null).map(h => Number(h.tagName[1]))"
    )
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"headings skip a level: {levels}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if "1" in (os.environ.get("SCREENSHOTS"), os.environ.get("UPDATE_SCREENSHOTS")):
        shutil.copyfile(path, DOCS_SHOTS / path.name)


# --- the hall display -------------------------------------------------------------------


def display_fits(page: Any, text: str, size: dict[str, int]) -> float:
    """Check the display at ``size`` with ``text`` on the floor; its font size."""
    page.set_viewport_size(size)
    expect(page.locator("#display .display-question")).to_have_text(text)
    expect(page.locator("#display .countdown").first).to_have_text(re.compile(r"\d:\d\d"))
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50)))")
    page.wait_for_function(
        "() => document.querySelector('.display-question').dataset.fitted"
        " === innerWidth + 'x' + innerHeight"
    )
    scroll = scroll_size(page)
    label = f"{len(text)} chars at {size['width']}x{size['height']}: {scroll}"
    assert scroll["sw"] <= scroll["w"] and scroll["sh"] <= scroll["h"], f"scrolls, {label}"
    for part in (".display-question", ".display-speaker", ".countdown", ".display-holder"):
        in_view(page, f"#display {part}")
    question = page.locator("#display .display-question")
    cut = question.evaluate("(el) => el.scrollHeight - el.clientHeight")
    assert cut <= 1, f"the question is cut by {cut}px, {label}"
    font = float(question.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)"))
    print(f"\nhall display, {label}: question at {font:.0f}px")
    return font


def test_the_hall_display_fits_any_question(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    display = open_page(browser, pages, main_hall_display(server).url, **PROJECTOR)
    wait_online(display)
    one_h1(display)
    # no floor: the theme, AA everywhere
    free_floor(server)
    expect(display.locator("#display .display-theme")).to_be_visible()
    assert axe(display) == []

    floor_with(server, ORDINARY, REMOTE)
    font = display_fits(display, ORDINARY, FULL_HD)
    assert font >= BACK_ROW_PX, f"{font}px cannot be read from the back row"
    display_fits(display, ORDINARY, HD)
    display.set_viewport_size(FULL_HD)
    expect(display.locator("#display-slate")).to_have_text(
        re.compile("Chưa có hình ảnh.*No picture", re.S)
    )
    in_view(display, "#display-slate")
    shot(display, "hall-display")
    assert axe(display) == []

    floor_with(server, long_question(), REMOTE)
    display_fits(display, long_question(), FULL_HD)
    display_fits(display, long_question(), HD)
    display.set_viewport_size(FULL_HD)


def test_the_overtime_countdown_reads_on_the_projector(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    display = open_page(browser, pages, main_hall_display(server).url, **PROJECTOR)
    floor_with(server, ORDINARY, REMOTE, seconds=1)
    countdown = "#display .countdown.overtime"
    expect(display.locator(countdown)).to_have_text(re.compile(r"^-\d+:\d\d$"))
    found = contrast(display, countdown)
    print(f"\novertime countdown: {found}")
    assert found["ratio"] >= AA, found
    in_view(display, countdown)
    assert axe(display) == []


SKEWED_CLOCK = (
    "(() => { const real = Date.now.bind(Date); window.clockSkew = %d;"
    " Date.now = () => real() + window.clockSkew; })();"
)
"""A device whose clock is off by that many milliseconds (``clockSkew``:
set it again, as a time server's correction would)."""


def test_screens_whose_clocks_are_off_count_the_servers_seconds(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    """A district laptop or a projector's computer that has no time server
    may be minutes off: its countdowns still show the seconds the server
    gives (the pongs carry the server's time, ``link.js``)."""
    screens = (
        ("projector, 3 min fast", main_hall_display(server).url, PROJECTOR, 180_000),
        (
            "district laptop, 5 min slow",
            server.link("bridge operator", REMOTE_NAME).url,
            DESKTOP,
            -300_000,
        ),
    )
    opened = []
    for name, url, options, skew in screens:
        context = browser.new_context(locale="vi-VN", **options)
        pages.append(context)
        context.add_init_script(SKEWED_CLOCK % skew)
        page = context.new_page()
        page.set_default_timeout(e2e.LIVE_MS)
        page.goto(url)
        wait_online(page)
        off = page.evaluate("Date.now()") - time.time() * 1000
        assert abs(off - skew) < 5000, (name, off)  # the device's clock is off
        opened.append((name, page))
    floor_with(server, ORDINARY, REMOTE, seconds=600)
    full = re.compile(r"^(10:00|9:[45]\d)$")  # 600 s, less the moments since
    # a page loaded while its socket cannot reach the server (no pong yet)
    # counts on the time the server made the page at
    context = browser.new_context(locale="vi-VN", **PROJECTOR)
    pages.append(context)
    context.add_init_script(SKEWED_CLOCK % 240_000)
    held = context.new_page()
    held.set_default_timeout(e2e.LIVE_MS)
    intercepted: list[str] = []
    held.route_web_socket(  # the socket never reaches the server
        re.compile(".*"), lambda socket: socket.on_message(lambda m: intercepted.append(str(m)))
    )
    held.goto(main_hall_display(server).url)
    opened.append(("projector 4 min fast, socket held back", held))
    for name, page in opened:
        countdown = page.locator(".countdown[data-ends-at]").first
        expect(countdown).to_have_text(full)
        print(f"\n{name}: {countdown.inner_text()}")
    # the projector's clock is set back by 2 minutes mid-question (its time
    # server answered at last): its countdown does not move
    name, projector = opened[0]
    countdown = projector.locator(".countdown[data-ends-at]").first
    projector.evaluate("window.clockSkew -= 120000")
    time.sleep(1.0)
    for _ in range(8):
        shown = countdown.inner_text()
        assert full.match(shown), f"{name}, its clock set back 2 min: {shown}"
        time.sleep(0.25)
    print(f"{name}, its clock set back 2 min: {shown}")
    assert any('"hello"' in str(message) for message in intercepted), intercepted


# --- the bridge console -------------------------------------------------------------


def test_the_bridge_console_shows_its_floor_above_the_fold(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    link = server.link("bridge operator", REMOTE_NAME)
    bridge = open_page(browser, pages, link.url, **DESKTOP)
    wait_online(bridge)
    floor_with(server, long_question()[:400] + "?", REMOTE)
    expect(bridge.locator("#bridge-request .notice")).to_be_visible()
    expect(bridge.locator("#floor-card .countdown").first).to_have_text(re.compile(r"\d:\d\d"))
    for part in (
        "#bridge-request .notice",
        "#floor-card .floor-question",
        "#floor-card .countdown",
    ):
        in_view(bridge, part)
    assert not horizontal_overflow(bridge)
    one_h1(bridge)
    shot(bridge, "bridge-console")
    assert axe(bridge) == []

    # the browser goes offline and back while the socket lives on: as soon
    # as a message arrives the label says so
    bridge.context.set_offline(True)
    time.sleep(1.5)
    bridge.context.set_offline(False)
    command(server, "set_public_list", open=True)
    command(server, "set_public_list", open=False)
    eventually(
        lambda: bridge.evaluate("document.body.dataset.link") == "online",
        5,
        "the label to say online once messages arrive",
    )
    expect(bridge.locator("#link-state")).to_have_text(
        bridge.locator("#link-state").get_attribute("data-online") or "online"
    )


# --- phone, secretary, speaker -------------------------------------------------------


def test_the_other_screens_fit_and_pass_axe(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    qid = floor_with(server, ORDINARY, REMOTE)
    screens = {
        "phone": (server.link("attendee", REMOTE_NAME).url, PHONE),
        "secretary": (server.link("secretary").url, DESKTOP),
        "speaker": (server.links_of("speaker")[0].url, DESKTOP),
    }
    for name, (url, options) in screens.items():
        page = open_page(browser, pages, url, **options)
        wait_online(page)
        if name == "secretary":
            summary = page.locator(f"#sec-floor #summary-{qid}")
            summary.fill("Sở Lao động sẽ mở lớp đào tạo nghề miễn phí.")
            expect(page.locator("#flash.flash-ok")).to_be_visible()
        scroll = scroll_size(page)
        assert scroll["sw"] <= scroll["w"], f"{name} scrolls sideways: {scroll}"
        assert not horizontal_overflow(page), (name, horizontal_overflow(page))
        one_h1(page)
        shot(page, name)
        assert axe(page) == [], name


# --- the error page and a revoked link ---------------------------------------------------


def test_a_revoked_screen_explains_itself(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    # a district's hall display (the main hall's stays for the other tests)
    link = next(lk for lk in server.links_of("hall display") if REMOTE_NAME in lk.label)
    display = open_page(browser, pages, link.url, **PROJECTOR)
    wait_online(display)
    stale = display.locator("#display").inner_text()

    organiser = open_page(browser, pages, f"{server.base_url}/o/login", **DESKTOP)
    organiser.locator("input[type=password]").fill(server.password)
    with organiser.expect_navigation():
        organiser.locator("input[type=password]").press("Enter")
    organiser.goto(f"{server.base_url}/o/an-giang-2024/links")
    row = organiser.locator("tr").filter(has=organiser.locator(f'a.url[href="{link.url}"]'))
    with organiser.expect_navigation():
        action_form(row, "revoke_link").locator("button").click()
    # the organiser confirms: revoking closes the screen at once
    organiser.locator("#org-revoke-confirm button[type=submit]").click()

    ended = display.locator("#link-ended")
    expect(ended).to_be_visible()
    expect(ended.locator('[lang="vi"]').first).to_contain_text("thu hồi")
    expect(ended.locator('[lang="en"]').first).to_contain_text("revoked")
    assert display.evaluate("document.querySelector('main').inert") is True
    assert stale and display.locator("#display").is_hidden(), "stale content still shown"
    one_h1(display)
    assert axe(display) == []

    # the link's page now: the error page, in both languages
    response = display.goto(link.url)
    assert response and response.status == 403
    expect(display.locator("h1")).to_have_count(1)
    expect(display.locator('[lang="en"]')).to_contain_text("revoked")
    assert axe(display) == []
    display.goto(f"{server.base_url}/s/not-a-link")
    assert axe(display) == []
