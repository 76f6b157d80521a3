"""End to end, live updates under way: a real server and headless Chromium
(the harness of ``tests/test_e2e_browser.py``: one server for the module,
one browser context per person).

Each test pins a finding from a real event day:

- ``test_the_summary_being_typed_survives_mark_answered``: the moderator
  marks the question answered while the secretary types its summary; the
  editor moves from "on the floor" to "the record" with every character,
  the focus and the caret, and the server ends with the whole text; no
  holding box is left on either screen. Run in Chromium as it is and
  without ``moveBefore`` (where moving an element drops its focus).
- ``test_consent_is_not_carried_over_to_the_next_question``: the bridge
  console's and the phone's consent boxes are unticked after sending, so
  the next asker is not made public (the log and the hall display say so).
- ``test_a_vote_changes_one_item_of_the_public_list``: more than 20
  approved questions; a phone shows the top 20, a vote on another phone
  changes that item's count and place on the first phone in one small
  message, not the whole list; an approval costs a phone under 1 KB;
  search and "Xem thêm" reach the rest; closing the list leaves nothing
  behind.
- ``test_hall_displays_follow_the_floor_while_one_reconnects``: two hall
  displays and a third whose link keeps dropping; the floor moves; all end
  showing what a fresh page shows.

Message sizes are those of the WebSocket payloads the page receives.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest

from session_server.demo import DEMO_DIALOGUE_ID
from tests import test_e2e_browser as e2e
from tests._server import LinkProxy, RunningServer, ScreenLink
from tests.test_e2e_browser import (
    DESKTOP,
    LAPTOP,
    LIVE_MS,
    PHONE,
    PROJECTOR,
    RECONNECT_MS,
    Screens,
    action_form,
    eventually,
    evidence,
    expect,
    main_hall_display,
    outbox_items,
    question_item,
    wait_online,
)

pytestmark = pytest.mark.slow

# the module's fixtures are those of the browser tests (a server of its own)
server = e2e.server
browser = e2e.browser
proxy = e2e.proxy
screens = e2e.screens

VOTE_BYTES_MAX = 8 * 1024
"""What a vote may cost another phone (the whole list is several times this)."""
APPROVAL_BYTES_MAX = 1024
"""What an approval may cost a phone (DESIGN.md §4)."""


# --- the JSON API, to set up and to read what the server holds ------------------------


def link_token(link: ScreenLink) -> str:
    return link.path.split("/")[2]


def api(
    server: RunningServer, link: ScreenLink, path: str, body: dict[str, Any] | None = None
) -> Any:
    """GET (or POST ``body`` to) ``/api/v1/…`` with ``link`` as the Bearer token."""
    request = urllib.request.Request(
        f"{server.base_url}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {link_token(link)}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def command(server: RunningServer, action: str, **fields: Any) -> Any:
    return api(server, server.link("moderator"), "/commands", {"action": action, **fields})


def full_state(server: RunningServer) -> Any:
    return api(server, server.link("moderator"), f"/dialogues/{DEMO_DIALOGUE_ID}/state")


def question_by_text(server: RunningServer, text: str) -> Any:
    found = [q for q in full_state(server)["questions"] if q["text"] == text]
    assert len(found) == 1, f"{len(found)} questions with the text {text!r}"
    return found[0]


def question_by_id(server: RunningServer, question_id: int) -> Any:
    return next(q for q in full_state(server)["questions"] if q["question_id"] == question_id)


def summary_of(server: RunningServer, question_id: int) -> str | None:
    answer = question_by_id(server, question_id)["answer"]
    return answer["summary"] if answer else None


def free_the_floor(server: RunningServer) -> None:
    if full_state(server)["floor"]["holder"]:
        command(server, "release_floor")


def stamp() -> str:
    return time.strftime("%H%M%S") + f"{time.monotonic_ns() % 1000:03d}"


# --- 2: the secretary's summary and "mark answered" ---------------------------------


NO_MOVE_BEFORE = """for (const proto of [Element.prototype, Document.prototype,
                               DocumentFragment.prototype]) { delete proto.moveBefore; }"""
"""A browser without ``Element.moveBefore``: htmx and the editor then move
elements with ``appendChild``/``replaceChild``, which drop their focus."""


@pytest.mark.parametrize("move_before", [True, False], ids=["moveBefore", "no-moveBefore"])
def test_the_summary_being_typed_survives_mark_answered(
    browser: Any, server: RunningServer, screens: Screens, move_before: bool
) -> None:
    saved = f"Tóm tắt {stamp()}: Sở Lao động"
    first = saved + " cam kết mở "
    rest = "thêm ba lớp nghề miễn phí ở Tri Tôn trong quý II, ưu tiên thanh niên Khmer."
    with evidence(screens, server):
        free_the_floor(server)
        qid = full_state(server)["queue"][0]
        command(server, "give_floor", bridge_id="tri-ton", question_id=qid, question_seconds=90)
        moderator = screens.open("moderator", server.link("moderator").url, **DESKTOP)
        context = browser.new_context(locale="vi-VN", **LAPTOP)
        screens.contexts.append(context)
        if not move_before:
            context.add_init_script(NO_MOVE_BEFORE)
        secretary = screens.add_page("secretary", context, server.link("secretary").url)
        wait_online(moderator)
        wait_online(secretary)
        assert secretary.evaluate("'moveBefore' in Element.prototype") is move_before
        box_id = f"summary-{qid}"
        box = secretary.locator(f"#{box_id}")
        expect(secretary.locator(f"#sec-floor #{box_id}")).to_be_visible()
        mark = action_form(moderator.locator("#mod-floor"), "mark_answered")
        expect(mark).to_be_visible()
        # count the keystrokes, and note how many had landed when the box moved
        secretary.evaluate(
            """(id) => {
            window.__inputs = 0; window.__movedAt = null;
            document.addEventListener('input', () => { window.__inputs += 1; }, true);
            new MutationObserver(() => {
                const el = document.getElementById(id);
                if (window.__movedAt === null && el && el.closest('#sec-record')) {
                    window.__movedAt = window.__inputs;
                }
            }).observe(document.body, {subtree: true, childList: true});
        }""",
            box_id,
        )

        box.click()
        secretary.keyboard.type(saved, delay=20)
        # a pause: this much is saved (a first revision) before the question moves
        eventually(lambda: summary_of(server, qid) == saved, 10, "the first save")
        secretary.keyboard.type(first[len(saved) :], delay=20)
        mark.locator("button").click()  # the moderator, mid-sentence
        secretary.keyboard.type(rest, delay=35)  # the secretary goes on typing

        moved_at, inputs = secretary.evaluate("[window.__movedAt, window.__inputs]")
        print(f"\nthe summary box moved to the record after {moved_at} of {inputs} keystrokes")
        expect(box).to_have_value(first + rest)  # not a character lost
        assert moved_at is not None, "the editor did not move to the record"
        assert len(first) <= moved_at < inputs, "the move happened while typing"
        expect(secretary.locator("[data-editor-conflict]:visible")).to_have_count(0)
        expect(secretary.locator(f"#sec-record #{box_id}")).to_have_value(first + rest)
        expect(secretary.locator(f"#sec-floor #{box_id}")).to_have_count(0)
        expect(box).to_have_count(1)
        assert secretary.evaluate("document.activeElement && document.activeElement.id") == box_id
        caret = secretary.evaluate("(id) => document.getElementById(id).selectionStart", box_id)
        assert caret == len(first + rest), f"the caret is at {caret}, not at the end"
        # nothing left over in the holding box of either screen: the summary was
        # taken back by the record, the moderator's empty outcome fields went
        # with the question
        for page in (secretary, moderator):
            expect(page.locator("#preserve-stash:visible")).to_have_count(0)

        # saved a moment after the last keystroke, whole
        eventually(
            lambda: summary_of(server, qid) == first + rest,
            10,
            "the server to hold the whole summary",
        )
        assert question_by_id(server, qid)["status"] == "answered"
        eventually(lambda: outbox_items(secretary) == [], 10, "the save to be acknowledged")
        expect(secretary.locator(".editor-note-error")).to_have_count(0)
        expect(secretary.locator("[data-editor-conflict]:visible")).to_have_count(0)
        secretary.reload()
        wait_online(secretary)
        expect(secretary.locator(f"#sec-record #{box_id}")).to_have_value(first + rest)
        assert not screens.errors, screens.errors


# --- 3: consent does not carry over to the next asker ----------------------------------


def test_consent_is_not_carried_over_to_the_next_question(
    browser: Any, server: RunningServer, screens: Screens
) -> None:
    bridge_name = "TX. Tân Châu"
    mark = stamp()
    named = (f"Phiếu {mark} 1: xin mở thêm điểm tư vấn việc làm ở Tân Châu.", "Trần Thị Mai")
    unnamed = (f"Phiếu {mark} 2: có hỗ trợ học phí cho con hộ nghèo không?", "Lý Văn Hai")
    phone_named = (
        f"Điện thoại {mark} 1: bao giờ có sân chơi ở phường Long Thạnh?",
        "Phạm Minh Khoa",
    )
    phone_unnamed = (f"Điện thoại {mark} 2: xin thêm chuyến xe buýt buổi tối.", "Võ Thị Ngọc")
    with evidence(screens, server):
        free_the_floor(server)
        bridge = screens.open("bridge", server.link("bridge operator", bridge_name).url, **LAPTOP)
        phone = screens.open("phone", server.link("attendee", bridge_name).url, **PHONE)
        display = screens.open("display", main_hall_display(server).url, **PROJECTOR)
        for page in (bridge, phone, display):
            wait_online(page)

        form = bridge.locator("#bridge-form")
        consent = form.locator("input[name=asker_public]")
        for (text, name), public in ((named, True), (unnamed, False)):
            form.locator("textarea[name=text]").fill(text)
            form.locator("input[name=asker_name]").fill(name)
            if public:
                consent.check()
            expect(consent).to_be_checked(checked=public)
            form.locator("button[type=submit]").click()
            expect(form.locator("textarea[name=text]")).to_have_value("")
            expect(consent).not_to_be_checked()  # the next asker starts unnamed
            expect(form.locator("input[name=asker_name]")).to_have_value("")
            expect(question_item(bridge, "#bridge-queue", text)).to_have_count(1)

        ask = phone.locator("#ask-form")
        phone_consent = ask.locator("input[name=asker_public]")
        for (text, name), public in ((phone_named, True), (phone_unnamed, False)):
            ask.locator("textarea[name=text]").fill(text)
            ask.locator("input[name=asker_name]").fill(name)
            if public:
                phone_consent.check()
            ask.locator("button[type=submit]").click()
            expect(question_item(phone, "#mine", text)).to_have_count(1)
            expect(ask.locator("textarea[name=text]")).to_have_value("")
            expect(phone_consent).not_to_be_checked()

        eventually(
            lambda: outbox_items(bridge) == [] and outbox_items(phone) == [],
            10,
            "both outboxes to empty",
        )
        for (text, name), public in (
            (named, True),
            (unnamed, False),
            (phone_named, True),
            (phone_unnamed, False),
        ):
            asker = question_by_text(server, text)["askers"][0]
            assert asker["name"] == name
            assert asker["public"] is public, f"{name}: public={asker['public']}, not {public}"

        # on the hall display: the second asker's name never shows, the first one's does
        for (text, name), public in ((unnamed, False), (named, True)):
            qid = question_by_text(server, text)["question_id"]
            command(server, "approve_question", question_id=qid)
            command(
                server, "give_floor", bridge_id="tan-chau", question_id=qid, question_seconds=90
            )
            expect(display.locator("#display .display-question")).to_have_text(text)
            asker = display.locator("#display .display-asker")
            if public:
                expect(asker).to_contain_text(name)
            else:
                expect(asker).to_have_count(0)  # no asker line at all
                assert name not in display.locator("#display").inner_text()
            command(server, "release_floor")
            expect(display.locator("#display .display-question")).to_have_count(0)
        assert not screens.errors, screens.errors


# --- 7: the phone's public list: top 20, changed item by item ---------------------------


def list_ids(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all("#pq-list > li", "els => els.map(e => e.id)")
    return ids


def votes_of(page: Any, item_id: str) -> int:
    text = page.locator(f"#{item_id} .votes").inner_text()
    return int(re.sub(r"\D", "", text))


def test_a_vote_changes_one_item_of_the_public_list(
    browser: Any, server: RunningServer, screens: Screens
) -> None:
    bridge_name = "Huyện Châu Thành"
    word = f"Sentinel{stamp()}"
    with evidence(screens, server):
        # more than 20 approved questions, one findable only by search
        operator = server.link("bridge operator", bridge_name)
        queue = full_state(server)["queue"]
        extra = [
            f"Câu {word} {n}: đề nghị tỉnh hỗ trợ thanh niên học ngoại ngữ."
            for n in range(max(0, 27 - len(queue)) + 1)
        ]
        for n, text in enumerate(extra):
            made = api(
                server, operator, "/questions", {"text": text, "idempotency_key": f"{word}-{n}"}
            )
            command(server, "approve_question", question_id=made["question_id"])
        command(server, "set_public_list", open=True)
        total = len(full_state(server)["queue"])
        assert total > 20

        first = screens.open("phone-1", server.link("attendee", bridge_name).url, **PHONE)
        frames: list[tuple[int, str]] = []  # (bytes, text) of each message received

        def on_socket(socket: Any) -> None:
            def on_frame(payload: Any) -> None:
                text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
                frames.append((len(text.encode()), text))

            socket.on("framereceived", on_frame)

        first.on("websocket", on_socket)
        first.reload()  # its socket now opens under the capture
        second = screens.open("phone-2", server.link("attendee", "Huyện Tri Tôn").url, **PHONE)
        wait_online(first)
        wait_online(second)
        expect(first.locator("#pq-list > li")).to_have_count(20)
        expect(first.locator("#pq-count")).to_contain_text(f"trong {total} câu")
        before = list_ids(first)
        whole_list = len(first.locator("#public-list").evaluate("el => el.outerHTML").encode())

        # the other phone votes for the last of the 20
        target = before[-1]
        count = votes_of(first, target)
        mark = len(frames)
        second.locator(f"#{target} button[type=submit]").click()
        expect(first.locator(f"#{target} .votes")).to_have_text(f"▲ {count + 1}")
        # the phone that voted shows it, after a reload too, and is not offered it again
        voted = second.locator(f"#{target} button[type=submit]")
        expect(voted).to_have_text("Đã ủng hộ")
        expect(voted).to_be_disabled()
        second.reload()
        expect(second.locator(f"#{target} button[type=submit]")).to_have_text("Đã ủng hộ")
        seq = full_state(server)["seq"]
        fresh = screens.open("phone-3", server.link("attendee", "TP. Long Xuyên").url, **PHONE)
        expected = list_ids(fresh)
        eventually(lambda: list_ids(first) == expected, 5, "the first phone's order")
        if count + 1 > votes_of(first, before[-2]):
            assert list_ids(first).index(target) < 19, "the upvoted item moved up"
        # the vote's broadcast is the message that brings its position
        update = [(size, text) for size, text in frames[mark:] if f'data-seq="{seq}"' in text]
        update_bytes = sum(size for size, _ in update)
        print(
            f"\na vote cost the other phone {update_bytes} bytes in {len(update)} message(s); "
            f"its whole public list is {whole_list} bytes"
        )
        assert len(update) == 1, "the vote reached the first phone in one message"
        assert update_bytes < VOTE_BYTES_MAX, update[0][1][:400]
        assert f'id="{target}"' in update[0][1]
        assert not any('id="public-list"' in text for _, text in frames[mark:]), (
            "the whole list was sent again"
        )

        # an approval (its question too new for the top 20) costs a phone the count alone
        late = f"Câu {word} muộn: xin mở lớp kỹ năng số cho thanh niên."
        made = api(server, operator, "/questions", {"text": late, "idempotency_key": f"{word}-z"})
        mark = len(frames)
        command(server, "approve_question", question_id=made["question_id"])
        total += 1
        expect(first.locator("#pq-count")).to_contain_text(f"trong {total} câu")
        seq = full_state(server)["seq"]
        update = [(size, text) for size, text in frames[mark:] if f'data-seq="{seq}"' in text]
        approval_bytes = sum(size for size, _ in update)
        print(f"an approval cost it {approval_bytes} bytes")
        assert approval_bytes < APPROVAL_BYTES_MAX, update[0][1][:400] if update else update
        extra.append(late)

        # search and "Xem thêm" reach what the top 20 leaves out
        search = first.locator("form.pq-search")
        search.locator("input[type=search]").fill(word.lower())
        search.locator("button[type=submit]").click()
        found = first.locator("#pq-found li")
        expect(found).to_have_count(min(20, len(extra)))
        for text in extra:
            expect(found.filter(has_text=text)).to_have_count(1)
        search.locator("button", has_text="Xem thêm").click()
        expect(first.locator("#pq-found")).to_contain_text(f"Từ câu thứ 21 trong {total}")
        expect(found).to_have_count(min(20, total - 20))
        shown = set(list_ids(first))
        assert (
            not {
                f"pq-{li.removeprefix('pf-')}"
                for li in first.eval_on_selector_all("#pq-found li", "els => els.map(e => e.id)")
            }
            & shown
        ), "'more' starts after the 20 shown"
        expect(first.locator("#pq-list > li")).to_have_count(20)

        # a question found by "more" can be upvoted from there
        pick = found.first
        picked = int(pick.get_attribute("data-question") or "0")
        had = question_by_id(server, picked)["votes"]
        pick.locator("button[type=submit]").click()
        # the answer shows where the phone is scrolled to, and the found
        # item (a snapshot) takes the vote at once
        expect(first.locator("#flash.flash-ok")).to_be_in_viewport()
        expect(pick.locator(".votes")).to_have_text(f"▲ {had + 1}")
        expect(pick.locator("button[type=submit]")).to_have_text("Đã ủng hộ")
        eventually(
            lambda: question_by_id(server, picked)["votes"] == had + 1,
            5,
            "the vote from the found list to count",
        )

        # the moderator closes the list: it goes, search results and all, and
        # nothing is left over in the holding box
        command(server, "set_public_list", open=False)
        expect(first.locator("#pq-list")).to_have_count(0)
        expect(first.locator("#pq-found")).to_have_count(0)
        expect(first.locator("#preserve-stash:visible")).to_have_count(0)
        assert not screens.errors, screens.errors


# --- 1: hall displays follow the floor while one keeps reconnecting -------------------


def floor_shown(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("""() => {
        const d = document.getElementById('display');
        const text = (sel) => {
            const el = d.querySelector(sel);
            return el ? el.textContent.trim() : null;
        };
        return {
            holder: text('.display-holder'),
            question: text('.display-question'),
            asker: text('.display-asker'),
            speaker: text('.display-speaker'),
            next: text('.display-next'),
            theme: text('.display-theme'),
            ends: Array.from(d.querySelectorAll('[data-ends-at]'))
                .map(e => e.getAttribute('data-ends-at')),
        };
    }""")
    return result


def test_hall_displays_follow_the_floor_while_one_reconnects(
    browser: Any, server: RunningServer, proxy: LinkProxy, screens: Screens
) -> None:
    links = server.links_of("hall display")
    with evidence(screens, server):
        free_the_floor(server)
        steady = [
            screens.open(f"display-{n}", link.url, **PROJECTOR) for n, link in enumerate(links[:2])
        ]
        flapping = screens.open("display-flapping", proxy.url(links[2].url), **PROJECTOR)
        for page in (*steady, flapping):
            wait_online(page)
        state = full_state(server)
        names = {b["bridge_id"]: b["name"] for b in state["bridges"]}
        queue = state["queue"]
        bridges = ["tinh", "chau-doc", "an-phu", "long-xuyen", "tri-ton", "tinh"]
        cuts = 0
        for n in range(12):
            if n % 4 == 0:
                # the third display's link drops; the floor moves on while it reconnects
                wait_online(flapping, timeout=RECONNECT_MS)
                assert proxy.cut() > 0
                cuts += 1
            bridge = bridges[n % len(bridges)]
            command(
                server,
                "give_floor",
                bridge_id=bridge,
                question_id=queue[n % 5],
                question_seconds=90,
            )
            for page in steady:
                expect(page.locator("#display .display-holder")).to_contain_text(names[bridge])
            command(server, "release_floor")
            for page in steady:
                expect(page.locator("#display .display-holder")).to_have_count(0)
        command(
            server, "give_floor", bridge_id="chau-doc", question_id=queue[0], question_seconds=90
        )
        wait_online(flapping, timeout=RECONNECT_MS)
        truth = screens.open("display-fresh", links[3].url, **PROJECTOR)
        wait_online(truth)
        want = floor_shown(truth)
        assert want["holder"] and names["chau-doc"] in want["holder"]
        for page in (*steady, flapping):
            eventually(
                lambda p=page: floor_shown(p) == want,
                LIVE_MS / 1000,
                f"{page.url} to show the floor a fresh page shows",
            )
        print(f"\n{cuts} link drops of the third display over 25 floor moves")
        command(server, "release_floor")
        assert not screens.errors, screens.errors
