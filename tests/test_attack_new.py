"""Attacks on the surfaces of the weeks before the day and of the door: a
unit's link, a door's link, a drafter's link, the organiser's imports and
the public plan, each tried the way a script holding the link (or a bad
file) would. A refusal is in both languages and changes nothing."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from types import FrameType

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from session_server.core import commands as c
from session_server.core import commands_registration as rc
from session_server.core.model import Actor, Role, State
from session_server.demo import DEMO_DIALOGUE_ID
from tests.test_web_roster import DOOR_LINK, roster_app

DEMO = DEMO_DIALOGUE_ID


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(roster_app()) as client:
        yield client


def _app(client: TestClient) -> Starlette:
    app = client.app
    assert isinstance(app, Starlette)
    return app


def _state(client: TestClient) -> State:
    state: State = _app(client).state.registry.hubs[DEMO].session.state
    return state


def _token(client: TestClient, link_id: str) -> str:
    token: str = _app(client).state.registry.access.link_token(DEMO, link_id)
    return token


def _bearer(client: TestClient, link_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(client, link_id)}"}


def _log_length(client: TestClient) -> int:
    return len(_app(client).state.registry.hubs[DEMO].session.state.applied_commands)


# --- a door's link ------------------------------------------------------------------


def test_a_leaked_door_link_cannot_fill_the_log_with_walk_ins(client: TestClient) -> None:
    """Walk-ins counted again and again (or counted and taken back), each a
    new command: every one an event in the log. A door's counts are bounded per bridge
    point, refused in both languages once over, and the refusal stores
    nothing (the door's outbox sends it again later)."""
    headers = _bearer(client, DOOR_LINK)
    accepted = refused = 0
    last = None
    for number in range(400):
        body = {
            "action": "count_walk_ins",
            "bridge_id": "tinh",
            "count": 1,
            "command_id": f"walk-{number:06d}",
        }
        response = client.post("/api/v1/commands", json=body, headers=headers)
        if response.status_code == 429:
            refused += 1
            last = response
        else:
            assert response.status_code == 200, response.text
            accepted += 1
    assert accepted <= 120 and refused >= 280
    assert last is not None
    error = last.json()
    assert error["error"] == "rate.limited"
    assert "gửi quá nhanh" in error["message"]["vi"] and "too fast" in error["message"]["en"]
    before = _log_length(client)
    again = client.post(
        "/api/v1/commands",
        json={"action": "count_walk_ins", "bridge_id": "tinh", "count": 1, "command_id": "walk-x"},
        headers=headers,
    )
    assert again.status_code == 429 and _log_length(client) == before
    # a retry of a count the log holds is answered, not charged
    retry = client.post(
        "/api/v1/commands",
        json={
            "action": "count_walk_ins",
            "bridge_id": "tinh",
            "count": 1,
            "command_id": "walk-000000",
        },
        headers=headers,
    )
    assert retry.status_code == 200 and _log_length(client) == before


# --- a drafter's link ---------------------------------------------------------------


def test_a_drafters_page_takes_any_digits_in_its_numbers(client: TestClient) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` fails: the page's numbers
    (``?saved=``, a refused note's question) must not answer 500."""
    from tests.test_web_preparation import _issue_drafter, _post, _sign_in

    _sign_in(client)
    _post(client, "publish")
    path = _issue_drafter(client, "Văn phòng UBND tỉnh")
    drafter = TestClient(_app(client), base_url="http://testserver")
    for odd in ("²", "٣", "9" * 5000):
        assert drafter.get(path, params={"saved": odd}).status_code == 200
    page = drafter.get(path)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    before = len(_state(client).preparation.suggested_answers)
    for odd in ("²", "9" * 5000):
        refused = drafter.post(
            path, data={"csrf": csrf.group(1), "question_id": odd, "text": "gợi ý"}
        )
        assert refused.status_code == 422, refused.status_code
        assert "gợi ý" in refused.text
    assert len(_state(client).preparation.suggested_answers) == before


# --- the organiser's imports --------------------------------------------------------


def test_an_imported_number_too_large_for_an_integer_is_refused_by_row(client: TestClient) -> None:
    """``int(float("1e400"))`` raises OverflowError, not ValueError: a list
    of units with such a count of members answered 500 and imported
    nothing; its row is refused in both languages and the others imported."""
    from tests.test_web_roster import _hidden, _sign_in

    _sign_in(client)
    page = client.get(f"/o/{DEMO}/units")
    form = _hidden(page.text, "import")
    units_csv = (
        "Đơn vị;Loại;Số đoàn viên;Điểm cầu;Chỉ tiêu\n"
        "Đoàn cơ sở Công an tỉnh;Đoàn cơ sở;1e400;;\n"
        "Chi đoàn Bưu điện;Chi đoàn cơ sở;inf;;\n"
        "Chi đoàn Điện lực;Chi đoàn cơ sở;9;;-inf\n"
        "Đoàn cơ sở Ngân hàng;Đoàn cơ sở;30;;\n"
    ).encode()
    before = dict(_state(client).roster.units)
    response = client.post(
        f"/o/{DEMO}/units",
        data={**form, "kind": "units"},
        files={"file": ("don-vi.csv", units_csv, "text/csv")},
    )
    assert response.status_code == 200, response.status_code
    assert "Đã nhập 1 trên 4 dòng" in response.text
    assert "không hợp lệ" in response.text
    added = set(_state(client).roster.units) - set(before)
    assert [_state(client).roster.units[u].name for u in added] == ["Đoàn cơ sở Ngân hàng"]


# --- a unit's link ------------------------------------------------------------------


def test_a_units_invitations_are_made_a_few_times_a_minute(client: TestClient) -> None:
    """Each download builds a DOCX with a QR code a delegate (tens of
    milliseconds each, on the server's one event loop): a script on one of
    the hundreds of units' links could keep every phone's screen waiting.
    A link gets a few a minute; then a bilingual refusal, and its page and
    its registration go on."""
    token = _token(client, "unit-link-04")
    codes = [client.get(f"/u/{token}/invitations.docx").status_code for _ in range(12)]
    assert codes.count(200) == 6 and codes[6:] == [429] * 6
    refused = client.get(f"/u/{token}/invitations.docx")
    assert refused.status_code == 429
    assert "Bạn gửi quá nhanh" in refused.text and "You are sending too fast" in refused.text
    assert client.get(f"/u/{token}").status_code == 200
    # another unit's link is not slowed down by this one
    other = _token(client, "unit-link-01")
    assert client.get(f"/u/{other}/invitations.docx").status_code == 200


def _made_meanwhile(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, module: object, name: str, path: str
) -> list[int]:
    """Download ``path`` while watching its document being made by the real
    ``module.name``: the thread it is made on runs no event loop, and halfway
    through (its words read, its pages not yet written) the server answers
    another request, a health check, on the loop every screen shares. The
    statuses of those health checks (none if the document was never made).

    Not timed: a stall of the machine (another process, a collection of the
    test run's heap) must not fail it, and a document made on the loop
    fails it every time (``get_running_loop`` finds the loop, and the health
    check could never be answered while it waits)."""
    real = getattr(module, name)
    answered: list[int] = []

    def watched(words: object) -> bytes:
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()  # not on the screens' event loop
        answered.append(client.get("/healthz").status_code)
        data: bytes = real(words)
        return data

    monkeypatch.setattr(module, name, watched)
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"PK")  # the real document (a .docx is a zip)
    monkeypatch.setattr(module, name, real)
    return answered


def test_large_documents_keep_no_screen_waiting(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit of 60 delegates: its invitations take about a second to make;
    a hall of 400 delegates: its sign-in list as long. Meanwhile the server
    answers others (each document is made on a worker thread from the words
    read off the state, not on the event loop every screen shares)."""
    from session_server.web.screens import unit
    from session_server.web.screens.organiser import roster
    from tests.test_web_roster import _sign_in

    organiser = Actor(Role.ORGANISER)
    commands: list[c.Command] = [
        rc.SetUnit(organiser, "doan-khoi-lon", "Đoàn Khối lớn", members=900, quota_override=60),
        c.IssueLink(organiser, "unit-link-big", Role.UNIT_REGISTRAR, unit_id="doan-khoi-lon"),
        *(
            rc.RegisterDelegate(organiser, f"big-{n:06d}", "doan-khoi-lon", f"Người số {n}")
            for n in range(60)
        ),
        rc.SetUnit(
            organiser, "doan-tinh-lon", "Đoàn Khối tỉnh", bridge_id="tinh", quota_override=400
        ),
        *(
            rc.RegisterDelegate(organiser, f"hall-{n:06d}", "doan-tinh-lon", f"Đại biểu {n}")
            for n in range(400)
        ),
    ]
    hub = _app(client).state.registry.hubs[DEMO]
    now = datetime.now(UTC)
    assert client.portal is not None
    for command in commands:
        client.portal.call(hub.execute, command, now)
    big = f"/u/{_token(client, 'unit-link-big')}/invitations.docx"
    assert _made_meanwhile(client, monkeypatch, unit, "render_invitations", big) == [200]
    _sign_in(client)
    tinh = f"/o/{DEMO}/delegates/tinh.docx"
    assert _made_meanwhile(client, monkeypatch, roster, "render_delegate_list", tinh) == [200]
    one = f"/o/{DEMO}/invitations/unit-doan-khoi-lon.docx"
    assert _made_meanwhile(client, monkeypatch, roster, "render_invitations", one) == [200]


def test_a_revoked_door_link_stops_at_once_even_over_its_open_socket(client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    from tests.test_web_screens import hello

    hub = _app(client).state.registry.hubs[DEMO]
    with client.websocket_connect(f"/ws/{_token(client, DOOR_LINK)}") as ws:
        hello(ws)
        assert client.portal is not None
        client.portal.call(hub.execute, c.RevokeLink(Actor(Role.ORGANISER), DOOR_LINK))
        ws.send_json(
            {
                "action": "check_in_delegate",
                "delegate_id": "dlg-noivu-01",
                "bridge_id": "tinh",
                "command_id": "door-after-revoke",
            }
        )
        with pytest.raises(WebSocketDisconnect) as info:
            while True:
                ws.receive_text()
        assert info.value.code == 1008
    assert "dlg-noivu-01" not in _state(client).roster.check_ins
    page = client.get(f"/s/{_token(client, DOOR_LINK)}")
    assert page.status_code == 403


def test_a_delegate_expected_elsewhere_is_checked_in_where_they_came(client: TestClient) -> None:
    """A delegate of Châu Đốc's unit who came to the province's hall is let
    in there: the check-in is recorded at the door that saw them (the
    province's), not at the bridge point the unit was given; the door
    cannot name another bridge point."""
    headers = _bearer(client, DOOR_LINK)
    elsewhere = client.post(
        "/api/v1/commands",
        json={
            "action": "check_in_delegate",
            "delegate_id": "dlg-chaudoc-1",
            "bridge_id": "chau-doc",
        },
        headers=headers,
    )
    assert elsewhere.status_code == 403 and "dlg-chaudoc-1" not in _state(client).roster.check_ins
    here = client.post(
        "/api/v1/commands",
        json={"action": "check_in_delegate", "delegate_id": "dlg-chaudoc-1", "bridge_id": "tinh"},
        headers=headers,
    )
    assert here.status_code == 200
    assert _state(client).roster.check_ins["dlg-chaudoc-1"].bridge_id == "tinh"


# --- the broadcast feed -------------------------------------------------------------


def test_a_feed_socket_commands_nothing_and_hears_its_refusals_as_json() -> None:
    """A broadcast station's feed is JSON (docs/media.md): a command sent on
    it is refused and changes nothing, and the refusal comes as JSON too
    (an HTML flash in the feed broke a station's parser); a flood is cut
    off."""
    from starlette.websockets import WebSocketDisconnect

    from tests.webapp import build_app, token

    app = build_app()
    with TestClient(app) as client:
        hub = app.state.registry.hubs[DEMO]
        before = hub.session.seq
        with client.websocket_connect(f"/ws/{token(app, 'display0001')}?view=feed") as feed:
            feed.send_json({"type": "hello", "epoch": "", "seq": -1})
            assert json.loads(feed.receive_text())["type"] == "overlay"
            feed.send_json({"action": "give_floor", "bridge_id": "tinh", "command_id": "feed-01"})
            refused = json.loads(feed.receive_text())
            assert refused["type"] == "refused" and refused["code"] == "role.forbidden"
            assert refused["key"] == "feed-01" and refused["vi"] and refused["en"]
            feed.send_json({"type": "hello"})  # again: refused, as JSON
            again = json.loads(feed.receive_text())
            assert again["code"] == "socket.hello_again" and again["key"] is None
            assert hub.session.seq == before
            with pytest.raises(WebSocketDisconnect) as info:
                for n in range(200):
                    feed.send_json({"type": "ping", "n": n})
                while True:
                    json.loads(feed.receive_text())
            assert info.value.code == 1008
        assert hub.session.seq == before


def test_a_long_delegate_list_against_many_units_is_planned_in_moments() -> None:
    """A province's list: 2,000 delegates of 500 units. The units' names
    were folded again for every row (21 s of the event loop on this
    machine, every screen waiting); folded once, it takes well under a
    second. A unit named twice in a unit list is the same unit."""
    from session_server.core import apply, decide
    from session_server.core.text import fold_text
    from session_server.demo import demo_commands
    from session_server.export.roster_import import plan_roster_import

    now = datetime.now(UTC)
    state = State()
    organiser = Actor(Role.ORGANISER)
    commands: list[c.Command] = [
        *demo_commands(now, live=False),
        *(
            rc.SetUnit(organiser, f"u{n:04d}", f"Đoàn cơ sở Công ty số {n}", quota_override=20)
            for n in range(500)
        ),
    ]
    for command in commands:
        for event in decide(state, command, now):
            apply(state, event)
    rows = ["Họ tên,Chức vụ,Đơn vị,Điện thoại"] + [
        f"Người thứ {n},Đoàn viên,Đoàn cơ sở Công ty số {n % 500},0912 345 {n % 1000:03d}"
        for n in range(2000)
    ]
    folded = 0

    def count(frame: FrameType, event: str, _arg: object) -> None:
        nonlocal folded
        folded += event == "call" and frame.f_code is fold_text.__code__

    sys.setprofile(count)  # every call of fold_text, whatever module imported it
    try:
        plan = plan_roster_import(
            state, "\n".join(rows).encode(), "d.csv", "delegates", organiser, now
        )
    finally:
        sys.setprofile(None)
    assert (len(plan.commands), plan.errors) == (2000, [])
    # A few folds a row (13,064 here): folding the 500 units' names again
    # for every row would be 1,000,000 (counted, not timed: no machine's
    # load can fail it, and no fast machine can hide it)
    assert folded < 10 * 2000, folded
    units = ["Đơn vị,Loại,Số đoàn viên", "Đoàn Xí nghiệp Mới,Đoàn cơ sở,30"]
    units += ["Đoàn cơ sở Công ty số 7,Đoàn cơ sở,70", "ĐOÀN XÍ NGHIỆP MỚI,Đoàn cơ sở,31"]
    plan = plan_roster_import(state, "\n".join(units).encode(), "u.csv", "units", organiser, now)
    ids = [command.unit_id for _row, command in plan.commands]  # type: ignore[attr-defined]
    assert ids == ["", "u0007", "doan-xi-nghiep-moi"] and plan.errors == []


# --- public surfaces ----------------------------------------------------------------


def test_no_delegate_or_guest_reaches_a_public_surface(client: TestClient) -> None:
    """Delegates (names, phone numbers) and guests registered, some checked
    in: the public report, the published plan, the public API, a phone's
    page and the hall display show the figures at most, never a person."""
    from tests.test_web_preparation import _post
    from tests.test_web_roster import _sign_in

    registered = rc.RegisterDelegate(
        Actor(Role.ORGANISER),
        "dlg-phone-0001",
        "doan-so-noi-vu",
        "Đỗ Thị Ngọc Ánh",
        "",
        "0987 654 321",
    )
    assert client.portal is not None
    client.portal.call(_app(client).state.registry.hubs[DEMO].execute, registered)
    headers = _bearer(client, DOOR_LINK)
    for delegate_id in ("dlg-noivu-01", "dlg-phone-0001"):
        body = {"action": "check_in_delegate", "delegate_id": delegate_id, "bridge_id": "tinh"}
        assert client.post("/api/v1/commands", json=body, headers=headers).status_code == 200
    _sign_in(client)
    assert _post(client, "publish").status_code == 303  # type: ignore[attr-defined]
    roster = _state(client).roster
    people = [d.name for d in roster.delegates.values()]
    phones = [d.phone for d in roster.delegates.values() if d.phone]
    assert people and phones
    anonymous = TestClient(_app(client), base_url="http://testserver")
    phone_token = _token(client, "phchaudoc01")
    pages = {
        "report": anonymous.get(f"/r/{DEMO}"),
        "plan": anonymous.get(f"/p/{DEMO}"),
        "api": anonymous.get(f"/api/v1/dialogues/{DEMO}/public"),
        "phone": anonymous.get(f"/j/{phone_token}"),
        "display": anonymous.get(f"/s/{_token(client, 'display0001')}"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        for secret in (*people, *phones, *roster.delegates):
            assert secret not in response.text, (where, secret)


# --- a unit's link, again -----------------------------------------------------------


def test_the_same_registration_sent_again_adds_nothing_to_the_log(client: TestClient) -> None:
    """A reload of the unit's form (or a script) posts the same delegate
    with the same details again and again: each was a new event."""
    from tests.test_web_roster import _unit_form

    token = _token(client, "unit-link-02")
    form = {**_unit_form(client, token), "name": "Trần Thị Bích", "position": "Đoàn viên"}
    first = client.post(f"/u/{token}", data=form, follow_redirects=False)
    assert first.status_code == 303
    hub = _app(client).state.registry.hubs[DEMO]
    seq = hub.session.seq
    for _ in range(5):
        assert client.post(f"/u/{token}", data=form, follow_redirects=False).status_code == 303
    assert hub.session.seq == seq
    changed = client.post(
        f"/u/{token}", data={**form, "position": "Bí thư"}, follow_redirects=False
    )
    assert changed.status_code == 303 and hub.session.seq == seq + 1


def test_a_units_link_changes_its_list_a_few_times_a_minute(client: TestClient) -> None:
    """Registering and withdrawing the same person, again and again: every
    post an event in the log. A unit's link changes its list at most
    UNIT_RATE times a minute (a person typing does a few); the refusal is
    bilingual and changes nothing."""
    from session_server.web.limits import UNIT_RATE
    from tests.test_web_roster import _unit_form

    token = _token(client, "unit-link-02")
    form = _unit_form(client, token)
    hub = _app(client).state.registry.hubs[DEMO]
    codes = []
    for n in range(UNIT_RATE.count + 5):
        if n % 2 == 0:
            data = {**form, "name": "Người thử"}
        else:
            data = {
                "csrf": form["csrf"],
                "action": "withdraw",
                "delegate_id": form["delegate_id"],
                "confirm": "yes",
            }
        codes.append(client.post(f"/u/{token}", data=data, follow_redirects=False).status_code)
    assert codes[: UNIT_RATE.count] == [303] * UNIT_RATE.count
    assert codes[UNIT_RATE.count :] == [429] * 5
    seq = hub.session.seq
    refused = client.post(f"/u/{token}", data={**form, "name": "Người khác"})
    assert refused.status_code == 429 and hub.session.seq == seq
    assert "Bạn gửi quá nhanh" in refused.text and "You are sending too fast" in refused.text


def test_a_revoked_units_link_stops_at_once(client: TestClient) -> None:
    """The page open, the form filled: the organiser revokes the link; the
    post, the page and the invitations are refused in both languages and
    nothing is registered."""
    from tests.test_web_roster import _unit_form

    token = _token(client, "unit-link-02")
    form = {**_unit_form(client, token), "name": "Người đến muộn"}
    hub = _app(client).state.registry.hubs[DEMO]
    assert client.portal is not None
    client.portal.call(hub.execute, c.RevokeLink(Actor(Role.ORGANISER), "unit-link-02"))
    seq = hub.session.seq
    for response in (
        client.post(f"/u/{token}", data=form),
        client.get(f"/u/{token}"),
        client.get(f"/u/{token}/invitations.docx"),
    ):
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
        assert 'lang="vi"' in response.text and 'lang="en"' in response.text
    assert hub.session.seq == seq
    assert all(d.name != "Người đến muộn" for d in _state(client).roster.delegates.values())


# --- documents with hostile text ----------------------------------------------------


def test_hostile_names_reach_the_documents_as_plain_text(client: TestClient) -> None:
    """A unit types control characters, XML and a bidi override into a
    delegate's name; the organiser names a guest the same way. The core
    drops what XML cannot hold; the invitations, the sign-in list and the
    MC's script open, with the markup as text."""
    import io

    from docx import Document as open_document

    from session_server.core.registration import GuestCategory
    from session_server.export.invitation import delegate_list_docx, invitations_docx
    from session_server.export.mc_script import mc_script_docx
    from tests.test_web_roster import _unit_form

    typed = "Lê\x00\x07\x1b Văn <w:p>&amp;</w:p>\u202eA\ufffe\uffff ]]>"
    hostile = typed.replace("A", "A\ud800")  # a lone surrogate: not even UTF-8
    token = _token(client, "unit-link-02")
    posted = client.post(
        f"/u/{token}",
        data={**_unit_form(client, token), "name": typed, "position": "<b>x</b>" * 20},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    guest = rc.SetGuest(
        Actor(Role.ORGANISER),
        "guest-hostile-01",
        hostile,
        position="Đại biểu",
        category=GuestCategory.LEADER,
        precedence=1,
        bridge_id="tinh",
    )
    assert client.portal is not None
    client.portal.call(_app(client).state.registry.hubs[DEMO].execute, guest)
    state = _state(client)
    names = [d.name for d in state.roster.delegates.values() if "<w:p>" in d.name]
    assert names == ["Lê Văn <w:p>&amp;</w:p>A ]]>"] * 2
    people = [d for d in state.roster.delegates.values() if "<w:p>" in d.name]
    for data in (
        invitations_docx(state, people),
        delegate_list_docx(state, "tinh"),
        client.get(f"/u/{token}/invitations.docx").content,
        mc_script_docx(state),
    ):
        document = open_document(io.BytesIO(data))
        text = "\n".join(p.text for p in document.paragraphs)
        text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
        assert "<w:p>&amp;</w:p>A ]]>" in text
