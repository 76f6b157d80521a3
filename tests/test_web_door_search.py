"""A door at peak arrival: a thousand people expected at one bridge point.

The door's live push after a check-in carries its figures and the latest
check-ins, never the list of who is expected (it was 127 KB a push at a
thousand people, sent again after every arrival); a name is found by a
bounded server-side search on the door link's own path (``/people?q=…``),
accents aside, for a door's links only."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core.model import Actor, Role
from session_server.core.registration import GuestCategory
from session_server.core.roster import find_expected
from session_server.demo import DEMO_DIALOGUE_ID, demo_commands
from session_server.runtime.session import DialogueSession
from session_server.store.memory import MemoryEventLog
from session_server.web.app import create_app
from session_server.web.live.hub import Hub
from session_server.web.render import Renderer
from session_server.web.screens import Audience
from session_server.web.screens.checkin import FOUND_SHOWN
from tests.test_web_hub import connect, settle
from tests.webapp import SECRET, seed, settings, token

ORGANISER = Actor(Role.ORGANISER)
DOOR = Actor(Role.CHECK_IN, bridge_id="tinh")
PEOPLE = 1000
PUSH_BOUND = 2000
"""Bytes a door's push after a check-in may take, whatever the crowd: its
figures and the latest few names (the whole list was ~127 KB at 1,000)."""

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = ("Văn", "Thị", "Hoàng", "Minh", "Quốc", "Ngọc", "Thanh", "Đức", "Thu", "Hữu")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Hà", "Khánh", "Lộc", "Phúc", "Tâm", "Yến")
PLACES = ("Long Xuyên", "Châu Đốc", "Tân Châu", "Tri Tôn", "Tịnh Biên", "Chợ Mới", "Phú Tân")


def crowd() -> list[rc.SetGuest]:
    """A thousand people expected at the main venue, with Vietnamese names
    and units as printed (accents, đ)."""
    return [
        rc.SetGuest(
            ORGANISER,
            f"crowd-{n:04d}",
            f"{FAMILY[n % 10]} {MIDDLE[n // 10 % 10]} {GIVEN[n // 100 % 10]}",
            "Đoàn viên",
            f"Đoàn Thanh niên phường {n % 50 + 1}, {PLACES[n % len(PLACES)]}",
            GuestCategory.OTHER,
            bridge_id="tinh",
        )
        for n in range(PEOPLE)
    ]


async def _seed(log: MemoryEventLog) -> None:
    await seed(log)
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    commands: list[c.Command] = [
        *crowd(),
        c.IssueLink(ORGANISER, "door-tinh-01", Role.CHECK_IN, "tinh"),
        c.IssueLink(ORGANISER, "door-tinh-02", Role.CHECK_IN, "tinh"),
        c.IssueLink(ORGANISER, "op-tinh-0001", Role.BRIDGE_OPERATOR, "tinh"),
    ]
    await session.execute_all(commands, now)


@pytest.fixture(scope="module")
def app() -> Starlette:
    log = MemoryEventLog()
    asyncio.run(_seed(log))
    return create_app(settings(), log, SECRET)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _names(html: str) -> list[str]:
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', html)


# --- the push ------------------------------------------------------------------------------


async def test_a_doors_push_after_a_check_in_stays_small_with_a_thousand_expected() -> None:
    log = MemoryEventLog()
    session = DialogueSession(log, DEMO_DIALOGUE_ID)
    await session.load()
    now = datetime.now(UTC)
    await session.execute_all([*demo_commands(now), *crowd()], now)
    hub = Hub(session, Renderer())
    hub.start()
    order: list[tuple[int, str]] = []
    _, door = connect(hub, Audience(Role.CHECK_IN, "tinh"), order)
    _, console = connect(hub, Audience(Role.BRIDGE_OPERATOR, "tinh"), order)
    await settle()
    sizes: list[int] = []
    for n in range(12):  # more arrivals than the door shows
        door.sent.clear()
        console.sent.clear()
        await hub.execute(rc.CheckInDelegate(DOOR, f"crowd-{n * 7:04d}", "tinh"))
        await settle()
        pushed = "".join(door.sent).encode()
        sizes.append(len(pushed))
        assert b'data-checked-in="' + str(n + 1).encode() + b'"' in pushed
        assert b"crowd-0999" not in pushed and b'id="checkin-people"' not in pushed
        on_console = "".join(console.sent).encode()
        assert len(on_console) < PUSH_BOUND and b'id="checkin-people"' not in on_console
    assert max(sizes) < PUSH_BOUND, sizes
    # the latest check-ins, the newest first, at most RECENT of them
    recent = re.findall(r"<li><b>([^<]+)</b>", "".join(door.sent))
    assert len(recent) == 5 and recent[0] == session.state.roster.delegates["crowd-0077"].name
    await hub.stop()


# --- the search ----------------------------------------------------------------------------


def test_a_name_is_found_without_accents_by_the_start_of_its_words(client: TestClient) -> None:
    door = token(client.app, "door-tinh-01")  # type: ignore[arg-type]
    page = client.get(f"/s/{door}")
    assert page.status_code == 200
    assert "Đoàn viên" not in page.text and "crowd-0" not in page.text  # no list in the page
    assert len(page.content) < 40_000, len(page.content)
    found = client.get(f"/s/{door}/people", params={"q": "dang ngoc phuc"})
    assert found.status_code == 200
    names = _names(found.text)
    assert names and all(n.startswith("Đặng Ngọc Phúc – ") for n in names)
    assert len(names) == sum(
        1 for n in range(PEOPLE) if n % 10 == 6 and n // 10 % 10 == 5 and n // 100 % 10 == 7
    )
    # by a unit's word, and the start of a word only
    assert _names(client.get(f"/s/{door}/people", params={"q": "tinh bien Hồ"}).text)
    assert not _names(client.get(f"/s/{door}/people", params={"q": "oan"}).text)
    # a mistyped name: nobody, said so
    nobody = client.get(f"/s/{door}/people", params={"q": "xyzzy"})
    assert _names(nobody.text) == [] and "Không tìm thấy ai" in nobody.text
    # nothing typed: nothing sent
    assert _names(client.get(f"/s/{door}/people").text) == []


def test_a_search_is_bounded_in_what_it_takes_and_gives(client: TestClient) -> None:
    door = token(client.app, "door-tinh-02")  # type: ignore[arg-type]
    many = client.get(f"/s/{door}/people", params={"q": "nguyen"})
    assert len(_names(many.text)) == FOUND_SHOWN
    assert f"Hiện {FOUND_SHOWN} trên {PEOPLE // 10} người" in many.text
    assert len(many.content) < 6000, len(many.content)
    # a long query is cut, not searched whole
    long = client.get(f"/s/{door}/people", params={"q": "nguyen " + "a" * 10_000})
    assert long.status_code == 200 and _names(long.text) == []
    assert len(long.content) < 2000


def test_a_person_checked_in_shows_as_such_and_cannot_be_chosen(client: TestClient) -> None:
    door = token(client.app, "door-tinh-01")  # type: ignore[arg-type]
    page = client.get(f"/s/{door}")
    form = re.search(r'<form[^>]*id="checkin-name-form"[^>]*>(.*?)</form>', page.text, re.S)
    assert form
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1)))
    found = client.get(f"/s/{door}/people", params={"q": "bui van yen"}).text
    first = re.search(r'<option value="([^"]+)">', found)
    assert first
    done = client.post(
        f"/s/{door}/act", data={**fields, "delegate_id": first.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303
    again = client.get(f"/s/{door}/people", params={"q": "bui van yen"}).text
    assert re.search(
        rf'<option value="{first.group(1)}" disabled data-checked-in>[^<]*\(đã điểm danh lúc', again
    )
    page = client.get(f"/s/{door}")
    form = re.search(r'<form[^>]*id="checkin-name-form"[^>]*>(.*?)</form>', page.text, re.S)
    assert form
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1)))
    twice = client.post(f"/s/{door}/act", data={**fields, "delegate_id": first.group(1)})
    assert twice.status_code == 409 and "đã điểm danh lúc" in twice.text


def test_the_bridge_console_searches_its_own_bridge_point_only(client: TestClient) -> None:
    console = token(client.app, "op-tinh-0001")  # type: ignore[arg-type]
    assert _names(client.get(f"/s/{console}/people", params={"q": "le"}).text)
    elsewhere = token(client.app, "opchaudoc01")  # type: ignore[arg-type]
    assert _names(client.get(f"/s/{elsewhere}/people", params={"q": "le hoang"}).text) == []


def test_other_roles_and_revoked_links_are_refused(app: Starlette) -> None:
    with TestClient(app) as client:
        for link_id in ("moderator01", "display0001", "secretary01", "speaker0001"):
            refused = client.get(f"/s/{token(app, link_id)}/people", params={"q": "nguyen"})
            assert refused.status_code == 403, link_id
            assert "Nguyễn" not in refused.text
        phone = client.get(f"/s/{token(app, 'phchaudoc01')}/people", params={"q": "nguyen"})
        assert phone.status_code in (403, 404) and "Nguyễn" not in phone.text
        assert client.get("/s/not-a-token/people", params={"q": "nguyen"}).status_code in (
            403,
            404,
        )
        door = token(app, "door-tinh-02")
        hub = app.state.registry.hubs[DEMO_DIALOGUE_ID]
        client.portal.call(hub.execute, c.RevokeLink(ORGANISER, "door-tinh-02"))  # type: ignore[union-attr]
        revoked = client.get(f"/s/{door}/people", params={"q": "nguyen"})
        assert revoked.status_code in (403, 410) and "Nguyễn" not in revoked.text


def test_find_expected_needs_every_word_and_keeps_to_its_limit() -> None:
    log = MemoryEventLog()

    async def build() -> DialogueSession:
        session = DialogueSession(log, DEMO_DIALOGUE_ID)
        await session.load()
        now = datetime.now(UTC)
        await session.execute_all([*demo_commands(now), *crowd()], now)
        return session

    state = asyncio.run(build()).state
    found, total = find_expected(state, "tinh", "  PHAM   van ", 3)
    assert total == 10 and len(found) == 3  # Phạm Văn *: one of each given name
    assert all(d.name.startswith("Phạm Văn ") and ci is None for d, ci in found)
    assert [d.name for d, _ in found] == sorted(d.name for d, _ in found)
    assert find_expected(state, "tinh", "pham van", 0) == ([], 0)
    assert find_expected(state, "chau-doc", "pham van", 5)[1] == 0
    assert find_expected(state, "tinh", "   ", 5) == ([], 0)
