"""End to end, before the day and at the door, in headless Chromium:

1. the organiser adds a unit and issues its registration link;
2. the unit registers two delegates by its link (a phone, 360×740);
3. the organiser downloads the unit's invitations (DOCX);
4. the first delegate's QR code, taken out of that invitation, is played as
   the bridge console's camera (Chromium's fake camera reads a Y4M file made
   here from the code's picture); the console's check-in card reads it with
   the camera and checks the delegate in; the same code read again a few
   seconds later is refused, in both languages;
5. the attendance on the moderator's screen and in the conclusion notice
   goes up by one.

On the way, each new screen is checked at its device's size with the
accessibility sweep's checks (``tests/test_e2e_a11y.py``: axe-core, one
``<h1>``, headings, table headers, no sideways scroll): the unit's page on a
phone and a laptop, the door's check-in page on a phone, the organiser's
units, guests and attendance pages on a laptop.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from docx import Document as open_document

from tests import test_e2e_browser as e2e
from tests import test_e2e_screens as screens
from tests._server import LinkProxy, RunningServer, free_port, start_server
from tests.test_e2e_a11y import check
from tests.test_e2e_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    RECONNECT_MS,
    drop_link,
    expect,
    wait_not_online,
    wait_online,
)
from tests.test_e2e_screens import open_page, shot

pytestmark = pytest.mark.slow

browser = e2e.browser
proxy = e2e.proxy  # a relay the test can cut, in front of the server
pages = screens.pages

DIALOGUE = "an-giang-2024"
MAIN_NAME = "Hội trường UBND tỉnh (điểm cầu chính)"
UNIT = "Đoàn cơ sở Sở Tư pháp"
DELEGATES = (("Nguyễn Thị Mai Anh", "Bí thư Chi đoàn"), ("Trần Quốc Bảo", "Đoàn viên"))
WIDTH, HEIGHT = 640, 480


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # a link proxy in front (trusted origin) lets a test drop the door's link
    proxy_port = free_port()
    running = start_server(
        tmp_path_factory.mktemp("e2e-checkin"),
        env={"LOG_LEVEL": "WARNING", "TRUSTED_ORIGINS": f"http://127.0.0.1:{proxy_port}"},
    )
    running.proxy_port = proxy_port
    try:
        yield running
    finally:
        running.stop()


def sign_in(page: Any, server: RunningServer) -> None:
    page.goto(f"{server.base_url}/o/login")
    page.locator("input[type=password]").fill(server.password)
    with page.expect_navigation():
        page.locator("input[type=password]").press("Enter")


def docx_text(data: bytes) -> str:
    document = open_document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def first_qr_picture(data: bytes) -> np.ndarray:
    """The first QR code picture of an invitation, as grey levels."""
    document = open_document(io.BytesIO(data))
    png = next(
        part.blob for part in document.part.package.parts if part.content_type == "image/png"
    )
    with av.open(io.BytesIO(png)) as container:
        frame = next(container.decode(video=0))
        grey: np.ndarray = frame.to_ndarray(format="gray")
    return grey


def y4m_of(picture: np.ndarray, path: Path, frames: int = 20) -> None:
    """A still picture, centred on white, as a Y4M clip Chromium's fake
    camera plays in a loop (4:2:0, grey: the chroma planes at 128)."""
    canvas = np.full((HEIGHT, WIDTH), 255, dtype=np.uint8)
    h, w = picture.shape
    assert h <= HEIGHT and w <= WIDTH, picture.shape
    top, left = (HEIGHT - h) // 2, (WIDTH - w) // 2
    canvas[top : top + h, left : left + w] = picture
    chroma = np.full((HEIGHT // 2, WIDTH // 2), 128, dtype=np.uint8).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + canvas.tobytes() + chroma + chroma)


def attendance_total(moderator: Any) -> int:
    return int(moderator.locator("[data-attendance-total]").get_attribute("data-attendance-total"))


def test_a_delegate_registered_by_a_unit_checks_in_by_camera(
    browser: Any, server: RunningServer, pages: list[Any], tmp_path: Path
) -> None:
    base = server.base_url
    organiser = open_page(browser, pages, f"{base}/o/login", **DESKTOP)
    sign_in(organiser, server)

    # 1. the unit and its link
    organiser.goto(f"{base}/o/{DIALOGUE}/units")
    check(organiser, "organiser-units-empty")
    organiser.locator("input[form='add-unit'][name=name]").fill(UNIT)
    organiser.locator("input[form='add-unit'][name=members]").fill("30")
    with organiser.expect_navigation():
        organiser.locator("button[form='add-unit']").click()
    row = organiser.locator("tr[id^=unit-]").filter(has=organiser.locator(f'input[value="{UNIT}"]'))
    with organiser.expect_navigation():
        row.locator("form:has(input[value=issue_link]) button").click()
    row = organiser.locator("tr[id^=unit-]").filter(has=organiser.locator(f'input[value="{UNIT}"]'))
    unit_url = row.locator(".url").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(base)}/u/\S+", unit_url), unit_url

    # 2. the unit registers two delegates, on a phone
    unit = open_page(browser, pages, unit_url, **PHONE)
    check(unit, "unit-register-360")
    for name, position in DELEGATES:
        unit.locator("#reg-form input[name=name]").fill(name)
        unit.locator("#reg-form input[name=position]").fill(position)
        with unit.expect_navigation():
            unit.locator("#reg-form button[type=submit]").click()
        expect(unit.locator("#reg-done")).to_be_visible()
    expect(unit.locator("#reg-list li")).to_have_count(2)
    shot(unit, "unit-register-phone")
    check(unit, "unit-register-360-filled")
    # withdrawing asks first, naming the person; "keep" leaves the list as it was
    with unit.expect_navigation():
        unit.locator("#reg-list li").filter(has_text=DELEGATES[1][0]).locator("button").click()
    expect(unit.locator("#reg-confirm h2")).to_contain_text(DELEGATES[1][0])
    expect(unit.locator("#reg-confirm button.danger")).to_be_in_viewport()
    shot(unit, "unit-register-confirm")
    check(unit, "unit-register-360-confirm")
    with unit.expect_navigation():
        unit.locator("#reg-confirm a.button").click()
    expect(unit.locator("#reg-confirm")).to_have_count(0)
    expect(unit.locator("#reg-list li")).to_have_count(2)
    laptop = open_page(browser, pages, unit_url, **DESKTOP)
    check(laptop, "unit-register-1280")

    # 3. the organiser downloads the unit's invitations
    organiser.goto(f"{base}/o/{DIALOGUE}/units")
    row = organiser.locator("tr[id^=unit-]").filter(has=organiser.locator(f'input[value="{UNIT}"]'))
    expect(row.locator(".fill")).to_contain_text("2")
    shot(organiser, "organiser-units")
    check(organiser, "organiser-units")
    with organiser.expect_download() as download:
        row.locator("a[href$='.docx']").click()
    invitation = Path(download.value.path()).read_bytes()
    text = docx_text(invitation)
    assert text.count("GIẤY MỜI") == 2 and DELEGATES[0][0] in text and MAIN_NAME in text

    # the moderator's figure and the notice's, before
    moderator = open_page(browser, pages, server.link("moderator").url, **DESKTOP)
    wait_online(moderator)
    before = attendance_total(moderator)
    notice = organiser.request.get(f"{base}/o/{DIALOGUE}/conclusion.docx")
    assert "Số người tham dự" not in docx_text(notice.body())

    # 4. the bridge console's camera sees the first delegate's QR code
    clip = tmp_path / "qr.y4m"
    y4m_of(first_qr_picture(invitation), clip)
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )
    try:
        context = camera_browser.new_context(locale="vi-VN", **DESKTOP)
        console = context.new_page()
        console.set_default_timeout(e2e.LIVE_MS)
        console.goto(server.link("bridge operator", MAIN_NAME).url)
        wait_online(console)
        count = console.locator("#checkin-count [data-checked-in]")
        assert count.get_attribute("data-checked-in") == "0"
        console.locator("#checkin-scan [data-camera-start]").click()
        expect(count).to_have_attribute("data-checked-in", "1", timeout=15_000)
        expect(console.locator("#checkin-count .checkin-recent")).to_contain_text(DELEGATES[0][0])
        # the same code, read again after a pause: refused, in both languages
        flash = console.locator("#flash.flash-error")
        expect(flash).to_contain_text("đã điểm danh lúc", timeout=15_000)
        expect(flash.locator('[lang="en"]')).to_contain_text("already checked in")
        assert count.get_attribute("data-checked-in") == "1"
        console.locator("#checkin-scan [data-camera-stop]").click()
        context.close()
    finally:
        camera_browser.close()

    # 5. one more on the moderator's screen and in the notice
    expect(moderator.locator("[data-attendance-total]")).to_have_attribute(
        "data-attendance-total", str(before + 1)
    )
    notice_text = docx_text(organiser.request.get(f"{base}/o/{DIALOGUE}/conclusion.docx").body())
    assert f"Số người tham dự: {before + 1} (theo điểm cầu: {MAIN_NAME}: 1)" in notice_text
    assert f"Tham dự buổi đối thoại có {before + 1} đại biểu" in notice_text


def test_the_door_and_the_organisers_pages_at_their_sizes(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    base = server.base_url
    organiser = open_page(browser, pages, f"{base}/o/login", **DESKTOP)
    sign_in(organiser, server)
    # a guest, and a door's check-in link for the main venue
    organiser.goto(f"{base}/o/{DIALOGUE}/guests")
    guests = organiser.locator("#ros-guests tbody tr").count()  # the demo's, if any
    form = organiser.locator("#ros-add-guest form")
    form.locator("input[name=name]").fill("Trịnh Thu Vân")
    form.locator("input[name=position]").fill("Phó Chủ tịch")
    form.locator("input[name=organisation]").fill("Ủy ban Mặt trận Tổ quốc tỉnh")
    form.locator("select[name=category]").select_option("leader")
    with organiser.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(organiser.locator("#ros-guests tbody tr")).to_have_count(guests + 1)
    shot(organiser, "organiser-guests")
    check(organiser, "organiser-guests")
    organiser.goto(f"{base}/o/{DIALOGUE}/attendance")
    if not organiser.locator("#att-tinh .url").count():  # the demo issues one per door
        with organiser.expect_navigation():
            organiser.locator("#att-tinh form button").click()
    door_url = organiser.locator("#att-tinh .url").inner_text().strip()
    shot(organiser, "organiser-attendance")
    check(organiser, "organiser-attendance")

    door = open_page(browser, pages, door_url, **PHONE)
    wait_online(door)
    # a guest checked in by name
    door.locator("[data-checkin-search]").fill("thu van")
    door.locator("#checkin-name-form button[type=submit]").click()
    expect(door.locator("#checkin-count .checkin-recent")).to_contain_text("Trịnh Thu Vân")
    # walk-ins counted
    door.locator("#walk-in-form input[name=count]").fill("3")
    door.locator("#walk-in-form button[type=submit]").click()
    expect(door.locator("#checkin-count [data-walk-ins]")).to_have_attribute("data-walk-ins", "3")
    expect(door.locator("#outbox")).to_be_hidden()  # acknowledged: nothing waits
    door.evaluate("window.scrollTo(0, 0)")
    shot(door, "checkin-phone")
    check(door, "checkin-360")


def test_a_door_that_loses_its_link_checks_in_once_it_returns(
    browser: Any, server: RunningServer, pages: list[Any], proxy: LinkProxy
) -> None:
    """The door's check-in (here by name, found before the link went down)
    is kept while the link is down, shown as waiting, and sent when it
    returns: the person is checked in once, and the count goes up by one."""
    base = server.base_url
    organiser = open_page(browser, pages, f"{base}/o/login", **DESKTOP)
    sign_in(organiser, server)
    organiser.goto(f"{base}/o/{DIALOGUE}/guests")
    form = organiser.locator("#ros-add-guest form")
    form.locator("input[name=name]").fill("Quan Bảo Ngọc")
    form.locator("input[name=organisation]").fill("Đài Phát thanh và Truyền hình An Giang")
    form.locator("select[name=category]").select_option("press")
    with organiser.expect_navigation():
        form.locator("button[type=submit]").click()
    organiser.goto(f"{base}/o/{DIALOGUE}/attendance")
    if not organiser.locator("#att-tinh .url").count():
        with organiser.expect_navigation():
            organiser.locator("#att-tinh form button").click()
    door_url = organiser.locator("#att-tinh .url").inner_text().strip()

    door = open_page(browser, pages, proxy.url(door_url), **PHONE)
    wait_online(door)
    count = door.locator("#checkin-count [data-checked-in]")
    before = int(count.get_attribute("data-checked-in") or "0")
    # found while the link was up (a search asks the server), then it drops
    door.locator("[data-checkin-search]").fill("bao ngoc")
    expect(door.locator("#checkin-found option").first).to_have_text(
        "Quan Bảo Ngọc – Đài Phát thanh và Truyền hình An Giang"
    )
    drop_link(door.context, proxy)
    proxy.block_sockets()
    wait_not_online(door)
    door.locator("#checkin-name-form button[type=submit]").click()
    expect(door.locator("#outbox li")).to_have_text(
        ["Điểm danh: Quan Bảo Ngọc – Đài Phát thanh và Truyền hình An Giang"]
    )
    assert count.get_attribute("data-checked-in") == str(before)
    door.context.set_offline(False)
    proxy.unblock_sockets()
    wait_online(door, timeout=RECONNECT_MS)
    expect(door.locator("#outbox")).to_be_hidden()
    expect(count).to_have_attribute("data-checked-in", str(before + 1))
    expect(door.locator("#checkin-count .checkin-recent")).to_contain_text("Quan Bảo Ngọc")
    door.wait_for_timeout(1000)  # any second send would have landed by now
    assert count.get_attribute("data-checked-in") == str(before + 1)
    assert door.locator("#flash.flash-error").count() == 0


def test_a_door_finds_a_person_by_typing_part_of_the_name_and_checks_them_in(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    """On a phone (360×740): a few letters without accents ask the server
    (the page holds no list), the person found is checked in with one tap,
    and a search again shows them as checked in, not to be chosen."""
    base = server.base_url
    organiser = open_page(browser, pages, f"{base}/o/login", **DESKTOP)
    sign_in(organiser, server)
    for name in ("Trần Thị Ngọc Hân", "Trần Văn Ngọc"):
        organiser.goto(f"{base}/o/{DIALOGUE}/guests")
        form = organiser.locator("#ros-add-guest form")
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=organisation]").fill("Ủy ban nhân dân xã Mỹ Hòa Hưng")
        form.locator("select[name=category]").select_option("leader")
        with organiser.expect_navigation():
            form.locator("button[type=submit]").click()
    organiser.goto(f"{base}/o/{DIALOGUE}/attendance")
    if not organiser.locator("#att-tinh .url").count():
        with organiser.expect_navigation():
            organiser.locator("#att-tinh form button").click()
    door_url = organiser.locator("#att-tinh .url").inner_text().strip()

    door = open_page(browser, pages, door_url, **PHONE)
    wait_online(door)
    assert "Ngọc Hân" not in door.content()  # nobody is listed until searched
    count = door.locator("#checkin-count [data-checked-in]")
    before = int(count.get_attribute("data-checked-in") or "0")
    search = door.locator("[data-checkin-search]")
    search.press_sequentially("tran ngoc", delay=40)
    found = door.locator("#checkin-found option")
    expect(found).to_have_text(
        [
            "Trần Thị Ngọc Hân – Ủy ban nhân dân xã Mỹ Hòa Hưng",
            "Trần Văn Ngọc – Ủy ban nhân dân xã Mỹ Hòa Hưng",
        ]
    )
    expect(door.locator("#checkin-found-note")).to_have_text("Tìm thấy 2 người.")
    assert door.locator("#checkin-found").input_value() == found.first.get_attribute("value")
    shot(door, "checkin-search-phone")
    check(door, "checkin-search-360")
    door.locator("#checkin-name-form button[type=submit]").click()
    expect(count).to_have_attribute("data-checked-in", str(before + 1))
    expect(door.locator("#checkin-count .checkin-recent li").first).to_contain_text(
        "Trần Thị Ngọc Hân"
    )
    expect(search).to_have_value("")  # the form is ready for the next person
    expect(found).to_have_count(0)
    # searched again: shown as checked in, and the other one is the choice
    search.fill("ngoc han")
    expect(found).to_have_count(1)
    expect(found.first).to_contain_text("đã điểm danh lúc")
    expect(found.first).to_be_disabled()
    search.fill("TRẦN ngọc")
    expect(found.nth(1)).to_be_enabled()
    expect(door.locator("#checkin-found")).to_have_value(found.nth(1).get_attribute("value") or "")
    assert door.locator("#flash.flash-error").count() == 0
    check(door, "checkin-search-done-360")
    # a second phone at the same door, its search typed: when the first one
    # checks that person in, the second one's answer shows it
    other = open_page(browser, pages, door_url, **PHONE)
    wait_online(other)
    other.locator("[data-checkin-search]").fill("tran van ngoc")
    theirs = other.locator("#checkin-found option")
    expect(theirs).to_have_count(1)
    expect(theirs.first).to_be_enabled()
    door.locator("#checkin-name-form button[type=submit]").click()
    expect(theirs.first).to_be_disabled()
    expect(theirs.first).to_contain_text("đã điểm danh lúc")
    # its chosen person gone, the second phone says so in words that wrap,
    # and a tap on "check in" says whom to choose (not the browser's bubble)
    note = other.locator("#checkin-found-note")
    expect(note).to_contain_text("Vừa có người điểm danh cho: Trần Văn Ngọc")
    other.locator("#checkin-name-form button[type=submit]").click()
    expect(note).to_have_text("Chọn một người chưa điểm danh trong danh sách.")
    # a search typed while the phone is offline shows no older answer as its
    # own, says why, and runs once the link returns
    other.context.set_offline(True)
    other.locator("[data-checkin-search]").fill("tran thi ngoc")
    expect(note).to_contain_text("cần kết nối mạng")
    expect(theirs).to_have_count(0)
    other.context.set_offline(False)
    expect(theirs).to_have_count(1)
    expect(theirs.first).to_contain_text("Trần Thị Ngọc Hân")
    expect(note).to_have_text("Tìm thấy 1 người.")
