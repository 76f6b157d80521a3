"""End to end: the pages not covered by test_e2e_screens.py pass axe-core.

One server (media on, so the camera page shows its panel) and one Chromium
for the module. Each page is opened at the size of the device it is used on:

- the moderator's console on a podium tablet, 1280×800 and 1024×768;
- the camera page, the agency's answer page and every organiser page (login,
  list of dialogues, set-up, links, the QR sheet and a bridge point's
  printable sheet, import, follow-up board, conclusion) on a laptop, 1280×800;
- the public report on a laptop and on a phone, 360×740;
- before the day: the organiser's preparation timeline on a laptop,
  1280×800, and a small tablet, 1024×768, the published plan on a phone
  and a laptop, a drafter's suggested answers page on a laptop, and the
  note it drafted on its speaker's tablet.

On each: no serious or critical axe-core violation (WCAG 2.0/2.1 A and AA
and best practices), exactly one ``<h1>``, heading levels that never skip
one (h1 → h3), a text or an ``aria-label`` on every ``<th>``, and no
sideways scroll at the device's width.

``SCREENSHOTS=1`` (or ``UPDATE_SCREENSHOTS=1``) copies the organiser's
dashboard, login and links pages to ``docs/screenshots/``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests import test_e2e_browser as e2e
from tests import test_e2e_screens as screens
from tests._server import RunningServer, start_server
from tests.test_e2e_browser import DESKTOP, PHONE, action_form, expect, wait_online
from tests.test_e2e_screens import api, axe, command, open_page, shot

pages = screens.pages

pytestmark = pytest.mark.slow

browser = e2e.browser

DIALOGUE = "an-giang-2024"
REMOTE = "chau-doc"
REMOTE_NAME = "TP. Châu Đốc"
TABLET_SMALL = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
TABLET = {"viewport": {"width": 1280, "height": 800}, "has_touch": True}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("e2e-a11y"),
        env={"MEDIA": "1", "MEDIA_ADDRESSES": "127.0.0.1", "LOG_LEVEL": "WARNING"},
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def organiser(browser: Any, server: RunningServer) -> Iterator[Any]:
    """A laptop's page signed in as the organiser."""
    context = browser.new_context(locale="vi-VN", bypass_csp=True, **DESKTOP)
    page = context.new_page()
    page.set_default_timeout(e2e.LIVE_MS)
    page.goto(f"{server.base_url}/o/login")
    check(page, "organiser-login")
    shot(page, "organiser-login")
    page.locator("input[type=password]").fill("not the password")
    with page.expect_navigation():
        page.locator("input[type=password]").press("Enter")
    expect(page.locator(".error-pair")).to_be_visible()
    check(page, "organiser-login-refused")
    page.locator("input[type=password]").fill(server.password)
    with page.expect_navigation():
        page.locator("input[type=password]").press("Enter")
    yield page
    context.close()


# --- what is checked on every page ----------------------------------------------------


HEADINGS = """() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]
    .filter(h => h.getClientRects().length > 0)
    .map(h => h.tagName.toLowerCase() + ' ' + h.textContent.trim().slice(0, 40))"""

EMPTY_HEADERS = """() => [...document.querySelectorAll('th')]
    .filter(th => !th.textContent.trim() && !(th.getAttribute('aria-label') || '').trim())
    .map(th => (th.closest('table').id || th.closest('section')?.id || '?') +
               ' th#' + th.cellIndex)"""

WIDE = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
        .filter(el => { const box = el.getBoundingClientRect();
                        return box.width > 0 && box.right > width + 1; })
        .filter(el => !el.parentElement.closest('[data-scroll-x]'))
        .slice(0, 6)
        .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                   (typeof el.className === 'string' && el.className.trim() ?
                    '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                   ' right=' + Math.round(el.getBoundingClientRect().right));
}"""


def findings(page: Any) -> list[str]:
    """What is wrong with the page, as lines; empty when it passes."""
    found = [f"axe: {line}" for line in axe(page, AXE_TAGS)]
    h1 = page.locator("h1").count()
    if h1 != 1:
        found.append(f"{h1} <h1> instead of one: {page.locator('h1').all_inner_texts()}")
    headings: list[str] = page.evaluate(HEADINGS)
    levels = [int(h[1]) for h in headings]
    for before, after in itertools.pairwise(levels):
        if after > before + 1:
            found.append(f"headings skip a level: {headings}")
            break
    found += [f"a table header without a name: {th}" for th in page.evaluate(EMPTY_HEADERS)]
    scroll = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll[0] > scroll[1]:
        found.append(f"scrolls sideways, {scroll[0]} px wide: {page.evaluate(WIDE)}")
    return found


def check(page: Any, name: str) -> None:
    found = findings(page)
    print(f"\n{name} ({page.viewport_size['width']}×{page.viewport_size['height']}):")
    for line in found or ["clean"]:
        print(f"  {line}")
    assert not found, f"{name}: " + "\n".join(found)


# --- the pages ---------------------------------------------------------------------------


def test_the_moderator_console_on_both_tablets(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    # a district holds the floor with its question and a speaker
    operator = server.link("bridge operator", REMOTE_NAME)
    made = api(
        server,
        operator,
        "/questions",
        {
            "text": "Thanh niên nông thôn muốn vay vốn khởi nghiệp thì cần thủ tục gì ạ?",
            "idempotency_key": f"a11y-{time.monotonic_ns()}",
        },
    )
    command(server, "approve_question", question_id=made["question_id"])
    state = api(server, server.link("moderator"), f"/dialogues/{DIALOGUE}/state")
    if state["floor"]["holder"]:
        command(server, "release_floor")
    command(
        server,
        "give_floor",
        bridge_id=REMOTE,
        question_id=made["question_id"],
        question_seconds=600,
        speaker_id=state["speakers"][0]["speaker_id"],
        without_feed=True,
    )
    for name, options in (("moderator-1280", TABLET), ("moderator-1024", TABLET_SMALL)):
        page = open_page(browser, pages, server.link("moderator").url, **options)
        wait_online(page)
        expect(page.locator("#mod-floor .countdown").first).to_be_visible()
        check(page, name)


# what in the floor card reaches past its right edge, and where "answered" is
FLOOR_FIT = """() => {
    const card = document.getElementById('mod-floor').getBoundingClientRect();
    const column = document.querySelector('.mod-floor-col').getBoundingClientRect();
    const past = [...document.querySelectorAll('#mod-floor *')]
        .filter(el => { const box = el.getBoundingClientRect();
                        return box.width > 0 && box.right > card.right + 1; })
        .map(el => el.tagName.toLowerCase() + '.' + el.className + ' +' +
                   Math.round(el.getBoundingClientRect().right - card.right));
    const done = document.querySelector('#mod-floor .floor-finish button');
    const box = done.getBoundingClientRect();
    return {past: past.slice(0, 4), top: box.top, bottom: box.bottom,
            columnTop: column.top, columnBottom: Math.min(column.bottom, innerHeight)};
}"""

FLASH_FITS = """() => { const f = document.getElementById('flash');
    return f.scrollHeight <= f.clientHeight + 1
        && f.getBoundingClientRect().bottom <= innerHeight; }"""


def test_the_floor_is_given_and_ended_from_the_podium_tablets(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    """A queued question of a district with no live picture, given the
    floor from the queue (its card's question longer than the three lines a
    card shows: pressing its button once grew the card under the pointer,
    and the press was lost): the refusal fits its box in both languages,
    says the link's state in words and offers the floor anyway in one tap. On the
    floor, with the speaker whose name and agency are longest: nothing of
    the floor card reaches past it, the speaker is named in full, and
    "answered" stays in view however long the question."""
    state = api(server, server.link("moderator"), f"/dialogues/{DIALOGUE}/state")
    longest = max(state["speakers"], key=lambda s: len(" ".join(str(v) for v in s.values())))
    for name, options in (("moderator-1024", TABLET_SMALL), ("moderator-1280", TABLET)):
        if api(server, server.link("moderator"), f"/dialogues/{DIALOGUE}/state")["floor"]["holder"]:
            command(server, "release_floor")
        made = api(
            server,
            server.link("bridge operator", REMOTE_NAME),
            "/questions",
            {
                "text": "Thanh niên đi làm công nhân ở các tỉnh khác muốn về quê lập nghiệp "
                "thì được hỗ trợ gì về vốn, về đất đai, về đào tạo nghề và về thủ tục "
                "thành lập doanh nghiệp? Xin lãnh đạo tỉnh cho biết cụ thể từng chính sách.",
                "idempotency_key": f"floor-{name}-{time.monotonic_ns()}",
            },
        )
        command(server, "approve_question", question_id=made["question_id"])
        page = open_page(browser, pages, server.link("moderator").url, **options)
        wait_online(page)
        card = page.locator(f'#mq-list li[data-question="{made["question_id"]}"]')
        card.locator("form.to-floor button").click()
        again = page.locator("#flash .refusal-again button")
        expect(again).to_be_visible()
        expect(page.locator("#flash")).to_contain_text("Chưa phát hình")
        assert page.evaluate(FLASH_FITS), f"{name}: the refusal does not fit its box"
        check(page, f"{name}-refused")
        again.click()
        expect(page.locator("#mod-floor.floor-held")).to_be_visible()
        assign = action_form(page.locator("#mod-floor"), "assign_speaker")
        assign.locator("select[name=speaker_id]").select_option(longest["speaker_id"])
        assign.locator("button[type=submit]").click()
        expect(page.locator("#mod-floor .floor-answerer")).to_contain_text(longest["name"])
        # a tap on the confirmation's words puts it away
        page.locator("#flash").click()
        expect(page.locator("#flash")).to_be_empty()
        fit = page.evaluate(FLOOR_FIT)
        assert not fit["past"], f"{name}: past the floor card: {fit['past']}"
        assert fit["columnTop"] <= fit["top"] and fit["bottom"] <= fit["columnBottom"], (
            f"{name}: 'answered' is out of view: {fit}"
        )
        check(page, f"{name}-floor")
        if name == "moderator-1024":
            shot(page, "moderator-floor-1024")
        action_form(page.locator("#mod-floor"), "mark_answered").locator("button").click()
        expect(
            page.locator(f'#mod-floor .floor-question:has-text("#{made["question_id"]}")')
        ).to_have_count(0)


def test_the_camera_page(browser: Any, server: RunningServer, pages: list[Any]) -> None:
    url = server.link("bridge operator", REMOTE_NAME).url + "/camera"
    page = open_page(browser, pages, url, **DESKTOP)
    wait_online(page)
    check(page, "camera")


IMPORT_CSV = (
    "Câu hỏi,Điểm cầu,Nhóm vấn đề\n"
    "Tỉnh có chương trình hỗ trợ thanh niên khởi nghiệp nông nghiệp sạch không ạ?,chau-doc,\n"
    "Tỉnh có chương trình hỗ trợ thanh niên khởi nghiệp nông nghiệp sạch không ạ?,chau-doc,\n"
    ",không-có,\n"
)

ORGANISER_PAGES = {
    "organiser-list": "/o/",
    "organiser-dashboard": f"/o/{DIALOGUE}",
    "organiser-links": f"/o/{DIALOGUE}/links",
    "organiser-qr": f"/o/{DIALOGUE}/qr",
    "organiser-bridge-sheet": f"/o/{DIALOGUE}/qr?bridge={REMOTE}",
    "organiser-import": f"/o/{DIALOGUE}/import",
    "organiser-conclusion": f"/o/{DIALOGUE}/conclusion",
    # registration and check-in, empty here (with units, guests and check-ins,
    # and the unit's and the door's own pages: tests/test_e2e_checkin.py)
    "organiser-units": f"/o/{DIALOGUE}/units",
    "organiser-guests": f"/o/{DIALOGUE}/guests",
    "organiser-attendance": f"/o/{DIALOGUE}/attendance",
}


def test_every_organiser_page(server: RunningServer, organiser: Any) -> None:
    failed: list[str] = []
    for name, path in ORGANISER_PAGES.items():
        organiser.goto(f"{server.base_url}{path}")
        if name == "organiser-dashboard":
            shot(organiser, name)
        elif name == "organiser-links":
            shot(organiser, "moderator-links")
        try:
            check(organiser, name)
        except AssertionError as error:
            failed.append(str(error))
    # a revocation waiting for its confirmation
    organiser.goto(f"{server.base_url}/o/{DIALOGUE}/links")
    row = organiser.locator("#org-links tr.active").filter(has=organiser.locator("a.url")).last
    with organiser.expect_navigation():
        action_form(row, "revoke_link").locator("button").click()
    # the last row's question comes back in view (it came back above the top)
    expect(organiser.locator("#org-revoke-confirm")).to_be_in_viewport()
    try:
        check(organiser, "organiser-links-confirm")
    except AssertionError as error:
        failed.append(str(error))
    # an import with a bad row and a duplicate
    organiser.goto(f"{server.base_url}/o/{DIALOGUE}/import")
    organiser.locator("input[type=file]").set_input_files(
        {"name": "cau-hoi.csv", "mimeType": "text/csv", "buffer": IMPORT_CSV.encode()}
    )
    with organiser.expect_navigation():
        organiser.locator("#rec-import button[type=submit]").click()
    expect(organiser.locator("main h3").first).to_be_visible()
    try:
        check(organiser, "organiser-import-result")
    except AssertionError as error:
        failed.append(str(error))
    assert not failed, "\n\n".join(failed)


def test_the_follow_up_board_and_an_agency_page(
    browser: Any, server: RunningServer, organiser: Any, pages: list[Any]
) -> None:
    board = f"{server.base_url}/o/{DIALOGUE}/followup"
    organiser.goto(board)
    # a question the day did not reach is forwarded to its agency …
    if organiser.locator("#fu-unreached input[name=question_ids]").count():
        organiser.locator("#fu-unreached input[name=question_ids]").first.check()
        organiser.locator("#fu-fates-form select[name=fate]").select_option("forward")
        with organiser.expect_navigation():
            organiser.locator("#fu-fates-form button[type=submit]").click()
    # … and the agency is given a link
    row = organiser.locator("#fu-table tbody tr[id^=fu-]").first
    if not row.locator("a.url").count():
        with organiser.expect_navigation():
            action_form(row, "issue_link").locator("button").click()
        row = organiser.locator("#fu-table tbody tr[id^=fu-]").first
    url = row.locator("a.url").first.get_attribute("href")
    assert url, "no agency link on the board"
    check(organiser, "organiser-followup")

    agency = open_page(browser, pages, url, **DESKTOP)
    expect(agency.locator("textarea[name=text]")).to_be_visible()
    check(agency, "agency-answer")


def test_the_public_report_on_a_laptop_and_a_phone(
    browser: Any, server: RunningServer, pages: list[Any]
) -> None:
    for name, options in (("report-1280", DESKTOP), ("report-360", PHONE)):
        page = open_page(browser, pages, f"{server.base_url}/r/{DIALOGUE}", **options)
        expect(page.locator("h1")).to_have_count(1)
        check(page, name)


def test_the_preparation_pages(
    browser: Any, server: RunningServer, organiser: Any, pages: list[Any]
) -> None:
    """The timeline from the template (every task overdue: the demo's day is
    today), a drafter's link issued and the plan published; then the public
    plan page, signed out, and the drafter's page."""
    prep = f"{server.base_url}/o/{DIALOGUE}/prep"
    organiser.goto(prep)
    if not organiser.locator("#prep-tasks").count():
        with organiser.expect_navigation():
            action_form(organiser.locator("#prep-timeline"), "apply_preparation_template").locator(
                "button"
            ).click()
    expect(organiser.locator("#prep-tasks tr.overdue").first).to_be_visible()
    if not organiser.locator("#prep-drafter-links").count():
        issue = organiser.locator("#prep-drafter-issue")
        issue.locator("input[name=agency]").fill("Văn phòng UBND tỉnh")
        with organiser.expect_navigation():
            issue.locator("button[type=submit]").click()
    if organiser.locator("#prep-plan button[type=submit]").count():
        with organiser.expect_navigation():
            organiser.locator("#prep-plan button[type=submit]").click()
    expect(organiser.locator("#plan-warning")).to_be_visible()  # published late
    failed: list[str] = []
    for name, size in (("organiser-prep", (1280, 800)), ("organiser-prep-1024", (1024, 768))):
        organiser.set_viewport_size({"width": size[0], "height": size[1]})
        organiser.goto(prep)
        if size[0] == 1280:
            shot(organiser, name)
        failed += [f"{name}: raw catalogue key {key}" for key in e2e.raw_keys(organiser)]
        try:
            check(organiser, name)
        except AssertionError as error:
            failed.append(str(error))
    organiser.set_viewport_size(DESKTOP["viewport"])
    organiser.goto(f"{server.base_url}/o/{DIALOGUE}")
    expect(organiser.locator("#org-prep-overdue")).to_be_visible()
    organiser.goto(prep)
    drafter_url = organiser.locator("#prep-drafter-links .url").first.inner_text()
    for name, options in (("plan-360", PHONE), ("plan-1280", DESKTOP)):
        page = open_page(browser, pages, f"{server.base_url}/p/{DIALOGUE}", **options)
        expect(page.locator(".plan-qr img")).to_be_visible()
        shot(page, name)
        failed += [f"{name}: raw catalogue key {key}" for key in e2e.raw_keys(page)]
        try:
            check(page, name)
        except AssertionError as error:
            failed.append(str(error))
    drafter = open_page(browser, pages, drafter_url, **DESKTOP)
    # a question still in the queue (earlier tests of this server may have
    # answered some), assigned to a speaker whose tablet then shows the note
    state = api(server, server.link("moderator"), f"/dialogues/{DIALOGUE}/state")
    queued = next(q for q in state["queue"] if drafter.locator(f"#q{q}").count())
    speaker_id, speaker_name = state["speakers"][0]["speaker_id"], state["speakers"][0]["name"]
    command(server, "assign_speaker", question_id=queued, speaker_id=speaker_id)
    card = drafter.locator(f"section.suggest-card#q{queued}")
    card.locator("textarea[name=text]").fill("Nêu chương trình hỗ trợ vốn khởi nghiệp của tỉnh.")
    with drafter.expect_navigation():
        card.locator("button[type=submit]").click()
    expect(drafter.locator("#suggest-saved")).to_be_visible()
    shot(drafter, "drafter")
    failed += [f"drafter: raw catalogue key {key}" for key in e2e.raw_keys(drafter)]
    try:
        check(drafter, "drafter-1280")
    except AssertionError as error:
        failed.append(str(error))
    # the note under its question, on its speaker's tablet
    speaker = open_page(browser, pages, server.link("speaker", speaker_name).url, **TABLET)
    wait_online(speaker)
    expect(speaker.locator("#speaker-list .suggested", has_text="khởi nghiệp")).to_be_visible()
    shot(speaker, "speaker-suggested")
    for name, size in (("speaker-1280", TABLET), ("speaker-1024", TABLET_SMALL)):
        speaker.set_viewport_size(size["viewport"])
        try:
            check(speaker, name)
        except AssertionError as error:
            failed.append(str(error))
    assert not failed, "\n\n".join(failed)


BROKEN = """<!doctype html><html lang="vi"><head><title>x</title></head><body>
<main><h1>Một</h1><h1>Hai</h1><h3>Ba</h3>
<table><thead><tr><th>Tên</th><th></th></tr></thead>
<tbody><tr><td>a</td><td><button>Xóa</button></td></tr></tbody></table>
<img src="data:," width="10" height="10">
<div style="width: 2000px">rộng</div></main></body></html>"""


def test_the_checks_catch_what_they_look_for(browser: Any, pages: list[Any]) -> None:
    """Each check, on a page made to fail it."""
    context = browser.new_context(bypass_csp=True, **DESKTOP)
    pages.append(context)
    page = context.new_page()
    page.set_content(BROKEN)
    found = "\n".join(findings(page))
    for expected in (
        "axe: image-alt (critical)",
        "2 <h1> instead of one",
        "headings skip a level",
        "a table header without a name",
        "scrolls sideways",
    ):
        assert expected in found, f"{expected!r} not in:\n{found}"
